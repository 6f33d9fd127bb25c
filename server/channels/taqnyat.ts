// SMS through Taqnyat's documented REST API:
//
//   POST {baseUrl}/v1/messages   Authorization: Bearer <token>, application/json
//   {"recipients":["9665…"],"body":"…","sender":"<sender name>"}
//   → 201 {"statusCode":201,"messageId":…,"cost":"0.0500","currency":"SAR","totalCount":1,
//          "msgLength":1,"accepted":"[9665…,]","rejected":"[]"}
//
// Refusals are 4xx with {"statusCode":…,"message":…} (401 bad token, 400 bad sender or
// recipient, 429…): definite (429 retryable). A 2xx naming our number as rejected is a definite
// refusal. 5xx, timeouts and resets after sending are uncertain; a 2xx without a messageId too.
//
// The sender: the credential's `sender`, or for a promotional message its `promotionalSender`
// (an -AD name); the Saudi rules are in saudi-sms.ts. Credential: {token, sender,
// promotionalSender?, promotionalHours?, refuseOutsidePromotionalHours?, webhookSecret?, baseUrl?}.
import type { EgressPolicy } from '../../engine/index.js';
import type { ChannelProvider, OutboundMessage, ProviderPolicyDecision, ProviderSendResult } from './provider.js';
import { ProviderError } from './provider.js';
import { messageText } from './message-text.js';
import { baseUrlOf, joinUrl, jsonObjectOf, providerRequest, statusError } from './provider-http.js';
import { saudiSmsPolicy, senderFor } from './saudi-sms.js';
import { bareNumber, type SmsProviderOptions } from './unifonic.js';

export const TAQNYAT_API = 'https://api.taqnyat.sa';

/** Taqnyat lists numbers as a JSON-ish string "[9665…,9665…,]" (or an array). */
export function numbersIn(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => String(x));
  if (typeof v !== 'string') return [];
  return v.replace(/[[\]\s"]/g, '').split(',').filter(Boolean);
}

export class TaqnyatProvider implements ChannelProvider {
  readonly name = 'taqnyat' as const;
  readonly channels = ['sms'] as const;
  readonly credentialType = 'taqnyat';

  constructor(private readonly options: SmsProviderOptions = {}) {}

  policy(send: { channel: string; purpose: string }, c: Record<string, string>, now: Date): ProviderPolicyDecision {
    return saudiSmsPolicy(send, { sender: c.sender, promotionalSender: c.promotionalSender, promotionalHours: c.promotionalHours, outside: c.refuseOutsidePromotionalHours === 'true' ? 'refuse' : 'defer' }, now);
  }

  async send(message: OutboundMessage, credential: Record<string, string>, signal: AbortSignal, egress: EgressPolicy): Promise<ProviderSendResult> {
    if (message.channel !== 'sms') throw new ProviderError('unsupported_channel', `taqnyat sends SMS only, not ${message.channel}`, true, false);
    const { token } = credential;
    if (!token) throw new ProviderError('invalid_credential', 'taqnyat: the credential needs token', true, false);
    const sender = senderFor(message.purpose, credential.sender, credential.promotionalSender);
    if (!sender) throw new ProviderError('promotional_sender_required', 'taqnyat: a promotional SMS needs a sender name ending in -AD', true, false);
    const recipient = bareNumber(message.to);
    const base = baseUrlOf(credential, TAQNYAT_API, 'taqnyat');
    const answer = await providerRequest(
      'taqnyat',
      {
        method: 'POST',
        url: joinUrl(base, '/v1/messages'),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ recipients: [recipient], body: messageText(message, 'taqnyat'), sender }),
        timeoutMs: this.options.timeoutMs,
      },
      signal,
      egress,
    );
    const json = jsonObjectOf(answer.text);
    const said = typeof json?.message === 'string' && json.message !== '' ? json.message : answer.text.slice(0, 200);
    if (answer.status < 200 || answer.status >= 300) throw statusError('taqnyat', answer.status, null, said);
    if (!json) throw new ProviderError('unexpected_answer', 'taqnyat: the answer is not JSON; the message may have been sent', false, false);
    if (numbersIn(json.rejected).includes(recipient) && !numbersIn(json.accepted).includes(recipient)) {
      throw new ProviderError('invalid_recipient', `taqnyat: the recipient was rejected${said ? `: ${said}` : ''}`, true, false);
    }
    const id = json.messageId;
    if ((typeof id === 'string' || typeof id === 'number') && String(id) !== '') return { providerMessageId: String(id), status: 'queued' };
    throw new ProviderError('unexpected_answer', 'taqnyat: the answer names no messageId; the message may have been sent', false, false);
  }
}

export const taqnyatProvider = new TaqnyatProvider();

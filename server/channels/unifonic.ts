// SMS through Unifonic's documented REST API:
//
//   POST {baseUrl}/rest/SMS/messages   (application/x-www-form-urlencoded, Accept: application/json)
//   AppSid=<app id>&SenderID=<sender>&Body=<text>&Recipient=<9665… without + or 00>
//   &responseType=JSON&CorrelationID=<our outbox message id>
//   → {"success":true,"message":"","errorCode":"ER-00","data":{"MessageID":…,"CorrelationID":…,
//      "Status":"Sent","NumberOfUnits":1,"Cost":0.05,"CurrencyCode":"SAR",…}}
//
// Refusals come as 4xx (401 authentication failed, 402 missing AppSid, 410 invalid recipient,
// 429 too many requests, 480 sender not allowed…) or as a 200 with `success: false`: both are
// definite (429 retryable). 5xx, timeouts and resets after sending are uncertain; a 200 that is
// not `success: true` with a MessageID, nor a refusal, is uncertain too.
//
// The sender: the credential's `senderId`, or for a promotional message its `promotionalSenderId`
// (an -AD name); the Saudi rules are in saudi-sms.ts. Credential: {appSid, senderId,
// promotionalSenderId?, promotionalHours?, refuseOutsidePromotionalHours?, webhookSecret?, baseUrl?}.
import type { EgressPolicy } from '../../engine/index.js';
import type { ChannelProvider, OutboundMessage, ProviderPolicyDecision, ProviderSendResult } from './provider.js';
import { ProviderError } from './provider.js';
import { messageText } from './message-text.js';
import { baseUrlOf, joinUrl, jsonObjectOf, providerRequest, statusError } from './provider-http.js';
import { saudiSmsPolicy, senderFor } from './saudi-sms.js';

export const UNIFONIC_API = 'https://el.cloud.unifonic.com';

export interface SmsProviderOptions {
  timeoutMs?: number;
}

/** International format without + or 00, as Unifonic and Taqnyat take numbers. */
export const bareNumber = (e164: string): string => e164.replace(/^\+/, '').replace(/^00/, '').replace(/[^\d]/g, '');

export class UnifonicProvider implements ChannelProvider {
  readonly name = 'unifonic' as const;
  readonly channels = ['sms'] as const;
  readonly credentialType = 'unifonic';

  constructor(private readonly options: SmsProviderOptions = {}) {}

  policy(send: { channel: string; purpose: string }, c: Record<string, string>, now: Date): ProviderPolicyDecision {
    return saudiSmsPolicy(send, { sender: c.senderId, promotionalSender: c.promotionalSenderId, promotionalHours: c.promotionalHours, outside: c.refuseOutsidePromotionalHours === 'true' ? 'refuse' : 'defer' }, now);
  }

  async send(message: OutboundMessage, credential: Record<string, string>, signal: AbortSignal, egress: EgressPolicy): Promise<ProviderSendResult> {
    if (message.channel !== 'sms') throw new ProviderError('unsupported_channel', `unifonic sends SMS only, not ${message.channel}`, true, false);
    const { appSid } = credential;
    if (!appSid) throw new ProviderError('invalid_credential', 'unifonic: the credential needs appSid', true, false);
    const sender = senderFor(message.purpose, credential.senderId, credential.promotionalSenderId);
    if (!sender) throw new ProviderError('promotional_sender_required', 'unifonic: a promotional SMS needs a sender name ending in -AD', true, false);
    const form = new URLSearchParams({ AppSid: appSid, SenderID: sender, Body: messageText(message, 'unifonic'), Recipient: bareNumber(message.to), responseType: 'JSON', CorrelationID: message.referenceId });
    const base = baseUrlOf(credential, UNIFONIC_API, 'unifonic');
    const answer = await providerRequest(
      'unifonic',
      {
        method: 'POST',
        url: joinUrl(base, '/rest/SMS/messages'),
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        timeoutMs: this.options.timeoutMs,
      },
      signal,
      egress,
    );
    const json = jsonObjectOf(answer.text);
    const said = typeof json?.message === 'string' && json.message !== '' ? json.message : answer.text.slice(0, 200);
    if (answer.status < 200 || answer.status >= 300) throw statusError('unifonic', answer.status, null, `${said}${json?.errorCode ? ` (${String(json.errorCode)})` : ''}`);
    if (!json) throw new ProviderError('unexpected_answer', 'unifonic: the answer is not JSON; the message may have been sent', false, false);
    if (json.success === false || json.success === 'false') {
      const code = String(json.errorCode ?? '');
      if (/too many|rate|limit/i.test(said)) throw new ProviderError('rate_limited', `unifonic: ${said}`, true, true);
      throw new ProviderError('rejected', `unifonic: ${said}${code ? ` (${code})` : ''}`, true, false);
    }
    const data = (json.data && typeof json.data === 'object' ? json.data : {}) as Record<string, unknown>;
    const id = data.MessageID ?? data.messageId;
    if ((json.success === true || json.success === 'true') && (typeof id === 'string' || typeof id === 'number') && String(id) !== '') {
      return { providerMessageId: String(id), status: String(data.Status ?? '').toLowerCase() === 'sent' ? 'sent' : 'queued' };
    }
    throw new ProviderError('unexpected_answer', 'unifonic: the answer has neither success with a MessageID nor a refusal; the message may have been sent', false, false);
  }
}

export const unifonicProvider = new UnifonicProvider();

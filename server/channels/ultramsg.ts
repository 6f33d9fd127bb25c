// UltraMsg (the primary WhatsApp provider) over its documented HTTP API:
//
//   POST {baseUrl}/{instanceId}/messages/chat   (application/x-www-form-urlencoded)
//   token=<API token>&to=<+9665…>&body=<text>&referenceId=<our outbox message id>
//
// UltraMsg answers HTTP 200 for refusals too, with `{"error": …}`: a message was taken ONLY when
// the answer is JSON with `sent == "true"` (a string), and then `id` is UltraMsg's message id
// (the id its webhooks name). Anything else is a failure:
// - `{"error": …}` or `sent: "false"` → definite, not retryable (bad token, bad number,
//   instance not connected…) — except rate limits ("limit", "too many"), which are retryable;
// - 429/503 → definite, retryable; other 4xx → definite; 5xx → uncertain (see provider-http.ts);
// - a 200 that is not JSON, or JSON without `sent`/`error` → uncertain: UltraMsg may have queued it.
//
// Templates: UltraMsg has no template API (it drives a WhatsApp session, not the Cloud API), so a
// template message is sent as chat text rendered from the template text and its variables
// (message-text.ts). The credential: {instanceId, token, baseUrl?, webhookSecret?}; `baseUrl`
// (default https://api.ultramsg.com) points it at a self-hosted gateway or the local test server.
import type { EgressPolicy } from '../../engine/index.js';
import type { ChannelProvider, OutboundMessage, ProviderSendResult } from './provider.js';
import { ProviderError } from './provider.js';
import { messageText } from './message-text.js';
import { baseUrlOf, joinUrl, providerRequest, statusError } from './provider-http.js';

export const ULTRAMSG_API = 'https://api.ultramsg.com';
const RATE_LIMIT = /rate|limit|too many|throttl/i;

/** The instance id as used in paths (`instance12345`); webhooks may name it without the prefix. */
export const instancePathOf = (instanceId: string): string => (/^\d+$/.test(instanceId) ? `instance${instanceId}` : instanceId);
/** `instance12345` and `12345` name the same instance. */
export function sameInstance(a: unknown, b: unknown): boolean {
  const bare = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v).trim().replace(/^instance/i, '') : '');
  const x = bare(a);
  return x !== '' && x === bare(b);
}

const errorText = (e: unknown): string => (typeof e === 'string' ? e : JSON.stringify(e)).slice(0, 500);

export interface UltraMsgOptions {
  timeoutMs?: number;
}

export class UltraMsgProvider implements ChannelProvider {
  readonly name = 'ultramsg' as const;
  readonly channels = ['whatsapp'] as const;
  readonly credentialType = 'ultramsg';

  constructor(private readonly options: UltraMsgOptions = {}) {}

  async send(message: OutboundMessage, credential: Record<string, string>, signal: AbortSignal, egress: EgressPolicy): Promise<ProviderSendResult> {
    if (message.channel !== 'whatsapp') throw new ProviderError('unsupported_channel', `ultramsg sends WhatsApp only, not ${message.channel}`, true, false);
    const { instanceId, token } = credential;
    if (!instanceId || !token) throw new ProviderError('invalid_credential', 'ultramsg: the credential needs instanceId and token', true, false);
    const body = messageText(message, 'ultramsg');
    const base = baseUrlOf(credential, ULTRAMSG_API, 'ultramsg');
    const form = new URLSearchParams({ token, to: message.to, body, referenceId: message.referenceId });
    const answer = await providerRequest(
      'ultramsg',
      {
        method: 'POST',
        url: joinUrl(base, `/${encodeURIComponent(instancePathOf(instanceId))}/messages/chat`),
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        timeoutMs: this.options.timeoutMs,
      },
      signal,
      egress,
    );
    let json: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(answer.text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
    } catch {
      // not JSON: decided below
    }
    if (answer.status < 200 || answer.status >= 300) {
      const text = json?.error !== undefined ? errorText(json.error) : answer.text.slice(0, 200);
      throw statusError('ultramsg', answer.status, null, text);
    }
    if (!json) throw new ProviderError('unexpected_answer', 'ultramsg: the answer is not JSON; the message may have been sent', false, false);
    if (json.error !== undefined && json.error !== null && json.error !== '') {
      const text = errorText(json.error);
      if (RATE_LIMIT.test(text)) throw new ProviderError('rate_limited', `ultramsg: ${text}`, true, true);
      throw new ProviderError('rejected', `ultramsg: ${text}`, true, false);
    }
    if (json.sent === 'true' && (typeof json.id === 'string' || typeof json.id === 'number') && String(json.id) !== '') {
      return { providerMessageId: String(json.id), status: 'queued' };
    }
    if (json.sent === 'false' || json.sent === false) {
      throw new ProviderError('rejected', `ultramsg: not sent: ${errorText(json.message ?? 'no reason given')}`, true, false);
    }
    throw new ProviderError('unexpected_answer', 'ultramsg: the answer has neither sent:"true" with an id nor an error; the message may have been sent', false, false);
  }
}

export const ultramsgProvider = new UltraMsgProvider();

// Twilio (SMS, and WhatsApp as `whatsapp:+9665…`) through the official `twilio` SDK:
// client.messages.create({to, from, body, statusCallback}).
//
// The SDK builds the request (URL, Basic auth, form fields), parses the answer and raises
// RestException for 4xx/5xx; its transport is ours (the SDK's documented `httpClient` option):
// TwilioHttpClient sends with undici (provider-http.ts) so that every send honours the outbox's
// AbortSignal and a timeout, and so a transport failure says whether the request may have
// reached Twilio (definite vs uncertain, like UltraMsg). The SDK has no base-URL option: when
// the credential has a `baseUrl` (the local fake server in tests, or a gateway), the client
// rewrites https://api.twilio.com to it; otherwise requests go to Twilio unchanged.
//
// Credential: {accountSid, authToken, from?, whatsappFrom?, baseUrl?}. `from` is the SMS sender
// (E.164, alphanumeric sender id, or a Messaging Service SID `MG…`); WhatsApp sends from
// `whatsappFrom`, else `from` (prefixed `whatsapp:`). Templates: a template named by a Twilio
// Content SID (`HX` + 32 hex) is sent as contentSid + contentVariables (Twilio's template API,
// required for WhatsApp outside the 24-hour window); any other template is rendered from the
// message text and its variables (message-text.ts).
import type twilioSdk from 'twilio';
import type { EgressPolicy } from '../../engine/index.js';
import type { ChannelProvider, OutboundMessage, ProviderSendResult } from './provider.js';
import { ProviderError } from './provider.js';
import { messageText } from './message-text.js';
import { baseUrlOf, providerRequest, statusError } from './provider-http.js';

export const TWILIO_API = 'https://api.twilio.com';

let sdk: Promise<typeof twilioSdk> | undefined;
/**
 * The SDK, loaded on first use: it takes about a tenth of the server's start-up time and
 * ~10 MB of heap, and most servers never send through Twilio.
 */
export function loadTwilio(): Promise<typeof twilioSdk> {
  sdk ??= import('twilio').then((m) => m.default);
  return sdk;
}
const CONTENT_SID = /^HX[0-9a-f]{32}$/i;
const MESSAGING_SERVICE_SID = /^MG[0-9a-f]{32}$/i;

/** What the SDK passes to an httpClient (RequestClient.RequestOptions, the parts we use). */
interface SdkRequest {
  method: string;
  uri: string;
  username?: string;
  password?: string;
  authStrategy?: { getAuthString(): Promise<string> };
  headers?: Record<string, string>;
  params?: Record<string, unknown>;
  data?: Record<string, unknown>;
  timeout?: number;
}

function formOf(data: Record<string, unknown> | undefined): URLSearchParams {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(data ?? {})) {
    if (value === undefined || value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) form.append(key, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  return form;
}

/**
 * The SDK's transport: undici with the send's signal and timeout, and (only when `base` is
 * given) api.twilio.com rewritten to `base`.
 */
export class TwilioHttpClient {
  constructor(
    private readonly signal: AbortSignal,
    private readonly base: URL | null,
    private readonly egress: EgressPolicy,
    private readonly timeoutMs?: number,
  ) {}

  async request(opts: SdkRequest): Promise<{ statusCode: number; body: string; headers: Record<string, string> }> {
    const target = new URL(opts.uri);
    if (this.base) {
      const prefix = this.base.pathname.replace(/\/+$/, '');
      target.protocol = this.base.protocol;
      target.host = this.base.host;
      target.pathname = prefix + target.pathname;
    }
    const query = formOf(opts.params).toString();
    if (query) target.search = query;
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.username && opts.password) headers.Authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
    else if (opts.authStrategy) headers.Authorization = await opts.authStrategy.getAuthString();
    delete headers.Connection;
    let body: string | undefined;
    if (opts.data && opts.method.toLowerCase() !== 'get') {
      const type = headers['Content-Type'] ?? 'application/x-www-form-urlencoded';
      body = type === 'application/json' ? JSON.stringify(opts.data) : formOf(opts.data).toString();
    }
    const answer = await providerRequest('twilio', { method: opts.method.toUpperCase(), url: target.toString(), headers, body, timeoutMs: this.timeoutMs ?? opts.timeout }, this.signal, this.egress);
    return { statusCode: answer.status, body: answer.text, headers: answer.headers };
  }
}

/** Twilio error codes worth a name of their own (https://www.twilio.com/docs/api/errors). */
const KNOWN_CODES: Record<number, { code: string; retryable?: boolean }> = {
  20003: { code: 'auth_failed' },
  20429: { code: 'rate_limited', retryable: true },
  21211: { code: 'invalid_recipient' },
  21408: { code: 'region_not_enabled' },
  21606: { code: 'invalid_sender' },
  21610: { code: 'recipient_opted_out' },
  21612: { code: 'invalid_recipient' },
  21614: { code: 'invalid_recipient' },
  21659: { code: 'invalid_sender' },
  21660: { code: 'invalid_sender' },
  63016: { code: 'outside_session_window' },
};

/** A RestException (or the RFC 9457 TwilioServiceException) as a ProviderError. */
export function twilioError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { status?: unknown; code?: unknown; message?: unknown; detail?: unknown };
  if (typeof e?.status === 'number') {
    const code = typeof e.code === 'number' ? e.code : Number(e.code);
    const text = `${String(e.detail ?? e.message ?? 'error')}${Number.isFinite(code) ? ` (Twilio ${code})` : ''}`;
    const known = Number.isFinite(code) ? KNOWN_CODES[code] : undefined;
    if (e.status >= 400 && e.status < 500 && e.status !== 429 && known) return new ProviderError(known.code, `twilio: ${text}`, true, known.retryable === true);
    return statusError('twilio', e.status, Number.isFinite(code) ? `twilio_${code}` : null, text);
  }
  // Anything else came from the SDK itself before or while sending (a bad option, an answer it could not parse).
  return new ProviderError('provider_error', `twilio: ${(err as Error)?.message ?? String(err)}; the message may have been sent`, false, false);
}

const whatsappAddress = (a: string): string => (a.startsWith('whatsapp:') ? a : `whatsapp:${a}`);
const bareAddress = (a: string): string => a.replace(/^whatsapp:/, '');

export interface TwilioOptions {
  timeoutMs?: number;
}

export class TwilioProvider implements ChannelProvider {
  readonly name = 'twilio' as const;
  readonly channels = ['sms', 'whatsapp'] as const;
  readonly credentialType = 'twilio';

  constructor(private readonly options: TwilioOptions = {}) {}

  async send(message: OutboundMessage, credential: Record<string, string>, signal: AbortSignal, egress: EgressPolicy): Promise<ProviderSendResult> {
    if (message.channel !== 'sms' && message.channel !== 'whatsapp') throw new ProviderError('unsupported_channel', `twilio sends SMS and WhatsApp, not ${message.channel}`, true, false);
    const { accountSid, authToken } = credential;
    if (!accountSid || !authToken) throw new ProviderError('invalid_credential', 'twilio: the credential needs accountSid and authToken', true, false);
    const whatsapp = message.channel === 'whatsapp';
    const sender = (whatsapp ? credential.whatsappFrom || credential.from : credential.from) ?? '';
    if (!sender) throw new ProviderError('missing_sender', `twilio: the credential has no sender for ${message.channel} (from${whatsapp ? ' or whatsappFrom' : ''})`, true, false);

    const params: Record<string, string> = { to: whatsapp ? whatsappAddress(message.to) : bareAddress(message.to) };
    if (MESSAGING_SERVICE_SID.test(sender)) params.messagingServiceSid = sender;
    else params.from = whatsapp ? whatsappAddress(sender) : bareAddress(sender);
    if (message.template && CONTENT_SID.test(message.template.name)) {
      params.contentSid = message.template.name;
      if (message.template.variables && Object.keys(message.template.variables).length) params.contentVariables = JSON.stringify(message.template.variables);
    } else {
      params.body = messageText(message, 'twilio');
    }
    if (message.statusCallbackUrl) params.statusCallback = message.statusCallbackUrl;

    let base: URL | null = null;
    if (credential.baseUrl) base = baseUrlOf(credential, TWILIO_API, 'twilio');
    const httpClient = new TwilioHttpClient(signal, base, egress, this.options.timeoutMs);
    const twilio = await loadTwilio();
    let client: ReturnType<typeof twilioSdk>;
    try {
      client = twilio(accountSid, authToken, { httpClient: httpClient as unknown as NonNullable<Parameters<typeof twilioSdk>[2]>['httpClient'] });
    } catch (err) {
      // e.g. "accountSid must start with AC": nothing was sent.
      throw new ProviderError('invalid_credential', `twilio: ${(err as Error).message}`, true, false);
    }
    try {
      const created = await client.messages.create(params as unknown as Parameters<typeof client.messages.create>[0]);
      if (!created?.sid) throw new ProviderError('unexpected_answer', 'twilio: the answer has no message sid; the message may have been sent', false, false);
      if (created.status === 'failed' || created.status === 'undelivered') {
        throw new ProviderError('rejected', `twilio: the message was ${created.status}${created.errorCode ? ` (Twilio ${created.errorCode})` : ''}`, true, false);
      }
      return { providerMessageId: created.sid, status: created.status === 'sent' || created.status === 'delivered' || created.status === 'read' ? 'sent' : 'queued' };
    } catch (err) {
      throw twilioError(err);
    }
  }
}

export const twilioProvider = new TwilioProvider();

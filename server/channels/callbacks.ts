// Provider callbacks: what UltraMsg and Twilio post to us, interpreted (pure functions, no I/O).
// The HTTP side is callback-router.ts.
//
// URLs (public, outside /api/v1; providers cannot sign in):
//   POST /hooks/providers/ultramsg/<tenant slug>/<webhookSecret>   UltraMsg webhook (all events)
//   POST /hooks/providers/twilio/<tenant slug>/status              Twilio statusCallback
//   POST /hooks/providers/twilio/<tenant slug>/inbound             Twilio incoming message webhook
//
// UltraMsg signs nothing: the secret in its URL (the ultramsg credential's `webhookSecret`,
// compared in constant time) is the authentication, and the event's `instanceId` must be the
// credential's. Twilio signs every request (X-Twilio-Signature, HMAC-SHA1 of the URL and the
// sorted form fields with the account's auth token): checked with the SDK's validateRequest
// against the public URL Twilio called.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { DeliveryUpdate } from './provider.js';

export const PROVIDER_HOOKS_PREFIX = '/hooks/providers/';

export type CallbackKind = 'ultramsg' | 'twilio-status' | 'twilio-inbound' | 'unifonic' | 'taqnyat';

/**
 * The URL a provider calls for a tenant, from the public base URL (TADFUQ_PUBLIC_URL). UltraMsg's
 * carries the credential's webhook secret; give it in `secret`.
 */
export function providerCallbackUrl(publicBaseUrl: string, tenantSlug: string, kind: CallbackKind, secret?: string): string {
  const base = `${publicBaseUrl.replace(/\/+$/, '')}${PROVIDER_HOOKS_PREFIX}`;
  const slug = encodeURIComponent(tenantSlug);
  if (kind === 'ultramsg' || kind === 'unifonic' || kind === 'taqnyat') {
    if (!secret) throw new Error(`the ${kind} callback URL needs the credential’s webhookSecret`);
    return `${base}${kind}/${slug}/${encodeURIComponent(secret)}`;
  }
  return `${base}twilio/${slug}/${kind === 'twilio-status' ? 'status' : 'inbound'}`;
}

/** Constant-time equality of two secrets of any length (compares their SHA-256 digests). */
export function sameSecret(given: string, expected: string): boolean {
  if (!expected) return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

// ---------------------------------------------------------------------------------------------
// UltraMsg

/** What an UltraMsg webhook event asks of us. */
export type UltraMsgAction =
  | { kind: 'inbound'; dedupKey: string; providerMessageId: string; from: string; to: string | null; body: string; receivedAt: number }
  | { kind: 'delivery'; dedupKey: string; providerMessageId: string; status: DeliveryUpdate['status'] }
  | { kind: 'ignore'; reason: string };

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/**
 * UltraMsg ack values (message_ack `data.ack`): pending (still on the instance), server (WhatsApp
 * took it: sent), device (on the recipient's phone: delivered), read, played (voice: read).
 */
const ACK_STATUS: Record<string, DeliveryUpdate['status'] | undefined> = { server: 'sent', device: 'delivered', read: 'read', played: 'read', error: 'failed', failed: 'failed' };

/** Epoch ms from a provider's seconds (or ms) timestamp, when plausible; else `now`. */
function epochMs(v: unknown, now: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0) return now;
  const ms = n < 1e12 ? n * 1000 : n;
  // A clock far off (more than a day ahead) is not trusted.
  return ms > now + 86_400_000 ? now : ms;
}

/**
 * Interpret one UltraMsg webhook body:
 * `{event_type, instanceId, id, referenceId, data: {id, from, to, ack, type, body, fromMe, time, …}}`.
 * `id` (top level) is UltraMsg's message id — the one its send API answered, which the outbox
 * stores — and `data.id` the WhatsApp message id.
 */
export function interpretUltraMsgEvent(body: unknown, now = Date.now()): UltraMsgAction {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { kind: 'ignore', reason: 'not_an_event' };
  const event = body as Record<string, unknown>;
  const type = str(event.event_type);
  const data = (event.data && typeof event.data === 'object' ? event.data : {}) as Record<string, unknown>;
  const whatsappId = str(data.id);
  const ultramsgId = str(event.id);
  switch (type) {
    case 'message_received': {
      if (data.fromMe === true || data.fromMe === 'true') return { kind: 'ignore', reason: 'own_message' };
      const from = str(data.from);
      if (!whatsappId || !from) return { kind: 'ignore', reason: 'incomplete_event' };
      if (/@g\.us$|@broadcast$|@newsletter$/i.test(from)) return { kind: 'ignore', reason: 'group_message' };
      return { kind: 'inbound', dedupKey: `message_received:${whatsappId}`, providerMessageId: whatsappId, from, to: str(data.to) || null, body: str(data.body), receivedAt: epochMs(data.time, now) };
    }
    case 'message_ack': {
      const status = ACK_STATUS[str(data.ack).toLowerCase()];
      if (!status) return { kind: 'ignore', reason: 'ack_not_tracked' };
      if (!ultramsgId) return { kind: 'ignore', reason: 'no_message_id' };
      return { kind: 'delivery', dedupKey: `message_ack:${ultramsgId}:${status}`, providerMessageId: ultramsgId, status };
    }
    case 'message_create': {
      // Our own message reached WhatsApp (created on the instance's phone).
      if (!(data.fromMe === true || data.fromMe === 'true')) return { kind: 'ignore', reason: 'not_own_message' };
      if (!ultramsgId) return { kind: 'ignore', reason: 'no_message_id' };
      return { kind: 'delivery', dedupKey: `message_create:${ultramsgId}`, providerMessageId: ultramsgId, status: 'sent' };
    }
    default:
      return { kind: 'ignore', reason: 'event_not_handled' };
  }
}

// ---------------------------------------------------------------------------------------------
// Twilio

export type TwilioParams = Record<string, string>;

/** Form fields as strings (a repeated field keeps its first value: Twilio sends none repeated). */
export function twilioParams(form: Record<string, unknown>): TwilioParams {
  const out: TwilioParams = {};
  for (const [k, v] of Object.entries(form)) {
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === 'string') out[k] = first;
  }
  return out;
}

/** Twilio MessageStatus → outbox delivery status; queued/sending/accepted/scheduled say nothing new. */
const TWILIO_STATUS: Record<string, DeliveryUpdate['status'] | undefined> = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed', undelivered: 'failed', canceled: 'failed' };

export type TwilioStatusAction =
  | { kind: 'delivery'; dedupKey: string; providerMessageId: string; status: DeliveryUpdate['status']; error?: { code: string; message: string } }
  | { kind: 'ignore'; reason: string };

export function interpretTwilioStatus(p: TwilioParams): TwilioStatusAction {
  const sid = p.MessageSid ?? p.SmsSid ?? '';
  const raw = (p.MessageStatus ?? p.SmsStatus ?? '').toLowerCase();
  if (!sid) return { kind: 'ignore', reason: 'no_message_id' };
  const status = TWILIO_STATUS[raw];
  if (!status) return { kind: 'ignore', reason: 'status_not_tracked' };
  const action: TwilioStatusAction = { kind: 'delivery', dedupKey: `status:${sid}:${raw}`, providerMessageId: sid, status };
  if (status === 'failed') {
    const code = p.ErrorCode ? `twilio_${p.ErrorCode}` : `twilio_${raw}`;
    action.error = { code, message: p.ErrorMessage || `Twilio reported the message ${raw}${p.ErrorCode ? ` (error ${p.ErrorCode})` : ''}` };
  }
  return action;
}

export type TwilioInboundAction =
  | { kind: 'inbound'; channel: 'whatsapp' | 'sms'; providerMessageId: string; from: string; to: string | null; body: string }
  | { kind: 'ignore'; reason: string };

export function interpretTwilioInbound(p: TwilioParams): TwilioInboundAction {
  const sid = p.MessageSid ?? p.SmsMessageSid ?? p.SmsSid ?? '';
  const from = p.From ?? '';
  if (!sid || !from) return { kind: 'ignore', reason: 'incomplete_message' };
  const channel = from.toLowerCase().startsWith('whatsapp:') ? 'whatsapp' : 'sms';
  return { kind: 'inbound', channel, providerMessageId: sid, from, to: p.To ?? null, body: p.Body ?? '' };
}

/** The empty TwiML answer to an incoming message: no auto-reply. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

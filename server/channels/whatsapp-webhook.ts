// The WhatsApp Cloud API webhook, interpreted (pure functions; the HTTP side is
// callback-router.ts). ONE URL per deployment — `/hooks/providers/whatsapp` — serves every
// phone number of every tenant, because a Meta app has one callback URL:
//
//   GET  ?hub.mode=subscribe&hub.verify_token=<token>&hub.challenge=<n>  → 200 <n> as text/plain
//        when the token is the deployment's TADFUQ_WHATSAPP_VERIFY_TOKEN (constant time), else 403.
//   POST {"object":"whatsapp_business_account","entry":[{"id":<WABA id>,"changes":[{"field":"messages",
//         "value":{"metadata":{"phone_number_id":…},"messages":[…],"statuses":[…]}}]}]}
//        signed `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`
//        (TADFUQ_WHATSAPP_APP_SECRET), checked in constant time before the body is parsed.
//
// Each change is routed by its `metadata.phone_number_id` to the tenant owning that number
// (whatsapp_numbers); a number no tenant owns is ignored. Inbound messages are deduplicated by
// their message id (`message:<wamid>`), statuses by `status:<wamid>:<status>`; a status that
// arrives after a later one (delivered after read) never moves a message back (the outbox's
// applyDelivery only moves forward).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DeliveryUpdate } from './provider.js';
import { sameSecret } from './callbacks.js';

export const WHATSAPP_HOOK_PATH = '/hooks/providers/whatsapp';

/** The verification handshake: the challenge to echo, or null (refuse with 403). */
export function verificationChallenge(query: URLSearchParams, verifyToken: string | undefined): string | null {
  if (!verifyToken) return null;
  const mode = query.get('hub.mode');
  const token = query.get('hub.verify_token') ?? '';
  const challenge = query.get('hub.challenge');
  if (mode !== 'subscribe' || challenge === null || !/^[A-Za-z0-9_-]{1,200}$/.test(challenge)) return null;
  return sameSecret(token, verifyToken) ? challenge : null;
}

/** `X-Hub-Signature-256` of the raw body: `sha256=` + hex HMAC-SHA256 with the app secret, compared in constant time. */
export function validSignature(raw: Buffer, header: string | string[] | undefined, appSecret: string | undefined): boolean {
  if (!appSecret || typeof header !== 'string') return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match) return false;
  const expected = createHmac('sha256', appSecret).update(raw).digest();
  const given = Buffer.from(match[1]!, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The header a sender of `raw` would put (tests, and documentation of the scheme). */
export const signatureOf = (raw: Buffer | string, appSecret: string): string => `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;

export type WhatsAppEvent =
  | { kind: 'inbound'; phoneNumberId: string; dedupKey: string; providerMessageId: string; from: string; body: string; receivedAt: number }
  | { kind: 'delivery'; phoneNumberId: string; dedupKey: string; providerMessageId: string; status: DeliveryUpdate['status']; at: number; error?: { code: string; message: string }; pricingCategory?: string };

const STATUS: Record<string, DeliveryUpdate['status'] | undefined> = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' };

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function epochMs(v: unknown, now: number): number {
  const n = Number(str(v));
  if (!Number.isFinite(n) || n <= 0) return now;
  const ms = n < 1e12 ? n * 1000 : n;
  return ms > now + 86_400_000 ? now : ms;
}

/** The text a person sees of an inbound message (text, a button's or list's title, a caption). */
function inboundText(m: Record<string, unknown>): string {
  const type = str(m.type);
  if (type === 'text') return str(rec(m.text).body);
  if (type === 'button') return str(rec(m.button).text);
  if (type === 'interactive') {
    const i = rec(m.interactive);
    return str(rec(i.button_reply).title) || str(rec(i.list_reply).title);
  }
  const media = rec(m[type]);
  return str(media.caption);
}

/** Every event of one webhook body, with the phone number id it concerns; anything else is skipped. */
export function interpretWhatsAppWebhook(body: unknown, now = Date.now()): { events: WhatsAppEvent[]; ignored: number } {
  const events: WhatsAppEvent[] = [];
  let ignored = 0;
  const root = rec(body);
  if (root.object !== 'whatsapp_business_account') return { events, ignored: 1 };
  for (const entry of arr(root.entry)) {
    for (const change of arr(rec(entry).changes)) {
      const c = rec(change);
      const value = rec(c.value);
      const phoneNumberId = str(rec(value.metadata).phone_number_id);
      if (c.field !== 'messages' || !phoneNumberId) {
        ignored++;
        continue;
      }
      for (const message of arr(value.messages)) {
        const m = rec(message);
        const id = str(m.id);
        const from = str(m.from);
        if (!id || !from) {
          ignored++;
          continue;
        }
        events.push({ kind: 'inbound', phoneNumberId, dedupKey: `message:${id}`, providerMessageId: id, from: `+${from.replace(/^\+/, '')}`, body: inboundText(m), receivedAt: epochMs(m.timestamp, now) });
      }
      for (const status of arr(value.statuses)) {
        const s = rec(status);
        const id = str(s.id);
        const raw = str(s.status).toLowerCase();
        const mapped = STATUS[raw];
        if (!id || !mapped) {
          ignored++;
          continue;
        }
        const event: WhatsAppEvent = { kind: 'delivery', phoneNumberId, dedupKey: `status:${id}:${raw}`, providerMessageId: id, status: mapped, at: epochMs(s.timestamp, now) };
        const category = str(rec(s.pricing).category);
        if (category) event.pricingCategory = category;
        if (mapped === 'failed') {
          const e = rec(arr(s.errors)[0]);
          const code = str(e.code);
          event.error = { code: code ? `whatsapp_${code}` : 'whatsapp_failed', message: str(e.title) || str(e.message) || 'WhatsApp reported the message failed' };
        }
        events.push(event);
      }
    }
  }
  return { events, ignored };
}

// Webhook signatures (Stripe-style, replay window by timestamp). The caller sends
//   X-Tadfuq-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
// (several v1= entries are allowed, e.g. while rotating secrets; one must match). The HMAC
// covers the exact bytes of the body, so verify before parsing changes anything. Signatures
// are compared in constant time; a valid signature whose t is further than the tolerance from
// now is "expired" (a replayed request).
import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck = 'ok' | 'invalid' | 'expired';

const T_RE = /^\d{1,12}$/;
const V1_RE = /^[0-9a-fA-F]{64}$/;

function hmac(secret: string, t: string, rawBody: Buffer): Buffer {
  return createHmac('sha256', secret).update(`${t}.`, 'utf8').update(rawBody).digest();
}

/** The header value for `rawBody` signed at `t` (unix seconds): for callers, tests and docs. */
export function signWebhook(secret: string, rawBody: Buffer | string, t = Math.floor(Date.now() / 1000)): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  return `t=${t},v1=${hmac(secret, String(t), body).toString('hex')}`;
}

export function verifyWebhookSignature(header: string | string[] | undefined, secret: string, rawBody: Buffer, nowMs: number, toleranceSeconds: number): SignatureCheck {
  if (typeof header !== 'string' || header.length > 2000) return 'invalid';
  let t: string | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (t !== undefined || !T_RE.test(value)) return 'invalid';
      t = value;
    } else if (key === 'v1' && V1_RE.test(value)) {
      v1.push(value);
    }
  }
  if (t === undefined || v1.length === 0) return 'invalid';
  const expected = hmac(secret, t, rawBody);
  let match = false;
  for (const candidate of v1) {
    // Every candidate is compared (no early exit), each in constant time.
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) match = true;
  }
  if (!match) return 'invalid';
  return Math.abs(nowMs / 1000 - Number(t)) > toleranceSeconds ? 'expired' : 'ok';
}

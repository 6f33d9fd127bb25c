// The payment gateways' HTTP protocols, shared by payment.link (creating links) and the server's
// webhook handlers (server/payments/: re-fetching a Moyasar payment, Stripe's signature check).
// Every call goes through a GuardedFetch (the egress guard): the node's ctx.http, or the
// server's createGuardedFetch with the tenant's policy.
//
// - Moyasar (https://api.moyasar.com/v1): HTTP Basic, the secret key as user and an empty
//   password. A payment link is an Invoice: POST /invoices {amount (halalas), currency,
//   description, callback_url, success_url, metadata} → {id, status, url, amount, currency}.
// - Stripe: the official client, its HTTP client built on the GuardedFetch, pointed at a
//   `baseUrl` (host, port, protocol) for tests or a gateway. A link is a Checkout Session
//   (mode payment, one line with price_data {currency: 'sar', unit_amount: halalas}).
import type StripeDefault from 'stripe';
import { NodeFailure, type GuardedFetch } from '../../engine/index.js';

export const PAYMENT_PROVIDERS = ['moyasar', 'stripe'] as const;
export type PaymentProviderName = (typeof PAYMENT_PROVIDERS)[number];
export const MOYASAR_API = 'https://api.moyasar.com/v1';
/** Moyasar's smallest invoice: 1.00 SAR. */
export const MIN_HALALAS = 100;
/** 12 digits of riyals (the deals' NUMERIC(14,2)), in halalas: exact as a JS number. */
export const MAX_HALALAS = 99_999_999_999_999;
/** Metadata keys naming the tenant and deal on the provider's object: the webhook maps a payment back with them. */
export const META_TENANT = 'tadfuq_tenant';
export const META_DEAL = 'tadfuq_deal';
export const META_EXECUTION = 'tadfuq_execution';

const SAR_RE = /^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$/;

/** Halalas of a SAR decimal string ("1500.5" → 150050), by string arithmetic, never a float; null when it is not one. Pure. */
export function halalasOfSar(text: string): number | null {
  const m = SAR_RE.exec(text.trim());
  if (!m) return null;
  const fraction = (m[2] ?? '.').slice(1).padEnd(2, '0');
  return Number(BigInt(m[1]!) * 100n + BigInt(fraction));
}

/** "150050" halalas as "1500.50" SAR. Pure. */
export function sarOfHalalas(halalas: number): string {
  const s = String(halalas).padStart(3, '0');
  return `${s.slice(0, -2)}.${s.slice(-2)}`;
}

export interface PaymentLink {
  provider: PaymentProviderName;
  id: string;
  url: string;
  status: string;
  amountHalalas: number;
  currency: 'SAR';
}

export interface LinkRequest {
  amountHalalas: number;
  description: string;
  metadata: Record<string, string>;
  callbackUrl?: string;
  successUrl?: string;
  /** Same on every attempt of the step: Stripe's Idempotency-Key. */
  idempotencyKey: string;
  signal?: AbortSignal;
}

// ---------------------------------------------------------------- Moyasar

export interface MoyasarCredential {
  secretKey: string;
  webhookSecret?: string;
  baseUrl?: string;
}

const moyasarBase = (c: MoyasarCredential): string => (c.baseUrl ?? MOYASAR_API).replace(/\/+$/, '');
const basic = (secretKey: string): string => `Basic ${Buffer.from(`${secretKey}:`).toString('base64')}`;

async function moyasarCall(http: GuardedFetch, c: MoyasarCredential, method: string, path: string, body: unknown, signal?: AbortSignal): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await http(`${moyasarBase(c)}${path}`, {
      method,
      headers: { Authorization: basic(c.secretKey), Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if (err instanceof NodeFailure) throw err;
    const e = err as { message?: string; cause?: { code?: string; message?: string } };
    throw new NodeFailure('payment_provider_unreachable', `moyasar: ${e?.cause?.code ?? ''} ${e?.cause?.message ?? e?.message ?? String(err)}`.trim(), { retryable: true, cause: err });
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const retryable = response.status === 429 || response.status >= 500;
    const message = (json as { message?: unknown } | null)?.message;
    throw new NodeFailure(retryable ? 'payment_provider_failed' : 'payment_provider_refused', `moyasar answered HTTP ${response.status}${typeof message === 'string' ? `: ${message.slice(0, 300)}` : ''}`, { retryable });
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new NodeFailure('payment_provider_failed', 'moyasar answered without a JSON object', { retryable: true });
  return json as Record<string, unknown>;
}

const integer = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);

/** Create a Moyasar invoice (the payment link). */
export async function moyasarCreateInvoice(http: GuardedFetch, c: MoyasarCredential, req: LinkRequest): Promise<PaymentLink> {
  const body = {
    amount: req.amountHalalas,
    currency: 'SAR',
    description: req.description,
    metadata: req.metadata,
    ...(req.callbackUrl ? { callback_url: req.callbackUrl } : {}),
    ...(req.successUrl ? { success_url: req.successUrl } : {}),
  };
  const answer = await moyasarCall(http, c, 'POST', '/invoices', body, req.signal);
  if (typeof answer.id !== 'string' || typeof answer.url !== 'string') throw new NodeFailure('payment_provider_failed', 'moyasar answered an invoice without id or url', { retryable: false });
  return { provider: 'moyasar', id: answer.id, url: answer.url, status: String(answer.status ?? 'initiated'), amountHalalas: integer(answer.amount) ?? req.amountHalalas, currency: 'SAR' };
}

export interface MoyasarPayment {
  id: string;
  status: string;
  amountHalalas: number;
  currency: string;
  invoiceId: string | null;
  metadata: Record<string, unknown>;
}

/** GET /payments/:id — the webhook acts on this answer, never on the webhook's body. */
export async function moyasarFetchPayment(http: GuardedFetch, c: MoyasarCredential, id: string, signal?: AbortSignal): Promise<MoyasarPayment> {
  const p = await moyasarCall(http, c, 'GET', `/payments/${encodeURIComponent(id)}`, undefined, signal);
  const amount = integer(p.amount);
  if (typeof p.id !== 'string' || amount === null) throw new NodeFailure('payment_provider_failed', 'moyasar answered a payment without id or integer amount', { retryable: false });
  const metadata = p.metadata && typeof p.metadata === 'object' ? (p.metadata as Record<string, unknown>) : {};
  return { id: p.id, status: String(p.status), amountHalalas: amount, currency: String(p.currency ?? ''), invoiceId: typeof p.invoice_id === 'string' ? p.invoice_id : null, metadata };
}

/** GET /invoices/:id: the link's metadata (tenant, deal). */
export async function moyasarFetchInvoice(http: GuardedFetch, c: MoyasarCredential, id: string, signal?: AbortSignal): Promise<{ id: string; status: string; amountHalalas: number | null; metadata: Record<string, unknown> }> {
  const i = await moyasarCall(http, c, 'GET', `/invoices/${encodeURIComponent(id)}`, undefined, signal);
  const metadata = i.metadata && typeof i.metadata === 'object' ? (i.metadata as Record<string, unknown>) : {};
  return { id: String(i.id), status: String(i.status), amountHalalas: integer(i.amount), metadata };
}

// ---------------------------------------------------------------- Stripe

export interface StripeCredential {
  secretKey: string;
  webhookSecret?: string;
  baseUrl?: string;
}

type StripeClass = typeof StripeDefault;
export type StripeClient = InstanceType<StripeClass>;

let stripeModule: Promise<StripeClass> | null = null;
/** The stripe package, loaded on first use (it is large and most tenants never need it). */
export function loadStripe(): Promise<StripeClass> {
  stripeModule ??= import('stripe').then((m) => m.default);
  return stripeModule;
}

/** A fetch for Stripe's FetchHttpClient that goes through the GuardedFetch. */
function fetchThrough(http: GuardedFetch): (url: string, init: { method: string; headers: [string, string][]; body?: string; signal?: AbortSignal }) => Promise<Response> {
  return (url, init) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of init.headers) headers[k] = v;
    return http(url, { method: init.method, headers, ...(init.body !== undefined ? { body: init.body } : {}), ...(init.signal ? { signal: init.signal } : {}) });
  };
}

/** A Stripe client whose every request goes through `http` (no retries: the step's retry policy decides). */
export async function stripeClient(http: GuardedFetch, c: StripeCredential): Promise<StripeClient> {
  const Stripe = await loadStripe();
  const target = c.baseUrl ? new URL(c.baseUrl) : null;
  return new Stripe(c.secretKey, {
    httpClient: Stripe.createFetchHttpClient(fetchThrough(http) as unknown as typeof fetch),
    maxNetworkRetries: 0,
    telemetry: false,
    ...(target
      ? { host: target.hostname, port: Number(target.port || (target.protocol === 'http:' ? 80 : 443)), protocol: target.protocol === 'http:' ? 'http' : 'https' }
      : {}),
  });
}

function stripeFailure(err: unknown): NodeFailure {
  if (err instanceof NodeFailure) return err;
  const e = err as { type?: string; statusCode?: number; message?: string; detail?: unknown };
  // A connection error carries what the http client threw as `detail`: the guard's refusal is one.
  const cause = e?.detail;
  if (cause instanceof NodeFailure) return cause; // the egress guard's refusal, through the client
  const status = e?.statusCode;
  if (typeof status === 'number' && status < 500 && status !== 429) return new NodeFailure('payment_provider_refused', `stripe answered HTTP ${status}: ${String(e.message ?? '').slice(0, 300)}`, { retryable: false });
  return new NodeFailure(typeof status === 'number' ? 'payment_provider_failed' : 'payment_provider_unreachable', `stripe: ${String(e?.message ?? err).slice(0, 300)}`, { retryable: true, cause: err });
}

/** Create a Stripe Checkout Session in SAR (the payment link). */
export async function stripeCreateCheckout(http: GuardedFetch, c: StripeCredential, req: LinkRequest): Promise<PaymentLink> {
  const stripe = await stripeClient(http, c);
  try {
    const session = await stripe.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: [{ quantity: 1, price_data: { currency: 'sar', unit_amount: req.amountHalalas, product_data: { name: req.description } } }],
        metadata: req.metadata,
        payment_intent_data: { metadata: req.metadata },
        ...(req.successUrl ? { success_url: req.successUrl } : {}),
      },
      { idempotencyKey: req.idempotencyKey, ...(req.signal ? { signal: req.signal } : {}) },
    );
    if (!session.url) throw new NodeFailure('payment_provider_failed', 'stripe answered a session without url', { retryable: false });
    return { provider: 'stripe', id: session.id, url: session.url, status: String(session.status ?? 'open'), amountHalalas: session.amount_total ?? req.amountHalalas, currency: 'SAR' };
  } catch (err) {
    throw stripeFailure(err);
  }
}

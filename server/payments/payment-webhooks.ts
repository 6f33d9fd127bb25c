// The payment gateways' webhooks (routes: server/routes/payments.ts). Public URLs with the
// tenant's slug; the gateway proves itself, then the payment is settled once
// (payment-service.ts):
//
// - Moyasar: the body's `secret_token` must equal the webhookSecret of one of the tenant's
//   moyasar credentials (constant time). The body is then NOT trusted: the payment is fetched
//   again from Moyasar's API with that credential's secret key (GET /payments/:id, and its
//   invoice for the link's metadata) and only that answer is acted on.
// - Stripe: `stripe.webhooks.constructEvent(raw body, Stripe-Signature, webhookSecret)` for one
//   of the tenant's stripe credentials (HMAC over the exact bytes, 5-minute tolerance).
//
// Either way the payment must carry this tenant's id in its metadata (payment.link puts it
// there): a payment of another tenant or of another system on the same account is ignored.
// Answers: 200 {result: recorded | duplicate | ignored, reason?}; 400 unreadable body; 401 a
// bad secret or signature; 404 unknown tenant; 502 Moyasar did not answer the re-fetch (the
// gateway retries).
import { createGuardedFetch, NodeFailure, type GuardedFetch } from '../../engine/index.js';
import type { NewPayment, PaymentProvider } from '../../db/payment-repository.js';
import type { Tenant } from '../../db/tenant-repository.js';
import { ApiError } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { sameSecret } from '../channels/callbacks.js';
import { assertJson } from '../http/input-guard.js';
import { META_DEAL, META_TENANT, loadStripe, moyasarFetchInvoice, moyasarFetchPayment, type MoyasarCredential } from '../../nodes/shared/payment-providers.js';
import type { PaymentService, SettleResult } from './payment-service.js';

export interface WebhookAnswer {
  result: 'recorded' | 'duplicate' | 'ignored';
  reason?: string;
  paymentId?: string;
  dealWon?: boolean;
  events?: string[];
}

export interface PaymentWebhookDeps {
  ctx: AppContext;
  payments: PaymentService;
  /** Outbound HTTP for the re-fetch (default: the egress guard with the tenant's policy). */
  http?: (tenant: Tenant) => GuardedFetch;
  now?: () => number;
}

const ignored = (reason: string): WebhookAnswer => ({ result: 'ignored', reason });

function answerOf(r: SettleResult): WebhookAnswer {
  return r.result === 'duplicate' ? { result: 'duplicate' } : { result: 'recorded', paymentId: r.payment!.id, dealWon: r.dealWon, events: r.events };
}

function parseJson(raw: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    throw new ApiError(400, 'invalid_json', 'request body is not valid JSON', [{ path: '/body', code: 'invalid_json', message: 'not JSON' }]);
  }
  assertJson(value, '/body');
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ApiError(400, 'invalid_request', 'the body must be a JSON object', [{ path: '/body', code: 'type', message: 'must be an object' }]);
  return value as Record<string, unknown>;
}

const strings = (data: Record<string, unknown>): Record<string, string> => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));

export class PaymentWebhooks {
  private readonly now: () => number;

  constructor(private readonly deps: PaymentWebhookDeps) {
    this.now = deps.now ?? Date.now;
  }

  private httpFor(tenant: Tenant): GuardedFetch {
    return this.deps.http?.(tenant) ?? createGuardedFetch({ allowPrivateNetwork: tenant.settings.allowPrivateNetwork === true });
  }

  async tenant(slug: string): Promise<Tenant> {
    const tenant = await this.deps.ctx.tenants.bySlug(slug);
    if (!tenant) throw new ApiError(404, 'not_found', 'no payment webhook answers this URL');
    return tenant;
  }

  /** The tenant's credentials of a type that have a webhook secret, decrypted. */
  private async secrets(tenantId: string, type: PaymentProvider): Promise<{ name: string; data: Record<string, string> }[]> {
    const repo = this.deps.ctx.credentials(tenantId);
    const out: { name: string; data: Record<string, string> }[] = [];
    for (const meta of await repo.list()) {
      if (meta.type !== type) continue;
      try {
        const c = await repo.reveal(meta.id, { by: 'id' });
        if (c && typeof c.data.webhookSecret === 'string' && c.data.webhookSecret !== '') out.push({ name: c.name, data: strings(c.data) });
      } catch (err) {
        // Sealed under another master key, or tampered with: it authenticates nothing.
        this.deps.ctx.log.error({ err, credential: meta.name }, 'a payment credential cannot be decrypted');
      }
    }
    return out;
  }

  private async settle(tenant: Tenant, metadata: Record<string, unknown>, payment: Omit<NewPayment, 'dealId'>): Promise<WebhookAnswer> {
    if (metadata[META_TENANT] !== tenant.id) return ignored('not_a_tadfuq_payment_of_this_workspace');
    if (payment.currency.toUpperCase() !== 'SAR') return ignored('not_sar');
    const dealId = typeof metadata[META_DEAL] === 'string' ? (metadata[META_DEAL] as string) : null;
    return answerOf(await this.deps.payments.settle(tenant.id, { ...payment, currency: 'SAR', dealId }, this.now()));
  }

  async moyasar(slug: string, raw: Buffer): Promise<WebhookAnswer> {
    const tenant = await this.tenant(slug);
    const body = parseJson(raw);
    const token = typeof body.secret_token === 'string' ? body.secret_token : '';
    const credential = (await this.secrets(tenant.id, 'moyasar')).find((c) => sameSecret(token, c.data.webhookSecret!));
    if (!credential) {
      this.deps.ctx.log.warn({ tenant: tenant.slug }, 'moyasar webhook with a missing or wrong secret_token refused');
      throw new ApiError(401, 'invalid_secret', 'the secret_token does not match a Moyasar credential of this workspace', [{ path: '/body/secret_token', code: 'invalid_secret', message: 'does not match' }]);
    }
    const type = String(body.type ?? '');
    // Moyasar's documentation spells the failure event both ways.
    const status = type === 'payment_paid' ? 'paid' : type === 'payment_failed' || type === 'payment_faild' ? 'failed' : null;
    if (!status) return ignored(`event_type:${type.slice(0, 50)}`);
    const data = body.data && typeof body.data === 'object' ? (body.data as Record<string, unknown>) : {};
    if (typeof data.id !== 'string' || data.id === '' || data.id.length > 200) {
      throw new ApiError(400, 'invalid_request', 'the event has no payment id', [{ path: '/body/data/id', code: 'required', message: 'the payment id' }]);
    }
    const c: MoyasarCredential = { secretKey: credential.data.secretKey!, ...(credential.data.baseUrl ? { baseUrl: credential.data.baseUrl } : {}) };
    const http = this.httpFor(tenant);
    let payment;
    let metadata: Record<string, unknown>;
    try {
      payment = await moyasarFetchPayment(http, c, data.id);
      metadata = payment.metadata;
      if (metadata[META_TENANT] === undefined && payment.invoiceId) metadata = (await moyasarFetchInvoice(http, c, payment.invoiceId)).metadata;
    } catch (err) {
      if (!(err instanceof NodeFailure)) throw err;
      this.deps.ctx.log.warn({ tenant: tenant.slug, code: err.code, err: err.message }, 'moyasar payment re-fetch failed');
      if (err.code === 'payment_provider_refused') return ignored('unknown_payment');
      throw new ApiError(502, 'gateway_unavailable', 'Moyasar did not confirm the payment; send the webhook again');
    }
    // Moyasar's own answer decides: a webhook saying paid for a payment that is not is ignored.
    if (payment.status !== status) return ignored(`status_is_${payment.status.slice(0, 30)}`);
    return this.settle(tenant, metadata, { provider: 'moyasar', providerPaymentId: payment.id, providerEventId: typeof body.id === 'string' ? body.id.slice(0, 200) : null, linkId: payment.invoiceId, amountHalalas: payment.amountHalalas, currency: payment.currency, status });
  }

  async stripe(slug: string, raw: Buffer, signature: string | undefined): Promise<WebhookAnswer> {
    const tenant = await this.tenant(slug);
    const Stripe = await loadStripe();
    // constructEvent needs no API key; the signing secret is per webhook endpoint.
    const webhooks = new Stripe('sk_unused', { telemetry: false }).webhooks;
    let event: ReturnType<typeof webhooks.constructEvent> | null = null;
    if (signature) {
      for (const c of await this.secrets(tenant.id, 'stripe')) {
        try {
          event = webhooks.constructEvent(raw, signature, c.data.webhookSecret!);
          break;
        } catch {
          // another credential's endpoint, or a bad signature
        }
      }
    }
    if (!event) {
      this.deps.ctx.log.warn({ tenant: tenant.slug }, 'stripe webhook with a missing or bad signature refused');
      throw new ApiError(401, 'invalid_signature', 'the Stripe-Signature does not match a Stripe credential of this workspace', [{ path: '/headers/stripe-signature', code: 'invalid_signature', message: 'does not match' }]);
    }
    let status: 'paid' | 'failed' | null = null;
    if (event.type === 'checkout.session.completed') {
      if (event.data.object.payment_status !== 'paid') return ignored('awaiting_payment');
      status = 'paid';
    } else if (event.type === 'checkout.session.async_payment_succeeded') status = 'paid';
    else if (event.type === 'checkout.session.async_payment_failed') status = 'failed';
    if (!status) return ignored(`event_type:${event.type.slice(0, 50)}`);
    const session = event.data.object as { id: string; amount_total: number | null; currency: string | null; metadata: Record<string, unknown> | null };
    if (typeof session.amount_total !== 'number' || !Number.isSafeInteger(session.amount_total)) return ignored('no_amount');
    return this.settle(tenant, session.metadata ?? {}, { provider: 'stripe', providerPaymentId: session.id, providerEventId: event.id, linkId: session.id, amountHalalas: session.amount_total, currency: session.currency ?? '', status });
  }
}

// Payment gateway webhooks (server/payments/payment-webhooks.ts: verification, re-fetch, dedupe)
// and the payments recorded for a deal. The webhook routes are public — the gateway proves
// itself with its secret token (Moyasar) or signature (Stripe) — and read the body raw: Stripe
// signs the exact bytes, so no JSON parser may touch them first.
import { Type } from '@sinclair/typebox';
import getRawBody from 'raw-body';
import type { Request } from 'express';
import { notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { route, type RouteSpec } from '../http/route.js';
import { PaymentService, paymentView } from '../payments/payment-service.js';
import { PaymentWebhooks } from '../payments/payment-webhooks.js';
import { ownScope } from '../crm/crm-api.js';

const TenantParams = Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 64, description: 'the workspace slug' }) }, { additionalProperties: false });

const WebhookAnswer = Type.Object(
  {
    result: Type.Union([Type.Literal('recorded'), Type.Literal('duplicate'), Type.Literal('ignored')], { description: 'duplicate: this payment outcome was handled before, nothing changed' }),
    reason: Type.Optional(Type.String()),
    paymentId: Type.Optional(Type.String()),
    dealWon: Type.Optional(Type.Boolean()),
    events: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

const PaymentView = Type.Object(
  {
    id: Type.String(),
    provider: Type.String(),
    providerPaymentId: Type.String(),
    providerEventId: Type.Union([Type.String(), Type.Null()]),
    linkId: Type.Union([Type.String(), Type.Null()]),
    dealId: Type.Union([Type.String(), Type.Null()]),
    amountHalalas: Type.Integer({ description: 'integer halalas (1 SAR = 100)' }),
    amountSar: Type.String({ description: 'the same amount as a decimal string, e.g. "1500.50"' }),
    currency: Type.String(),
    status: Type.String({ description: 'paid | failed' }),
    at: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

const WEBHOOK_ERRORS = { 401: 'bad secret token or signature', 502: 'the gateway did not confirm the payment (it retries)' };

export function paymentRoutes(ctx: AppContext): RouteSpec[] {
  const payments = new PaymentService({ db: ctx.db, events: ctx.events, crm: ctx.crm, audit: ctx.audit });
  const webhooks = new PaymentWebhooks({ ctx, payments });
  const raw = (req: Request): Promise<Buffer> => getRawBody(req, { limit: ctx.config.bodyLimitBytes, length: req.headers['content-length'] });
  return [
    route({
      method: 'post',
      path: '/payments/webhooks/moyasar/:tenant',
      summary:
        'Moyasar webhook (payment_paid, payment_failed): JSON body with secret_token checked against the workspace\'s moyasar credentials; the payment is re-fetched from Moyasar before the deal moves to won and payment.paid is published. Repeats are answered duplicate and change nothing.',
      tag: 'payments',
      access: 'public',
      params: TenantParams,
      response: WebhookAnswer,
      errors: WEBHOOK_ERRORS,
      handler: async ({ params, req }) => webhooks.moyasar(params.tenant, await raw(req)),
    }),
    route({
      method: 'post',
      path: '/payments/webhooks/stripe/:tenant',
      summary:
        'Stripe webhook (checkout.session.completed, checkout.session.async_payment_succeeded/failed): the raw body is verified with the Stripe-Signature header and the endpoint signing secret of the workspace\'s stripe credentials. Repeats are answered duplicate and change nothing.',
      tag: 'payments',
      access: 'public',
      params: TenantParams,
      response: WebhookAnswer,
      errors: WEBHOOK_ERRORS,
      handler: async ({ params, req }) => {
        const signature = req.headers['stripe-signature'];
        return webhooks.stripe(params.tenant, await raw(req), typeof signature === 'string' ? signature : undefined);
      },
    }),
    route({
      method: 'get',
      path: '/deals/:id/payments',
      summary: 'Payments recorded for a deal (from verified gateway webhooks), oldest first; amounts in integer halalas',
      tag: 'payments',
      access: 'deals.read',
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
      response: Type.Object({ items: Type.Array(PaymentView) }, { additionalProperties: false }),
      handler: async ({ params, auth }) => {
        const deal = await ctx.crm.deals(auth.tenant.id).byId(params.id);
        const own = ownScope(auth);
        if (!deal || (own !== null && deal.ownerId !== own)) throw notFound('deal');
        return { items: (await payments.payments(auth.tenant.id).forDeal(deal.id)).map(paymentView) };
      },
    }),
  ];
}

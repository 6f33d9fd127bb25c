// Payment webhooks (server/payments/, routes in server/routes/payments.ts) on SQLite and
// PostgreSQL against local gateways speaking Moyasar's and Stripe's protocols: secret/signature
// checks, Moyasar's payment re-fetched before acting, deals moved to won with payment.paid
// published, repeated webhooks deduplicated (nothing changes, nothing is published again), and
// amounts exact in integer halalas on both databases.
import { expect } from 'chai';
import request from 'supertest';
import type { RequestListener } from 'node:http';
import Stripe from 'stripe';
import { createGuardedFetch } from '../../engine/index.js';
import type { AppContext } from '../../server/app-context.js';
import { DomainEventRepository } from '../../db/domain-event-repository.js';
import { META_DEAL, META_TENANT, moyasarCreateInvoice, stripeCreateCheckout } from '../../nodes/shared/payment-providers.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { requirePostgres, type Dialect } from '../helpers/databases.js';
import { openApiEnv, type ApiEnv } from '../helpers/api-env.js';
import { startFakePayments, type FakePayments } from '../helpers/fake-payments.js';

type Obj = Record<string, unknown>;
const MOYASAR_SECRET = 'moyasar-webhook-token-0123456789';
const STRIPE_SECRET = 'whsec_test_0123456789abcdefghij';
const MAX_HALALAS = 99_999_999_999_999; // 999,999,999,999.99 SAR: past 2^53 / 100, exact only as an integer

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  describe(`payment webhooks (${dialect})`, function () {
    this.timeout(120_000);
    let env: ApiEnv | undefined;
    let ctx: AppContext;
    let app: RequestListener;
    let gw: FakePayments;
    let tenantId: string;
    let otherTenantId: string;
    let admin: TestMember;
    let contactId: string;
    const http = createGuardedFetch({ allowPrivateNetwork: true });
    const stripe = new Stripe('sk_unused');
    const events = (type: string) => new DomainEventRepository(ctx.db, tenantId).list({ type, limit: 100 });
    const paymentRows = async (dealId: string) => ctx.db.sql.query('SELECT provider, status, amount_halalas FROM payments WHERE tenant_id = $1 AND deal_id = $2', [tenantId, dealId]);

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      env = await openApiEnv(dialect, 'payments');
      ({ ctx, app } = env);
      gw = await startFakePayments();
      const tenant = await ctx.tenants.ensure('pay-a', 'Pay A');
      tenantId = tenant.id;
      otherTenantId = (await ctx.tenants.ensure('pay-b', 'Pay B')).id;
      // The gateways are on loopback.
      const settings = { ...tenant.settings, allowPrivateNetwork: true };
      await ctx.tenants.updateSettings(tenantId, settings);
      ctx.tenantSettings.set(tenantId, settings);
      admin = await addMember(ctx, tenantId, 'admin');
      const api = (body: Obj) => request(app).post('/api/v1/credentials').set(admin.headers).send(body);
      await api({ name: 'moyasar', type: 'moyasar', data: { secretKey: gw.moyasarKey, webhookSecret: MOYASAR_SECRET, baseUrl: `${gw.url}/v1` } }).expect(201);
      await api({ name: 'stripe', type: 'stripe', data: { secretKey: gw.stripeKey, webhookSecret: STRIPE_SECRET, baseUrl: gw.url } }).expect(201);
      contactId = (await ctx.contacts(tenantId).create({ name: 'مؤسسة الدفع', phone: '+966500000077' })).id;
    });

    after(async () => {
      await gw?.close();
      await env?.close();
    });

    const newDeal = (valueSar = '1500.50') => ctx.crm.createDeal(tenantId, { title: 'Payable', stage: 'proposal', valueSar, contactId }, { actor: 'test' });
    const meta = (dealId: string, tenant = tenantId) => ({ [META_TENANT]: tenant, [META_DEAL]: dealId });
    const moyasarHook = (body: Obj, slug = 'pay-a') => request(app).post(`/api/v1/payments/webhooks/moyasar/${slug}`).set('content-type', 'application/json').send(JSON.stringify(body));
    const stripeHook = (payload: string, signature: string, slug = 'pay-a') => request(app).post(`/api/v1/payments/webhooks/stripe/${slug}`).set('content-type', 'application/json').set('stripe-signature', signature).send(payload);
    const sign = (payload: string, secret = STRIPE_SECRET) => stripe.webhooks.generateTestHeaderString({ payload, secret });

    describe('Moyasar', () => {
      it('re-fetches the payment, moves the deal to won, publishes payment.paid once; a repeat changes nothing', async () => {
        const deal = await newDeal();
        const link = await moyasarCreateInvoice(http, { secretKey: gw.moyasarKey, baseUrl: `${gw.url}/v1` }, { amountHalalas: 150050, description: 'Payable', metadata: meta(deal.id), idempotencyKey: 'k' });
        const hook = gw.pay(link.id, 'paid', MOYASAR_SECRET);
        const paymentId = (hook.data as Obj).id as string;
        const first = await moyasarHook(hook);
        expect(first.status, JSON.stringify(first.body)).to.equal(200);
        expect(first.body).to.deep.include({ result: 'recorded', dealWon: true, events: ['deal.updated', 'deal.stage_changed', 'payment.paid'] });
        // Acted on Moyasar's answer: the payment (and its invoice, for the deal) were fetched with the secret key.
        expect(gw.requests.filter((r) => r.method === 'GET').map((r) => r.path)).to.include.members([`/v1/payments/${paymentId}`, `/v1/invoices/${link.id}`]);
        expect((await ctx.crm.deals(tenantId).byId(deal.id))?.stage).to.equal('won');
        const paid = (await events('payment.paid')).filter((e) => (e.data as { deal: { id: string } }).deal.id === deal.id);
        expect(paid).to.have.length(1);
        expect(paid[0]).to.deep.include({ id: `payment.paid:moyasar:${paymentId}`, subject: contactId, source: 'payment' });
        expect((paid[0]!.data as { payment: Obj }).payment).to.deep.include({ provider: 'moyasar', amountHalalas: 150050, amountSar: '1500.50', currency: 'SAR', linkId: link.id, status: 'paid' });

        const again = await moyasarHook(hook).expect(200);
        expect(again.body).to.deep.equal({ result: 'duplicate' });
        expect(await paymentRows(deal.id)).to.have.length(1);
        expect((await events('payment.paid')).filter((e) => (e.data as { deal: { id: string } }).deal.id === deal.id)).to.have.length(1);
        expect((await events('deal.stage_changed')).filter((e) => (e.data as { deal: { id: string } }).deal.id === deal.id)).to.have.length(1);
      });

      it('refuses a wrong or missing secret_token (401) and an unknown workspace (404), recording nothing', async () => {
        const deal = await newDeal();
        const link = await moyasarCreateInvoice(http, { secretKey: gw.moyasarKey, baseUrl: `${gw.url}/v1` }, { amountHalalas: 10_000, description: 'x', metadata: meta(deal.id), idempotencyKey: 'k' });
        const hook = gw.pay(link.id, 'paid', 'not-the-secret-token-000000');
        const wrong = await moyasarHook(hook).expect(401);
        expect(wrong.body.error).to.deep.include({ code: 'invalid_secret' });
        expect(wrong.body.error.details[0]).to.include({ path: '/body/secret_token' });
        const { secret_token: _dropped, ...missing } = hook;
        await moyasarHook(missing).expect(401);
        await moyasarHook({ ...hook, secret_token: MOYASAR_SECRET }, 'no-such-workspace').expect(404);
        const bad = await request(app).post('/api/v1/payments/webhooks/moyasar/pay-a').set('content-type', 'application/json').send('{not json').expect(400);
        expect(bad.body.error.code).to.equal('invalid_json');
        expect(await paymentRows(deal.id)).to.have.length(0);
        expect((await ctx.crm.deals(tenantId).byId(deal.id))?.stage).to.equal('proposal');
      });

      it('trusts Moyasar, not the webhook body: a forged "paid" for a failed payment or a tampered amount', async () => {
        const deal = await newDeal();
        const link = await moyasarCreateInvoice(http, { secretKey: gw.moyasarKey, baseUrl: `${gw.url}/v1` }, { amountHalalas: 20_000, description: 'x', metadata: meta(deal.id), idempotencyKey: 'k' });
        const failed = gw.pay(link.id, 'failed', MOYASAR_SECRET);
        const forged = await moyasarHook({ ...failed, type: 'payment_paid' }).expect(200);
        expect(forged.body).to.deep.equal({ result: 'ignored', reason: 'status_is_failed' });
        expect((await ctx.crm.deals(tenantId).byId(deal.id))?.stage).to.equal('proposal');
        // The real failure is recorded and published as payment.failed; the deal stays where it was.
        const real = await moyasarHook(failed).expect(200);
        expect(real.body).to.deep.include({ result: 'recorded', dealWon: false, events: ['payment.failed'] });
        const unknown = await moyasarHook({ ...failed, data: { ...(failed.data as Obj), id: 'no-such-payment' } }).expect(200);
        expect(unknown.body).to.deep.equal({ result: 'ignored', reason: 'unknown_payment' });
        // A paid webhook claiming 1 halala: the amount recorded is the gateway's.
        const paid = gw.pay(link.id, 'paid', MOYASAR_SECRET);
        await moyasarHook({ ...paid, data: { ...(paid.data as Obj), amount: 1 } }).expect(200);
        expect((await paymentRows(deal.id)).map((r) => [r.status, Number(r.amount_halalas)])).to.have.deep.members([
          ['failed', 20_000],
          ['paid', 20_000],
        ]);
      });

      it('ignores payments of another workspace and event types it does not act on', async () => {
        const deal = await newDeal();
        const link = await moyasarCreateInvoice(http, { secretKey: gw.moyasarKey, baseUrl: `${gw.url}/v1` }, { amountHalalas: 5_000, description: 'x', metadata: meta(deal.id, otherTenantId), idempotencyKey: 'k' });
        const hook = gw.pay(link.id, 'paid', MOYASAR_SECRET);
        expect((await moyasarHook(hook).expect(200)).body).to.deep.equal({ result: 'ignored', reason: 'not_a_tadfuq_payment_of_this_workspace' });
        expect((await moyasarHook({ ...hook, type: 'payment_refunded' }).expect(200)).body).to.deep.equal({ result: 'ignored', reason: 'event_type:payment_refunded' });
        expect(await paymentRows(deal.id)).to.have.length(0);
      });

      it('keeps the largest amount exact in halalas (BIGINT, read back as an integer)', async () => {
        const deal = await newDeal('999999999999.99');
        const link = await moyasarCreateInvoice(http, { secretKey: gw.moyasarKey, baseUrl: `${gw.url}/v1` }, { amountHalalas: MAX_HALALAS, description: 'max', metadata: meta(deal.id), idempotencyKey: 'k' });
        await moyasarHook(gw.pay(link.id, 'paid', MOYASAR_SECRET)).expect(200);
        const typeSql =
          dialect === 'postgres'
            ? 'SELECT pg_typeof(amount_halalas)::text AS t, amount_halalas::text AS v FROM payments WHERE tenant_id = $1 AND deal_id = $2'
            : 'SELECT typeof(amount_halalas) AS t, CAST(amount_halalas AS TEXT) AS v FROM payments WHERE tenant_id = $1 AND deal_id = $2';
        expect((await ctx.db.sql.query(typeSql, [tenantId, deal.id]))[0]).to.deep.equal({ t: dialect === 'postgres' ? 'bigint' : 'integer', v: String(MAX_HALALAS) });
        const listed = await request(app).get(`/api/v1/deals/${deal.id}/payments`).set(admin.headers).expect(200);
        expect(listed.body.items).to.have.length(1);
        expect(listed.body.items[0]).to.deep.include({ amountHalalas: MAX_HALALAS, amountSar: '999999999999.99', currency: 'SAR', status: 'paid', provider: 'moyasar' });
      });
    });

    describe('Stripe', () => {
      async function session(dealId: string, amountHalalas: number, tenant = tenantId) {
        return stripeCreateCheckout(http, { secretKey: gw.stripeKey, baseUrl: gw.url }, { amountHalalas, description: 'Stripe deal', metadata: meta(dealId, tenant), successUrl: 'https://example.sa/ok', idempotencyKey: `k-${tenant}-${dealId}` });
      }

      it('verifies the signature on the raw body, wins the deal, publishes payment.paid once', async () => {
        const deal = await newDeal('2500.75');
        const link = await session(deal.id, 250_075);
        const payload = JSON.stringify(gw.complete(link.id));
        const first = await stripeHook(payload, sign(payload));
        expect(first.status, JSON.stringify(first.body)).to.equal(200);
        expect(first.body).to.deep.include({ result: 'recorded', dealWon: true, events: ['deal.updated', 'deal.stage_changed', 'payment.paid'] });
        expect((await ctx.crm.deals(tenantId).byId(deal.id))?.stage).to.equal('won');
        const [row] = await paymentRows(deal.id);
        expect([row?.provider, row?.status, Number(row?.amount_halalas)]).to.deep.equal(['stripe', 'paid', 250_075]);
        // Stripe retries with the same event (a fresh signature): nothing more happens.
        expect((await stripeHook(payload, sign(payload)).expect(200)).body).to.deep.equal({ result: 'duplicate' });
        expect(await paymentRows(deal.id)).to.have.length(1);
        expect((await events('payment.paid')).filter((e) => (e.data as { deal: { id: string } }).deal.id === deal.id)).to.have.length(1);
      });

      it('settles once when the same event arrives twice at the same moment', async () => {
        const deal = await newDeal();
        const link = await session(deal.id, 123_456);
        const payload = JSON.stringify(gw.complete(link.id));
        const answers = await Promise.all([stripeHook(payload, sign(payload)), stripeHook(payload, sign(payload)), stripeHook(payload, sign(payload))]);
        expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200]);
        expect(answers.map((a) => a.body.result).sort()).to.deep.equal(['duplicate', 'duplicate', 'recorded']);
        expect(await paymentRows(deal.id)).to.have.length(1);
        expect((await events('payment.paid')).filter((e) => (e.data as { deal: { id: string } }).deal.id === deal.id)).to.have.length(1);
      });

      it('refuses a bad, missing or other-secret signature and a body changed after signing (401)', async () => {
        const deal = await newDeal();
        const link = await session(deal.id, 150_050);
        const payload = JSON.stringify(gw.complete(link.id));
        const other = await stripeHook(payload, sign(payload, 'whsec_someone_else_0000000000')).expect(401);
        expect(other.body.error).to.deep.include({ code: 'invalid_signature' });
        await request(app).post('/api/v1/payments/webhooks/stripe/pay-a').set('content-type', 'application/json').send(payload).expect(401);
        const tampered = payload.replace('"amount_total":150050', '"amount_total":1');
        expect(tampered).to.not.equal(payload);
        await stripeHook(tampered, sign(payload)).expect(401);
        // Re-serialised JSON (spaces) is not the signed bytes either.
        await stripeHook(JSON.stringify(JSON.parse(payload), null, 1), sign(payload)).expect(401);
        expect(await paymentRows(deal.id)).to.have.length(0);
      });

      it('ignores unpaid sessions, other event types and other workspaces’ sessions', async () => {
        const deal = await newDeal();
        const link = await session(deal.id, 10_000);
        const completed = gw.complete(link.id) as { data: { object: Obj } };
        const unpaid = JSON.stringify({ ...completed, data: { object: { ...completed.data.object, payment_status: 'unpaid' } } });
        expect((await stripeHook(unpaid, sign(unpaid)).expect(200)).body).to.deep.equal({ result: 'ignored', reason: 'awaiting_payment' });
        const expired = JSON.stringify({ ...completed, type: 'checkout.session.expired' });
        expect((await stripeHook(expired, sign(expired)).expect(200)).body).to.deep.equal({ result: 'ignored', reason: 'event_type:checkout.session.expired' });
        const foreign = await session(deal.id, 10_000, otherTenantId);
        const foreignEvent = JSON.stringify(gw.complete(foreign.id));
        expect((await stripeHook(foreignEvent, sign(foreignEvent)).expect(200)).body).to.deep.equal({ result: 'ignored', reason: 'not_a_tadfuq_payment_of_this_workspace' });
        expect(await paymentRows(deal.id)).to.have.length(0);
      });
    });

    // In a describe of its own: mocha runs a suite's own tests before its nested suites.
    describe('afterwards', () => {
    it('keeps the keys and webhook secrets out of payments, events and the audit log', async () => {
      const rows = JSON.stringify([
        await ctx.db.sql.query('SELECT * FROM payments'),
        await ctx.db.sql.query('SELECT * FROM domain_events'),
        await ctx.db.sql.query('SELECT * FROM audit_log'),
      ]);
      expect(rows).to.include('payment.paid');
      for (const secret of [MOYASAR_SECRET, STRIPE_SECRET, gw.moyasarKey, gw.stripeKey]) expect(rows.includes(secret), secret).to.equal(false);
    });
    });

    it('documents the webhook routes in the OpenAPI document (public, no credentials)', async () => {
      const doc = (await request(app).get('/api/v1/openapi.json').expect(200)).body as { paths: Record<string, Record<string, { security?: unknown[]; tags: string[] }>> };
      for (const provider of ['moyasar', 'stripe']) {
        const op = doc.paths[`/api/v1/payments/webhooks/${provider}/{tenant}`]?.post;
        expect(op, provider).to.not.equal(undefined);
        expect(op).to.deep.include({ security: [], tags: ['payments'] });
      }
    });
  });
}

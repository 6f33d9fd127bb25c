// The payment flow of issue 20, end to end on the embedded runtime and local servers speaking
// Moyasar's, Stripe's and UltraMsg's APIs (nothing leaves the machine):
//   deal moved to "proposal" → (flow 1: trigger.event → payment.link) a Moyasar invoice or a
//   Stripe Checkout Session for the deal's value → the payer pays on the (local) gateway → its
//   webhook (Moyasar: secret token, payment re-fetched; Stripe: signed raw body) → the deal
//   won, payment.paid → (flow 2: trigger.event →
//   send.whatsapp) a receipt through the outbox and UltraMsg — once: the gateway repeating its
//   webhook changes nothing and sends nothing.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RequestListener } from 'node:http';
import { createContext, type AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { DomainEventRepository } from '../../db/domain-event-repository.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { startFakeUltraMsg, type FakeUltraMsg } from '../helpers/fake-ultramsg.js';
import { startFakePayments, type FakePayments } from '../helpers/fake-payments.js';
import Stripe from 'stripe';

type Obj = Record<string, unknown>;
const WEBHOOK_SECRET = 'moyasar-e2e-secret-token-0123456789';
const STRIPE_SECRET = 'whsec_e2e_0123456789abcdefghij';
const PHONE = '+966501234567';
const edge = (id: string, from: string, to: string) => ({ id, from: { node: from, port: 'out' }, to: { node: to, port: 'in' } });

const linkFlow = (provider: 'moyasar' | 'stripe') => ({
  schemaVersion: 1,
  name: 'رابط الدفع — Payment link on proposal',
  nodes: [
    { id: 'proposal', type: 'trigger.event', params: { event: 'deal.stage_changed', filter: '=data.to = "proposal"' } },
    {
      id: 'link',
      type: 'payment.link',
      params: {
        provider,
        credential: provider,
        dealId: '=$trigger.data.deal.id',
        amountSar: '=$trigger.data.deal.valueSar',
        description: '="عرض سعر — " & $trigger.data.deal.title',
        successUrl: 'https://example.sa/thanks',
      },
    },
  ],
  edges: [edge('e1', 'proposal', 'link')],
});

const RECEIPT_FLOW = {
  schemaVersion: 1,
  name: 'إيصال الدفع — Payment receipt',
  nodes: [
    { id: 'paid', type: 'trigger.event', params: { event: 'payment.paid' } },
    {
      id: 'receipt',
      type: 'send.whatsapp',
      params: {
        purpose: 'transactional',
        template: { name: 'payment_receipt', language: 'ar', variables: { amount: '=$trigger.data.payment.amountSar', deal: '=$trigger.data.deal.title' } },
        text: 'شكراً لك، استلمنا {{amount}} ريال عن {{deal}} — Payment received: {{amount}} SAR',
        credential: 'whatsapp',
      },
    },
  ],
  edges: [edge('e1', 'paid', 'receipt')],
};

for (const provider of ['moyasar', 'stripe'] as const) describe(`e2e (${provider}): deal → payment.link → paid → verified webhook → deal won → WhatsApp receipt, once`, function () {
  this.timeout(60_000);
  let dataDir: string;
  let ctx: AppContext;
  let app: RequestListener;
  let gw: FakePayments;
  let ultramsg: FakeUltraMsg;
  let admin: TestMember;
  let tenantId: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-e2e-pay-'));
    ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: '' }), pino({ level: 'silent' }));
    await ctx.runtime.start();
    app = createApp(ctx);
    gw = await startFakePayments();
    ultramsg = await startFakeUltraMsg();
    const tenant = await ctx.tenants.ensure('pay-e2e', 'Pay E2E');
    tenantId = tenant.id;
    // The local gateway and UltraMsg are on loopback.
    const settings = { ...tenant.settings, allowPrivateNetwork: true };
    await ctx.tenants.updateSettings(tenant.id, settings);
    ctx.tenantSettings.set(tenant.id, settings);
    admin = await addMember(ctx, tenant.id, 'admin');
    const api = (method: 'post' | 'put', url: string, body: object) => request(app)[method](`/api/v1${url}`).set(admin.headers).send(body);
    await api('post', '/credentials', { name: 'moyasar', type: 'moyasar', data: { secretKey: gw.moyasarKey, webhookSecret: WEBHOOK_SECRET, baseUrl: `${gw.url}/v1` } }).expect(201);
    await api('post', '/credentials', { name: 'stripe', type: 'stripe', data: { secretKey: gw.stripeKey, webhookSecret: STRIPE_SECRET, baseUrl: gw.url } }).expect(201);
    await api('post', '/credentials', { name: 'whatsapp', type: 'ultramsg', data: { instanceId: ultramsg.instanceId, token: ultramsg.token, baseUrl: ultramsg.url } }).expect(201);
    await api('put', '/send-policy', { channels: { whatsapp: { respectBusinessHours: false } } }).expect(200);
    for (const definition of [linkFlow(provider), RECEIPT_FLOW]) {
      const flow = await api('post', '/flows', { name: definition.name, definition }).expect(201);
      await api('post', `/flows/${flow.body.id as string}/publish`, {}).expect(201);
    }
  });

  after(async () => {
    await ctx?.close();
    await gw?.close();
    await ultramsg?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const events = (type: string) => new DomainEventRepository(ctx.db, tenantId).list({ type, limit: 50 });
  const messagesTo = (phone: string) => ultramsg.requests.filter((r) => r.to.replace(/\D/g, '') === phone.replace(/\D/g, ''));

  it('wins the deal and sends one receipt; a repeated webhook changes nothing and sends nothing', async () => {
    const contact = await request(app).post('/api/v1/contacts').set(admin.headers).send({ name: 'خالد الدوسري', phone: PHONE, locale: 'ar' }).expect(201);
    const contactId = contact.body.id as string;
    await request(app)
      .post(`/api/v1/contacts/${contactId}/consents/grant`)
      .set(admin.headers)
      .send({ channel: 'whatsapp', purpose: 'transactional', source: 'web_form', evidence: { form: 'https://example.sa/checkout', text: 'أوافق على استلام الإيصالات عبر واتساب' } })
      .expect(200);
    const deal = (await request(app).post('/api/v1/deals').set(admin.headers).send({ title: 'نظام المبيعات', contactId, valueSar: '1500.50', stage: 'qualified' }).expect(201)).body as Obj;
    await request(app).patch(`/api/v1/deals/${deal.id as string}`).set(admin.headers).send({ stage: 'proposal' }).expect(200);

    // Flow 1 created the gateway's link for the deal's value, in halalas.
    const [moved] = await events('deal.stage_changed');
    expect(moved?.started).to.have.length(1);
    const linkRun = await ctx.runtime.result(moved!.started![0]!.executionId, true, 20_000);
    expect(linkRun.status, JSON.stringify(linkRun.error)).to.equal('succeeded');
    const link = linkRun.output as Obj;
    expect(link).to.deep.include({ provider, amountHalalas: 150050, currency: 'SAR', dealId: deal.id });
    if (provider === 'moyasar') {
      const created = gw.requests.find((r) => r.method === 'POST' && r.path === '/v1/invoices')!;
      expect(created.body).to.deep.include({ amount: 150050, currency: 'SAR', description: 'عرض سعر — نظام المبيعات' });
    } else {
      const created = gw.requests.find((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions')!;
      expect(created.body.line_items).to.deep.equal([{ quantity: '1', price_data: { currency: 'sar', unit_amount: '150050', product_data: { name: 'عرض سعر — نظام المبيعات' } } }]);
    }
    expect(messagesTo(PHONE)).to.have.length(0);

    // The payer pays on the gateway, which calls the webhook (Moyasar: its secret token; Stripe: a signature over the raw body).
    let deliver: () => request.Test;
    if (provider === 'moyasar') {
      const hook = JSON.stringify(gw.pay(link.id as string, 'paid', WEBHOOK_SECRET));
      deliver = () => request(app).post('/api/v1/payments/webhooks/moyasar/pay-e2e').set('content-type', 'application/json').send(hook);
    } else {
      const payload = JSON.stringify(gw.complete(link.id as string));
      const stripe = new Stripe('sk_unused');
      deliver = () => request(app).post('/api/v1/payments/webhooks/stripe/pay-e2e').set('content-type', 'application/json').set('stripe-signature', stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET })).send(payload);
    }
    const first = await deliver();
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    expect(first.body).to.deep.include({ result: 'recorded', dealWon: true });
    expect((await request(app).get(`/api/v1/deals/${deal.id as string}`).set(admin.headers).expect(200)).body.stage).to.equal('won');

    // payment.paid started flow 2: the receipt went out through the outbox and UltraMsg.
    const [paid] = await events('payment.paid');
    expect(paid?.subject).to.equal(contactId);
    expect(paid?.started).to.have.length(1);
    const receiptRun = await ctx.runtime.result(paid!.started![0]!.executionId, true, 20_000);
    expect(receiptRun.status, JSON.stringify(receiptRun.error)).to.equal('succeeded');
    const sent = messagesTo(PHONE);
    expect(sent).to.have.length(1);
    expect(sent[0]!.body).to.include('1500.50').and.include('نظام المبيعات');
    const executionsBefore = (await ctx.db.sql.query('SELECT id FROM executions WHERE tenant_id = $1', [tenantId])).length;

    // The gateway repeats its webhook: duplicate, and nothing more happens.
    const again = await deliver().expect(200);
    expect(again.body).to.deep.equal({ result: 'duplicate' });
    expect(await events('payment.paid')).to.have.length(1);
    expect(await events('deal.stage_changed')).to.have.length(2); // → proposal, → won
    expect((await ctx.db.sql.query('SELECT id FROM executions WHERE tenant_id = $1', [tenantId])).length).to.equal(executionsBefore);
    expect(messagesTo(PHONE)).to.have.length(1);
    const outbox = await ctx.db.sql.query("SELECT status FROM outbound_messages WHERE tenant_id = $1 AND channel = 'whatsapp'", [tenantId]);
    expect(outbox.map((r) => r.status)).to.deep.equal(['sent']);
    const payments = (await request(app).get(`/api/v1/deals/${deal.id as string}/payments`).set(admin.headers).expect(200)).body.items as Obj[];
    expect(payments.map((p) => [p.status, p.amountHalalas, p.amountSar])).to.deep.equal([['paid', 150050, '1500.50']]);
  });
});

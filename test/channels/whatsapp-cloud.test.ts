// The WhatsApp Cloud API against a local Graph API speaking its protocol (nothing leaves the
// machine): sends (text, templates with variables and language), the failure classes, template
// sync, and the deployment's ONE webhook — verification handshake, X-Hub-Signature-256 on the
// raw body, deduplication, statuses out of order, routing by phone_number_id to two tenants —
// and the cost estimate on the outbox row. On SQLite and PostgreSQL.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import http, { type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createContext, type AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import type { TenantSettings } from '../../db/tenant-repository.js';
import type { Contact } from '../../db/contacts/index.js';
import { InboundMessageRepository } from '../../db/inbound-message-repository.js';
import { PhoneNumberTaken, WhatsAppTemplateRepository } from '../../db/whatsapp-repository.js';
import { ProviderError, type OutboundMessage } from '../../server/channels/provider.js';
import { WhatsAppCloudProvider, fetchTemplates, messageBody } from '../../server/channels/whatsapp-cloud.js';
import { signatureOf, validSignature, interpretWhatsAppWebhook } from '../../server/channels/whatsapp-webhook.js';
import { SAUDI_PRICE_HALALAS, estimateWhatsAppCost } from '../../server/channels/whatsapp-pricing.js';
import type { SendRequest, SendResult } from '../../engine/index.js';
import { AnalyticsService } from '../../server/analytics/analytics-service.js';
import { addMember } from '../helpers/api-auth.js';
import { DIALECTS, createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { GRAPH_TOKEN, startFakeWhatsAppCloud, type FakeWhatsAppCloud } from '../helpers/fake-whatsapp-cloud.js';

const TO = '+966551234567';
const OPEN = { allowPrivateNetwork: true };
const APP_SECRET = 'meta-app-secret-0123456789abcdef';
const VERIFY_TOKEN = 'tadfuq-verify-token-42';
const NUMBER_A = '106540352242922';
const NUMBER_B = '107777777777777';
const signal = () => new AbortController().signal;

const OPEN_POLICY = {
  timezone: 'Asia/Riyadh',
  businessDays: [0, 1, 2, 3, 4, 5, 6],
  businessHours: { start: '00:00', end: '24:00' },
  channels: Object.fromEntries(['whatsapp', 'sms', 'email', 'call'].map((c) => [c, { respectBusinessHours: false, allowedHours: null }])),
  caps: { perContactPerDay: { whatsapp: null, sms: null, email: null, call: null }, perTenantPerDay: { whatsapp: null, sms: null, email: null, call: null } },
};

async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(ProviderError);
    return err as ProviderError;
  }
  expect.fail('expected a ProviderError');
}

async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A webhook body as Meta posts it: one change per phone number id. */
function webhookBody(changes: Array<{ phoneNumberId: string; messages?: unknown[]; statuses?: unknown[] }>): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: changes.map((c) => ({
          field: 'messages',
          value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: c.phoneNumberId }, ...(c.messages ? { messages: c.messages } : {}), ...(c.statuses ? { statuses: c.statuses } : {}) },
        })),
      },
    ],
  });
}

const inboundText = (from: string, id: string, body: string) => ({ from: from.replace(/^\+/, ''), id, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body } });
const status = (id: string, s: string, extra: Record<string, unknown> = {}) => ({ id, status: s, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: TO.slice(1), ...extra });

describe('WhatsApp Cloud API provider', function () {
  this.timeout(60_000);
  let fake: FakeWhatsAppCloud;
  let credential: Record<string, string>;
  const cloud = new WhatsAppCloudProvider({ timeoutMs: 1500 });
  const message = (over: Partial<OutboundMessage> = {}): OutboundMessage => ({ channel: 'whatsapp', to: TO, text: 'مرحبا سارة 👋', referenceId: 'msg-0001', ...over });

  before(async () => {
    fake = await startFakeWhatsAppCloud([NUMBER_A]);
    credential = { accessToken: GRAPH_TOKEN, phoneNumberId: NUMBER_A, businessAccountId: fake.businessAccountId, baseUrl: fake.url };
  });
  after(() => fake.close());
  beforeEach(() => void (fake.requests.length = 0));

  it('posts a text message to /v21.0/{phone number id}/messages with the bearer token; the wamid is the provider id', async () => {
    const result = await cloud.send(message(), credential, signal(), OPEN);
    expect(result.providerMessageId).to.match(/^wamid\./);
    expect(fake.requests).to.have.length(1);
    const got = fake.requests[0]!;
    expect(got.method).to.equal('POST');
    expect(got.path).to.equal(`/v21.0/${NUMBER_A}/messages`);
    expect(got.headers.authorization).to.equal(`Bearer ${GRAPH_TOKEN}`);
    expect(got.body).to.deep.equal({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '966551234567', biz_opaque_callback_data: 'msg-0001', type: 'text', text: { preview_url: false, body: 'مرحبا سارة 👋' } });
  });

  it('sends an approved template with its language and variables (numbered: positional; named: parameter_name)', async () => {
    await cloud.send(message({ text: undefined, template: { name: 'follow_up', language: 'ar', variables: { '2': 'غدًا', '1': 'سارة' } } }), credential, signal(), OPEN);
    expect(fake.requests[0]!.body!.template).to.deep.equal({ name: 'follow_up', language: { code: 'ar' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'سارة' }, { type: 'text', text: 'غدًا' }] }] });
    const named = messageBody(message({ template: { name: 'appointment', language: 'en', variables: { day: 'Sunday' } } }));
    expect(named.template).to.deep.equal({ name: 'appointment', language: { code: 'en' }, components: [{ type: 'body', parameters: [{ type: 'text', parameter_name: 'day', text: 'Sunday' }] }] });
    // A gap in the numbers, or numbered and named mixed, fails before any request.
    expect(() => messageBody(message({ template: { name: 't', variables: { '2': 'x' } } }))).to.throw(ProviderError).with.property('code', 'template_variable_missing');
    expect(() => messageBody(message({ template: { name: 't', variables: { '1': 'x', a: 'y' } } }))).to.throw(ProviderError).with.property('code', 'template_variables_mixed');
  });

  it('definite failures: a refused token (190), an unknown number (100), the closed window (131047); throttling (130429, 429) is retryable', async () => {
    expect(await providerError(cloud.send(message(), { ...credential, accessToken: 'expired' }, signal(), OPEN))).to.include({ code: 'auth_failed', definite: true, retryable: false });
    expect(await providerError(cloud.send(message(), { ...credential, phoneNumberId: '999' }, signal(), OPEN))).to.include({ definite: true, retryable: false });
    fake.next({ kind: 'answer', status: 400, body: { error: { message: 'Re-engagement message', type: 'OAuthException', code: 131047, fbtrace_id: 'x' } } });
    expect(await providerError(cloud.send(message(), credential, signal(), OPEN))).to.include({ code: 'whatsapp_window_closed', definite: true, retryable: false });
    fake.next({ kind: 'answer', status: 400, body: { error: { message: 'Rate limit hit', type: 'OAuthException', code: 130429 } } });
    expect(await providerError(cloud.send(message(), credential, signal(), OPEN))).to.include({ code: 'rate_limited', definite: true, retryable: true });
    fake.next({ kind: 'answer', status: 429, body: {} });
    expect(await providerError(cloud.send(message(), credential, signal(), OPEN))).to.include({ code: 'rate_limited', definite: true, retryable: true });
    const port = await closedPort();
    expect(await providerError(cloud.send(message(), { ...credential, baseUrl: `http://127.0.0.1:${port}` }, signal(), OPEN))).to.include({ code: 'unreachable', definite: true, retryable: true });
  });

  it('uncertain failures: 500, a reset mid-answer, a timeout, a 200 without a message id', async () => {
    fake.next({ kind: 'answer', status: 500, body: { error: { message: 'An unknown error occurred', code: 1 } } });
    expect(await providerError(cloud.send(message(), credential, signal(), OPEN))).to.include({ code: 'provider_error', definite: false });
    fake.next({ kind: 'reset' });
    expect(await providerError(cloud.send(message(), credential, signal(), OPEN))).to.include({ code: 'connection_lost', definite: false });
    fake.next({ kind: 'hang' });
    expect(await providerError(cloud.send(message(), credential, signal(), OPEN))).to.include({ code: 'timeout', definite: false });
    fake.next({ kind: 'answer', status: 200, body: { messaging_product: 'whatsapp', messages: [] } });
    expect(await providerError(cloud.send(message(), credential, signal(), OPEN))).to.include({ code: 'unexpected_answer', definite: false });
  });

  it('goes through the egress guard: a loopback base URL is refused unless the tenant allows private networks', async () => {
    expect(await providerError(cloud.send(message(), credential, signal(), { allowPrivateNetwork: false }))).to.include({ code: 'address_not_allowed', definite: true, retryable: false });
    expect(fake.requests).to.have.length(0);
  });

  it('reads every page of the templates with their status and category', async () => {
    const templates = await fetchTemplates(credential, signal(), OPEN);
    expect(templates.map((t) => [t.name, t.language, t.status, t.category])).to.deep.equal([
      ['follow_up', 'ar', 'APPROVED', 'marketing'],
      ['appointment', 'ar', 'APPROVED', 'utility'],
      ['otp', 'en', 'PENDING', 'authentication'],
    ]);
    expect(templates[1]!.body).to.equal('موعدك يوم {{day}}');
    expect(fake.requests.map((r) => r.query.get('after'))).to.deep.equal([null, 'MjQZD']);
    expect(fake.requests[0]!.path).to.equal(`/v21.0/${fake.businessAccountId}/message_templates`);
  });

  it('prices by category in whole halalas: service free, a utility template free inside the window', () => {
    expect(estimateWhatsAppCost({ template: false, purpose: 'marketing', windowOpen: true })).to.deep.equal({ category: 'service', halalas: 0 });
    expect(estimateWhatsAppCost({ template: true, templateCategory: 'marketing', purpose: 'service', windowOpen: false })).to.deep.equal({ category: 'marketing', halalas: SAUDI_PRICE_HALALAS.marketing });
    expect(estimateWhatsAppCost({ template: true, templateCategory: 'utility', purpose: 'service', windowOpen: true })).to.deep.equal({ category: 'utility', halalas: 0 });
    expect(estimateWhatsAppCost({ template: true, templateCategory: null, purpose: 'service', windowOpen: false })).to.deep.equal({ category: 'utility', halalas: SAUDI_PRICE_HALALAS.utility });
    for (const v of Object.values(SAUDI_PRICE_HALALAS)) expect(Number.isInteger(v)).to.equal(true);
  });

  it('the signature is HMAC-SHA256 of the raw bytes: one changed byte, another secret or a malformed header fails', () => {
    const raw = Buffer.from(webhookBody([{ phoneNumberId: NUMBER_A, statuses: [status('wamid.1', 'read')] }]));
    const good = signatureOf(raw, APP_SECRET);
    expect(validSignature(raw, good, APP_SECRET)).to.equal(true);
    expect(validSignature(Buffer.concat([raw, Buffer.from(' ')]), good, APP_SECRET)).to.equal(false);
    expect(validSignature(raw, signatureOf(raw, 'another secret'), APP_SECRET)).to.equal(false);
    expect(validSignature(raw, good.replace('sha256=', 'sha1='), APP_SECRET)).to.equal(false);
    expect(validSignature(raw, undefined, APP_SECRET)).to.equal(false);
    expect(validSignature(raw, good, undefined)).to.equal(false);
    expect(interpretWhatsAppWebhook({ object: 'page', entry: [] }).events).to.have.length(0);
  });
});

for (const dialect of DIALECTS) {
  describe(`WhatsApp Cloud API webhook and outbox (${dialect})`, function () {
    this.timeout(120_000);
    let tdb: TestDatabase | undefined;
    let ctx: AppContext;
    let app: RequestListener;
    let fake: FakeWhatsAppCloud;
    let tenantA: string;
    let tenantB: string;
    let step = 0;
    let phoneSeq = 3_000_000;

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      tdb = await createTestDatabase(dialect);
      await tdb.db.close();
      ctx = await createContext(
        loadConfig({ TADFUQ_DATA_DIR: tdb.dataDir, DATABASE_URL: tdb.url ?? '', TADFUQ_WHATSAPP_APP_SECRET: APP_SECRET, TADFUQ_WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN }),
        pino({ level: 'silent' }),
      );
      await ctx.runtime.start();
      ctx.outbox.providers.register(new WhatsAppCloudProvider({ timeoutMs: 3000 }), { account: (c) => c.phoneNumberId ?? 'default' });
      app = createApp(ctx);
      fake = await startFakeWhatsAppCloud([NUMBER_A, NUMBER_B]);
      tenantA = (await ctx.tenants.ensure('wa-a', 'WhatsApp A', { sendPolicy: OPEN_POLICY, allowPrivateNetwork: true } as TenantSettings)).id;
      tenantB = (await ctx.tenants.ensure('wa-b', 'WhatsApp B', { sendPolicy: OPEN_POLICY, allowPrivateNetwork: true } as TenantSettings)).id;
      await ctx.credentials(tenantA).create({ name: 'wa', type: 'whatsapp-cloud', data: { accessToken: GRAPH_TOKEN, phoneNumberId: NUMBER_A, businessAccountId: fake.businessAccountId, baseUrl: fake.url }, createdBy: 'test' });
      await ctx.credentials(tenantB).create({ name: 'wa', type: 'whatsapp-cloud', data: { accessToken: GRAPH_TOKEN, phoneNumberId: NUMBER_B, baseUrl: fake.url }, createdBy: 'test' });
    });

    after(async () => {
      await ctx?.close();
      await fake?.close();
      await tdb?.drop();
    });

    async function newContact(tenantId: string, phone = `+9665${String(phoneSeq++).padStart(8, '0')}`, lastInboundAt: number | null = Date.now() - 3_600_000): Promise<Contact> {
      const contact = await ctx.contacts(tenantId).create({ name: 'سارة', phone });
      if (lastInboundAt !== null) await ctx.db.sql.query('UPDATE contacts SET last_inbound_at = $1 WHERE tenant_id = $2 AND id = $3', [lastInboundAt, tenantId, contact.id]);
      for (const purpose of ['marketing', 'service'] as const) {
        await ctx.consents(tenantId).grant(contact.id, 'whatsapp', purpose, { actor: 'test', source: 'web_form', evidence: { formUrl: 'https://acme.sa/form' } });
      }
      return (await ctx.contacts(tenantId).byId(contact.id))!;
    }

    function send(tenantId: string, contact: Contact, req: Omit<SendRequest, 'contactId' | 'purpose' | 'channel'> & { purpose?: string }): Promise<SendResult> {
      step++;
      return ctx.outbox.send(
        { tenantId, executionId: `exec-${step}`, flowId: 'flow-1', nodeId: 'send', stepId: `exec-${step}:1`, flowVersion: 1 },
        { channel: 'whatsapp', purpose: 'marketing', contactId: contact.id, ...req } as SendRequest,
        new AbortController().signal,
      );
    }

    const hook = (raw: string, signature: string | null = signatureOf(raw, APP_SECRET)) => {
      const r = request(app).post('/hooks/providers/whatsapp').set('content-type', 'application/json');
      if (signature !== null) r.set('X-Hub-Signature-256', signature);
      return r.send(raw);
    };

    it('answers the verification handshake with the challenge only for the configured verify token', async () => {
      const ok = await request(app).get('/hooks/providers/whatsapp').query({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1158201444' });
      expect(ok.status).to.equal(200);
      expect(ok.headers['content-type']).to.match(/^text\/plain/);
      expect(ok.text).to.equal('1158201444');
      const wrong = await request(app).get('/hooks/providers/whatsapp').query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '1158201444' });
      expect(wrong.status).to.equal(403);
      const mode = await request(app).get('/hooks/providers/whatsapp').query({ 'hub.mode': 'unsubscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1' });
      expect(mode.status).to.equal(403);
    });

    it('refuses a missing or wrong X-Hub-Signature-256 with 401 and changes nothing', async () => {
      const c = await newContact(tenantA);
      const sent = await send(tenantA, c, { text: 'hello' });
      if (sent.status !== 'sent') expect.fail(JSON.stringify(sent));
      const raw = webhookBody([{ phoneNumberId: NUMBER_A, statuses: [status(sent.providerMessageId!, 'read')] }]);
      expect((await hook(raw, null)).status).to.equal(401);
      expect((await hook(raw, signatureOf(raw, 'not-the-app-secret'))).status).to.equal(401);
      // Signed, then re-serialised differently: the signature is over the raw bytes.
      expect((await hook(JSON.stringify(JSON.parse(raw), null, 2), signatureOf(raw, APP_SECRET))).status).to.equal(401);
      expect((await ctx.outbox.repository(tenantA).get(sent.messageId))!.status).to.equal('sent');
    });

    it('a text send inside the window, then statuses: read before delivered never moves back; a repeated status is processed once', async () => {
      const c = await newContact(tenantA);
      const sent = await send(tenantA, c, { text: 'مرحبا' });
      expect(sent, JSON.stringify(sent)).to.include({ status: 'sent', provider: 'whatsapp-cloud' });
      if (sent.status !== 'sent') return;
      expect(fake.requests.at(-1)!.body).to.deep.include({ type: 'text', to: c.phone!.slice(1) });
      const wamid = sent.providerMessageId!;
      const row = () => ctx.outbox.repository(tenantA).get(sent.messageId);
      expect(await row()).to.deep.include({ costCategory: 'service', costHalalas: 0 });

      const read = await hook(webhookBody([{ phoneNumberId: NUMBER_A, statuses: [status(wamid, 'read')] }]));
      expect(read.status, JSON.stringify(read.body)).to.equal(200);
      expect(read.body).to.include({ applied: 1 });
      expect((await row())!.status).to.equal('read');
      const late = await hook(webhookBody([{ phoneNumberId: NUMBER_A, statuses: [status(wamid, 'delivered')] }]));
      expect(late.status).to.equal(200);
      const after = (await row())!;
      expect(after.status, 'delivered after read does not downgrade').to.equal('read');
      expect(after.deliveredAt).to.be.a('number');
      const again = await hook(webhookBody([{ phoneNumberId: NUMBER_A, statuses: [status(wamid, 'read')] }]));
      expect(again.body).to.include({ duplicate: 1, applied: 0 });
    });

    it('a failed status records the WhatsApp error code', async () => {
      const c = await newContact(tenantA);
      const sent = await send(tenantA, c, { template: { name: 'follow_up', language: 'ar', variables: { '1': 'سارة' } } });
      if (sent.status !== 'sent') expect.fail(JSON.stringify(sent));
      await hook(webhookBody([{ phoneNumberId: NUMBER_A, statuses: [status(sent.providerMessageId!, 'failed', { errors: [{ code: 131026, title: 'Message undeliverable' }] })] }]));
      expect((await ctx.outbox.repository(tenantA).get(sent.messageId))!).to.deep.include({ status: 'failed', error: { code: 'whatsapp_131026', message: 'Message undeliverable' } });
    });

    it('one webhook, two tenants: each inbound message reaches the tenant owning its phone_number_id only, once', async () => {
      // The same person is a contact of both tenants.
      const phone = `+9665${String(phoneSeq++).padStart(8, '0')}`;
      const inA = await newContact(tenantA, phone, null);
      const inB = await newContact(tenantB, phone, null);
      const raw = webhookBody([
        { phoneNumberId: NUMBER_A, messages: [inboundText(phone, 'wamid.IN-A-1', 'أبغى عرض سعر')] },
        { phoneNumberId: NUMBER_B, messages: [inboundText(phone, 'wamid.IN-B-1', 'متى تفتحون؟')] },
        { phoneNumberId: '100000000000001', messages: [inboundText(phone, 'wamid.IN-X-1', 'لمن هذا؟')] },
      ]);
      const first = await hook(raw);
      expect(first.status, JSON.stringify(first.body)).to.equal(200);
      expect(first.body).to.include({ stored: 2, unknown_number: 1 });
      const a = await new InboundMessageRepository(ctx.db, tenantA).byProviderId('whatsapp-cloud', 'wamid.IN-A-1');
      const b = await new InboundMessageRepository(ctx.db, tenantB).byProviderId('whatsapp-cloud', 'wamid.IN-B-1');
      expect(a).to.deep.include({ contactId: inA.id, body: 'أبغى عرض سعر' });
      expect(b).to.deep.include({ contactId: inB.id, body: 'متى تفتحون؟' });
      // Neither tenant sees the other's message.
      expect(await new InboundMessageRepository(ctx.db, tenantA).byProviderId('whatsapp-cloud', 'wamid.IN-B-1')).to.equal(null);
      expect(await new InboundMessageRepository(ctx.db, tenantB).byProviderId('whatsapp-cloud', 'wamid.IN-A-1')).to.equal(null);
      // The contact's window opened in each tenant for its own message.
      expect((await ctx.contacts(tenantA).byId(inA.id))!.lastInboundAt).to.be.a('number');
      expect((await ctx.contacts(tenantB).byId(inB.id))!.lastInboundAt).to.be.a('number');
      // Meta retries the same delivery: nothing is stored twice.
      const second = await hook(raw);
      expect(second.body).to.include({ stored: 0, duplicate: 2 });
    });

    it('template sync over the API: every page stored with status and category; precise 4xx for a wrong credential; editors may list, not sync', async () => {
      const owner = await addMember(ctx, tenantA, 'owner');
      const synced = await request(app).post('/api/v1/channels/whatsapp/templates/sync').set(owner.headers).send({ credential: 'wa' });
      expect(synced.status, JSON.stringify(synced.body)).to.equal(200);
      expect(synced.body.count).to.equal(3);
      expect(synced.body.items.map((t: { name: string; status: string; category: string }) => [t.name, t.status, t.category])).to.deep.equal([
        ['appointment', 'APPROVED', 'utility'],
        ['follow_up', 'APPROVED', 'marketing'],
        ['otp', 'PENDING', 'authentication'],
      ]);
      const missing = await request(app).post('/api/v1/channels/whatsapp/templates/sync').set(owner.headers).send({ credential: 'nope' });
      expect(missing.status).to.equal(404);
      expect(missing.body.error.details[0].path).to.equal('/body/credential');
      const bad = await request(app).post('/api/v1/channels/whatsapp/templates/sync').set(owner.headers).send({ credential: 'wa', extra: 1 });
      expect(bad.status).to.equal(400);
      const ownerB = await addMember(ctx, tenantB, 'owner');
      const noAccount = await request(app).post('/api/v1/channels/whatsapp/templates/sync').set(ownerB.headers).send({ credential: 'wa' });
      expect(noAccount.status).to.equal(422);
      const editor = await addMember(ctx, tenantA, 'manager');
      expect((await request(app).post('/api/v1/channels/whatsapp/templates/sync').set(editor.headers).send({ credential: 'wa' })).status).to.equal(403);
      const listed = await request(app).get('/api/v1/channels/whatsapp/templates').set(editor.headers);
      expect(listed.status).to.equal(200);
      expect(listed.body.items).to.have.length(3);
      // Tenant B sees none of A's templates.
      expect((await request(app).get('/api/v1/channels/whatsapp/templates').set(ownerB.headers)).body.items).to.deep.equal([]);
      // Another tenant's number over the API: 409 with the field's path, nothing written.
      const taken = await request(app).post('/api/v1/credentials').set(ownerB.headers).send({ name: 'wa2', type: 'whatsapp-cloud', data: { accessToken: 'x', phoneNumberId: NUMBER_A } });
      expect(taken.status).to.equal(409);
      expect(taken.body.error).to.deep.include({ code: 'phone_number_taken' });
      expect(taken.body.error.details[0].path).to.equal('/body/data/phoneNumberId');
    });

    it('a signed body that is not JSON is a 400, not a 500', async () => {
      const res = await hook('{not json');
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal('invalid_json');
    });

    it('a phone number id belongs to one tenant: another tenant’s credential naming it is refused', async () => {
      let err: unknown;
      try {
        await ctx.credentials(tenantB).create({ name: 'stolen', type: 'whatsapp-cloud', data: { accessToken: 'x', phoneNumberId: NUMBER_A }, createdBy: 'test' });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(PhoneNumberTaken);
      expect(await ctx.credentials(tenantB).byName('stolen')).to.equal(null);
    });

    it('the 24-hour window with the Cloud API: outside it the fallback template goes (priced by its synced category); without one the send is blocked', async () => {
      const store = new WhatsAppTemplateRepository(ctx.db, tenantA);
      const credentialId = (await ctx.credentials(tenantA).byName('wa'))!.id;
      const templates = await fetchTemplates({ accessToken: GRAPH_TOKEN, businessAccountId: fake.businessAccountId, baseUrl: fake.url }, signal(), OPEN);
      await store.replaceAll(credentialId, templates.map((t) => ({ name: t.name, language: t.language, templateId: t.id, status: t.status, category: t.category, body: t.body })), Date.now());

      const quiet = await newContact(tenantA, undefined, Date.now() - 30 * 3_600_000);
      const before = fake.requests.length;
      const blocked = await send(tenantA, quiet, { text: 'مرحبا' });
      expect(blocked).to.deep.include({ status: 'blocked', reason: 'whatsapp_window_closed' });
      expect(fake.requests.length, 'nothing reached the provider').to.equal(before);

      const fallback = await send(tenantA, quiet, { text: 'مرحبا', fallbackTemplate: { name: 'follow_up', language: 'ar', variables: { '1': 'سارة' } } });
      expect(fallback, JSON.stringify(fallback)).to.include({ status: 'sent' });
      expect(fake.requests.at(-1)!.body).to.deep.include({ type: 'template' });
      expect((fake.requests.at(-1)!.body!.template as { name: string }).name).to.equal('follow_up');
      expect(await ctx.outbox.repository(tenantA).get(fallback.messageId)).to.deep.include({ costCategory: 'marketing', costHalalas: SAUDI_PRICE_HALALAS.marketing });

      // The sequence analytics count sends per provider and add up the estimates.
      const report = await new AnalyticsService(ctx.db).report(tenantA, 'flow-1', {}, null);
      const stepReport = report.steps.find((st) => st.nodeId === 'send')!;
      expect(stepReport.sentByProvider['whatsapp-cloud']).to.be.at.least(2);
      expect(stepReport.costHalalas).to.be.at.least(SAUDI_PRICE_HALALAS.marketing);
      expect(report.providerLabels['whatsapp-cloud']).to.deep.equal({ en: 'WhatsApp Cloud API (Meta)', ar: 'واجهة واتساب السحابية (ميتا)' });
    });
  });
}

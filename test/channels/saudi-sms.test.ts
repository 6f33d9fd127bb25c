// Unifonic and Taqnyat SMS against local servers speaking their documented APIs (nothing leaves
// the machine): what each receives, the definite / uncertain failure classes, the egress guard,
// the Saudi promotional rules (-AD sender, promotional hours: defer or refuse, with a reason),
// and their delivery reports through /hooks/providers/<provider>/<slug>/<secret> (secret,
// dedupe, failures). On SQLite and PostgreSQL for the parts that touch the database.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import http, { type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createContext, type AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { TenantRepository, type Database } from '../../db/index.js';
import type { TenantSettings } from '../../db/tenant-repository.js';
import { OutboxRepository } from '../../db/outbox-repository.js';
import { ProviderError, type ChannelProvider, type OutboundMessage } from '../../server/channels/provider.js';
import { UnifonicProvider } from '../../server/channels/unifonic.js';
import { TaqnyatProvider } from '../../server/channels/taqnyat.js';
import { interpretSmsReport, messageTypeOf, nextPromotionalOpening, parseHours, saudiSmsPolicy, senderFor } from '../../server/channels/saudi-sms.js';
import { SendDeferred } from '../../server/outbox/outbox-service.js';
import type { SendRequest, SendResult } from '../../engine/index.js';
import type { FakeHttpProvider } from '../helpers/fake-http-provider.js';
import { TAQNYAT_TOKEN, UNIFONIC_APP_SID, startFakeTaqnyat, startFakeUnifonic } from '../helpers/fake-saudi-sms.js';
import { DIALECTS, createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { ALWAYS_OPEN, contact, grant, origin, outboxRig } from '../outbox-service/outbox-fixtures.js';

const TO = '+966551234567';
const OPEN = { allowPrivateNetwork: true };
const SECRET = 'sms_dlr_secret_0123456789';
const signal = () => new AbortController().signal;

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

interface Case {
  name: 'unifonic' | 'taqnyat';
  start(): Promise<FakeHttpProvider>;
  provider: ChannelProvider;
  credential(url: string): Record<string, string>;
  wrongAuth: Record<string, string>;
  /** What the fake received, in the provider's own field names → ours. */
  received(fake: FakeHttpProvider): { to: string; body: string; sender: string };
}

const CASES: Case[] = [
  {
    name: 'unifonic',
    start: startFakeUnifonic,
    provider: new UnifonicProvider({ timeoutMs: 1500 }),
    credential: (url) => ({ appSid: UNIFONIC_APP_SID, senderId: 'Acme', promotionalSenderId: 'Acme-AD', baseUrl: url }),
    wrongAuth: { appSid: 'wrong' },
    received: (fake) => {
      const b = fake.requests.at(-1)!.body!;
      expect(fake.requests.at(-1)!.path).to.equal('/rest/SMS/messages');
      expect(fake.requests.at(-1)!.headers['content-type']).to.match(/^application\/x-www-form-urlencoded/);
      expect(b).to.include({ responseType: 'JSON' });
      return { to: String(b.Recipient), body: String(b.Body), sender: String(b.SenderID) };
    },
  },
  {
    name: 'taqnyat',
    start: startFakeTaqnyat,
    provider: new TaqnyatProvider({ timeoutMs: 1500 }),
    credential: (url) => ({ token: TAQNYAT_TOKEN, sender: 'Acme', promotionalSender: 'Acme-AD', baseUrl: url }),
    wrongAuth: { token: 'wrong' },
    received: (fake) => {
      const r = fake.requests.at(-1)!;
      expect(r.path).to.equal('/v1/messages');
      expect(r.headers.authorization).to.equal(`Bearer ${TAQNYAT_TOKEN}`);
      const b = r.body!;
      expect(b.recipients).to.have.length(1);
      return { to: String((b.recipients as string[])[0]), body: String(b.body), sender: String(b.sender) };
    },
  },
];

for (const c of CASES) {
  describe(`${c.name} SMS provider`, function () {
    this.timeout(60_000);
    let fake: FakeHttpProvider;
    let credential: Record<string, string>;
    const message = (over: Partial<OutboundMessage> = {}): OutboundMessage => ({ channel: 'sms', to: TO, text: 'موعدك غدًا الساعة 10', purpose: 'service', referenceId: 'msg-1', ...over });

    before(async () => {
      fake = await c.start();
      credential = c.credential(fake.url);
    });
    after(() => fake.close());
    beforeEach(() => void (fake.requests.length = 0));

    it('sends the text to the number without + from the sender name; its id is the provider id', async () => {
      const result = await c.provider.send(message(), credential, signal(), OPEN);
      expect(result.providerMessageId).to.match(/^\d+$/);
      expect(c.received(fake)).to.deep.equal({ to: '966551234567', body: 'موعدك غدًا الساعة 10', sender: 'Acme' });
    });

    it('a promotional (marketing) message goes from the -AD sender; without one it is refused before any request', async () => {
      await c.provider.send(message({ purpose: 'marketing' }), credential, signal(), OPEN);
      expect(c.received(fake).sender).to.equal('Acme-AD');
      const noAd = Object.fromEntries(Object.entries(credential).filter(([k]) => !/^promotional/.test(k)));
      expect(await providerError(c.provider.send(message({ purpose: 'marketing' }), noAd, signal(), OPEN))).to.include({ code: 'promotional_sender_required', definite: true });
      expect(fake.requests).to.have.length(1);
    });

    it('definite failures: a refused credential, a bad recipient, 429 (retryable), a refused connection (retryable)', async () => {
      expect(await providerError(c.provider.send(message(), { ...credential, ...c.wrongAuth }, signal(), OPEN))).to.include({ code: 'auth_failed', definite: true, retryable: false });
      expect(await providerError(c.provider.send(message({ to: '+12' }), credential, signal(), OPEN))).to.include({ definite: true, retryable: false });
      fake.next({ kind: 'answer', status: 429, body: { message: 'Too many requests generated by this user' } });
      expect(await providerError(c.provider.send(message(), credential, signal(), OPEN))).to.include({ code: 'rate_limited', definite: true, retryable: true });
      const port = await closedPort();
      expect(await providerError(c.provider.send(message(), { ...credential, baseUrl: `http://127.0.0.1:${port}` }, signal(), OPEN))).to.include({ code: 'unreachable', definite: true, retryable: true });
    });

    it('uncertain failures: 500, a reset mid-answer, a timeout, an answer that is not JSON or names no id', async () => {
      fake.next({ kind: 'answer', status: 500, body: { message: 'Request failed' } });
      expect(await providerError(c.provider.send(message(), credential, signal(), OPEN))).to.include({ code: 'provider_error', definite: false });
      fake.next({ kind: 'reset' });
      expect(await providerError(c.provider.send(message(), credential, signal(), OPEN))).to.include({ code: 'connection_lost', definite: false });
      fake.next({ kind: 'hang' });
      expect(await providerError(c.provider.send(message(), credential, signal(), OPEN))).to.include({ code: 'timeout', definite: false });
      fake.next({ kind: 'raw', status: 200, text: '<html>proxy</html>' });
      expect(await providerError(c.provider.send(message(), credential, signal(), OPEN))).to.include({ code: 'unexpected_answer', definite: false });
      fake.next({ kind: 'answer', status: 200, body: { success: true, data: {} } });
      expect(await providerError(c.provider.send(message(), credential, signal(), OPEN))).to.include({ code: 'unexpected_answer', definite: false });
    });

    it('goes through the egress guard and refuses other channels, without a request', async () => {
      expect(await providerError(c.provider.send(message(), credential, signal(), { allowPrivateNetwork: false }))).to.include({ code: 'address_not_allowed', definite: true });
      expect(await providerError(c.provider.send(message({ channel: 'whatsapp' }), credential, signal(), OPEN))).to.include({ code: 'unsupported_channel' });
      expect(fake.requests).to.have.length(0);
    });
  });
}

describe('Saudi SMS rules', () => {
  /** 2026-03-01 in Riyadh (UTC+3) at a wall-clock time. */
  const riyadh = (hhmm: string) => new Date(`2026-03-01T${hhmm}:00+03:00`);
  const cred = { sender: 'Acme', promotionalSender: 'Acme-AD', promotionalHours: undefined, outside: undefined };

  it('classifies by purpose: marketing is promotional', () => {
    expect(['marketing', 'transactional', 'service'].map(messageTypeOf)).to.deep.equal(['promotional', 'transactional', 'informational']);
    expect(senderFor('service', 'Acme', 'Acme-AD')).to.equal('Acme');
    expect(senderFor('marketing', 'Acme', 'Acme-AD')).to.equal('Acme-AD');
    expect(senderFor('marketing', 'Acme-AD', undefined)).to.equal('Acme-AD');
    expect(senderFor('marketing', 'Acme', undefined)).to.equal(null);
  });

  it('promotional hours (default 09:00-21:00 Riyadh): inside sends, outside defers to the next opening, or refuses with a reason in both languages', () => {
    expect(saudiSmsPolicy({ channel: 'sms', purpose: 'marketing' }, cred, riyadh('10:00'))).to.deep.equal({ action: 'send' });
    expect(saudiSmsPolicy({ channel: 'sms', purpose: 'marketing' }, cred, riyadh('08:59'))).to.deep.equal({ action: 'defer', until: riyadh('09:00'), reason: 'outside_promotional_hours' });
    expect(saudiSmsPolicy({ channel: 'sms', purpose: 'marketing' }, cred, riyadh('21:00'))).to.deep.equal({ action: 'defer', until: new Date('2026-03-02T09:00:00+03:00'), reason: 'outside_promotional_hours' });
    const refused = saudiSmsPolicy({ channel: 'sms', purpose: 'marketing' }, { ...cred, promotionalHours: '10:00-20:00', outside: 'refuse' }, riyadh('20:30'));
    expect(refused).to.include({ action: 'refuse', code: 'outside_promotional_hours' });
    if (refused.action === 'refuse') {
      expect(refused.message).to.include('10:00–20:00');
      expect(refused.messageAr).to.include('10:00–20:00');
    }
    // Not promotional, or not SMS: no hours.
    expect(saudiSmsPolicy({ channel: 'sms', purpose: 'service' }, cred, riyadh('23:00'))).to.deep.equal({ action: 'send' });
    expect(saudiSmsPolicy({ channel: 'sms', purpose: 'marketing' }, { ...cred, promotionalSender: undefined }, riyadh('10:00'))).to.include({ action: 'refuse', code: 'promotional_sender_required' });
    expect(parseHours('21:00-09:00')).to.equal(null);
    expect(nextPromotionalOpening(riyadh('12:00'), parseHours('09:00-24:00')!)).to.equal(null);
  });

  it('reads delivery reports of both providers (JSON or form names; failures keep the provider code)', () => {
    expect(interpretSmsReport('unifonic', { MessageID: '5000000001', Status: 'Delivered' })).to.deep.equal({ kind: 'delivery', dedupKey: 'status:5000000001:delivered', providerMessageId: '5000000001', status: 'delivered' });
    expect(interpretSmsReport('taqnyat', { messageId: 7000001, status: 'sent' })).to.include({ status: 'sent', providerMessageId: '7000001' });
    expect(interpretSmsReport('unifonic', { data: { MessageID: '5', Status: 'Failed', errorCode: 'ER-21', message: 'Undeliverable' } })).to.deep.include({ status: 'failed', error: { code: 'unifonic_ER-21', message: 'Undeliverable' } });
    expect(interpretSmsReport('taqnyat', { messageId: '1', status: 'queued' })).to.deep.equal({ kind: 'ignore', reason: 'status_not_tracked' });
    expect(interpretSmsReport('taqnyat', { status: 'delivered' })).to.deep.equal({ kind: 'ignore', reason: 'no_message_id' });
  });
});

for (const dialect of DIALECTS) {
  describe(`Saudi SMS through the outbox and their delivery reports (${dialect})`, function () {
    this.timeout(120_000);
    let tdb: TestDatabase | undefined;
    let ctx: AppContext;
    let app: RequestListener;
    let unifonic: FakeHttpProvider;
    let taqnyat: FakeHttpProvider;
    let tenantId: string;
    let step = 0;

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      tdb = await createTestDatabase(dialect);
      await tdb.db.close();
      ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: tdb.dataDir, DATABASE_URL: tdb.url ?? '' }), pino({ level: 'silent' }));
      await ctx.runtime.start();
      app = createApp(ctx);
      [unifonic, taqnyat] = await Promise.all([startFakeUnifonic(), startFakeTaqnyat()]);
      tenantId = (await ctx.tenants.ensure('sms-sa', 'Saudi SMS', { sendPolicy: ALWAYS_OPEN, allowPrivateNetwork: true } as TenantSettings)).id;
      await ctx.tenants.ensure('sms-other', 'Other');
      await ctx.credentials(tenantId).create({ name: 'unifonic', type: 'unifonic', data: { appSid: UNIFONIC_APP_SID, senderId: 'Acme', promotionalSenderId: 'Acme-AD', promotionalHours: '00:00-24:00', webhookSecret: SECRET, baseUrl: unifonic.url }, createdBy: 'test' });
      await ctx.credentials(tenantId).create({ name: 'taqnyat', type: 'taqnyat', data: { token: TAQNYAT_TOKEN, sender: 'Acme', promotionalHours: '00:00-24:00', webhookSecret: SECRET, baseUrl: taqnyat.url }, createdBy: 'test' });
    });
    after(async () => {
      await ctx?.close();
      await Promise.all([unifonic?.close(), taqnyat?.close()]);
      await tdb?.drop();
    });

    async function lead() {
      const c = await ctx.contacts(tenantId).create({ name: 'سارة', phone: `+9665${String(4_000_000 + ++step).padStart(8, '0')}` });
      for (const purpose of ['marketing', 'service'] as const) await ctx.consents(tenantId).grant(c.id, 'sms', purpose, { actor: 'test', source: 'web_form', evidence: { formUrl: 'https://acme.sa/form' } });
      return c;
    }
    function send(credential: string, contactId: string, purpose = 'service'): Promise<SendResult> {
      step++;
      return ctx.outbox.send(
        { tenantId, executionId: `exec-${step}`, flowId: 'flow-1', nodeId: 'send', stepId: `exec-${step}:1` },
        { channel: 'sms', purpose, contactId, text: 'عرض خاص لك', credential } as SendRequest,
        new AbortController().signal,
      );
    }
    const row = (id: string) => ctx.outbox.repository(tenantId).get(id);

    for (const name of ['unifonic', 'taqnyat'] as const) {
      it(`${name}: sent through the outbox; a delivery report moves it to delivered once; a wrong secret is 404; a failure report keeps its code`, async () => {
        const c = await lead();
        const sent = await send(name, c.id);
        expect(sent, JSON.stringify(sent)).to.include({ status: 'sent', provider: name });
        if (sent.status !== 'sent') return;
        const path = `/hooks/providers/${name}/sms-sa/${SECRET}`;
        const report = name === 'unifonic' ? { MessageID: sent.providerMessageId, Status: 'Delivered' } : { messageId: sent.providerMessageId, status: 'delivered' };
        const first = await request(app).post(path).send(report);
        expect(first.status, JSON.stringify(first.body)).to.equal(200);
        expect(first.body).to.deep.equal({ result: 'applied' });
        expect((await row(sent.messageId))!.status).to.equal('delivered');
        expect((await request(app).post(path).send(report)).body).to.deep.equal({ result: 'duplicate' });
        // Form-encoded works too (the same event: still a duplicate).
        expect((await request(app).post(path).type('form').send(report)).body).to.deep.equal({ result: 'duplicate' });
        expect((await request(app).post(`/hooks/providers/${name}/sms-sa/wrong_secret_0123456789`).send(report)).status).to.equal(404);
        expect((await request(app).post(`/hooks/providers/${name}/sms-other/${SECRET}`).send(report)).status).to.equal(404);

        const other = await send(name, c.id);
        if (other.status !== 'sent') expect.fail(JSON.stringify(other));
        const failed = name === 'unifonic' ? { MessageID: other.providerMessageId, Status: 'Failed', errorCode: 'ER-21' } : { messageId: other.providerMessageId, status: 'rejected' };
        expect((await request(app).post(path).send(failed)).body).to.deep.equal({ result: 'applied' });
        expect((await row(other.messageId))!.error!.code).to.equal(name === 'unifonic' ? 'unifonic_ER-21' : 'taqnyat_rejected');
      });
    }

    it('a promotional SMS without an -AD sender is blocked with the reason in both languages; nothing reaches the provider', async () => {
      const c = await lead();
      const before = taqnyat.requests.length;
      const r = await send('taqnyat', c.id, 'marketing');
      expect(r).to.deep.include({ status: 'blocked', reason: 'promotional_sender_required' });
      const blocked = (await row(r.messageId))!;
      expect(blocked.error!.message).to.match(/-AD/);
      expect(blocked.error!.messageAr).to.match(/-AD/);
      expect(taqnyat.requests.length).to.equal(before);
      const ok = await send('unifonic', c.id, 'marketing');
      expect(ok).to.include({ status: 'sent' });
      expect(unifonic.requests.at(-1)!.body!.SenderID).to.equal('Acme-AD');
    });
  });

  describe(`promotional hours in the outbox (${dialect})`, function () {
    this.timeout(60_000);
    let tdb: TestDatabase;
    let db: Database;
    let fake: FakeHttpProvider;
    let tenantId: string;

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      tdb = await createTestDatabase(dialect);
      db = tdb.db;
      fake = await startFakeUnifonic();
      tenantId = (await new TenantRepository(db).ensure('promo', 'Promo', { sendPolicy: ALWAYS_OPEN, allowPrivateNetwork: true } as never)).id;
    });
    after(async () => {
      await fake?.close();
      await tdb?.db.close();
      await tdb?.drop();
    });

    it('outside the hours a promotional SMS is deferred to the next opening (no request), then sent once', async () => {
      let clock = new Date('2026-03-01T22:30:00+03:00');
      const rig = outboxRig(db, () => new Date(clock));
      rig.providers.register(new UnifonicProvider({ timeoutMs: 1500 }));
      await rig.credentials(tenantId).create({ name: 'uni', type: 'unifonic', data: { appSid: UNIFONIC_APP_SID, senderId: 'Acme-AD', baseUrl: fake.url }, createdBy: 'test' });
      const c = await contact(db, tenantId);
      await grant(db, tenantId, c.id, 'sms', 'marketing', clock.getTime() - 86_400_000);
      const o = origin(tenantId);
      const req: SendRequest = { channel: 'sms', contactId: c.id, purpose: 'marketing', text: 'خصم 20٪' };
      let deferred: unknown;
      try {
        await rig.service.send(o, req, signal());
      } catch (err) {
        deferred = err;
      }
      expect(deferred).to.be.instanceOf(SendDeferred);
      expect((deferred as SendDeferred).until.toISOString()).to.equal(new Date('2026-03-02T09:00:00+03:00').toISOString());
      expect((deferred as SendDeferred).reason).to.equal('outside_promotional_hours');
      expect(fake.requests).to.have.length(0);
      const [row] = await new OutboxRepository(db, tenantId).list({ contactId: c.id, limit: 5 });
      expect(row).to.deep.include({ status: 'deferred' });
      clock = new Date('2026-03-02T09:00:00+03:00');
      expect(await rig.service.send(o, req, signal())).to.include({ status: 'sent', provider: 'unifonic' });
      expect(fake.requests).to.have.length(1);
    });
  });
}

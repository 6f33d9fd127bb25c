// Provider callbacks end to end, on SQLite and PostgreSQL, with local servers speaking the
// providers' APIs (nothing leaves the machine): messages sent through the outbox with the real
// providers (UltraMsg HTTP API, the Twilio SDK, nodemailer SMTP), their delivery callbacks
// moving the outbox rows on, inbound replies (stored once, last-inbound time, message.received,
// enrollments ended), opt-outs in Arabic and English withdrawing consent, the authentication of
// the callbacks (UltraMsg's URL secret and instance, Twilio's signature), deduplication, and
// the contact's conversation thread.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import twilio from 'twilio';
import type { RequestListener } from 'node:http';
import { createContext, type AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import type { TenantSettings } from '../../db/tenant-repository.js';
import type { Contact } from '../../db/contacts/index.js';
import { InboundMessageRepository } from '../../db/inbound-message-repository.js';
import { outboxDeliverySink } from '../../db/outbox-repository.js';
import type { DeliveryUpdate } from '../../server/channels/provider.js';
import { TwilioProvider } from '../../server/channels/twilio.js';
import { SmtpProvider } from '../../server/channels/smtp.js';
import { UltraMsgProvider } from '../../server/channels/ultramsg.js';
import { EMPTY_TWIML } from '../../server/channels/callbacks.js';
import { createProviderCallbackListener } from '../../server/channels/callback-router.js';
import type { ExitReason } from '../../server/enrollments/contact-exits.js';
import type { SendRequest, SendResult } from '../../engine/index.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { DIALECTS, createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { startFakeUltraMsg, ultramsgEvent, type FakeUltraMsg } from '../helpers/fake-ultramsg.js';
import { startFakeTwilio, type FakeTwilio } from '../helpers/fake-twilio.js';
import { startFakeSmtp, type FakeSmtp } from '../helpers/fake-smtp.js';
import { waitFor } from '../helpers/wait-for.js';

const PUBLIC_URL = 'https://tadfuq.example.sa';
const SECRET = 'whsec_0123456789abcdefghijkl';
const OUR_NUMBER = '+14155550100';

/** Sends at any hour, no daily caps: the tests do not depend on the clock. */
const OPEN_POLICY = {
  timezone: 'Asia/Riyadh',
  businessDays: [0, 1, 2, 3, 4, 5, 6],
  businessHours: { start: '00:00', end: '24:00' },
  channels: Object.fromEntries(['whatsapp', 'sms', 'email', 'call'].map((c) => [c, { respectBusinessHours: false, allowedHours: null }])),
  caps: { perContactPerDay: { whatsapp: null, sms: null, email: null, call: null }, perTenantPerDay: { whatsapp: null, sms: null, email: null, call: null } },
};

for (const dialect of DIALECTS) {
  describe(`provider callbacks, inbound messages and opt-out (${dialect})`, function () {
    this.timeout(120_000);
    let tdb: TestDatabase | undefined;
    let ctx: AppContext;
    let app: RequestListener;
    let ultra: FakeUltraMsg;
    let tw: FakeTwilio;
    let mail: FakeSmtp;
    let tenantId: string;
    let owner: TestMember;
    let rep: TestMember;
    let rep2: TestMember;
    let ownerB: TestMember;
    const exits: { tenantId: string; contactId: string; reason: ExitReason; channel: string | undefined }[] = [];
    const events: { tenantId: string; event: string; correlation: string; payload: Record<string, unknown> }[] = [];
    let phoneSeq = 1_000_000;
    let step = 0;

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      tdb = await createTestDatabase(dialect);
      await tdb.db.close();
      ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: tdb.dataDir, DATABASE_URL: tdb.url ?? '', TADFUQ_PUBLIC_URL: PUBLIC_URL }), pino({ level: 'silent' }));
      await ctx.runtime.start();
      ctx.contactExits = {
        exit: async (t, contactId, reason, channel) => {
          exits.push({ tenantId: t, contactId, reason, channel });
          return 1;
        },
      };
      const deliver = ctx.runtime.deliverEvent.bind(ctx.runtime);
      ctx.runtime.deliverEvent = async (t, event, correlation, payload) => {
        events.push({ tenantId: t, event, correlation, payload: payload as Record<string, unknown> });
        return deliver(t, event, correlation, payload);
      };
      // The real providers, whether or not the process registry lists them yet (short timeouts for the tests).
      ctx.outbox.providers.register(new UltraMsgProvider({ timeoutMs: 3000 }), { account: (c) => c.instanceId ?? 'default' });
      ctx.outbox.providers.register(new TwilioProvider({ timeoutMs: 3000 }), { account: (c) => c.accountSid ?? 'default' });
      ctx.outbox.providers.register(new SmtpProvider({ connectionTimeoutMs: 3000, socketTimeoutMs: 3000 }), { account: (c) => `${c.host}:${c.user}` });
      app = createApp(ctx);
      [ultra, tw, mail] = await Promise.all([startFakeUltraMsg(), startFakeTwilio(), startFakeSmtp()]);
      tenantId = (await ctx.tenants.ensure('chan-a', 'Channels A', { sendPolicy: OPEN_POLICY, allowPrivateNetwork: true } as TenantSettings)).id;
      const tenantB = (await ctx.tenants.ensure('chan-b', 'Channels B')).id;
      owner = await addMember(ctx, tenantId, 'owner');
      rep = await addMember(ctx, tenantId, 'sales_rep');
      rep2 = await addMember(ctx, tenantId, 'sales_rep');
      ownerB = await addMember(ctx, tenantB, 'owner');
      const creds = ctx.credentials(tenantId);
      await creds.create({ name: 'wa', type: 'ultramsg', data: { instanceId: ultra.instanceId, token: ultra.token, baseUrl: ultra.url, webhookSecret: SECRET }, createdBy: 'test' });
      await creds.create({ name: 'tw', type: 'twilio', data: { accountSid: tw.accountSid, authToken: tw.authToken, from: OUR_NUMBER, baseUrl: tw.url }, createdBy: 'test' });
      await creds.create({ name: 'mail', type: 'smtp', data: { host: mail.host, port: mail.port, secure: false, user: mail.user, pass: mail.pass, from: 'Acme <sales@acme.example>' }, createdBy: 'test' });
      // Tenant B has an UltraMsg credential with another secret: A's secret must not open B.
      await ctx.credentials(tenantB).create({ name: 'wa', type: 'ultramsg', data: { instanceId: 'instance9', token: 't', webhookSecret: 'whsec_tenant_b_secret_000000' }, createdBy: 'test' });
    });

    after(async () => {
      await ctx?.close();
      await Promise.all([ultra?.close(), tw?.close(), mail?.close()]);
      await tdb?.drop();
    });

    async function newContact(ownerId: string | null = null): Promise<Contact> {
      const phone = `+9665${String(phoneSeq++).padStart(8, '0')}`;
      const contact = await ctx.contacts(tenantId).create({ name: 'سارة', phone, email: `c${phoneSeq}@example.sa`, ownerId });
      for (const channel of ['whatsapp', 'sms', 'email'] as const) {
        for (const purpose of ['marketing', 'service'] as const) {
          await ctx.consents(tenantId).grant(contact.id, channel, purpose, { actor: 'test', source: 'web_form', evidence: { formUrl: 'https://acme.sa/form' } });
        }
      }
      return contact;
    }

    function send(contact: Contact, req: Omit<SendRequest, 'contactId' | 'purpose'> & { purpose?: string }): Promise<SendResult> {
      step++;
      return ctx.outbox.send(
        { tenantId, executionId: `exec-${step}`, flowId: 'flow-1', nodeId: 'send', stepId: `exec-${step}:1` },
        { purpose: 'marketing', contactId: contact.id, ...req } as SendRequest,
        new AbortController().signal,
      );
    }

    const row = (id: string) => ctx.outbox.repository(tenantId).get(id);
    const ultramsgHook = (secret = SECRET, slug = 'chan-a') => request(app).post(`/hooks/providers/ultramsg/${slug}/${secret}`);
    const waId = (c: Contact) => `${c.phone!.slice(1)}@c.us`;

    function twilioHook(kind: 'status' | 'inbound', params: Record<string, string>, options: { token?: string; signature?: string | null } = {}) {
      const path = `/hooks/providers/twilio/chan-a/${kind}`;
      const signature = options.signature !== undefined ? options.signature : twilio.getExpectedTwilioSignature(options.token ?? tw.authToken, `${PUBLIC_URL}${path}`, params);
      const req = request(app).post(path).type('form');
      if (signature !== null) req.set('X-Twilio-Signature', signature);
      return req.send(params);
    }

    describe('UltraMsg', () => {
      it('a template sent through the outbox reaches UltraMsg; message_ack device then read move the row to delivered, read', async () => {
        const c = await newContact();
        const sent = await send(c, { channel: 'whatsapp', text: 'أهلاً {{1}}، لدينا عرض لك', template: { name: 'offer_v1', language: 'ar', variables: { '1': 'سارة' } } });
        expect(sent, JSON.stringify(sent)).to.include({ status: 'sent', provider: 'ultramsg' });
        if (sent.status !== 'sent') return;
        const got = ultra.requests.at(-1)!;
        expect(got).to.include({ to: c.phone, body: 'أهلاً سارة، لدينا عرض لك', referenceId: sent.messageId });
        expect((await row(sent.messageId))!.status).to.equal('sent');

        const device = await ultramsgHook().send(ultramsgEvent('message_ack', ultra.instanceId, { id: sent.providerMessageId!, referenceId: sent.messageId, data: { id: `true_${waId(c)}_3EB0`, ack: 'device', fromMe: true, to: waId(c) } }));
        expect(device.status, JSON.stringify(device.body)).to.equal(200);
        expect(device.body).to.deep.equal({ result: 'applied' });
        expect((await row(sent.messageId))!.status).to.equal('delivered');
        const read = await ultramsgHook().send(ultramsgEvent('message_ack', ultra.instanceId, { id: sent.providerMessageId!, data: { ack: 'read', fromMe: true } }));
        expect(read.body).to.deep.equal({ result: 'applied' });
        const after = (await row(sent.messageId))!;
        expect(after.status).to.equal('read');
        expect(after.readAt).to.be.a('number');
      });

      it('a repeated event is processed once; an unknown message id is ignored with 200', async () => {
        const c = await newContact();
        const sent = await send(c, { channel: 'whatsapp', text: 'x', template: { name: 't' } });
        if (sent.status !== 'sent') expect.fail(JSON.stringify(sent));
        const calls: DeliveryUpdate[] = [];
        const real = outboxDeliverySink(ctx.db);
        const listener = createProviderCallbackListener(ctx, { sink: { applyDelivery: (u) => (calls.push(u), real.applyDelivery(u)) } });
        const event = ultramsgEvent('message_ack', ultra.instanceId, { id: sent.providerMessageId!, data: { ack: 'device', fromMe: true } });
        const path = `/hooks/providers/ultramsg/chan-a/${SECRET}`;
        const first = await request(listener).post(path).send(event);
        const second = await request(listener).post(path).send(event);
        expect([first.status, second.status]).to.deep.equal([200, 200]);
        expect(first.body).to.deep.equal({ result: 'applied' });
        expect(second.body).to.deep.equal({ result: 'duplicate' });
        expect(calls).to.have.length(1);
        expect(calls[0]).to.deep.include({ tenantId, provider: 'ultramsg', providerMessageId: sent.providerMessageId, status: 'delivered' });

        const unknown = await request(listener).post(path).send(ultramsgEvent('message_ack', ultra.instanceId, { id: '987654321', data: { ack: 'read', fromMe: true } }));
        expect(unknown.status).to.equal(200);
        expect(unknown.body).to.deep.equal({ result: 'unknown_message' });
      });

      it('a wrong secret or tenant answers 404; another instance’s event is ignored; nothing changes', async () => {
        const c = await newContact();
        const sent = await send(c, { channel: 'whatsapp', text: 'x', template: { name: 't' } });
        if (sent.status !== 'sent') expect.fail(JSON.stringify(sent));
        const event = ultramsgEvent('message_ack', ultra.instanceId, { id: sent.providerMessageId!, data: { ack: 'read', fromMe: true } });
        const wrong = await ultramsgHook('whsec_0123456789abcdefghijkX').send(event);
        expect(wrong.status).to.equal(404);
        expect(wrong.body.error.code).to.equal('not_found');
        expect((await ultramsgHook(SECRET, 'chan-zzz').send(event)).status).to.equal(404);
        // Tenant B's secret on tenant A's URL, and A's secret on B's URL.
        expect((await ultramsgHook('whsec_tenant_b_secret_000000').send(event)).status).to.equal(404);
        expect((await ultramsgHook(SECRET, 'chan-b').send(event)).status).to.equal(404);
        const other = await ultramsgHook().send({ ...event, instanceId: '4242' });
        expect(other.status).to.equal(200);
        expect(other.body).to.deep.equal({ result: 'ignored', reason: 'instance_mismatch' });
        expect((await row(sent.messageId))!.status).to.equal('sent');
        expect((await request(app).get(`/hooks/providers/ultramsg/chan-a/${SECRET}`)).status).to.equal(405);
      });

      it('an inbound message is stored once, moves the last-inbound time, delivers message.received and ends enrollments as a reply', async () => {
        const c = await newContact();
        const time = Math.floor(Date.now() / 1000) - 5;
        const event = ultramsgEvent('message_received', ultra.instanceId, { data: { id: `false_${waId(c)}_3EB0AA11`, from: waId(c), to: '14155550100@c.us', body: 'نعم، أنا مهتم', time } });
        const before = { events: events.length, exits: exits.length, sent: ultra.requests.length };
        const res = await ultramsgHook().send(event);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body).to.deep.equal({ result: 'stored', contact: true, optOut: false });
        const stored = await new InboundMessageRepository(ctx.db, tenantId).byProviderId('ultramsg', `false_${waId(c)}_3EB0AA11`);
        expect(stored).to.deep.include({ contactId: c.id, channel: 'whatsapp', from: c.phone, body: 'نعم، أنا مهتم', receivedAt: time * 1000, optOut: null });
        expect(stored!.processedAt).to.be.a('number');
        expect((await ctx.contacts(tenantId).byId(c.id))!.lastInboundAt).to.equal(time * 1000);
        expect(events.slice(before.events)).to.have.length(1);
        expect(events.at(-1)).to.deep.include({ tenantId, event: 'message.received', correlation: c.id });
        expect(events.at(-1)!.payload).to.deep.include({ channel: 'whatsapp', body: 'نعم، أنا مهتم', at: new Date(time * 1000).toISOString(), optOut: false });
        expect(exits.slice(before.exits)).to.deep.equal([{ tenantId, contactId: c.id, reason: 'replied', channel: 'whatsapp' }]);

        const again = await ultramsgHook().send(event);
        expect(again.body).to.deep.equal({ result: 'duplicate' });
        expect(events.length - before.events).to.equal(1);
        expect(exits.length - before.exits).to.equal(1);
        expect(ultra.requests.length, 'no auto-reply').to.equal(before.sent);
        // Free text is now allowed: the contact wrote within 24 hours.
        expect(await send(c, { channel: 'whatsapp', text: 'شكرًا لردك' })).to.include({ status: 'sent' });
      });

      it('ignores our own, group and unknown-number messages gracefully', async () => {
        const own = await ultramsgHook().send(ultramsgEvent('message_received', ultra.instanceId, { data: { id: 'x1', from: '966500000001@c.us', body: 'hi', fromMe: true } }));
        expect(own.body).to.deep.equal({ result: 'ignored', reason: 'own_message' });
        const group = await ultramsgHook().send(ultramsgEvent('message_received', ultra.instanceId, { data: { id: 'x2', from: '120363025@g.us', body: 'STOP' } }));
        expect(group.body).to.deep.equal({ result: 'ignored', reason: 'group_message' });
        const stranger = await ultramsgHook().send(ultramsgEvent('message_received', ultra.instanceId, { data: { id: 'x3', from: '966599999999@c.us', body: 'STOP' } }));
        expect(stranger.body).to.deep.equal({ result: 'stored', contact: false, optOut: true });
        const other = await ultramsgHook().send(ultramsgEvent('qr', ultra.instanceId, { data: {} }));
        expect(other.body).to.deep.equal({ result: 'ignored', reason: 'event_not_handled' });
      });

      it('“إلغاء الاشتراك” withdraws WhatsApp consent for every purpose with the message as evidence, ends enrollments and is audited; later WhatsApp sends are blocked', async () => {
        const c = await newContact();
        const before = { exits: exits.length, sent: ultra.requests.length };
        const res = await ultramsgHook().send(ultramsgEvent('message_received', ultra.instanceId, { data: { id: `false_${waId(c)}_OPT1`, from: waId(c), body: 'إلغاء الاشتراك' } }));
        expect(res.body).to.deep.equal({ result: 'stored', contact: true, optOut: true });

        const consents = await ctx.consents(tenantId).list(c.id);
        const whatsapp = consents.filter((x) => x.channel === 'whatsapp');
        expect(whatsapp.map((x) => [x.purpose, x.status])).to.have.deep.members([
          ['marketing', 'withdrawn'],
          ['service', 'withdrawn'],
          ['transactional', 'withdrawn'],
        ]);
        expect(consents.filter((x) => x.channel !== 'whatsapp').every((x) => x.status === 'granted')).to.equal(true);
        const withdrawals = (await ctx.consents(tenantId).events(c.id, {})).filter((e) => e.type === 'withdraw');
        expect(withdrawals).to.have.length(3);
        for (const e of withdrawals) {
          expect(e).to.include({ source: 'opt_out_reply', actor: `contact:${c.id}`, channel: 'whatsapp' });
          expect((e.details as { evidence: Record<string, unknown> }).evidence).to.include({ text: 'إلغاء الاشتراك', providerMessageId: `false_${waId(c)}_OPT1`, provider: 'ultramsg' });
        }
        expect(exits.slice(before.exits)).to.deep.equal([
          { tenantId, contactId: c.id, reason: 'opted_out', channel: 'whatsapp' },
          { tenantId, contactId: c.id, reason: 'replied', channel: 'whatsapp' },
        ]);
        const audit = await ctx.audit(tenantId).list({ limit: 20, action: 'contact.opt_out' });
        expect(audit.find((a) => a.target === c.id)?.details).to.include({ channel: 'whatsapp', consentsWithdrawn: 3, word: 'الغاء الاشتراك' });
        expect(ultra.requests.length, 'no reply to an opt-out').to.equal(before.sent);

        const blocked = await send(c, { channel: 'whatsapp', text: 'x', template: { name: 't' } });
        expect(blocked).to.deep.include({ status: 'blocked', reason: 'withdrawn' });
        expect(ultra.requests.length).to.equal(before.sent);
        expect(await send(c, { channel: 'email', subject: 's', text: 'still allowed' })).to.include({ status: 'sent' });
      });
    });

    describe('waiting flows', () => {
      it('a reply resumes the contact’s execution waiting on wait.event with the message', async () => {
        const c = await newContact();
        const published = await ctx.flows(tenantId).publish({
          schemaVersion: 1,
          name: 'wait for a reply',
          nodes: [
            { id: 'start', type: 'trigger.manual', params: {} },
            { id: 'wait', type: 'wait.event', params: { timeoutSeconds: 3600 } },
            { id: 'replied', type: 'data.set', params: { fields: { outcome: 'replied', body: '=body', channel: '=channel' }, keepInput: false } },
          ],
          edges: [
            { id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'wait', port: 'in' } },
            { id: 'e2', from: { node: 'wait', port: 'received' }, to: { node: 'replied', port: 'in' } },
          ],
        });
        const { executionId } = await ctx.runtime.startExecution({ tenantId, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 'start', payload: {}, mode: 'manual', subject: c.id, durable: true });
        await waitFor(async () => (await ctx.executions(tenantId).get(executionId))?.status === 'waiting');
        const res = await ultramsgHook().send(ultramsgEvent('message_received', ultra.instanceId, { data: { id: `false_${waId(c)}_W1`, from: waId(c), body: 'نعم، أرسل التفاصيل' } }));
        expect(res.body).to.deep.include({ result: 'stored', contact: true });
        const done = await ctx.runtime.result(executionId, true, 10_000);
        expect(done.status).to.equal('succeeded');
        expect(done.output).to.deep.equal({ outcome: 'replied', body: 'نعم، أرسل التفاصيل', channel: 'whatsapp' });
      });
    });

    describe('Twilio', () => {
      it('an SMS sent through the outbox goes through the SDK; signed status callbacks move it to delivered', async () => {
        const c = await newContact();
        const sent = await send(c, { channel: 'sms', text: 'عرض خاص لك' });
        expect(sent, JSON.stringify(sent)).to.include({ status: 'sent', provider: 'twilio' });
        if (sent.status !== 'sent') return;
        expect(tw.requests.at(-1)!.form).to.include({ To: c.phone, From: OUR_NUMBER, Body: 'عرض خاص لك', StatusCallback: `${PUBLIC_URL}/hooks/providers/twilio/chan-a/status` });
        expect(sent.providerMessageId).to.match(/^SM/);
        const status = (s: string) => ({ MessageSid: sent.providerMessageId!, SmsSid: sent.providerMessageId!, AccountSid: tw.accountSid, MessageStatus: s, SmsStatus: s, From: OUR_NUMBER, To: c.phone!, ApiVersion: '2010-04-01' });
        const delivered = await twilioHook('status', status('delivered'));
        expect(delivered.status, JSON.stringify(delivered.body)).to.equal(200);
        expect(delivered.body).to.deep.equal({ result: 'applied' });
        expect((await row(sent.messageId))!.status).to.equal('delivered');
        const queued = await twilioHook('status', status('sending'));
        expect(queued.body).to.deep.equal({ result: 'ignored', reason: 'status_not_tracked' });
      });

      it('a bad, missing or other-account signature answers 401 and changes nothing', async () => {
        const c = await newContact();
        const sent = await send(c, { channel: 'sms', text: 'x' });
        if (sent.status !== 'sent') expect.fail(JSON.stringify(sent));
        const params = { MessageSid: sent.providerMessageId!, AccountSid: tw.accountSid, MessageStatus: 'delivered' };
        const bad = await twilioHook('status', params, { token: 'not-the-auth-token' });
        expect(bad.status).to.equal(401);
        expect(bad.body.error.code).to.equal('invalid_signature');
        expect((await twilioHook('status', params, { signature: null })).status).to.equal(401);
        // Signed for one set of fields, sent with another (the status changed on the way).
        const signed = twilio.getExpectedTwilioSignature(tw.authToken, `${PUBLIC_URL}/hooks/providers/twilio/chan-a/status`, params);
        expect((await twilioHook('status', { ...params, MessageStatus: 'read' }, { signature: signed })).status).to.equal(401);
        expect((await twilioHook('status', { ...params, AccountSid: `AC${'9'.repeat(32)}` })).status).to.equal(401);
        expect((await row(sent.messageId))!.status).to.equal('sent');
      });

      it('without TADFUQ_PUBLIC_URL the signature is checked against the request’s own host', async () => {
        const c = await newContact();
        const sent = await send(c, { channel: 'sms', text: 'x' });
        if (sent.status !== 'sent') expect.fail(JSON.stringify(sent));
        const saved = ctx.config.publicUrl;
        ctx.config.publicUrl = undefined;
        try {
          const path = '/hooks/providers/twilio/chan-a/status';
          const params = { MessageSid: sent.providerMessageId!, AccountSid: tw.accountSid, MessageStatus: 'delivered' };
          const sig = twilio.getExpectedTwilioSignature(tw.authToken, `http://tadfuq.internal:8080${path}`, params);
          const ok = await request(app).post(path).set('Host', 'tadfuq.internal:8080').set('X-Twilio-Signature', sig).type('form').send(params);
          expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
          const elsewhere = await request(app).post(path).set('Host', 'evil.example').set('X-Twilio-Signature', sig).type('form').send(params);
          expect(elsewhere.status).to.equal(401);
        } finally {
          ctx.config.publicUrl = saved;
        }
        expect((await row(sent.messageId))!.status).to.equal('delivered');
      });

      it('an undelivered callback fails the message with Twilio’s error code', async () => {
        const c = await newContact();
        const sent = await send(c, { channel: 'sms', text: 'x' });
        if (sent.status !== 'sent') expect.fail(JSON.stringify(sent));
        const res = await twilioHook('status', { MessageSid: sent.providerMessageId!, AccountSid: tw.accountSid, MessageStatus: 'undelivered', ErrorCode: '30005' });
        expect(res.body).to.deep.equal({ result: 'applied' });
        const after = (await row(sent.messageId))!;
        expect(after.status).to.equal('failed');
        expect(after.error).to.include({ code: 'twilio_30005' });
      });

      it('a provider error is a definite failure recorded on the outbox row', async () => {
        const c = await newContact();
        tw.next({ kind: 'error', status: 400, code: 21211, message: "The 'To' number is not a valid phone number." });
        const failed = await send(c, { channel: 'sms', text: 'x' });
        expect(failed).to.include({ status: 'failed', code: 'invalid_recipient' });
        expect((await row(failed.messageId))!.status).to.equal('failed');
      });

      it('“STOP” by SMS withdraws SMS consent, ends enrollments and answers empty TwiML (no auto-reply); a redelivery changes nothing', async () => {
        const c = await newContact();
        const before = { exits: exits.length, sent: tw.requests.length, events: events.length };
        const params = { MessageSid: `SM${'5'.repeat(32)}`, SmsMessageSid: `SM${'5'.repeat(32)}`, AccountSid: tw.accountSid, From: c.phone!, To: OUR_NUMBER, Body: 'STOP', NumMedia: '0' };
        const res = await twilioHook('inbound', params);
        expect(res.status).to.equal(200);
        expect(res.headers['content-type']).to.match(/^text\/xml/);
        expect(res.text).to.equal(EMPTY_TWIML);
        const sms = (await ctx.consents(tenantId).list(c.id)).filter((x) => x.channel === 'sms');
        expect(sms.every((x) => x.status === 'withdrawn') && sms.length === 3).to.equal(true);
        expect((await ctx.consents(tenantId).list(c.id)).filter((x) => x.channel === 'whatsapp').every((x) => x.status === 'granted')).to.equal(true);
        expect(exits.slice(before.exits)).to.deep.equal([
          { tenantId, contactId: c.id, reason: 'opted_out', channel: 'sms' },
          { tenantId, contactId: c.id, reason: 'replied', channel: 'sms' },
        ]);
        expect(events.at(-1)!.payload).to.deep.include({ channel: 'sms', body: 'STOP', optOut: true });
        const eventsBefore = (await ctx.consents(tenantId).events(c.id, {})).length;
        const again = await twilioHook('inbound', params);
        expect(again.status).to.equal(200);
        expect((await ctx.consents(tenantId).events(c.id, {})).length).to.equal(eventsBefore);
        expect(events.length - before.events).to.equal(1);
        expect(exits.length - before.exits).to.equal(2);
        expect(tw.requests.length, 'no reply sent').to.equal(before.sent);
        expect(await send(c, { channel: 'sms', text: 'x' })).to.deep.include({ status: 'blocked', reason: 'withdrawn' });
      });

      it('a WhatsApp reply through Twilio is a whatsapp message, not an opt-out', async () => {
        const c = await newContact();
        const res = await twilioHook('inbound', { MessageSid: `SM${'6'.repeat(32)}`, AccountSid: tw.accountSid, From: `whatsapp:${c.phone}`, To: `whatsapp:${OUR_NUMBER}`, Body: 'stop by tomorrow?', NumMedia: '0' });
        expect(res.status).to.equal(200);
        const stored = await new InboundMessageRepository(ctx.db, tenantId).byProviderId('twilio', `SM${'6'.repeat(32)}`);
        expect(stored).to.deep.include({ contactId: c.id, channel: 'whatsapp', optOut: null });
        expect((await ctx.consents(tenantId).list(c.id)).every((x) => x.status === 'granted')).to.equal(true);
      });
    });

    describe('email', () => {
      it('an email sent through the outbox reaches the SMTP server with the outbox Message-ID', async () => {
        const c = await newContact();
        const sent = await send(c, { channel: 'email', subject: 'عرض خاص', text: 'مرحبا', html: '<p>مرحبا</p>' });
        expect(sent, JSON.stringify(sent)).to.include({ status: 'sent', provider: 'smtp' });
        if (sent.status !== 'sent') return;
        const m = mail.messages.at(-1)!;
        expect(m.to).to.deep.equal([c.email]);
        expect(m.headers['message-id']).to.equal(sent.providerMessageId);
        expect(sent.providerMessageId).to.equal(`<${sent.messageId}@acme.example>`);
      });
    });

    describe('tenant opt-out words', () => {
      it('words set in the tenant settings are added to the defaults', async () => {
        const patch = await request(app).patch('/api/v1/tenant').set(owner.headers).send({ settings: { optOutWords: ['كفاية'] } });
        expect(patch.status, JSON.stringify(patch.body)).to.equal(200);
        expect(patch.body.settings.optOutWords).to.deep.equal(['كفاية']);
        const c = await newContact();
        const res = await ultramsgHook().send(ultramsgEvent('message_received', ultra.instanceId, { data: { id: `false_${waId(c)}_K1`, from: waId(c), body: 'كفايه!' } }));
        expect(res.body).to.include({ optOut: true });
        const c2 = await newContact();
        const stop = await ultramsgHook().send(ultramsgEvent('message_received', ultra.instanceId, { data: { id: `false_${waId(c2)}_K2`, from: waId(c2), body: 'Stop' } }));
        expect(stop.body).to.include({ optOut: true });
      });
    });

    describe('conversation', () => {
      it('shows inbound and outbound messages in one thread, oldest first, with pages back in time', async () => {
        const c = await newContact(rep.userId);
        const first = await send(c, { channel: 'whatsapp', text: 'مرحبا {{1}}', template: { name: 'hello', variables: { '1': 'سارة' } } });
        const reply = await twilioHook('inbound', { MessageSid: `SM${'7'.repeat(32)}`, AccountSid: tw.accountSid, From: `whatsapp:${c.phone}`, To: `whatsapp:${OUR_NUMBER}`, Body: 'أهلاً، متى نتحدث؟' });
        expect(reply.status).to.equal(200);
        const second = await send(c, { channel: 'whatsapp', text: 'غدًا الساعة ١٠' });
        expect([first.status, second.status]).to.deep.equal(['sent', 'sent']);

        const res = await request(app).get(`/api/v1/contacts/${c.id}/conversation`).set(rep.headers);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        const items = res.body.items as { id: string; direction: string; text: string; status: string | null; channel: string; template: string | null; provider: string }[];
        expect(items.map((i) => [i.direction, i.text])).to.deep.equal([
          ['outbound', 'مرحبا {{1}}'],
          ['inbound', 'أهلاً، متى نتحدث؟'],
          ['outbound', 'غدًا الساعة ١٠'],
        ]);
        expect(items[0]).to.include({ id: first.messageId, status: 'sent', template: 'hello', provider: 'ultramsg', channel: 'whatsapp' });
        expect(items[1]).to.include({ status: null, provider: 'twilio', channel: 'whatsapp' });
        expect(res.body.nextCursor).to.equal(null);

        const page1 = await request(app).get(`/api/v1/contacts/${c.id}/conversation?limit=2`).set(owner.headers);
        expect(page1.body.items.map((i: { text: string }) => i.text)).to.deep.equal(['أهلاً، متى نتحدث؟', 'غدًا الساعة ١٠']);
        expect(page1.body.nextCursor).to.be.a('string');
        const page2 = await request(app).get(`/api/v1/contacts/${c.id}/conversation?limit=2&cursor=${page1.body.nextCursor}`).set(owner.headers);
        expect(page2.body.items.map((i: { text: string }) => i.text)).to.deep.equal(['مرحبا {{1}}']);
        expect(page2.body.nextCursor).to.equal(null);

        expect((await request(app).get(`/api/v1/contacts/${c.id}/conversation`).set(rep2.headers)).status, 'another rep').to.equal(404);
        expect((await request(app).get(`/api/v1/contacts/${c.id}/conversation`).set(ownerB.headers)).status, 'another tenant').to.equal(404);
        expect((await request(app).get(`/api/v1/contacts/${c.id}/conversation?cursor=nope`).set(owner.headers)).status).to.equal(400);
        expect((await request(app).get(`/api/v1/contacts/${c.id}/conversation`)).status).to.equal(401);
      });
    });

    it('erasing a contact redacts the sender and text of its inbound messages', async () => {
      const c = await newContact();
      const id = `false_${waId(c)}_E1`;
      await ultramsgHook().send(ultramsgEvent('message_received', ultra.instanceId, { data: { id, from: waId(c), body: 'رقمي الآخر 0551112222' } }));
      const erase = await request(app).post(`/api/v1/contacts/${c.id}/erase`).set(owner.headers).send();
      expect(erase.status, JSON.stringify(erase.body)).to.equal(200);
      // The row stays; its provider id (which embeds the number) is now a keyed hash.
      expect(await new InboundMessageRepository(ctx.db, tenantId).byProviderId('ultramsg', id)).to.equal(null);
      const [stored] = await new InboundMessageRepository(ctx.db, tenantId).forContact(c.id, { limit: 5 });
      expect(stored).to.deep.include({ contactId: c.id, from: null, body: null });
      expect(stored!.providerMessageId).to.match(/^erased:[0-9a-f]{16}$/);
      expect(stored!.redactedAt).to.be.a('number');
      const thread = await request(app).get(`/api/v1/contacts/${c.id}/conversation`).set(owner.headers);
      expect(thread.body.items.map((i: { text: string | null }) => i.text)).to.deep.equal([null]);
    });

    it('other /hooks/ paths still reach the flow webhooks', async () => {
      const res = await request(app).post('/hooks/chan-a/no-such-flow').send({});
      expect(res.status).to.equal(404);
      expect(res.body.error.message).to.match(/published flow/);
    });
  });
}

// Issue 18, end to end: 1,000 contacts enrolled (in one batch) in a 4-step sequence with A/B
// variants — WhatsApp (UltraMsg) → SMS (Twilio) → WhatsApp → email (SMTP) with waits for a reply
// between the steps — against the local provider servers. The servers deliver, refuse (scripted
// errors), and the contacts reply in Arabic and English or opt out. At the end the step
// analytics (GET /flows/:id/analytics, CSV too) equal what the provider servers recorded,
// exactly; no contact got a message without consent, nor twice for one step; every contact's
// variant is its deterministic assignment.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import type { RequestListener } from 'node:http';
import { createContext, type AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import type { TenantSettings } from '../../db/tenant-repository.js';
import { TwilioProvider } from '../../server/channels/twilio.js';
import { SmtpProvider } from '../../server/channels/smtp.js';
import { UltraMsgProvider } from '../../server/channels/ultramsg.js';
import { assignVariant } from '../../server/analytics/variants.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startFakeUltraMsg, ultramsgEvent, type FakeUltraMsg } from '../helpers/fake-ultramsg.js';
import { startFakeTwilio, type FakeTwilio } from '../helpers/fake-twilio.js';
import { startFakeSmtp, type FakeSmtp } from '../helpers/fake-smtp.js';
import { waitFor } from '../helpers/wait-for.js';
import type { Channel, Purpose } from '../../engine/consent/consent-rule.js';

const SECRET = 'whsec_sim_0123456789abcdefghij';
const CONTACTS = Number(process.env.SIM_CONTACTS ?? 1000);
const WAIT_SECONDS = 3;
const UNLIMITED = '100000';

const OPEN_POLICY = {
  timezone: 'Asia/Riyadh',
  businessDays: [0, 1, 2, 3, 4, 5, 6],
  businessHours: { start: '00:00', end: '24:00' },
  channels: Object.fromEntries(['whatsapp', 'sms', 'email', 'call'].map((c) => [c, { respectBusinessHours: false, allowedHours: null }])),
  caps: { perContactPerDay: { whatsapp: null, sms: null, email: null, call: null }, perTenantPerDay: { whatsapp: null, sms: null, email: null, call: null } },
};

const edge = (id: string, from: string, port: string, to: string) => ({ id, from: { node: from, port }, to: { node: to, port: 'in' } });
const wait = (id: string) => ({ id, type: 'wait.event', params: { event: 'message.received', timeoutSeconds: WAIT_SECONDS } });
const end = (id: string) => ({ id, type: 'data.set', params: { fields: { end: id } } });

const SEQUENCE = {
  schemaVersion: 1,
  name: 'تسلسل المتابعة — 4-step follow-up',
  nodes: [
    { id: 'start', type: 'trigger.manual', params: {} },
    {
      id: 'wa1',
      type: 'send.whatsapp',
      label: 'ترحيب',
      params: {
        purpose: 'marketing',
        template: { name: 'welcome', language: 'ar', variables: { name: '=$contact.name' } },
        text: 'مرحباً، لدينا عرض لك',
        variants: [
          { id: 'A', text: 'مرحباً {{name}}، لدينا عرض خاص لك هذا الأسبوع' },
          { id: 'B', text: 'Hello, we have an offer for you — عرض خاص', weight: 1 },
        ],
      },
    },
    wait('w1'),
    { id: 'sms2', type: 'send.sms', params: { purpose: 'marketing', text: 'تذكير بالعرض', variants: [{ id: 'short', text: 'تذكير: العرض ينتهي قريباً' }, { id: 'long', text: 'Reminder: the offer ends soon. Reply to book a call — رد للحجز', weight: 2 }] } },
    wait('w2'),
    { id: 'wa3', type: 'send.whatsapp', params: { purpose: 'marketing', template: { name: 'last_chance', language: 'ar' }, text: 'فرصة أخيرة للحصول على العرض' } },
    wait('w3'),
    { id: 'email4', type: 'send.email', params: { purpose: 'marketing', subject: 'عرضنا لك — Our offer', text: 'تفاصيل العرض في المرفق. Details inside.' } },
    end('blocked1'),
    end('repliedEnd'),
  ],
  edges: [
    edge('e1', 'start', 'out', 'wa1'),
    edge('e2', 'wa1', 'sent', 'w1'),
    edge('e3', 'wa1', 'blocked', 'blocked1'),
    edge('e4', 'w1', 'timeout', 'sms2'),
    edge('e5', 'w1', 'received', 'repliedEnd'),
    edge('e6', 'sms2', 'sent', 'w2'),
    edge('e7', 'w2', 'timeout', 'wa3'),
    edge('e8', 'wa3', 'sent', 'w3'),
    edge('e9', 'w3', 'timeout', 'email4'),
  ],
};

/** Scripted replies: Arabic and English, a few opt-outs in both. */
const REPLIES = ['نعم، أنا مهتم', 'Yes, please call me', 'ممكن تفاصيل أكثر؟', 'What is the price?', 'مو الحين، بعد رمضان'];
const OPT_OUTS = ['إيقاف', 'STOP'];

interface Report {
  enrolled: number;
  versions: number[];
  steps: Array<{
    nodeId: string;
    label: string | null;
    counts: { reached: number; sent: number; blocked: number; failed: number; delivered: number; read: number; replied: number; optedOut: number } & Record<string, number>;
    blockedBy: Record<string, number>;
    failedBy: Record<string, number>;
    medianReplyMs: number | null;
    variants: Array<{ variant: string; counts: Record<string, number> }>;
    comparison: { method: string; leader: string | null; against: Array<{ pValue: number }> } | null;
  }>;
  days: Array<{ day: string; enrolled: number; counts: Record<string, number> }>;
}

describe('analytics simulation: 1,000 contacts through a 4-step sequence with variants (SQLite)', function () {
  this.timeout(240_000);
  let tdb: TestDatabase;
  let ctx: AppContext;
  let app: RequestListener;
  let ultra: FakeUltraMsg;
  let tw: FakeTwilio;
  let mail: FakeSmtp;
  let tenantId: string;
  let admin: TestMember;
  let flowId: string;
  const contacts: Array<{ id: string; phone: string; email: string; i: number; whatsapp: boolean }> = [];
  const posted = { delivered: 0, read: 0, replied: 0, optedOut: 0 };

  before(async () => {
    if (process.env.SIM_DEBUG) console.log(new Date().toISOString(), 'start');
    tdb = await createTestDatabase('sqlite');
    await tdb.db.close();
    ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: tdb.dataDir, DATABASE_URL: '' }), pino({ level: process.env.SIM_LOG ?? 'silent' }));
    await ctx.runtime.start();
    ctx.outbox.providers.register(new UltraMsgProvider({ timeoutMs: 5000 }), { account: (c) => c.instanceId ?? 'default' });
    ctx.outbox.providers.register(new TwilioProvider({ timeoutMs: 5000 }), { account: (c) => c.accountSid ?? 'default' });
    ctx.outbox.providers.register(new SmtpProvider({ connectionTimeoutMs: 5000, socketTimeoutMs: 5000 }), { account: (c) => `${c.host}:${c.user}` });
    app = createApp(ctx);
    [ultra, tw, mail] = await Promise.all([startFakeUltraMsg(), startFakeTwilio(), startFakeSmtp()]);
    tenantId = (await ctx.tenants.ensure('sim', 'Simulation Co', { sendPolicy: OPEN_POLICY, allowPrivateNetwork: true } as TenantSettings)).id;
    admin = await addMember(ctx, tenantId, 'admin');
    const creds = ctx.credentials(tenantId);
    await creds.create({ name: 'wa', type: 'ultramsg', data: { instanceId: ultra.instanceId, token: ultra.token, baseUrl: ultra.url, webhookSecret: SECRET, perSecond: UNLIMITED }, createdBy: 'test' });
    await creds.create({ name: 'tw', type: 'twilio', data: { accountSid: tw.accountSid, authToken: tw.authToken, from: '+14155550100', baseUrl: tw.url, perSecond: UNLIMITED }, createdBy: 'test' });
    await creds.create({ name: 'mail', type: 'smtp', data: { host: mail.host, port: mail.port, secure: false, user: mail.user, pass: mail.pass, from: 'Acme <sales@acme.example>', perSecond: UNLIMITED }, createdBy: 'test' });

    // Contacts in one transaction: every 10th has no WhatsApp consent (its first step is blocked).
    await ctx.db.sql.transaction(async (q) => {
      for (let i = 0; i < CONTACTS; i++) {
        const phone = `+9665${String(10_000_000 + i)}`;
        const email = `c${i}@example.sa`;
        const c = await ctx.contacts(tenantId).create({ name: i % 2 ? 'Sara' : 'سارة', phone, email }, q);
        const whatsapp = i % 10 !== 0;
        const channels: Channel[] = whatsapp ? ['whatsapp', 'sms', 'email'] : ['sms', 'email'];
        for (const channel of channels) {
          await ctx.consents(tenantId).change(c.id, channel, 'marketing' as Purpose, 'grant', { actor: 'test', source: 'web_form', evidence: { form: 'https://acme.sa/f' } }, q);
        }
        contacts.push({ id: c.id, phone, email, i, whatsapp });
      }
    });
    if (process.env.SIM_DEBUG) console.log(new Date().toISOString(), 'contacts ready');
    const flow = await request(app).post('/api/v1/flows').set(admin.headers).send({ name: SEQUENCE.name, definition: SEQUENCE }).expect(201);
    flowId = flow.body.id as string;
    await request(app).post(`/api/v1/flows/${flowId}/publish`).set(admin.headers).send({}).expect(201);
  });

  after(async () => {
    await ctx?.close();
    await Promise.all([ultra?.close(), tw?.close(), mail?.close()]);
    await tdb?.drop();
  });

  const hook = () => request(app).post(`/hooks/providers/ultramsg/sim/${SECRET}`);
  const waId = (phone: string) => `${phone.slice(1)}@c.us`;

  it('runs the sequence; analytics equal the provider servers’ records; consent and once-per-step hold', async () => {
    // The first 12 WhatsApp sends are refused by the provider (definite failures).
    ultra.next(...Array.from({ length: 12 }, () => ({ kind: 'error' as const, error: 'instance is busy' })));
    // Enroll in one batch; the contacts react while it runs (the first steps go out during the call).
    let enrollDone = false;
    const enrolling = request(app)
      .post('/api/v1/enrollments')
      .set(admin.headers)
      .send({ flowId, contactIds: contacts.map((c) => c.id) })
      .then((r) => {
        enrollDone = true;
        return r;
      });

    // As first-step messages go out, the "device" delivers most, some are read, some contacts
    // reply (while the flow waits for it) or opt out — each at most once.
    const handled = new Set<string>();
    const react = async (): Promise<void> => {
      const rows = await ctx.db.sql.query(`SELECT id, contact_id, provider_message_id FROM outbound_messages WHERE tenant_id = $1 AND node_id = 'wa1' AND status = 'sent'`, [tenantId]);
      for (const r of rows) {
        const id = String(r.id);
        if (handled.has(id)) continue;
        handled.add(id);
        const c = contacts.find((x) => x.id === r.contact_id)!;
        const pmid = String(r.provider_message_id);
        if (c.i % 10 < 7) {
          await hook().send(ultramsgEvent('message_ack', ultra.instanceId, { id: pmid, data: { ack: c.i % 10 < 4 ? 'read' : 'device', fromMe: true } })).expect(200);
          posted.delivered++;
          if (c.i % 10 < 4) posted.read++;
        }
        if (c.i % 7 === 1 || c.i % 31 === 5) {
          const optOut = c.i % 31 === 5 && c.i % 7 !== 1;
          const body = optOut ? OPT_OUTS[c.i % 2]! : REPLIES[c.i % REPLIES.length]!;
          await hook()
            .send(ultramsgEvent('message_received', ultra.instanceId, { data: { id: `false_${waId(c.phone)}_R${c.i}`, from: waId(c.phone), to: '14155550100@c.us', body } }))
            .expect(200);
          if (optOut) posted.optedOut++;
          else posted.replied++;
        }
      }
    };
    // Until every enrollment has ended (replied, opted out, failed or completed).
    await waitFor(
      async () => {
        await react();
        const live = await ctx.db.sql.query(`SELECT COUNT(*) AS n FROM enrollments WHERE tenant_id = $1 AND state IN ('active', 'paused')`, [tenantId]);
        const unsettled = await ctx.db.sql.query(`SELECT COUNT(*) AS n FROM outbound_messages WHERE tenant_id = $1 AND status IN ('pending', 'sending', 'deferred')`, [tenantId]);
        if (process.env.SIM_DEBUG) {
          const st = await ctx.db.sql.query(`SELECT node_id, status, COUNT(*) AS n FROM outbound_messages WHERE tenant_id = $1 GROUP BY node_id, status`, [tenantId]);
          const en = await ctx.db.sql.query(`SELECT state, COUNT(*) AS n FROM enrollments WHERE tenant_id = $1 GROUP BY state`, [tenantId]);
          const errs = await ctx.db.sql.query(`SELECT error, COUNT(*) AS n FROM outbound_messages WHERE tenant_id = $1 AND status = 'failed' GROUP BY error`, [tenantId]);
          console.log(JSON.stringify(errs));
          console.log(new Date().toISOString(), JSON.stringify(st.map((r) => `${String(r.node_id)}:${String(r.status)}=${String(r.n)}`)), JSON.stringify(en));
        }
        if (!enrollDone || Number(live[0]!.n) > 0 || Number(unsettled[0]!.n) > 0) {
          // Enrollments catch up on read: ask for the list now and then.
          await request(app).get(`/api/v1/enrollments?flowId=${flowId}&limit=1`).set(admin.headers);
          return undefined;
        }
        return true;
      },
      200_000,
      250,
    );
    await react();
    const report = await enrolling;
    expect(report.status, JSON.stringify(report.body).slice(0, 500)).to.be.oneOf([200, 201]);
    expect(report.body.enrolled).to.have.length(CONTACTS);
    if (process.env.SIM_DEBUG) console.log(new Date().toISOString(), 'settled');

    // What the provider servers recorded.
    const ultraOk = ultra.requests.length - 12;
    const waByStep = await ctx.db.sql.query(`SELECT node_id, COUNT(*) AS n FROM outbound_messages WHERE tenant_id = $1 AND provider = 'ultramsg' AND status IN ('sent', 'delivered', 'read') GROUP BY node_id`, [tenantId]);
    const waSent = Object.fromEntries(waByStep.map((r) => [String(r.node_id), Number(r.n)]));
    expect((waSent.wa1 ?? 0) + (waSent.wa3 ?? 0), 'WhatsApp sends = the UltraMsg server’s accepted requests').to.equal(ultraOk);

    const res = await request(app).get(`/api/v1/flows/${flowId}/analytics`).set(admin.headers).expect(200);
    const a = res.body as Report;
    const step = (id: string) => a.steps.find((s) => s.nodeId === id)!;
    expect(a.enrolled).to.equal(CONTACTS);
    expect(a.versions).to.deep.equal([1]);
    const wa1 = step('wa1');
    const sms2 = step('sms2');
    const wa3 = step('wa3');
    const email4 = step('email4');
    expect(wa1.label).to.equal('ترحيب');
    // Step 1: every contact reached it; the non-consenting were blocked; 12 refused.
    expect(wa1.counts.reached).to.equal(CONTACTS);
    expect(wa1.counts.blocked).to.equal(CONTACTS / 10);
    expect(wa1.blockedBy).to.deep.equal({ missing: CONTACTS / 10 });
    expect(wa1.counts.failed).to.equal(12);
    expect(wa1.failedBy).to.deep.equal({ rejected: 12 });
    expect(wa1.counts.sent + wa3.counts.sent).to.equal(ultraOk);
    expect(wa1.counts.sent).to.equal(CONTACTS - CONTACTS / 10 - 12);
    // SMS and email: exactly the Twilio server's and the SMTP server's messages.
    expect(sms2.counts.sent).to.equal(tw.requests.length);
    expect(email4.counts.sent).to.equal(mail.messages.length);
    expect(tw.requests.length).to.be.greaterThan(0);
    expect(mail.messages.length).to.be.greaterThan(0);
    // Delivery news and replies: exactly what was posted.
    expect(wa1.counts.delivered).to.equal(posted.delivered);
    expect(wa1.counts.read).to.equal(posted.read);
    const total = (k: string) => a.steps.reduce((n, s) => n + (s.counts[k] ?? 0), 0);
    expect(total('replied'), 'replies').to.equal(posted.replied);
    expect(total('optedOut'), 'opt-outs').to.equal(posted.optedOut);
    expect(posted.replied).to.be.greaterThan(CONTACTS / 20);
    for (const s of a.steps) if (s.counts.replied > 0) expect(s.medianReplyMs, `${s.nodeId} median time to reply`).to.be.a('number');
    // Each step's variants add up to the step, and the comparison is there.
    for (const s of [wa1, sms2]) {
      expect(s.variants.map((v) => v.variant)).to.have.length(2);
      for (const k of ['reached', 'sent', 'blocked', 'failed', 'replied']) expect(s.variants.reduce((n, v) => n + v.counts[k]!, 0), `${s.nodeId} ${k}`).to.equal(s.counts[k]);
      expect(s.comparison?.method).to.equal('two_proportion_z_test');
    }
    expect(wa3.variants).to.have.length(0);
    // By day (Riyadh): the days add up to the totals.
    expect(a.days.reduce((n, d) => n + d.enrolled, 0)).to.equal(CONTACTS);
    expect(a.days.reduce((n, d) => n + d.counts.sent!, 0)).to.equal(total('sent'));

    // No message without consent; none twice for one step.
    const byPhone = new Map(contacts.map((c) => [c.phone, c]));
    for (const r of ultra.requests) expect(byPhone.get(r.to)?.whatsapp, `WhatsApp to ${r.to} without consent`).to.equal(true);
    const refs = ultra.requests.map((r) => r.referenceId);
    expect(new Set(refs).size, 'one UltraMsg request per message').to.equal(refs.length);
    const twice = await ctx.db.sql.query(
      `SELECT e.contact_id, m.node_id, COUNT(*) AS n FROM outbound_messages m JOIN enrollments e ON e.tenant_id = m.tenant_id AND e.execution_id = m.execution_id
       WHERE m.tenant_id = $1 AND m.status IN ('sent', 'delivered', 'read') GROUP BY e.contact_id, m.node_id HAVING COUNT(*) > 1`,
      [tenantId],
    );
    expect(twice, 'a contact messaged twice for one step').to.have.length(0);
    // Every sent message carries the contact's deterministic variant (and its text).
    const variants = await ctx.db.sql.query(`SELECT contact_id, node_id, variant FROM analytics_sends WHERE tenant_id = $1 AND node_id IN ('wa1', 'sms2')`, [tenantId]);
    for (const r of variants) {
      const node = SEQUENCE.nodes.find((n) => n.id === r.node_id)!;
      const expected = assignVariant((node.params as { variants: Array<{ id: string }> }).variants, { contactId: String(r.contact_id), flowId, flowVersion: 1, nodeId: String(r.node_id) });
      expect(r.variant).to.equal(expected.id);
    }
    const bodies = new Set(ultra.requests.map((r) => r.body));
    expect([...bodies].some((b) => b.startsWith('Hello, we have an offer'))).to.equal(true);

    // The CSV export carries the same totals.
    const csv = await request(app).get(`/api/v1/flows/${flowId}/analytics.csv`).set(admin.headers).expect(200);
    expect(csv.headers['content-type']).to.match(/text\/csv/);
    const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\r\n');
    const header = lines[0]!.split(',');
    const sentCol = header.indexOf('sent');
    expect(lines.slice(1).reduce((n, l) => n + Number(l.split(',')[sentCol]), 0)).to.equal(total('sent'));
  });
});

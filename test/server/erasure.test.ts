// Erasure leaves nothing readable (issue 14 item 8), on SQLite and PostgreSQL. A contact lives
// a full life — consents granted through the API, enrolled in a sequence that sends a WhatsApp
// message through the outbox to the local UltraMsg server and escalates to a manager, an inbound
// reply and an opt-out ("إلغاء") through UltraMsg's callback, a webhook execution carrying the
// phone in its payload, a deal and a meeting — then is erased. Afterwards EVERY table of the
// schema (all columns, as text) and every API answer about the contact hold neither the phone
// (in any spelling), the email nor the name; every row is still there, and the consent trail
// keeps its events' ids, types, channels, purposes and times.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import type { RequestListener } from 'node:http';
import { createContext, type AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import type { TenantSettings } from '../../db/tenant-repository.js';
import { NO_CONTACT_DATA_TABLES, SWEEP_TABLES } from '../../db/contacts/index.js';
import { UltraMsgProvider } from '../../server/channels/ultramsg.js';
import { addMembers, type TestMember } from '../helpers/api-auth.js';
import { DIALECTS, createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { startFakeUltraMsg, ultramsgEvent, type FakeUltraMsg } from '../helpers/fake-ultramsg.js';
import { waitFor } from '../helpers/wait-for.js';

const SECRET = 'whsec_erasure_0123456789abcdef';
const NAME = 'هند الشمري';
const PHONE = '+966556000001';
const EMAIL = 'hind.erasure@example.sa';
const WA = '966556000001@c.us';

/** Sends at any hour, no caps: the test does not depend on the clock. */
const OPEN_POLICY = {
  timezone: 'Asia/Riyadh',
  businessDays: [0, 1, 2, 3, 4, 5, 6],
  businessHours: { start: '00:00', end: '24:00' },
  channels: Object.fromEntries(['whatsapp', 'sms', 'email', 'call'].map((c) => [c, { respectBusinessHours: false, allowedHours: null }])),
  caps: { perContactPerDay: { whatsapp: null, sms: null, email: null, call: null }, perTenantPerDay: { whatsapp: null, sms: null, email: null, call: null } },
};

/**
 * Where the person still shows in `text` (written independently of the code under test): the
 * phone's national digits once separators are dropped and Arabic-Indic digits made ASCII (so
 * +966556000001, 966556000001@c.us, 0556000001, "055 600 0001", ٠٥٥٦٠٠٠٠٠١ all count), the email
 * in any letter case (also URL-encoded) and the name.
 */
function leaks(text: string): string[] {
  const found: string[] = [];
  const digits = text.replace(/[\u0660-\u0669]/g, (c) => String(c.charCodeAt(0) - 0x660)).replace(/[\u06f0-\u06f9]/g, (c) => String(c.charCodeAt(0) - 0x6f0));
  if (digits.replace(/[\s\-.()/\u00a0]/g, '').includes('556000001')) found.push('phone');
  const lower = text.toLowerCase();
  if (lower.includes(EMAIL) || lower.includes(encodeURIComponent(EMAIL))) found.push('email');
  if (text.includes(NAME)) found.push('name');
  return found;
}

const edge = (id: string, from: string, port: string, to: string) => ({ id, from: { node: from, port }, to: { node: to, port: 'in' } });

/** The sequence: message the contact on WhatsApp, then ask a manager to call, quoting name and number. */
const SEQUENCE = {
  schemaVersion: 1,
  name: 'ترحيب — Welcome',
  nodes: [
    { id: 'start', type: 'trigger.manual' },
    {
      id: 'hello',
      type: 'send.whatsapp',
      params: { purpose: 'marketing', template: { name: 'welcome', language: 'ar', variables: { name: '=$contact.name', phone: '=$contact.phone' } }, text: 'مرحباً {{name}}، رقمك {{phone}}', credential: 'wa' },
    },
    {
      id: 'ask',
      type: 'escalate',
      params: { assignee: { kind: 'role', role: 'manager' }, reason: '="اتصل بـ " & $contact.name & " على " & $contact.phone', priority: 'high', timeoutHours: 24, payload: { phone: '=$contact.phone', email: '=$contact.email' } },
    },
    { id: 'done', type: 'data.set', params: { fields: { result: 'done' } } },
  ],
  edges: [edge('e1', 'start', 'out', 'hello'), edge('e2', 'hello', 'sent', 'ask'), edge('e3', 'ask', 'approved', 'done')],
};

/** A web form's webhook: the lead waits an hour with its phone (unnormalised) in the payload. */
const FORM = {
  schemaVersion: 1,
  name: 'Web form',
  nodes: [
    { id: 'hook', type: 'trigger.webhook', params: { path: 'erase-form', method: 'POST', respond: 'immediately' } },
    { id: 'keep', type: 'data.set', params: { fields: { lead: '="lead " & name & " " & mobile' } } },
    { id: 'later', type: 'time.delay', params: { seconds: 3600 } },
  ],
  edges: [edge('e1', 'hook', 'out', 'keep'), edge('e2', 'keep', 'out', 'later')],
};

for (const dialect of DIALECTS) {
  describe(`erasure leaves nothing readable (${dialect})`, function () {
    this.timeout(120_000);
    let tdb: TestDatabase | undefined;
    let ctx: AppContext;
    let app: RequestListener;
    let ultra: FakeUltraMsg;
    let tenantId: string;
    const m = {} as Record<'owner' | 'admin' | 'manager', TestMember>;
    const api = () => request(app);

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      tdb = await createTestDatabase(dialect);
      await tdb.db.close();
      ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: tdb.dataDir, DATABASE_URL: tdb.url ?? '', TADFUQ_PUBLIC_URL: 'https://tadfuq.example.sa' }), pino({ level: 'silent' }));
      await ctx.runtime.start();
      ctx.outbox.providers.register(new UltraMsgProvider({ timeoutMs: 3000 }), { account: (c) => c.instanceId ?? 'default' });
      app = createApp(ctx);
      ultra = await startFakeUltraMsg();
      const tenant = await ctx.tenants.ensure('erasure-a', 'Erasure A', { sendPolicy: OPEN_POLICY } as TenantSettings);
      tenantId = tenant.id;
      const settings = { ...tenant.settings, allowPrivateNetwork: true };
      await ctx.tenants.updateSettings(tenantId, settings);
      ctx.tenantSettings.set(tenantId, settings);
      Object.assign(m, await addMembers(ctx, tenantId, { owner: 'owner', admin: 'admin', manager: 'manager' }));
      await ctx.credentials(tenantId).create({ name: 'wa', type: 'ultramsg', data: { instanceId: ultra.instanceId, token: ultra.token, baseUrl: ultra.url, webhookSecret: SECRET }, createdBy: 'test' });
    });

    after(async () => {
      await ctx?.close();
      await ultra?.close();
      await tdb?.drop();
    });

    async function tables(): Promise<string[]> {
      const rows =
        dialect === 'postgres'
          ? await ctx.db.sql.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
          : await ctx.db.sql.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
      return rows.map((r) => String(r.name)).sort();
    }
    const counts = async () => Object.fromEntries(await Promise.all((await tables()).map(async (t) => [t, Number((await ctx.db.sql.query(`SELECT COUNT(*) AS n FROM ${t}`))[0]!.n)] as const)));

    it('every table of the schema is either swept or declared free of contact data', async () => {
      const declared = [...SWEEP_TABLES.map((t) => t.table), ...NO_CONTACT_DATA_TABLES].sort();
      expect(await tables()).to.deep.equal(declared);
    });

    it('after a full life, erasure leaves the phone (any spelling), email and name in no table and no API answer; rows and the trail’s shape stay', async () => {
      // The contact, with consents granted through the API (evidence names her).
      const created = await api().post('/api/v1/contacts').set(m.manager.headers).send({ name: NAME, phone: '055 600 0001', email: 'Hind.Erasure@Example.SA', company: 'أكمي', attributes: { mobile2: '٠٥٥٦٠٠٠٠٠١' } }).expect(201);
      const contactId = created.body.id as string;
      expect(created.body).to.deep.include({ phone: PHONE, email: EMAIL });
      const evidence = { formUrl: `https://acme.sa/form?email=${encodeURIComponent(EMAIL)}`, ip: '203.0.113.7', userAgent: 'Mozilla/5.0', text: `أنا ${NAME} أوافق على تلقي العروض` };
      for (const [channel, purpose] of [
        ['whatsapp', 'marketing'],
        ['whatsapp', 'service'],
        ['email', 'service'],
      ]) {
        await api().post(`/api/v1/contacts/${contactId}/consents/grant`).set(m.manager.headers).send({ channel, purpose, source: 'web_form', evidence }).expect(200);
      }

      // Enrolled in the sequence: the WhatsApp message goes out through the outbox to UltraMsg, then a manager is asked.
      const adminApi = (method: 'post' | 'put', url: string, body: object) => api()[method](`/api/v1${url}`).set(m.admin.headers).send(body);
      const flowIds: string[] = [];
      for (const def of [SEQUENCE, FORM]) {
        const f = await adminApi('post', '/flows', { name: def.name, definition: def }).expect(201);
        await adminApi('post', `/flows/${f.body.id as string}/publish`, {}).expect(201);
        flowIds.push(f.body.id as string);
      }
      const enrolled = await adminApi('post', '/enrollments', { flowId: flowIds[0], contactIds: [contactId] }).expect((res) => expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 201]));
      expect(enrolled.body.enrolled, JSON.stringify(enrolled.body)).to.have.length(1);
      const escalation = await waitFor(async () => ((await api().get('/api/v1/escalations?status=open').set(m.manager.headers).expect(200)).body.items as { id: string }[])[0], 20_000, 50);
      expect(ultra.requests.map((r) => r.body).join()).to.include(NAME);
      await api().post(`/api/v1/escalations/${escalation.id}/approve`).set(m.manager.headers).send({ note: `كلمت ${NAME} على 0556000001` }).expect(200);

      // Her reply and her opt-out arrive through UltraMsg's callback (message ids embed her number).
      const hook = () => api().post(`/hooks/providers/ultramsg/erasure-a/${SECRET}`);
      const time = Math.floor(Date.now() / 1000);
      await hook().send(ultramsgEvent('message_received', ultra.instanceId, { data: { id: `false_${WA}_3EB0AA11`, from: WA, to: '14155550100@c.us', pushname: NAME, body: `نعم، أنا ${NAME}، بريدي ${EMAIL}`, time } })).expect(200);
      await hook().send(ultramsgEvent('message_received', ultra.instanceId, { data: { id: `false_${WA}_OPT1`, from: WA, to: '14155550100@c.us', pushname: NAME, body: 'إلغاء', time: time + 1 } })).expect(200);

      // A web form posts the lead again, its number spelled otherwise: that execution (no subject) waits an hour.
      const posted = await api().post('/hooks/erasure-a/erase-form').send({ name: NAME, mobile: '+966 55 600 0001', email: 'HIND.ERASURE@EXAMPLE.SA' }).expect(202);
      const formExecution = posted.body.executionId as string;
      await waitFor(async () => (await ctx.executions(tenantId).summary(formExecution))?.status === 'waiting', 20_000);

      // A deal and a meeting about her.
      const deal = await api().post('/api/v1/deals').set(m.manager.headers).send({ title: `صفقة ${NAME}`, contactId, valueSar: '15000.00' }).expect(201);
      await api().post('/api/v1/meetings').set(m.manager.headers).send({ contactId, dealId: deal.body.id, startsAt: new Date(Date.now() + 86_400_000).toISOString(), title: `اجتماع مع ${NAME}`, location: 'الرياض', notes: `اتصل على ${PHONE}` }).expect(201);
      // Her access export (an audit entry) before the erasure.
      await api().get(`/api/v1/contacts/${contactId}/export`).set(m.admin.headers).expect(200);

      const trailBefore = (await api().get(`/api/v1/contacts/${contactId}/consent-events?limit=500`).set(m.owner.headers).expect(200)).body.items as Record<string, unknown>[];
      expect(trailBefore.map((e) => e.type)).to.include.members(['grant', 'withdraw']);
      expect(JSON.stringify(trailBefore), 'the opt-out evidence holds UltraMsg’s message id').to.include(`false_${WA}_OPT1`);
      const before = await counts();
      // The whole database does hold her before (the scan below is able to fail).
      const dump = async () => {
        const out: Record<string, string[]> = {};
        for (const t of await tables()) {
          for (const row of await ctx.db.sql.query(`SELECT * FROM ${t}`)) {
            const hits = leaks(JSON.stringify(row));
            if (hits.length) (out[t] ??= []).push(`${hits.join('+')}: ${JSON.stringify(row).slice(0, 300)}`);
          }
        }
        return out;
      };
      const holding = Object.keys(await dump());
      expect(holding).to.include.members(['contacts', 'consents', 'consent_events', 'executions', 'execution_steps', 'outbound_messages', 'inbound_messages', 'provider_events', 'escalations', 'notifications', 'domain_events', 'deals', 'meetings']);

      // Erase.
      const erased = await api().post(`/api/v1/contacts/${contactId}/erase`).set(m.owner.headers).expect(200);
      expect(erased.body).to.deep.include({ alreadyErased: false });
      expect(erased.body.executions.cancelled, 'the waiting web-form run holding her number is cancelled').to.be.at.least(1);
      expect(erased.body.sweep.rows).to.be.greaterThan(0);

      // 1. No table, no column holds her any more.
      expect(await dump()).to.deep.equal({});
      // 2. Nothing was deleted (only the cancelled run's wait is gone).
      const after = await counts();
      for (const [t, n] of Object.entries(before)) if (t !== 'waits') expect(after[t], t).to.be.at.least(n);
      // 3. The consent trail keeps every event with its type, channel, purpose and time; the opt-out id became a keyed hash.
      const trailAfter = (await api().get(`/api/v1/contacts/${contactId}/consent-events?limit=500`).set(m.owner.headers).expect(200)).body.items as Record<string, unknown>[];
      const shape = (e: Record<string, unknown>) => ({ id: e.id, type: e.type, channel: e.channel, purpose: e.purpose, at: e.at });
      expect(trailAfter.filter((e) => trailBefore.some((b) => b.id === e.id)).map(shape)).to.deep.equal(trailBefore.map(shape));
      expect(trailAfter[0]).to.deep.include({ type: 'erasure' });
      const optOut = trailAfter.find((e) => e.type === 'withdraw' && e.source === 'opt_out_reply')!;
      const optOutEvidence = (optOut.details as { evidence: { providerMessageId: string } }).evidence;
      expect(optOutEvidence.providerMessageId).to.match(/^erased:[0-9a-f]{16}$/);
      expect(optOutEvidence).to.deep.include({ provider: 'ultramsg', text: 'إلغاء' });
      const grant = trailAfter.find((e) => e.type === 'grant')!;
      expect((grant.evidence as { userAgent: string }).userAgent).to.match(/^erased:/);
      expect((grant.evidence as { ip: string }).ip, 'the address identifies her too').to.match(/^erased:[0-9a-f]{16}$/);
      expect((grant.evidence as { text: string }).text, 'the wording quoting her name').to.match(/^erased:[0-9a-f]{16}$/);
      // The same message id hashes the same everywhere (the inbound row and the evidence still join).
      const inbound = await ctx.db.sql.query('SELECT provider_message_id FROM inbound_messages WHERE tenant_id = $1 AND contact_id = $2', [tenantId, contactId]);
      expect(inbound.map((r) => r.provider_message_id)).to.include(optOutEvidence.providerMessageId);

      // 4. Every API answer about her is clean.
      const answers: Record<string, unknown> = {};
      const get = async (label: string, url: string, who: TestMember = m.owner) => {
        const res = await api().get(`/api/v1${url}`).set(who.headers);
        expect(res.status, `${label}: ${JSON.stringify(res.body)}`).to.equal(200);
        answers[label] = res.body;
        return res.body as Record<string, unknown>;
      };
      await get('contact', `/contacts/${contactId}`);
      await get('consents', `/contacts/${contactId}/consents`);
      await get('consent-events', `/contacts/${contactId}/consent-events?limit=500`);
      await get('conversation', `/contacts/${contactId}/conversation`);
      await get('contact enrollments', `/contacts/${contactId}/enrollments`);
      const exported = await get('export', `/contacts/${contactId}/export`);
      expect((exported.records as Record<string, unknown[]>).inbound_messages).to.have.length(2);
      const executions = (await get('executions', '/executions?limit=200')).items as { id: string }[];
      expect(executions.length).to.be.at.least(2);
      for (const e of executions) await get(`execution ${e.id}`, `/executions/${e.id}`);
      const outbox = (await get('outbox', '/outbox?limit=200')).items as { id: string }[];
      expect(outbox).to.have.length(1);
      for (const o of outbox) await get(`outbox ${o.id}`, `/outbox/${o.id}`);
      const escalations = (await get('escalations', '/escalations?limit=200')).items as { id: string }[];
      for (const e of escalations) await get(`escalation ${e.id}`, `/escalations/${e.id}`);
      await get('notifications', '/notifications?limit=200', m.manager);
      await get('audit', '/audit?limit=500');
      await get('enrollments', '/enrollments?limit=200');
      await get('deals', '/deals?limit=200');
      await get('meetings', '/meetings?limit=200');
      await get('events', '/events?limit=200');
      await get('llm usage', '/llm-usage');
      for (const [label, body] of Object.entries(answers)) expect(leaks(JSON.stringify(body)), label).to.deep.equal([]);
      // The audit trail keeps its entries about her (opt-out, export, erasure).
      const audit = (answers.audit as { items: { action: string; target: string | null }[] }).items.filter((a) => a.target === contactId).map((a) => a.action);
      expect(audit).to.include.members(['contact.opt_out', 'contact.export', 'contact.erase']);
    });
  });
}

// The sales pipeline of issue 7, end to end on the embedded runtime and the local provider
// servers: "lead.created → ai.score → hot? escalate : consent.check → send.whatsapp".
// The score comes from Groq's API (a local OpenAI-compatible server, reached through groq-sdk),
// the WhatsApp message goes out through UltraMsg's API (a local server), and a manager decides
// the escalation through the inbox API. Nothing is sent without consent, and a rejected hot
// lead gets no message.
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
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { startFakeOpenAI, GROQ_TEST_KEY, type FakeOpenAI } from '../helpers/fake-openai.js';
import { startFakeUltraMsg, type FakeUltraMsg } from '../helpers/fake-ultramsg.js';
import { waitFor } from '../helpers/wait-for.js';

const mark = (id: string, result: string) => ({ id, type: 'data.set', params: { fields: { result } } });
const edge = (id: string, from: string, port: string, to: string) => ({ id, from: { node: from, port }, to: { node: to, port: 'in' } });

const PIPELINE = {
  schemaVersion: 1,
  name: 'تأهيل العملاء — Lead pipeline',
  nodes: [
    // Leads announced by the website form (POST /contacts announces every new contact too: those
    // carry no `channel` and do not start this flow, so each test lead runs exactly once).
    { id: 'lead', type: 'trigger.event', params: { event: 'lead.created', filter: '=data.channel = "website"' } },
    { id: 'score', type: 'ai.score', params: {} },
    { id: 'ask', type: 'escalate', params: { assignee: { kind: 'role', role: 'manager' }, reason: '="عميل ساخن — hot lead: " & $string($nodes.score.output.score)', priority: 'high', timeoutHours: 24 } },
    { id: 'consent', type: 'consent.check', params: { channel: 'whatsapp', purpose: 'marketing' } },
    {
      id: 'send',
      type: 'send.whatsapp',
      params: {
        purpose: 'marketing',
        template: { name: 'welcome', language: 'ar', variables: { name: '=$contact.name' } },
        text: 'مرحباً {{name}}، شكراً لاهتمامك. للإيقاف أرسل "إيقاف" — Reply STOP to opt out',
        credential: 'whatsapp',
      },
    },
    mark('rejected', 'rejected'),
    mark('noConsent', 'no consent'),
    mark('sent', 'sent'),
    mark('blocked', 'blocked'),
  ],
  edges: [
    edge('e1', 'lead', 'out', 'score'),
    edge('e2', 'score', 'hot', 'ask'),
    edge('e3', 'score', 'warm', 'consent'),
    edge('e4', 'score', 'cold', 'consent'),
    edge('e5', 'ask', 'approved', 'send'),
    edge('e6', 'ask', 'rejected', 'rejected'),
    edge('e7', 'consent', 'granted', 'send'),
    edge('e8', 'consent', 'missing', 'noConsent'),
    edge('e9', 'send', 'sent', 'sent'),
    edge('e10', 'send', 'blocked', 'blocked'),
  ],
};

describe('e2e: lead.created → ai.score → hot? escalate : consent.check → send.whatsapp', function () {
  this.timeout(60_000);
  let dataDir: string;
  let ctx: AppContext;
  let app: RequestListener;
  let groq: FakeOpenAI;
  let ultramsg: FakeUltraMsg;
  let admin: TestMember;
  let manager: TestMember;
  let seq = 0;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-e2e-'));
    ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: '' }), pino({ level: 'silent' }));
    await ctx.runtime.start();
    app = createApp(ctx);
    groq = await startFakeOpenAI();
    ultramsg = await startFakeUltraMsg();

    const tenant = await ctx.tenants.ensure('pipeline', 'Pipeline Co');
    // The local provider servers are on loopback; lead data may go to the model as it is.
    const settings = { ...tenant.settings, allowPrivateNetwork: true, llm: { external: 'allowed' as const } };
    await ctx.tenants.updateSettings(tenant.id, settings);
    ctx.tenantSettings.set(tenant.id, settings);
    admin = await addMember(ctx, tenant.id, 'admin');
    manager = await addMember(ctx, tenant.id, 'manager');

    const api = (method: 'post' | 'put', url: string, body: object) => request(app)[method](`/api/v1${url}`).set(admin.headers).send(body);
    await api('post', '/credentials', { name: 'groq', type: 'groq', data: { apiKey: GROQ_TEST_KEY, baseUrl: groq.url } }).expect(201);
    await api('post', '/credentials', { name: 'whatsapp', type: 'ultramsg', data: { instanceId: ultramsg.instanceId, token: ultramsg.token, baseUrl: ultramsg.url } }).expect(201);
    // Sends at any hour: the test must not depend on the day it runs (windows have their own tests).
    await api('put', '/send-policy', { channels: { whatsapp: { respectBusinessHours: false } } }).expect(200);
    const flow = await api('post', '/flows', { name: PIPELINE.name, definition: PIPELINE }).expect(201);
    const published = await api('post', `/flows/${flow.body.id as string}/publish`, {}).expect(201);
    expect(published.body.version ?? published.body.versions).to.not.equal(undefined);
  });

  after(async () => {
    await ctx?.close();
    await groq?.close();
    await ultramsg?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Create a contact (with WhatsApp marketing consent or none) and publish its lead.created event. */
  async function newLead(name: string, phone: string, consent: boolean, score: { score: number; tier: string }): Promise<{ contactId: string; executionId: string }> {
    const contact = await request(app).post('/api/v1/contacts').set(admin.headers).send({ name, phone, locale: 'ar' }).expect(201);
    const contactId = contact.body.id as string;
    if (consent) {
      await request(app)
        .post(`/api/v1/contacts/${contactId}/consents/grant`)
        .set(admin.headers)
        .send({ channel: 'whatsapp', purpose: 'marketing', source: 'web_form', evidence: { form: 'https://example.sa/signup', text: 'أوافق على تلقي العروض عبر واتساب' } })
        .expect(200);
    }
    groq.queue({ answer: { score: score.score, tier: score.tier, reasons: ['budget', 'company size'] } });
    const event = await request(app)
      .post('/api/v1/events')
      .set(admin.headers)
      .send({ id: `lead-${++seq}-${contactId}`, type: 'lead.created', subject: contactId, data: { channel: 'website' } })
      .expect((res) => expect(res.status).to.be.oneOf([200, 201, 202]));
    const started = event.body.started as { executionId: string }[];
    expect(started, 'the event starts the pipeline once').to.have.length(1);
    return { contactId, executionId: started[0]!.executionId };
  }

  const execution = async (id: string) => (await request(app).get(`/api/v1/executions/${id}`).set(admin.headers).expect(200)).body as { status: string; steps: { node: string; port: string | null; output: unknown }[] };
  const settled = (id: string) => waitFor(async () => {
    const e = await execution(id);
    return ['succeeded', 'failed', 'cancelled'].includes(e.status) ? e : undefined;
  }, 20_000, 50);
  const openEscalation = (executionId: string) => waitFor(async () => {
    const res = await request(app).get('/api/v1/escalations?status=open').set(manager.headers).expect(200);
    return (res.body.items as { id: string; executionId: string }[]).find((e) => e.executionId === executionId);
  }, 20_000, 50);
  const messagesTo = (phone: string) => ultramsg.requests.filter((r) => r.to.replace(/\D/g, '') === phone.replace(/\D/g, ''));

  let hotContactId = '';

  it('a hot lead waits for a manager; approved, the WhatsApp message goes out through UltraMsg once', async () => {
    const { executionId, contactId } = await newLead('سارة العتيبي', '+966501110001', true, { score: 91, tier: 'hot' });
    const escalation = await openEscalation(executionId);
    expect(messagesTo('+966501110001')).to.have.length(0);
    await request(app).post(`/api/v1/escalations/${escalation.id}/approve`).set(manager.headers).send({ note: 'اتصل بها اليوم' }).expect(200);
    const done = await settled(executionId);
    expect(done.status).to.equal('succeeded');
    expect(done.steps.map((s) => s.node)).to.include.members(['score', 'ask', 'send', 'sent']);
    const score = done.steps.find((s) => s.node === 'score')!;
    expect(score.port).to.equal('hot');
    expect(JSON.stringify(score.output)).to.include('groq');
    const sent = messagesTo('+966501110001');
    expect(sent).to.have.length(1);
    expect(sent[0]!.body).to.include('سارة العتيبي');
    expect(groq.requests.length).to.be.greaterThan(0);
    hotContactId = contactId;
  });

  it('the contact’s access export holds its message, escalation and events (PDPL access request)', async () => {
    const res = await request(app).get(`/api/v1/contacts/${hotContactId}/export`).set(admin.headers).expect(200);
    const records = res.body.records as Record<string, Record<string, unknown>[]>;
    expect(records.outbound_messages!.map((m) => m.status)).to.deep.equal(['sent']);
    expect(records.escalations!.map((e) => e.status)).to.deep.equal(['approved']);
    expect(records.domain_events!.map((e) => e.type)).to.include('lead.created');
    expect(res.body.executions).to.have.length.greaterThan(0);
  });

  it('erasing the contact redacts its escalation, the members’ notifications about it and its events, keeping their records', async () => {
    const escalationId = ((await request(app).get(`/api/v1/contacts/${hotContactId}/export`).set(admin.headers).expect(200)).body.records.escalations as { id: string }[])[0]!.id;
    type Notification = { title: { ar: string; en: string }; body: string | null; link: string | null };
    const aboutIt = async () => ((await request(app).get('/api/v1/notifications').set(manager.headers).expect(200)).body.items as Notification[]).filter((n) => n.link === `/escalations/${escalationId}`);
    expect((await aboutIt()).map((n) => n.title.ar).join()).to.include('عميل ساخن');
    await request(app).post(`/api/v1/contacts/${hotContactId}/erase`).set(admin.headers).send({}).expect(200);
    const notifications = await aboutIt();
    expect(notifications).to.have.length.greaterThan(0);
    for (const n of notifications) expect(n).to.deep.include({ title: { ar: 'redacted: contact erased', en: 'redacted: contact erased' }, body: null });
    const res = await request(app).get(`/api/v1/contacts/${hotContactId}/export`).set(admin.headers).expect(200);
    const records = res.body.records as Record<string, Record<string, unknown>[]>;
    const escalation = records.escalations![0]!;
    expect(escalation.status).to.equal('approved');
    expect(escalation.payload).to.deep.equal({ redacted: 'contact_erased' });
    expect(JSON.stringify(escalation)).to.not.include('اتصل بها اليوم');
    expect(records.domain_events!.map((e) => e.data)).to.deep.equal(records.domain_events!.map(() => ({ redacted: 'contact_erased' })));
    expect(JSON.stringify(res.body)).to.not.include('سارة العتيبي');
  });

  it('a hot lead the manager rejects gets no message', async () => {
    const { executionId } = await newLead('Omar Haddad', '+966501110002', true, { score: 88, tier: 'hot' });
    const escalation = await openEscalation(executionId);
    await request(app).post(`/api/v1/escalations/${escalation.id}/reject`).set(manager.headers).send({ note: 'not a fit' }).expect(200);
    const done = await settled(executionId);
    expect(done.status).to.equal('succeeded');
    expect(done.steps.map((s) => s.node)).to.include('rejected').and.not.include('send');
    expect(messagesTo('+966501110002')).to.have.length(0);
  });

  it('a warm lead with consent is messaged without an escalation', async () => {
    const { executionId } = await newLead('نورة الشمري', '+966501110003', true, { score: 55, tier: 'warm' });
    const done = await settled(executionId);
    expect(done.status).to.equal('succeeded');
    expect(done.steps.map((s) => s.node)).to.include.members(['consent', 'send', 'sent']).and.not.include('ask');
    expect(messagesTo('+966501110003')).to.have.length(1);
  });

  it('correcting a lead announces lead.updated with the changed fields', async () => {
    const contact = await request(app).post('/api/v1/contacts').set(admin.headers).send({ name: 'Lina Farouk', phone: '+966501110009', locale: 'en' }).expect(201);
    const id = contact.body.id as string;
    await request(app).patch(`/api/v1/contacts/${id}`).set(admin.headers).send({ company: 'Najd Health' }).expect(200);
    const events = await ctx.db.sql.query("SELECT data FROM domain_events WHERE subject = $1 AND type = 'lead.updated'", [id]);
    expect(events).to.have.length(1);
    const data = JSON.parse(String(events[0]!.data)) as { fields: string[]; contact: { company: string } };
    expect(data.fields).to.deep.equal(['company']);
    expect(data.contact.company).to.equal('Najd Health');
  });

  it('a lead without consent is never messaged', async () => {
    const { executionId } = await newLead('فهد الدوسري', '+966501110004', false, { score: 20, tier: 'cold' });
    const done = await settled(executionId);
    expect(done.steps.map((s) => s.node)).to.include('noConsent').and.not.include('send');
    expect(messagesTo('+966501110004')).to.have.length(0);
  });
});

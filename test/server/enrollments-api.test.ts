// The enrollments API (server/routes/enrollments.ts) on SQLite and on PostgreSQL: enrolling by
// ids and by CSV (bad rows reported with their line), listing with filters and cursor pages, an
// enrollment with its history, pause / resume / unenroll, the consent withdrawal and erasure
// routes ending enrollments, sales reps limited to their own contacts, roles, and another
// tenant's ids answering 404.
import { expect } from 'chai';
import request from 'supertest';
import type { RequestListener } from 'node:http';
import { type AppContext } from '../../server/app-context.js';
import { addMember, addMembers, type TestMember } from '../helpers/api-auth.js';
import { requirePostgres, type Dialect } from '../helpers/databases.js';
import { openApiEnv, type ApiEnv } from '../helpers/api-env.js';
import { flow } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';

type Body = Record<string, unknown>;
const EVIDENCE = { formUrl: 'https://acme.sa/ar/contact', text: 'أوافق على تلقي العروض عبر واتساب' };

/** trigger → delay (an hour) → WhatsApp message: a sequence that sends on WhatsApp. */
const whatsappSequence = flow(
  [
    { id: 'start', type: 'trigger.manual' },
    { id: 'wait', type: 'time.delay', params: { seconds: 3600 } },
    { id: 'wa', type: 'send.whatsapp', params: { purpose: 'marketing', text: 'عرض خاص' } },
  ],
  [['start', 'out', 'wait'], ['wait', 'out', 'wa']],
);
/** trigger → delay (an hour) → set: sends nothing. */
const quietSequence = flow(
  [
    { id: 'start', type: 'trigger.manual' },
    { id: 'wait', type: 'time.delay', params: { seconds: 3600 } },
    { id: 'note', type: 'data.set', params: { fields: { done: true } } },
  ],
  [['start', 'out', 'wait'], ['wait', 'out', 'note']],
);

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  describe(`enrollments API (${dialect})`, function () {
    this.timeout(120_000);
    let env: ApiEnv | undefined;
    let ctx: AppContext;
    let app: RequestListener;
    let tenantA: string;
    let tenantB: string;
    let waFlow: string;
    let quietFlow: string;
    let phoneSeq = 0;
    const m = {} as Record<'owner' | 'admin' | 'manager' | 'rep1' | 'rep2' | 'viewer' | 'ownerB', TestMember>;

    const api = () => request(app);
    const nextPhone = (): string => `05510${String(10_000 + phoneSeq++).padStart(5, '0')}`;
    async function contact(who: TestMember, body: Body = {}): Promise<Body> {
      const res = await api().post('/api/v1/contacts').set(who.headers).send({ name: 'ليلى', phone: nextPhone(), ...body });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      return res.body as Body;
    }
    async function enroll(who: TestMember, body: Body, status = 200): Promise<Body> {
      const res = await api().post('/api/v1/enrollments').set(who.headers).send(body);
      expect(res.status, JSON.stringify(res.body)).to.equal(status);
      return res.body as Body;
    }
    const enrolledIds = (report: Body) => (report.enrolled as Body[]).map((e) => e.enrollmentId as string);
    const executionStatus = async (id: string) => (await ctx.executions(tenantA).get(id))?.status;

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      env = await openApiEnv(dialect, 'enrollments');
      ({ ctx, app } = env);
      tenantA = (await ctx.tenants.ensure('enroll-a', 'Enroll A')).id;
      tenantB = (await ctx.tenants.ensure('enroll-b', 'Enroll B')).id;
      Object.assign(m, await addMembers(ctx, tenantA, { owner: 'owner', admin: 'admin', manager: 'manager', rep1: 'sales_rep', rep2: 'sales_rep', viewer: 'viewer' }));
      m.ownerB = await addMember(ctx, tenantB, 'owner');
      waFlow = (await ctx.flows(tenantA).publish(whatsappSequence)).flowId;
      quietFlow = (await ctx.flows(tenantA).publish(quietSequence)).flowId;
    });

    after(async () => {
      await env?.close();
    });

    it('enrolls contacts by id (one execution each) and reports the ones it skips', async () => {
      const [a, b] = [await contact(m.manager), await contact(m.manager)];
      const erased = await contact(m.manager);
      await api().post(`/api/v1/contacts/${erased.id as string}/erase`).set(m.owner.headers).expect(200);
      const foreign = await contact(m.ownerB);
      const report = await enroll(m.manager, { flowId: quietFlow, contactIds: [a.id, b.id, erased.id, foreign.id, 'no-such-contact', a.id] });
      expect(report).to.include({ flowId: quietFlow, flowVersion: 1 });
      expect((report.enrolled as Body[]).map((e) => e.contactId)).to.deep.equal([a.id, b.id]);
      expect((report.skipped as Body[]).map((s) => [s.contactId, s.reason])).to.have.deep.members([
        [erased.id, 'erased'],
        [foreign.id, 'not_found'],
        ['no-such-contact', 'not_found'],
        [a.id, 'duplicate'],
      ]);
      for (const e of report.enrolled as Body[]) {
        await waitFor(async () => (await executionStatus(e.executionId as string)) === 'waiting');
        expect((await ctx.executions(tenantA).get(e.executionId as string))!.subject).to.equal(e.contactId);
      }
      const again = await enroll(m.manager, { flowId: quietFlow, contactIds: [a.id] });
      expect(again.enrolled).to.deep.equal([]);
      expect(again.skipped).to.deep.equal([{ contactId: a.id, reason: 'already_enrolled', message: 'the contact is already in this flow', enrollmentId: enrolledIds(report)[0] }]);

      const one = await api().get(`/api/v1/enrollments/${enrolledIds(report)[0]!}`).set(m.viewer.headers).expect(200);
      expect(one.body).to.deep.include({ flowId: quietFlow, contactId: a.id, state: 'active', currentNode: 'wait', pendingNodes: ['wait'], allowReentry: false, endedAt: null, endReason: null });
      expect(one.body.enrolledBy).to.equal(`user:${m.manager.userId}`);
      expect((one.body.history as Body[]).map((h) => [h.fromState, h.toState, h.reason, h.actor])).to.deep.equal([[null, 'active', 'enrolled', `user:${m.manager.userId}`]]);
      const mine = await api().get(`/api/v1/contacts/${a.id as string}/enrollments`).set(m.viewer.headers).expect(200);
      expect((mine.body.items as Body[]).map((e) => e.id)).to.deep.equal([enrolledIds(report)[0]]);
      const audit = await ctx.audit(tenantA).list({ limit: 20, action: 'enrollments.create' });
      expect(audit.some((e) => e.target === quietFlow && (e.details as Body).enrolled === 2)).to.equal(true);
    });

    it('refuses flows it cannot enroll in: unknown or another tenant’s (404), unpublished, paused or without a manual trigger (409)', async () => {
      const c = await contact(m.manager);
      const foreignFlow = (await ctx.flows(tenantB).publish(quietSequence)).flowId;
      expect((await enroll(m.manager, { flowId: foreignFlow, contactIds: [c.id] }, 404)).error).to.include({ code: 'not_found' });
      await enroll(m.manager, { flowId: 'no-such-flow', contactIds: [c.id] }, 404);
      const draft = await ctx.flows(tenantA).create({ name: 'draft only' });
      expect(((await enroll(m.manager, { flowId: draft.id, contactIds: [c.id] }, 409)).error as Body).code).to.equal('flow_not_published');
      const hookOnly = await ctx.flows(tenantA).publish(flow([{ id: 'hook', type: 'trigger.webhook', params: { path: 'enroll-hook' } }, { id: 's', type: 'data.set', params: { fields: { a: 1 } } }], [['hook', 'out', 's']]));
      expect(((await enroll(m.manager, { flowId: hookOnly.flowId, contactIds: [c.id] }, 409)).error as Body).code).to.equal('no_manual_trigger');
      const paused = await ctx.flows(tenantA).publish(quietSequence);
      await ctx.flows(tenantA).setLive(paused.flowId, false);
      expect(((await enroll(m.manager, { flowId: paused.flowId, contactIds: [c.id] }, 409)).error as Body).code).to.equal('flow_paused');
      // Exactly one of contactIds and csv.
      await enroll(m.manager, { flowId: quietFlow }, 400);
      await enroll(m.manager, { flowId: quietFlow, contactIds: [c.id], csv: 'contact_id\nx\n' }, 400);
      await enroll(m.manager, { flowId: quietFlow, contactIds: [] }, 400);
      const rows = await ctx.db.sql.query('SELECT COUNT(*) AS n FROM enrollments WHERE tenant_id = $1 AND contact_id = $2', [tenantA, c.id]);
      expect(Number(rows[0]!.n)).to.equal(0);
    });

    it('enrolls from a CSV by contact_id, phone or email, reporting bad rows with their line', async () => {
      const byId = await contact(m.manager);
      const byPhone = await contact(m.manager, { phone: '0551999001' });
      const byEmail = await contact(m.manager, { email: 'Rawan@Example.SA', phone: undefined });
      const csv = [
        'contact_id,phone,email,notes',
        `${byId.id as string},,,first`,
        ',+966 55 199 9001,,second',
        ',,RAWAN@example.sa,third',
        ',12345,,bad phone',
        ',,,nothing',
        ',,nobody@example.sa,unknown',
        `${byId.id as string},,,again`,
      ].join('\r\n');
      const report = await enroll(m.manager, { flowId: quietFlow, csv });
      expect((report.enrolled as Body[]).map((e) => [e.row, e.contactId])).to.deep.equal([
        [2, byId.id],
        [3, byPhone.id],
        [4, byEmail.id],
      ]);
      expect((report.skipped as Body[]).map((s) => [s.row, s.reason])).to.deep.equal([
        [5, 'invalid_phone'],
        [6, 'missing_contact'],
        [7, 'not_found'],
        [8, 'duplicate'],
      ]);
      const noColumn = await enroll(m.manager, { flowId: quietFlow, csv: 'name\nسارة\n' }, 400);
      expect((noColumn.error as Body).code).to.equal('invalid_csv');
    });

    it('lists enrollments by flow, contact and state in cursor pages', async () => {
      const t = (await ctx.tenants.ensure('enroll-list', 'List')).id;
      const boss = await addMember(ctx, t, 'manager');
      const f = (await ctx.flows(t).publish(quietSequence)).flowId;
      const other = (await ctx.flows(t).publish(whatsappSequence)).flowId;
      const people = [];
      for (let i = 0; i < 3; i++) people.push(await contact(boss));
      const first = await enroll(boss, { flowId: f, contactIds: people.map((p) => p.id) });
      await enroll(boss, { flowId: other, contactIds: [people[0]!.id] });
      const ids = enrolledIds(first);
      await api().post(`/api/v1/enrollments/${ids[1]!}/unenroll`).set(boss.headers).expect(200);
      const list = async (query: string) => (await api().get(`/api/v1/enrollments?${query}`).set(boss.headers).expect(200)).body as { items: Body[]; nextCursor: string | null };
      expect((await list(`flowId=${f}`)).items.map((e) => e.id)).to.deep.equal([...ids].reverse());
      expect((await list(`flowId=${f}&state=active`)).items.map((e) => e.id)).to.deep.equal([ids[2], ids[0]]);
      expect((await list(`state=cancelled`)).items.map((e) => [e.id, e.endReason])).to.deep.equal([[ids[1], 'unenrolled']]);
      expect((await list(`contactId=${people[0]!.id as string}`)).items.map((e) => e.flowId)).to.deep.equal([other, f]);
      const seen: unknown[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: Body[]; nextCursor: string | null } = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).to.have.length(4);
      expect(new Set(seen).size).to.equal(4);
      await api().get('/api/v1/enrollments?cursor=garbage').set(boss.headers).expect(400);
      await api().get('/api/v1/enrollments?state=sleeping').set(boss.headers).expect(400);
    });

    it('pauses, resumes and unenrolls; each answers 409 from the wrong state; viewers may read but not change', async () => {
      const c = await contact(m.manager);
      const [id] = enrolledIds(await enroll(m.manager, { flowId: quietFlow, contactIds: [c.id] }));
      const first = (await api().get(`/api/v1/enrollments/${id!}`).set(m.manager.headers).expect(200)).body as Body;
      await waitFor(async () => (await executionStatus(first.executionId as string)) === 'waiting');
      await api().post(`/api/v1/enrollments/${id!}/pause`).set(m.viewer.headers).expect(403);
      await api().post(`/api/v1/enrollments/${id!}/resume`).set(m.manager.headers).expect(409);
      const paused = await api().post(`/api/v1/enrollments/${id!}/pause`).set(m.manager.headers).expect(200);
      expect(paused.body).to.deep.include({ state: 'paused', currentNode: 'wait' });
      expect(await executionStatus(first.executionId as string)).to.equal('cancelled');
      const conflict = await api().post(`/api/v1/enrollments/${id!}/pause`).set(m.manager.headers).expect(409);
      expect(conflict.body.error.code).to.equal('enrollment_state');
      const resumed = await api().post(`/api/v1/enrollments/${id!}/resume`).set(m.manager.headers).expect(200);
      expect(resumed.body.state).to.equal('active');
      await waitFor(async () => (await executionStatus(resumed.body.executionId as string)) === 'waiting');
      expect((await api().get(`/api/v1/enrollments/${id!}`).set(m.viewer.headers).expect(200)).body).to.deep.include({ currentNode: 'wait' });
      const ended = await api().post(`/api/v1/enrollments/${id!}/unenroll`).set(m.manager.headers).expect(200);
      expect(ended.body).to.deep.include({ state: 'cancelled', endReason: 'unenrolled' });
      expect((ended.body.history as Body[]).map((h) => h.toState)).to.deep.equal(['active', 'paused', 'active', 'cancelled']);
      expect(await executionStatus(resumed.body.executionId as string)).to.equal('cancelled');
      await api().post(`/api/v1/enrollments/${id!}/unenroll`).set(m.manager.headers).expect(409);
      const audit = await ctx.audit(tenantA).list({ limit: 50 });
      expect(audit.filter((e) => e.target === id).map((e) => e.action).sort()).to.deep.equal(['enrollment.pause', 'enrollment.resume', 'enrollment.unenroll']);
    });

    it('withdrawing WhatsApp consent ends the sequences that send on WhatsApp, at once', async () => {
      const c = await contact(m.manager);
      await api().post(`/api/v1/contacts/${c.id as string}/consents/grant`).set(m.manager.headers).send({ channel: 'whatsapp', purpose: 'marketing', source: 'web_form', evidence: EVIDENCE }).expect(200);
      const [wa] = enrolledIds(await enroll(m.manager, { flowId: waFlow, contactIds: [c.id] }));
      const [quiet] = enrolledIds(await enroll(m.manager, { flowId: quietFlow, contactIds: [c.id] }));
      const waExecution = ((await api().get(`/api/v1/enrollments/${wa!}`).set(m.manager.headers).expect(200)).body as Body).executionId as string;
      await waitFor(async () => (await executionStatus(waExecution)) === 'waiting');
      await api().post(`/api/v1/contacts/${c.id as string}/consents/withdraw`).set(m.manager.headers).send({ channel: 'whatsapp', purpose: 'marketing' }).expect(200);
      // Synchronously: the answer comes after the enrollment ended and its execution was cancelled.
      const ended = (await api().get(`/api/v1/enrollments/${wa!}`).set(m.manager.headers).expect(200)).body as Body;
      expect(ended).to.deep.include({ state: 'opted_out', endReason: 'consent_withdrawn:whatsapp' });
      expect(await executionStatus(waExecution)).to.equal('cancelled');
      expect(((await api().get(`/api/v1/enrollments/${quiet!}`).set(m.manager.headers).expect(200)).body as Body).state).to.equal('active');
    });

    it('erasing a contact ends its enrollments (cancelled, erased) and cancels their executions', async () => {
      const c = await contact(m.manager);
      const [id] = enrolledIds(await enroll(m.manager, { flowId: quietFlow, contactIds: [c.id] }));
      const executionId = ((await api().get(`/api/v1/enrollments/${id!}`).set(m.manager.headers).expect(200)).body as Body).executionId as string;
      await waitFor(async () => (await executionStatus(executionId)) === 'waiting');
      await api().post(`/api/v1/contacts/${c.id as string}/erase`).set(m.admin.headers).expect(200);
      const ended = (await api().get(`/api/v1/enrollments/${id!}`).set(m.manager.headers).expect(200)).body as Body;
      expect(ended).to.deep.include({ state: 'cancelled', endReason: 'erased' });
      expect(await executionStatus(executionId)).to.equal('cancelled');
      // And an erased contact cannot be enrolled again.
      expect(((await enroll(m.manager, { flowId: quietFlow, contactIds: [c.id] })).skipped as Body[])[0]).to.include({ reason: 'erased' });
    });

    it('a sales rep enrolls, sees and changes only enrollments of their own contacts', async () => {
      const own = await contact(m.rep1);
      const theirs = await contact(m.rep2);
      const report = await enroll(m.rep1, { flowId: quietFlow, contactIds: [own.id, theirs.id] });
      expect((report.enrolled as Body[]).map((e) => e.contactId)).to.deep.equal([own.id]);
      expect(report.skipped).to.deep.equal([{ contactId: theirs.id, reason: 'not_found', message: 'no such contact in this tenant' }]);
      const [other] = enrolledIds(await enroll(m.rep2, { flowId: quietFlow, contactIds: [theirs.id] }));
      const listed = (await api().get('/api/v1/enrollments').set(m.rep1.headers).expect(200)).body.items as Body[];
      expect(listed.map((e) => e.contactId)).to.deep.equal([own.id]);
      await api().get(`/api/v1/enrollments/${other!}`).set(m.rep1.headers).expect(404);
      await api().post(`/api/v1/enrollments/${other!}/unenroll`).set(m.rep1.headers).expect(404);
      await api().get(`/api/v1/contacts/${theirs.id as string}/enrollments`).set(m.rep1.headers).expect(404);
      expect(((await api().get(`/api/v1/enrollments/${other!}`).set(m.rep2.headers).expect(200)).body as Body).state).to.equal('active');
    });

    it('another tenant’s enrollments, contacts and flows answer 404 and are left untouched', async () => {
      const c = await contact(m.manager);
      const [id] = enrolledIds(await enroll(m.manager, { flowId: quietFlow, contactIds: [c.id] }));
      for (const action of ['pause', 'resume', 'unenroll']) await api().post(`/api/v1/enrollments/${id!}/${action}`).set(m.ownerB.headers).expect(404);
      await api().get(`/api/v1/enrollments/${id!}`).set(m.ownerB.headers).expect(404);
      await api().get(`/api/v1/contacts/${c.id as string}/enrollments`).set(m.ownerB.headers).expect(404);
      const theirs = (await api().get('/api/v1/enrollments').set(m.ownerB.headers).expect(200)).body.items as Body[];
      expect(theirs.map((e) => e.id)).to.not.include(id);
      await enroll(m.ownerB, { flowId: quietFlow, contactIds: [c.id] }, 404);
      expect(((await api().get(`/api/v1/enrollments/${id!}`).set(m.manager.headers).expect(200)).body as Body).state).to.equal('active');
    });
  });
}

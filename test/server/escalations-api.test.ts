// The escalation inbox API (server/routes/escalations.ts) on SQLite and PostgreSQL: who sees
// what (a sales rep only theirs and their role's unheld ones; viewers read, cannot decide),
// another tenant's id is 404, a decision happens once (409 after), claim and reassign, round
// robin in turn, notifications to the assignee, and opening is idempotent per step.
import { expect } from 'chai';
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { type AppContext } from '../../server/app-context.js';
import type { EscalationAssignee } from '../../engine/index.js';
import type { Escalation } from '../../db/escalation-repository.js';
import { addMember, addMembers, type TestMember } from '../helpers/api-auth.js';
import { requirePostgres, type Dialect } from '../helpers/databases.js';
import { openApiEnv, type ApiEnv } from '../helpers/api-env.js';

type Body = Record<string, unknown>;
const HOUR = 3_600_000;

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  describe(`escalations API (${dialect})`, function () {
    this.timeout(120_000);
    let env: ApiEnv | undefined;
    let ctx: AppContext;
    let app: RequestListener;
    let tenantA: string;
    let tenantB: string;
    const m = {} as Record<'owner' | 'manager' | 'rep1' | 'rep2' | 'viewer' | 'ownerB', TestMember>;
    const api = () => request(app);

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      env = await openApiEnv(dialect, 'esc-api');
      ({ ctx, app } = env);
      tenantA = (await ctx.tenants.ensure('esc-a', 'Escalations A')).id;
      tenantB = (await ctx.tenants.ensure('esc-b', 'Escalations B')).id;
      Object.assign(m, await addMembers(ctx, tenantA, { owner: 'owner', manager: 'manager', rep1: 'sales_rep', rep2: 'sales_rep', viewer: 'viewer' }));
      m.ownerB = await addMember(ctx, tenantB, 'owner');
    });

    after(async () => {
      await env?.close();
    });

    /** An escalation as an escalate step opens it (no execution behind it). */
    async function openOne(assignee: EscalationAssignee, extra: { tenantId?: string; stepId?: string; payload?: unknown; dueAt?: number } = {}): Promise<Escalation> {
      const { escalation } = await ctx.escalations.open(extra.tenantId ?? tenantA, {
        kind: 'step',
        stepId: extra.stepId ?? `test:${randomUUID()}`,
        assignee,
        reason: 'Review this draft',
        priority: 'normal',
        dueAt: extra.dueAt ?? Date.now() + HOUR,
        payload: extra.payload ?? { message: 'draft' },
      });
      return escalation;
    }

    const ids = (res: { body: { items: Body[] } }): string[] => res.body.items.map((i) => String(i.id));

    it('a sales rep sees only what is assigned to them or to their role while nobody holds it', async () => {
      const toRep1 = await openOne({ kind: 'user', userId: m.rep1.userId });
      const toRep2 = await openOne({ kind: 'user', userId: m.rep2.userId });
      const toReps = await openOne({ kind: 'role', role: 'sales_rep' });
      const toManagers = await openOne({ kind: 'role', role: 'manager' });
      const rep1 = await api().get('/api/v1/escalations?limit=200').set(m.rep1.headers).expect(200);
      expect(ids(rep1)).to.include.members([toRep1.id, toReps.id]);
      expect(ids(rep1)).to.not.include.members([toRep2.id]);
      expect(ids(rep1)).to.not.include(toManagers.id);
      const manager = await api().get('/api/v1/escalations?limit=200').set(m.manager.headers).expect(200);
      expect(ids(manager)).to.include.members([toRep1.id, toRep2.id, toReps.id, toManagers.id]);
      const mine = await api().get('/api/v1/escalations?mine=true&status=open&limit=200').set(m.manager.headers).expect(200);
      expect(ids(mine)).to.include(toManagers.id).and.not.include(toRep1.id);
      await api().get(`/api/v1/escalations/${toRep2.id}`).set(m.rep1.headers).expect(404);
      await api().get(`/api/v1/escalations/${toRep1.id}`).set(m.rep1.headers).expect(200);
      const viewer = await api().get(`/api/v1/escalations/${toRep2.id}`).set(m.viewer.headers).expect(200);
      expect(viewer.body).to.deep.include({ id: toRep2.id, status: 'open', assignee: { userId: m.rep2.userId, role: 'sales_rep' } });
    });

    it('a viewer cannot decide (403); a rep cannot decide someone else’s (404)', async () => {
      const e = await openOne({ kind: 'user', userId: m.rep1.userId });
      const viewer = await api().post(`/api/v1/escalations/${e.id}/approve`).set(m.viewer.headers).send({});
      expect([viewer.status, viewer.body.error.code]).to.deep.equal([403, 'forbidden']);
      await api().post(`/api/v1/escalations/${e.id}/reject`).set(m.rep2.headers).send({ note: 'no' }).expect(404);
      await api().post(`/api/v1/escalations/${e.id}/approve`).set(m.rep1.headers).send({ note: 'ok' }).expect(200);
    });

    it('another tenant’s escalation is 404, never 403', async () => {
      const e = await openOne({ kind: 'role', role: 'manager' });
      for (const call of [
        api().get(`/api/v1/escalations/${e.id}`),
        api().post(`/api/v1/escalations/${e.id}/approve`).send({}),
        api().post(`/api/v1/escalations/${e.id}/claim`),
        api().post(`/api/v1/escalations/${e.id}/reassign`).send({ role: 'admin' }),
      ]) {
        const res = await call.set(m.ownerB.headers);
        expect(res.status).to.equal(404);
      }
      const list = await api().get('/api/v1/escalations?limit=200').set(m.ownerB.headers).expect(200);
      expect(ids(list)).to.not.include(e.id);
    });

    it('decides once: a second decision answers 409 and changes nothing; the decision is audited', async () => {
      const e = await openOne({ kind: 'role', role: 'manager' });
      const first = await api().post(`/api/v1/escalations/${e.id}/approve`).set(m.manager.headers).send({ edits: { message: 'better' } }).expect(200);
      expect(first.body).to.deep.include({ status: 'approved', edits: { message: 'better' }, decidedBy: `user:${m.manager.userId}` });
      const again = await api().post(`/api/v1/escalations/${e.id}/reject`).set(m.owner.headers).send({ note: 'changed my mind' });
      expect([again.status, again.body.error.code]).to.deep.equal([409, 'already_decided']);
      const row = await ctx.escalations.repo(tenantA).byId(e.id);
      expect(row).to.deep.include({ status: 'approved', decidedBy: `user:${m.manager.userId}`, decisionNote: null });
      const audit = await ctx.audit(tenantA).list({ limit: 50 });
      expect(audit.filter((a) => a.target === `escalation:${e.id}`).map((a) => a.action)).to.deep.equal(['escalation.approved']);
    });

    it('concurrent decisions: exactly one wins', async () => {
      const e = await openOne({ kind: 'role', role: 'manager' });
      const answers = await Promise.all([
        api().post(`/api/v1/escalations/${e.id}/approve`).set(m.manager.headers).send({}),
        api().post(`/api/v1/escalations/${e.id}/reject`).set(m.owner.headers).send({ note: 'no' }),
        api().post(`/api/v1/escalations/${e.id}/approve`).set(m.owner.headers).send({}),
      ]);
      expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 409, 409]);
    });

    it('reject needs a note', async () => {
      const e = await openOne({ kind: 'role', role: 'manager' });
      const res = await api().post(`/api/v1/escalations/${e.id}/reject`).set(m.manager.headers).send({});
      expect(res.status).to.equal(400);
      expect(res.body.error.details[0].path).to.equal('/body/note');
    });

    it('claim: a rep takes a role escalation; the other rep no longer sees it; claiming it again is 409 for others', async () => {
      const e = await openOne({ kind: 'role', role: 'sales_rep' });
      const claimed = await api().post(`/api/v1/escalations/${e.id}/claim`).set(m.rep1.headers).expect(200);
      expect(claimed.body).to.deep.include({ status: 'claimed', claimedBy: m.rep1.userId, assignee: { userId: m.rep1.userId, role: 'sales_rep' } });
      await api().post(`/api/v1/escalations/${e.id}/claim`).set(m.rep1.headers).expect(200);
      await api().get(`/api/v1/escalations/${e.id}`).set(m.rep2.headers).expect(404);
      const other = await api().post(`/api/v1/escalations/${e.id}/claim`).set(m.manager.headers);
      expect([other.status, other.body.error.code]).to.deep.equal([409, 'already_claimed']);
      await api().post(`/api/v1/escalations/${e.id}/approve`).set(m.rep1.headers).send({}).expect(200);
    });

    it('reassign to a member or a role notifies them; only managers and above may reassign; unknown users are 400', async () => {
      const e = await openOne({ kind: 'role', role: 'manager' });
      await api().post(`/api/v1/escalations/${e.id}/reassign`).set(m.rep1.headers).send({ userId: m.rep1.userId }).expect(403);
      const bad = await api().post(`/api/v1/escalations/${e.id}/reassign`).set(m.manager.headers).send({ userId: m.viewer.userId });
      expect([bad.status, bad.body.error.code]).to.deep.equal([400, 'unknown_user']);
      const moved = await api().post(`/api/v1/escalations/${e.id}/reassign`).set(m.manager.headers).send({ userId: m.rep2.userId }).expect(200);
      expect(moved.body).to.deep.include({ status: 'open', assignment: 'user', assignee: { userId: m.rep2.userId, role: 'sales_rep' } });
      const notes = await api().get('/api/v1/notifications?unread=true').set(m.rep2.headers).expect(200);
      const note = (notes.body.items as Body[]).find((n) => n.link === `/escalations/${e.id}`);
      expect(note).to.deep.include({ kind: 'escalation.reassigned' });
      expect((note!.title as { ar: string }).ar).to.match(/[\u0600-\u06FF]/);
      const toRole = await api().post(`/api/v1/escalations/${e.id}/reassign`).set(m.owner.headers).send({ role: 'admin' }).expect(200);
      expect(toRole.body.assignee).to.deep.equal({ userId: null, role: 'admin' });
    });

    it('notifies the assignee, or every member of the role; GET /notifications is the caller’s own; read marks it', async () => {
      const toRep1 = await openOne({ kind: 'user', userId: m.rep1.userId });
      const toReps = await openOne({ kind: 'role', role: 'sales_rep' });
      const rep1 = await api().get('/api/v1/notifications?limit=200').set(m.rep1.headers).expect(200);
      const rep2 = await api().get('/api/v1/notifications?limit=200').set(m.rep2.headers).expect(200);
      const links = (res: { body: { items: Body[] } }) => res.body.items.map((n) => n.link);
      expect(links(rep1)).to.include.members([`/escalations/${toRep1.id}`, `/escalations/${toReps.id}`]);
      expect(links(rep2)).to.include(`/escalations/${toReps.id}`).and.not.include(`/escalations/${toRep1.id}`);
      const mine = (rep1.body.items as Body[]).find((n) => n.link === `/escalations/${toRep1.id}`)!;
      expect(mine).to.deep.include({ kind: 'escalation.assigned', readAt: null });
      await api().post(`/api/v1/notifications/${String(mine.id)}/read`).set(m.rep2.headers).expect(404);
      const read = await api().post(`/api/v1/notifications/${String(mine.id)}/read`).set(m.rep1.headers).expect(200);
      expect(read.body.readAt).to.be.a('string');
      const unread = await api().get('/api/v1/notifications?unread=true&limit=200').set(m.rep1.headers).expect(200);
      expect(links(unread)).to.not.include(`/escalations/${toRep1.id}`);
      expect(unread.body.unread).to.equal(unread.body.items.length);
    });

    it('round robin assigns the members of a role in turn', async () => {
      const reps = [m.rep1.userId, m.rep2.userId];
      const assigned: (string | null)[] = [];
      for (let i = 0; i < 4; i++) assigned.push((await openOne({ kind: 'round_robin', role: 'sales_rep' })).assigneeUserId);
      expect(assigned.every((u) => u !== null && reps.includes(u))).to.equal(true);
      expect(assigned[0]).to.not.equal(assigned[1]);
      expect(assigned[2]).to.equal(assigned[0]);
      expect(assigned[3]).to.equal(assigned[1]);
      // Nobody holds the role: it stays with the role.
      const none = await openOne({ kind: 'round_robin', role: 'admin' });
      expect(none).to.deep.include({ assigneeUserId: null, assigneeRole: 'admin', assignment: 'round_robin' });
    });

    it('opening twice for the same step answers the first escalation (a re-run step)', async () => {
      const stepId = `exec-${randomUUID()}:3`;
      const first = await openOne({ kind: 'round_robin', role: 'sales_rep' }, { stepId });
      const again = await ctx.escalations.open(tenantA, { kind: 'step', stepId, assignee: { kind: 'role', role: 'owner' }, reason: 'other', priority: 'urgent', dueAt: Date.now(), payload: null });
      expect(again.created).to.equal(false);
      expect(again.escalation).to.deep.equal(first);
      // The same step id in another tenant is another escalation.
      const other = await openOne({ kind: 'role', role: 'owner' }, { tenantId: tenantB, stepId });
      expect(other.id).to.not.equal(first.id);
    });

    it('a user assignee must be a member who may decide', async () => {
      let message = '';
      try {
        await ctx.escalations.gateway().open(
          { tenantId: tenantA, executionId: 'x', flowId: 'f', stepId: `x:${randomUUID()}`, nodeId: 'ask', subject: null },
          { assignee: { kind: 'user', userId: m.ownerB.userId }, reason: 'r', priority: 'low', dueAt: Date.now() + HOUR, payload: {} },
        );
      } catch (err) {
        message = (err as { code?: string }).code ?? '';
      }
      expect(message).to.equal('unknown_assignee');
    });

    it('lists by status and pages with the cursor', async () => {
      for (let i = 0; i < 3; i++) await openOne({ kind: 'role', role: 'owner' });
      const page1 = await api().get('/api/v1/escalations?status=open&limit=2').set(m.owner.headers).expect(200);
      expect(page1.body.items).to.have.length(2);
      expect((page1.body.items as Body[]).every((e) => e.status === 'open')).to.equal(true);
      const page2 = await api().get(`/api/v1/escalations?status=open&limit=2&cursor=${String(page1.body.nextCursor)}`).set(m.owner.headers).expect(200);
      expect(ids(page2).some((id) => ids(page1).includes(id))).to.equal(false);
      await api().get('/api/v1/escalations?status=nope').set(m.owner.headers).expect(400);
    });
  });
}

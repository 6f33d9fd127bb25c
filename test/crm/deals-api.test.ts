// Deals and meetings (server/routes/deals.ts, meetings.ts) on SQLite and PostgreSQL: money as
// exact decimal strings, domain events on every change (a stage change starts a trigger.event
// flow), soft delete, sales reps limited to their own, tenant isolation, Riyadh times.
import { expect } from 'chai';
import request from 'supertest';
import type { RequestListener } from 'node:http';
import { type AppContext } from '../../server/app-context.js';
import { canonicalSar, sarToHalalas } from '../../server/crm/money.js';
import { DomainEventRepository } from '../../db/domain-event-repository.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { requirePostgres, type Dialect } from '../helpers/databases.js';
import { openApiEnv, type ApiEnv } from '../helpers/api-env.js';

type Body = Record<string, unknown>;

describe('SAR amounts (pure)', () => {
  it('canonicalises decimal strings and refuses anything else', () => {
    expect(canonicalSar('7')).to.equal('7.00');
    expect(canonicalSar('0.5')).to.equal('0.50');
    expect(canonicalSar('123456789.01')).to.equal('123456789.01');
    expect(canonicalSar('999999999999.99')).to.equal('999999999999.99');
    for (const bad of ['1.234', '-1', '01', '1e5', '1000000000000', '', '1.', '.5', '١٢']) expect(canonicalSar(bad), bad).to.equal(null);
    expect(sarToHalalas('125000.5')).to.equal(12_500_050n);
  });
});

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  describe(`deals and meetings API (${dialect})`, function () {
    this.timeout(120_000);
    let env: ApiEnv | undefined;
    let ctx: AppContext;
    let app: RequestListener;
    let tenantId: string;
    let contactId: string;
    const m = {} as Record<'manager' | 'rep1' | 'rep2' | 'viewer' | 'other', TestMember>;
    const api = () => request(app);
    const events = (type: string) => new DomainEventRepository(ctx.db, tenantId).list({ type, limit: 100 });

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      env = await openApiEnv(dialect, 'deals');
      ({ ctx, app } = env);
      tenantId = (await ctx.tenants.ensure('deals-a', 'Deals A')).id;
      const other = (await ctx.tenants.ensure('deals-b', 'Deals B')).id;
      m.manager = await addMember(ctx, tenantId, 'manager');
      m.rep1 = await addMember(ctx, tenantId, 'sales_rep');
      m.rep2 = await addMember(ctx, tenantId, 'sales_rep');
      m.viewer = await addMember(ctx, tenantId, 'viewer');
      m.other = await addMember(ctx, other, 'owner');
      contactId = (await ctx.contacts(tenantId).create({ name: 'شركة نجد', email: 'buyer@najd.sa' })).id;
    });

    after(async () => {
      await env?.close();
    });

    async function createDeal(who: TestMember, body: Body): Promise<Body> {
      const res = await api().post('/api/v1/deals').set(who.headers).send(body);
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      return res.body as Body;
    }

    it('keeps money exact: 123456789.01 round-trips, "7" reads "7.00", floats and 3 decimals are refused', async () => {
      const deal = await createDeal(m.manager, { title: 'ERP rollout', contactId, valueSar: '123456789.01', probability: 40, expectedCloseDate: '2026-06-30' });
      expect(deal).to.deep.include({ valueSar: '123456789.01', currency: 'SAR', stage: 'lead', probability: 40, expectedCloseDate: '2026-06-30', ownerId: m.manager.userId });
      const read = await api().get(`/api/v1/deals/${String(deal.id)}`).set(m.manager.headers).expect(200);
      expect(read.body.valueSar).to.equal('123456789.01');
      // Stored as NUMERIC on PostgreSQL and as text on SQLite: never a float.
      const typeSql = dialect === 'postgres' ? 'SELECT pg_typeof(value_sar)::text AS t, value_sar::text AS v FROM deals WHERE id = $1' : 'SELECT typeof(value_sar) AS t, value_sar AS v FROM deals WHERE id = $1';
      expect((await ctx.db.sql.query(typeSql, [deal.id]))[0]).to.deep.equal({ t: dialect === 'postgres' ? 'numeric' : 'text', v: '123456789.01' });
      const max = await createDeal(m.manager, { title: 'Max', valueSar: '999999999999.99' });
      expect((await api().get(`/api/v1/deals/${String(max.id)}`).set(m.manager.headers)).body.valueSar).to.equal('999999999999.99');
      const seven = await api().patch(`/api/v1/deals/${String(deal.id)}`).set(m.manager.headers).send({ valueSar: '7' }).expect(200);
      expect(seven.body.valueSar).to.equal('7.00');
      for (const valueSar of [125000.5, '1.234', '-5', '1e6']) {
        const res = await api().post('/api/v1/deals').set(m.manager.headers).send({ title: 'bad', valueSar });
        expect(res.status, String(valueSar)).to.equal(400);
        expect(res.body.error.details[0].path).to.equal('/body/valueSar');
      }
      const cleared = await api().patch(`/api/v1/deals/${String(deal.id)}`).set(m.manager.headers).send({ valueSar: null }).expect(200);
      expect(cleared.body.valueSar).to.equal(null);
    });

    it('a stage change emits deal.updated and deal.stage_changed {from, to}, which starts a trigger.event flow', async () => {
      const published = await ctx.flows(tenantId).publish({
        schemaVersion: 1,
        name: 'won deals',
        nodes: [
          { id: 'won', type: 'trigger.event', params: { event: 'deal.stage_changed', filter: '=data.to = "won"' } },
          { id: 'mark', type: 'data.set', params: { fields: { celebrated: '=data.deal.title' } } },
        ],
        edges: [{ id: 'e1', from: { node: 'won', port: 'out' }, to: { node: 'mark', port: 'in' } }],
      });
      const deal = await createDeal(m.manager, { title: 'Fleet tracking', contactId, stage: 'negotiation', valueSar: '250000.00' });
      const moved = await api().patch(`/api/v1/deals/${String(deal.id)}`).set(m.manager.headers).send({ stage: 'won', probability: 100 }).expect(200);
      expect(moved.body).to.deep.include({ stage: 'won', probability: 100 });
      const changed = (await events('deal.stage_changed')).find((e) => (e.data as { deal: Body }).deal.id === deal.id)!;
      expect(changed.data).to.deep.include({ from: 'negotiation', to: 'won', actor: `user:${m.manager.userId}` });
      expect(changed.subject).to.equal(contactId);
      expect(changed.started).to.have.length(1);
      expect(changed.started![0]!.flowId).to.equal(published.flowId);
      const result = await ctx.runtime.result(changed.started![0]!.executionId, true, 20_000);
      expect(result.output).to.deep.include({ celebrated: 'Fleet tracking', type: 'deal.stage_changed' });
      const updated = (await events('deal.updated')).find((e) => (e.data as { deal: Body }).deal.id === deal.id)!;
      expect((updated.data as { changes: Body }).changes).to.deep.equal({ stage: { from: 'negotiation', to: 'won' }, probability: { from: null, to: 100 } });
      // A stage change that does not reach "won" does not start it.
      const lost = await createDeal(m.manager, { title: 'Lost one', stage: 'proposal' });
      await api().patch(`/api/v1/deals/${String(lost.id)}`).set(m.manager.headers).send({ stage: 'lost' }).expect(200);
      const lostEvent = (await events('deal.stage_changed')).find((e) => (e.data as { deal: Body }).deal.id === lost.id)!;
      expect(lostEvent.started).to.deep.equal([]);
    });

    it('a change to the same values emits nothing; created and deleted emit their events; deleted deals are gone', async () => {
      const deal = await createDeal(m.manager, { title: 'Quiet', stage: 'qualified' });
      expect((await events('deal.created')).some((e) => (e.data as { deal: Body }).deal.id === deal.id)).to.equal(true);
      const before = (await events('deal.updated')).length;
      await api().patch(`/api/v1/deals/${String(deal.id)}`).set(m.manager.headers).send({ stage: 'qualified' }).expect(200);
      expect((await events('deal.updated')).length).to.equal(before);
      const gone = await api().delete(`/api/v1/deals/${String(deal.id)}`).set(m.manager.headers).expect(200);
      expect(gone.body.deletedAt).to.be.a('string');
      expect((await events('deal.deleted')).some((e) => (e.data as { deal: Body }).deal.id === deal.id)).to.equal(true);
      await api().get(`/api/v1/deals/${String(deal.id)}`).set(m.manager.headers).expect(404);
      await api().patch(`/api/v1/deals/${String(deal.id)}`).set(m.manager.headers).send({ stage: 'won' }).expect(404);
      await api().delete(`/api/v1/deals/${String(deal.id)}`).set(m.manager.headers).expect(404);
      const list = await api().get('/api/v1/deals?limit=200').set(m.manager.headers).expect(200);
      expect((list.body.items as Body[]).map((d) => d.id)).to.not.include(deal.id);
    });

    it('refuses unknown contacts and owners', async () => {
      const contact = await api().post('/api/v1/deals').set(m.manager.headers).send({ title: 'x', contactId: 'nope' });
      expect([contact.status, contact.body.error.code]).to.deep.equal([400, 'unknown_contact']);
      const owner = await api().post('/api/v1/deals').set(m.manager.headers).send({ title: 'x', ownerId: m.other.userId });
      expect([owner.status, owner.body.error.code]).to.deep.equal([400, 'unknown_user']);
    });

    it('sales reps see and change only their own deals; viewers read only; another tenant gets 404', async () => {
      const mine = await createDeal(m.rep1, { title: 'Rep deal', valueSar: '1000' });
      expect(mine.ownerId).to.equal(m.rep1.userId);
      await api().get(`/api/v1/deals/${String(mine.id)}`).set(m.rep2.headers).expect(404);
      await api().patch(`/api/v1/deals/${String(mine.id)}`).set(m.rep2.headers).send({ stage: 'won' }).expect(404);
      await api().patch(`/api/v1/deals/${String(mine.id)}`).set(m.rep1.headers).send({ ownerId: m.rep2.userId }).expect(403);
      await api().post('/api/v1/deals').set(m.rep1.headers).send({ title: 'for someone else', ownerId: m.manager.userId }).expect(403);
      const rep2List = await api().get('/api/v1/deals?limit=200').set(m.rep2.headers).expect(200);
      expect((rep2List.body.items as Body[]).map((d) => d.id)).to.not.include(mine.id);
      const rep1List = await api().get('/api/v1/deals?limit=200').set(m.rep1.headers).expect(200);
      expect((rep1List.body.items as Body[]).every((d) => d.ownerId === m.rep1.userId)).to.equal(true);
      await api().get(`/api/v1/deals/${String(mine.id)}`).set(m.viewer.headers).expect(200);
      await api().post('/api/v1/deals').set(m.viewer.headers).send({ title: 'x' }).expect(403);
      await api().get(`/api/v1/deals/${String(mine.id)}`).set(m.other.headers).expect(404);
      await api().delete(`/api/v1/deals/${String(mine.id)}`).set(m.other.headers).expect(404);
    });

    it('filters deals by stage and contact, newest first, with pages', async () => {
      const a = await createDeal(m.manager, { title: 'Page A', contactId, stage: 'proposal' });
      const b = await createDeal(m.manager, { title: 'Page B', contactId, stage: 'proposal' });
      const page = await api().get(`/api/v1/deals?stage=proposal&contactId=${contactId}&limit=1`).set(m.manager.headers).expect(200);
      expect((page.body.items as Body[]).map((d) => d.id)).to.deep.equal([b.id]);
      const next = await api().get(`/api/v1/deals?stage=proposal&contactId=${contactId}&limit=1&cursor=${String(page.body.nextCursor)}`).set(m.manager.headers).expect(200);
      expect((next.body.items as Body[]).map((d) => d.id)).to.deep.equal([a.id]);
    });

    it('meetings: times in UTC and Riyadh, events on schedule, change and cancel', async () => {
      const created = await api()
        .post('/api/v1/meetings')
        .set(m.rep1.headers)
        .send({ contactId, startsAt: '2026-03-02T10:00:00+03:00', durationMinutes: 45, location: 'الرياض — مكتب العليا', title: 'Demo' })
        .expect(201);
      expect(created.body).to.deep.include({
        startsAt: '2026-03-02T07:00:00.000Z',
        startsAtRiyadh: '2026-03-02T10:00:00.000+03:00',
        endsAtRiyadh: '2026-03-02T10:45:00.000+03:00',
        durationMinutes: 45,
        ownerId: m.rep1.userId,
        cancelledAt: null,
      });
      const id = String(created.body.id);
      const scheduled = (await events('meeting.scheduled')).find((e) => (e.data as { meeting: Body }).meeting.id === id);
      expect(scheduled?.subject).to.equal(contactId);
      const moved = await api().patch(`/api/v1/meetings/${id}`).set(m.rep1.headers).send({ startsAt: '2026-03-03T09:30:00+03:00' }).expect(200);
      expect(moved.body.startsAtRiyadh).to.equal('2026-03-03T09:30:00.000+03:00');
      const updated = (await events('meeting.updated')).find((e) => (e.data as { meeting: Body }).meeting.id === id)!;
      expect(Object.keys((updated.data as { changes: Body }).changes)).to.deep.equal(['startsAt']);
      await api().get(`/api/v1/meetings/${id}`).set(m.rep2.headers).expect(404);
      const inRange = await api().get('/api/v1/meetings?from=2026-03-03T00:00:00%2B03:00&to=2026-03-04T00:00:00%2B03:00').set(m.manager.headers).expect(200);
      expect((inRange.body.items as Body[]).map((x) => x.id)).to.include(id);
      const outOfRange = await api().get('/api/v1/meetings?from=2026-03-04T00:00:00%2B03:00').set(m.manager.headers).expect(200);
      expect((outOfRange.body.items as Body[]).map((x) => x.id)).to.not.include(id);
      const cancelled = await api().delete(`/api/v1/meetings/${id}`).set(m.rep1.headers).expect(200);
      expect(cancelled.body.cancelledAt).to.be.a('string');
      expect((await events('meeting.cancelled')).some((e) => (e.data as { meeting: Body }).meeting.id === id)).to.equal(true);
      await api().get(`/api/v1/meetings/${id}`).set(m.manager.headers).expect(404);
      const bad = await api().post('/api/v1/meetings').set(m.manager.headers).send({ contactId: 'nope', startsAt: '2026-03-02T10:00:00+03:00' });
      expect([bad.status, bad.body.error.code]).to.deep.equal([400, 'unknown_contact']);
      await api().post('/api/v1/meetings').set(m.manager.headers).send({ contactId, startsAt: 'tomorrow' }).expect(400);
    });
  });
}

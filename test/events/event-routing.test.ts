// Event routing (POST /api/v1/events → trigger.event flows) on SQLite and PostgreSQL: one event
// starts every listening flow, a replayed id starts nothing new (counted in the executions
// table), the same id with other content is 422, filters are respected, custom types work,
// the subject becomes the execution's subject and $trigger.contact, events resume wait.event,
// permissions (managers and API keys with the scope; not reps), and tenant isolation.
import { expect } from 'chai';
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { type AppContext } from '../../server/app-context.js';
import { executionIdFor } from '../../server/events/event-router.js';
import { DomainEventRepository } from '../../db/domain-event-repository.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { requirePostgres, type Dialect } from '../helpers/databases.js';
import { openApiEnv, type ApiEnv } from '../helpers/api-env.js';
import { waitFor } from '../helpers/wait-for.js';

type Body = Record<string, unknown>;

/** trigger.event (type, filter?) → data.set marking the flow. */
function listener(name: string, event: string, filter?: string): unknown {
  return {
    schemaVersion: 1,
    name,
    nodes: [
      { id: 'on', type: 'trigger.event', params: { event, ...(filter ? { filter } : {}) } },
      { id: 'mark', type: 'data.set', params: { fields: { handledBy: name } } },
    ],
    edges: [{ id: 'e1', from: { node: 'on', port: 'out' }, to: { node: 'mark', port: 'in' } }],
  };
}

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  describe(`event routing (${dialect})`, function () {
    this.timeout(120_000);
    let env: ApiEnv | undefined;
    let ctx: AppContext;
    let app: RequestListener;
    let tenantId: string;
    let otherTenant: string;
    const m = {} as Record<'admin' | 'manager' | 'rep' | 'viewer' | 'other', TestMember>;
    const flows: Record<string, string> = {};

    const publish = (who: TestMember, body: Body) => request(app).post('/api/v1/events').set(who.headers).send(body);
    const executionCount = async (tenant = tenantId): Promise<number> => Number((await ctx.db.sql.query('SELECT COUNT(*) AS n FROM executions WHERE tenant_id = $1', [tenant]))[0]?.n);

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      env = await openApiEnv(dialect, 'events');
      ({ ctx, app } = env);
      tenantId = (await ctx.tenants.ensure('events-a', 'Events A')).id;
      otherTenant = (await ctx.tenants.ensure('events-b', 'Events B')).id;
      m.admin = await addMember(ctx, tenantId, 'admin');
      m.manager = await addMember(ctx, tenantId, 'manager');
      m.rep = await addMember(ctx, tenantId, 'sales_rep');
      m.viewer = await addMember(ctx, tenantId, 'viewer');
      m.other = await addMember(ctx, otherTenant, 'owner');
      const repo = ctx.flows(tenantId);
      flows.welcome = (await repo.publish(listener('welcome', 'lead.created'))).flowId;
      flows.score = (await repo.publish(listener('score', 'lead.created'))).flowId;
      flows.webOnly = (await repo.publish(listener('webOnly', 'lead.created', '=data.source = "web"'))).flowId;
      flows.invoice = (await repo.publish(listener('invoice', 'acme.invoice_paid'))).flowId;
      // Another tenant listening for the same type must never start.
      await ctx.flows(otherTenant).publish(listener('elsewhere', 'lead.created'));
    });

    after(async () => {
      await env?.close();
    });

    it('one event starts every flow listening for its type (and only in its tenant)', async () => {
      const before = await executionCount();
      const otherBefore = await executionCount(otherTenant);
      const res = await publish(m.manager, { id: 'ev-1', type: 'lead.created', data: { source: 'exhibition', name: 'Noura' } });
      expect(res.status, JSON.stringify(res.body)).to.equal(202);
      expect(res.body).to.deep.include({ eventId: 'ev-1', duplicate: false });
      const started = res.body.started as { flowId: string; executionId: string }[];
      expect(started.map((s) => s.flowId).sort()).to.deep.equal([flows.welcome, flows.score].sort());
      expect(await executionCount()).to.equal(before + 2);
      expect(await executionCount(otherTenant)).to.equal(otherBefore);
      for (const s of started) {
        const result = await ctx.runtime.result(s.executionId, true, 20_000);
        expect(result.status).to.equal('succeeded');
        expect(result.output).to.deep.include({ id: 'ev-1', type: 'lead.created', data: { source: 'exhibition', name: 'Noura' }, subject: null, contact: null });
      }
      const view = await ctx.executions(tenantId).get(started[0]!.executionId);
      expect(view?.mode).to.equal('event');
    });

    it('a replayed event id answers duplicate:true with the same executions and starts nothing new', async () => {
      const first = await publish(m.manager, { id: 'ev-replay', type: 'lead.created', data: { source: 'web', n: 1 } }).expect(202);
      expect(first.body.started).to.have.length(3);
      const count = await executionCount();
      const again = await publish(m.manager, { id: 'ev-replay', type: 'lead.created', data: { n: 1, source: 'web' } }).expect(202);
      expect(again.body).to.deep.include({ eventId: 'ev-replay', duplicate: true });
      expect(again.body.started).to.deep.equal(first.body.started);
      const burst = await Promise.all([1, 2, 3].map(() => publish(m.manager, { id: 'ev-replay', type: 'lead.created', data: { source: 'web', n: 1 } })));
      expect(burst.map((r) => r.body.duplicate)).to.deep.equal([true, true, true]);
      expect(await executionCount()).to.equal(count);
    });

    it('concurrent first publications of one id start each flow once', async () => {
      const count = await executionCount();
      const answers = await Promise.all([1, 2, 3].map(() => publish(m.manager, { id: 'ev-race', type: 'lead.created', data: {} })));
      expect(answers.map((a) => a.status)).to.deep.equal([202, 202, 202]);
      expect(answers.filter((a) => a.body.duplicate === false)).to.have.length(1);
      expect(await executionCount()).to.equal(count + 2);
    });

    it('the same id with a different event is 422 and starts nothing', async () => {
      await publish(m.manager, { id: 'ev-2', type: 'lead.created', data: { a: 1 } }).expect(202);
      const count = await executionCount();
      const res = await publish(m.manager, { id: 'ev-2', type: 'lead.created', data: { a: 2 } });
      expect([res.status, res.body.error.code]).to.deep.equal([422, 'event_id_reused']);
      expect(await executionCount()).to.equal(count);
    });

    it('respects filters', async () => {
      const web = await publish(m.manager, { id: 'ev-web', type: 'lead.created', data: { source: 'web' } }).expect(202);
      expect((web.body.started as Body[]).map((s) => s.flowId)).to.include(flows.webOnly);
      const fair = await publish(m.manager, { id: 'ev-fair', type: 'lead.created', data: { source: 'fair' } }).expect(202);
      expect((fair.body.started as Body[]).map((s) => s.flowId)).to.not.include(flows.webOnly);
    });

    it('custom event types are allowed; an event nobody listens for starts nothing; reserved types are refused', async () => {
      const paid = await publish(m.manager, { id: 'inv-1', type: 'acme.invoice_paid', data: { total: '1500.00' } }).expect(202);
      expect((paid.body.started as Body[]).map((s) => s.flowId)).to.deep.equal([flows.invoice]);
      const nobody = await publish(m.manager, { id: 'x-1', type: 'acme.nothing' }).expect(202);
      expect(nobody.body.started).to.deep.equal([]);
      const reserved = await publish(m.manager, { id: 'x-2', type: 'escalation.decided', subject: 'esc-1', data: { decision: 'approved' } });
      expect([reserved.status, reserved.body.error.code]).to.deep.equal([400, 'reserved_event_type']);
      await publish(m.manager, { id: 'x-3', type: 'not a type' }).expect(400);
    });

    it('execution ids are deterministic per (tenant, event, flow, node)', async () => {
      const res = await publish(m.manager, { id: 'ev-det', type: 'acme.invoice_paid' }).expect(202);
      expect(res.body.started[0].executionId).to.equal(executionIdFor(tenantId, 'ev-det', flows.invoice!, 'on'));
      expect(executionIdFor(otherTenant, 'ev-det', flows.invoice!, 'on')).to.not.equal(res.body.started[0].executionId);
    });

    it('the subject becomes the execution’s subject and $trigger.contact', async () => {
      const contact = await ctx.contacts(tenantId).create({ name: 'سارة', phone: '+966500000001', score: 40 });
      const res = await publish(m.manager, { id: 'ev-contact', type: 'lead.created', subject: contact.id, data: { source: 'web' } }).expect(202);
      const executionId = (res.body.started as { executionId: string }[])[0]!.executionId;
      const result = await ctx.runtime.result(executionId, true, 20_000);
      expect((result.output as { contact: Body }).contact).to.deep.include({ id: contact.id, name: 'سارة', phone: '+966500000001', score: 40 });
      expect((await ctx.executions(tenantId).get(executionId))?.subject).to.equal(contact.id);
    });

    it('creating a contact through the API publishes lead.created carrying the contact', async () => {
      const res = await request(app).post('/api/v1/contacts').set(m.manager.headers).send({ name: 'Web lead', phone: '0551112233', source: 'web' }).expect(201);
      const event = await request(app).get(`/api/v1/events/lead.created:${String(res.body.id)}`).set(m.manager.headers).expect(200);
      expect(event.body).to.deep.include({ type: 'lead.created', subject: res.body.id, source: 'crm' });
      expect(event.body.data.contact).to.deep.include({ id: res.body.id, name: 'Web lead', phone: '+966551112233', source: 'web' });
      const started = event.body.started as { flowId: string; executionId: string }[];
      expect(started.map((s) => s.flowId).sort()).to.deep.equal([flows.welcome, flows.score].sort());
      const result = await ctx.runtime.result(started[0]!.executionId, true, 20_000);
      expect((result.output as { data: { contact: Body } }).data.contact).to.deep.include({ id: res.body.id });
    });

    it('an event with a subject resumes wait.event steps waiting for it about that contact', async () => {
      const contact = await ctx.contacts(tenantId).create({ name: 'Reply', phone: '+966500000002' });
      const published = await ctx.flows(tenantId).publish({
        schemaVersion: 1,
        name: 'wait for reply',
        nodes: [
          { id: 'start', type: 'trigger.manual' },
          { id: 'wait', type: 'wait.event', params: { event: 'message.received' } },
        ],
        edges: [{ id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'wait', port: 'in' } }],
      });
      const { executionId } = await ctx.runtime.startExecution({ tenantId, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 'start', payload: {}, mode: 'manual', subject: contact.id, durable: true });
      await waitFor(async () => (await ctx.executions(tenantId).get(executionId))?.status === 'waiting');
      const res = await publish(m.manager, { id: `msg-${randomUUID()}`, type: 'message.received', subject: contact.id, data: { text: 'نعم' } }).expect(202);
      expect(res.body.resumed).to.equal(1);
      const result = await ctx.runtime.result(executionId, true, 20_000);
      expect(result.status).to.equal('succeeded');
      expect(result.output).to.deep.include({ type: 'message.received', data: { text: 'نعم' } });
    });

    it('managers, admins and API keys with events.publish may publish; reps and viewers may not', async () => {
      await publish(m.rep, { id: 'p-1', type: 'acme.nothing' }).expect(403);
      await publish(m.viewer, { id: 'p-2', type: 'acme.nothing' }).expect(403);
      await publish(m.admin, { id: 'p-3', type: 'acme.nothing' }).expect(202);
      const key = await request(app).post('/api/v1/api-keys').set(m.admin.headers).send({ name: 'website', role: 'manager', scopes: ['events.publish'] }).expect(201);
      await request(app).post('/api/v1/events').set('X-API-Key', String(key.body.key)).send({ id: 'p-4', type: 'acme.nothing' }).expect(202);
      await request(app).get('/api/v1/events').set('X-API-Key', String(key.body.key)).expect(403);
    });

    it('the sweep routes an event whose routing never finished (a crash after storing it)', async () => {
      const repo = new DomainEventRepository(ctx.db, tenantId);
      await repo.insert({ id: 'ev-crashed', type: 'acme.invoice_paid', subject: null, data: { total: '1' }, source: 'crm', fingerprint: 'f' }, undefined, Date.now() - 120_000);
      expect((await repo.byId('ev-crashed'))?.routedAt).to.equal(null);
      expect(await ctx.events.sweep()).to.equal(1);
      const routed = await repo.byId('ev-crashed');
      expect(routed?.routedAt).to.be.a('number');
      expect(routed?.started?.map((x) => x.flowId)).to.deep.equal([flows.invoice]);
      expect(await ctx.events.sweep()).to.equal(0);
    });

    it('lists events with what they started; another tenant sees none of them', async () => {
      const list = await request(app).get('/api/v1/events?type=acme.invoice_paid').set(m.manager.headers).expect(200);
      const inv = (list.body.items as Body[]).find((e) => e.id === 'inv-1');
      expect(inv).to.deep.include({ type: 'acme.invoice_paid', source: 'api' });
      expect((inv!.started as Body[])[0]).to.deep.include({ flowId: flows.invoice });
      await request(app).get('/api/v1/events/inv-1').set(m.manager.headers).expect(200);
      await request(app).get('/api/v1/events/inv-1').set(m.other.headers).expect(404);
      // The same id in another tenant is a different event.
      const other = await publish(m.other, { id: 'inv-1', type: 'acme.invoice_paid', data: { total: '9' } }).expect(202);
      expect(other.body.duplicate).to.equal(false);
    });
  });
}

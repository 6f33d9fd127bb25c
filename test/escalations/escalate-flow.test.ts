// escalate end to end on the embedded runtime (SQLite): a flow opens an escalation and waits;
// approving with edits continues on "approved" with the edited payload, rejecting on
// "rejected" with the note, no decision on "timeout" (and the sweep marks the row timed_out;
// deciding then answers 409). The wait is an engine wait: closing the process between the
// escalation and the decision and opening a new one on the same data directory still resumes.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createContext, type AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import type { Escalation } from '../../db/escalation-repository.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { waitFor } from '../helpers/wait-for.js';

type Obj = Record<string, unknown>;

/** trigger.manual → escalate → a data.set per port, marking which port was taken. */
function escalationFlow(escalate: Obj): unknown {
  const mark = (id: string, result: string) => ({ id, type: 'data.set', params: { fields: { result } } });
  return {
    schemaVersion: 1,
    name: 'escalate e2e',
    nodes: [{ id: 'start', type: 'trigger.manual' }, { id: 'ask', type: 'escalate', params: escalate }, mark('yes', 'approved'), mark('no', 'rejected'), mark('late', 'timeout')],
    edges: [
      { id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'ask', port: 'in' } },
      { id: 'e2', from: { node: 'ask', port: 'approved' }, to: { node: 'yes', port: 'in' } },
      { id: 'e3', from: { node: 'ask', port: 'rejected' }, to: { node: 'no', port: 'in' } },
      { id: 'e4', from: { node: 'ask', port: 'timeout' }, to: { node: 'late', port: 'in' } },
    ],
  };
}

describe('escalate end to end (embedded runtime)', function () {
  this.timeout(60_000);
  let dataDir: string;
  let ctx: AppContext;
  let tenantId: string;
  let manager: TestMember;

  const open = async (dir: string): Promise<AppContext> => {
    const c = await createContext(loadConfig({ TADFUQ_DATA_DIR: dir, DATABASE_URL: '' }), pino({ level: 'silent' }));
    await c.runtime.start();
    return c;
  };

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-escalate-'));
    ctx = await open(dataDir);
    tenantId = (await ctx.tenants.ensure('esc-e2e', 'Escalations')).id;
    manager = await addMember(ctx, tenantId, 'manager');
  });

  after(async () => {
    await ctx?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function start(escalate: Obj, payload: unknown): Promise<string> {
    const published = await ctx.flows(tenantId).publish(escalationFlow(escalate));
    const { executionId } = await ctx.runtime.startExecution({
      tenantId,
      flowId: published.flowId,
      flowVersion: published.version,
      flow: published.flow,
      trigger: 'start',
      payload,
      mode: 'manual',
      durable: true,
    });
    return executionId;
  }

  /** The escalation the execution opened, once it exists. */
  const escalationOf = (executionId: string): Promise<Escalation> =>
    waitFor(async () => (await ctx.escalations.repo(tenantId).list({ limit: 100 })).find((e) => e.executionId === executionId));

  const waiting = (executionId: string) => waitFor(async () => (await ctx.executions(tenantId).get(executionId))?.status === 'waiting');

  it('approve with edits: continues on "approved" with the edited payload', async () => {
    const id = await start({ assignee: { kind: 'role', role: 'manager' }, reason: '="Hot lead: " & name', priority: 'high', payload: '={"message": "مرحبا " & name, "channel": "whatsapp"}' }, { name: 'سارة' });
    const esc = await escalationOf(id);
    await waiting(id);
    expect(esc).to.deep.include({ status: 'open', reason: 'Hot lead: سارة', priority: 'high', assigneeRole: 'manager', assigneeUserId: null, payload: { message: 'مرحبا سارة', channel: 'whatsapp' } });
    expect(esc.stepId.startsWith(`${id}:`)).to.equal(true);

    const res = await request(createApp(ctx))
      .post(`/api/v1/escalations/${esc.id}/approve`)
      .set(manager.headers)
      .send({ edits: { message: 'مرحبا سارة، يسعدنا التواصل معك' }, note: 'softer opening' });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.deep.include({ status: 'approved', decidedBy: `user:${manager.userId}`, note: 'softer opening' });

    const result = await ctx.runtime.result(id, true, 20_000);
    expect(result.status).to.equal('succeeded');
    expect(result.output).to.deep.include({
      result: 'approved',
      decision: 'approved',
      escalationId: esc.id,
      edited: true,
      decidedBy: manager.userId,
      note: 'softer opening',
      payload: { message: 'مرحبا سارة، يسعدنا التواصل معك', channel: 'whatsapp' },
    });
    const audit = await ctx.audit(tenantId).list({ limit: 10, action: 'escalation.approved' });
    expect(audit.map((a) => a.target)).to.include(`escalation:${esc.id}`);
  });

  it('reject: continues on "rejected" with the note', async () => {
    const id = await start({ assignee: { kind: 'role', role: 'manager' }, reason: 'Check this draft' }, { n: 1 });
    const esc = await escalationOf(id);
    await waiting(id);
    const res = await request(createApp(ctx)).post(`/api/v1/escalations/${esc.id}/reject`).set(manager.headers).send({ note: 'wrong tone' });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const result = await ctx.runtime.result(id, true, 20_000);
    expect(result.output).to.deep.include({ result: 'rejected', decision: 'rejected', note: 'wrong tone', payload: { n: 1 } });
  });

  it('timeout: continues on "timeout"; the sweep marks it timed_out and a late decision answers 409', async () => {
    const id = await start({ assignee: { kind: 'role', role: 'manager' }, reason: 'Quick one', timeoutHours: 0.0003 }, { n: 2 });
    const esc = await escalationOf(id);
    const result = await ctx.runtime.result(id, true, 30_000);
    expect(result.output).to.deep.include({ result: 'timeout', decision: 'timed_out', escalationId: esc.id });
    const swept = await ctx.escalations.sweep();
    expect(swept.timedOut).to.equal(1);
    expect((await ctx.escalations.repo(tenantId).byId(esc.id))?.status).to.equal('timed_out');
    const late = await request(createApp(ctx)).post(`/api/v1/escalations/${esc.id}/approve`).set(manager.headers).send({});
    expect(late.status).to.equal(409);
  });

  it('a late decision before the sweep is refused too, and the row says timed_out', async () => {
    const id = await start({ assignee: { kind: 'role', role: 'manager' }, reason: 'Quick two', timeoutHours: 0.0003 }, { n: 3 });
    const esc = await escalationOf(id);
    await ctx.runtime.result(id, true, 30_000);
    const late = await request(createApp(ctx)).post(`/api/v1/escalations/${esc.id}/reject`).set(manager.headers).send({ note: 'too late' });
    expect([late.status, late.body.error?.code]).to.deep.equal([409, 'escalation_timed_out']);
    expect((await ctx.escalations.repo(tenantId).byId(esc.id))?.status).to.equal('timed_out');
  });

  it('survives a restart between the escalation and the decision', async () => {
    const id = await start({ assignee: { kind: 'role', role: 'manager' }, reason: 'Across a restart', payload: { draft: 'v1' } }, { n: 4 });
    const esc = await escalationOf(id);
    await waiting(id);
    await ctx.close();
    ctx = await open(dataDir);
    const res = await request(createApp(ctx)).post(`/api/v1/escalations/${esc.id}/approve`).set(manager.headers).send({ edits: { draft: 'v2' } });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    await waitFor(async () => (await ctx.executions(tenantId).get(id))?.status === 'succeeded', 20_000);
    const view = await ctx.executions(tenantId).get(id);
    expect(view?.output).to.deep.include({ result: 'approved', payload: { draft: 'v2' } });
  });
});

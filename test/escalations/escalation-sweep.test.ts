// The escalation sweep and the bulk-send hook: a decision committed but never delivered (the
// process stopped in between) is delivered by the sweep; an escalation whose execution was
// cancelled becomes `cancelled` and cannot be decided; bulk sends above the tenant's threshold
// need approval, and bulk escalations tell their listeners when decided.
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
import { DEFAULT_BULK_SEND_THRESHOLD, requiresApproval } from '../../server/escalations/bulk-approval.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { waitFor } from '../helpers/wait-for.js';

describe('requiresApproval (Class B bulk sends)', () => {
  it('is above the tenant threshold, or the default when unset', () => {
    expect(requiresApproval(500, { bulkSendThreshold: 500 })).to.equal(false);
    expect(requiresApproval(501, { bulkSendThreshold: 500 })).to.equal(true);
    expect(requiresApproval(1, { bulkSendThreshold: 0 })).to.equal(true);
    expect(requiresApproval(DEFAULT_BULK_SEND_THRESHOLD, {})).to.equal(false);
    expect(requiresApproval(DEFAULT_BULK_SEND_THRESHOLD + 1, {})).to.equal(true);
  });
});

describe('escalation sweep and bulk approvals', function () {
  this.timeout(60_000);
  let dataDir: string;
  let ctx: AppContext;
  let tenantId: string;
  let admin: TestMember;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-esc-sweep-'));
    ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: '' }), pino({ level: 'silent' }));
    await ctx.runtime.start();
    tenantId = (await ctx.tenants.ensure('esc-sweep', 'Sweep')).id;
    admin = await addMember(ctx, tenantId, 'admin');
  });

  after(async () => {
    await ctx?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function startEscalation(): Promise<{ executionId: string; escalation: Escalation }> {
    const published = await ctx.flows(tenantId).publish({
      schemaVersion: 1,
      name: 'sweep',
      nodes: [
        { id: 'start', type: 'trigger.manual' },
        { id: 'ask', type: 'escalate', params: { assignee: { kind: 'role', role: 'admin' }, reason: 'Sweep me' } },
        { id: 'yes', type: 'data.set', params: { fields: { result: 'approved' } } },
      ],
      edges: [
        { id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'ask', port: 'in' } },
        { id: 'e2', from: { node: 'ask', port: 'approved' }, to: { node: 'yes', port: 'in' } },
      ],
    });
    const { executionId } = await ctx.runtime.startExecution({ tenantId, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 'start', payload: {}, mode: 'manual', durable: true });
    await waitFor(async () => (await ctx.executions(tenantId).get(executionId))?.status === 'waiting');
    const escalation = (await ctx.escalations.repo(tenantId).list({ limit: 100 })).find((e) => e.executionId === executionId)!;
    return { executionId, escalation };
  }

  it('delivers a decision that was committed but not delivered', async () => {
    const { executionId, escalation } = await startEscalation();
    // As if the process stopped right after the decision's transaction.
    await ctx.db.sql.transaction(async (q) => {
      await ctx.escalations.repo(tenantId).update(escalation.id, { status: 'approved', decidedBy: `user:${admin.userId}`, decidedAt: Date.now() }, q);
    });
    expect((await ctx.executions(tenantId).get(executionId))?.status).to.equal('waiting');
    const swept = await ctx.escalations.sweep();
    expect(swept.redelivered).to.equal(1);
    const result = await ctx.runtime.result(executionId, true, 20_000);
    expect(result.output).to.deep.include({ result: 'approved', decision: 'approved', decidedBy: admin.userId });
    expect((await ctx.escalations.sweep()).redelivered).to.equal(0);
  });

  it('an escalation whose execution was cancelled is cancelled and cannot be decided', async () => {
    const { executionId, escalation } = await startEscalation();
    expect(await ctx.runtime.cancel(executionId)).to.equal(true);
    const res = await request(createApp(ctx)).post(`/api/v1/escalations/${escalation.id}/approve`).set(admin.headers).send({});
    expect([res.status, res.body.error.code]).to.deep.equal([409, 'escalation_cancelled']);
    expect((await ctx.escalations.repo(tenantId).byId(escalation.id))?.status).to.equal('cancelled');
    const other = await startEscalation();
    await ctx.runtime.cancel(other.executionId);
    expect((await ctx.escalations.sweep()).cancelled).to.equal(1);
    expect((await ctx.escalations.repo(tenantId).byId(other.escalation.id))?.status).to.equal('cancelled');
  });

  it('a bulk escalation goes to admins, once per key, and its listeners hear the decision', async () => {
    const heard: Escalation[] = [];
    ctx.escalations.onDecided('bulk', (e) => void heard.push(e));
    const request1 = { key: 'campaign-ramadan', recipientCount: 2500, reason: 'Ramadan offer to 2,500 contacts', requestedBy: 'user:someone', dueAt: Date.now() + 86_400_000 };
    const { escalation, created } = await ctx.escalations.openBulk(tenantId, request1);
    expect(created).to.equal(true);
    expect(escalation).to.deep.include({ kind: 'bulk', assigneeRole: 'admin', priority: 'high', payload: { recipientCount: 2500, requestedBy: 'user:someone' } });
    expect((await ctx.escalations.openBulk(tenantId, request1)).created).to.equal(false);
    const res = await request(createApp(ctx)).post(`/api/v1/escalations/${escalation.id}/approve`).set(admin.headers).send({ note: 'go' });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(heard.map((e) => [e.id, e.status])).to.deep.equal([[escalation.id, 'approved']]);
    const listed = await request(createApp(ctx)).get('/api/v1/escalations?kind=bulk').set(admin.headers).expect(200);
    expect((listed.body.items as { id: string }[]).map((e) => e.id)).to.deep.equal([escalation.id]);
  });
});

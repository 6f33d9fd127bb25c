// crm.update from flows on the embedded runtime: it sets a lead's score, tier and tags (and
// emits lead.updated), moves a deal's stage (and emits deal.stage_changed, which starts another
// flow), refuses bad values without retry, and — with the tenant setting crm.externalWebhook —
// POSTs the change to an external CRM (a local server; the tenant allows private addresses).
import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createContext, type AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { DomainEventRepository } from '../../db/domain-event-repository.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { startCaptureServer, type CaptureServer } from '../helpers/capture-server.js';

type Obj = Record<string, unknown>;
const SECRET = 'crm-webhook-secret-0123456789abcdef';

/** trigger.manual → crm.update with `params`. */
const updateFlow = (params: Obj): unknown => ({
  schemaVersion: 1,
  name: 'crm update',
  nodes: [
    { id: 'start', type: 'trigger.manual' },
    { id: 'update', type: 'crm.update', params },
  ],
  edges: [{ id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'update', port: 'in' } }],
});

describe('crm.update in flows (embedded runtime)', function () {
  this.timeout(60_000);
  let dataDir: string;
  let ctx: AppContext;
  let tenantId: string;
  let owner: TestMember;
  let rep: TestMember;
  let server: CaptureServer;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-crm-update-'));
    ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: '' }), pino({ level: 'silent' }));
    await ctx.runtime.start();
    tenantId = (await ctx.tenants.ensure('crm-flow', 'CRM flows')).id;
    owner = await addMember(ctx, tenantId, 'owner');
    rep = await addMember(ctx, tenantId, 'sales_rep');
    server = await startCaptureServer();
  });

  after(async () => {
    await server?.close();
    await ctx?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function run(params: Obj, payload: unknown, subject: string | null = null) {
    const published = await ctx.flows(tenantId).publish(updateFlow(params));
    const { executionId } = await ctx.runtime.startExecution({ tenantId, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 'start', payload, mode: 'manual', subject, durable: true });
    return ctx.runtime.result(executionId, true, 20_000);
  }

  it('sets the contact’s score, tier, owner and tags, and emits lead.updated', async () => {
    const contact = await ctx.contacts(tenantId).create({ name: 'Lead', phone: '+966500000010', tags: ['web', 'old'], score: 10 });
    const result = await run({ target: 'contact', set: { score: '=score', tier: '=score >= 80 ? "hot" : "warm"', owner: rep.userId, tags: { add: ['vip'], remove: ['old'] } } }, { score: 91 }, contact.id);
    expect(result.status, JSON.stringify(result.error)).to.equal('succeeded');
    const after = await ctx.contacts(tenantId).byId(contact.id);
    expect(after).to.deep.include({ score: 91, tier: 'hot', ownerId: rep.userId, tags: ['web', 'vip'] });
    expect(result.output).to.deep.include({ target: 'contact', id: contact.id, events: ['lead.updated'], webhook: null });
    expect((result.output as { changes: Obj }).changes).to.deep.equal({
      score: { from: 10, to: 91 },
      tier: { from: null, to: 'hot' },
      ownerId: { from: null, to: rep.userId },
      tags: { from: ['web', 'old'], to: ['web', 'vip'] },
    });
    const [event] = await new DomainEventRepository(ctx.db, tenantId).list({ type: 'lead.updated', subject: contact.id, limit: 5 });
    expect(event?.data).to.deep.include({ actor: `execution:${result.executionId}` });
  });

  it('moves a deal’s stage; deal.stage_changed starts the flow listening for it', async () => {
    const listener = await ctx.flows(tenantId).publish({
      schemaVersion: 1,
      name: 'on won',
      nodes: [
        { id: 'won', type: 'trigger.event', params: { event: 'deal.stage_changed', filter: '=data.to = "won"' } },
        { id: 'mark', type: 'data.set', params: { fields: { seen: true } } },
      ],
      edges: [{ id: 'e1', from: { node: 'won', port: 'out' }, to: { node: 'mark', port: 'in' } }],
    });
    const deal = await ctx.crm.createDeal(tenantId, { title: 'Won by a flow', stage: 'negotiation', valueSar: '50000.00' }, { actor: 'test' });
    const result = await run({ target: 'deal', id: '=dealId', set: { stage: 'won' } }, { dealId: deal.id });
    expect(result.status, JSON.stringify(result.error)).to.equal('succeeded');
    expect(result.output).to.deep.include({ target: 'deal', events: ['deal.updated', 'deal.stage_changed'] });
    expect((await ctx.crm.deals(tenantId).byId(deal.id))?.stage).to.equal('won');
    const [changed] = await new DomainEventRepository(ctx.db, tenantId).list({ type: 'deal.stage_changed', limit: 1 });
    expect(changed?.started?.[0]?.flowId).to.equal(listener.flowId);
    expect((await ctx.runtime.result(changed!.started![0]!.executionId, true, 20_000)).output).to.deep.include({ seen: true });
  });

  it('fails without retry on an unknown record or a value the record cannot take', async () => {
    const missing = await run({ target: 'deal', id: 'no-such-deal', set: { stage: 'won' } }, {});
    expect(missing.status).to.equal('failed');
    expect(missing.error).to.deep.include({ code: 'not_found', retryable: false });
    const contact = await ctx.contacts(tenantId).create({ name: 'Bad score', phone: '+966500000011' });
    const bad = await run({ target: 'contact', set: { score: '=150' } }, {}, contact.id);
    expect(bad.status).to.equal('failed');
    expect(bad.error?.code).to.equal('invalid_params');
    const stranger = await run({ target: 'contact', set: { owner: 'not-a-member' } }, {}, contact.id);
    expect(stranger.error?.code).to.equal('unknown_user');
  });

  it('POSTs the change to the external CRM webhook set in the tenant settings (signed)', async () => {
    const app = createApp(ctx);
    await request(app).post('/api/v1/credentials').set(owner.headers).send({ name: 'crm-signing', type: 'webhook-hmac', data: { secret: SECRET } }).expect(201);
    // A literal private address is refused when set, unless the same settings allow private networks.
    const refused = await request(app)
      .patch('/api/v1/tenant')
      .set(owner.headers)
      .send({ settings: { crm: { externalWebhook: { url: `http://[::ffff:127.0.0.1]:${new URL(server.url).port}/tadfuq/changes` } } } })
      .expect(400);
    expect(refused.body.error.details).to.have.length(1);
    expect(refused.body.error.details[0]).to.include({ path: '/body/settings/crm/externalWebhook/url', code: 'address_not_allowed' });
    const patched = await request(app)
      .patch('/api/v1/tenant')
      .set(owner.headers)
      .send({ settings: { allowPrivateNetwork: true, crm: { externalWebhook: { url: `${server.url}/tadfuq/changes`, credential: 'crm-signing' } } } });
    expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
    const contact = await ctx.contacts(tenantId).create({ name: 'Synced', phone: '+966500000012' });
    const result = await run({ target: 'contact', set: { score: 77, tier: 'warm' } }, {}, contact.id);
    expect(result.status, JSON.stringify(result.error)).to.equal('succeeded');
    expect(result.output).to.deep.include({ webhook: { url: `${server.url}/tadfuq/changes`, status: 200 } });
    expect(server.requests).to.have.length(1);
    const [req] = server.requests;
    expect(req).to.deep.include({ method: 'POST', path: '/tadfuq/changes' });
    const body = JSON.parse(req!.body) as Obj;
    expect(body).to.deep.include({ event: 'contact.updated', target: 'contact', id: contact.id, set: { score: 77, tier: 'warm' } });
    expect(body.changes).to.deep.equal({ score: { from: null, to: 77 }, tier: { from: null, to: 'warm' } });
    expect(body.changeId).to.equal(req!.headers['idempotency-key']);
    expect(String(body.changeId).startsWith(`${result.executionId}:`)).to.equal(true);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req!.headers['x-tadfuq-signature'])) ?? [];
    expect(v1).to.equal(createHmac('sha256', SECRET).update(`${t}.${req!.body}`).digest('hex'));
    expect(JSON.stringify(result)).to.not.include(SECRET);
  });
});

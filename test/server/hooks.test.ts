// The HTTP surface in-process: health, webhooks (/hooks/:tenant/:path) in both respond modes,
// their error answers, the executions API with tenant scoping, and publish-time webhook rules.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RequestListener } from 'node:http';
import { createContext, type AppContext } from '../../server/app-context.js';
import { assertContract, checkedApp } from '../helpers/contract.js';
import { loadConfig } from '../../server/config.js';
import { seedDemoTenant } from '../../seeds/demo-tenant.js';
import { FlowInvalidError, type FlowError } from '../../engine/index.js';
import type { ExecutionView } from '../../db/index.js';
import { flow } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';

const BODY_LIMIT = 2048;

describe('server: webhooks and executions API', function () {
  this.timeout(30_000);
  let dataDir: string;
  let ctx: AppContext;
  let app: RequestListener;
  let demoId: string;

  const webhook = (id: string, params: Record<string, unknown>) => ({ id, type: 'trigger.webhook', params });

  /** Publish under the demo tenant; the flow id is returned. */
  async function publish(doc: unknown, flowId: string): Promise<string> {
    const published = await ctx.flows(demoId).publish(doc, { flowId });
    return published.flowId;
  }

  let demoAdmin: TestMember;

  async function executionView(id: string): Promise<ExecutionView> {
    const res = await request(app).get(`/api/v1/executions/${id}`).set(demoAdmin.headers).expect(200);
    return res.body as ExecutionView;
  }

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-hooks-'));
    ctx = await createContext(
      loadConfig({ TADFUQ_DATA_DIR: dataDir, TADFUQ_BODY_LIMIT_BYTES: String(BODY_LIMIT), DATABASE_URL: '' }),
      pino({ level: 'silent' }),
    );
    const seeded = await seedDemoTenant(ctx);
    demoId = seeded.tenantId;
    demoAdmin = await addMember(ctx, demoId, 'admin');
    expect(seeded.published).to.deep.equal(['demo-lead-intake@1', 'demo-outreach@1']);
    await ctx.runtime.start();
    app = checkedApp(ctx);

    await publish(
      flow(
        [
          webhook('hook', { path: 'queued', method: 'POST', respond: 'immediately' }),
          { id: 'mark', type: 'data.set', params: { fields: { seen: '=body.n + 1', via: '=$trigger.query.via' }, keepInput: false } },
        ],
        [['hook', 'out', 'mark']],
      ),
      'queued-flow',
    );
    await publish(
      flow(
        [
          webhook('hook', { path: 'sleepy', method: 'POST', respond: 'onFinish' }),
          { id: 'nap', type: 'time.delay', params: { seconds: 60 } },
        ],
        [['hook', 'out', 'nap']],
      ),
      'sleepy-flow',
    );
    await publish(
      flow(
        [
          webhook('hook', { path: 'broken', method: 'POST', respond: 'onFinish' }),
          { id: 'bad', type: 'data.set', params: { fields: { n: '=$number("x")' } } },
        ],
        [['hook', 'out', 'bad']],
      ),
      'broken-flow',
    );
    await publish(
      flow(
        [
          webhook('hook', { path: 'a/b', method: 'PUT', respond: 'onFinish' }),
          { id: 'echo', type: 'data.set', params: { fields: { nested: true, got: '=body.x' }, keepInput: false } },
        ],
        [['hook', 'out', 'echo']],
      ),
      'nested-flow',
    );
  });

  after(async () => {
    await ctx?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    assertContract(app);
  });

  describe('health', () => {
    it('GET /healthz answers ok', async () => {
      const res = await request(app).get('/healthz').expect(200);
      expect(res.body).to.deep.equal({ status: 'ok' });
    });

    it('GET /readyz checks the database', async () => {
      const res = await request(app).get('/readyz').expect(200);
      expect(res.body).to.deep.equal({ status: 'ready', database: 'sqlite' });
    });
  });

  describe('node types', () => {
    it('GET /api/v1/node-types lists every node with bilingual labels, params schema and ports', async () => {
      const res = await request(app).get('/api/v1/node-types').set(demoAdmin.headers).expect(200);
      const items = res.body.items as { type: string; label: { en: string; ar: string }; params: { type: string }; outputs: { port: string }[] | null; dynamicOutputs: boolean }[];
      expect(items.map((i) => i.type)).to.include.members(['trigger.webhook', 'logic.if', 'http.request', 'code']);
      for (const i of items) {
        expect(i.label.en, i.type).to.be.a('string').and.not.equal('');
        expect(i.label.ar, i.type).to.match(/[\u0600-\u06FF]/);
        expect(i.params.type, i.type).to.equal('object');
      }
      const ifNode = items.find((i) => i.type === 'logic.if')!;
      expect(ifNode.outputs!.map((o) => o.port)).to.deep.equal(['true', 'false']);
      expect(items.find((i) => i.type === 'logic.switch')!.dynamicOutputs).to.equal(true);
    });
  });

  describe('code test endpoint', () => {
    it('POST /api/v1/code/test runs a snippet in the sandbox and returns output and logs', async () => {
      const res = await request(app).post('/api/v1/code/test').set(demoAdmin.headers).send({ source: 'console.log("hi", input.n); return { twice: input.n * 2 };', input: { n: 21 } }).expect(200);
      expect(res.body).to.include({ ok: true });
      expect(res.body.output).to.deep.equal({ twice: 42 });
      expect(res.body.logs).to.deep.equal(['hi 21']);
    });

    it('reports a failing snippet with its code and line, and a malformed request as 400', async () => {
      const res = await request(app).post('/api/v1/code/test').set(demoAdmin.headers).send({ source: 'const x = 1;\nthrow new Error("boom");' }).expect(200);
      expect(res.body.ok).to.equal(false);
      expect(res.body.error).to.include({ code: 'code_error', line: 2 });
      const bad = await request(app).post('/api/v1/code/test').set(demoAdmin.headers).send({ input: 1 }).expect(400);
      expect(bad.body.error.details[0]).to.include({ path: '/body/source' });
      const limits = await request(app).post('/api/v1/code/test').set(demoAdmin.headers).send({ source: 'return 1', timeoutMs: 999999 }).expect(400);
      expect(limits.body.error.code).to.equal('invalid_request');
    });
  });

  describe('respond onFinish', () => {
    it('answers the seeded lead flow with its final output (hot)', async () => {
      const res = await request(app).post('/hooks/demo/leads').send({ name: '  نورة  ', company: 'Acme', budget_sar: 75000 }).expect(200);
      expect(res.body).to.include({ name: 'نورة', company: 'Acme', budgetHalalas: 7_500_000, tier: 'hot' });
      expect(res.body.receivedAt).to.be.a('string');
      expect(res.headers['x-execution-id']).to.match(/^[0-9a-f-]{36}$/);
      const view = await executionView(res.headers['x-execution-id'] as string);
      expect(view.status).to.equal('succeeded');
      expect(view.mode).to.equal('webhook');
      expect(view.flowId).to.equal('demo-lead-intake');
      expect(view.steps.map((s) => [s.node, s.port])).to.deep.equal([
        ['webhook', 'out'],
        ['normalise', 'out'],
        ['isHot', 'true'],
        ['hot', 'out'],
      ]);
    });

    it('tags a small budget cold', async () => {
      const res = await request(app).post('/hooks/demo/leads').send({ name: 'Omar', company: 'Tiny', budget_sar: 10 }).expect(200);
      expect(res.body).to.include({ name: 'Omar', budgetHalalas: 1000, tier: 'cold' });
      expect(res.headers['x-execution-id']).to.be.a('string');
    });

    it('answers 202 waiting when the flow suspends on a delay', async () => {
      const res = await request(app).post('/hooks/demo/sleepy').send({ a: 1 }).expect(202);
      expect(res.body).to.deep.equal({ executionId: res.headers['x-execution-id'], status: 'waiting' });
      const view = await executionView(res.body.executionId as string);
      expect(view.status).to.equal('waiting');
      expect(view.steps.map((s) => [s.node, s.status])).to.deep.equal([
        ['hook', 'succeeded'],
        ['nap', 'waiting'],
      ]);
    });

    it('answers 500 execution_failed naming the failing node and param', async () => {
      const res = await request(app).post('/hooks/demo/broken').send({}).expect(500);
      const executionId = res.headers['x-execution-id'];
      expect(executionId).to.be.a('string');
      expect(res.body.error.code).to.equal('execution_failed');
      expect(res.body.error.executionId).to.equal(executionId);
      expect(res.body.error.message).to.be.a('string').and.not.equal('');
      expect(res.body.error.details).to.have.length(1);
      expect(res.body.error.details[0]).to.include({ path: '/nodes/bad/params/fields/n', code: 'expression_error' });
      const view = await executionView(executionId as string);
      expect(view.status).to.equal('failed');
      expect(view.error).to.include({ node: 'bad', code: 'expression_error' });
    });

    it('answers 422 invalid_payload, not 500, when the caller left out a field the flow reads', async () => {
      const res = await request(app).post('/hooks/demo/leads').send({ name: 'Sara', company: 'Acme' }).expect(422);
      expect(res.body.error.code).to.equal('invalid_payload');
      expect(res.body.error.executionId).to.equal(res.headers['x-execution-id']);
      expect(res.body.error.details).to.have.length(1);
      expect(res.body.error.details[0]).to.include({ path: '/nodes/isHot/params/condition', code: 'expression_error' });
      expect(res.body.error.details[0].message).to.be.a('string').and.not.equal('');
    });

    it('answers 415 for a JSON body sent as a form (curl -d without -H) or without a content type', async () => {
      const form = await request(app).post('/hooks/demo/leads').type('form').send('{"name":"Sara","budget_sar":"75000"}').expect(415);
      expect(form.body.error.code).to.equal('unsupported_media_type');
      expect(form.body.error.details[0]).to.include({ path: '/headers/content-type', code: 'unsupported_media_type' });
      expect(form.body.error.message).to.contain('application/json');
      const bare = await request(app).post('/hooks/demo/leads').set('Content-Type', '').send(Buffer.from('{"name":"Sara"}')).expect(415);
      expect(bare.body.error.code).to.equal('unsupported_media_type');
      // A real form still reaches the flow (and an empty body needs no content type).
      await request(app).post('/hooks/demo/queued').type('form').send('n=1').expect(202);
      await request(app).post('/hooks/demo/queued').expect(202);
    });

    it('serves nested paths ("a/b")', async () => {
      const res = await request(app).put('/hooks/demo/a/b').send({ x: 'y' }).expect(200);
      expect(res.body).to.deep.equal({ nested: true, got: 'y' });
    });
  });

  describe('respond immediately', () => {
    it('answers 202 queued, then the execution succeeds with its steps', async () => {
      const res = await request(app).post('/hooks/demo/queued?via=form').send({ n: 41 }).expect(202);
      const executionId = res.body.executionId as string;
      expect(res.body).to.deep.equal({ executionId, status: 'queued' });
      expect(res.headers['x-execution-id']).to.equal(executionId);

      const view = await waitFor(async () => {
        const v = await executionView(executionId);
        return v.status === 'succeeded' ? v : null;
      });
      expect(view.id).to.equal(executionId);
      expect(view.flowId).to.equal('queued-flow');
      expect(view.output).to.deep.equal({ seen: 42, via: 'form' });
      expect(view.steps).to.have.length(2);
      const [trigger, mark] = view.steps;
      expect(trigger).to.include({ node: 'hook', type: 'trigger.webhook', port: 'out', status: 'succeeded' });
      expect(mark).to.include({ node: 'mark', type: 'data.set', port: 'out', status: 'succeeded' });
      expect(mark!.output).to.deep.equal({ seen: 42, via: 'form' });
      for (const step of view.steps) {
        expect(Number.isNaN(Date.parse(step.startedAt!)), 'startedAt is a date').to.equal(false);
        expect(Date.parse(step.finishedAt!)).to.be.at.least(Date.parse(step.startedAt!));
        expect(step.durationMs).to.be.a('number').and.at.least(0);
      }
    });

    it('stores {body, query, headers} without credential headers', async () => {
      const res = await request(app)
        .post('/hooks/demo/queued?via=api&x=1')
        .set('Authorization', 'Bearer s3cret')
        .set('Cookie', 'session=abc')
        .set('X-Api-Key', 'k-123')
        .set('X-Request-Id', 'req-7')
        .send({ n: 1 })
        .expect(202);
      const view = await waitFor(async () => {
        const v = await executionView(res.body.executionId as string);
        return v.status === 'succeeded' ? v : null;
      });
      const output = view.steps[0]!.output as { body: unknown; query: unknown; headers: Record<string, unknown> };
      expect(output).to.have.all.keys('body', 'query', 'headers');
      expect(output.body).to.deep.equal({ n: 1 });
      expect(output.query).to.deep.equal({ via: 'api', x: '1' });
      expect(output.headers['x-request-id']).to.equal('req-7');
      expect(output.headers['content-type']).to.match(/^application\/json/);
      expect(output.headers).to.not.have.any.keys('authorization', 'cookie', 'x-api-key');
      // Nor anywhere else in what was stored.
      const stored = JSON.stringify(view);
      for (const secret of ['s3cret', 'session=abc', 'k-123']) expect(stored).to.not.include(secret);
    });
  });

  describe('webhook errors', () => {

    it('404 (not 500) for a malformed percent-encoding in the path', async () => {
      const res = await request(app).post('/hooks/demo/%E0%A4%A/x').send({}).expect(404);
      expect(res.body.error.code).to.equal('not_found');
    });
    it('404 for an unknown tenant', async () => {
      const res = await request(app).post('/hooks/no-such-tenant/leads').send({}).expect(404);
      expect(res.body.error.code).to.equal('not_found');
      expect(res.headers['x-execution-id']).to.equal(undefined);
    });

    it('404 for an unknown path', async () => {
      const res = await request(app).post('/hooks/demo/no-such-path').send({}).expect(404);
      expect(res.body.error.code).to.equal('not_found');
    });

    it('405 with Allow for a wrong method', async () => {
      const res = await request(app).get('/hooks/demo/leads').expect(405);
      expect(res.body.error.code).to.equal('method_not_allowed');
      expect(res.headers.allow).to.equal('POST');
    });

    it('400 invalid_json for a malformed body', async () => {
      const res = await request(app).post('/hooks/demo/leads').set('Content-Type', 'application/json').send('{"name": ').expect(400);
      expect(res.body.error.code).to.equal('invalid_json');
      expect(res.body.error.details).to.have.length(1);
      expect(res.body.error.details[0]).to.include({ path: '/body', code: 'invalid_json' });
    });

    it('413 payload_too_large for a body over the limit', async () => {
      const res = await request(app)
        .post('/hooks/demo/leads')
        .send({ name: 'x'.repeat(BODY_LIMIT + 100) })
        .expect(413);
      expect(res.body.error.code).to.equal('payload_too_large');
      expect(res.body.error.details[0]).to.include({ path: '/body' });
    });

    it('accepts a body just under the limit', async () => {
      await request(app)
        .post('/hooks/demo/leads')
        .send({ name: 'x'.repeat(BODY_LIMIT - 100), budget_sar: 1 })
        .expect(200);
    });
  });

  it('a webhook never reverts tenant settings this process just changed (its tenant cache is older)', async () => {
    await request(app).post('/hooks/demo/leads').send({ name: 'Cache', budget_sar: 1 }).expect(200);
    const changed = { ...ctx.tenantSettings.get(demoId), retentionDays: 77 };
    await ctx.tenants.updateSettings(demoId, changed);
    ctx.tenantSettings.set(demoId, changed);
    await request(app).post('/hooks/demo/leads').send({ name: 'Cache', budget_sar: 1 }).expect(200);
    expect(ctx.tenantSettings.get(demoId)?.retentionDays).to.equal(77);
  });

  describe('executions API', () => {
    let executionId: string;
    before(async () => {
      await ctx.tenants.ensure('other-co', 'Other Co');
      const res = await request(app).post('/hooks/demo/leads').send({ name: 'Sara', budget_sar: 60000 }).expect(200);
      executionId = res.headers['x-execution-id'] as string;
    });

    it('reads an execution of the caller’s tenant', async () => {
      const view = await executionView(executionId);
      expect(view.id).to.equal(executionId);
      expect(view.status).to.equal('succeeded');
    });

    it("404 when another tenant reads the execution", async () => {
      const other = await ctx.tenants.ensure('other-co', 'Other Co');
      const outsider = await addMember(ctx, other.id, 'owner');
      const res = await request(app).get(`/api/v1/executions/${executionId}`).set(outsider.headers).expect(404);
      expect(res.body.error.code).to.equal('not_found');
      expect(JSON.stringify(res.body)).to.not.include('Sara');
    });

    it('401 without credentials, with a bad token and with an expired one', async () => {
      const none = await request(app).get(`/api/v1/executions/${executionId}`).expect(401);
      expect(none.body.error.code).to.equal('unauthenticated');
      const bad = await request(app).get(`/api/v1/executions/${executionId}`).set('Authorization', 'Bearer nope').expect(401);
      expect(bad.body.error.code).to.equal('invalid_token');
      const expired = ctx.tokens.issueAccess(demoAdmin.userId, demoId, -10);
      const late = await request(app).get(`/api/v1/executions/${executionId}`).set('Authorization', `Bearer ${expired}`).expect(401);
      expect(late.body.error.code).to.equal('token_expired');
    });

    it('404 for an unknown execution id', async () => {
      const res = await request(app).get('/api/v1/executions/00000000-0000-0000-0000-000000000000').set(demoAdmin.headers).expect(404);
      expect(res.body.error.code).to.equal('not_found');
    });

    it('404 JSON for an unknown API route', async () => {
      const res = await request(app).get('/api/v1/nope').set(demoAdmin.headers).expect(404).expect('Content-Type', /json/);
      expect(res.body.error).to.include({ code: 'not_found' });
      expect(res.body.error.message).to.include('/api/v1/nope');
    });
  });

  describe('publishing', () => {
    async function rejection(p: Promise<unknown>): Promise<FlowInvalidError> {
      try {
        await p;
      } catch (err) {
        expect(err).to.be.instanceOf(FlowInvalidError);
        return err as FlowInvalidError;
      }
      throw new Error('expected the publish to be rejected');
    }

    it('rejects a second flow on a taken webhook method+path and saves nothing', async () => {
      const before = await ctx.flows(demoId).list();
      const doc = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          webhook('thief', { path: 'leads', method: 'POST', respond: 'onFinish' }),
          { id: 'x', type: 'data.set', params: { fields: { stolen: true } } },
        ],
        [['thief', 'out', 'x'], ['start', 'out', 'x']],
      );
      const err = await rejection(ctx.flows(demoId).publish(doc, { flowId: 'thief-flow' }));
      expect(err.errors).to.deep.equal([
        { path: '/nodes/1/params/path', code: 'webhook_path_taken', message: 'POST /leads already starts another flow' },
      ]);
      expect(await ctx.flows(demoId).list()).to.deep.equal(before);
      expect(await ctx.flows(demoId).version('thief-flow', 1)).to.equal(null);
      const [{ n }] = (await ctx.db.sql.query("SELECT COUNT(*) AS n FROM flows WHERE id = 'thief-flow'")) as [{ n: number | string }];
      expect(Number(n)).to.equal(0);
      expect(await ctx.flows(demoId).webhookRoute('POST', 'leads')).to.include({ flowId: 'demo-lead-intake', nodeId: 'webhook' });
      const res = await request(app).post('/hooks/demo/leads').send({ name: 'Still', budget_sar: 1 }).expect(200);
      expect(res.body.tier).to.equal('cold');
    });

    it('rejects republishing an existing flow onto a taken path and keeps its current version', async () => {
      const moved = flow(
        [
          webhook('hook', { path: 'leads', method: 'POST', respond: 'immediately' }),
          { id: 'mark', type: 'data.set', params: { fields: { moved: true } } },
        ],
        [['hook', 'out', 'mark']],
      );
      const err = await rejection(ctx.flows(demoId).publish(moved, { flowId: 'queued-flow' }));
      expect(err.errors.map((e) => [e.path, e.code])).to.deep.equal([['/nodes/0/params/path', 'webhook_path_taken']]);
      expect((await ctx.flows(demoId).list()).find((f) => f.id === 'queued-flow')).to.include({ publishedVersion: 1 });
      expect(await ctx.flows(demoId).version('queued-flow', 2)).to.equal(null);
      expect(await ctx.flows(demoId).webhookRoute('POST', 'queued')).to.include({ flowId: 'queued-flow', version: 1 });
      await request(app).post('/hooks/demo/queued').send({ n: 0 }).expect(202);
    });

    it('allows the same path with another method, or in another tenant', async () => {
      const patch = flow([webhook('hook', { path: 'leads', method: 'PATCH', respond: 'onFinish' }), { id: 'tag', type: 'data.set', params: { fields: { patched: true }, keepInput: false } }], [['hook', 'out', 'tag']]);
      await ctx.flows(demoId).publish(patch, { flowId: 'patch-leads' });
      expect((await request(app).patch('/hooks/demo/leads').send({}).expect(200)).body).to.deep.equal({ patched: true });
      const wrong = await request(app).delete('/hooks/demo/leads').expect(405);
      expect(wrong.headers.allow!.split(', ').sort()).to.deep.equal(['PATCH', 'POST']);

      const other = await ctx.tenants.ensure('other-co', 'Other Co');
      const doc = flow([webhook('hook', { path: 'leads', method: 'POST', respond: 'onFinish' })], []);
      const published = await ctx.flows(other.id).publish(doc, { flowId: 'other-leads' });
      expect(published.version).to.equal(1);
      const res = await request(app).post('/hooks/other-co/leads').send({ hi: 1 }).expect(200);
      expect(res.body.body).to.deep.equal({ hi: 1 });
    });

    it('publishes concurrently: every free path succeeds, a contested path goes to exactly one flow', async () => {
      const free = Array.from({ length: 12 }, (_, i) =>
        ctx.flows(demoId).publish(flow([webhook('hook', { path: `burst/${i}`, method: 'POST', respond: 'onFinish' })], []), { flowId: `burst-${i}` }),
      );
      const contested = Array.from({ length: 8 }, (_, i) =>
        ctx.flows(demoId).publish(flow([webhook('hook', { path: 'contested', method: 'POST', respond: 'onFinish' })], []), { flowId: `contested-${i}` }),
      );
      const [freeResults, contestedResults] = await Promise.all([Promise.allSettled(free), Promise.allSettled(contested)]);
      const reasons = (rs: PromiseSettledResult<unknown>[]) => rs.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as Error).message);
      expect(reasons(freeResults)).to.deep.equal([]);
      expect(contestedResults.filter((r) => r.status === 'fulfilled')).to.have.length(1);
      for (const r of contestedResults) {
        if (r.status === 'rejected') expect((r.reason as FlowInvalidError).errors?.map((e) => e.code), (r.reason as Error).message).to.deep.equal(['webhook_path_taken']);
      }
      const ids = (await ctx.flows(demoId).list()).map((f) => f.id);
      expect(ids.filter((id) => id.startsWith('burst-'))).to.have.length(12);
      expect(ids.filter((id) => id.startsWith('contested-'))).to.have.length(1);
      const res = await request(app).post('/hooks/demo/burst/7').send({ k: 7 }).expect(200);
      expect(res.body.body).to.deep.equal({ k: 7 });
    });

    it('rejects an invalid flow with every error and its path', async () => {
      const doc = {
        schemaVersion: 1,
        name: 'broken',
        nodes: [
          { id: 'hook', type: 'trigger.webhook', params: { path: '/bad path', method: 'FETCH' } },
          { id: 'wait', type: 'time.delay', params: { seconds: -5 } },
          { id: 'ghost', type: 'no.such.type', params: {} },
        ],
        edges: [{ id: 'e1', from: { node: 'hook', port: 'out' }, to: { node: 'missing', port: 'in' } }],
      };
      const before = await ctx.flows(demoId).list();
      const err = await rejection(ctx.flows(demoId).publish(doc, { flowId: 'invalid-flow' }));
      const paths = new Set(err.errors.map((e: FlowError) => e.path));
      expect(paths.size, JSON.stringify(err.errors)).to.be.at.least(4);
      expect([...paths]).to.include.members(['/nodes/0/params/path', '/nodes/0/params/method', '/nodes/1/params/seconds', '/nodes/2/type']);
      expect(await ctx.flows(demoId).list()).to.deep.equal(before);
    });
  });
});

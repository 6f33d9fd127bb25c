// ctx.llm in the running server (runtime-factory wiring): a webhook → ai.score → hot/warm/cold
// flow on the embedded runtime, with groq and openai credentials (baseUrl on local servers)
// created through the API; usage rows per execution and step (integer micro-USD) and
// GET /llm-usage; PUT /llm-settings ('off' stops every call); a misconfigured provider fails
// the step, or leaves ai.agent by its error port. On SQLite and PostgreSQL.
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
import type { Tenant } from '../../db/index.js';
import { LlmUsageRepository } from '../../db/llm-usage-repository.js';
import { flow } from '../helpers/runtime-harness.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { DIALECTS, createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { GROQ_TEST_KEY, OPENAI_TEST_KEY, startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';

interface ScoreStep {
  score: number;
  tier: string;
  reasons: string[];
  llm: { provider: string; taskClass?: string; attempts: { provider: string; outcome: string }[]; prompt: unknown; answer: string; costMicroUsd: number };
}

for (const dialect of DIALECTS) {
  describe(`ctx.llm in the server (${dialect})`, function () {
    this.timeout(60_000);
    let tdb: TestDatabase | undefined;
    let dataDir: string;
    let ctx: AppContext;
    let app: RequestListener;
    let acme: Tenant;
    let bare: Tenant;
    let owner: TestMember;
    let admin: TestMember;
    let manager: TestMember;
    let rep: TestMember;
    let bareOwner: TestMember;
    let groq: FakeOpenAI;
    let openai: FakeOpenAI;
    const logLines: string[] = [];
    let scorePublished: Awaited<ReturnType<ReturnType<AppContext['flows']>['publish']>>;

    const api = (m: TestMember) => ({
      get: (p: string) => request(app).get(`/api/v1${p}`).set(m.headers),
      post: (p: string, body: unknown) => request(app).post(`/api/v1${p}`).set(m.headers).send(body as object),
      put: (p: string, body: unknown) => request(app).put(`/api/v1${p}`).set(m.headers).send(body as object),
    });

    const hook = (p: string) => ({ id: 'hook', type: 'trigger.webhook', params: { path: p, method: 'POST', respond: 'onFinish' } });
    const mark = (id: string, route: string) => ({ id, type: 'data.set', params: { fields: { route, score: '=$nodes.score.output.score' }, keepInput: false } });

    before(async function () {
      if (dialect === 'postgres') {
        await requirePostgres(this);
        tdb = await createTestDatabase('postgres');
        await tdb.db.close();
      }
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-llm-'));
      const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
      ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: tdb?.url ?? '' }), logger);
      acme = await ctx.tenants.ensure('acme-llm', 'Acme', { allowPrivateNetwork: true, llm: { timeoutMs: 2000 } });
      ctx.tenantSettings.set(acme.id, acme.settings);
      bare = await ctx.tenants.ensure('bare-llm', 'Bare');
      ctx.tenantSettings.set(bare.id, bare.settings);
      owner = await addMember(ctx, acme.id, 'owner');
      admin = await addMember(ctx, acme.id, 'admin');
      manager = await addMember(ctx, acme.id, 'manager');
      rep = await addMember(ctx, acme.id, 'sales_rep');
      bareOwner = await addMember(ctx, bare.id, 'owner');
      groq = await startFakeOpenAI();
      openai = await startFakeOpenAI({ answer: { score: 50, reasons: ['openai'] } });
      await ctx.runtime.start();
      app = createApp(ctx);
      await api(admin).post('/credentials', { name: 'groq-main', type: 'groq', data: { apiKey: GROQ_TEST_KEY, baseUrl: groq.url } }).expect(201);
      await api(admin).post('/credentials', { name: 'openai-main', type: 'openai', data: { apiKey: OPENAI_TEST_KEY, baseUrl: openai.url } }).expect(201);
      const scoreFlow = (p: string, lead = '=body') =>
        flow(
          [hook(p), { id: 'score', type: 'ai.score', params: { lead } }, mark('hot', 'hot'), mark('warm', 'warm'), mark('cold', 'cold')],
          [
            ['hook', 'out', 'score'],
            ['score', 'hot', 'hot'],
            ['score', 'warm', 'warm'],
            ['score', 'cold', 'cold'],
          ],
        );
      scorePublished = await ctx.flows(acme.id).publish(scoreFlow('score'), { flowId: 'score-flow' });
      await ctx.flows(bare.id).publish(scoreFlow('score'), { flowId: 'bare-score-flow' });
      await ctx.flows(acme.id).publish(
        flow(
          [hook('advise'), { id: 'agent', type: 'ai.agent', params: { role: 'lead_qualifier', input: '=body' } }, { id: 'failed', type: 'data.set', params: { fields: { failed: '=error.code' }, keepInput: false } }],
          [
            ['hook', 'out', 'agent'],
            ['agent', 'error', 'failed'],
          ],
        ),
        { flowId: 'advise-flow' },
      );
    });

    after(async () => {
      await ctx?.close();
      await groq?.close();
      await openai?.close();
      await tdb?.drop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    beforeEach(() => {
      groq.reset();
      openai.reset();
    });

    const fire = (slug: string, p: string, body: unknown) => request(app).post(`/hooks/${slug}/${p}`).send(body as object);
    const scoreStep = async (tenantId: string, executionId: string) => {
      const view = await ctx.executions(tenantId).get(executionId);
      const step = view!.steps.find((s) => s.node === 'score')!;
      return { step, output: step.output as ScoreStep };
    };

    const LEAD = { name: 'نورة الحربي', phone: '+966 55 111 2233', email: 'noura@najd.sa', budget: 'ميزانية ٥٠٠٬٠٠٠ ريال' };

    it('webhook → ai.score → hot: Groq answers through the runtime; the prompt is masked; usage rows per step', async () => {
      groq.queue({ answer: { score: 86, reasons: ['[NAME_1] لديها ميزانية كبيرة'] }, usage: { prompt_tokens: 400, completion_tokens: 50 } });
      const res = await fire('acme-llm', 'score', LEAD);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({ route: 'hot', score: 86 });
      const executionId = res.headers['x-execution-id'] as string;
      const { step, output } = await scoreStep(acme.id, executionId);
      expect(step.port).to.equal('hot');
      expect(output.reasons).to.deep.equal(['نورة الحربي لديها ميزانية كبيرة']);
      expect(output.llm.provider).to.equal('groq');
      expect(output.llm.taskClass).to.equal('classification');
      expect(output.llm.attempts.map((a) => `${a.provider}:${a.outcome}`)).to.deep.equal(['groq:ok']);
      expect(JSON.stringify(output.llm.prompt)).to.not.include('نورة');
      for (const s of ['نورة', '111 2233', 'noura@najd.sa']) expect(groq.requests[0]!.raw).to.not.include(s);
      expect(groq.requests[0]!.headers.authorization).to.equal(`Bearer ${GROQ_TEST_KEY}`);
      // ceil((400 × 590 + 50 × 790) / 1000) = 276
      const rows = await new LlmUsageRepository(ctx.db, acme.id).rowsOf(executionId);
      expect(rows.map((r) => ({ ...r, id: undefined, at: undefined }))).to.deep.equal([
        { id: undefined, at: undefined, executionId, stepId: step.id, provider: 'groq', model: 'llama-3.3-70b-versatile', task: 'score', taskClass: 'classification', promptTokens: 400, completionTokens: 50, costMicroUsd: 276 },
      ]);
      expect(output.llm.costMicroUsd).to.equal(276);

      const usage = await api(manager).get(`/llm-usage?executionId=${executionId}`).expect(200);
      expect(usage.body.totals).to.deep.equal({ calls: 1, promptTokens: 400, completionTokens: 50, costMicroUsd: 276, costUsd: '0.000276' });
      expect(usage.body.rows).to.have.length(1);
      expect(usage.body.rows[0]).to.include({ stepId: step.id, provider: 'groq', costMicroUsd: 276 });
    });

    it('Groq down (500) → OpenAI answers: warm; both attempts kept in the step', async () => {
      groq.setDefault({ status: 500 });
      const res = await fire('acme-llm', 'score', { name: 'Fahad', budget_sar: 90000 });
      expect(res.body).to.deep.equal({ route: 'warm', score: 50 });
      const { output } = await scoreStep(acme.id, res.headers['x-execution-id'] as string);
      expect(output.llm.attempts.map((a) => `${a.provider}:${a.outcome}`)).to.deep.equal(['groq:server_error', 'groq:server_error', 'openai:ok']);
      expect(openai.requests[0]!.path).to.equal('/chat/completions');
      expect(openai.requests[0]!.headers.authorization).to.equal(`Bearer ${OPENAI_TEST_KEY}`);
    });

    it('a tenant without LLM credentials scores with the rules (Arabic digits parsed): hot, attempts skipped_no_key', async () => {
      const res = await fire('bare-llm', 'score', { الاسم: 'سلمان', الميزانية: 'ميزانية ٥٠٠٬٠٠٠ ريال', 'عدد الموظفين': '٣٠٠', المصدر: 'إحالة', meetings: 2, replies: 2 });
      expect(res.status, res.text).to.equal(200);
      expect(res.body.route).to.equal('hot');
      const { output } = await scoreStep(bare.id, res.headers['x-execution-id'] as string);
      expect(output.llm.attempts.map((a) => `${a.provider}:${a.outcome}`)).to.deep.equal(['groq:skipped_no_key', 'openai:skipped_no_key', 'rules:ok']);
      expect(output.reasons[0]).to.equal('الميزانية ٥٠٠٬٠٠٠ ريال');
      expect(groq.requests.length + openai.requests.length).to.equal(0);
    });

    it('a revoked key (401) fails ai.score with llm_unauthorized (no fallback; attempts in the step log); ai.agent leaves by error', async () => {
      groq.setDefault({ status: 401, message: `Invalid API Key ${GROQ_TEST_KEY}` });
      const res = await fire('acme-llm', 'score', { name: 'Fahad' });
      expect(res.status).to.equal(500);
      const view = await ctx.executions(acme.id).get(res.headers['x-execution-id'] as string);
      const step = view!.steps.find((s) => s.node === 'score')!;
      expect(step.error).to.include({ code: 'llm_unauthorized' });
      expect(step.logs.join('\n')).to.match(/llm attempts .*client_error/);
      expect(openai.requests).to.have.length(0);
      const advise = await fire('acme-llm', 'advise', { deal: { stage: 'proposal' } });
      expect(advise.status, advise.text).to.equal(200);
      expect(advise.body).to.deep.equal({ failed: 'llm_unauthorized' });
      expect(JSON.stringify(view)).to.not.include(GROQ_TEST_KEY);
      expect(logLines.join('\n')).to.not.include(GROQ_TEST_KEY);
      expect(logLines.join('\n')).to.not.include(OPENAI_TEST_KEY);
    });

    it('GET /llm-usage: tenant totals per model, task and execution, integer costs; managers yes, sales reps no; tenants see only theirs', async () => {
      const res = await api(owner).get('/llm-usage').expect(200);
      const { totals, byModel, byTask, executions } = res.body as {
        totals: { calls: number; costMicroUsd: number; costUsd: string };
        byModel: { provider: string; model: string; calls: number; costMicroUsd: number }[];
        byTask: { task: string }[];
        executions: { executionId: string; costMicroUsd: number }[];
      };
      expect(totals.calls).to.be.at.least(2);
      expect(Number.isInteger(totals.costMicroUsd)).to.equal(true);
      expect(byModel.map((m) => m.provider).sort()).to.deep.equal(['groq', 'openai']);
      expect(byModel.reduce((s, m) => s + m.costMicroUsd, 0)).to.equal(totals.costMicroUsd);
      expect(byTask.map((t) => t.task)).to.deep.equal(['score']);
      expect(executions.reduce((s, e) => s + e.costMicroUsd, 0)).to.equal(totals.costMicroUsd);
      await api(manager).get('/llm-usage').expect(200);
      await api(rep).get('/llm-usage').expect(403);
      const other = await api(bareOwner).get('/llm-usage').expect(200);
      expect(other.body.totals.calls).to.equal(0);
      const foreign = await api(bareOwner).get(`/llm-usage?executionId=${executions[0]!.executionId}`).expect(200);
      expect(foreign.body.rows).to.deep.equal([]);
      const future = await api(owner).get('/llm-usage?from=2999-01-01T00:00:00Z').expect(200);
      expect(future.body.totals).to.deep.include({ calls: 0, costMicroUsd: 0 });
    });

    it('GET/PUT /llm-routing: defaults and the table in force; admins edit, managers may not; bad tables are 400 with a path and change nothing; applied to the next call; audited; cost per task class', async () => {
      const got = await api(rep).get('/llm-routing').expect(200);
      expect(got.body.settings).to.deep.equal({});
      expect(got.body.effective.routes.sales_copy[0]).to.deep.equal({ provider: 'anthropic', model: 'claude-sonnet-4-5' });
      expect(got.body.defaults.taskClasses).to.include({ score: 'classification', 'agent:content_generator': 'sales_copy' });
      expect(got.body.taskClasses).to.deep.equal(['classification', 'sales_copy', 'research', 'code', 'fallback']);
      const table = { routes: { classification: [{ provider: 'openai', model: 'gpt-4o-mini' }] }, taskClasses: { 'agent:custom': 'research' } };
      await api(manager).put('/llm-routing', table).expect(403);
      const bad: [unknown, string][] = [
        [{ routes: { classification: [{ provider: 'mistral', model: 'x' }] } }, '/body/routes/classification/0/provider'],
        [{ routes: { copywriting: [{ provider: 'openai', model: 'gpt-4o' }] } }, '/body/routes/copywriting'],
        [{ routes: { code: [] } }, '/body/routes/code'],
        [{ routes: { code: [{ provider: 'deepseek', model: 'deepseek-chat' }, { provider: 'deepseek', model: 'deepseek-chat' }] } }, '/body/routes/code/1'],
        [{ taskClasses: { score: 'poetry' } }, '/body/taskClasses/score'],
        [{ routes: { research: [{ provider: 'gemini', model: 'bad model name' }] } }, '/body/routes/research/0/model'],
      ];
      for (const [body, path] of bad) {
        const res = await api(admin).put('/llm-routing', body).expect(400);
        expect(JSON.stringify(res.body.error.details), JSON.stringify(body)).to.include(`"path":"${path}`);
      }
      expect((await api(owner).get('/llm-routing').expect(200)).body.settings).to.deep.equal({});
      const put = await api(admin).put('/llm-routing', table).expect(200);
      expect(put.body.settings).to.deep.equal(table);
      expect(put.body.effective.routes.classification).to.deep.equal([{ provider: 'openai', model: 'gpt-4o-mini' }]);
      expect(ctx.tenantSettings.get(acme.id)?.llmRouting).to.deep.equal(table);
      const { executionId } = await ctx.runtime.startExecution({
        tenantId: acme.id,
        flowId: scorePublished.flowId,
        flowVersion: scorePublished.version,
        flow: scorePublished.flow,
        trigger: 'hook',
        payload: { body: { name: 'Fahad', budget_sar: 90000 }, query: {}, headers: {} },
        mode: 'manual',
        durable: true,
      });
      expect((await ctx.runtime.result(executionId, true)).status).to.equal('succeeded');
      const { output } = await scoreStep(acme.id, executionId);
      // classification → OpenAI first now, then the fallback class's Groq (already OpenAI: not twice).
      expect(output.llm.attempts.map((a) => `${a.provider}:${a.outcome}`)).to.deep.equal(['openai:ok']);
      expect(groq.requests).to.have.length(0);
      const audit = await api(owner).get('/audit?action=tenant.llm_routing_updated').expect(200);
      expect(audit.body.items).to.have.length(1);
      const usage = await api(manager).get('/llm-usage').expect(200);
      const byClass = usage.body.byTaskClass as { taskClass: string; calls: number; costMicroUsd: number }[];
      expect(byClass.map((c) => c.taskClass)).to.deep.equal(['classification']);
      expect(byClass[0]!.costMicroUsd).to.equal(usage.body.totals.costMicroUsd);
      expect(usage.body.pricesAsOf).to.match(/^\d{4}-\d{2}-\d{2}$/);
      await api(owner).put('/llm-routing', {}).expect(200);
      expect(ctx.tenantSettings.get(acme.id)?.llmRouting).to.deep.equal({});
    });

    it("PUT /llm-settings (owner): 'off' stops every provider call at once; named credentials must exist with the right type; audited", async () => {
      await api(manager).put('/llm-settings', { external: 'off' }).expect(403);
      const missing = await api(owner).put('/llm-settings', { groqCredential: 'nope' }).expect(400);
      expect(missing.body.error.details[0]).to.include({ path: '/body/groqCredential', code: 'credential_not_found' });
      const wrong = await api(owner).put('/llm-settings', { groqCredential: 'openai-main' }).expect(400);
      expect(wrong.body.error.details[0]).to.include({ code: 'credential_type_mismatch' });
      const put = await api(owner).put('/llm-settings', { external: 'off', groqCredential: 'groq-main', timeoutMs: 5000 }).expect(200);
      expect(put.body.settings).to.deep.equal({ external: 'off', groqCredential: 'groq-main', timeoutMs: 5000 });
      expect((await api(rep).get('/llm-settings').expect(200)).body.settings.external).to.equal('off');
      // Started directly: the webhook path re-reads tenant settings through its own short cache.
      const { executionId } = await ctx.runtime.startExecution({
        tenantId: acme.id,
        flowId: scorePublished.flowId,
        flowVersion: scorePublished.version,
        flow: scorePublished.flow,
        trigger: 'hook',
        payload: { body: LEAD, query: {}, headers: {} },
        mode: 'manual',
        durable: true,
      });
      expect((await ctx.runtime.result(executionId, true)).status).to.equal('succeeded');
      const { output } = await scoreStep(acme.id, executionId);
      expect(output.llm.attempts.map((a) => a.outcome)).to.deep.equal(['skipped_policy', 'skipped_policy', 'ok']);
      expect(groq.requests.length + openai.requests.length).to.equal(0);
      const audit = await api(owner).get('/audit?action=tenant.llm_settings_updated').expect(200);
      expect(audit.body.items).to.have.length(1);
      await api(owner).put('/llm-settings', {}).expect(200);
      expect(ctx.tenantSettings.get(acme.id)?.llm).to.deep.equal({});
    });
  });
}

// The runtime suite, run three ways: embedded on SQLite, embedded on PostgreSQL, and queue
// mode (BullMQ worker + producer on PostgreSQL and Redis). Every behaviour must hold in all.
import { expect } from 'chai';
import { EmbeddedRuntime } from '../../engine/index.js';
import { SqlRunStore } from '../../db/index.js';
import { createRegistry } from '../../nodes/registry.js';
import { requirePostgres } from '../helpers/databases.js';
import { requireRedis } from '../helpers/redis.js';
import { RUNTIME_KINDS, createHarness, flow, type Harness } from '../helpers/runtime-harness.js';
import { startCounterServer, type CounterServer } from '../helpers/counter-server.js';
import { waitFor } from '../helpers/wait-for.js';

for (const kind of RUNTIME_KINDS) {
  describe(`runtime: ${kind === 'queue' ? 'queue mode (PostgreSQL + Redis)' : `embedded on ${kind}`}`, function () {
    this.timeout(30_000);
    let h: Harness;
    let server: CounterServer;

    before(async function () {
      if (kind !== 'sqlite') await requirePostgres(this);
      if (kind === 'queue') await requireRedis(this);
      h = await createHarness(kind);
      server = await startCounterServer();
    });
    after(async () => {
      await h?.close();
      await server?.close();
    });

    it('runs a flow to the end and persists every step with deterministic ids', async () => {
      const f = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'set', type: 'data.set', params: { fields: { doubled: '=n * 2', who: '=$trigger.name' } } },
          { id: 'big', type: 'logic.if', params: { condition: '=doubled > 10' } },
          { id: 'yes', type: 'data.set', params: { fields: { size: 'big' } } },
          { id: 'no', type: 'data.set', params: { fields: { size: 'small' } } },
        ],
        [['start', 'out', 'set'], ['set', 'out', 'big'], ['big', 'true', 'yes'], ['big', 'false', 'no']],
      );
      const r = await h.run(f, { n: 7, name: 'نورة' });
      expect(r.status).to.equal('succeeded');
      expect(r.output).to.deep.equal({ n: 7, name: 'نورة', doubled: 14, who: 'نورة', size: 'big' });
      expect(r.view.steps.map((s) => [s.id, s.node, s.port, s.status])).to.deep.equal([
        [`${r.executionId}:0`, 'start', 'out', 'succeeded'],
        [`${r.executionId}:1`, 'set', 'out', 'succeeded'],
        [`${r.executionId}:2`, 'big', 'true', 'succeeded'],
        [`${r.executionId}:3`, 'yes', 'out', 'succeeded'],
      ]);
      expect(r.view.steps[1]!.input).to.deep.equal({ n: 7, name: 'نورة' });
      expect(r.view.finishedAt).to.be.a('string');
    });

    it('retries a failing node with backoff, then succeeds', async () => {
      server.failures.set('/flaky', [500, 503]);
      const f = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'call', type: 'http.request', params: { url: `${server.url}/flaky` }, retry: { max: 3, backoffMs: 50 } },
        ],
        [['start', 'out', 'call']],
      );
      const r = await h.run(f);
      expect(r.status).to.equal('succeeded');
      const call = r.view.steps.find((s) => s.node === 'call')!;
      expect(call.attempt).to.equal(3);
      expect(call.status).to.equal('succeeded');
      expect((call.output as { status: number }).status).to.equal(200);
    });

    it('fails the execution when retries are exhausted, naming the node', async () => {
      server.failures.set('/down', [500, 500, 500]);
      const f = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'call', type: 'http.request', params: { url: `${server.url}/down` }, retry: { max: 1, backoffMs: 10 } },
        ],
        [['start', 'out', 'call']],
      );
      const r = await h.run(f);
      expect(r.status).to.equal('failed');
      expect(r.error).to.include({ node: 'call', code: 'http_500' });
      expect(r.view.steps.find((s) => s.node === 'call')).to.include({ status: 'failed', attempt: 2 });
    });

    it('continues on the error port when onError is "continue"', async () => {
      const f = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'bad', type: 'data.set', params: { fields: { x: '=$number("not a number")' } }, onError: 'continue' },
          { id: 'handle', type: 'data.set', params: { fields: { handled: true } } },
        ],
        [['start', 'out', 'bad'], ['bad', 'error', 'handle']],
      );
      const r = await h.run(f, { a: 1 });
      expect(r.status).to.equal('succeeded');
      const bad = r.view.steps.find((s) => s.node === 'bad')!;
      expect(bad.port).to.equal('error');
      expect((r.output as { handled: boolean; error: { code: string } }).handled).to.equal(true);
      expect((r.output as { error: { code: string } }).error.code).to.equal('expression_error');
    });

    it('reports a run-time expression error as a step error with the node id and path', async () => {
      const f = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'calc', type: 'data.set', params: { fields: { x: '=$number("abc")' } } },
        ],
        [['start', 'out', 'calc']],
      );
      const r = await h.run(f);
      expect(r.status).to.equal('failed');
      expect(r.error).to.include({ node: 'calc', code: 'expression_error', path: '/params/fields/x' });
    });

    it('waits durably: a delay is a row in waits, and the execution resumes on time', async () => {
      const f = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'pause', type: 'time.delay', params: { seconds: 1 } },
          { id: 'after', type: 'data.set', params: { fields: { resumed: true } } },
        ],
        [['start', 'out', 'pause'], ['pause', 'out', 'after']],
      );
      const t0 = Date.now();
      const id = await h.start(f, { k: 1 });
      const waiting = await waitFor(async () => {
        const v = await h.view(id);
        return v.status === 'waiting' ? v : null;
      });
      expect(waiting.steps.find((s) => s.node === 'pause')!.status).to.equal('waiting');
      const waits = await h.db.sql.query('SELECT * FROM waits WHERE execution_id = $1', [id]);
      expect(waits).to.have.length(1);
      const result = await h.runtime.result(id, true);
      expect(result.status).to.equal('succeeded');
      expect(Date.now() - t0).to.be.at.least(950);
      expect(result.output).to.deep.equal({ k: 1, resumed: true });
      expect(await h.db.sql.query('SELECT * FROM waits WHERE execution_id = $1', [id])).to.have.length(0);
    });

    it('resumes a delay after a restart, at the right time, without re-running committed steps', async () => {
      const f = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'ping', type: 'http.request', params: { url: `${server.url}/restart-ping` } },
          { id: 'pause', type: 'time.delay', params: { seconds: 2 } },
          { id: 'after', type: 'data.set', params: { fields: { resumed: true } } },
        ],
        [['start', 'out', 'ping'], ['ping', 'out', 'pause'], ['pause', 'out', 'after']],
      );
      const t0 = Date.now();
      const id = await h.start(f);
      await waitFor(async () => (await h.view(id)).status === 'waiting');
      await h.restart();
      const result = await h.runtime.result(id, true);
      expect(result.status).to.equal('succeeded');
      expect(Date.now() - t0).to.be.at.least(1950);
      expect(server.hits.get('/restart-ping')).to.equal(1);
      const v = await h.view(id);
      expect(v.steps.map((s) => s.node)).to.deep.equal(['start', 'ping', 'pause', 'after']);
    });

    it('cancels a waiting execution and clears its waits', async () => {
      const f = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'pause', type: 'time.delay', params: { seconds: 3600 } },
          { id: 'after', type: 'data.set', params: { fields: { resumed: true } } },
        ],
        [['start', 'out', 'pause'], ['pause', 'out', 'after']],
      );
      const id = await h.start(f);
      await waitFor(async () => (await h.view(id)).status === 'waiting');
      expect(await h.runtime.cancel(id)).to.equal(true);
      const v = await h.view(id);
      expect(v.status).to.equal('cancelled');
      expect(v.steps.find((s) => s.node === 'pause')!.status).to.equal('cancelled');
      expect(await h.db.sql.query('SELECT * FROM waits WHERE execution_id = $1', [id])).to.have.length(0);
      expect(await h.runtime.cancel(id)).to.equal(false);
    });

    it('cancels a running execution, aborting its in-flight request', async () => {
      const f = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'slow', type: 'http.request', params: { url: `${server.url}/slow?delayMs=5000`, timeoutMs: 20000 } },
          { id: 'after', type: 'data.set', params: { fields: { reached: true } } },
        ],
        [['start', 'out', 'slow'], ['slow', 'out', 'after']],
      );
      const id = await h.start(f);
      await waitFor(() => server.hits.get('/slow?delayMs=5000'));
      const t0 = Date.now();
      await h.runtime.cancel(id, 'stop it');
      expect(Date.now() - t0).to.be.below(2000);
      const v = await h.view(id);
      expect(v.status).to.equal('cancelled');
      expect(v.steps.map((s) => s.node)).to.not.include('after');
    });

    it('fails (and retries) a step that outlives the step time limit instead of hanging', async function () {
      if (kind === 'queue') this.skip(); // the limit is a runtime option; covered on the embedded runtimes
      const short = new EmbeddedRuntime({ store: new SqlRunStore(h.db.sql), registry: createRegistry(), stepTimeoutMs: 300, tenantPolicy: () => ({ allowPrivateNetwork: true }) });
      await short.start();
      const published = await h.publish(
        flow(
          [
            { id: 'start', type: 'trigger.manual' },
            { id: 'hang', type: 'http.request', params: { url: `${server.url}/hang?delayMs=3000`, timeoutMs: 20000 }, retry: { max: 1, backoffMs: 10 } },
          ],
          [['start', 'out', 'hang']],
        ),
      );
      const t0 = Date.now();
      const { executionId } = await short.startExecution({ tenantId: h.tenantId, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 'start', payload: {}, mode: 'manual' });
      const result = await short.result(executionId, true);
      await short.stop();
      expect(result.status).to.equal('failed');
      expect(result.error).to.include({ node: 'hang', code: 'step_timeout' });
      expect(Date.now() - t0).to.be.below(2500);
      expect((await h.view(executionId)).steps.find((s) => s.node === 'hang')!.attempt).to.equal(2);
    });

    it('fails a step whose output is larger than the limit', async () => {
      const f = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          // Eight fields of 150,000 characters: each within the expression budget, together over 1 MiB.
          { id: 'blow', type: 'data.set', params: { fields: Object.fromEntries('abcdefgh'.split('').map((k) => [k, '=$pad("", 150000, "x")'])) } },
        ],
        [['start', 'out', 'blow']],
      );
      const r = await h.run(f);
      expect(r.status).to.equal('failed');
      expect(r.error).to.include({ node: 'blow', code: 'output_too_large' });
    });

    it('runs many executions concurrently, each persisted once', async () => {
      const f = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'set', type: 'data.set', params: { fields: { sq: '=i * i' } } },
        ],
        [['start', 'out', 'set']],
      );
      const published = await h.publish(f);
      const ids = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          h.runtime
            .startExecution({ tenantId: h.tenantId, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 'start', payload: { i }, mode: 'manual' })
            .then((r) => r.executionId),
        ),
      );
      const results = await Promise.all(ids.map((id) => h.runtime.result(id, true)));
      expect(results.every((r) => r.status === 'succeeded')).to.equal(true);
      expect(results.map((r) => (r.output as { sq: number }).sq)).to.deep.equal(Array.from({ length: 200 }, (_, i) => i * i));
      const [row] = await h.db.sql.query(`SELECT COUNT(*) AS n FROM execution_steps WHERE execution_id IN (${ids.map((_, i) => `$${i + 1}`).join(',')})`, ids);
      expect(Number(row!.n)).to.equal(400);
    });
  });
}

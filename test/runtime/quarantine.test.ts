// Quarantine, in process (engine/README.md, "Quarantine"): a step that never gives its process
// back is started at most 3 times (the original run and two retries after restarts); the next
// restart fails its execution with crashed_repeatedly, naming the step, and runs nothing. A
// "restart" here abandons the runtime stuck in the step and starts a new one on the same
// database (in queue mode: a worker stops renewing its lease and taking jobs, and the
// reconciler hands the execution to the next); test/runtime/quarantine-process.test.ts does it
// with real SIGKILLed processes.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { EmbeddedRuntime, MAX_SEGMENT_STARTS, NodeRegistry, type Flow } from '../../engine/index.js';
import { QueueRuntime } from '../../engine/queue.js';
import { ExecutionRepository, FlowRepository, SqlRunStore, TenantRepository, type Database } from '../../db/index.js';
import { coreNodes } from '../../nodes/registry.js';
import { DIALECTS, createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { flow } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { crashNodeTypes, hangRuns, hangTwiceRuns } from '../helpers/crash-nodes.js';
import { REDIS_URL, flushPrefix, requireRedis } from '../helpers/redis.js';

for (const dialect of DIALECTS) {
  describe(`quarantine of executions that keep hanging their runtime, on ${dialect}`, function () {
    this.timeout(20_000);
    const registry = new NodeRegistry([...coreNodes, ...crashNodeTypes]);
    let tdb: TestDatabase;
    let tenantId: string;
    /** Every handle opened: the abandoned runtimes keep theirs until the suite ends. */
    const handles: Database[] = [];

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      tdb = await createTestDatabase(dialect);
      handles.push(tdb.db);
      tenantId = (await new TenantRepository(tdb.db).ensure('q', 'Quarantine')).id;
    });
    after(async () => {
      for (const db of handles) await db.close().catch(() => undefined);
      await tdb?.drop();
    });

    /** A runtime as a freshly started process has it: on its own database handle, resuming what is unfinished. */
    async function boot(): Promise<{ runtime: EmbeddedRuntime; db: Database }> {
      const db = await tdb.reopen();
      handles.push(db);
      const runtime = new EmbeddedRuntime({ store: new SqlRunStore(db.sql), registry, pollIntervalMs: 100 });
      await runtime.start();
      return { runtime, db };
    }

    /** Abandon a runtime stuck in a step, as a killed process is: its timers stop, its step never returns. */
    function abandon(runtime: EmbeddedRuntime): void {
      void runtime.stop();
    }

    async function publish(doc: unknown): Promise<{ flowId: string; version: number; flow: Flow }> {
      return new FlowRepository(tdb.db, registry, tenantId).publish(doc);
    }

    async function startIn(runtime: EmbeddedRuntime, doc: unknown, payload: unknown = {}): Promise<string> {
      const p = await publish(doc);
      const { executionId } = await runtime.startExecution({ tenantId, flowId: p.flowId, flowVersion: p.version, flow: p.flow, trigger: 'start', payload, mode: 'manual', durable: true });
      return executionId;
    }

    const execution = (id: string) => new ExecutionRepository(tdb.db, tenantId).get(id);
    const starts = async (id: string): Promise<number> => Number((await tdb.db.sql.query('SELECT starts FROM executions WHERE id = $1', [id]))[0]!.starts);

    /** Restart until the execution is over (each restart's runtime hangs in the step again, or ends it): how many restarts it took. */
    async function restartUntilOver(id: string, first: EmbeddedRuntime): Promise<{ restarts: number; last: EmbeddedRuntime }> {
      let current = first;
      for (let restarts = 1; restarts <= MAX_SEGMENT_STARTS + 1; restarts++) {
        abandon(current);
        ({ runtime: current } = await boot());
        const seen = await waitFor(async () => {
          const v = await execution(id);
          if (v && ['failed', 'succeeded'].includes(v.status)) return 'over';
          return hangRuns.count >= restarts + 1 ? 'hung again' : null;
        }, 5_000, 20);
        if (seen === 'over') return { restarts, last: current };
      }
      throw new Error('never quarantined');
    }

    it('fails a pure step that hangs on every start with crashed_repeatedly after its third start, and runs it no more', async () => {
      const doc = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'prep', type: 'data.set', params: { fields: { prepared: true } } },
          { id: 'stuck', type: 'test.hang' },
          { id: 'after', type: 'data.set', params: { fields: { unreachable: true } } },
        ],
        [['start', 'out', 'prep'], ['prep', 'out', 'stuck'], ['stuck', 'out', 'after']],
      );
      hangRuns.count = 0;
      const { runtime } = await boot();
      const id = await startIn(runtime, doc);
      await waitFor(() => hangRuns.count === 1, 5_000, 10);
      // The start was counted when the execution was committed, before any step ran.
      expect(await starts(id)).to.equal(1);

      const { restarts, last } = await restartUntilOver(id, runtime);
      expect(hangRuns.count, 'runs of the hanging step').to.equal(MAX_SEGMENT_STARTS);
      expect(restarts, 'the restart that quarantines it').to.equal(MAX_SEGMENT_STARTS);
      const v = (await execution(id))!;
      expect(v.status).to.equal('failed');
      expect(v.error).to.include({ code: 'crashed_repeatedly', node: 'stuck' });
      expect(v.error!.message).to.match(/step "stuck" was in flight each of the 3 times/);
      const stuck = v.steps.find((s) => s.node === 'stuck')!;
      expect(stuck).to.include({ status: 'failed' });
      expect(stuck.error).to.include({ code: 'crashed_repeatedly' });
      expect(v.steps.map((s) => s.node)).to.deep.equal(['start', 'prep', 'stuck']);

      // A further restart finds nothing to resume, and the runtime runs other executions.
      abandon(last);
      const { runtime: fresh } = await boot();
      const ok = await startIn(fresh, flow([{ id: 'start', type: 'trigger.manual' }, { id: 'set', type: 'data.set', params: { fields: { ok: true } } }], [['start', 'out', 'set']]));
      expect((await fresh.result(ok, true)).status).to.equal('succeeded');
      expect(hangRuns.count).to.equal(MAX_SEGMENT_STARTS);
      await fresh.stop();
    });

    it('counts the starts of a segment woken by a timer, so a hanging step after a delay is quarantined too', async () => {
      const doc = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'pause', type: 'time.delay', params: { seconds: 0.1 } },
          { id: 'stuck', type: 'test.hang' },
        ],
        [['start', 'out', 'pause'], ['pause', 'out', 'stuck']],
      );
      hangRuns.count = 0;
      const { runtime } = await boot();
      const id = await startIn(runtime, doc);
      await waitFor(() => hangRuns.count === 1, 5_000, 10);
      expect(await starts(id), 'counted when the timer woke it, before the step ran').to.equal(1);
      const { restarts } = await restartUntilOver(id, runtime);
      expect(restarts).to.equal(MAX_SEGMENT_STARTS);
      expect(hangRuns.count).to.equal(MAX_SEGMENT_STARTS);
      expect((await execution(id))!.error).to.include({ code: 'crashed_repeatedly', node: 'stuck' });
    });

    it('counts again from the start that gets the step in flight at the last crash past it (progress)', async () => {
      // `slow` is in flight at the first two crashes but then finishes; `stuck` after it still
      // gets its own three starts before the execution is quarantined, naming it.
      const doc = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'slow', type: 'test.hang-twice' },
          { id: 'stuck', type: 'test.hang' },
        ],
        [['start', 'out', 'slow'], ['slow', 'out', 'stuck']],
      );
      hangRuns.count = 0;
      hangTwiceRuns.count = 0;
      let { runtime } = await boot();
      const id = await startIn(runtime, doc);
      const runs = (): number => hangRuns.count + hangTwiceRuns.count;
      // Each start hangs in a step (runs grows) or ends the execution.
      for (let seen = 0, n = 1; ; n++) {
        await waitFor(async () => runs() > seen || ['failed', 'succeeded'].includes((await execution(id))!.status), 5_000, 20);
        if ((await execution(id))!.status === 'failed') break;
        seen = runs();
        expect(n, 'starts before the quarantine').to.be.lessThan(10);
        abandon(runtime);
        ({ runtime } = await boot());
      }
      expect(hangTwiceRuns.count, 'runs of slow').to.equal(3);
      expect(hangRuns.count, 'runs of stuck').to.equal(MAX_SEGMENT_STARTS);
      const v = (await execution(id))!;
      expect(v.error).to.include({ code: 'crashed_repeatedly', node: 'stuck' });
      expect(v.steps.map((s) => [s.node, s.status])).to.deep.equal([
        ['start', 'succeeded'],
        ['slow', 'succeeded'],
        ['stuck', 'failed'],
      ]);
    });

    it('resets the count when a segment reaches a wait, and ignores the node\'s onError', async () => {
      // One restart mid-segment (counted), then the segment ends on a delay: the count is back to 0.
      const doc = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'pause', type: 'time.delay', params: { seconds: 3600 } },
        ],
        [['start', 'out', 'pause']],
      );
      const { runtime } = await boot();
      const id = await startIn(runtime, doc);
      await runtime.result(id);
      expect((await execution(id))!.status).to.equal('waiting');
      expect(await starts(id)).to.equal(0);
      await runtime.stop();

      // onError "continue" would route a failure on: a step that takes the process down must not be passed.
      hangRuns.count = 0;
      const routed = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'stuck', type: 'test.hang', onError: 'continue' },
          { id: 'after', type: 'data.set', params: { fields: { passed: true } } },
        ],
        [['start', 'out', 'stuck'], ['stuck', 'out', 'after']],
      );
      const { runtime: r2 } = await boot();
      const id2 = await startIn(r2, routed);
      await waitFor(() => hangRuns.count === 1, 5_000, 10);
      await restartUntilOver(id2, r2);
      const v = (await execution(id2))!;
      expect(v.status).to.equal('failed');
      expect(v.steps.map((s) => s.node)).to.deep.equal(['start', 'stuck']);
    });
  });
}

describe('quarantine in queue mode: a drive job whose step hangs every worker that takes it', function () {
  this.timeout(30_000);
  const registry = new NodeRegistry([...coreNodes, ...crashNodeTypes]);
  const prefix = `tq-quar-${randomBytes(4).toString('hex')}`;
  const queue = { redisUrl: REDIS_URL, prefix, reconcileIntervalMs: 150, reconcileGraceMs: 150, leaseMs: 600 };
  let tdb: TestDatabase;
  let tenantId: string;
  let producer: QueueRuntime | undefined;
  const workers: QueueRuntime[] = [];
  const handles: Database[] = [];

  before(async function () {
    await requirePostgres(this);
    await requireRedis(this);
    tdb = await createTestDatabase('postgres');
    handles.push(tdb.db);
    tenantId = (await new TenantRepository(tdb.db).ensure('q', 'Quarantine')).id;
  });
  after(async () => {
    for (const w of workers) await kill(w);
    await producer?.stop();
    for (const db of handles) await db.close().catch(() => undefined);
    await tdb?.drop();
    await flushPrefix(prefix).catch(() => undefined);
  });

  async function worker(): Promise<QueueRuntime> {
    const db = await tdb.reopen();
    handles.push(db);
    const w = new QueueRuntime({ store: new SqlRunStore(db.sql), registry, role: 'worker', ...queue });
    workers.push(w);
    await w.start();
    return w;
  }

  /** What a SIGKILL does to a worker, short of the process: it stops taking jobs, renewing leases and answering. */
  async function kill(w: QueueRuntime): Promise<void> {
    const inner = w as unknown as { worker: Worker | null; heartbeat: NodeJS.Timeout | null; reconciler: NodeJS.Timeout | null; stopping: boolean; redis: Redis; subscriber: Redis | null };
    if (inner.stopping) return;
    inner.stopping = true;
    clearInterval(inner.heartbeat ?? undefined);
    clearInterval(inner.reconciler ?? undefined);
    await inner.worker?.close(true).catch(() => undefined);
    await w.queue.close().catch(() => undefined);
    inner.subscriber?.disconnect();
    inner.redis.disconnect();
  }

  it('counts each worker that took it, and the fourth fails it with crashed_repeatedly', async () => {
    hangRuns.count = 0;
    const db = await tdb.reopen();
    handles.push(db);
    producer = new QueueRuntime({ store: new SqlRunStore(db.sql), registry, role: 'producer', ...queue });
    await producer.start();
    const published = await new FlowRepository(tdb.db, registry, tenantId).publish(
      flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'stuck', type: 'test.hang' },
        ],
        [['start', 'out', 'stuck']],
      ),
    );
    const { executionId } = await producer.startExecution({ tenantId, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 'start', payload: {}, mode: 'manual' });
    // Each worker hangs in the step, then "dies"; the reconciler hands the execution to the next.
    for (let n = 1; n <= MAX_SEGMENT_STARTS; n++) {
      const w = await worker();
      await waitFor(() => hangRuns.count === n, 10_000, 20);
      await kill(w);
    }
    await worker();
    const result = await producer.result(executionId, true, 10_000);
    expect(result.status).to.equal('failed');
    expect(result.error).to.include({ code: 'crashed_repeatedly', node: 'stuck' });
    expect(hangRuns.count).to.equal(MAX_SEGMENT_STARTS);
    const v = (await new ExecutionRepository(tdb.db, tenantId).get(executionId))!;
    expect(v.steps.map((s) => [s.node, s.status])).to.deep.equal([
      ['start', 'succeeded'],
      ['stuck', 'failed'],
    ]);
  });
});

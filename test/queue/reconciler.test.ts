// The reconciler under a backlog: work that finishes between the reconciler's read of its rows
// and its look at Redis must not be added again (its job was removed on completion, so the id
// is free; re-adding it doubled the work in the queue bench). Real PostgreSQL and Redis.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { type Flow, type RunStore } from '../../engine/index.js';
import { QueueRuntime } from '../../engine/queue.js';
import { createRegistry } from '../../nodes/registry.js';
import { ExecutionRepository, FlowRepository, SqlRunStore, TenantRepository } from '../../db/index.js';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { REDIS_URL, flushPrefix, requireRedis } from '../helpers/redis.js';
import { flow } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';

describe('queue reconciler under a backlog', function () {
  this.timeout(60_000);
  const prefix = `tq-rec-${randomBytes(4).toString('hex')}`;
  const registry = createRegistry();
  let tdb: TestDatabase;
  let tenantId: string;
  const runtimes: QueueRuntime[] = [];
  /** Runs after the reconciler's first read of its candidates, before it looks at Redis. */
  let afterRead: (() => Promise<void>) | null = null;

  const make = (role: 'producer' | 'worker', store: RunStore, nowOffsetMs = 0): QueueRuntime => {
    const r = new QueueRuntime({
      store,
      registry,
      redisUrl: REDIS_URL,
      prefix,
      role,
      // Only explicit reconcile() calls in this file; the first runtime started stays leader.
      reconcileIntervalMs: 60_000,
      reconcileGraceMs: 300,
      now: () => new Date(Date.now() + nowOffsetMs),
    });
    runtimes.push(r);
    return r;
  };

  /** A store whose candidate reads (the first ones of a reconcile round) pause on `afterRead`. */
  function pausing(store: SqlRunStore): RunStore {
    const hold = async <T>(rows: T[]): Promise<T[]> => {
      const hook = afterRead;
      if (hook && rows.length) {
        afterRead = null;
        await hook();
      }
      return rows;
    };
    return Object.assign(Object.create(store) as RunStore, {
      dueWaits: async (before: number, limit: number) => hold(await store.dueWaits(before, limit)),
      // Before the fix the reconciler read orphans with listUnfinished; now with unfinishedHeads.
      listUnfinished: async (o: Parameters<RunStore['listUnfinished']>[0]) => hold(await store.listUnfinished(o)),
      unfinishedHeads: async (o: Parameters<RunStore['unfinishedHeads']>[0]) => (o.ids ? store.unfinishedHeads(o) : hold(await store.unfinishedHeads(o))),
    });
  }

  let reconciler: QueueRuntime;
  let producer: QueueRuntime;

  before(async function () {
    await requirePostgres(this);
    await requireRedis(this);
    tdb = await createTestDatabase('postgres');
    tenantId = (await new TenantRepository(tdb.db).ensure('rec', 'Reconciler tenant')).id;
    // 30 s ahead: every wait and every queued execution looks overdue to it.
    reconciler = make('producer', pausing(new SqlRunStore(tdb.db.sql)), 30_000);
    await reconciler.start();
    producer = make('producer', new SqlRunStore(tdb.db.sql));
    await producer.start();
  });

  after(async () => {
    for (const r of runtimes) await r.stop().catch(() => undefined);
    await flushPrefix(prefix).catch(() => undefined);
    await tdb?.db.close();
    await tdb?.drop();
  });

  async function start(doc: unknown): Promise<string> {
    const published = await new FlowRepository(tdb.db, registry, tenantId).publish(doc);
    const trigger = (published.flow as Flow).nodes.find((n) => n.type.startsWith('trigger.'))!;
    const { executionId } = await producer.startExecution({ tenantId, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: trigger.id, payload: {}, mode: 'manual' });
    return executionId;
  }
  const status = async (id: string) => (await new ExecutionRepository(tdb.db, tenantId).get(id))?.status;

  it('does not re-add a timer whose job fired and finished after the due waits were read', async () => {
    const worker = make('worker', new SqlRunStore(tdb.db.sql));
    await worker.start();
    const id = await start(flow([{ id: 's', type: 'trigger.manual' }, { id: 'd', type: 'time.delay', params: { seconds: 2 } }, { id: 'after', type: 'data.set', params: { fields: { ok: true } } }], [['s', 'out', 'd'], ['d', 'out', 'after']]));
    await waitFor(async () => (await status(id)) === 'waiting');
    // The wait is read while its delayed job is still pending; the job then fires, finishes
    // and is removed before the reconciler looks for it.
    afterRead = () => waitFor(async () => (await status(id)) === 'succeeded').then(() => undefined);
    const round = await reconciler.reconcile();
    expect(afterRead, 'the reconciler read the wait').to.equal(null);
    expect(round).to.deep.equal({ waits: 0, executions: 0 });
    await worker.stop();
  });

  it('does not re-drive an execution whose drive job finished after the unfinished executions were read', async () => {
    const id = await start(flow([{ id: 's', type: 'trigger.manual' }, { id: 'set', type: 'data.set', params: { fields: { x: 1 } } }], [['s', 'out', 'set']]));
    expect(await status(id)).to.equal('running'); // accepted, not driven yet
    // Read as unfinished (no worker yet); a worker then drives it to the end.
    afterRead = async () => {
      const worker = make('worker', new SqlRunStore(tdb.db.sql));
      await worker.start();
      await waitFor(async () => (await status(id)) === 'succeeded');
      await worker.stop();
    };
    const round = await reconciler.reconcile();
    expect(afterRead, 'the reconciler read the execution').to.equal(null);
    expect(round).to.deep.equal({ waits: 0, executions: 0 });
  });

  it('still re-adds what Redis lost', async () => {
    const id = await start(flow([{ id: 's', type: 'trigger.manual' }, { id: 'd', type: 'time.delay', params: { seconds: 20 } }], [['s', 'out', 'd']]));
    const worker = make('worker', new SqlRunStore(tdb.db.sql));
    await worker.start();
    await waitFor(async () => (await status(id)) === 'waiting');
    await worker.stop();
    const lost = await start(flow([{ id: 's', type: 'trigger.manual' }, { id: 'set', type: 'data.set', params: { fields: { x: 2 } } }], [['s', 'out', 'set']]));
    await flushPrefix(prefix);
    const round = await reconciler.reconcile();
    expect(round).to.deep.equal({ waits: 1, executions: 1 });
    expect(await status(lost)).to.equal('running');
  });
});

// Queue mode against this machine's real PostgreSQL and Redis: a producer (API role) and two
// workers, sharing one database and one BullMQ prefix.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { type Flow } from '../../engine/index.js';
import { QueueRuntime } from '../../engine/queue.js';
import { createRegistry } from '../../nodes/registry.js';
import { ExecutionRepository, FlowRepository, SqlRunStore, TenantRepository } from '../../db/index.js';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { REDIS_URL, flushPrefix, requireRedis } from '../helpers/redis.js';
import { flow } from '../helpers/runtime-harness.js';
import { startCounterServer, type CounterServer } from '../helpers/counter-server.js';
import { waitFor } from '../helpers/wait-for.js';

describe('queue runtime (PostgreSQL + Redis + BullMQ)', function () {
  this.timeout(60_000);
  const prefix = `tq-test-${randomBytes(4).toString('hex')}`;
  const registry = createRegistry();
  let tdb: TestDatabase;
  let producer: QueueRuntime;
  let workers: QueueRuntime[] = [];
  let tenantId: string;
  let counter: CounterServer;

  const make = (role: 'producer' | 'worker') =>
    new QueueRuntime({
      store: new SqlRunStore(tdb.db.sql),
      registry,
      redisUrl: REDIS_URL,
      prefix,
      role,
      reconcileIntervalMs: 500,
      reconcileGraceMs: 300,
      leaseMs: 3000,
      tenantPolicy: () => ({ allowPrivateNetwork: true }),
    });

  before(async function () {
    await requirePostgres(this);
    await requireRedis(this);
    tdb = await createTestDatabase('postgres');
    counter = await startCounterServer();
    tenantId = (await new TenantRepository(tdb.db).ensure('q', 'Queue tenant', { allowPrivateNetwork: true })).id;
    producer = make('producer');
    workers = [make('worker'), make('worker')];
    await producer.start();
    for (const w of workers) await w.start();
  });

  after(async () => {
    for (const w of workers) await w.stop().catch(() => undefined);
    await producer?.stop().catch(() => undefined);
    await counter?.close();
    await flushPrefix(prefix).catch(() => undefined);
    await tdb?.db.close();
    await tdb?.drop();
  });

  async function start(doc: unknown, payload: unknown = {}): Promise<string> {
    const published = await new FlowRepository(tdb.db, registry, tenantId).publish(doc);
    const trigger = (published.flow as Flow).nodes.find((n) => n.type.startsWith('trigger.'))!;
    const { executionId } = await producer.startExecution({ tenantId, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: trigger.id, payload, mode: 'manual' });
    return executionId;
  }

  const view = (id: string) => new ExecutionRepository(tdb.db, tenantId).get(id);

  it('runs an execution on a worker and reports the result to the producer', async () => {
    const id = await start(flow([{ id: 's', type: 'trigger.manual' }, { id: 'set', type: 'data.set', params: { fields: { twice: '=n * 2' } } }], [['s', 'out', 'set']]), { n: 21 });
    const result = await producer.result(id, true);
    expect(result).to.include({ status: 'succeeded' });
    expect(result.output).to.deep.equal({ n: 21, twice: 42 });
    const v = await view(id);
    expect(v!.steps.map((s) => [s.node, s.status])).to.deep.equal([['s', 'succeeded'], ['set', 'succeeded']]);
  });

  it('keeps nothing in the producer once executions are handed to workers', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => start(flow([{ id: 's', type: 'trigger.manual' }, { id: 'set', type: 'data.set', params: { fields: { x: 1 } } }], [['s', 'out', 'set']]))));
    await Promise.all(ids.map((id) => producer.result(id, true)));
    expect((producer as unknown as { active: Map<string, unknown> }).active.size).to.equal(0);
  });

  it('answers "running" when a caller stops waiting before the execution ends', async () => {
    const id = await start(flow([{ id: 's', type: 'trigger.manual' }, { id: 'slow', type: 'http.request', params: { url: `${counter.url}/slow?delayMs=1500` } }], [['s', 'out', 'slow']]));
    const early = await producer.result(id, false, 100);
    expect(early.status).to.equal('running');
    expect((await producer.result(id, true)).status).to.equal('succeeded');
  });

  it('holds a delay as a delayed job and resumes on time', async () => {
    const t0 = Date.now();
    const id = await start(
      flow([{ id: 's', type: 'trigger.manual' }, { id: 'd', type: 'time.delay', params: { seconds: 1 } }, { id: 'after', type: 'data.set', params: { fields: { ok: true } } }], [['s', 'out', 'd'], ['d', 'out', 'after']]),
    );
    const result = await producer.result(id, true);
    expect(result.status).to.equal('succeeded');
    expect(Date.now() - t0).to.be.at.least(950);
    expect(await tdb.db.sql.query('SELECT id FROM waits WHERE execution_id = $1', [id])).to.have.length(0);
  });

  it('spreads many executions over both workers, each step committed once', async () => {
    const doc = flow(
      [{ id: 's', type: 'trigger.manual' }, { id: 'call', type: 'http.request', params: { url: `="${counter.url}/many?i=" & $string(i)` } }, { id: 'set', type: 'data.set', params: { fields: { done: true } } }],
      [['s', 'out', 'call'], ['call', 'out', 'set']],
    );
    const published = await new FlowRepository(tdb.db, registry, tenantId).publish(doc);
    const ids = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        producer.startExecution({ tenantId, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 's', payload: { i }, mode: 'manual' }).then((r) => r.executionId),
      ),
    );
    const results = await Promise.all(ids.map((id) => producer.result(id, true)));
    expect(results.every((r) => r.status === 'succeeded')).to.equal(true);
    for (let i = 0; i < 60; i++) expect(counter.hits.get(`/many?i=${i}`), `call ${i}`).to.equal(1);
    const [row] = await tdb.db.sql.query(`SELECT COUNT(*) AS n FROM execution_steps WHERE execution_id IN (${ids.map((_, i) => `$${i + 1}`).join(',')})`, ids);
    expect(Number(row!.n)).to.equal(180);
  });

  it('rebuilds lost jobs from PostgreSQL after Redis is flushed', async () => {
    const id = await start(
      flow([{ id: 's', type: 'trigger.manual' }, { id: 'd', type: 'time.delay', params: { seconds: 1 } }, { id: 'after', type: 'data.set', params: { fields: { survived: true } } }], [['s', 'out', 'd'], ['d', 'out', 'after']]),
    );
    await waitFor(async () => (await view(id))?.status === 'waiting');
    const deleted = await flushPrefix(prefix);
    expect(deleted).to.be.greaterThan(0);
    const v = await waitFor(async () => {
      const x = await view(id);
      return x?.status === 'succeeded' ? x : null;
    }, 15_000, 100);
    expect(v.output).to.deep.equal({ survived: true });
  });

  it('re-drives an execution whose committed-but-never-enqueued drive job was lost', async () => {
    // Simulate a producer dying between commit and enqueue: commit through a producer, then
    // remove its drive job before any worker takes it.
    for (const w of workers) await w.stop();
    const id = await start(flow([{ id: 's', type: 'trigger.manual' }, { id: 'set', type: 'data.set', params: { fields: { late: true } } }], [['s', 'out', 'set']]));
    await flushPrefix(prefix);
    workers = [make('worker'), make('worker')];
    for (const w of workers) await w.start();
    const v = await waitFor(async () => {
      const x = await view(id);
      return x?.status === 'succeeded' ? x : null;
    }, 15_000, 100);
    expect(v.output).to.deep.equal({ late: true });
  });
});

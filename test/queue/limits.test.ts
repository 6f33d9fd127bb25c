// Queue-mode limits across workers: tenant and flow concurrency delay work (never drop it),
// and one tenant's flood does not starve another tenant (priority by backlog).
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { type Flow } from '../../engine/index.js';
import { QueueRuntime } from '../../engine/queue.js';
import { createRegistry } from '../../nodes/registry.js';
import { FlowRepository, SqlRunStore, TenantRepository } from '../../db/index.js';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { REDIS_URL, flushPrefix, requireRedis } from '../helpers/redis.js';
import { flow } from '../helpers/runtime-harness.js';

/** An endpoint that answers after `ms` and records how many calls overlap, per tag. */
async function slowServer(ms: number) {
  const inFlight = new Map<string, number>();
  const peak = new Map<string, number>();
  const finished: { tag: string; at: number }[] = [];
  const server = http.createServer((req, res) => {
    const tag = new URL(req.url ?? '/', 'http://x').searchParams.get('tag') ?? '';
    inFlight.set(tag, (inFlight.get(tag) ?? 0) + 1);
    peak.set(tag, Math.max(peak.get(tag) ?? 0, inFlight.get(tag)!));
    setTimeout(() => {
      inFlight.set(tag, inFlight.get(tag)! - 1);
      finished.push({ tag, at: Date.now() });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    }, ms);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, peak, finished, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

describe('queue limits: concurrency and fairness', function () {
  this.timeout(90_000);
  const prefix = `tq-lim-${randomBytes(4).toString('hex')}`;
  const registry = createRegistry();
  let tdb: TestDatabase;
  let producer: QueueRuntime;
  let workers: QueueRuntime[] = [];
  let server: Awaited<ReturnType<typeof slowServer>>;
  const tenants: Record<string, string> = {};

  const make = (role: 'producer' | 'worker', concurrency = 20) =>
    new QueueRuntime({
      store: new SqlRunStore(tdb.db.sql),
      registry,
      redisUrl: REDIS_URL,
      prefix,
      role,
      concurrency,
      tenantConcurrency: (tenantId) => (tenantId === tenants.capped ? 2 : 100),
      tenantPolicy: () => ({ allowPrivateNetwork: true }),
    });

  before(async function () {
    await requirePostgres(this);
    await requireRedis(this);
    tdb = await createTestDatabase('postgres');
    server = await slowServer(150);
    for (const slug of ['capped', 'flowcap', 'flood', 'trickle']) tenants[slug] = (await new TenantRepository(tdb.db).ensure(slug, slug)).id;
    producer = make('producer');
    await producer.start();
  });

  afterEach(async () => {
    for (const w of workers) await w.stop();
    workers = [];
  });

  after(async () => {
    await producer?.stop();
    await server?.close();
    await flushPrefix(prefix).catch(() => undefined);
    await tdb?.db.close();
    await tdb?.drop();
  });

  async function startMany(tenant: string, tag: string, n: number, settings?: { concurrency: number }): Promise<string[]> {
    const doc = flow([{ id: 's', type: 'trigger.manual' }, { id: 'call', type: 'http.request', params: { url: `${server.url}/?tag=${tag}` } }], [['s', 'out', 'call']]) as Flow;
    if (settings) doc.settings = settings;
    const published = await new FlowRepository(tdb.db, registry, tenants[tenant]!).publish(doc);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      ids.push((await producer.startExecution({ tenantId: tenants[tenant]!, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 's', payload: { i }, mode: 'manual' })).executionId);
    }
    return ids;
  }

  it('never drives more of one tenant at once than its limit, across workers, and loses nothing', async () => {
    workers = [make('worker'), make('worker')];
    for (const w of workers) await w.start();
    const ids = await startMany('capped', 'capped', 10);
    const results = await Promise.all(ids.map((id) => producer.result(id, true)));
    expect(results.every((r) => r.status === 'succeeded')).to.equal(true);
    expect(server.peak.get('capped')).to.equal(2);
  });

  it("honours a flow's settings.concurrency", async () => {
    workers = [make('worker'), make('worker')];
    for (const w of workers) await w.start();
    const ids = await startMany('flowcap', 'flowcap', 6, { concurrency: 1 });
    const results = await Promise.all(ids.map((id) => producer.result(id, true)));
    expect(results.every((r) => r.status === 'succeeded')).to.equal(true);
    expect(server.peak.get('flowcap')).to.equal(1);
  });

  it('does not count contacts parked on future delays as backlog', async () => {
    const parked = flow([{ id: 's', type: 'trigger.manual' }, { id: 'd', type: 'time.delay', params: { seconds: 86_400 } }], [['s', 'out', 'd']]) as Flow;
    const published = await new FlowRepository(tdb.db, registry, tenants.trickle!).publish(parked);
    workers = [make('worker')];
    await workers[0]!.start();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await producer.startExecution({ tenantId: tenants.trickle!, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 's', payload: {}, mode: 'manual' })).executionId);
    await Promise.all(ids.map((id) => producer.result(id)));
    const redis = new Redis(REDIS_URL);
    const pending = Number((await redis.hget(`${prefix}:pending`, tenants.trickle!)) ?? 0);
    await redis.quit();
    expect(pending, 'runnable backlog of a tenant whose contacts all wait').to.equal(0);
  });

  it("serves a tenant's trickle ahead of another tenant's flood", async () => {
    // Enqueue first, with no worker running, so the flood is entirely ahead in the queue.
    const flood = await startMany('flood', 'flood', 60);
    const trickle = await startMany('trickle', 'trickle', 4);
    workers = [make('worker', 4)];
    await workers[0]!.start();
    await Promise.all([...flood, ...trickle].map((id) => producer.result(id, true)));
    const floodDone = server.finished.filter((f) => f.tag === 'flood').map((f) => f.at).sort((a, b) => a - b);
    const trickleDone = server.finished.filter((f) => f.tag === 'trickle').map((f) => f.at);
    const floodMedian = floodDone[Math.floor(floodDone.length / 2)]!;
    expect(Math.max(...trickleDone), 'the trickle finishes before half the flood').to.be.below(floodMedian);
  });
});

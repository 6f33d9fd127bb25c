// Three API processes (each syncing BullMQ job schedulers from the same published flow) and a
// worker: every tick of an every-second schedule produces exactly one execution, over 20+ ticks.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { FlowRepository, TenantRepository } from '../../db/index.js';
import { createRegistry } from '../../nodes/registry.js';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { REDIS_URL, flushPrefix, requireRedis } from '../helpers/redis.js';
import { freePort, startServerProcess, startWorkerProcess, type ServerProcess } from '../helpers/server-process.js';
import { flow } from '../helpers/runtime-harness.js';

describe('queue schedules: exactly one execution per tick across 3 processes', function () {
  this.timeout(90_000);
  let tdb: TestDatabase;
  const prefix = `tq-sched-${randomBytes(4).toString('hex')}`;
  const processes: ServerProcess[] = [];

  before(async function () {
    await requirePostgres(this);
    await requireRedis(this);
    tdb = await createTestDatabase('postgres');
    const tenant = await new TenantRepository(tdb.db).ensure('demo', 'Demo');
    const doc = flow(
      [
        { id: 'tick', type: 'trigger.schedule', params: { cron: '* * * * * *', timezone: 'Asia/Riyadh' } },
        { id: 'note', type: 'data.set', params: { fields: { seen: true } } },
      ],
      [['tick', 'out', 'note']],
    );
    await new FlowRepository(tdb.db, createRegistry(), tenant.id).publish(doc, { flowId: 'every-second' });
  });

  after(async () => {
    for (const p of processes) await p.kill('SIGKILL');
    await flushPrefix(prefix).catch(() => undefined);
    await tdb?.db.close();
    await tdb?.drop();
  });

  it('fires each of at least 20 ticks exactly once', async () => {
    const env = { DATABASE_URL: tdb.url!, REDIS_URL, TADFUQ_QUEUE_PREFIX: prefix, TADFUQ_DATA_DIR: tdb.dataDir };
    const metricsPort = await freePort();
    // Every process is kept for after() to kill as soon as it is up, even when another one never
    // comes up (Promise.all dropped the others: a worker was left running after the suite, under
    // load). One that never comes up is killed by the helper.
    const keep = (p: ServerProcess): ServerProcess => (processes.push(p), p);
    const starting = await Promise.allSettled([
      startServerProcess(env).then(keep),
      startServerProcess(env).then(keep),
      startServerProcess(env).then(keep),
      startWorkerProcess({ ...env, TADFUQ_WORKER_METRICS_PORT: String(metricsPort) }).then(keep),
    ]);
    const failed = starting.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const started = starting.map((s) => (s as PromiseFulfilledResult<ServerProcess>).value);
    await new Promise((r) => setTimeout(r, 23_000));
    // Metrics: steps are counted on the worker that ran them; the API reports the queue.
    const workerMetrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(workerMetrics).to.match(/tadfuq_steps_total\{tenant="[^"]+",node_type="data\.set",status="succeeded"\} \d+/);
    const apiMetrics = await (await fetch(`${started[0]!.origin}/metrics`)).text();
    expect(apiMetrics).to.match(/tadfuq_queue_jobs\{state="delayed"\} \d+/);
    expect(apiMetrics).to.match(/tadfuq_executions\{tenant="[^"]+",status="succeeded"\} \d+/);
    for (const p of processes) await p.kill('SIGTERM');
    const rows = await tdb.db.sql.query("SELECT id, status, output FROM executions WHERE mode = 'schedule'");
    const ticks = rows.map((r) => (JSON.parse(String(r.output)) as { scheduledAt: string }).scheduledAt).sort();
    expect(new Set(ticks).size, 'ticks fired more than once').to.equal(ticks.length);
    expect(ticks.length, 'ticks seen').to.be.at.least(20);
    // Consecutive seconds: none skipped in between.
    const seconds = ticks.map((t) => Date.parse(t) / 1000);
    for (let i = 1; i < seconds.length; i++) expect(seconds[i]! - seconds[i - 1]!, `gap before ${ticks[i]}`).to.equal(1);
    expect(rows.every((r) => r.status === 'succeeded')).to.equal(true);
  });
});

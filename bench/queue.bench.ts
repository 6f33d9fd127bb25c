// `npm run bench -- queue`: queue mode on this machine's PostgreSQL and Redis.
//  1. Throughput of the reference flow (webhook → set → if → set, onFinish) through the
//     compiled API with 1 and then 2 worker processes.
//  2. N contacts (default 100,000) each waiting on a delay, due times spread over a window:
//     peak RSS of the worker processes while they hold the waits, and wake-up lateness
//     (resume time minus due time) p50/p99.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import reference from './reference-flow.json' with { type: 'json' };
import { QueueRuntime } from '../engine/queue.js';
import { createRegistry } from '../nodes/registry.js';
import { FlowRepository, SqlRunStore, TenantRepository, openDatabase, type Database } from '../db/index.js';
import { freshDatabase } from './fresh-database.js';
import { load } from './load.js';
import { flushPrefix } from '../test/helpers/redis.js';
import { SERVER_NODE_FLAGS } from '../bin/build-state.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The compiled server the processes run (`--dist DIR` for before/after runs of another build). */
let distDir = path.join(root, 'dist');
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const out = (s: string): void => void process.stdout.write(s + '\n');
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

function rssMb(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU ms (user + system) a process has used so far, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** Counted processes load bench/count-round-trips.ts (through tsx; the server code is the compiled dist/). */
function startProcess(script: string, env: NodeJS.ProcessEnv, ready: string, counted = false): Promise<ChildProcess> {
  const preload = counted ? ['--import', 'tsx', '--import', path.join(root, 'bench/count-round-trips.ts')] : [];
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...preload, path.join(distDir, 'server', script)], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(ready)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

const stop = async (c: ChildProcess): Promise<void> => {
  if (c.exitCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await exited;
};

interface Counts {
  redisRoundTrips: number;
  redisCommands: number;
  sqlRoundTrips: number;
  sqlStatements: number;
  byCommand: Record<string, number>;
}

/** The round-trip counts of these processes so far (SIGUSR2 → bench/count-round-trips.ts writes them). */
async function snapshot(dir: string, procs: ChildProcess[]): Promise<Counts[]> {
  for (const p of procs) rmSync(path.join(dir, `${p.pid}.json`), { force: true });
  for (const p of procs) p.kill('SIGUSR2');
  const read = (p: ChildProcess): Counts | null => {
    try {
      return JSON.parse(readFileSync(path.join(dir, `${p.pid}.json`), 'utf8')) as Counts;
    } catch {
      return null;
    }
  };
  for (let i = 0; i < 200; i++) {
    const all = procs.map(read);
    if (all.every(Boolean)) return all as Counts[];
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('round-trip counts were not written');
}

function perExecution(before: Counts[], after: Counts[], executions: number): { redis: number; redisCommands: number; sql: number; sqlStatements: number; top: string } {
  const sum = (list: Counts[], k: 'redisRoundTrips' | 'redisCommands' | 'sqlRoundTrips' | 'sqlStatements') => list.reduce((s, c) => s + c[k], 0);
  const per = (k: 'redisRoundTrips' | 'redisCommands' | 'sqlRoundTrips' | 'sqlStatements') => (sum(after, k) - sum(before, k)) / executions;
  const byCommand = new Map<string, number>();
  for (const c of after) for (const [name, n] of Object.entries(c.byCommand)) byCommand.set(name, (byCommand.get(name) ?? 0) + n);
  for (const c of before) for (const [name, n] of Object.entries(c.byCommand)) byCommand.set(name, (byCommand.get(name) ?? 0) - n);
  const top = [...byCommand].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([name, n]) => `${name} ${(n / executions).toFixed(2)}`).join(', ');
  return { redis: per('redisRoundTrips'), redisCommands: per('redisCommands'), sql: per('sqlRoundTrips'), sqlStatements: per('sqlStatements'), top };
}

async function throughput(workers: number, requests: number, concurrency: number): Promise<void> {
  const { url, drop } = await freshDatabase(ADMIN_URL, 'tadfuq_qbench');
  const prefix = `tq-qb-${randomBytes(3).toString('hex')}`;
  const db = await openDatabase({ databaseUrl: url, dataDir: '/tmp' });
  const tenant = await new TenantRepository(db).ensure('bench', 'Bench');
  await new FlowRepository(db, createRegistry(), tenant.id).publish(reference, { flowId: 'bench-reference' });
  await db.close();
  const port = 3940 + workers;
  const countDir = mkdtempSync(path.join(os.tmpdir(), 'tadfuq-qcount-'));
  // The bench's own load is the backlog here: backpressure would only measure the client.
  const env = { ...process.env, DATABASE_URL: url, REDIS_URL, TADFUQ_QUEUE_PREFIX: prefix, PORT: String(port), LOG_LEVEL: 'info', TADFUQ_COUNT_DIR: countDir, TADFUQ_MAX_BACKLOG: '0' };
  const api = await startProcess('main.js', env, 'tadfuq is up', true);
  const ws = await Promise.all(Array.from({ length: workers }, () => startProcess('worker.js', env, 'worker is up', true)));
  try {
    const origin = `http://127.0.0.1:${port}`;
    const body = (i: number) => ({ name: `lead-${i}`, score: i % 100 });
    const check = (status: number, json: unknown, i: number) => status === 200 && (json as { tier?: string }).tier === (i % 100 >= 50 ? 'hot' : 'cold');
    await load(origin, '/hooks/bench/bench', body, Math.min(1000, requests), concurrency, check);
    await new Promise((r) => setTimeout(r, 500)); // the warm-up's last jobs leave the queue
    const before = { api: await snapshot(countDir, [api]), workers: await snapshot(countDir, ws) };
    const cpuBefore = { api: cpuMs(api.pid), workers: ws.reduce((t, w) => t + cpuMs(w.pid), 0) };
    const r = await load(origin, '/hooks/bench/bench', body, requests, concurrency, check);
    await new Promise((r) => setTimeout(r, 500));
    const after = { api: await snapshot(countDir, [api]), workers: await snapshot(countDir, ws) };
    const cpuApi = (cpuMs(api.pid) - cpuBefore.api) / requests;
    const cpuWorkers = (ws.reduce((t, w) => t + cpuMs(w.pid), 0) - cpuBefore.workers) / requests;
    const apiPer = perExecution(before.api, after.api, requests);
    const wPer = perExecution(before.workers, after.workers, requests);
    out(`throughput ${workers} worker(s)  ${String(requests).padStart(6)} req  ${r.perSecond.toFixed(0).padStart(5)} exec/s  p50 ${r.p50Ms.toFixed(1)} ms  p99 ${r.p99Ms.toFixed(1)} ms  failed ${r.failed}  (load avg ${os.loadavg()[0]!.toFixed(1)})`);
    const line = (who: string, p: ReturnType<typeof perExecution>) =>
      out(`  per execution, ${who}: Redis ${p.redis.toFixed(2)} round trips (${p.redisCommands.toFixed(2)} commands), SQL ${p.sql.toFixed(2)} round trips (${p.sqlStatements.toFixed(2)} statements); Redis by command: ${p.top}`);
    out(`  CPU per execution: API ${cpuApi.toFixed(2)} ms, worker${workers > 1 ? 's' : ''} ${cpuWorkers.toFixed(2)} ms (the counted processes load tsx too)`);
    line('API', apiPer);
    line(`worker${workers > 1 ? 's' : ''}`, wPer);
    out(`  per execution, total: Redis ${(apiPer.redis + wPer.redis).toFixed(2)} round trips, SQL ${(apiPer.sql + wPer.sql).toFixed(2)} round trips (${(apiPer.sqlStatements + wPer.sqlStatements).toFixed(2)} statements)`);
  } finally {
    rmSync(countDir, { recursive: true, force: true });
    for (const w of ws) await stop(w);
    await stop(api);
    await flushPrefix(prefix);
    await drop();
  }
}

async function waits(contacts: number, workers: number, spreadS: number): Promise<void> {
  const { url, drop } = await freshDatabase(ADMIN_URL, 'tadfuq_qbench');
  const prefix = `tq-qw-${randomBytes(3).toString('hex')}`;
  const db: Database = await openDatabase({ databaseUrl: url, dataDir: '/tmp' });
  const registry = createRegistry();
  const tenant = await new TenantRepository(db).ensure('bench', 'Bench');
  const flow = {
    schemaVersion: 1,
    name: 'waits',
    nodes: [
      { id: 'start', type: 'trigger.manual', params: {} },
      { id: 'pause', type: 'time.delay', params: { until: '=$trigger.due' } },
      { id: 'done', type: 'data.set', params: { fields: { woke: true } } },
    ],
    edges: [
      { id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'pause', port: 'in' } },
      { id: 'e2', from: { node: 'pause', port: 'out' }, to: { node: 'done', port: 'in' } },
    ],
  };
  const published = await new FlowRepository(db, registry, tenant.id).publish(flow, { flowId: 'waits' });
  const env = { ...process.env, DATABASE_URL: url, REDIS_URL, TADFUQ_QUEUE_PREFIX: prefix, LOG_LEVEL: 'info' };
  const ws = await Promise.all(Array.from({ length: workers }, () => startProcess('worker.js', env, 'worker is up')));
  const producer = new QueueRuntime({ store: new SqlRunStore(db.sql), registry, redisUrl: REDIS_URL, prefix, role: 'producer' });
  await producer.start();
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, ...ws.map((w) => rssMb(w.pid)))), 500);
  try {
    // Due times start after every contact is expected to be suspended on its delay (about
    // 3 ms of worker time per contact here, plus 30 s), so lateness measures wake-ups only.
    const t0 = Date.now();
    const firstDue = t0 + 30_000 + contacts * 3;
    const dues: number[] = [];
    const batch = 500;
    for (let i = 0; i < contacts; i += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, contacts - i) }, (_, j) => {
          const due = firstDue + Math.floor(((i + j) / contacts) * spreadS * 1000);
          dues.push(due);
          return producer.startExecution({ tenantId: tenant.id, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 'start', payload: { due: new Date(due).toISOString() }, mode: 'manual' });
        }),
      );
    }
    const enrolled = Date.now();
    out(`waits     enrolled ${contacts} contacts in ${((enrolled - t0) / 1000).toFixed(1)} s (${((contacts / (enrolled - t0)) * 1000).toFixed(0)}/s); first due in ${((firstDue - enrolled) / 1000).toFixed(1)} s, spread over ${spreadS} s`);
    if (enrolled > firstDue) out('waits     WARNING: enrolment overran the first due time; lateness includes enrolment');
    for (;;) {
      const [row] = await db.sql.query("SELECT COUNT(*) AS n FROM executions WHERE status = 'waiting'");
      if (Number(row!.n) >= contacts || Date.now() > firstDue) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const suspended = Date.now();
    out(`waits     all ${contacts} suspended on their delay after ${((suspended - t0) / 1000).toFixed(1)} s${suspended > firstDue ? ' — AFTER the first due time, lateness includes the backlog' : ''}`);
    const holding = Math.max(...ws.map((w) => rssMb(w.pid)));
    const peakEnrolling = peak;
    peak = holding;
    const lastDue = firstDue + spreadS * 1000;
    for (;;) {
      const [row] = await db.sql.query("SELECT COUNT(*) AS n FROM executions WHERE status = 'succeeded'");
      if (Number(row!.n) >= contacts) break;
      if (Date.now() > lastDue + 300_000) {
        out(`waits     gave up: ${row!.n} of ${contacts} woke`);
        break;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
    const starts = await db.sql.query("SELECT execution_id, output FROM execution_steps WHERE node_id = 'start'");
    const due = new Map(starts.map((r) => [String(r.execution_id), Date.parse((JSON.parse(String(r.output)) as { due: string }).due)]));
    const pauseRows = await db.sql.query("SELECT execution_id, finished_at FROM execution_steps WHERE node_id = 'pause' AND status = 'succeeded'");
    const lateness = pauseRows.map((r) => Number(r.finished_at) - (due.get(String(r.execution_id)) ?? 0)).sort((a, b) => a - b);
    out(`waits     ${lateness.length} woke; lateness p50 ${(pct(lateness, 50) / 1000).toFixed(3)} s  p99 ${(pct(lateness, 99) / 1000).toFixed(3)} s  max ${((lateness[lateness.length - 1] ?? 0) / 1000).toFixed(3)} s`);
    out(`waits     worker RSS while holding ${holding.toFixed(0)} MB, peak ${peakEnrolling.toFixed(0)} MB while suspending, ${peak.toFixed(0)} MB while waking (${workers} worker(s); load avg ${os.loadavg()[0]!.toFixed(1)})`);
  } finally {
    clearInterval(sampler);
    await producer.stop();
    for (const w of ws) await stop(w);
    await db.close();
    await flushPrefix(prefix);
    await drop();
  }
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      requests: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '50' },
      contacts: { type: 'string', default: '100000' },
      spread: { type: 'string', default: '120' },
      workers: { type: 'string', default: '1' },
      'skip-throughput': { type: 'boolean', default: false },
      'skip-waits': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      dist: { type: 'string' },
    },
  });
  if (values.dist) distDir = path.resolve(root, values.dist);
  else if (!values['no-build']) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  out(`queue bench: ${path.relative(root, distDir)}/, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (${os.cpus().length} cores)`);
  out(`queue bench: PostgreSQL ${ADMIN_URL.replace(/\/[^/]*$/, '/…')}, Redis ${REDIS_URL}`);
  if (!values['skip-throughput']) {
    await throughput(1, Number(values.requests), Number(values.concurrency));
    await throughput(2, Number(values.requests), Number(values.concurrency));
  }
  if (!values['skip-waits']) await waits(Number(values.contacts), Number(values.workers), Number(values.spread));
}

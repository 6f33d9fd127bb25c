// `npm run bench -- reference`: the reference flow of issue 15, side by side.
//
//   webhook (answers 202 at once, durably accepted) → normalise (lowercase email, budget as
//   number) → IF budget ≥ 10000 → code step computing a score / no-op
//
// on the compiled server with SQLite, PostgreSQL (embedded runtime) and queue mode
// (PostgreSQL + Redis, one worker), at c=1 and c=50, and with --with-nodered the same flow on
// Node-RED 4.1.0 (a `function` node for the score), installed on demand into
// ~/.cache/tadfuq-bench/node-red (outside the repository). For every engine it prints:
//   spawn → first 2xx   from spawn() of the server to the first 2xx answer of the webhook
//   RSS idle            the whole process tree (server, sandbox processes, worker) after start,
//                       and again after the load (sandbox started, caches warm)
//   RSS peak            sampled every 100 ms during the load
//   accepted/s, p50/p99 of the webhook answers (closed loop, c keep-alive connections)
//   completed/s         executions finished (succeeded or failed; failures are listed) per second, from the first
//                       request to the last completion
//   CPU ms/exec         utime+stime of the process tree (/proc) over the point ÷ executions
//
//   npm run bench -- reference [--modes sqlite,postgres,queue] [--with-nodered]
//                              [--requests 30000] [--requests-c1 10000] [--concurrency 1,50]
//                              [--no-build] [--dist DIR (another build in the repository)]
//
// Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test: a fresh
// database is created and dropped per mode) and Redis (REDIS_URL, default 127.0.0.1:6379).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Pool } from 'undici';
import { FlowRepository, TenantRepository, openDatabase } from '../db/index.js';
import { createSqliteExecutor } from '../db/sql-executor.js';
import { sqliteFile } from '../db/database.js';
import { createRegistry } from '../nodes/registry.js';
import { freshDatabase } from './fresh-database.js';
import { SERVER_NODE_FLAGS } from '../bin/build-state.mjs';
import { load, type LoadResult } from './load.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ADMIN_URL = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL || process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const NODE_RED_VERSION = '4.1.0';
const NODE_RED_CACHE = path.join(os.homedir(), '.cache', 'tadfuq-bench', 'node-red');
const HOOK = '/hooks/bench/ref';
const out = (s: string): void => void process.stdout.write(s + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The score: the code step's snippet; the Node-RED function node runs the same body. */
const SCORE_SOURCE =
  "const tld = input.email.endsWith('.sa') ? 15 : 0;\n" +
  'const size = Math.min(60, Math.round(Math.log10(input.budget) * 10));\n' +
  "return { ...input, score: size + tld + (input.source === 'referral' ? 25 : 0) };";

export const REFERENCE_FLOW = {
  schemaVersion: 1,
  name: 'issue 15 reference: webhook → normalise → if → code',
  nodes: [
    { id: 'hook', type: 'trigger.webhook', params: { path: 'ref', method: 'POST', respond: 'immediately' } },
    {
      id: 'normalise',
      type: 'data.set',
      params: { fields: { email: '=$lowercase(body.email)', budget: '=$number(body.budget)', source: '=body.source' }, keepInput: false },
    },
    { id: 'big', type: 'logic.if', params: { condition: '=budget >= 10000' } },
    { id: 'score', type: 'code', params: { source: SCORE_SOURCE } },
    { id: 'noop', type: 'data.set', params: { fields: {} } },
  ],
  edges: [
    { id: 'e1', from: { node: 'hook', port: 'out' }, to: { node: 'normalise', port: 'in' } },
    { id: 'e2', from: { node: 'normalise', port: 'out' }, to: { node: 'big', port: 'in' } },
    { id: 'e3', from: { node: 'big', port: 'true' }, to: { node: 'score', port: 'in' } },
    { id: 'e4', from: { node: 'big', port: 'false' }, to: { node: 'noop', port: 'in' } },
  ],
};

/** Three quarters of the leads take the code step (budget ≥ 10000). */
const body = (i: number) => ({ email: `Lead.${i}@Example.${i % 3 === 0 ? 'SA' : 'com'}`, budget: String(i % 4 === 0 ? 5000 : 10000 + (i % 90) * 1000), source: i % 5 === 0 ? 'referral' : 'ads' });
const accepted = (status: number) => status >= 200 && status < 300;

// ---- /proc: the process tree's CPU and memory ----------------------------------------------

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim() || 100);

function statOf(pid: number): { ppid: number; cpuTicks: number; childTicks: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]), childTicks: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return null;
  }
}

/** The roots and every live descendant. */
function tree(roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = statOf(Number(name));
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(Number(name));
    children.set(s.ppid, list);
  }
  const all: number[] = [];
  const stack = [...roots];
  while (stack.length) {
    const pid = stack.pop() as number;
    all.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return all;
}

/** CPU ms of the tree so far (reaped children count through the parents' cutime/cstime). */
function cpuMs(roots: number[]): number {
  let ticks = 0;
  for (const pid of tree(roots)) {
    const s = statOf(pid);
    if (s) ticks += s.cpuTicks + s.childTicks;
  }
  return ticks * TICK_MS;
}

function rssMb(roots: number[]): number {
  let kb = 0;
  for (const pid of tree(roots)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

// ---- engines --------------------------------------------------------------------------------

interface Engine {
  name: string;
  origin: string;
  /** Process ids whose trees are measured. */
  pids(): number[];
  /** Executions finished so far (succeeded or failed). */
  completed(): Promise<number>;
  /** Executions that failed, with one error as an example (none for Node-RED: in memory). */
  failed?(): Promise<{ n: number; example: string | null }>;
  stop(): Promise<void>;
}

interface Started {
  engine: Engine;
  spawnToFirst2xxMs: number;
}

async function stopChild(c: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill(signal);
  const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** POSTs the webhook every 5 ms until one answer is 2xx; ms since `spawnedAt`. */
async function firstAnswer(origin: string, hook: string, spawnedAt: number, children: ChildProcess[], limitMs = 60_000): Promise<number> {
  const pool = new Pool(origin, { connections: 1 });
  try {
    for (;;) {
      if (children.some((c) => c.exitCode !== null)) throw new Error('a process exited before answering');
      try {
        const res = await pool.request({ path: hook, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body(1)) });
        await res.body.dump();
        if (accepted(res.statusCode)) return performance.now() - spawnedAt;
      } catch {
        // not listening yet
      }
      if (performance.now() - spawnedAt > limitMs) throw new Error(`no 2xx from ${origin}${hook} within ${limitMs} ms`);
      await sleep(5);
    }
  } finally {
    await pool.close();
  }
}

/** The compiled server to run (--dist: another build inside the repository, for before/after runs). */
let distDir = 'dist';

/** What `npm start` runs: the bundle (dist/bundle/*.mjs) when the build made one, else tsc's output. */
function node(script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const bundled = path.join(root, distDir, 'bundle', script.replace(/\.js$/, '.mjs'));
  const entry = existsSync(bundled) ? bundled : path.join(root, distDir, 'server', script);
  // BENCH_SERVER_NODE_FLAGS: extra node flags for the server processes only (not this client), for experiments.
  const extra = (process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  return spawn(process.execPath, [...SERVER_NODE_FLAGS, ...extra, entry], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function publish(databaseUrl: string | undefined, dataDir: string): Promise<void> {
  const db = await openDatabase({ databaseUrl, dataDir });
  const tenant = await new TenantRepository(db).ensure('bench', 'Bench');
  await new FlowRepository(db, createRegistry(), tenant.id).publish(REFERENCE_FLOW, { flowId: 'reference' });
  await db.close();
}

/** Finished executions (a failed one is finished too: it no longer waits for anything). */
const COUNT_FINISHED = "SELECT COUNT(*) AS n FROM executions WHERE status IN ('succeeded', 'failed', 'cancelled')";
const FAILED = "SELECT COUNT(*) AS n, MIN(error) AS example FROM executions WHERE status = 'failed'";

async function startSqlite(port: number): Promise<Started> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-ref-'));
  await publish(undefined, dataDir);
  const env = { ...process.env, TADFUQ_DEMO_ACTIVITY: '0', PORT: String(port), TADFUQ_DATA_DIR: dataDir, LOG_LEVEL: 'warn', DATABASE_URL: '', REDIS_URL: '' };
  const t0 = performance.now();
  const server = node('main.js', env);
  const origin = `http://127.0.0.1:${port}`;
  const spawnToFirst2xxMs = await firstAnswer(origin, HOOK, t0, [server]);
  const reader = await createSqliteExecutor(sqliteFile(dataDir));
  return {
    spawnToFirst2xxMs,
    engine: {
      name: 'Tadfuq, SQLite',
      origin,
      pids: () => [server.pid as number],
      completed: async () => Number((await reader.query(COUNT_FINISHED))[0]?.n ?? 0),
      failed: async () => {
        const [row] = await reader.query(FAILED);
        return { n: Number(row?.n ?? 0), example: row?.example ? String(row.example) : null };
      },
      stop: async () => {
        await stopChild(server);
        await reader.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    },
  };
}

async function startPg(port: number, queue: boolean): Promise<Started> {
  const { url, drop } = await freshDatabase(ADMIN_URL, 'tadfuq_ref');
  await publish(url, '/tmp');
  const prefix = `tq-ref-${randomBytes(3).toString('hex')}`;
  const env = { ...process.env, TADFUQ_DEMO_ACTIVITY: '0', PORT: String(port), DATABASE_URL: url, REDIS_URL: queue ? REDIS_URL : '', TADFUQ_QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', TADFUQ_DATA_DIR: '/tmp' };
  const t0 = performance.now();
  const procs = [node('main.js', env)];
  if (queue) procs.push(node('worker.js', env));
  const origin = `http://127.0.0.1:${port}`;
  const spawnToFirst2xxMs = await firstAnswer(origin, HOOK, t0, procs);
  const reader = new pg.Client({ connectionString: url });
  await reader.connect();
  return {
    spawnToFirst2xxMs,
    engine: {
      name: queue ? 'Tadfuq, queue mode, 1 worker' : 'Tadfuq, PostgreSQL',
      origin,
      pids: () => procs.map((p) => p.pid as number),
      completed: async () => Number((await reader.query(COUNT_FINISHED)).rows[0]?.n ?? 0),
      failed: async () => {
        const row = (await reader.query(FAILED)).rows[0] as { n?: string; example?: string | null } | undefined;
        return { n: Number(row?.n ?? 0), example: row?.example ?? null };
      },
      stop: async () => {
        for (const p of procs.reverse()) await stopChild(p);
        await reader.end();
        if (queue) {
          const { flushPrefix } = await import('../test/helpers/redis.js');
          await flushPrefix(prefix);
        }
        await drop();
      },
    },
  };
}

// ---- Node-RED -------------------------------------------------------------------------------

function ensureNodeRed(): string {
  const entry = path.join(NODE_RED_CACHE, 'node_modules', 'node-red', 'red.js');
  const pkg = path.join(NODE_RED_CACHE, 'node_modules', 'node-red', 'package.json');
  if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version === NODE_RED_VERSION) return entry;
  out(`installing node-red@${NODE_RED_VERSION} into ${NODE_RED_CACHE} …`);
  mkdirSync(NODE_RED_CACHE, { recursive: true });
  execFileSync('npm', ['install', '--prefix', NODE_RED_CACHE, '--no-audit', '--no-fund', '--omit=dev', '--no-save', `node-red@${NODE_RED_VERSION}`], { stdio: 'inherit' });
  return entry;
}

/** The same flow in Node-RED: http in → (http response 202) ∥ normalise → switch → function / no-op → count. */
function nodeRedFlow(): unknown[] {
  const tab = 'ref-tab';
  const n = (id: string, type: string, extra: object, wires: string[][] = []) => ({ id, type, z: tab, name: id, x: 100, y: 100, wires, ...extra });
  return [
    { id: tab, type: 'tab', label: 'reference' },
    n('in', 'http in', { url: '/hooks/bench/ref', method: 'post', upload: false }, [['answer', 'normalise']]),
    n('answer', 'function', { func: 'msg.statusCode = 202; msg.payload = { accepted: true }; return msg;', outputs: 1 }, [['respond']]),
    n('respond', 'http response', { statusCode: '', headers: {} }),
    n(
      'normalise',
      'change',
      {
        rules: [
          { t: 'set', p: 'payload', pt: 'msg', to: '{"email": $lowercase(payload.email), "budget": $number(payload.budget), "source": payload.source}', tot: 'jsonata' },
          { t: 'delete', p: 'req', pt: 'msg' },
          { t: 'delete', p: 'res', pt: 'msg' },
        ],
      },
      [['big']],
    ),
    n('big', 'switch', { property: 'payload.budget', propertyType: 'msg', rules: [{ t: 'gte', v: '10000', vt: 'num' }, { t: 'else' }], checkall: 'false', outputs: 2 }, [['score'], ['noop']]),
    n('score', 'function', { func: `const input = msg.payload;\nmsg.payload = (() => { ${SCORE_SOURCE} })();\nreturn msg;`, outputs: 1 }, [['count']]),
    n('noop', 'change', { rules: [] }, [['count']]),
    n('count', 'function', { func: "global.set('done', (global.get('done') || 0) + 1); return null;", outputs: 1 }),
    n('countIn', 'http in', { url: '/bench/done', method: 'get' }, [['countOut']]),
    n('countOut', 'function', { func: "msg.payload = { done: global.get('done') || 0 }; return msg;", outputs: 1 }, [['countRes']]),
    n('countRes', 'http response', { statusCode: '200', headers: {} }),
  ];
}

async function startNodeRed(port: number): Promise<Started> {
  const entry = ensureNodeRed();
  const userDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-ref-nodered-'));
  writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(nodeRedFlow()));
  writeFileSync(path.join(userDir, 'settings.js'), `module.exports = { flowFile: 'flows.json', uiHost: '127.0.0.1', logging: { console: { level: 'warn' } }, credentialSecret: false, telemetry: { enabled: false } };\n`);
  const t0 = performance.now();
  const child = spawn(process.execPath, [entry, '--userDir', userDir, '--port', String(port), '--settings', path.join(userDir, 'settings.js'), 'flows.json'], { cwd: userDir, stdio: ['ignore', 'ignore', 'inherit'] });
  const origin = `http://127.0.0.1:${port}`;
  const spawnToFirst2xxMs = await firstAnswer(origin, HOOK, t0, [child]);
  const pool = new Pool(origin, { connections: 1 });
  return {
    spawnToFirst2xxMs,
    engine: {
      name: `Node-RED ${NODE_RED_VERSION} (in memory)`,
      origin,
      pids: () => [child.pid as number],
      completed: async () => {
        const res = await pool.request({ path: '/bench/done', method: 'GET' });
        return ((await res.body.json()) as { done: number }).done;
      },
      stop: async () => {
        await pool.close();
        await stopChild(child);
        await rm(userDir, { recursive: true, force: true });
      },
    },
  };
}

// ---- measuring --------------------------------------------------------------------------------

export interface Point {
  concurrency: number;
  requests: number;
  failed: number;
  /** Refused with 503 by backpressure (past TADFUQ_MAX_BACKLOG). */
  refused: number;
  acceptedPerSec: number;
  completedPerSec: number;
  /** Executions finished while the client was sending, per second of the load (no drain phase). */
  completedDuringLoadPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerExec: number;
  /** Executions not finished 60 s after the last answer (backlog that never drained). */
  unfinished: number;
}

export interface EngineResult {
  name: string;
  spawnToFirst2xxMs: number;
  rssIdleMb: number;
  rssIdleAfterMb: number;
  rssPeakMb: number;
  points: Point[];
  failedExecutions: number;
  failureExample: string | null;
}

async function waitCompleted(engine: Engine, target: number, limitMs: number): Promise<{ at: number; done: number }> {
  const until = performance.now() + limitMs;
  let done = await engine.completed();
  while (done < target && performance.now() < until) {
    await sleep(20);
    done = await engine.completed();
  }
  return { at: performance.now(), done };
}

async function point(engine: Engine, concurrency: number, requests: number, peak: { mb: number }): Promise<Point> {
  // Warm-up at this concurrency, drained before measuring.
  const before = await engine.completed();
  const warm = Math.min(500, Math.ceil(requests / 10));
  await load(engine.origin, HOOK, body, warm, concurrency, accepted);
  const base = (await waitCompleted(engine, before + warm, 60_000)).done;

  const cpu0 = cpuMs(engine.pids());
  const sampler = setInterval(() => (peak.mb = Math.max(peak.mb, rssMb(engine.pids()))), 100);
  const t0 = performance.now();
  let r: LoadResult;
  try {
    r = await load(engine.origin, HOOK, body, requests, concurrency, accepted);
  } finally {
    clearInterval(sampler);
  }
  // Finished while the client was still sending: the sustained rate, without the drain of a
  // backlog afterwards (when the client no longer competes for the cores). Node-RED's count is
  // read through its own flow (GET /bench/done), which waits behind its queued messages: its
  // figure here is not comparable, so the ratios use completed/s only.
  const duringLoad = (await engine.completed()) - base;
  const loadMs = performance.now() - t0;
  const { at, done } = await waitCompleted(engine, base + r.ok, 60_000);
  const cpu1 = cpuMs(engine.pids());
  const finished = done - base;
  return {
    concurrency,
    requests,
    failed: r.failed,
    refused: r.refused,
    acceptedPerSec: r.perSecond,
    completedPerSec: (finished / (at - t0)) * 1000,
    completedDuringLoadPerSec: (duringLoad / loadMs) * 1000,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    cpuMsPerExec: (cpu1 - cpu0) / Math.max(1, finished),
    unfinished: r.ok - finished,
  };
}

async function measure(start: () => Promise<Started>, levels: { concurrency: number; requests: number }[]): Promise<EngineResult> {
  const { engine, spawnToFirst2xxMs } = await start();
  try {
    await sleep(2000);
    const rssIdleMb = rssMb(engine.pids());
    const peak = { mb: rssIdleMb };
    const points: Point[] = [];
    for (const level of levels) points.push(await point(engine, level.concurrency, level.requests, peak));
    await sleep(3000);
    const failed = (await engine.failed?.()) ?? { n: 0, example: null };
    return { name: engine.name, spawnToFirst2xxMs, rssIdleMb, rssIdleAfterMb: rssMb(engine.pids()), rssPeakMb: peak.mb, points, failedExecutions: failed.n, failureExample: failed.example };
  } finally {
    await engine.stop();
  }
}

function report(r: EngineResult): void {
  out(`${r.name}`);
  out(`  spawn → first 2xx ${r.spawnToFirst2xxMs.toFixed(0)} ms   RSS idle ${r.rssIdleMb.toFixed(0)} MB (after load ${r.rssIdleAfterMb.toFixed(0)} MB)   RSS peak ${r.rssPeakMb.toFixed(0)} MB`);
  if (r.failedExecutions) out(`  FAILED executions: ${r.failedExecutions} (e.g. ${r.failureExample})`);
  for (const p of r.points) {
    out(
      `  c=${String(p.concurrency).padEnd(3)} ${String(p.requests).padStart(6)} req  accepted ${p.acceptedPerSec.toFixed(0).padStart(5)}/s  completed ${p.completedPerSec.toFixed(0).padStart(5)} exec/s (${p.completedDuringLoadPerSec.toFixed(0)}/s during the load)` +
        `  p50 ${p.p50Ms.toFixed(2)} ms  p99 ${p.p99Ms.toFixed(2)} ms  CPU ${p.cpuMsPerExec.toFixed(3)} ms/exec  failed ${p.failed}${p.refused ? `  refused (503) ${p.refused}` : ''}${p.unfinished ? `  UNFINISHED ${p.unfinished}` : ''}`,
    );
  }
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      modes: { type: 'string', default: 'sqlite,postgres,queue' },
      'with-nodered': { type: 'boolean', default: false },
      // Long enough for a steady state (about 10 s a point here, like the issue's 20-s wrk runs):
      // a short c=1 run measures mostly the JIT warming up.
      requests: { type: 'string', default: '30000' },
      'requests-c1': { type: 'string', default: '10000' },
      concurrency: { type: 'string', default: '1,50' },
      port: { type: 'string', default: '3960' },
      'no-build': { type: 'boolean', default: false },
      dist: { type: 'string', default: 'dist' },
    },
  });
  distDir = values.dist;
  if (distDir !== 'dist') values['no-build'] = true;
  const modes = values.modes.split(',').map((m) => m.trim()).filter(Boolean);
  const unknown = modes.filter((m) => !['sqlite', 'postgres', 'queue'].includes(m));
  if (unknown.length) throw new Error(`unknown mode(s) ${unknown.join(', ')}: use sqlite, postgres, queue`);
  const levels = values.concurrency.split(',').map((c) => {
    const concurrency = Number(c);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('--concurrency takes positive integers, e.g. 1,50');
    return { concurrency, requests: Number(concurrency === 1 ? values['requests-c1'] : values.requests) };
  });
  const port = Number(values.port);
  if (!values['no-build']) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  out(`reference bench: webhook (202 at once) → normalise → IF budget ≥ 10000 → code step / no-op; ${os.availableParallelism()} cores, load over loopback from this process`);

  const results: EngineResult[] = [];
  if (values['with-nodered']) {
    const r = await measure(() => startNodeRed(port + 3), levels);
    report(r);
    results.push(r);
  }
  for (const mode of modes) {
    const start = mode === 'sqlite' ? () => startSqlite(port) : mode === 'postgres' ? () => startPg(port + 1, false) : () => startPg(port + 2, true);
    const r = await measure(start, levels);
    report(r);
    results.push(r);
  }
  const red = results.find((r) => r.name.startsWith('Node-RED'));
  if (red) {
    out('ratios to Node-RED (completed exec/s, CPU ms/exec: Node-RED ÷ engine, so ≥ 1 is at or better):');
    for (const r of results) {
      if (r === red) continue;
      const parts = r.points.map((p, i) => {
        const q = red.points[i] as Point;
        return `c=${p.concurrency} exec/s ${(p.completedPerSec / q.completedPerSec).toFixed(2)}×, CPU ${(q.cpuMsPerExec / p.cpuMsPerExec).toFixed(2)}×`;
      });
      out(`  ${r.name}: ${parts.join('; ')}; RSS idle ${r.rssIdleMb.toFixed(0)} vs ${red.rssIdleMb.toFixed(0)} MB; start ${r.spawnToFirst2xxMs.toFixed(0)} vs ${red.spawnToFirst2xxMs.toFixed(0)} ms`);
    }
  }
  out(JSON.stringify({ bench: 'reference', results }));
}

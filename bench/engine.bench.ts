// The engine benchmark: the reference flow (webhook → set → if → set) on the embedded
// runtime (SQLite, every step persisted), driven over loopback by a separate process.
// Prints executions/s and the p50/p99 latency from webhook request to finished execution.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import reference from './reference-flow.json' with { type: 'json' };
import { FlowRepository, TenantRepository, openDatabase } from '../db/index.js';
import { createRegistry } from '../nodes/registry.js';
import { load, type LoadResult } from './load.js';
import { SERVER_NODE_FLAGS } from '../bin/build-state.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function waitForHealth(origin: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(`${origin}/healthz`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not become healthy');
}

function print(label: string, r: LoadResult): void {
  process.stdout.write(
    `${label.padEnd(10)} ${String(r.total).padStart(6)} req  ${r.perSecond.toFixed(0).padStart(6)} exec/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  max ${r.maxMs.toFixed(1)} ms  failed ${r.failed}\n`,
  );
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { requests: { type: 'string', default: '20000' }, concurrency: { type: 'string', default: '50' }, port: { type: 'string', default: '3917' } },
  });
  const total = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const port = Number(values.port);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-bench-'));
  const db = await openDatabase({ dataDir });
  const registry = createRegistry();
  const tenant = await new TenantRepository(db).ensure('bench', 'Bench');
  await new FlowRepository(db, registry, tenant.id).publish(reference, { flowId: 'bench-reference' });
  await db.close();

  // Measure what production runs: the compiled server.
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const server = spawn(process.execPath, [...SERVER_NODE_FLAGS, path.join(root, 'dist/server/main.js')], {
    cwd: root,
    env: { ...process.env, TADFUQ_DEMO_ACTIVITY: '0', PORT: String(port), TADFUQ_DATA_DIR: dataDir, LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(origin, 30_000);
    const body = (i: number) => ({ name: `lead-${i}`, score: i % 100 });
    const check = (status: number, json: unknown, i: number) => status === 200 && (json as { tier?: string }).tier === (i % 100 >= 50 ? 'hot' : 'cold');
    process.stdout.write(`engine bench: reference flow (5 nodes, every step persisted), embedded runtime on SQLite, ${concurrency} concurrent, loopback\n`);
    print('warmup', await load(origin, '/hooks/bench/bench', body, Math.min(2000, total), concurrency, check));
    const result = await load(origin, '/hooks/bench/bench', body, total, concurrency, check);
    print('measured', result);
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    const check2 = await openDatabase({ dataDir });
    const [execs] = await check2.sql.query("SELECT COUNT(*) AS n FROM executions WHERE status = 'succeeded'");
    const [steps] = await check2.sql.query('SELECT COUNT(*) AS n FROM execution_steps');
    await check2.close();
    process.stdout.write(`persisted  ${execs?.n} succeeded executions, ${steps?.n} steps\n`);
    process.stdout.write(JSON.stringify({ bench: 'engine', requests: total, concurrency, execPerSec: Math.round(result.perSecond), p50Ms: +result.p50Ms.toFixed(2), p99Ms: +result.p99Ms.toFixed(2), failed: result.failed }) + '\n');
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
}

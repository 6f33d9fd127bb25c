// `npm run chaos`: queue mode under fire. Three worker processes run a few hundred executions
// of a flow with delays and HTTP side effects while a loop SIGKILLs a random worker every few
// seconds (and restarts it) and flushes the deployment's Redis keys once. The receiving server
// counts calls by Idempotency-Key (the step id). At the end it prints, from what PostgreSQL and
// the receiver recorded:
//   executions lost  — accepted executions that did not succeed
//   steps run twice  — calls for a step that arrived after that step's result was committed
//   sends twice      — effects the receiver applied twice (it applies each key once)
// plus the redeliveries the keys absorbed, and exits non-zero unless the first three are 0.
// Bounded in time, 127.0.0.1 only, stops everything it started.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { QueueRuntime } from '../engine/queue.js';
import { createRegistry } from '../nodes/registry.js';
import { FlowRepository, SqlRunStore, TenantRepository, openDatabase } from '../db/index.js';
import { flushPrefix } from '../test/helpers/redis.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    executions: { type: 'string', default: '300' },
    workers: { type: 'string', default: '3' },
    'kill-every-ms': { type: 'string', default: '3000' },
    'deadline-s': { type: 'string', default: '150' },
  },
});
const EXECUTIONS = Number(values.executions);
const WORKERS = Number(values.workers);
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = (m: string): void => void process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

// The receiving end: records every delivery by Idempotency-Key (applying each key once), and
// which keys each logical send (lead id + endpoint) arrived under.
const deliveries = new Map<string, number[]>();
const keysPerSend = new Map<string, Set<string>>();
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    const key = String(req.headers['idempotency-key'] ?? '');
    const list = deliveries.get(key) ?? [];
    list.push(Date.now());
    deliveries.set(key, list);
    const send = `${(JSON.parse(body || '{}') as { id?: string }).id}${req.url}`;
    const keys = keysPerSend.get(send) ?? new Set<string>();
    keys.add(key);
    keysPerSend.set(send, keys);
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ applied: list.length === 1 }));
    }, 5 + Math.random() * 40);
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

const dbName = `tadfuq_chaos_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${dbName}`;
const DATABASE_URL = url.toString();
const prefix = `tq-chaos-${randomBytes(3).toString('hex')}`;

const db = await openDatabase({ databaseUrl: DATABASE_URL, dataDir: '/tmp' });
const registry = createRegistry();
const tenant = await new TenantRepository(db).ensure('chaos', 'Chaos', { allowPrivateNetwork: true });
const call = (node: string) => ({
  id: node,
  type: 'http.request',
  params: { method: 'POST', url: `${receiverUrl}/${node}`, headers: { 'Idempotency-Key': `=$execution.id & ":${node}"` }, body: { id: '=$trigger.id' } },
  retry: { max: 5, backoffMs: 200 },
});
const flowDoc = {
  schemaVersion: 1,
  name: 'chaos',
  nodes: [
    { id: 'start', type: 'trigger.manual', params: {} },
    call('send1'),
    { id: 'pause', type: 'time.delay', params: { seconds: '=2 + ($trigger.i % 6)' } },
    call('send2'),
    { id: 'done', type: 'data.set', params: { fields: { done: true } } },
  ],
  edges: [
    { id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'send1', port: 'in' } },
    { id: 'e2', from: { node: 'send1', port: 'out' }, to: { node: 'pause', port: 'in' } },
    { id: 'e3', from: { node: 'pause', port: 'out' }, to: { node: 'send2', port: 'in' } },
    { id: 'e4', from: { node: 'send2', port: 'out' }, to: { node: 'done', port: 'in' } },
  ],
};
const published = await new FlowRepository(db, registry, tenant.id).publish(flowDoc, { flowId: 'chaos' });

const workers: (ChildProcess | null)[] = [];
const workerEnv = { ...process.env, DATABASE_URL, REDIS_URL, TADFUQ_QUEUE_PREFIX: prefix, LOG_LEVEL: 'error', TADFUQ_WORKER_CONCURRENCY: '20' };
function spawnWorker(i: number): void {
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', path.join(root, 'server/worker.ts')], { cwd: root, env: workerEnv, stdio: ['ignore', 'ignore', 'inherit'] });
  workers[i] = child;
}
for (let i = 0; i < WORKERS; i++) spawnWorker(i);

const producer = new QueueRuntime({ store: new SqlRunStore(db.sql), registry, redisUrl: REDIS_URL, prefix, role: 'producer', reconcileIntervalMs: 1000, reconcileGraceMs: 1000 });
await producer.start();
log(`${WORKERS} workers, ${EXECUTIONS} executions, database ${dbName}, prefix ${prefix}`);
const accepted: string[] = [];
for (let i = 0; i < EXECUTIONS; i++) {
  const { executionId } = await producer.startExecution({ tenantId: tenant.id, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 'start', payload: { id: `c${i}`, i }, mode: 'manual' });
  accepted.push(executionId);
}
log(`accepted ${accepted.length}`);

let kills = 0;
let flushed = false;
const started = Date.now();
const chaos = setInterval(() => {
  const i = Math.floor(Math.random() * WORKERS);
  const victim = workers[i];
  if (victim && victim.exitCode === null) {
    victim.kill('SIGKILL');
    kills++;
    log(`SIGKILL worker ${i} (pid ${victim.pid})`);
    setTimeout(() => spawnWorker(i), 500);
  }
  if (!flushed && Date.now() - started > 4000) {
    flushed = true;
    void flushPrefix(prefix).then((n) => log(`flushed Redis: ${n} keys of ${prefix} deleted`));
  }
}, Number(values['kill-every-ms']));

const deadline = started + Number(values['deadline-s']) * 1000;
let succeeded = 0;
while (Date.now() < deadline) {
  const [row] = await db.sql.query("SELECT COUNT(*) AS n FROM executions WHERE status = 'succeeded'");
  succeeded = Number(row!.n);
  if (succeeded === EXECUTIONS) break;
  await new Promise((r) => setTimeout(r, 1000));
}
clearInterval(chaos);
log(`settled after ${((Date.now() - started) / 1000).toFixed(1)} s, ${kills} kills, Redis flushed ${flushed ? 'once' : 'never'}`);

// Steps run twice: deliveries for a step that arrived after its result was committed.
const steps = await db.sql.query("SELECT execution_id, node_id, finished_at FROM execution_steps WHERE node_type = 'http.request' AND status = 'succeeded'");
let ranAfterCommit = 0;
for (const s of steps) {
  const times = deliveries.get(`${s.execution_id}:${s.node_id}`) ?? [];
  ranAfterCommit += times.filter((t) => t > Number(s.finished_at)).length;
}
const redeliveries = [...deliveries.values()].reduce((n, list) => n + Math.max(0, list.length - 1), 0);
// The receiver applies each key once, so an effect applied twice means one send under two keys.
const sendsTwice = [...keysPerSend.values()].filter((keys) => keys.size > 1).length;
const lost = EXECUTIONS - succeeded;
const [dupRows] = await db.sql.query('SELECT COUNT(*) AS n FROM (SELECT execution_id, node_id FROM execution_steps GROUP BY execution_id, node_id HAVING COUNT(*) > 1) d');
const stepsTwice = ranAfterCommit + Number(dupRows!.n);
process.stdout.write(`executions lost ${lost}, steps run twice ${stepsTwice}, sends twice ${sendsTwice}\n`);
process.stdout.write(`(${keysPerSend.size} distinct sends, ${redeliveries} at-least-once redeliveries absorbed by Idempotency-Key, ${kills} workers killed)\n`);

await producer.stop();
for (const w of workers) if (w && w.exitCode === null) w.kill('SIGKILL');
await db.close();
receiver.closeAllConnections();
receiver.close();
await flushPrefix(prefix);
await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
await admin.end();
process.exit(lost === 0 && stepsTwice === 0 && sendsTwice === 0 ? 0 : 1);

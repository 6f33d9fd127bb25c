// A runtime on a real database (SQLite or PostgreSQL) with the core nodes, plus a flow
// builder, so a runtime test reads: publish a flow, run it, look at the rows.
import { randomBytes } from 'node:crypto';
import { EmbeddedRuntime, type ExecutionResult, type Flow, type Runtime } from '../../engine/index.js';
import { QueueRuntime } from '../../engine/queue.js';
import { createRegistry } from '../../nodes/registry.js';
import { ExecutionRepository, FlowRepository, SqlRunStore, TenantRepository, type Database, type ExecutionView } from '../../db/index.js';
import { createTestDatabase, type TestDatabase } from './databases.js';
import { REDIS_URL, flushPrefix } from './redis.js';

/** Where a runtime suite runs: embedded on SQLite or PostgreSQL, or queue mode (PG + Redis). */
export type RuntimeKind = 'sqlite' | 'postgres' | 'queue';
export const RUNTIME_KINDS: RuntimeKind[] = ['sqlite', 'postgres', 'queue'];

export interface Harness {
  tdb: TestDatabase;
  db: Database;
  runtime: Runtime;
  tenantId: string;
  publish(flow: unknown): Promise<{ flowId: string; version: number; flow: Flow }>;
  start(flow: unknown, payload?: unknown): Promise<string>;
  run(flow: unknown, payload?: unknown): Promise<ExecutionResult & { view: ExecutionView }>;
  view(executionId: string): Promise<ExecutionView>;
  /** A second runtime on the same database, as after a process restart. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * In queue mode `runtime` is the producer (what the API holds) and a worker process is
 * simulated by a worker runtime on its own connections.
 */
export async function createHarness(kind: RuntimeKind): Promise<Harness> {
  const tdb = await createTestDatabase(kind === 'sqlite' ? 'sqlite' : 'postgres');
  const registry = createRegistry();
  const tenant = await new TenantRepository(tdb.db).ensure('t1', 'Tenant One', { allowPrivateNetwork: true });
  const prefix = `tq-h-${randomBytes(4).toString('hex')}`;
  let worker: QueueRuntime | null = null;
  const policy = { tenantPolicy: () => ({ allowPrivateNetwork: true }) };
  const make = async (db: Database): Promise<Runtime> => {
    if (kind !== 'queue') return new EmbeddedRuntime({ store: new SqlRunStore(db.sql), registry, pollIntervalMs: 200, ...policy });
    const queue = { redisUrl: REDIS_URL, prefix, reconcileIntervalMs: 500, reconcileGraceMs: 500, leaseMs: 3000, ...policy };
    worker = new QueueRuntime({ store: new SqlRunStore(db.sql), registry, role: 'worker', ...queue });
    await worker.start();
    return new QueueRuntime({ store: new SqlRunStore(db.sql), registry, role: 'producer', ...queue });
  };
  let db = tdb.db;
  let runtime = await make(db);
  await runtime.start();
  const flows = () => new FlowRepository(db, registry, tenant.id);
  const h: Harness = {
    tdb,
    get db() {
      return db;
    },
    get runtime() {
      return runtime;
    },
    tenantId: tenant.id,
    publish: (flow) => flows().publish(flow),
    async start(flow, payload = {}) {
      const published = await flows().publish(flow);
      const trigger = published.flow.nodes.find((n) => n.type.startsWith('trigger.'))!;
      const { executionId } = await runtime.startExecution({
        tenantId: tenant.id,
        flowId: published.flowId,
        flowVersion: published.version,
        flow: published.flow,
        trigger: trigger.id,
        payload,
        mode: 'manual',
        durable: true,
      });
      return executionId;
    },
    async run(flow, payload = {}) {
      const id = await h.start(flow, payload);
      const result = await runtime.result(id, true);
      return { ...result, view: await h.view(id) };
    },
    async view(executionId) {
      const v = await new ExecutionRepository(db, tenant.id).get(executionId);
      if (!v) throw new Error(`no execution ${executionId}`);
      return v;
    },
    async restart() {
      await runtime.stop();
      await (worker as QueueRuntime | null)?.stop();
      await db.close();
      db = await tdb.reopen();
      runtime = await make(db);
      await runtime.start();
    },
    async close() {
      await runtime.stop();
      await (worker as QueueRuntime | null)?.stop();
      await db.close();
      await tdb.drop();
      if (kind === 'queue') await flushPrefix(prefix);
    },
  };
  return h;
}

type NodeSpec = { id: string; type: string; params?: Record<string, unknown>; retry?: { max: number; backoffMs: number }; onError?: 'fail' | 'continue' };

/** flow([nodes], [[from, port, to], …]) — a valid flow document in one line. */
export function flow(nodes: NodeSpec[], edges: [string, string, string][]): unknown {
  return {
    schemaVersion: 1,
    name: 'test flow',
    nodes: nodes.map((n) => ({ params: {}, ...n })),
    edges: edges.map(([from, port, to], i) => ({ id: `e${i + 1}`, from: { node: from, port }, to: { node: to, port: 'in' } })),
  };
}

// A runtime on a real database (SQLite or PostgreSQL) with the core nodes, plus a flow
// builder, so a runtime test reads: publish a flow, run it, look at the rows.
import { EmbeddedRuntime, type ExecutionResult, type Flow } from '../../engine/index.js';
import { createRegistry } from '../../nodes/registry.js';
import { ExecutionRepository, FlowRepository, SqlRunStore, TenantRepository, type Database, type ExecutionView } from '../../db/index.js';
import { createTestDatabase, type Dialect, type TestDatabase } from './databases.js';

export interface Harness {
  tdb: TestDatabase;
  db: Database;
  runtime: EmbeddedRuntime;
  tenantId: string;
  publish(flow: unknown): Promise<{ flowId: string; version: number; flow: Flow }>;
  start(flow: unknown, payload?: unknown): Promise<string>;
  run(flow: unknown, payload?: unknown): Promise<ExecutionResult & { view: ExecutionView }>;
  view(executionId: string): Promise<ExecutionView>;
  /** A second runtime on the same database, as after a process restart. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function createHarness(dialect: Dialect): Promise<Harness> {
  const tdb = await createTestDatabase(dialect);
  const registry = createRegistry();
  const tenant = await new TenantRepository(tdb.db).ensure('t1', 'Tenant One', { allowPrivateNetwork: true });
  const make = (db: Database) =>
    new EmbeddedRuntime({ store: new SqlRunStore(db.sql), registry, pollIntervalMs: 200, tenantPolicy: () => ({ allowPrivateNetwork: true }) });
  let db = tdb.db;
  let runtime = make(db);
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
      await db.close();
      db = await tdb.reopen();
      runtime = make(db);
      await runtime.start();
    },
    async close() {
      await runtime.stop();
      await db.close();
      await tdb.drop();
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

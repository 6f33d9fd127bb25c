// Transactions, statements and driver round trips per execution of the reference flow
// (bench/reference.bench.ts) on the embedded runtime, c=1, SQLite and PostgreSQL (issue 15):
//   node --no-node-snapshot --import tsx bench/store-counts.ts
// A script (SqlExecutor.script) is one round trip; a transaction is BEGIN + statements + COMMIT.
import { EmbeddedRuntime } from '../engine/index.js';
import { createRegistry } from '../nodes/registry.js';
import { FlowRepository, SqlRunStore, TenantRepository } from '../db/index.js';
import { createTestDatabase } from '../test/helpers/databases.js';
import { REFERENCE_FLOW } from './reference.bench.js';
import { setDefaultSandboxPool } from '../nodes/code/index.js';
for (const dialect of ['sqlite', 'postgres'] as const) {
  const tdb = await createTestDatabase(dialect);
  const registry = createRegistry();
  const tenant = await new TenantRepository(tdb.db).ensure('bench', 'Bench');
  const pub = await new FlowRepository(tdb.db, registry, tenant.id).publish(REFERENCE_FLOW, { flowId: 'reference' });
  const counts = { statements: 0, transactions: 0, scripts: 0, queries: 0 };
  const sql = tdb.db.sql;
  const counted = {
    dialect: sql.dialect,
    query: (s: string, p?: unknown[]) => { counts.queries++; return sql.query(s, p); },
    transaction: <T,>(fn: (q: (s: string, p?: unknown[]) => Promise<unknown[]>) => Promise<T>) => { counts.transactions++; return sql.transaction((q) => fn((s, p) => { counts.statements++; return q(s, p) as Promise<unknown[]>; })); },
    script: (s: string) => { counts.transactions++; counts.scripts++; counts.statements += s.split(';\n').length; return sql.script(s); },
    isGuardFailure: (e: unknown) => sql.isGuardFailure(e),
    close: () => sql.close(),
  };
  const runtime = new EmbeddedRuntime({ store: new SqlRunStore(counted as never), registry });
  await runtime.start();
  const run = async (budget: string) => {
    const { executionId } = await runtime.startExecution({ tenantId: tenant.id, flowId: pub.flowId, flowVersion: pub.version, flow: pub.flow, trigger: 'hook', payload: { body: { email: 'A@B.SA', budget, source: 'ads' }, query: {}, headers: {} }, mode: 'webhook', durable: true });
    const r = await runtime.result(executionId, true);
    if (r.status !== 'succeeded') throw new Error(JSON.stringify(r));
  };
  await run('20000');
  for (const budget of ['20000', '5000']) {
    Object.assign(counts, { statements: 0, transactions: 0, scripts: 0, queries: 0 });
    for (let i = 0; i < 10; i++) await run(budget);
    console.log(dialect, budget === '5000' ? 'no-op branch' : 'code branch', 'per execution (c=1):', 'commits', counts.transactions / 10, 'of which one-round-trip scripts', counts.scripts / 10, 'statements', counts.statements / 10, 'other queries', counts.queries / 10);
  }
  await runtime.stop();
  await tdb.db.close();
  await tdb.drop();
}
await setDefaultSandboxPool(undefined);
process.exit(0);

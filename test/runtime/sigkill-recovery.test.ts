// A server killed with SIGKILL mid-execution resumes every unfinished execution on restart,
// and no step that had committed runs again (its row is untouched and its HTTP call is not
// repeated). Runs against SQLite and PostgreSQL.
import { expect } from 'chai';
import { DIALECTS, createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { startCounterServer, type CounterServer } from '../helpers/counter-server.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { flow } from '../helpers/runtime-harness.js';
import { FlowRepository, TenantRepository } from '../../db/index.js';
import { createRegistry } from '../../nodes/registry.js';
import { UserRepository } from '../../db/user-repository.js';
import { TokenService } from '../../server/auth/tokens.js';
import { parseSecretKey } from '../../server/security/secret-key.js';

const SECRET_KEY = 'ab'.repeat(32);

const EXECUTIONS = 40;

for (const dialect of DIALECTS) {
  describe(`SIGKILL recovery on ${dialect}`, function () {
    this.timeout(90_000);
    let tdb: TestDatabase;
    let counter: CounterServer;
    let server: ServerProcess | undefined;

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      tdb = await createTestDatabase(dialect);
      counter = await startCounterServer();
      const tenant = await new TenantRepository(tdb.db).ensure('demo', 'Demo', { allowPrivateNetwork: true });
      const f = flow(
        [
          { id: 'hook', type: 'trigger.webhook', params: { path: 'chaos', respond: 'immediately' } },
          { id: 'ping1', type: 'http.request', params: { url: `="${counter.url}/p1?delayMs=" & $string(body.slow) & "&id=" & body.id` } },
          { id: 'mark', type: 'data.set', params: { fields: { marked: true } } },
          { id: 'pause', type: 'time.delay', params: { seconds: 1 } },
          { id: 'ping2', type: 'http.request', params: { url: `="${counter.url}/p2?id=" & $trigger.body.id` } },
          { id: 'done', type: 'data.set', params: { fields: { id: '=$trigger.body.id' }, keepInput: false } },
        ],
        [['hook', 'out', 'ping1'], ['ping1', 'out', 'mark'], ['mark', 'out', 'pause'], ['pause', 'out', 'ping2'], ['ping2', 'out', 'done']],
      );
      await new FlowRepository(tdb.db, createRegistry(), tenant.id).publish(f, { flowId: 'chaos' });
      await tdb.db.close();
    });

    after(async () => {
      await server?.kill('SIGKILL');
      await counter?.close();
      await tdb?.drop();
    });

    it('resumes every execution and never re-runs a committed step', async () => {
      const env = { TADFUQ_DATA_DIR: tdb.dataDir, DATABASE_URL: tdb.url ?? '', TADFUQ_SECRET_KEY: SECRET_KEY };
      server = await startServerProcess(env);
      const accepted = await Promise.all(
        Array.from({ length: EXECUTIONS }, async (_, i) => {
          const res = await fetch(`${server!.origin}/hooks/demo/chaos`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ id: `x${i}`, slow: i % 3 === 0 ? 400 : 0 }),
          });
          expect(res.status).to.equal(202);
          return ((await res.json()) as { executionId: string }).executionId;
        }),
      );
      await new Promise((r) => setTimeout(r, 250));
      await server.kill('SIGKILL');

      const db = await tdb.reopen();
      const unfinishedAtKill = await db.sql.query("SELECT id FROM executions WHERE status <> 'succeeded'");
      const committed = await db.sql.query("SELECT id, node_id, attempt, finished_at, output FROM execution_steps WHERE status = 'succeeded'");
      const hitsAtKill = new Map(counter.hits);
      expect(unfinishedAtKill.length, 'executions unfinished when killed').to.be.greaterThan(0);

      server = await startServerProcess(env);
      try {
        await waitFor(async () => {
          const [row] = await db.sql.query("SELECT COUNT(*) AS n FROM executions WHERE status = 'succeeded'");
          return Number(row!.n) === EXECUTIONS;
        }, 30_000, 100);
      } catch (err) {
        const stuck = await db.sql.query("SELECT id, status, state FROM executions WHERE status <> 'succeeded' LIMIT 3");
        await db.close();
        throw new Error(`${(err as Error).message}; server stderr: ${server.stderr()}; stuck: ${JSON.stringify(stuck)}`);
      }

      // Every accepted execution finished, with each node run exactly once (read through the API as a viewer).
      const users = new UserRepository(db);
      const demo = (await new TenantRepository(db).bySlug('demo'))!;
      let viewerId = '';
      await db.sql.transaction(async (q) => {
        viewerId = await users.create({ email: `viewer-${Date.now()}@example.test`, name: 'Viewer', passwordHash: 'unused' }, q);
        await users.addMembership(demo.id, viewerId, 'viewer', q);
      });
      const token = new TokenService(parseSecretKey(SECRET_KEY)).issueAccess(viewerId, demo.id);
      for (const id of accepted) {
        const res = await fetch(`${server.origin}/api/v1/executions/${id}`, { headers: { authorization: `Bearer ${token}` } });
        const view = (await res.json()) as { status: string; steps: { node: string; status: string }[] };
        expect(view.status).to.equal('succeeded');
        expect(view.steps.map((s) => s.node)).to.deep.equal(['hook', 'ping1', 'mark', 'pause', 'ping2', 'done']);
      }
      // Committed steps were not touched again.
      for (const before of committed) {
        const [after] = await db.sql.query('SELECT attempt, finished_at, output FROM execution_steps WHERE id = $1', [before.id]);
        expect(after, String(before.id)).to.deep.equal({ attempt: before.attempt, finished_at: before.finished_at, output: before.output });
      }
      // Their HTTP calls were not repeated.
      const committedCalls = committed.filter((s) => s.node_id === 'ping1' || s.node_id === 'ping2');
      for (const step of committedCalls) {
        const url = new URL(String((JSON.parse(String(step.output)) as { body: { path: string; query: Record<string, string> } }).body.path), 'http://x');
        const key = [...counter.hits.keys()].find((k) => k.startsWith(url.pathname) && k.endsWith(`id=${JSON.parse(String(step.output)).body.query.id}`))!;
        expect(counter.hits.get(key), key).to.equal(hitsAtKill.get(key));
      }
      await db.close();
    });
  });
}

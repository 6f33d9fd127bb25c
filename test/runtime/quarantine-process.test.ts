// Quarantine with real processes (engine/README.md, "Quarantine"): a step that SIGKILLs the
// server on every run (test.kill, registered by test/helpers/crash-server-main.ts only) kills
// the first start and the two restarts that retry it; the fourth start fails the execution with
// crashed_repeatedly instead of running the step, and comes up healthy: /healthz answers, GET
// /executions/:id shows the failure with the node id, and other executions run. SQLite (the
// in-process suite, quarantine.test.ts, covers PostgreSQL too).
import { expect } from 'chai';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { flow } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { crashNodeTypes } from '../helpers/crash-nodes.js';
import { FlowRepository, TenantRepository, type Database } from '../../db/index.js';
import { NodeRegistry } from '../../engine/index.js';
import { coreNodes } from '../../nodes/registry.js';
import { UserRepository } from '../../db/user-repository.js';
import { TokenService } from '../../server/auth/tokens.js';
import { parseSecretKey } from '../../server/security/secret-key.js';

const SECRET_KEY = 'ef'.repeat(32);
const ENTRY = 'test/helpers/crash-server-main.ts';

describe('quarantine of an execution whose step SIGKILLs the server (SQLite, real processes)', function () {
  this.timeout(90_000);
  let tdb: TestDatabase;
  let server: ServerProcess | undefined;
  let env: Record<string, string>;
  let killLog: string;

  before(async () => {
    tdb = await createTestDatabase('sqlite');
    const tenant = await new TenantRepository(tdb.db).ensure('demo', 'Demo');
    const flows = new FlowRepository(tdb.db, new NodeRegistry([...coreNodes, ...crashNodeTypes]), tenant.id);
    await flows.publish(
      flow(
        [
          { id: 'hook', type: 'trigger.webhook', params: { path: 'boom', respond: 'immediately' } },
          { id: 'prep', type: 'data.set', params: { fields: { prepared: true } } },
          { id: 'boom', type: 'test.kill' },
        ],
        [['hook', 'out', 'prep'], ['prep', 'out', 'boom']],
      ),
      { flowId: 'boom' },
    );
    await flows.publish(
      flow(
        [
          { id: 'hook', type: 'trigger.webhook', params: { path: 'fine', respond: 'onFinish' } },
          { id: 'set', type: 'data.set', params: { fields: { fine: true } } },
        ],
        [['hook', 'out', 'set']],
      ),
      { flowId: 'fine' },
    );
    await tdb.db.close();
    killLog = path.join(mkdtempSync(path.join(os.tmpdir(), 'tadfuq-kills-')), 'kills.log');
    env = { TADFUQ_DATA_DIR: tdb.dataDir, TADFUQ_SECRET_KEY: SECRET_KEY, TEST_KILL_LOG: killLog };
  });

  after(async () => {
    await server?.kill('SIGKILL');
    await tdb?.drop();
  });

  const kills = (): number => (existsSync(killLog) ? readFileSync(killLog, 'utf8').split('\n').filter(Boolean).length : 0);

  /** A start that the resumed execution kills: before or after it reports being up. */
  async function startThatDies(): Promise<void> {
    const before = kills();
    try {
      server = await startServerProcess(env, ENTRY);
      const child = server.child;
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
      expect(server.child.signalCode).to.equal('SIGKILL');
    } catch (err) {
      expect(String(err)).to.match(/server exited \(SIGKILL\)/);
    }
    expect(kills(), 'runs of the killing step').to.equal(before + 1);
  }

  it('kills three starts, then fails the execution with crashed_repeatedly and stays healthy', async () => {
    // Start 1: the webhook's execution kills the server (the answer may or may not get out first).
    server = await startServerProcess(env, ENTRY);
    const dead = new Promise((r) => server!.child.once('exit', r));
    await fetch(`${server.origin}/hooks/demo/boom`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => undefined);
    await dead;
    expect(kills()).to.equal(1);

    // Starts 2 and 3 resume it, and die the same way.
    await startThatDies();
    await startThatDies();

    // Start 4 quarantines it without running the step, and serves.
    server = await startServerProcess(env, ENTRY);
    expect((await fetch(`${server.origin}/healthz`)).status).to.equal(200);
    const db: Database = await tdb.reopen();
    try {
      const [row] = await waitFor(async () => {
        const rows = await db.sql.query("SELECT id, status FROM executions WHERE flow_id = 'boom' AND status = 'failed'");
        return rows.length ? rows : null;
      }, 10_000, 50);
      const demo = (await new TenantRepository(db).bySlug('demo'))!;
      const users = new UserRepository(db);
      let viewerId = '';
      await db.sql.transaction(async (q) => {
        viewerId = await users.create({ email: `viewer-${Date.now()}@example.test`, name: 'Viewer', passwordHash: 'unused' }, q);
        await users.addMembership(demo.id, viewerId, 'viewer', q);
      });
      const token = new TokenService(parseSecretKey(SECRET_KEY)).issueAccess(viewerId, demo.id);
      const res = await fetch(`${server.origin}/api/v1/executions/${String(row!.id)}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).to.equal(200);
      const view = (await res.json()) as { status: string; error: { code: string; node?: string; message: string }; steps: { node: string; status: string; error: { code: string } | null }[] };
      expect(view.status).to.equal('failed');
      expect(view.error).to.include({ code: 'crashed_repeatedly', node: 'boom' });
      expect(view.steps.map((s) => [s.node, s.status])).to.deep.equal([
        ['hook', 'succeeded'],
        ['prep', 'succeeded'],
        ['boom', 'failed'],
      ]);
      expect(kills(), 'the step ran on the first start and two retries only').to.equal(3);

      // Other executions run.
      const fine = await fetch(`${server.origin}/hooks/demo/fine`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
      expect(fine.status).to.equal(200);
      expect(await fine.json()).to.deep.include({ fine: true });
      expect(server.child.exitCode).to.equal(null);
    } finally {
      await db.close();
    }
  });
});

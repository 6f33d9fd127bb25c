// Hostile expressions against the real server (a child process on embedded SQLite): every case
// in params (data.set), conditions (logic.if), templates (send.whatsapp text) and event filters
// (trigger.event) is stopped by its budget with its own code, while /healthz keeps answering
// fast for everyone; a SIGKILL in the middle of a hostile run and a restart come up healthy.
import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { flow } from '../helpers/runtime-harness.js';
import { FlowRepository, TenantRepository } from '../../db/index.js';
import { UserRepository } from '../../db/user-repository.js';
import { createRegistry } from '../../nodes/registry.js';
import { TokenService } from '../../server/auth/tokens.js';
import { parseSecretKey } from '../../server/security/secret-key.js';
import { HOSTILE_CASES, type HostileCase } from '../engine/hostile-expressions.js';

const SECRET_KEY = 'cd'.repeat(32);
type Placement = 'params' | 'condition' | 'template';
const PLACEMENTS: Placement[] = ['params', 'condition', 'template'];

function hostileFlow(placement: Placement, path: string, source: string): unknown {
  const hook = { id: 'hook', type: 'trigger.webhook', params: { path, respond: 'immediately' } };
  const expr = `=${source}`;
  if (placement === 'params') return flow([hook, { id: 'set', type: 'data.set', params: { fields: { x: expr } } }], [['hook', 'out', 'set']]);
  if (placement === 'condition') return flow([hook, { id: 'check', type: 'logic.if', params: { condition: expr } }], [['hook', 'out', 'check']]);
  return flow([hook, { id: 'send', type: 'send.whatsapp', params: { purpose: 'transactional', text: expr } }], [['hook', 'out', 'send']]);
}

const NODE_OF: Record<Placement, string> = { params: 'set', condition: 'check', template: 'send' };

/** What a stopped case may end with: its own code, or the time limit when the machine is slow. */
function acceptable(c: HostileCase): string[] {
  return c.code === 'ok' ? ['ok', 'expression_timeout'] : [c.code, 'expression_timeout'];
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0;
}

describe('hostile expressions against a live server', function () {
  this.timeout(180_000);
  let tdb: TestDatabase;
  let server: ServerProcess | undefined;
  let token = '';
  let env: Record<string, string>;

  before(async () => {
    tdb = await createTestDatabase('sqlite');
    const tenant = await new TenantRepository(tdb.db).ensure('demo', 'Demo', {});
    const flows = new FlowRepository(tdb.db, createRegistry(), tenant.id);
    for (const [i, c] of HOSTILE_CASES.entries()) {
      for (const placement of PLACEMENTS) await flows.publish(hostileFlow(placement, `${placement}-${i}`, c.source) as never, { flowId: `${placement}-${i}` });
      const filter = flow([{ id: 'on', type: 'trigger.event', params: { event: `hostile.${i}`, filter: `=${c.source}` } }, { id: 'set', type: 'data.set', params: { fields: { y: 1 } } }], [['on', 'out', 'set']]);
      await flows.publish(filter as never, { flowId: `filter-${i}` });
    }
    const users = new UserRepository(tdb.db);
    let adminId = '';
    await tdb.db.sql.transaction(async (q) => {
      adminId = await users.create({ email: 'admin@hostile.test', name: 'Admin', passwordHash: 'unused' }, q);
      await users.addMembership(tenant.id, adminId, 'admin', q);
    });
    token = new TokenService(parseSecretKey(SECRET_KEY)).issueAccess(adminId, tenant.id);
    await tdb.db.close();
    env = { TADFUQ_DATA_DIR: tdb.dataDir, TADFUQ_SECRET_KEY: SECRET_KEY };
    server = await startServerProcess(env);
  });

  after(async () => {
    await server?.kill('SIGKILL');
    await tdb?.drop();
  });

  const api = async (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${server!.origin}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });

  async function execution(id: string): Promise<{ status: string; error: { code: string; node?: string; path?: string } | null }> {
    return waitFor(async () => {
      const res = await api(`/api/v1/executions/${id}`);
      if (res.status !== 200) return null;
      const view = (await res.json()) as { status: string; error: { code: string; node?: string; path?: string } | null };
      return ['succeeded', 'failed', 'waiting', 'cancelled'].includes(view.status) ? view : null;
    }, 30_000, 25);
  }

  it('stops every case with its code while /healthz stays fast', async () => {
    // The bar is relative to this machine now: /healthz's p99 with nothing running, measured
    // first, so a busy machine (other suites, other jobs) does not fail a server that is fine.
    // Before the budget, one case held /healthz for 3.6 to 13.8 s.
    const baseline: number[] = [];
    for (let i = 0; i < 60; i++) {
      const started = performance.now();
      await (await fetch(`${server!.origin}/healthz`)).arrayBuffer();
      baseline.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 10));
    }
    const latencies: number[] = [];
    let current = '';
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const started = performance.now();
        const res = await fetch(`${server!.origin}/healthz`);
        await res.arrayBuffer();
        expect(res.status).to.equal(200);
        latencies.push(performance.now() - started);
        if (process.env.HOSTILE_DEBUG && performance.now() - started > 50) console.log('slow healthz', (performance.now() - started).toFixed(0), current);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const wrong: string[] = [];
    try {
      for (const [i, c] of HOSTILE_CASES.entries()) {
        current = c.name;
        // The three webhook placements of a case run at once; cases one after another.
        await Promise.all(
          PLACEMENTS.map(async (placement) => {
            const res = await fetch(`${server!.origin}/hooks/demo/${placement}-${i}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"lead":"سارة"}' });
            expect(res.status, `${placement} ${c.name}`).to.equal(202);
            const { executionId } = (await res.json()) as { executionId: string };
            const view = await execution(executionId);
            const code = view.error?.code ?? 'ok';
            if (c.code === 'ok' && placement === 'template') {
              // The text resolved; the send itself fails later for its own reasons (no contact).
              if (code.startsWith('expression_') && code !== 'expression_timeout') wrong.push(`${placement} ${c.name}: ${code}`);
              return;
            }
            if (!acceptable(c).includes(code)) wrong.push(`${placement} ${c.name}: ${code} (${view.status})`);
            if (code !== 'ok') {
              expect(view.error?.node, `${placement} ${c.name}`).to.equal(NODE_OF[placement]);
              expect(view.error?.path ?? '', `${placement} ${c.name}`).to.match(/^\/params\//);
            }
          }),
        );
        // The event filter: a failing filter starts nothing, and the server says why in its log.
        const res = await api('/api/v1/events', { method: 'POST', body: JSON.stringify({ id: `evt-${i}`, type: `hostile.${i}`, data: { lead: 'سارة' } }) });
        expect(res.status, `filter ${c.name}`).to.be.oneOf([200, 201, 202]);
        const answer = (await res.json()) as { started: unknown[] };
        if (c.code !== 'ok') expect(answer.started, `filter ${c.name}`).to.deep.equal([]);
      }
    } finally {
      probing = false;
      await probe;
    }
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
    const filterFailures = (server!.stdout().match(/event filter failed/g) ?? []).length;
    expect(filterFailures).to.be.at.least(HOSTILE_CASES.filter((c) => c.code !== 'ok').length);
    expect(latencies.length).to.be.greaterThan(50);
    const bar = Math.max(100, 4 * p99(baseline));
    expect(p99(latencies), `healthz p99 over ${latencies.length} probes (idle p99 ${p99(baseline).toFixed(1)} ms)`).to.be.below(bar);
    expect(Math.max(...latencies), 'the slowest /healthz').to.be.below(Math.max(1000, 10 * p99(baseline)));
  });

  it('comes up healthy after a SIGKILL in the middle of hostile runs', async () => {
    const recursion = HOSTILE_CASES.findIndex((c) => c.name === 'unbounded tail recursion');
    const ids = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const res = await fetch(`${server!.origin}/hooks/demo/params-${recursion}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        return ((await res.json()) as { executionId: string }).executionId;
      }),
    );
    await new Promise((r) => setTimeout(r, 40));
    await server!.kill('SIGKILL');
    server = await startServerProcess(env);
    const started = performance.now();
    expect((await fetch(`${server.origin}/healthz`)).status).to.equal(200);
    for (const id of ids) {
      const view = await execution(id);
      expect(view.status).to.equal('failed');
      expect(view.error?.code).to.be.oneOf(['expression_timeout', 'crashed_repeatedly']);
    }
    expect(performance.now() - started).to.be.below(30_000);
  });
});

// The executions API: list (filters, cursor pages), detail, cancel, replay from a failed or
// cancelled step (same or edited input), retention pruning (manual and the periodic pass),
// permissions and tenant scoping. Runs on SQLite and on PostgreSQL (the list and pruning SQL
// differ most between them).
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RequestListener } from 'node:http';
import { createContext, type AppContext } from '../../server/app-context.js';
import { assertContract, checkedApp } from '../helpers/contract.js';
import { loadConfig } from '../../server/config.js';
import type { ExecutionView, Tenant } from '../../db/index.js';
import { pruneExecutions } from '../../db/execution-pruner.js';
import { startRetentionPruning } from '../../server/retention/retention-pruning.js';
import { flow } from '../helpers/runtime-harness.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { DIALECTS, createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { startCounterServer, type CounterServer } from '../helpers/counter-server.js';

const DAY = 24 * 60 * 60 * 1000;

interface Item {
  id: string;
  flowId: string;
  flowVersion: number;
  status: string;
  mode: string;
  subject: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  error: { code: string; message: string; node: string | null } | null;
  replayOf: string | null;
}

interface Planted {
  id: string;
  tenantId: string;
  flowId?: string;
  status: string;
  mode?: string;
  subject?: string | null;
  startedAt: number;
  finishedAt?: number | null;
  error?: unknown;
  steps?: number;
  wait?: boolean;
}

for (const dialect of DIALECTS) {
  describe(`executions API (${dialect})`, function () {
    this.timeout(30_000);
    let tdb: TestDatabase | undefined;
    let dataDir: string;
    let ctx: AppContext;
    let app: RequestListener;
    let server: CounterServer;
    let acme: Tenant;
    let other: Tenant;
    let lister: Tenant;
    let pruner: Tenant;
    let manager: TestMember;
    let viewer: TestMember;
    let outsider: TestMember;

    /** Rows written straight to the tables: list and pruning read nothing else. */
    async function plant(...rows: Planted[]): Promise<void> {
      await ctx.db.sql.transaction(async (q) => {
        for (const p of rows) {
          await q(
            'INSERT INTO executions (id, tenant_id, flow_id, flow_version, status, mode, subject, state, output, error, started_at, finished_at, updated_at, rev) VALUES ($1, $2, $3, 1, $4, $5, $6, $7, NULL, $8, $9, $10, $9, 1)',
            [p.id, p.tenantId, p.flowId ?? 'planted', p.status, p.mode ?? 'manual', p.subject ?? null, '{}', p.error === undefined ? null : JSON.stringify(p.error), p.startedAt, p.finishedAt ?? null],
          );
          for (let seq = 0; seq < (p.steps ?? 0); seq++) {
            await q(
              "INSERT INTO execution_steps (id, tenant_id, execution_id, seq, node_id, node_type, attempt, status, port, input, output, started_at, finished_at) VALUES ($1, $2, $3, $4, $5, 'data.set', 1, 'succeeded', 'out', '{}', '{}', $6, $6)",
              [`${p.id}:${seq}`, p.tenantId, p.id, seq, `n${seq}`, p.startedAt],
            );
          }
          // Event waits without a due time: the runtime's poller never picks them up.
          if (p.wait) await q("INSERT INTO waits (id, tenant_id, execution_id, seq, kind, due_at, event, correlation) VALUES ($1, $2, $3, 0, 'event', NULL, 'reply', $3)", [`${p.id}:0`, p.tenantId, p.id]);
        }
      });
    }

    async function count(table: 'executions' | 'execution_steps' | 'waits', column: string, ids: string[]): Promise<number> {
      const rows = await ctx.db.sql.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} IN (${ids.map((_, i) => `$${i + 1}`).join(',')})`, ids);
      return Number(rows[0]!.n);
    }

    async function hook(hookPath: string, body: unknown): Promise<string> {
      const res = await request(app).post(`/hooks/acme/${hookPath}`).send(body as object).expect(202);
      return res.body.executionId as string;
    }

    async function view(id: string, member = manager): Promise<ExecutionView> {
      return (await request(app).get(`/api/v1/executions/${id}`).set(member.headers).expect(200)).body as ExecutionView;
    }

    before(async function () {
      if (dialect === 'postgres') {
        await requirePostgres(this);
        tdb = await createTestDatabase('postgres');
        await tdb.db.close();
      }
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-executions-api-'));
      ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: tdb?.url ?? '' }), pino({ level: 'silent' }));
      server = await startCounterServer();
      // Loopback calls to the counter server need the tenant's private-network permission.
      acme = await ctx.tenants.ensure('acme', 'Acme', { allowPrivateNetwork: true });
      ctx.tenantSettings.set(acme.id, acme.settings);
      other = await ctx.tenants.ensure('other', 'Other');
      lister = await ctx.tenants.ensure('lister', 'Lister');
      pruner = await ctx.tenants.ensure('pruner', 'Pruner');
      manager = await addMember(ctx, acme.id, 'manager');
      viewer = await addMember(ctx, acme.id, 'viewer');
      outsider = await addMember(ctx, other.id, 'owner');
      await ctx.runtime.start();
      app = checkedApp(ctx);

      const flows = ctx.flows(acme.id);
      const webhook = (p: string) => ({ id: 'hook', type: 'trigger.webhook', params: { path: p, method: 'POST', respond: 'immediately' } });
      await flows.publish(flow([webhook('sleepy'), { id: 'nap', type: 'time.delay', params: { seconds: 3600 } }], [['hook', 'out', 'nap']]), { flowId: 'sleepy-flow' });
      // hook → who → call1 (/first) → call2 (/second?who=…) → done
      await flows.publish(
        flow(
          [
            webhook('replay-me'),
            { id: 'who', type: 'data.set', params: { fields: { who: '=body.who' }, keepInput: false } },
            { id: 'call1', type: 'http.request', params: { url: `${server.url}/first` } },
            { id: 'call2', type: 'http.request', params: { url: `="${server.url}/second?who=" & $nodes.who.output.who` } },
            { id: 'done', type: 'data.set', params: { fields: { who: '=$nodes.who.output.who', second: '=body.query.who', firstHit: '=$nodes.call1.output.body.hit' }, keepInput: false } },
          ],
          [['hook', 'out', 'who'], ['who', 'out', 'call1'], ['call1', 'out', 'call2'], ['call2', 'out', 'done']],
        ),
        { flowId: 'replay-flow' },
      );
    });

    after(async () => {
      await ctx?.close();
      await server?.close();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
      await tdb?.drop();
      assertContract(app);
    });

    describe('list', () => {
      // Recent: the periodic retention pass below must not take them.
      const T = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 60 * 60_000;
      const rows: Planted[] = [];
      const STATUSES = ['succeeded', 'failed', 'waiting', 'cancelled', 'running'];

      before(async () => {
        // 23 executions; every third shares its start time with the next (the id breaks ties).
        for (let i = 0; i < 23; i++) {
          const startedAt = T + Math.floor(i / 2) * 60_000;
          const status = STATUSES[i % STATUSES.length]!;
          const terminal = ['succeeded', 'failed', 'cancelled'].includes(status);
          rows.push({
            id: `l${String(i).padStart(3, '0')}`,
            tenantId: lister.id,
            flowId: i % 3 === 0 ? 'flow-a' : 'flow-b',
            status,
            mode: i % 4 === 0 ? 'schedule' : 'webhook',
            subject: i % 5 === 0 ? 'lead-7' : null,
            startedAt,
            finishedAt: terminal ? startedAt + 1500 : null,
            ...(status === 'failed' ? { error: { code: 'http_500', message: 'HTTP 500', node: 'call' } } : {}),
          });
        }
        await plant(...rows, { id: 'other-1', tenantId: other.id, status: 'succeeded', startedAt: T, finishedAt: T + 1 });
      });

      const newestFirst = (list: Planted[]): string[] => [...list].sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1)).map((r) => r.id);

      async function walk(member: TestMember, query: Record<string, string | number>): Promise<{ ids: string[]; pages: number; items: Item[] }> {
        const items: Item[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const res = await request(app)
            .get('/api/v1/executions')
            .query({ ...query, ...(cursor ? { cursor } : {}) })
            .set(member.headers)
            .expect(200);
          items.push(...(res.body.items as Item[]));
          cursor = res.body.nextCursor as string | null;
          pages++;
          if (pages > 50) throw new Error('the cursor walk does not end');
        } while (cursor);
        return { ids: items.map((i) => i.id), pages, items };
      }

      it('walks every execution of the tenant newest first, in pages, without skipping or repeating', async () => {
        const member = await addMember(ctx, lister.id, 'viewer');
        const { ids, pages } = await walk(member, { limit: 5 });
        expect(ids).to.deep.equal(newestFirst(rows));
        expect(pages).to.equal(5);
        expect(new Set(ids).size).to.equal(23);
      });

      it('answers items without steps, with the error summarised', async () => {
        const member = await addMember(ctx, lister.id, 'viewer');
        const res = await request(app).get('/api/v1/executions').query({ status: 'failed', limit: 1 }).set(member.headers).expect(200);
        const failed = rows.filter((r) => r.status === 'failed');
        const newest = failed.find((r) => r.id === newestFirst(failed)[0])!;
        expect(res.body.items).to.deep.equal([
          {
            id: newest.id,
            flowId: newest.flowId,
            flowVersion: 1,
            status: 'failed',
            mode: newest.mode,
            subject: newest.subject ?? null,
            startedAt: new Date(newest.startedAt).toISOString(),
            finishedAt: new Date(newest.startedAt + 1500).toISOString(),
            durationMs: 1500,
            error: { code: 'http_500', message: 'HTTP 500', node: 'call' },
            replayOf: null,
          },
        ]);
        expect(res.body.nextCursor).to.be.a('string');
      });

      it('filters by flow, status list, subject, mode and start time, also across pages', async () => {
        const member = await addMember(ctx, lister.id, 'manager');
        const cases: [Record<string, string | number>, (r: Planted) => boolean][] = [
          [{ flowId: 'flow-a' }, (r) => r.flowId === 'flow-a'],
          [{ status: 'failed,cancelled' }, (r) => r.status === 'failed' || r.status === 'cancelled'],
          [{ status: 'waiting' }, (r) => r.status === 'waiting'],
          [{ subject: 'lead-7' }, (r) => r.subject === 'lead-7'],
          [{ mode: 'schedule' }, (r) => r.mode === 'schedule'],
          [{ from: new Date(T + 3 * 60_000).toISOString(), to: new Date(T + 8 * 60_000).toISOString() }, (r) => r.startedAt >= T + 3 * 60_000 && r.startedAt < T + 8 * 60_000],
          [{ flowId: 'flow-b', status: 'succeeded,failed', mode: 'webhook' }, (r) => r.flowId === 'flow-b' && ['succeeded', 'failed'].includes(r.status) && r.mode === 'webhook'],
          [{ flowId: 'nope' }, () => false],
        ];
        for (const [query, keep] of cases) {
          const expected = newestFirst(rows.filter(keep));
          const { ids } = await walk(member, { ...query, limit: 2 });
          expect(ids, JSON.stringify(query)).to.deep.equal(expected);
          if (JSON.stringify(query) !== '{"flowId":"nope"}') expect(expected.length, JSON.stringify(query)).to.be.greaterThan(0);
        }
      });

      it('never shows another tenant’s executions', async () => {
        const { ids } = await walk(outsider, { flowId: 'planted', limit: 200 });
        expect(ids).to.deep.equal(['other-1']);
        const member = await addMember(ctx, lister.id, 'viewer');
        expect((await walk(member, { limit: 200 })).ids).to.not.include('other-1');
      });

      it('rejects a malformed cursor, a bad status and an out-of-range limit with 400 naming the parameter', async () => {
        const member = await addMember(ctx, lister.id, 'viewer');
        const forged = Buffer.from(JSON.stringify(['x', 1])).toString('base64url');
        for (const cursor of ['not a cursor!', forged, 'e30']) {
          const res = await request(app).get('/api/v1/executions').query({ cursor }).set(member.headers).expect(400);
          expect(res.body.error.details.map((d: { path: string }) => d.path), cursor).to.deep.equal(['/query/cursor']);
        }
        const bad = await request(app).get('/api/v1/executions').query({ status: 'failed,done', limit: 201 }).set(member.headers).expect(400);
        expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).to.deep.equal(['/query/limit', '/query/status']);
      });
    });

    describe('cancel', () => {
      it('cancels a waiting execution: viewers may read it but not cancel, other tenants get 404', async () => {
        const id = await hook('sleepy', {});
        const suspended = await ctx.runtime.result(id, false, 10_000);
        expect(suspended.status).to.equal('waiting');
        expect(await count('waits', 'execution_id', [id])).to.equal(1);

        expect((await view(id, viewer)).status).to.equal('waiting');
        const forbidden = await request(app).post(`/api/v1/executions/${id}/cancel`).set(viewer.headers).expect(403);
        expect(forbidden.body.error.code).to.equal('forbidden');
        await request(app).post(`/api/v1/executions/${id}/cancel`).set(outsider.headers).expect(404);
        await request(app).get(`/api/v1/executions/${id}`).set(outsider.headers).expect(404);
        expect((await view(id)).status, 'refused cancels change nothing').to.equal('waiting');

        const res = await request(app).post(`/api/v1/executions/${id}/cancel`).set(manager.headers).expect(200);
        expect(res.body).to.deep.equal({ id, status: 'cancelled' });
        const after = await view(id);
        expect(after.status).to.equal('cancelled');
        expect(after.steps.find((s) => s.node === 'nap')?.status).to.equal('cancelled');
        expect(await count('waits', 'execution_id', [id]), 'its wait is cleared').to.equal(0);

        const again = await request(app).post(`/api/v1/executions/${id}/cancel`).set(manager.headers).expect(409);
        expect(again.body.error.code).to.equal('execution_finished');
        const audit = await ctx.audit(acme.id).list({ limit: 100, action: 'execution.cancel' });
        expect(audit.map((a) => [a.target, a.actor])).to.deep.equal([[id, `user:${manager.userId}`]]);
      });

      it('404 for an unknown execution', async () => {
        await request(app).post('/api/v1/executions/no-such-id/cancel').set(manager.headers).expect(404);
      });
    });

    describe('replay', () => {
      let original: string;

      async function finished(id: string): Promise<ExecutionView> {
        const r = await ctx.runtime.result(id, true, 10_000);
        expect(['succeeded', 'failed', 'cancelled'], `${id} finished`).to.include(r.status);
        return view(id);
      }

      before(async () => {
        server.failures.set('/second', [500]);
        original = await hook('replay-me', { who: 'sara' });
        const v = await finished(original);
        expect(v.status).to.equal('failed');
        expect(v.error?.node).to.equal('call2');
        expect(server.hits.get('/first')).to.equal(1);
        expect(server.hits.get('/second?who=sara')).to.equal(1);
      });

      it('replays from the failed step with the same input: earlier steps are reused, not run again', async () => {
        const res = await request(app).post(`/api/v1/executions/${original}/replay`).set(manager.headers).send({}).expect(201);
        const id = res.body.executionId as string;
        expect(id).to.be.a('string').and.not.equal(original);
        const v = await finished(id);
        expect(v).to.include({ status: 'succeeded', mode: 'replay', replayOf: original, flowId: 'replay-flow', flowVersion: 1 });
        expect(server.hits.get('/first'), 'call1 is not called again').to.equal(1);
        expect(server.hits.get('/second?who=sara')).to.equal(2);
        expect(v.output).to.deep.equal({ who: 'sara', second: 'sara', firstHit: 1 });
        const before = await view(original);
        expect(v.steps.map((s) => [s.node, s.status])).to.deep.equal([
          ['hook', 'succeeded'],
          ['who', 'succeeded'],
          ['call1', 'succeeded'],
          ['call2', 'succeeded'],
          ['done', 'succeeded'],
        ]);
        expect(v.steps.slice(0, 3).map((s) => s.output), 'reused outputs').to.deep.equal(before.steps.slice(0, 3).map((s) => s.output));
        expect(before.status, 'the original stays failed').to.equal('failed');
        const audit = await ctx.audit(acme.id).list({ limit: 100, action: 'execution.replay' });
        expect(audit[0]).to.include({ target: id, actor: `user:${manager.userId}` });
        expect(audit[0]!.details).to.deep.equal({ replayOf: original, fromStep: `${original}:3`, node: 'call2', inputEdited: false });
      });

      it('replays a named step with an edited input', async () => {
        const res = await request(app)
          .post(`/api/v1/executions/${original}/replay`)
          .set(manager.headers)
          .send({ fromStep: `${original}:3`, input: { status: 200, body: { edited: true } } })
          .expect(201);
        const v = await finished(res.body.executionId as string);
        expect(v.status).to.equal('succeeded');
        expect(v.steps.find((s) => s.node === 'call2')?.input).to.deep.equal({ status: 200, body: { edited: true } });
        expect(server.hits.get('/first')).to.equal(1);
        expect(server.hits.get('/second?who=sara')).to.equal(3);

        // By node id, from an earlier step: the edited input changes what follows.
        const byNode = await request(app).post(`/api/v1/executions/${original}/replay`).set(manager.headers).send({ fromStep: 'who', input: { body: { who: 'noura' } } }).expect(201);
        const w = await finished(byNode.body.executionId as string);
        expect(w.status).to.equal('succeeded');
        expect(w.output).to.deep.equal({ who: 'noura', second: 'noura', firstHit: 2 });
        expect(server.hits.get('/second?who=noura')).to.equal(1);
        expect(server.hits.get('/first'), 'call1 runs again when the replay starts before it').to.equal(2);
        const audit = await ctx.audit(acme.id).list({ limit: 1, action: 'execution.replay' });
        expect(audit[0]!.details).to.include({ fromStep: `${original}:1`, node: 'who', inputEdited: true });
      });

      it('refuses to replay a succeeded execution (409), an unknown step (400), and other tenants’ executions (404); viewers may not (403)', async () => {
        const replays = await request(app).get('/api/v1/executions').query({ mode: 'replay', status: 'succeeded' }).set(viewer.headers).expect(200);
        const succeeded = (replays.body.items as Item[])[0]!;
        expect(succeeded.replayOf).to.equal(original);
        const conflict = await request(app).post(`/api/v1/executions/${succeeded.id}/replay`).set(manager.headers).send({}).expect(409);
        expect(conflict.body.error.code).to.equal('not_replayable');

        const unknown = await request(app).post(`/api/v1/executions/${original}/replay`).set(manager.headers).send({ fromStep: 'nowhere' }).expect(400);
        expect(unknown.body.error.details).to.deep.equal([{ path: '/body/fromStep', code: 'unknown_step', message: unknown.body.error.details[0].message }]);
        await request(app).post(`/api/v1/executions/${original}/replay`).set(outsider.headers).send({}).expect(404);
        await request(app).post(`/api/v1/executions/${original}/replay`).set(viewer.headers).send({}).expect(403);
        const extra = await request(app).post(`/api/v1/executions/${original}/replay`).set(manager.headers).send({ from: 'x' }).expect(400);
        expect(extra.body.error.details[0].path).to.equal('/body/from');

        const before = await request(app).get('/api/v1/executions').query({ mode: 'replay', limit: 200 }).set(manager.headers).expect(200);
        expect((before.body.items as Item[]).length, 'refused replays start nothing').to.equal(3);
      });

      it('replays a cancelled execution from the step the cancellation interrupted', async () => {
        const id = await hook('sleepy', {});
        expect((await ctx.runtime.result(id, false, 10_000)).status).to.equal('waiting');
        await request(app).post(`/api/v1/executions/${id}/cancel`).set(manager.headers).expect(200);
        const res = await request(app).post(`/api/v1/executions/${id}/replay`).set(manager.headers).send({}).expect(201);
        const replay = res.body.executionId as string;
        expect((await ctx.runtime.result(replay, false, 10_000)).status).to.equal('waiting');
        const v = await view(replay);
        expect(v.replayOf).to.equal(id);
        expect(v.steps.map((s) => [s.node, s.status])).to.deep.equal([
          ['hook', 'succeeded'],
          ['nap', 'waiting'],
        ]);
        await request(app).post(`/api/v1/executions/${replay}/cancel`).set(manager.headers).expect(200);
      });
    });

    describe('retention', () => {
      const now = Date.now();
      const old = (id: string, tenantId: string, status: string, extra: Partial<Planted> = {}): Planted => ({ id, tenantId, status, startedAt: now - 41 * DAY, finishedAt: now - 40 * DAY, steps: 2, ...extra });

      it('prunes only terminal executions finished before the retention period, with their steps and waits', async () => {
        const owner = await addMember(ctx, pruner.id, 'owner');
        const doomed = [old('p-ok', pruner.id, 'succeeded', { wait: true }), old('p-failed', pruner.id, 'failed'), old('p-cancelled', pruner.id, 'cancelled')];
        const kept = [
          old('p-waiting', pruner.id, 'waiting', { finishedAt: null, wait: true }),
          old('p-running', pruner.id, 'running', { finishedAt: null }),
          old('p-queued', pruner.id, 'queued', { finishedAt: null }),
          // Never happens, but the delete itself re-checks the status.
          old('p-odd', pruner.id, 'waiting', { finishedAt: now - 40 * DAY }),
          old('p-recent', pruner.id, 'succeeded', { finishedAt: now - 2 * DAY }),
          old('p-other', other.id, 'succeeded'),
        ];
        await plant(...doomed, ...kept);
        const doomedIds = doomed.map((d) => d.id);
        const keptIds = kept.map((k) => k.id);

        const manager2 = await addMember(ctx, pruner.id, 'manager');
        await request(app).post('/api/v1/executions/prune').set(manager2.headers).send({}).expect(403);

        const res = await request(app).post('/api/v1/executions/prune').set(owner.headers).send({}).expect(200);
        expect(res.body).to.deep.equal({ deleted: 3, olderThanDays: 30 });
        expect(await count('executions', 'id', doomedIds)).to.equal(0);
        expect(await count('execution_steps', 'execution_id', doomedIds)).to.equal(0);
        expect(await count('waits', 'execution_id', doomedIds)).to.equal(0);
        expect(await count('executions', 'id', keptIds)).to.equal(kept.length);
        expect(await count('execution_steps', 'execution_id', keptIds)).to.equal(kept.length * 2);
        expect(await count('waits', 'execution_id', keptIds)).to.equal(1);

        // An explicit period: the recent one goes too; the unfinished ones never do.
        const all = await request(app).post('/api/v1/executions/prune').set(owner.headers).send({ olderThanDays: 1 }).expect(200);
        expect(all.body).to.deep.equal({ deleted: 1, olderThanDays: 1 });
        expect(await count('executions', 'id', ['p-recent'])).to.equal(0);
        expect(await count('executions', 'id', ['p-waiting', 'p-running', 'p-queued', 'p-odd', 'p-other'])).to.equal(5);

        const audit = await ctx.audit(pruner.id).list({ limit: 10, action: 'executions.prune' });
        expect(audit.map((a) => a.details)).to.deep.equal([
          { olderThanDays: 1, deleted: 1 },
          { olderThanDays: 30, deleted: 3 },
        ]);
        const bad = await request(app).post('/api/v1/executions/prune').set(owner.headers).send({ olderThanDays: -1 }).expect(400);
        expect(bad.body.error.details[0].path).to.equal('/body/olderThanDays');
      });

      it('follows the tenant’s retentionDays setting', async () => {
        // Keeps 60 days (the periodic pass below must leave r-40 alone too).
        const keeper = await ctx.tenants.ensure('keeper', 'Keeper', { retentionDays: 60 } as Tenant['settings']);
        const owner = await addMember(ctx, keeper.id, 'owner');
        await plant(old('r-40', keeper.id, 'succeeded'), old('r-70', keeper.id, 'failed', { finishedAt: now - 70 * DAY }));
        const res = await request(app).post('/api/v1/executions/prune').set(owner.headers).send({}).expect(200);
        expect(res.body).to.deep.equal({ deleted: 1, olderThanDays: 60 });
        expect(await count('executions', 'id', ['r-40'])).to.equal(1);
        expect(await count('executions', 'id', ['r-70'])).to.equal(0);
      });

      it('deletes in batches, one transaction each, until none is left', async () => {
        const batcher = await ctx.tenants.ensure('batcher', 'Batcher');
        const many = Array.from({ length: 7 }, (_, i) => old(`b-${i}`, batcher.id, 'succeeded', { finishedAt: now - (40 + i) * DAY }));
        await plant(...many, old('b-waiting', batcher.id, 'waiting', { finishedAt: null }));
        expect(await pruneExecutions(ctx.db, batcher.id, now - 30 * DAY, { batchSize: 2 })).to.equal(7);
        expect(await pruneExecutions(ctx.db, batcher.id, now - 30 * DAY, { batchSize: 2 })).to.equal(0);
        expect(await count('executions', 'id', ['b-waiting'])).to.equal(1);
        expect(await count('executions', 'id', many.map((m) => m.id))).to.equal(0);
        expect(await count('execution_steps', 'execution_id', many.map((m) => m.id))).to.equal(0);
      });

      it('the periodic pass prunes every tenant by its own retention', async () => {
        await plant(old('s-pruner', pruner.id, 'succeeded'), old('s-lister', lister.id, 'cancelled'), old('s-fresh', lister.id, 'failed', { finishedAt: now - DAY }));
        const pass = startRetentionPruning({ db: ctx.db, tenants: ctx.tenants, log: ctx.log }, 60 * 60 * 1000);
        try {
          // p-other (another tenant, finished 40 days ago) is caught by this pass too; r-40's
          // tenant keeps 60 days.
          expect(await pass.runOnce()).to.equal(3);
        } finally {
          await pass.stop();
        }
        expect(await count('executions', 'id', ['s-pruner', 's-lister', 'p-other'])).to.equal(0);
        expect(await count('executions', 'id', ['s-fresh', 'r-40', 'p-waiting', 'p-running', 'p-queued', 'p-odd'])).to.equal(6);
        // The API's own executions are recent: untouched.
        const mine = await request(app).get('/api/v1/executions').query({ limit: 200 }).set(manager.headers).expect(200);
        expect((mine.body.items as Item[]).length).to.be.greaterThan(5);
      });
    });
  });
}

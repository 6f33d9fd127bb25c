// The Flows API (server/routes/flows.ts) on SQLite and PostgreSQL: drafts with problems,
// revision conflicts, immutable versions, diff, rollback, Class B publish requests (approve
// publishes the requested snapshot; reject), roles, pause/resume of webhooks and schedules,
// soft delete, duplicate, test runs with a pinned input, list stats, tenant isolation.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RequestListener } from 'node:http';
import { createContext, type AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { assertContract, checkedApp } from '../helpers/contract.js';
import { loadConfig } from '../../server/config.js';
import { publishedFlowsWithNode } from '../../db/index.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { DIALECTS, createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';

type Doc = { schemaVersion: 1; name: string; nodes: Record<string, unknown>[]; edges: { id: string; from: { node: string; port: string }; to: { node: string; port: string } }[] };

const edges = (...pairs: [string, string][]): Doc['edges'] => pairs.map(([from, to], i) => ({ id: `e${i + 1}`, from: { node: from, port: 'out' }, to: { node: to, port: 'in' } }));

/** trigger.manual → data.set {tagged, n: n*factor}: Class A. */
function manualFlow(name: string, factor = 2): Doc {
  return {
    schemaVersion: 1,
    name,
    nodes: [
      { id: 'start', type: 'trigger.manual', params: {} },
      { id: 'tag', type: 'data.set', params: { fields: { tagged: true, n: `=n * ${factor}` }, keepInput: false } },
    ],
    edges: edges(['start', 'tag']),
  };
}

/** The same with an http.request node: Class B. */
function classBFlow(name: string, url = 'https://crm.example.test/leads'): Doc {
  return {
    schemaVersion: 1,
    name,
    nodes: [
      { id: 'start', type: 'trigger.manual', params: {} },
      { id: 'push', type: 'http.request', params: { method: 'POST', url, body: '=$' } },
    ],
    edges: edges(['start', 'push']),
  };
}

/** webhook (onFinish) → data.set n = number(body.n) * 2: a body with a non-number fails the run. */
function webhookFlow(name: string, hookPath: string): Doc {
  return {
    schemaVersion: 1,
    name,
    nodes: [
      { id: 'hook', type: 'trigger.webhook', params: { path: hookPath, method: 'POST', respond: 'onFinish' } },
      { id: 'calc', type: 'data.set', params: { fields: { n: '=$number(body.n) * 2' }, keepInput: false } },
    ],
    edges: edges(['hook', 'calc']),
  };
}

function scheduleFlow(name: string): Doc {
  return {
    schemaVersion: 1,
    name,
    nodes: [
      { id: 'tick', type: 'trigger.schedule', params: { cron: '0 9 * * 0-4' } },
      { id: 'tag', type: 'data.set', params: { fields: { ticked: true } } },
    ],
    edges: edges(['tick', 'tag']),
  };
}

for (const dialect of DIALECTS) {
  describe(`flows API (${dialect})`, function () {
    this.timeout(60_000);
    let tdb: TestDatabase | undefined;
    let dataDir: string;
    let ctx: AppContext;
    let app: RequestListener;
    let tenantId: string;
    let rivalId: string;
    let owner: TestMember;
    let admin: TestMember;
    let manager: TestMember;
    let viewer: TestMember;
    let rival: TestMember;
    let scheduleReloads = 0;

    const api = (m: TestMember) => ({
      get: (p: string) => request(app).get(`/api/v1${p}`).set(m.headers),
      post: (p: string, body?: object) => (body === undefined ? request(app).post(`/api/v1${p}`).set(m.headers) : request(app).post(`/api/v1${p}`).set(m.headers).send(body)),
      put: (p: string, body: object) => request(app).put(`/api/v1${p}`).set(m.headers).send(body),
      del: (p: string) => request(app).delete(`/api/v1${p}`).set(m.headers),
    });

    /** Create a flow with `doc` as its draft; answers its id and revision. */
    async function create(doc: Doc, by: TestMember = manager): Promise<{ id: string; revision: number }> {
      const res = await api(by).post('/flows', { name: doc.name, definition: doc }).expect(201);
      return { id: res.body.id as string, revision: res.body.revision as number };
    }

    async function publish(id: string, by: TestMember = admin): Promise<number> {
      const res = await api(by).post(`/flows/${id}/publish`).expect(201);
      return res.body.version.version as number;
    }

    async function versionRows(flowId: string): Promise<{ version: number; definition: string }[]> {
      const rows = await ctx.db.sql.query('SELECT version, definition FROM flow_versions WHERE flow_id = $1 ORDER BY version', [flowId]);
      return rows.map((r) => ({ version: Number(r.version), definition: String(r.definition) }));
    }

    async function auditActions(action: string): Promise<{ target: string | null; details: unknown; actor: string }[]> {
      return ctx.audit(tenantId).list({ limit: 200, action });
    }

    /** A fresh app per webhook call: the webhook handler caches routes for ~2 s (documented in flows.ts). */
    const hook = (hookPath: string, body: unknown) => request(createApp(ctx)).post(`/hooks/acme/${hookPath}`).send(body as object);

    before(async function () {
      let databaseUrl = '';
      if (dialect === 'postgres') {
        await requirePostgres(this);
        tdb = await createTestDatabase('postgres');
        await tdb.db.close();
        databaseUrl = tdb.url!;
      }
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-flows-api-'));
      // Test runs wait up to min(10 s, this) for the end: keeps the "still running" case short.
      ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, TADFUQ_WEBHOOK_WAIT_MS: '3000' }), pino({ level: 'silent' }));
      const reload = ctx.scheduler.reload.bind(ctx.scheduler);
      ctx.scheduler.reload = async () => {
        scheduleReloads++;
        await reload();
      };
      tenantId = (await ctx.tenants.ensure('acme', 'Acme', { locale: 'en' })).id;
      rivalId = (await ctx.tenants.ensure('rival', 'Rival', { locale: 'ar' })).id;
      [owner, admin, manager, viewer, rival] = await Promise.all([
        addMember(ctx, tenantId, 'owner'),
        addMember(ctx, tenantId, 'admin'),
        addMember(ctx, tenantId, 'manager'),
        addMember(ctx, tenantId, 'viewer'),
        addMember(ctx, rivalId, 'owner'),
      ]);
      await ctx.runtime.start();
      app = checkedApp(ctx);
    });

    after(async () => {
      await ctx?.close();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
      await tdb?.drop();
      assertContract(app);
    });

    describe('drafts', () => {
      it('creates a flow as a draft and saves an incomplete draft, answering every problem', async () => {
        const created = await api(manager).post('/flows', { name: 'Lead intake' }).expect(201);
        expect(created.body).to.include({ name: 'Lead intake', status: 'draft', publishedVersion: null, revision: 1, unpublishedChanges: true });
        expect(created.body.draft).to.deep.equal({ schemaVersion: 1, nodes: [], edges: [], name: 'Lead intake' });
        expect(created.body.problems.map((p: { code: string }) => p.code)).to.include('no_trigger');

        const draft = {
          schemaVersion: 1,
          name: 'Lead intake v2',
          nodes: [
            { id: 'start', type: 'trigger.manual' },
            { id: 'ghost', type: 'no.such.type', params: {} },
            { id: 'wait', type: 'time.delay', params: { seconds: -5 } },
          ],
          edges: edges(['start', 'ghost'], ['ghost', 'wait']),
        };
        const saved = await api(manager).put(`/flows/${created.body.id}/draft`, { revision: 1, draft }).expect(200);
        expect(saved.body).to.include({ revision: 2, name: 'Lead intake v2', status: 'draft' });
        expect(saved.body.draft).to.deep.equal(draft);
        const paths = saved.body.problems.map((p: { path: string }) => p.path);
        expect(paths).to.include.members(['/nodes/1/type', '/nodes/2/params/seconds']);

        const read = await api(viewer).get(`/flows/${created.body.id}`).expect(200);
        expect(read.body.draft).to.deep.equal(draft);
        expect(read.body.problems).to.deep.equal(saved.body.problems);
        expect(read.body.revision).to.equal(2);
      });

      it('refuses only a draft that cannot be stored (400 invalid_flow with every path)', async () => {
        const { id } = await create(manualFlow('Storable'));
        const res = await api(manager).put(`/flows/${id}/draft`, { revision: 1, draft: { nodes: 'x', edges: {} } }).expect(400);
        expect(res.body.error.code).to.equal('invalid_request');
        expect(res.body.error.details.map((d: { path: string }) => d.path)).to.have.members(['/body/draft/name', '/body/draft/nodes', '/body/draft/edges']);
        const notObject = await api(manager).put(`/flows/${id}/draft`, { revision: 1, draft: [1, 2] }).expect(400);
        expect(notObject.body.error.details[0]).to.include({ path: '/body/draft' });
        const read = await api(manager).get(`/flows/${id}`).expect(200);
        expect(read.body.revision).to.equal(1);
        expect(read.body.name).to.equal('Storable');
      });

      it('answers 409 revision_conflict, with the current revision, when the draft changed meanwhile', async () => {
        const { id } = await create(manualFlow('Contested'));
        await api(manager).put(`/flows/${id}/draft`, { revision: 1, draft: manualFlow('First edit') }).expect(200);
        const stale = await api(admin).put(`/flows/${id}/draft`, { revision: 1, draft: manualFlow('Second edit') }).expect(409);
        expect(stale.body.error.code).to.equal('revision_conflict');
        expect(stale.body.error.details[0]).to.include({ path: '/body/revision' });
        expect(stale.body.error.details[0].message).to.include('2');
        expect(stale.headers['x-flow-revision']).to.equal('2');
        const read = await api(manager).get(`/flows/${id}`).expect(200);
        expect(read.body).to.include({ name: 'First edit', revision: 2 });

        // Concurrent saves from one revision: exactly one wins.
        const results = await Promise.all([0, 1, 2, 3].map((i) => api(manager).put(`/flows/${id}/draft`, { revision: 2, draft: manualFlow(`Racer ${i}`) })));
        expect(results.map((r) => r.status).sort()).to.deep.equal([200, 409, 409, 409]);
        expect((await api(manager).get(`/flows/${id}`).expect(200)).body.revision).to.equal(3);
      });

      it('pins a sample input without changing the revision', async () => {
        const { id } = await create(manualFlow('Pinned'));
        const res = await api(manager).put(`/flows/${id}/sample-input`, { input: { n: 5 } }).expect(200);
        expect(res.body).to.deep.equal({ sampleInput: { n: 5 } });
        const read = await api(manager).get(`/flows/${id}`).expect(200);
        expect(read.body).to.include({ revision: 1 });
        expect(read.body.sampleInput).to.deep.equal({ n: 5 });
        await api(manager).put(`/flows/${id}/sample-input`, { input: null }).expect(200);
        expect((await api(manager).get(`/flows/${id}`).expect(200)).body.sampleInput).to.equal(null);
      });
    });

    describe('publishing and versions', () => {
      it('publishes versions 1 and 2; versions are immutable and the draft is untouched', async () => {
        const { id } = await create(manualFlow('Versioned', 2));
        expect(await publish(id)).to.equal(1);
        const afterFirst = await api(manager).get(`/flows/${id}`).expect(200);
        expect(afterFirst.body).to.include({ status: 'published', publishedVersion: 1, revision: 1, unpublishedChanges: false });

        await api(manager).put(`/flows/${id}/draft`, { revision: 1, draft: manualFlow('Versioned', 3) }).expect(200);
        expect((await api(manager).get(`/flows/${id}`).expect(200)).body.unpublishedChanges).to.equal(true);
        const v1Before = (await versionRows(id))[0]!.definition;
        expect(await publish(id)).to.equal(2);

        const list = await api(viewer).get(`/flows/${id}/versions`).expect(200);
        expect(list.body.items.map((v: { version: number }) => v.version)).to.deep.equal([2, 1]);
        expect(list.body.items[0]).to.include({ createdBy: `user:${admin.userId}` });
        expect(list.body.items[0].origin).to.include({ kind: 'publish', revision: 2 });
        const v1 = await api(viewer).get(`/flows/${id}/versions/1`).expect(200);
        expect(v1.body.definition.nodes[1].params.fields.n).to.equal('=n * 2');
        const v2 = await api(viewer).get(`/flows/${id}/versions/2`).expect(200);
        expect(v2.body.definition.nodes[1].params.fields.n).to.equal('=n * 3');
        expect((await versionRows(id))[0]!.definition).to.equal(v1Before);
        await api(viewer).get(`/flows/${id}/versions/3`).expect(404);
        // No route writes a version.
        await api(owner).put(`/flows/${id}/versions/1`, { definition: manualFlow('x') }).expect(404);
        await api(owner).del(`/flows/${id}/versions/1`).expect(404);

        const audits = (await auditActions('flow.publish')).filter((a) => a.target === id);
        expect(audits.map((a) => (a.details as { version: number }).version).sort()).to.deep.equal([1, 2]);
        expect(audits[0]!.actor).to.equal(`user:${admin.userId}`);
      });

      it('refuses to publish an invalid draft: 400 with every problem path, nothing written', async () => {
        const { id } = await create({
          schemaVersion: 1,
          name: 'Broken',
          nodes: [
            { id: 'hook', type: 'trigger.webhook', params: { path: '/bad path', method: 'FETCH' } },
            { id: 'wait', type: 'time.delay', params: { seconds: -5 } },
            { id: 'ghost', type: 'no.such.type', params: {} },
          ],
          edges: [{ id: 'e1', from: { node: 'hook', port: 'out' }, to: { node: 'missing', port: 'in' } }],
        });
        const res = await api(admin).post(`/flows/${id}/publish`).expect(400);
        expect(res.body.error.code).to.equal('invalid_flow');
        const paths = res.body.error.details.map((d: { path: string }) => d.path);
        expect(paths).to.include.members(['/nodes/0/params/path', '/nodes/0/params/method', '/nodes/1/params/seconds', '/nodes/2/type']);
        const detail = await api(admin).get(`/flows/${id}`).expect(200);
        expect(res.body.error.details).to.deep.equal(detail.body.problems);
        expect(await versionRows(id)).to.deep.equal([]);
        expect(detail.body).to.include({ status: 'draft', publishedVersion: null });
        expect((await auditActions('flow.publish')).filter((a) => a.target === id)).to.deep.equal([]);
        const [{ n }] = (await ctx.db.sql.query('SELECT COUNT(*) AS n FROM webhook_routes WHERE flow_id = $1', [id])) as [{ n: number | string }];
        expect(Number(n)).to.equal(0);
      });

      it('reports a webhook path another flow answers as a problem, and refuses to publish it', async () => {
        const first = await create(webhookFlow('Path owner', 'owned'));
        await publish(first.id);
        const second = await create(webhookFlow('Path thief', 'owned'));
        const detail = await api(manager).get(`/flows/${second.id}`).expect(200);
        expect(detail.body.problems).to.deep.equal([{ path: '/nodes/0/params/path', code: 'webhook_path_taken', message: 'POST /owned already starts another flow' }]);
        const res = await api(admin).post(`/flows/${second.id}/publish`).expect(400);
        expect(res.body.error.details.map((d: { code: string }) => d.code)).to.deep.equal(['webhook_path_taken']);
        expect(await versionRows(second.id)).to.deep.equal([]);
      });

      it('guards a publish with ?revision', async () => {
        const { id } = await create(manualFlow('Guarded'));
        await api(manager).put(`/flows/${id}/draft`, { revision: 1, draft: manualFlow('Guarded', 5) }).expect(200);
        const res = await api(admin).post(`/flows/${id}/publish?revision=1`).expect(409);
        expect(res.body.error.code).to.equal('revision_conflict');
        expect(res.body.error.details[0].path).to.equal('/query/revision');
        expect(await versionRows(id)).to.deep.equal([]);
        await api(admin).post(`/flows/${id}/publish?revision=2`).expect(201);
      });

      it('diffs versions and the draft as RFC 6902 patches', async () => {
        const { id } = await create(manualFlow('Diffed', 2));
        await publish(id);
        await api(manager).put(`/flows/${id}/draft`, { revision: 1, draft: manualFlow('Diffed', 7) }).expect(200);
        await publish(id);
        const between = await api(viewer).get(`/flows/${id}/diff?from=1&to=2`).expect(200);
        expect(between.body).to.deep.equal({ from: 1, to: 2, patch: [{ op: 'replace', path: '/nodes/1/params/fields/n', value: '=n * 7' }] });

        const draft = manualFlow('Diffed renamed', 7);
        await api(manager).put(`/flows/${id}/draft`, { revision: 2, draft }).expect(200);
        const toDraft = await api(viewer).get(`/flows/${id}/diff`).expect(200);
        expect(toDraft.body).to.deep.equal({ from: 2, to: 'draft', patch: [{ op: 'replace', path: '/name', value: 'Diffed renamed' }] });
        const back = await api(viewer).get(`/flows/${id}/diff?from=draft&to=1`).expect(200);
        expect(back.body.patch).to.have.deep.members([
          { op: 'replace', path: '/nodes/1/params/fields/n', value: '=n * 2' },
          { op: 'replace', path: '/name', value: 'Diffed' },
        ]);
        await api(viewer).get(`/flows/${id}/diff?from=9&to=draft`).expect(404);
        const bad = await api(viewer).get(`/flows/${id}/diff?from=latest`).expect(400);
        expect(bad.body.error.details[0].path).to.equal('/query/from');

        const unpublished = await create(manualFlow('Never published'));
        const none = await api(viewer).get(`/flows/${unpublished.id}/diff`).expect(400);
        expect(none.body.error.details[0]).to.include({ path: '/query/from', code: 'required' });
      });

      it('rolls back by publishing a new version equal to the old one; history stays', async () => {
        const { id } = await create(manualFlow('Rolled', 2));
        await publish(id);
        await api(manager).put(`/flows/${id}/draft`, { revision: 1, draft: manualFlow('Rolled', 9) }).expect(200);
        await publish(id);
        const before = await versionRows(id);

        const res = await api(manager).post(`/flows/${id}/rollback`, { version: 1 }).expect(201);
        expect(res.body.version).to.include({ version: 3, createdBy: `user:${manager.userId}` });
        expect(res.body.version.origin).to.deep.equal({ kind: 'rollback', fromVersion: 1 });
        const after = await versionRows(id);
        expect(after.slice(0, 2)).to.deep.equal(before);
        expect(after[2]!.definition).to.equal(before[0]!.definition);
        const detail = await api(manager).get(`/flows/${id}`).expect(200);
        expect(detail.body).to.include({ publishedVersion: 3, revision: 2 });
        expect(detail.body.draft.nodes[1].params.fields.n).to.equal('=n * 9');
        const audit = (await auditActions('flow.rollback')).find((a) => a.target === id);
        expect(audit?.details).to.deep.equal({ version: 3, fromVersion: 1 });
        await api(manager).post(`/flows/${id}/rollback`, { version: 8 }).expect(404);
        await api(viewer).post(`/flows/${id}/rollback`, { version: 1 }).expect(403);
      });

      it('a rollback to a Class B version needs flows.publish.classB', async () => {
        const { id } = await create(classBFlow('Pushy'), admin);
        await publish(id, admin);
        await api(admin).put(`/flows/${id}/draft`, { revision: 1, draft: manualFlow('Pushy no more') }).expect(200);
        await publish(id, manager);
        const refused = await api(manager).post(`/flows/${id}/rollback`, { version: 1 }).expect(403);
        expect(refused.body.error.code).to.equal('forbidden');
        expect((await versionRows(id)).map((v) => v.version)).to.deep.equal([1, 2]);
        await api(admin).post(`/flows/${id}/rollback`, { version: 1 }).expect(201);
        expect((await versionRows(id)).map((v) => v.version)).to.deep.equal([1, 2, 3]);
      });

      it('publishes concurrently into consecutive versions', async () => {
        const { id } = await create(manualFlow('Busy'));
        const results = await Promise.all([0, 1, 2, 3, 4].map(() => api(admin).post(`/flows/${id}/publish`)));
        expect(results.map((r) => r.status)).to.deep.equal([201, 201, 201, 201, 201]);
        expect(results.map((r) => r.body.version.version as number).sort()).to.deep.equal([1, 2, 3, 4, 5]);
        expect((await versionRows(id)).map((v) => v.version)).to.deep.equal([1, 2, 3, 4, 5]);
      });
    });

    describe('Class B approval', () => {
      it('a manager publishes a Class A flow directly', async () => {
        const { id } = await create(manualFlow('Plain'));
        const res = await api(manager).post(`/flows/${id}/publish`).expect(201);
        expect(res.body.version).to.include({ version: 1, createdBy: `user:${manager.userId}` });
      });

      it('a manager’s Class B publish becomes a request; approval publishes the requested snapshot, not the later draft', async () => {
        const { id } = await create(classBFlow('CRM push', 'https://crm.example.test/v1'));
        const detail = await api(manager).get(`/flows/${id}`).expect(200);
        expect(detail.body.classBNodes).to.deep.equal([{ id: 'push', type: 'http.request' }]);

        const asked = await api(manager).post(`/flows/${id}/publish`).expect(202);
        const request = asked.body.request;
        expect(request).to.include({ flowId: id, flowName: 'CRM push', status: 'pending', revision: 1, requestedBy: `user:${manager.userId}`, version: null });
        expect(request.classBNodes).to.deep.equal([{ id: 'push', type: 'http.request' }]);
        expect(await versionRows(id)).to.deep.equal([]);
        expect((await api(manager).get(`/flows/${id}`).expect(200)).body).to.include({ status: 'draft', publishedVersion: null });

        const pending = await api(viewer).get('/publish-requests?status=pending').expect(200);
        expect(pending.body.items.map((r: { id: string }) => r.id)).to.include(request.id);
        const shown = await api(viewer).get(`/publish-requests/${request.id}`).expect(200);
        expect(shown.body.definition.nodes[1].params.url).to.equal('https://crm.example.test/v1');
        expect(shown.body.patch).to.deep.include({ op: 'add', path: '/name', value: 'CRM push' });

        // The draft moves on after the request.
        await api(manager).put(`/flows/${id}/draft`, { revision: 1, draft: classBFlow('CRM push', 'https://crm.example.test/v2') }).expect(200);
        await api(manager).post(`/publish-requests/${request.id}/approve`).expect(403);

        const approved = await api(admin).post(`/publish-requests/${request.id}/approve`).expect(201);
        expect(approved.body.request).to.include({ status: 'approved', decidedBy: `user:${admin.userId}`, version: 1 });
        expect(approved.body.version).to.include({ version: 1, createdBy: `user:${admin.userId}` });
        expect(approved.body.version.origin).to.deep.equal({ kind: 'approval', requestId: request.id, requestedBy: `user:${manager.userId}` });
        const v1 = await api(viewer).get(`/flows/${id}/versions/1`).expect(200);
        expect(v1.body.definition.nodes[1].params.url).to.equal('https://crm.example.test/v1');
        const after = await api(viewer).get(`/flows/${id}`).expect(200);
        expect(after.body).to.include({ status: 'published', publishedVersion: 1, revision: 2, unpublishedChanges: true });
        expect(after.body.draft.nodes[1].params.url).to.equal('https://crm.example.test/v2');

        const again = await api(admin).post(`/publish-requests/${request.id}/approve`).expect(409);
        expect(again.body.error.code).to.equal('request_not_pending');
        expect((await versionRows(id)).map((v) => v.version)).to.deep.equal([1]);
        const audit = (await auditActions('flow.publish_request.approve')).find((a) => a.target === id);
        expect(audit?.details).to.include({ requestId: request.id, version: 1 });
        expect((await auditActions('flow.publish_request')).some((a) => a.target === id)).to.equal(true);
      });

      it('an admin rejects a request with a reason; nothing is published', async () => {
        const { id } = await create(classBFlow('Rejected push'));
        const request = (await api(manager).post(`/flows/${id}/publish`).expect(202)).body.request;
        await api(admin).post(`/publish-requests/${request.id}/reject`, {}).expect(400);
        await api(manager).post(`/publish-requests/${request.id}/reject`, { reason: 'no' }).expect(403);
        const res = await api(admin).post(`/publish-requests/${request.id}/reject`, { reason: 'يرسل بيانات العملاء إلى خادم غير معتمد' }).expect(200);
        expect(res.body.request).to.include({ status: 'rejected', reason: 'يرسل بيانات العملاء إلى خادم غير معتمد', decidedBy: `user:${admin.userId}`, version: null });
        expect(await versionRows(id)).to.deep.equal([]);
        await api(admin).post(`/publish-requests/${request.id}/approve`).expect(409);
        const pending = await api(viewer).get(`/publish-requests?flowId=${id}`).expect(200);
        expect(pending.body.items).to.deep.equal([]);
        const all = await api(viewer).get(`/publish-requests?flowId=${id}&status=all`).expect(200);
        expect(all.body.items.map((r: { status: string }) => r.status)).to.deep.equal(['rejected']);
        const audit = (await auditActions('flow.publish_request.reject')).find((a) => a.target === id);
        expect(audit?.details).to.include({ requestId: request.id, reason: 'يرسل بيانات العملاء إلى خادم غير معتمد' });
      });

      it('a newer request, or a direct publish, supersedes a pending request', async () => {
        const { id } = await create(classBFlow('Superseded push'));
        const first = (await api(manager).post(`/flows/${id}/publish`).expect(202)).body.request;
        const second = (await api(manager).post(`/flows/${id}/publish`).expect(202)).body.request;
        expect((await api(viewer).get(`/publish-requests/${first.id}`).expect(200)).body.status).to.equal('superseded');
        await api(admin).post(`/publish-requests/${first.id}/approve`).expect(409);
        await publish(id, admin);
        expect((await api(viewer).get(`/publish-requests/${second.id}`).expect(200)).body.status).to.equal('superseded');
      });

      it('an admin publishes a Class B flow directly', async () => {
        const { id } = await create(classBFlow('Admin push'));
        expect(await publish(id, admin)).to.equal(1);
      });
    });

    describe('roles', () => {
      it('a viewer reads but may not write, publish, test, pause or delete (403)', async () => {
        const { id } = await create(manualFlow('Viewed'));
        await publish(id);
        await api(viewer).get('/flows').expect(200);
        await api(viewer).get(`/flows/${id}`).expect(200);
        await api(viewer).get(`/flows/${id}/versions`).expect(200);
        const refused = [
          await api(viewer).post('/flows', { name: 'Nope' }),
          await api(viewer).put(`/flows/${id}/draft`, { revision: 1, draft: manualFlow('Nope') }),
          await api(viewer).put(`/flows/${id}/sample-input`, { input: {} }),
          await api(viewer).post(`/flows/${id}/publish`),
          await api(viewer).post(`/flows/${id}/test-runs`, {}),
          await api(viewer).post(`/flows/${id}/pause`),
          await api(viewer).post(`/flows/${id}/resume`),
          await api(viewer).post(`/flows/${id}/duplicate`),
          await api(viewer).del(`/flows/${id}`),
        ];
        for (const [i, res] of refused.entries()) {
          expect(res.status, `call #${i}: ${JSON.stringify(res.body)}`).to.equal(403);
          expect(res.body.error.code).to.equal('forbidden');
        }
        expect((await api(viewer).get(`/flows/${id}`).expect(200)).body).to.include({ revision: 1, status: 'published' });
        await request(app).get('/api/v1/flows').expect(401);
      });
    });

    describe('pause, resume, delete, duplicate', () => {
      it('pausing stops a webhook flow (404 like an unknown hook); resuming restarts it', async () => {
        const { id } = await create(webhookFlow('Hooked', 'hooked'));
        await publish(id);
        expect((await hook('hooked', { n: '4' }).expect(200)).body).to.deep.equal({ n: 8 });

        const reloads = scheduleReloads;
        const paused = await api(manager).post(`/flows/${id}/pause`).expect(200);
        expect(paused.body).to.include({ status: 'paused', publishedVersion: 1 });
        expect(scheduleReloads).to.equal(reloads + 1);
        const refused = await hook('hooked', { n: '4' }).expect(404);
        expect(refused.body.error.code).to.equal('not_found');
        expect(await ctx.flows(tenantId).webhookRoute('POST', 'hooked')).to.equal(null);
        expect(await ctx.flows(tenantId).webhookMethods('hooked')).to.deep.equal([]);
        // The path stays the paused flow's.
        const other = await create(webhookFlow('Hook squatter', 'hooked'));
        await api(admin).post(`/flows/${other.id}/publish`).expect(400);
        // Pausing twice changes nothing; publishing keeps it paused.
        await api(manager).post(`/flows/${id}/pause`).expect(200);
        expect(await publish(id)).to.equal(2);
        expect((await api(manager).get(`/flows/${id}`).expect(200)).body.status).to.equal('paused');
        await hook('hooked', { n: '4' }).expect(404);

        const resumed = await api(manager).post(`/flows/${id}/resume`).expect(200);
        expect(resumed.body.status).to.equal('published');
        expect((await hook('hooked', { n: '5' }).expect(200)).body).to.deep.equal({ n: 10 });
        expect((await auditActions('flow.pause')).filter((a) => a.target === id)).to.have.length(1);
        expect((await auditActions('flow.resume')).filter((a) => a.target === id)).to.have.length(1);
      });

      it('pausing removes a flow’s schedules from the scheduler’s set; resuming restores them', async () => {
        const { id } = await create(scheduleFlow('Every morning'));
        await publish(id);
        const scheduled = async () => (await publishedFlowsWithNode(ctx.db, 'trigger.schedule')).map((r) => `${r.flowId}@${r.version}`);
        expect(await scheduled()).to.include(`${id}@1`);
        await api(manager).post(`/flows/${id}/pause`).expect(200);
        expect(await scheduled()).to.not.include(`${id}@1`);
        await api(manager).post(`/flows/${id}/resume`).expect(200);
        expect(await scheduled()).to.include(`${id}@1`);
        const reloads = scheduleReloads;
        await api(manager).del(`/flows/${id}`).expect(204);
        expect(scheduleReloads).to.equal(reloads + 1);
        expect(await scheduled()).to.not.include(`${id}@1`);
      });

      it('a flow never published cannot be paused (409)', async () => {
        const { id } = await create(manualFlow('Unpublished'));
        const res = await api(manager).post(`/flows/${id}/pause`).expect(409);
        expect(res.body.error.code).to.equal('not_published');
      });

      it('deletes softly: gone from every route, webhook path freed, pending requests cancelled, executions readable', async () => {
        const { id } = await create(webhookFlow('Doomed', 'doomed'));
        await publish(id);
        const ran = await hook('doomed', { n: '1' }).expect(200);
        const executionId = ran.headers['x-execution-id'] as string;
        const withPush = webhookFlow('Doomed', 'doomed');
        withPush.nodes.push(classBFlow('x').nodes[1]!);
        withPush.edges = edges(['hook', 'calc'], ['calc', 'push']);
        const saved = await api(manager).put(`/flows/${id}/draft`, { revision: 1, draft: withPush }).expect(200);
        expect(saved.body.problems).to.deep.equal([]);
        const request = (await api(manager).post(`/flows/${id}/publish`).expect(202)).body.request;

        await api(manager).del(`/flows/${id}`).expect(204);
        await api(manager).get(`/flows/${id}`).expect(404);
        await api(manager).get(`/flows/${id}/versions`).expect(404);
        await api(manager).del(`/flows/${id}`).expect(404);
        expect((await api(manager).get('/flows?limit=200').expect(200)).body.items.map((f: { id: string }) => f.id)).to.not.include(id);
        expect((await ctx.flows(tenantId).list()).map((f) => f.id)).to.not.include(id);
        await hook('doomed', { n: '1' }).expect(404);
        expect((await api(viewer).get(`/publish-requests/${request.id}`).expect(200)).body.status).to.equal('cancelled');
        await api(admin).post(`/publish-requests/${request.id}/approve`).expect(409);
        const execution = await api(viewer).get(`/executions/${executionId}`).expect(200);
        expect(execution.body).to.include({ flowId: id, status: 'succeeded' });
        // The path is free again.
        const heir = await create(webhookFlow('Heir', 'doomed'));
        await publish(heir.id);
        expect((await hook('doomed', { n: '3' }).expect(200)).body).to.deep.equal({ n: 6 });
        const audit = (await auditActions('flow.delete')).find((a) => a.target === id);
        expect(audit?.details).to.deep.equal({ name: 'Doomed', publishedVersion: 1 });
      });

      it('duplicates a flow’s draft and sample input into a new unpublished flow', async () => {
        const { id } = await create(manualFlow('Original', 4));
        await api(manager).put(`/flows/${id}/sample-input`, { input: { n: 2 } }).expect(200);
        await publish(id);
        const copy = await api(manager).post(`/flows/${id}/duplicate`).expect(201);
        expect(copy.body.id).to.not.equal(id);
        expect(copy.body).to.include({ name: 'Original (copy)', status: 'draft', publishedVersion: null, revision: 1 });
        expect(copy.body.draft).to.deep.equal({ ...manualFlow('Original', 4), name: 'Original (copy)' });
        expect(copy.body.sampleInput).to.deep.equal({ n: 2 });
        expect(await versionRows(copy.body.id)).to.deep.equal([]);
        expect((await api(manager).get(`/flows/${id}`).expect(200)).body).to.include({ name: 'Original', publishedVersion: 1 });
      });
    });

    describe('test runs', () => {
      it('runs the draft on the pinned sample input and answers the output', async () => {
        const { id } = await create(manualFlow('Tested', 2));
        await api(manager).put(`/flows/${id}/sample-input`, { input: { n: 21 } }).expect(200);
        const res = await api(manager).post(`/flows/${id}/test-runs`, {}).expect(200);
        expect(res.body).to.include({ status: 'succeeded' });
        expect(res.body.output).to.deep.equal({ tagged: true, n: 42 });
        expect(res.body.flowVersion).to.be.below(0);
        expect(res.body.steps.map((s: { node: string }) => s.node)).to.deep.equal(['start', 'tag']);
        const execution = await api(viewer).get(`/executions/${res.body.executionId}`).expect(200);
        expect(execution.body).to.include({ flowId: id, mode: 'test', flowVersion: res.body.flowVersion });

        // An explicit input wins; an unchanged draft reuses its snapshot; an edited one gets a new one.
        const given = await api(manager).post(`/flows/${id}/test-runs`, { input: { n: 1 } }).expect(200);
        expect(given.body.output).to.deep.equal({ tagged: true, n: 2 });
        expect(given.body.flowVersion).to.equal(res.body.flowVersion);
        await api(manager).put(`/flows/${id}/draft`, { revision: 1, draft: manualFlow('Tested', 10) }).expect(200);
        const edited = await api(manager).post(`/flows/${id}/test-runs`, {}).expect(200);
        expect(edited.body.output).to.deep.equal({ tagged: true, n: 210 });
        expect(edited.body.flowVersion).to.equal(res.body.flowVersion - 1);
        // Snapshots are not versions; the flow is still unpublished.
        expect((await api(viewer).get(`/flows/${id}/versions`).expect(200)).body.items).to.deep.equal([]);
        expect((await api(viewer).get(`/flows/${id}`).expect(200)).body).to.include({ status: 'draft', publishedVersion: null });
      });

      it('refuses an invalid draft with every problem (400 invalid_flow) and starts nothing', async () => {
        const { id } = await create({ ...manualFlow('Untestable'), nodes: [...manualFlow('x').nodes, { id: 'bad', type: 'time.delay', params: { seconds: -1 } }] });
        const res = await api(manager).post(`/flows/${id}/test-runs`, {}).expect(400);
        expect(res.body.error.code).to.equal('invalid_flow');
        expect(res.body.error.details.map((d: { path: string }) => d.path)).to.include('/nodes/2/params/seconds');
        const [{ n }] = (await ctx.db.sql.query('SELECT COUNT(*) AS n FROM executions WHERE flow_id = $1', [id])) as [{ n: number | string }];
        expect(Number(n)).to.equal(0);
      });

      it('answers 202 with the execution id when the run is still going', async () => {
        const { id } = await create({
          schemaVersion: 1,
          name: 'Slow',
          nodes: [
            { id: 'start', type: 'trigger.manual', params: {} },
            { id: 'nap', type: 'time.delay', params: { seconds: 3600 } },
          ],
          edges: edges(['start', 'nap']),
        });
        const res = await api(manager).post(`/flows/${id}/test-runs`, { input: { x: 1 } }).expect(202);
        expect(res.body.status).to.be.oneOf(['running', 'waiting', 'queued']);
        const execution = await api(viewer).get(`/executions/${res.body.executionId}`).expect(200);
        expect(execution.body).to.include({ mode: 'test', status: 'waiting' });
        await ctx.runtime.cancel(res.body.executionId as string);
      });

      it('names the trigger to start from; an unknown one is 400', async () => {
        const { id } = await create(manualFlow('Triggered'));
        await api(manager).post(`/flows/${id}/test-runs`, { trigger: 'start', input: { n: 3 } }).expect(200);
        const res = await api(manager).post(`/flows/${id}/test-runs`, { trigger: 'tag' }).expect(400);
        expect(res.body.error.details[0].path).to.equal('/body/trigger');
      });
    });

    describe('list', () => {
      it('lists flows with last run, 7-day runs, failures and error rate (test runs excluded)', async () => {
        const { id } = await create(webhookFlow('Calc stats', 'calc'));
        await publish(id);
        await hook('calc', { n: '1' }).expect(200);
        await hook('calc', { n: '2' }).expect(200);
        // The caller's payload fails an expression over it: 422 (the execution is still stored as failed).
        await hook('calc', { n: 'not a number' }).expect(422);
        await api(manager).post(`/flows/${id}/test-runs`, { input: { body: { n: 'x' } }, trigger: 'hook' }).expect(200);
        // An execution from 8 days ago counts for nothing in the 7-day window.
        const old = Date.now() - 8 * 24 * 60 * 60 * 1000;
        await ctx.db.sql.transaction(async (q) => {
          await q("INSERT INTO executions (id, tenant_id, flow_id, flow_version, status, mode, state, started_at, updated_at) VALUES ($1, $2, $3, 1, 'failed', 'webhook', '{}', $4, $4)", [
            `old-${id}`.slice(0, 64), tenantId, id, old,
          ]);
        });

        const res = await api(viewer).get('/flows?q=calc%20STATS').expect(200);
        expect(res.body.items).to.have.length(1);
        const item = res.body.items[0];
        expect(item).to.include({ id, name: 'Calc stats', status: 'published', publishedVersion: 1, revision: 1, runs7d: 3, failed7d: 1 });
        expect(item.errorRate7d).to.be.closeTo(1 / 3, 1e-9);
        expect(Date.parse(item.lastRunAt)).to.be.above(old);

        const quiet = await create(manualFlow('Calc quiet'));
        const both = await api(viewer).get('/flows?q=calc').expect(200);
        const q = both.body.items.find((f: { id: string }) => f.id === quiet.id);
        expect(q).to.include({ runs7d: 0, failed7d: 0, errorRate7d: null, lastRunAt: null, status: 'draft' });
        const drafts = await api(viewer).get('/flows?q=calc&status=draft').expect(200);
        expect(drafts.body.items.map((f: { id: string }) => f.id)).to.deep.equal([quiet.id]);
      });

      it('pages with a cursor, most recently updated first', async () => {
        const ids: string[] = [];
        for (const i of [1, 2, 3, 4, 5]) ids.push((await create(manualFlow(`Paged ${i}`))).id);
        const seen: { id: string; updatedAt: string }[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: request.Response = await api(viewer).get(`/flows?q=paged&limit=2${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
          expect(page.body.items.length).to.be.at.most(2);
          seen.push(...(page.body.items as { id: string; updatedAt: string }[]));
          cursor = page.body.nextCursor as string | null;
          pages++;
        } while (cursor);
        expect(pages).to.equal(3);
        expect(seen.map((f) => f.id)).to.have.members(ids).and.have.length(5);
        // Newest first; equal times (same millisecond) by id, descending.
        const order = [...seen].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || (a.id < b.id ? 1 : -1));
        expect(seen.map((f) => f.id)).to.deep.equal(order.map((f) => f.id));
        // Editing a flow moves it to the front.
        await api(manager).put(`/flows/${ids[0]}/draft`, { revision: 1, draft: manualFlow('Paged 1 edited') }).expect(200);
        expect((await api(viewer).get('/flows?q=paged&limit=1').expect(200)).body.items[0].id).to.equal(ids[0]);
        await api(viewer).get('/flows?cursor=bogus!').expect(400);
      });

      it('searches names literally (% and _ are not wildcards)', async () => {
        await create(manualFlow('Discount 100% off'));
        await create(manualFlow('Discount 1000 off'));
        const res = await api(viewer).get(`/flows?q=${encodeURIComponent('100%')}`).expect(200);
        expect(res.body.items.map((f: { name: string }) => f.name)).to.deep.equal(['Discount 100% off']);
      });
    });

    describe('tenant isolation', () => {
      it('another tenant gets 404 on every :id route and never sees the flow', async () => {
        const { id } = await create(classBFlow('Secret push'));
        const request_ = (await api(manager).post(`/flows/${id}/publish`).expect(202)).body.request;
        const published = await create(manualFlow('Secret plain'));
        await publish(published.id);
        const r = api(rival);
        const answers = [
          await r.get(`/flows/${id}`),
          await r.put(`/flows/${id}/draft`, { revision: 1, draft: manualFlow('Hijack') }),
          await r.put(`/flows/${id}/sample-input`, { input: {} }),
          await r.del(`/flows/${id}`),
          await r.post(`/flows/${id}/duplicate`),
          await r.get(`/flows/${published.id}/versions`),
          await r.get(`/flows/${published.id}/versions/1`),
          await r.get(`/flows/${published.id}/diff?from=1&to=draft`),
          await r.post(`/flows/${id}/publish`),
          await r.post(`/flows/${published.id}/rollback`, { version: 1 }),
          await r.post(`/flows/${published.id}/pause`),
          await r.post(`/flows/${published.id}/resume`),
          await r.post(`/flows/${id}/test-runs`, {}),
          await r.get(`/publish-requests/${request_.id}`),
          await r.post(`/publish-requests/${request_.id}/approve`),
          await r.post(`/publish-requests/${request_.id}/reject`, { reason: 'mine now' }),
        ];
        for (const [i, res] of answers.entries()) {
          expect(res.status, `call #${i}: ${JSON.stringify(res.body)}`).to.equal(404);
          expect(res.body.error.code).to.equal('not_found');
        }
        const list = await r.get('/flows?limit=200').expect(200);
        expect(list.body.items).to.deep.equal([]);
        expect((await r.get('/publish-requests?status=all').expect(200)).body.items).to.deep.equal([]);
        // Nothing changed.
        const mine = await api(manager).get(`/flows/${id}`).expect(200);
        expect(mine.body).to.include({ name: 'Secret push', revision: 1 });
        expect((await api(viewer).get(`/publish-requests/${request_.id}`).expect(200)).body.status).to.equal('pending');
        expect((await api(viewer).get(`/flows/${published.id}`).expect(200)).body).to.include({ status: 'published', publishedVersion: 1 });
      });
    });

    describe('OpenAPI', () => {
      it('documents every flows route with a response schema', async () => {
        const doc = (await request(app).get('/api/v1/openapi.json').expect(200)).body as { paths: Record<string, Record<string, { responses: Record<string, { content?: { 'application/json': { schema: object } } }> }>> };
        const expected: [string, string, string][] = [
          ['/api/v1/flows', 'get', '200'],
          ['/api/v1/flows', 'post', '201'],
          ['/api/v1/flows/{id}', 'get', '200'],
          ['/api/v1/flows/{id}/draft', 'put', '200'],
          ['/api/v1/flows/{id}/publish', 'post', '201'],
          ['/api/v1/flows/{id}/versions/{version}', 'get', '200'],
          ['/api/v1/flows/{id}/diff', 'get', '200'],
          ['/api/v1/flows/{id}/test-runs', 'post', '200'],
          ['/api/v1/publish-requests/{id}/approve', 'post', '201'],
        ];
        for (const [p, method, status] of expected) {
          const schema = doc.paths[p]?.[method]?.responses[status]?.content?.['application/json'].schema;
          expect(Object.keys(schema ?? {}), `${method} ${p}`).to.not.deep.equal([]);
        }
        expect(doc.paths['/api/v1/flows/{id}']?.delete?.responses['204']).to.deep.equal({ description: 'done' });
      });
    });
  });
}

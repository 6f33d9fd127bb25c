// Properties every /api/v1 route must have, checked over the route list itself (so a new route
// is covered the day it is added): the permission table holds for every role × route, no route
// lets one tenant see or change another's data, and no malformed body gets past validation,
// causes a 500 or writes anything.
import { expect } from 'chai';
import request from 'supertest';
import fc from 'fast-check';
import { pino } from 'pino';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RequestListener } from 'node:http';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { createContext, type AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { apiRoutes } from '../../server/routes/index.js';
import type { RouteSpec } from '../../server/http/route.js';
import { PERMISSIONS, ROLES, can, type Permission } from '../../server/auth/permissions.js';
import { permissionTableMarkdown } from '../../server/auth/permission-table.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { minimalSample } from '../helpers/schema-sample.js';
import { flow } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { ContractChecker, type OpenApiDoc } from '../helpers/contract.js';
import { DocumentService } from '../../server/documents/document-service.js';

const Ajv2020 = (Ajv2020Module as unknown as { default: typeof Ajv2020Module }).default ?? Ajv2020Module;
type Ajv = InstanceType<typeof Ajv2020Module.default>;
const ajv: Ajv = new (Ajv2020 as unknown as new (o: object) => Ajv)({ allErrors: true, strict: false });
((addFormats as unknown as { default?: (a: Ajv) => void }).default ?? (addFormats as unknown as (a: Ajv) => void))(ajv);

const DUMMY_ID = '00000000-0000-7000-8000-000000000000';
const plain = (s: unknown): unknown => JSON.parse(JSON.stringify(s ?? {})) as unknown;

function fillPath(route: RouteSpec, ids: (param: string, route: RouteSpec) => string): string {
  return '/api/v1' + route.path.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(ids(name, route)));
}

function sampleBody(route: RouteSpec): unknown {
  return route.body ? minimalSample(plain(route.body)) : undefined;
}

/** Every answer of this suite is checked against the document (ContractChecker, strict). */
let contract: ContractChecker | undefined;

function send(app: RequestListener, method: string, url: string, headers: Record<string, string>, body?: unknown) {
  const req = (request(app) as unknown as Record<string, (u: string) => request.Test>)[method]!(url).set(headers);
  contract?.watch(req, method, url);
  return body === undefined ? req : req.send(body as object);
}

/** Every row of every tenant-scoped table, for "nothing changed" checks. */
async function snapshot(ctx: AppContext, tenantId?: string): Promise<string> {
  const tables = (await ctx.db.sql.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")).map((r) => String(r.name));
  const hash = createHash('sha256');
  for (const table of tables) {
    const columns = (await ctx.db.sql.query(`PRAGMA table_info(${table})`)).map((c) => String(c.name));
    if (tenantId && !columns.includes('tenant_id')) continue;
    const rows = tenantId ? await ctx.db.sql.query(`SELECT * FROM ${table} WHERE tenant_id = $1 ORDER BY 1`, [tenantId]) : await ctx.db.sql.query(`SELECT * FROM ${table} ORDER BY 1`);
    hash.update(table + JSON.stringify(rows));
  }
  return hash.digest('hex');
}

describe('API contract: every route', function () {
  this.timeout(180_000);
  let dataDir: string;
  let ctx: AppContext;
  let app: RequestListener;
  let routes: RouteSpec[];

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-contract-'));
    ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: '' }), pino({ level: 'silent' }));
    await ctx.runtime.start();
    app = createApp(ctx);
    routes = apiRoutes(ctx);
    contract = new ContractChecker((await request(app).get('/api/v1/openapi.json').expect(200)).body as OpenApiDoc);
  });

  // Every answer any test below received matches the schema its route declares for its status.
  afterEach(() => {
    expect(contract?.take() ?? [], 'answers outside the OpenAPI document').to.deep.equal([]);
  });

  after(async () => {
    await ctx?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('permission table', () => {
    it('README.md holds the table generated from server/auth/permissions.ts', () => {
      const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
      expect(readme, 'run `npm run docs:permissions`').to.include(permissionTableMarkdown());
    });

    it('every route is public, for any signed-in caller, or names a permission of the table', () => {
      for (const r of routes) {
        expect(r.access === 'public' || r.access === 'authenticated' || r.access in PERMISSIONS, `${r.method} ${r.path}`).to.equal(true);
      }
      const publicRoutes = routes.filter((r) => r.access === 'public').map((r) => r.path);
      // Sign-in, and the payment gateways' webhooks (they prove themselves with a secret token or a signature).
      for (const p of publicRoutes) expect(p, 'only sign-in routes and gateway webhooks are public').to.match(/^\/(auth|payments\/webhooks)\//);
    });

    it('every permission is used by at least one route', () => {
      const used = new Set(routes.map((r) => r.access));
      // flows.publish.classB is decided inside the publish handlers (Class B flows), not by a route alone.
      const unused = Object.keys(PERMISSIONS).filter((p) => !used.has(p as Permission) && p !== 'flows.publish.classB');
      expect(unused).to.deep.equal([]);
    });

    for (const role of ROLES) {
      it(`role ${role}: refused (403) exactly the routes whose permission it lacks`, async () => {
        const tenant = await ctx.tenants.ensure(`perm-${role.replace('_', '-')}`, `Permissions ${role}`);
        const member = await addMember(ctx, tenant.id, role);
        const mismatches: string[] = [];
        for (const r of routes) {
          if (r.access === 'public' || r.access === 'authenticated') continue;
          if (r.path === '/auth/logout') continue;
          const res = await send(app, r.method, fillPath(r, () => DUMMY_ID), member.headers, sampleBody(r));
          const allowedByTable = can(role, r.access);
          const refused = res.status === 403 && res.body?.error?.code === 'forbidden';
          if (allowedByTable === refused || res.status === 401 || res.status >= 500) {
            mismatches.push(`${r.method.toUpperCase()} ${r.path} (${r.access}): ${allowedByTable ? 'allowed' : 'refused'} by the table, answered ${res.status} ${JSON.stringify(res.body?.error?.code)}`);
          }
        }
        expect(mismatches).to.deep.equal([]);
      });
    }
  });

  describe('tenant isolation: tenant B walks every route of the OpenAPI document with tenant A’s ids', () => {
    const MARK = 'ALPHAMARK';
    let a: { tenantId: string; owner: TestMember; manager: TestMember; ids: Record<string, string> };
    let bOwner: TestMember;
    let bTenantId: string;

    before(async () => {
      const tenantA = await ctx.tenants.ensure('alpha', `Alpha ${MARK}`);
      ctx.tenantSettings.set(tenantA.id, tenantA.settings);
      const owner = await addMember(ctx, tenantA.id, 'owner', `owner-${MARK.toLowerCase()}@alpha.test`);
      const manager = await addMember(ctx, tenantA.id, 'manager', `manager-${MARK.toLowerCase()}@alpha.test`);
      const ids: Record<string, string> = { tenant: tenantA.id, owner: owner.userId, manager: manager.userId };

      // A flow with a webhook, published, and one execution of it.
      const definition = flow(
        [
          { id: 'hook', type: 'trigger.webhook', params: { path: 'alpha-in', method: 'POST', respond: 'onFinish' } },
          { id: 'set', type: 'data.set', params: { fields: { marker: MARK } } },
        ],
        [['hook', 'out', 'set']],
      );
      const created = await send(app, 'post', '/api/v1/flows', owner.headers, { name: `Flow ${MARK}`, definition }).expect(201);
      ids.flow = created.body.id as string;
      await send(app, 'post', `/api/v1/flows/${ids.flow}/publish`, owner.headers, {}).expect(201);
      const hook = await request(app).post('/hooks/alpha/alpha-in').send({ who: MARK }).expect(200);
      ids.execution = hook.headers['x-execution-id'] as string;

      // A Class B draft a manager asks to publish: a pending publish request.
      const classB = flow([
        { id: 'hook', type: 'trigger.webhook', params: { path: 'alpha-b', method: 'POST' } },
        { id: 'call', type: 'http.request', params: { url: 'https://example.test/' } },
      ], [['hook', 'out', 'call']]);
      const second = await send(app, 'post', '/api/v1/flows', owner.headers, { name: `Class B ${MARK}`, definition: classB }).expect(201);
      const requested = await send(app, 'post', `/api/v1/flows/${second.body.id as string}/publish`, manager.headers, {}).expect(202);
      ids.publishRequest = (requested.body.request?.id ?? requested.body.id) as string;

      const cred = await send(app, 'post', '/api/v1/credentials', owner.headers, { name: `cred-${MARK}`, type: 'http-bearer', data: { token: `secret-${MARK}` } }).expect(201);
      ids.credential = cred.body.id as string;
      const invite = await send(app, 'post', '/api/v1/users/invitations', owner.headers, { email: `invitee-${MARK.toLowerCase()}@alpha.test`, role: 'viewer' }).expect(201);
      ids.invitation = invite.body.id as string;
      const key = await send(app, 'post', '/api/v1/api-keys', owner.headers, { name: `key-${MARK}`, role: 'viewer', scopes: ['flows.read'] }).expect(201);
      ids.apiKey = key.body.id as string;
      const contact = await send(app, 'post', '/api/v1/contacts', owner.headers, { name: `Contact ${MARK}`, phone: '0551234567', email: `${MARK.toLowerCase()}@alpha.test` }).expect(201);
      ids.contact = contact.body.id as string;
      await send(app, 'post', `/api/v1/contacts/${ids.contact}/consents/grant`, owner.headers, { channel: 'whatsapp', purpose: 'marketing', source: 'web_form', evidence: { text: MARK } }).expect(200);
      const holiday = await send(app, 'post', '/api/v1/send-policy/holidays', owner.headers, { from: '2026-03-19', to: '2026-03-23', name: { ar: `عيد ${MARK}`, en: `Eid ${MARK}` } }).expect(201);
      ids.holiday = holiday.body.id as string;
      // An outbox message (a send refused for lack of consent: no window or provider involved).
      const refused = await ctx.outbox.send({ tenantId: tenantA.id, executionId: 'alpha-x', flowId: 'alpha-f', nodeId: 'send', stepId: 'alpha-x:1' }, { channel: 'sms', contactId: ids.contact, purpose: 'service', text: MARK }, new AbortController().signal);
      ids.outbox = refused.messageId;
      // The contact enrolled in a sequence (a flow with a manual trigger): an enrollment.
      const sequence = await ctx.flows(tenantA.id).publish(flow([{ id: 'start', type: 'trigger.manual' }, { id: 'later', type: 'time.delay', params: { seconds: 3600 } }], [['start', 'out', 'later']]));
      const enrolled = await send(app, 'post', '/api/v1/enrollments', owner.headers, { flowId: sequence.flowId, contactIds: [ids.contact] }).expect(200);
      ids.enrollment = enrolled.body.enrolled[0].enrollmentId as string;
      // An escalation for the manager (and its notification), an event, a deal and a meeting.
      const opened = await ctx.escalations.open(tenantA.id, { kind: 'step', stepId: `alpha:${MARK}`, assignee: { kind: 'user', userId: manager.userId }, reason: `Review ${MARK}`, priority: 'normal', dueAt: Date.now() + 3_600_000, payload: { marker: MARK } });
      ids.escalation = opened.escalation.id;
      ids.notification = (await ctx.escalations.notifications(tenantA.id).list(manager.userId, { limit: 1 }))[0]!.id;
      ids.event = (await send(app, 'post', '/api/v1/events', owner.headers, { id: `event-${MARK}`, type: 'acme.alpha', data: { marker: MARK } }).expect(202)).body.eventId as string;
      ids.deal = (await send(app, 'post', '/api/v1/deals', owner.headers, { title: `Deal ${MARK}`, contactId: ids.contact, valueSar: '1000.00' }).expect(201)).body.id as string;
      ids.meeting = (await send(app, 'post', '/api/v1/meetings', owner.headers, { contactId: ids.contact, startsAt: '2026-03-02T10:00:00+03:00' }).expect(201)).body.id as string;
      // A stored document (a proposal PDF) about the contact.
      ids.document = (await new DocumentService(ctx.db).storeForStep({ tenantId: tenantA.id, executionId: 'alpha-x', flowId: 'alpha-f', stepId: 'alpha-x:2', nodeId: 'proposal', subject: ids.contact }, { filename: `proposal-${MARK}.pdf`, contentType: 'application/pdf', data: Buffer.from(`%PDF-1.7 ${MARK}`) })).id;
      a = { tenantId: tenantA.id, owner, manager, ids };

      const tenantB = await ctx.tenants.ensure('bravo', 'Bravo');
      bTenantId = tenantB.id;
      bOwner = await addMember(ctx, tenantB.id, 'owner');
    });

    /** Tenant A's id for a path parameter, by the resource the path names. */
    function alphaId(param: string, r: RouteSpec): string {
      if (param === 'version') return '1';
      const p = r.path;
      if (p.startsWith('/flows/')) return a.ids.flow!;
      if (p.startsWith('/publish-requests/')) return a.ids.publishRequest!;
      if (p.startsWith('/executions/')) return a.ids.execution!;
      if (p.startsWith('/credentials/')) return a.ids.credential!;
      if (p.startsWith('/users/invitations/')) return a.ids.invitation!;
      if (p.startsWith('/users/')) return a.ids.manager!;
      if (p.startsWith('/api-keys/')) return a.ids.apiKey!;
      if (globalResource(r)) return 'no-such-template';
      if (p.startsWith('/enrollments/')) return a.ids.enrollment!;
      if (p.startsWith('/contacts/')) return a.ids.contact!;
      if (p.startsWith('/send-policy/holidays/')) return a.ids.holiday!;
      if (p.startsWith('/outbox/')) return a.ids.outbox!;
      if (p.startsWith('/escalations/')) return a.ids.escalation!;
      if (p.startsWith('/notifications/')) return a.ids.notification!;
      if (p.startsWith('/events/')) return a.ids.event!;
      if (p.startsWith('/deals/')) return a.ids.deal!;
      if (p.startsWith('/meetings/')) return a.ids.meeting!;
      if (p.startsWith('/documents/')) return a.ids.document!;
      if (gatewayWebhook(r)) return 'alpha'; // tenant A's slug
      throw new Error(`no tenant-A id for :${param} in ${p}: add the resource to alphaId()`);
    }

    /** Routes whose :id names something global, not tenant data (the built-in template gallery). */
    const globalResource = (r: RouteSpec): boolean => r.path.startsWith('/templates/:id');
    /** Payment gateway webhooks: public, authenticated by the gateway's secret, so B's call is refused (401, or 400 for its body) rather than 404. */
    const gatewayWebhook = (r: RouteSpec): boolean => r.path.startsWith('/payments/webhooks/');

    it('answers 404 for every route naming A’s ids, never shows A’s data, and leaves A’s rows untouched', async () => {
      const doc = (await request(app).get('/api/v1/openapi.json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
      const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)));
      const before = await snapshot(ctx, a.tenantId);
      const secrets = [MARK, ...Object.values(a.ids)];
      const leaks: string[] = [];
      const not404: string[] = [];
      let walked = 0;
      for (const r of routes) {
        const key = `${r.method} /api/v1${r.path.replace(/:(\w+)/g, '{$1}')}`;
        expect(documented.has(key), `${key} is in the OpenAPI document`).to.equal(true);
        if (r.path === '/auth/logout' || r.path === '/auth/switch-tenant') continue; // would end or move B's session
        const res = await send(app, r.method, fillPath(r, alphaId), bOwner.headers, sampleBody(r));
        walked++;
        const text = JSON.stringify(res.body ?? '') + (res.text ?? '');
        for (const s of secrets) if (text.includes(s)) leaks.push(`${key} answered ${res.status} containing ${s}`);
        if (gatewayWebhook(r)) {
          if (res.status !== 400 && res.status !== 401) not404.push(`${key}: ${res.status} (a gateway webhook without the secret must be refused)`);
          continue;
        }
        if (r.path.includes(':') && !globalResource(r) && res.status !== 404) not404.push(`${key}: ${res.status} ${JSON.stringify(res.body?.error ?? res.body).slice(0, 200)}`);
      }
      expect(walked).to.be.greaterThan(20);
      expect(leaks).to.deep.equal([]);
      expect(not404).to.deep.equal([]);
      expect(await snapshot(ctx, a.tenantId), 'tenant A rows unchanged').to.equal(before);
      // B did reach its own tenant (the walk is not vacuous): its own flows list answers.
      const own = await send(app, 'get', '/api/v1/flows', bOwner.headers).expect(200);
      expect(JSON.stringify(own.body)).to.not.include(MARK);
      expect(bTenantId).to.not.equal(a.tenantId);
    });

    it('A’s owner reads every GET route with A’s ids: each answer matches its declared schema', async () => {
      let ok = 0;
      for (const r of routes.filter((x) => x.method === 'get')) {
        const res = await send(app, 'get', fillPath(r, alphaId), a.owner.headers);
        if (res.status === 200) ok++;
      }
      // The checks run in afterEach; most reads must have found real data to check.
      expect(ok).to.be.greaterThan(routes.filter((x) => x.method === 'get').length * 0.6);
    });

    it('A’s own owner still reads A’s execution (the ids used above are real)', async () => {
      await waitFor(async () => (await send(app, 'get', `/api/v1/executions/${a.ids.execution}`, a.owner.headers)).status === 200, 5000, 50);
    });
  });

  describe('malformed input: every JSON body route answers 4xx, never 500, and writes nothing', () => {
    let owner: TestMember;
    before(async () => {
      const tenant = await ctx.tenants.ensure('fuzz', 'Fuzz');
      owner = await addMember(ctx, tenant.id, 'owner');
    });

    const bodyRoutes = () => routes.filter((r) => r.body);

    it('bodies that break the route’s schema (random JSON and mutations of a valid body)', async () => {
      const before = await snapshot(ctx);
      const failures: string[] = [];
      for (const r of bodyRoutes()) {
        const validate = ajv.compile(plain(r.body) as object);
        const valid = sampleBody(r) as Record<string, unknown>;
        const mutations = fc.oneof(
          fc.jsonValue(),
          // One property of a valid body replaced by a value of another type.
          fc.record({ key: fc.constantFrom(...Object.keys(valid ?? {}), 'unexpected'), value: fc.jsonValue() }).map(({ key, value }) => ({ ...(valid ?? {}), [key]: value })),
          // A required property dropped.
          fc.constantFrom(...Object.keys(valid ?? {}), '').map((key) => Object.fromEntries(Object.entries(valid ?? {}).filter(([k]) => k !== key))),
        );
        await fc.assert(
          fc.asyncProperty(mutations.filter((b) => !validate(structuredClone(b))), async (body) => {
            const res = await send(app, r.method, fillPath(r, () => DUMMY_ID), { ...owner.headers, 'Content-Type': 'application/json' }).send(JSON.stringify(body));
            if (res.status < 400 || res.status >= 500) failures.push(`${r.method} ${r.path} ${JSON.stringify(body).slice(0, 120)} → ${res.status}`);
            else if (!res.body?.error?.code) failures.push(`${r.method} ${r.path} → ${res.status} without an error body`);
          }),
          { numRuns: 15 },
        );
      }
      expect(failures.slice(0, 20)).to.deep.equal([]);
      expect(await snapshot(ctx), 'nothing written').to.equal(before);
    });

    it('malformed JSON, a wrong content type and an oversized body', async () => {
      const before = await snapshot(ctx);
      for (const r of bodyRoutes()) {
        const url = fillPath(r, () => DUMMY_ID);
        const broken = await send(app, r.method, url, { ...owner.headers, 'Content-Type': 'application/json' }).send('{"a": ');
        expect(broken.status, `${r.method} ${r.path} broken JSON`).to.equal(400);
        expect(broken.body.error.code).to.equal('invalid_json');
        const form = await send(app, r.method, url, { ...owner.headers, 'Content-Type': 'text/plain' }).send('hello');
        expect(form.status, `${r.method} ${r.path} text/plain`).to.equal(415);
        const limit = r.bodyLimit ?? 1024 * 1024;
        const big = await send(app, r.method, url, { ...owner.headers, 'Content-Type': 'application/json' }).send(JSON.stringify({ pad: 'x'.repeat(limit + 1) }));
        expect(big.status, `${r.method} ${r.path} oversized`).to.equal(413);
        expect(big.body.error.code).to.equal('payload_too_large');
      }
      expect(await snapshot(ctx), 'nothing written').to.equal(before);
    });
  });
});


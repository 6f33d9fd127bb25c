// Bad input is a 4xx (issue 14 item 5): the cases a hostile-tenant review found answering 500 —
// NUL in values used in lookups (PostgreSQL refuses \0 in text), JSON nested 20,000+ deep in
// webhook bodies, POST /events, test-run and sample input, an imported template (stack overflow
// while serialising) — on SQLite and PostgreSQL; and the checker itself (server/http/input-guard.ts).
import { expect } from 'chai';
import request from 'supertest';
import { openApiEnv, type ApiEnv } from '../helpers/api-env.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { DIALECTS, requirePostgres } from '../helpers/databases.js';
import { seedDemoTenant } from '../../seeds/demo-tenant.js';
import { MAX_JSON_DEPTH, guardStrings, jsonProblem, CONTROL_KEYWORD } from '../../server/http/input-guard.js';
import { toApiError } from '../../server/http/domain-errors.js';
import { apiRoutes } from '../../server/routes/index.js';

const DEEP = 25_000;
/** `{"a":{"a":…1…}}` nested `n` objects deep, as text (building it as a value would be recursion-free too, but slower). */
const deepObject = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const deepArray = (n: number): string => '['.repeat(n) + ']'.repeat(n);
/** The pointer where the limit is crossed below `base` in a deepObject: MAX_JSON_DEPTH segments for a top-level body. */
const crossing = (base: string, levelsAbove: number): string => base + '/a'.repeat(MAX_JSON_DEPTH - levelsAbove);

describe('bad input: the server’s checks', () => {
  it('jsonProblem is iterative: a 200,000-deep array is refused at the 65th level without a stack overflow', () => {
    let value: unknown = [];
    for (let i = 1; i < 200_000; i++) value = [value];
    const problem = jsonProblem(value, '/body');
    expect(problem?.code).to.equal('too_deep');
    expect(problem?.path).to.equal('/body' + '/0'.repeat(MAX_JSON_DEPTH));
  });

  it('accepts exactly MAX_JSON_DEPTH levels and refuses one more', () => {
    expect(jsonProblem(JSON.parse(deepObject(MAX_JSON_DEPTH)), '')).to.equal(null);
    expect(jsonProblem(JSON.parse(deepObject(MAX_JSON_DEPTH + 1)), '')?.path).to.equal('/a'.repeat(MAX_JSON_DEPTH));
    expect(jsonProblem(JSON.parse(deepArray(MAX_JSON_DEPTH + 1)), '')?.code).to.equal('too_deep');
  });

  it('finds NUL in strings and keys when asked (API bodies), with the pointer', () => {
    expect(jsonProblem({ a: [1, 'x\u0000'] }, '/body', { refuseNul: true })).to.deep.include({ path: '/body/a/1', code: 'control_character' });
    expect(jsonProblem({ 'k\u0000/': 1 }, '/body', { refuseNul: true })?.path).to.equal('/body/k\u0000~1');
    expect(jsonProblem({ a: 'x\u0000' }, '/body')).to.equal(null);
  });

  it('guardStrings marks lookup fields token (no control character) and other strings text', () => {
    const s = guardStrings({
      type: 'object',
      properties: { tenant: { type: 'string' }, name: { type: 'string' }, contactIds: { type: 'array', items: { type: 'string' } }, at: { type: 'string', format: 'date' }, data: {} },
    }) as { properties: Record<string, Record<string, unknown> & { items?: Record<string, unknown> }> };
    expect(s.properties.tenant![CONTROL_KEYWORD]).to.equal('token');
    expect(s.properties.name![CONTROL_KEYWORD]).to.equal('text');
    expect(s.properties.contactIds!.items![CONTROL_KEYWORD]).to.equal('token');
    expect(s.properties.at![CONTROL_KEYWORD]).to.equal('token');
    expect(s.properties.data).to.deep.equal({});
  });

  it('PostgreSQL refusing a NUL (22021, 22P05) that got past the checks is a 400, not a 500', () => {
    for (const code of ['22021', '22P05']) {
      const e = toApiError(Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code }), () => undefined);
      expect(e.status).to.equal(400);
    }
    const sequelizeWrapped = toApiError({ name: 'SequelizeDatabaseError', original: { code: '22021' } }, () => undefined);
    expect(sequelizeWrapped.status).to.equal(400);
  });

  it('a stack overflow escaping a handler is a 400 too_deep, not a 500', () => {
    const overflow = (): number => overflow() + 1;
    let err: unknown;
    try {
      overflow();
    } catch (e) {
      err = e;
    }
    const logged: unknown[] = [];
    const e = toApiError(err, (x) => logged.push(x));
    expect(e.status).to.equal(400);
    expect(e.code).to.equal('too_deep');
    expect(logged).to.have.length(1);
  });
});

for (const dialect of DIALECTS) {
  describe(`bad input over HTTP (${dialect})`, function () {
    this.timeout(60_000);
    let env: ApiEnv;
    let owner: TestMember;
    let flowId: string;

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      env = await openApiEnv(dialect, 'badinput');
      const seeded = await seedDemoTenant(env.ctx);
      owner = await addMember(env.ctx, seeded.tenantId, 'owner');
      const flows = await request(env.app).get('/api/v1/flows').set(owner.headers).expect(200);
      flowId = flows.body.items[0].id as string;
    });
    after(async () => env?.close());

    const api = (method: 'get' | 'post' | 'put', url: string) => request(env.app)[method](url).set(owner.headers);
    const json = (method: 'post' | 'put', url: string, text: string) => api(method, url).set('Content-Type', 'application/json').send(text);

    function expectControl(res: request.Response, path: string): void {
      expect(res.status, JSON.stringify(res.body)).to.equal(400);
      expect(res.body.error.details).to.deep.include({ path, code: 'control_character', message: res.body.error.details.find((d: { path: string }) => d.path === path)?.message });
    }

    describe('NUL and control characters', () => {
      it('POST /auth/switch-tenant {"tenant":"\\u0000"} → 400 at /body/tenant', async () => {
        expectControl(await api('post', '/api/v1/auth/switch-tenant').send({ tenant: '\u0000' }), '/body/tenant');
        expectControl(await api('post', '/api/v1/auth/switch-tenant').send({ tenant: 'demo\u0001' }), '/body/tenant');
      });

      it('POST /hooks/a%00b/leads and a NUL in the webhook path → 404; in its query → 400', async () => {
        for (const url of ['/hooks/a%00b/leads', '/hooks/demo/le%00ads', '/hooks/demo%7F/leads', '/hooks/providers/ultramsg/a%00b/x']) {
          const res = await request(env.app).post(url).send({});
          expect(res.status, url).to.equal(404);
          expect(res.body.error.code).to.equal('not_found');
        }
        expectControl(await request(env.app).post('/hooks/demo/leads?src=a%00b').send({}), '/query/src');
      });

      it('path parameters (ids) → 400 at /params/id, before any query', async () => {
        for (const url of [`/api/v1/flows/a%00b`, `/api/v1/contacts/%00`, `/api/v1/executions/x%1Fy`, `/api/v1/deals/a%7F`]) expectControl(await api('get', url), '/params/id');
      });

      it('query values and lookup fields of bodies → 400; newline and tab stay allowed in text', async () => {
        expectControl(await api('get', '/api/v1/executions?flowId=a%00b'), '/query/flowId');
        expectControl(await request(env.app).post('/api/v1/auth/login').send({ email: 'owner@demo.tadfuq.test\u0000', password: 'x' }), '/body/email');
        expectControl(await api('post', '/api/v1/contacts').send({ name: 'Sara\u0007', phone: '0551234567' }), '/body/name');
        expectControl(await api('post', '/api/v1/events').send({ id: 'e\u0000', type: 'acme.x', data: {} }), '/body/id');
        expectControl(await api('post', '/api/v1/events').send({ id: 'e-1', type: 'acme.x', data: { note: 'a\u0000b' } }), '/body/data/note');
        const text = await api('post', '/api/v1/contacts').send({ name: 'Sara\tAl-Harbi\nRiyadh', phone: '0551234567' });
        expect(text.status, JSON.stringify(text.body)).to.equal(201);
      });

      it('a forged cursor carrying a NUL (base64url JSON) → 400 invalid_cursor on every list', async () => {
        const forged = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
        const lists = apiRoutes(env.ctx)
          .filter((r) => r.method === 'get' && !r.path.includes(':') && 'cursor' in ((JSON.parse(JSON.stringify(r.query ?? {})) as { properties?: object }).properties ?? {}))
          .map((r) => r.path.slice(1));
        expect(lists).to.include.members(['contacts', 'executions', 'meetings', 'enrollments', 'flows']);
        for (const list of lists) {
          for (const v of [{ id: '\u0000', at: 1, t: 1, startsAt: 1 }, '\u0000', [1, '\u0000'], ['\u0000', 1]]) {
            const res = await api('get', `/api/v1/${list}?cursor=${forged(v)}`);
            expect(res.status, `${list} ${JSON.stringify(v)}: ${JSON.stringify(res.body)}`).to.equal(400);
            expect(res.body.error.details[0]).to.include({ path: '/query/cursor', code: 'invalid_cursor' });
          }
        }
      });

      it('an API key with the sales_rep role lists (nothing of) others’ records instead of a 500', async () => {
        const created = await api('post', '/api/v1/api-keys').send({ name: 'rep-key', role: 'sales_rep', scopes: ['contacts.read', 'deals.read', 'outbox.read', 'enrollments.read', 'meetings.read'] }).expect(201);
        const key = (created.body as { key: string }).key;
        for (const list of ['contacts', 'deals', 'outbox', 'enrollments', 'meetings']) {
          const res = await request(env.app).get(`/api/v1/${list}`).set('X-API-Key', key);
          expect(res.status, `${list}: ${JSON.stringify(res.body)}`).to.equal(200);
        }
      });
    });

    describe(`JSON nested ${DEEP} deep → 400 too_deep with the pointer where the limit is crossed`, () => {
      function expectTooDeep(res: request.Response, path: string): void {
        expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(400);
        expect(res.body.error.code).to.equal('too_deep');
        expect(res.body.error.details[0]).to.include({ path, code: 'too_deep' });
      }

      it('a webhook body (JSON object and array)', async () => {
        expectTooDeep(await request(env.app).post('/hooks/demo/leads').set('Content-Type', 'application/json').send(deepObject(DEEP)), crossing('/body', 0));
        expectTooDeep(await request(env.app).post('/hooks/demo/leads').set('Content-Type', 'application/json').send(deepArray(DEEP)), '/body' + '/0'.repeat(MAX_JSON_DEPTH));
        const fine = await request(env.app).post('/hooks/demo/leads').set('Content-Type', 'application/json').send(deepObject(MAX_JSON_DEPTH));
        // Exactly the limit passes the check (the demo flow then fails on the missing fields: its 500 execution_failed).
        expect(fine.status, 'exactly the limit is accepted').to.not.equal(400);
        expect(fine.body.error?.code ?? null).to.not.equal('too_deep');
      });

      it('POST /events', async () => {
        expectTooDeep(await json('post', '/api/v1/events', `{"id":"deep-1","type":"acme.deep","data":${deepObject(DEEP)}}`), crossing('/body/data', 1));
      });

      it('POST /flows/:id/test-runs input', async () => {
        expectTooDeep(await json('post', `/api/v1/flows/${flowId}/test-runs`, `{"input":${deepObject(DEEP)}}`), crossing('/body/input', 1));
      });

      it('PUT /flows/:id/sample-input', async () => {
        expectTooDeep(await json('put', `/api/v1/flows/${flowId}/sample-input`, `{"input":${deepObject(DEEP)}}`), crossing('/body/input', 1));
      });

      it('POST /templates/import', async () => {
        expectTooDeep(await json('post', '/api/v1/templates/import', `{"template":{"tadfuqTemplate":1,"flows":[${deepArray(DEEP)}]}}`), '/body/template/flows' + '/0'.repeat(MAX_JSON_DEPTH - 2));
      });
    });
  });
}

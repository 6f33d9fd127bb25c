// Hostile input over every route and webhook answers a 4xx with the error envelope, never a 5xx
// (issue 14 item 5). The routes come from their declarations (server/routes/*.ts) and are
// checked against the OpenAPI document, so a new route is fuzzed the day it is added. For each:
// NUL and control characters, overlong, numeric and prototype strings in every path parameter and
// query value; JSON nested 20,000 deep, huge numbers, wrong types, arrays for objects,
// `__proto__`/`constructor` keys, overlong strings and fast-check's hostile strings in every body
// field; bad JSON, invalid UTF-8, wrong content types and charsets, empty and non-object bodies —
// as an owner (who reaches the handlers: path parameters name real records) and as a viewer.
// Runs on PostgreSQL; deterministic (fixed seed). api-contract.test.ts keeps the schema-mutation body fuzz; this
// file adds the hostile values and the webhooks.
import { expect } from 'chai';
import request from 'supertest';
import fc from 'fast-check';
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import { openApiEnv, type ApiEnv } from '../helpers/api-env.js';
import { requirePostgres } from '../helpers/databases.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { minimalSample } from '../helpers/schema-sample.js';
import { flow } from '../helpers/runtime-harness.js';
import { apiRoutes } from '../../server/routes/index.js';
import type { RouteSpec } from '../../server/http/route.js';
import { can } from '../../server/auth/permissions.js';

const SEED = 1414;
/** Requests in flight at once (one server in this process; SQLite waits overlap). */
const CONCURRENCY = 4;
const DUMMY_ID = '00000000-0000-7000-8000-000000000000';
const plain = (s: unknown): unknown => JSON.parse(JSON.stringify(s ?? {})) as unknown;
const deepText = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

/** Strings for path parameters and query values (encoded by the caller unless raw). */
const HOSTILE_STRINGS = ['\u0000', 'a\u0000b', '\u0001\u001b', 'x\u007f', '\t\n\r', 'x'.repeat(5_000), '__proto__', 'constructor', 'prototype', '-1', '1e400', '9'.repeat(400), 'NaN', '../../etc/passwd', "'; DROP TABLE flows; --", 'سارة\u200f😀', ' ', '%'];
/** Path parameter values (encoded) an owner tries in every parameter; a viewer, refused most routes before validation, a few. */
const PARAM_STRINGS = [...['a\u0000b', '\u0001\u001b', 'x\u007f', 'x'.repeat(5_000), '__proto__', '1e400', '9'.repeat(400), 'سارة\u200f😀'].map(encodeURIComponent), '%FF%FE', '%ED%A0%80', '%E0%A4%A'];
const VIEWER_PARAM_STRINGS = ['%00', '__proto__', 'x'.repeat(5_000), '%FF%FE'];
/** The query values tried for every declared query name. */
const QUERY_STRINGS = ['a\u0000b', '\u0001', 'x'.repeat(5_000), '__proto__', '1e400', '-1'];
/** Cursors as this API encodes them (base64url JSON), forged: NUL ids, wrong shapes, deep. */
const FORGED_CURSORS = [{ id: '\u0000', at: 1 }, [1, '\u0000'], '\u0000', [[[[[[[[1]]]]]]]], { id: 'x'.repeat(5000) }, [Infinity, null]].map((v) => Buffer.from(JSON.stringify(v)).toString('base64url'));
/** Already percent-encoded: invalid UTF-8, a lone surrogate, a broken escape. */
const RAW_ENCODED = ['%FF%FE', '%ED%A0%80', '%E0%A4%A', '%25%00'];

/** Hostile JSON texts for one body field: the first ALWAYS go into every field, the others rotate. */
const ALWAYS = 4;
const FIELD_VALUES: string[] = [
  JSON.stringify('a\u0000b'),
  JSON.stringify('x'.repeat(100_000)),
  '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}',
  deepText(200),
  JSON.stringify('\u0001\u001b\u007f'),
  '1e308',
  '-1e308',
  '1e400',
  '9007199254740993',
  '-0',
  JSON.stringify('9'.repeat(400)),
  '[]',
  '{}',
  'true',
  'null',
  '[{}]',
];

/** Hostile strings from fast-check (fixed seed): any code unit, control characters and long runs. */
const FC_STRINGS: string[] = fc.sample(
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: fc.constantFrom('\u0000', '\u0008', '\u001f', '\u007f', '\ud800', '\u202e', 'ي', '"', '\\', '/', '~'), maxLength: 30 }),
    fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 20 }),
  ),
  { seed: SEED, numRuns: 24 },
);

interface Sent {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  type?: string;
}

describe('hostile input: every route and webhook answers < 500 with the error envelope', function () {
  this.timeout(120_000);
  let env: ApiEnv;
  let owner: TestMember;
  let viewer: TestMember;
  let routes: RouteSpec[];
  const ids: Record<string, string> = {};
  const failures: string[] = [];
  let requests = 0;
  // One listening server and keep-alive connections (fetch): thousands of requests in seconds.
  let server: http.Server;
  let origin: string;

  const inflight = new Set<Promise<void>>();
  /** Start a request (at most CONCURRENCY at once); drain() waits for all. */
  async function hit(label: string, s: Sent): Promise<void> {
    while (inflight.size >= CONCURRENCY) await Promise.race(inflight);
    const p = send(label, s).finally(() => inflight.delete(p));
    inflight.add(p);
  }
  async function drain(): Promise<void> {
    while (inflight.size) await Promise.race(inflight);
  }

  async function send(label: string, s: Sent): Promise<void> {
    const headers: Record<string, string> = { ...(s.headers ?? {}), ...(s.type ? { 'Content-Type': s.type } : {}) };
    const res = await fetch(origin + s.url, { method: s.method.toUpperCase(), headers, ...(s.body !== undefined ? { body: s.body } : {}) });
    const text = await res.text();
    requests++;
    let error: { code?: unknown; message?: unknown; details?: unknown } | undefined;
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error;
    } catch {
      error = undefined;
    }
    const where = `${label} ${s.method.toUpperCase()} ${s.url.slice(0, 100)}`;
    if (res.status >= 500) failures.push(`${where} → ${res.status} ${String(error?.code)}`);
    else if (res.status >= 400 && (typeof error?.code !== 'string' || typeof error.message !== 'string' || !Array.isArray(error.details))) {
      failures.push(`${where} → ${res.status} without the error envelope: ${text.slice(0, 100)}`);
    }
  }

  before(async function () {
    // On PostgreSQL: it refuses what SQLite stores (NUL in text, out-of-range integers), so the
    // 500s the review found live there. Fails under CI when PostgreSQL is missing, skips elsewhere.
    await requirePostgres(this);
    env = await openApiEnv('postgres', 'hostile');
    const tenant = await env.ctx.tenants.ensure('fuzz', 'Fuzz');
    env.ctx.tenantSettings.set(tenant.id, tenant.settings);
    owner = await addMember(env.ctx, tenant.id, 'owner');
    viewer = await addMember(env.ctx, tenant.id, 'viewer');
    routes = apiRoutes(env.ctx);
    server = http.createServer(env.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const post = async (url: string, body: object, status: number) => (await request(env.app).post(url).set(owner.headers).send(body).expect(status)).body as { id: string };

    // Webhooks: answered at once, answered on finish, and one that requires a signature.
    const publishHook = async (name: string, params: Record<string, unknown>) => {
      const definition = flow([{ id: 'hook', type: 'trigger.webhook', params }, { id: 'set', type: 'data.set', params: { fields: { ok: true }, keepInput: false } }], [['hook', 'out', 'set']]);
      const created = await post('/api/v1/flows', { name, definition }, 201);
      await request(env.app).post(`/api/v1/flows/${created.id}/publish`).set(owner.headers).send({}).expect(201);
      return created.id;
    };
    await post('/api/v1/credentials', { name: 'hook-secret', type: 'webhook-hmac', data: { secret: 'fuzz-secret-0123456789' } }, 201);
    ids.flow = await publishHook('Fuzz now', { path: 'now', method: 'POST', respond: 'immediately' });
    await publishHook('Fuzz finish', { path: 'finish', method: 'POST', respond: 'onFinish' });
    await publishHook('Fuzz signed', { path: 'signed', method: 'POST', respond: 'immediately', signature: { credential: 'hook-secret' } });
    ids.contact = (await post('/api/v1/contacts', { name: 'Fuzz Contact', phone: '0551234567', email: 'fuzz@example.test' }, 201)).id;
    ids.deal = (await post('/api/v1/deals', { title: 'Fuzz deal', contactId: ids.contact, valueSar: '1000.00' }, 201)).id;
    ids.meeting = (await post('/api/v1/meetings', { contactId: ids.contact, startsAt: '2026-03-02T10:00:00+03:00' }, 201)).id;
    ids.event = ((await post('/api/v1/events', { id: 'fuzz-event', type: 'acme.fuzz', data: {} }, 202)) as unknown as { eventId: string }).eventId;
  });

  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await env?.close();
  });

  /** A real record for the path's resource where one exists (the handler is reached), else a well-formed unknown id. */
  function realId(param: string, r: RouteSpec): string {
    if (param === 'version') return '1';
    for (const [prefix, key] of [['/flows/', 'flow'], ['/contacts/', 'contact'], ['/deals/', 'deal'], ['/meetings/', 'meeting'], ['/events/', 'event']] as const) {
      if (r.path.startsWith(prefix) && ids[key]) return ids[key]!;
    }
    return DUMMY_ID;
  }

  /** Routes that hash passwords (argon2) or start a sandbox: fewer requests. */
  const isSlow = (r: RouteSpec): boolean => /^\/(auth\/|code\/)/.test(r.path);
  const fill = (r: RouteSpec, value: (param: string) => string): string => '/api/v1' + r.path.replace(/:(\w+)/g, (_m, name: string) => value(name));
  const validUrl = (r: RouteSpec): string => fill(r, (p) => encodeURIComponent(realId(p, r)));
  const sample = (r: RouteSpec): Record<string, unknown> => {
    const s = r.body ? minimalSample(plain(r.body)) : {};
    return s !== null && typeof s === 'object' && !Array.isArray(s) ? (s as Record<string, unknown>) : {};
  };
  // Destructive routes last, so earlier requests still find the records.
  const ordered = (): RouteSpec[] => [...routes.filter((r) => r.method !== 'delete'), ...routes.filter((r) => r.method === 'delete')].filter((r) => r.path !== '/auth/logout');

  it('the route list matches the OpenAPI document', async () => {
    const doc = (await request(env.app).get('/api/v1/openapi.json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)));
    for (const r of routes) expect(documented.has(`${r.method} /api/v1${r.path.replace(/:(\w+)/g, '{$1}')}`), `${r.method} ${r.path}`).to.equal(true);
    expect(routes.length).to.be.greaterThan(50);
  });

  it('webhooks and provider callbacks: hostile paths, queries, bodies, content types and headers', async () => {
    const hooks = ['/hooks/fuzz/now', '/hooks/fuzz/finish', '/hooks/fuzz/signed'];
    for (const h of [...HOSTILE_STRINGS.map(encodeURIComponent), ...RAW_ENCODED]) {
      await hit('hook tenant', { method: 'post', url: `/hooks/${h}/now`, body: '{}', type: 'application/json' });
      await hit('hook path', { method: 'post', url: `/hooks/fuzz/${h}`, body: '{}', type: 'application/json' });
      await hit('hook query', { method: 'post', url: `/hooks/fuzz/now?q=${h}&${h}=1`, body: '{}', type: 'application/json' });
      await hit('provider', { method: 'post', url: `/hooks/providers/ultramsg/fuzz/${h}`, body: '{}', type: 'application/json' });
    }
    const bodies: { body: string | Buffer; type: string }[] = [
      ...FIELD_VALUES.map((v) => ({ body: `{"field":${v}}`, type: 'application/json' })),
      ...FC_STRINGS.map((s) => ({ body: JSON.stringify({ [s]: s }), type: 'application/json' })),
      { body: deepText(20_000), type: 'application/json' },
      { body: '['.repeat(20_000) + ']'.repeat(20_000), type: 'application/vnd.api+json' },
      { body: '{"a": ', type: 'application/json' },
      { body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x22, 0x7d]), type: 'application/json' },
      { body: '', type: 'application/json' },
      { body: 'a=1&a=2&__proto__[x]=1&constructor=%00', type: 'application/x-www-form-urlencoded' },
      { body: 'plain \u0000 text', type: 'text/plain' },
      { body: '<a/>', type: 'application/xml' },
      { body: '{}', type: 'application/json; charset=utf-16' },
      { body: '--x\r\n\r\n--x--', type: 'multipart/form-data; boundary=x' },
      { body: 'x'.repeat(1024 * 1024 + 1), type: 'application/json' },
    ];
    for (const url of hooks) {
      for (const b of bodies) await hit('hook body', { method: 'post', url, ...b });
      for (const method of ['get', 'put', 'delete', 'patch']) await hit('hook method', { method, url });
      for (const key of ['x'.repeat(300), '', 'é', ' spaced ']) await hit('hook idempotency', { method: 'post', url, headers: { 'Idempotency-Key': key }, body: '{}', type: 'application/json' });
      const t = Math.floor(Date.now() / 1000);
      for (const sig of ['', 't=', 'v1=', `t=${t},v1=zz`, `t=99999999999999999999,v1=${'a'.repeat(64)}`, `t=${t},v1=${createHmac('sha256', 'wrong').update(`${t}.{}`).digest('hex')}`, 'a'.repeat(8000)]) {
        await hit('hook signature', { method: 'post', url, headers: { 'X-Tadfuq-Signature': sig }, body: '{}', type: 'application/json' });
      }
    }
    await hit('provider twilio', { method: 'post', url: '/hooks/providers/twilio/fuzz/status', body: 'MessageSid=%00&MessageStatus=' + 'x'.repeat(5000), type: 'application/x-www-form-urlencoded' });
    await hit('provider deep', { method: 'post', url: '/hooks/providers/ultramsg/fuzz/x', body: deepText(20_000), type: 'application/json' });
    await drain();
    expect(failures).to.deep.equal([]);
  });

  it('API routes, as an owner and as a viewer: path parameters and query values', async () => {
    for (const member of [owner, viewer]) {
      const label = member.role;
      for (const r of ordered()) {
        const names = [...r.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
        const body = r.body ? JSON.stringify(sample(r)) : undefined;
        const type = r.body ? 'application/json' : undefined;
        // The permission check comes before parameters are read: a viewer's refused routes prove nothing more.
        const reaches = member === owner || r.access === 'public' || r.access === 'authenticated' || can(member.role, r.access);
        for (const name of reaches ? names : []) {
          for (const h of member === owner ? PARAM_STRINGS : VIEWER_PARAM_STRINGS) {
            await hit(`${label} param ${name}`, { method: r.method, url: fill(r, (p) => (p === name ? h : encodeURIComponent(realId(p, r)))), headers: member.headers, body, type });
          }
        }
        // Query values: the owner tries each declared name (and an undeclared one) with a handful of
        // values; the viewer, refused most routes before validation, the combined request below.
        // Routes that declare no query ignore it (the combined request below covers them); those that
        // hash passwords or start sandboxes get only that one too.
        const declared = Object.keys(((plain(r.query) as { properties?: object }).properties ?? {}) as object);
        const queryNames = member === owner && declared.length && !isSlow(r) ? [...declared, 'unexpected'] : [];
        for (const q of queryNames) {
          for (const h of [...QUERY_STRINGS.map(encodeURIComponent), RAW_ENCODED[0]!, ...(q === 'cursor' ? FORGED_CURSORS : [])]) {
            await hit(`${label} query ${q}`, { method: r.method, url: `${validUrl(r)}?${encodeURIComponent(q)}=${h}&${encodeURIComponent(q)}=${h}`, headers: member.headers, body, type });
          }
        }
        await hit(`${label} query proto`, { method: r.method, url: `${validUrl(r)}?__proto__[x]=1&constructor[prototype][y]=1&limit=1e400&cursor=%00`, headers: member.headers, body, type });
      }
    }
    await drain();
    expect(failures).to.deep.equal([]);
  });

  it('API routes with a body: hostile whole bodies (both roles) and hostile values in every field (owner)', async () => {
    const WHOLE: { label: string; body: string | Buffer; type: string }[] = [
      { label: 'empty', body: '', type: 'application/json' },
      { label: 'null', body: 'null', type: 'application/json' },
      { label: 'array', body: '[{}]', type: 'application/json' },
      { label: 'string', body: '"x"', type: 'application/json' },
      { label: 'number', body: '1e400', type: 'application/json' },
      { label: 'bad JSON', body: '{"a": ', type: 'application/json' },
      { label: 'deep', body: deepText(20_000), type: 'application/json' },
      { label: 'deep array', body: '['.repeat(20_000) + ']'.repeat(20_000), type: 'application/json' },
      { label: 'invalid UTF-8', body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x22, 0x7d]), type: 'application/json' },
      { label: 'utf-16', body: '{}', type: 'application/json; charset=utf-16' },
      { label: 'gibberish charset', body: '{}', type: 'application/json; charset=x-unknown' },
      { label: 'form', body: 'a=1', type: 'application/x-www-form-urlencoded' },
      { label: 'text', body: 'hello', type: 'text/plain' },
      { label: 'xml', body: '<a/>', type: 'application/xml' },
      { label: 'multipart', body: '--x\r\n\r\n--x--', type: 'multipart/form-data; boundary=x' },
    ];
    const VIEWER_WHOLE = ['bad JSON', 'deep', 'invalid UTF-8', 'proto keys', 'text'];
    let rotationBase = 0;
    for (const member of [owner, viewer]) {
      for (const r of ordered().filter((x) => x.body)) {
        const url = validUrl(r);
        const valid = sample(r);
        const proto = JSON.stringify(valid).replace(/^\{/, '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},').replace(/,\}$/, '}');
        const whole = [...WHOLE, { label: 'proto keys', body: proto, type: 'application/json' }].filter((w) => member === owner || VIEWER_WHOLE.includes(w.label));
        for (const w of whole) await hit(`${member.role} body ${w.label}`, { method: r.method, url, headers: member.headers, body: w.body, type: w.type });
        if (member !== owner) continue;
        const fields = Object.keys(((plain(r.body) as { properties?: object }).properties ?? {}) as object);
        // Every field gets the values that broke servers before; the others rotate over the fields
        // (and sign-in routes, which hash passwords, get fewer).
        const slow = isSlow(r);
        for (const [i, field] of fields.entries()) {
          const rotating = FIELD_VALUES.slice(ALWAYS);
          const values = slow
            ? [FIELD_VALUES[0]!, FIELD_VALUES[i % ALWAYS]!]
            : [...FIELD_VALUES.slice(0, ALWAYS), ...[0, 1, 2].map((k) => rotating[(i * 3 + k + rotationBase++) % rotating.length]!), JSON.stringify(FC_STRINGS[(i + rotationBase) % FC_STRINGS.length])];
          for (const v of values) {
            const text = JSON.stringify({ ...valid, [field]: '\u0000PLACEHOLDER' }).replace('"\\u0000PLACEHOLDER"', v);
            await hit(`owner body /${field}`, { method: r.method, url, headers: owner.headers, body: text, type: 'application/json' });
          }
        }
      }
    }
    await drain();
    expect(failures).to.deep.equal([]);
    expect(({} as Record<string, unknown>).polluted, 'Object.prototype untouched').to.equal(undefined);
  });

  it('paths outside the API, and the server still answers afterwards', async () => {
    for (const h of [...HOSTILE_STRINGS.map(encodeURIComponent), ...RAW_ENCODED]) {
      // Accept JSON: an HTML request would get the editor (or, where it is not built, its 503 notice).
      await hit('static', { method: 'get', url: `/${h}`, headers: { Accept: 'application/json' } });
      await hit('static asset', { method: 'get', url: `/assets/${h}.js`, headers: { Accept: 'application/json' } });
      await hit('api unknown', { method: 'get', url: `/api/v1/${h}`, headers: owner.headers });
      await hit('docs', { method: 'get', url: `/api/v1/docs/${h}` });
    }
    // Not /readyz: after thousands of requests its honest answer may be 503 event_loop_lag.
    for (const url of ['/healthz', '/metrics', '/api/v1/openapi.json']) await hit('ops', { method: 'get', url: `${url}?x=%00` });
    await drain();
    expect(failures).to.deep.equal([]);
    await request(env.app).get('/healthz').expect(200);
    await request(env.app).get('/api/v1/flows').set(owner.headers).expect(200);
    console.log(`      ${requests} hostile requests, fingerprint ${createHash('sha256').update(FC_STRINGS.join('\u0000')).digest('hex').slice(0, 12)}`);
  });
});

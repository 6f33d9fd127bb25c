// Credentials: the API (create, list, read, replace, delete; roles; tenant isolation; data
// validated against the type's schema), encryption at rest bound to the row, and their use by
// steps (http.request with bearer and header credentials, not forwarded on a cross-origin
// redirect; unknown names and wrong types fail the step; the code step gets nothing). Secrets
// must never appear in an answer, the audit log, any table but sealed, or a log line.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RequestListener } from 'node:http';
import { createContext, type AppContext } from '../../server/app-context.js';
import { assertContract, checkedApp } from '../helpers/contract.js';
import { loadConfig } from '../../server/config.js';
import type { Tenant } from '../../db/index.js';
import { CredentialRepository } from '../../db/credential-repository.js';
import { SecretBoxError } from '../../server/security/secret-box.js';
import { CREDENTIAL_TYPES } from '../../server/security/credential-types.js';
import {
  NodeRegistry,
  advance,
  defineNode,
  initialState,
  runStep,
  createGuardedFetch,
  type CredentialResolver,
  type ExecutionMeta,
  type Flow,
  type StepRunnerDeps,
} from '../../engine/index.js';
import { Type } from '@sinclair/typebox';
import { coreNodes } from '../../nodes/registry.js';
import { codeNode } from '../../nodes/code.node.js';
import { flow } from '../helpers/runtime-harness.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { DIALECTS, createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';

const BEARER = 'tok-BEARER-SECRET-7f3a9c';
const HEADER_VALUE = 'key-HEADER-SECRET-91c2e4';
const HMAC = 'hmac-SECRET-0123456789abcdef';
const REPLACED = 'tok-REPLACED-SECRET-55d0b1';
const SMTP_PASS = 'smtp-PASS-SECRET-c0ffee';
const SECRETS = [BEARER, HEADER_VALUE, HMAC, REPLACED, SMTP_PASS];

interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
}

/** A loopback server recording what it receives; /redirect?to=URL answers 302 to URL. Never echoes headers. */
async function startRecorder(): Promise<{ origin: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: url.pathname, headers: req.headers });
    if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/' });
      return void res.end();
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, path: url.pathname }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every row of every table, as one string (to search for plaintext secrets). */
async function dumpDatabase(ctx: AppContext): Promise<string> {
  const tables =
    ctx.db.dialect === 'sqlite'
      ? (await ctx.db.sql.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")).map((r) => String(r.name))
      : (await ctx.db.sql.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'")).map((r) => String(r.name));
  expect(tables).to.include.members(['credentials', 'audit_log', 'executions', 'execution_steps']);
  let out = '';
  for (const t of tables) out += t + JSON.stringify(await ctx.db.sql.query(`SELECT * FROM ${t}`));
  return out;
}

function noSecretsIn(text: string, where: string): void {
  for (const s of SECRETS) expect(text.includes(s), `${where} contains ${s}`).to.equal(false);
}

for (const dialect of DIALECTS) {
  describe(`server: credentials API and their use by steps (${dialect})`, function () {
    this.timeout(60_000);
    let tdb: TestDatabase | undefined;
    let dataDir: string;
    let ctx: AppContext;
    let app: RequestListener;
    let acme: Tenant;
    let owner: TestMember;
    let admin: TestMember;
    let manager: TestMember;
    let viewer: TestMember;
    let outsider: TestMember;
    const logLines: string[] = [];
    /** Every answer body the API gave in this suite, searched for secrets at the end. */
    const answers: string[] = [];

    const api = (member: TestMember) => ({
      get: (url: string) => request(app).get(`/api/v1${url}`).set(member.headers),
      post: (url: string, body: object) => request(app).post(`/api/v1${url}`).set(member.headers).send(body),
      put: (url: string, body: object) => request(app).put(`/api/v1${url}`).set(member.headers).send(body),
      delete: (url: string) => request(app).delete(`/api/v1${url}`).set(member.headers),
    });
    const keep = <T extends { text: string }>(res: T): T => {
      answers.push(res.text ?? '');
      return res;
    };

    before(async function () {
      if (dialect === 'postgres') {
        await requirePostgres(this);
        tdb = await createTestDatabase('postgres');
        await tdb.db.close();
      }
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-credentials-'));
      const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
      ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: tdb?.url ?? '' }), logger);
      acme = await ctx.tenants.ensure('acme', 'Acme', { allowPrivateNetwork: true });
      ctx.tenantSettings.set(acme.id, acme.settings);
      const other = await ctx.tenants.ensure('other', 'Other');
      owner = await addMember(ctx, acme.id, 'owner');
      admin = await addMember(ctx, acme.id, 'admin');
      manager = await addMember(ctx, acme.id, 'manager');
      viewer = await addMember(ctx, acme.id, 'viewer');
      outsider = await addMember(ctx, other.id, 'owner');
      await ctx.runtime.start();
      app = checkedApp(ctx);
    });

    after(async () => {
      await ctx?.close();
      await tdb?.drop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
      assertContract(app);
    });

    describe('the API', () => {
      let bearerId: string;

      it('GET /credential-types lists every type with Arabic and English labels and its fields (no values)', async () => {
        const res = keep(await api(manager).get('/credential-types').expect(200));
        const items = res.body.items as { type: string; label: { en: string; ar: string }; fields: { name: string; secret: boolean; required: boolean }[]; schema: { properties: object } }[];
        expect(items.map((i) => i.type)).to.deep.equal(['http-bearer', 'http-header', 'webhook-hmac', 'ultramsg', 'twilio', 'whatsapp-cloud', 'unifonic', 'taqnyat', 'moyasar', 'stripe', 'smtp', 'openai', 'groq', 'anthropic', 'gemini', 'deepseek']);
        for (const i of items) {
          expect(i.label.en, i.type).to.be.a('string').and.not.equal('');
          expect(i.label.ar, i.type).to.match(/[\u0600-\u06FF]/);
          expect(Object.keys(i.schema.properties), i.type).to.deep.equal(i.fields.map((f) => f.name));
        }
        for (const type of ['moyasar', 'stripe']) {
          expect(items.find((i) => i.type === type)!.fields, type).to.deep.equal([
            { name: 'secretKey', required: true, secret: true },
            { name: 'webhookSecret', required: false, secret: true },
            { name: 'baseUrl', required: false, secret: false },
          ]);
        }
        expect(items.find((i) => i.type === 'twilio')!.fields).to.deep.equal([
          { name: 'accountSid', required: true, secret: false },
          { name: 'authToken', required: true, secret: true },
          { name: 'from', required: false, secret: false },
          { name: 'whatsappFrom', required: false, secret: false },
          { name: 'baseUrl', required: false, secret: false },
        ]);
        await api(viewer).get('/credential-types').expect(403);
      });

      it('POST creates a credential: 201 with metadata only; the stored ciphertext holds no plaintext', async () => {
        const res = keep(await api(admin).post('/credentials', { name: 'crm-api', type: 'http-bearer', data: { token: BEARER } }).expect(201));
        expect(res.body).to.have.keys(['id', 'name', 'type', 'fields', 'createdBy', 'createdAt', 'updatedAt']);
        expect(res.body).to.include({ name: 'crm-api', type: 'http-bearer', createdBy: `user:${admin.userId}` });
        expect(res.body.fields).to.deep.equal(['token']);
        bearerId = res.body.id as string;
        const [row] = await ctx.db.sql.query('SELECT * FROM credentials WHERE id = $1', [bearerId]);
        expect(row!.tenant_id).to.equal(acme.id);
        expect(String(row!.ciphertext)).to.match(/^v1\./);
        expect(String(row!.ciphertext)).to.not.include(BEARER);
        expect(String(row!.ciphertext)).to.not.include(Buffer.from(BEARER).toString('base64url'));
        // The engine's way in decrypts it.
        expect((await ctx.credentials(acme.id).reveal('crm-api'))?.data).to.deep.equal({ token: BEARER });
        expect((await ctx.credentials(acme.id).reveal(bearerId))?.data).to.deep.equal({ token: BEARER });
      });

      it('creates every other type the steps below use (header, webhook-hmac, smtp with numbers and booleans)', async () => {
        keep(await api(owner).post('/credentials', { name: 'partner key', type: 'http-header', data: { name: 'X-Api-Key', value: HEADER_VALUE } }).expect(201));
        keep(await api(owner).post('/credentials', { name: 'hook-secret', type: 'webhook-hmac', data: { secret: HMAC } }).expect(201));
        const smtp = keep(await api(owner).post('/credentials', { name: 'بريد الشركة', type: 'smtp', data: { host: 'smtp.example.test', port: 587, secure: false, user: 'u', pass: SMTP_PASS, from: 'sales@example.test' } }).expect(201));
        expect(smtp.body.fields).to.deep.equal(['from', 'host', 'pass', 'port', 'secure', 'user']);
      });

      it('GET /credentials lists metadata, sorted by name, and audits the read', async () => {
        const res = keep(await api(manager).get('/credentials').expect(200));
        const items = res.body.items as { name: string; fields: string[] }[];
        expect(items.map((i) => i.name)).to.deep.equal(['crm-api', 'hook-secret', 'partner key', 'بريد الشركة']);
        expect(items.find((i) => i.name === 'partner key')!.fields).to.deep.equal(['name', 'value']);
        const audit = await ctx.audit(acme.id).list({ limit: 10, action: 'credentials.list' });
        expect(audit[0]).to.include({ actor: `user:${manager.userId}`, action: 'credentials.list' });
        expect(audit[0]!.details).to.deep.equal({ count: 4 });
      });

      it('GET /credentials/:id answers one credential’s metadata and audits the read', async () => {
        const res = keep(await api(manager).get(`/credentials/${bearerId}`).expect(200));
        expect(res.body).to.include({ id: bearerId, name: 'crm-api', type: 'http-bearer' });
        const [entry] = await ctx.audit(acme.id).list({ limit: 1, action: 'credentials.read' });
        expect(entry).to.include({ action: 'credentials.read', target: `credential:${bearerId}` });
        expect(entry!.details).to.deep.equal({ name: 'crm-api', type: 'http-bearer' });
      });

      it('refuses invalid data with 400 and every problem under /body/data, never echoing values', async () => {
        const missing = keep(await api(admin).post('/credentials', { name: 'x1', type: 'http-bearer', data: {} }).expect(400));
        expect(missing.body.error.code).to.equal('invalid_request');
        expect(missing.body.error.details).to.deep.include({ path: '/body/data/token', code: 'required', message: 'token is required' });

        const several = keep(await api(admin).post('/credentials', { name: 'x2', type: 'http-header', data: { name: 'Bad Header\n', value: 'ok-SECRET\r\nInjected: 1', extra: BEARER } }).expect(400));
        const paths = (several.body.error.details as { path: string }[]).map((d) => d.path);
        expect(paths).to.include.members(['/body/data/name', '/body/data/value', '/body/data/extra']);
        expect(several.text).to.not.include('ok-SECRET');
        expect(several.text).to.not.include(BEARER);

        const smtp = keep(await api(admin).post('/credentials', { name: 'x3', type: 'smtp', data: { host: 'h', port: 'many', secure: 'yes', user: 'u', pass: 'p', from: 'f' } }).expect(400));
        expect((smtp.body.error.details as { path: string }[]).map((d) => d.path)).to.include.members(['/body/data/port', '/body/data/secure']);

        const badType = keep(await api(admin).post('/credentials', { name: 'x4', type: 'ftp', data: {} }).expect(400));
        expect((badType.body.error.details as { path: string }[])[0]!.path).to.equal('/body/type');
        const badName = keep(await api(admin).post('/credentials', { name: '=$vars.x', type: 'groq', data: { apiKey: 'k' } }).expect(400));
        expect((badName.body.error.details as { path: string }[])[0]!.path).to.equal('/body/name');
        const hmacShort = keep(await api(admin).post('/credentials', { name: 'x5', type: 'webhook-hmac', data: { secret: 'short' } }).expect(400));
        expect((hmacShort.body.error.details as { path: string }[])[0]!.path).to.equal('/body/data/secret');
        expect((await api(admin).get('/credentials').expect(200)).body.items).to.have.length(4);
      });

      it('refuses a baseUrl or smtp host on a literal private address (any spelling) unless the tenant allows private networks', async () => {
        // "other" does not allow private networks (acme does: its loopback fakes are fine).
        for (const [type, data, path] of [
          ['ultramsg', { instanceId: 'i1', token: 't', baseUrl: 'http://[::127.0.0.1]:8080/' }, '/body/data/baseUrl'],
          ['twilio', { accountSid: 'AC1', authToken: 't', baseUrl: 'https://0x7f.1' }, '/body/data/baseUrl'],
          ['groq', { apiKey: 'k', baseUrl: 'https://169.254.169.254/v1' }, '/body/data/baseUrl'],
          ['moyasar', { secretKey: 'k', baseUrl: 'http://10.0.0.1/v1' }, '/body/data/baseUrl'],
          ['stripe', { secretKey: 'k', baseUrl: 'http://[fd00::1]:12111' }, '/body/data/baseUrl'],
          ['openai', { apiKey: 'k', baseUrl: 'https://api.localhost' }, '/body/data/baseUrl'],
          ['anthropic', { apiKey: 'k', baseUrl: 'https://10.0.0.5' }, '/body/data/baseUrl'],
          ['gemini', { apiKey: 'k', baseUrl: 'http://127.1:9000' }, '/body/data/baseUrl'],
          ['deepseek', { apiKey: 'k', baseUrl: 'https://[::1]/v1' }, '/body/data/baseUrl'],
          ['smtp', { host: '0177.0.0.1', port: 25, secure: false, user: 'u', pass: 'p', from: 'a@b.example' }, '/body/data/host'],
        ] as const) {
          const res = keep(await api(outsider).post('/credentials', { name: `private-${type}`, type, data }).expect(400));
          expect(res.body.error.code, type).to.equal('invalid_request');
          expect(res.body.error.details, type).to.deep.equal([{ path, code: 'address_not_allowed', message: res.body.error.details[0].message }]);
          expect(res.body.error.details[0].message).to.include('private networks');
        }
      });

      it('answers 409 for a name the tenant already uses, and another tenant may use it', async () => {
        const dup = keep(await api(admin).post('/credentials', { name: 'crm-api', type: 'groq', data: { apiKey: 'k' } }).expect(409));
        expect(dup.body.error.code).to.equal('name_taken');
        expect(dup.body.error.details[0].path).to.equal('/body/name');
        keep(await api(outsider).post('/credentials', { name: 'crm-api', type: 'groq', data: { apiKey: 'other-tenant-key' } }).expect(201));
      });

      it('applies the role table: viewers read nothing, managers read metadata but cannot write', async () => {
        expect((await api(viewer).get('/credentials').expect(403)).body.error.code).to.equal('forbidden');
        await api(viewer).get(`/credentials/${bearerId}`).expect(403);
        await api(manager).post('/credentials', { name: 'm1', type: 'groq', data: { apiKey: 'k' } }).expect(403);
        await api(manager).put(`/credentials/${bearerId}`, { data: { token: 'x' } }).expect(403);
        await api(manager).delete(`/credentials/${bearerId}`).expect(403);
        await request(app).get('/api/v1/credentials').expect(401);
      });

      it('answers 404 to another tenant for every route naming the credential, and changes nothing', async () => {
        const before = await ctx.db.sql.query('SELECT * FROM credentials WHERE id = $1', [bearerId]);
        for (const res of [
          await api(outsider).get(`/credentials/${bearerId}`),
          await api(outsider).put(`/credentials/${bearerId}`, { data: { token: 'stolen' } }),
          await api(outsider).delete(`/credentials/${bearerId}`),
        ]) {
          keep(res);
          expect(res.status).to.equal(404);
          expect(res.body.error.code).to.equal('not_found');
        }
        const listed = keep(await api(outsider).get('/credentials').expect(200));
        expect((listed.body.items as { id: string }[]).map((i) => i.id)).to.not.include(bearerId);
        expect(await ctx.db.sql.query('SELECT * FROM credentials WHERE id = $1', [bearerId])).to.deep.equal(before);
        expect(await new CredentialRepository(ctx.db, { seal: () => '', open: () => '' }, (await ctx.tenants.bySlug('other'))!.id).get(bearerId)).to.equal(null);
      });

      it('PUT replaces the data (validated against the type, sealed again) and keeps name and type', async () => {
        const [before] = await ctx.db.sql.query('SELECT ciphertext, updated_at FROM credentials WHERE id = $1', [bearerId]);
        const bad = keep(await api(admin).put(`/credentials/${bearerId}`, { data: { apiKey: 'wrong-shape' } }).expect(400));
        expect((bad.body.error.details as { path: string }[]).map((d) => d.path)).to.include.members(['/body/data/token', '/body/data/apiKey']);
        await new Promise((r) => setTimeout(r, 5)); // updatedAt is in ms
        const res = keep(await api(admin).put(`/credentials/${bearerId}`, { data: { token: REPLACED } }).expect(200));
        expect(res.body).to.include({ id: bearerId, name: 'crm-api', type: 'http-bearer' });
        expect(Date.parse(res.body.updatedAt as string)).to.be.greaterThan(Number(before!.updated_at));
        const [after] = await ctx.db.sql.query('SELECT ciphertext FROM credentials WHERE id = $1', [bearerId]);
        expect(after!.ciphertext).to.not.equal(before!.ciphertext);
        expect(String(after!.ciphertext)).to.not.include(REPLACED);
        expect((await ctx.credentials(acme.id).reveal(bearerId))?.data).to.deep.equal({ token: REPLACED });
        const [entry] = await ctx.audit(acme.id).list({ limit: 1, action: 'credentials.replace' });
        expect(entry).to.include({ target: `credential:${bearerId}` });
        await api(admin).put('/credentials/00000000-0000-7000-8000-000000000000', { data: { token: 'x' } }).expect(404);
        // Back to the first token for the step tests below.
        keep(await api(admin).put(`/credentials/${bearerId}`, { data: { token: BEARER } }).expect(200));
      });

      it('binds each ciphertext to its row: copied into another credential (or tenant) it does not decrypt', async () => {
        const donor = (await ctx.db.sql.query('SELECT ciphertext FROM credentials WHERE id = $1', [bearerId]))[0]!.ciphertext;
        const victim = keep(await api(admin).post('/credentials', { name: 'victim', type: 'http-bearer', data: { token: 'victim-token' } }).expect(201));
        await ctx.db.sql.transaction(async (q) => void (await q('UPDATE credentials SET ciphertext = $1 WHERE id = $2', [donor, victim.body.id])));
        let err: unknown;
        await ctx.credentials(acme.id).reveal('victim').catch((e: unknown) => (err = e));
        expect(err).to.be.instanceOf(SecretBoxError);
        expect(String((err as Error).message)).to.not.include(BEARER);
        // A step naming it fails cleanly (credential_unreadable), it does not crash.
        keep(await api(admin).delete(`/credentials/${victim.body.id as string}`).expect(204));
      });

      it('DELETE removes it (204), audits it, and then answers 404', async () => {
        const tmp = keep(await api(admin).post('/credentials', { name: 'temporary', type: 'openai', data: { apiKey: 'sk-temp' } }).expect(201));
        const res = await api(admin).delete(`/credentials/${tmp.body.id as string}`).expect(204);
        expect(res.text).to.equal('');
        await api(admin).get(`/credentials/${tmp.body.id as string}`).expect(404);
        await api(admin).delete(`/credentials/${tmp.body.id as string}`).expect(404);
        const [entry] = await ctx.audit(acme.id).list({ limit: 1, action: 'credentials.delete' });
        expect(entry).to.include({ target: `credential:${tmp.body.id as string}` });
        expect(entry!.details).to.deep.equal({ name: 'temporary', type: 'openai', fields: ['apiKey'] });
      });

      it('publishes its routes in the OpenAPI document with response schemas', async () => {
        const doc = (await request(app).get('/api/v1/openapi.json').expect(200)).body as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
        for (const [p, m, status] of [
          ['/credential-types', 'get', '200'],
          ['/credentials', 'get', '200'],
          ['/credentials', 'post', '201'],
          ['/credentials/{id}', 'get', '200'],
          ['/credentials/{id}', 'put', '200'],
          ['/credentials/{id}', 'delete', '204'],
        ] as const) {
          expect(doc.paths[`/api/v1${p}`]?.[m]?.responses, `${m} ${p}`).to.have.property(status);
        }
      });
    });

    describe('steps using credentials', () => {
      let a: Awaited<ReturnType<typeof startRecorder>>;
      let b: Awaited<ReturnType<typeof startRecorder>>;

      const hook = (p: string) => ({ id: 'hook', type: 'trigger.webhook', params: { path: p, method: 'POST', respond: 'onFinish' } });
      async function publishCall(name: string, call: Record<string, unknown>): Promise<void> {
        await ctx.flows(acme.id).publish(flow([hook(name), { id: 'call', type: 'http.request', params: call }], [['hook', 'out', 'call']]), { flowId: `${name}-flow` });
      }
      const fire = async (name: string) => keep(await request(app).post(`/hooks/acme/${name}`).send({ lead: 'نورة' }));

      before(async () => {
        a = await startRecorder();
        b = await startRecorder();
        await publishCall('bearer', { url: `${a.origin}/bearer`, credential: 'crm-api' });
        await publishCall('header', { url: `${a.origin}/header`, credential: 'partner key', headers: { 'x-api-key': 'overridden', 'x-plain': 'visible' } });
        await publishCall('cross-bearer', { url: `${a.origin}/redirect?to=${encodeURIComponent(`${b.origin}/landing-bearer`)}`, credential: 'crm-api' });
        await publishCall('cross-header', { url: `${a.origin}/redirect?to=${encodeURIComponent(`${b.origin}/landing-header`)}`, credential: 'partner key' });
        await publishCall('same-origin', { url: `${a.origin}/redirect?to=${encodeURIComponent(`${a.origin}/landing-same`)}`, credential: 'partner key' });
        await publishCall('missing', { url: `${a.origin}/never`, credential: 'no-such-credential' });
        await publishCall('wrong-type', { url: `${a.origin}/never`, credential: 'hook-secret' });
      });

      after(async () => {
        await a?.close();
        await b?.close();
      });

      it('http.request with an http-bearer credential reaches a loopback server with Authorization: Bearer', async () => {
        const res = await fire('bearer');
        expect(res.status, res.text).to.equal(200);
        expect(res.body).to.deep.include({ status: 200, body: { ok: true, path: '/bearer' } });
        const got = a.seen.filter((s) => s.path === '/bearer');
        expect(got).to.have.length(1);
        expect(got[0]!.headers.authorization).to.equal(`Bearer ${BEARER}`);
      });

      it('http.request with an http-header credential sets its header, over a params header of the same name', async () => {
        const res = await fire('header');
        expect(res.status, res.text).to.equal(200);
        const got = a.seen.filter((s) => s.path === '/header');
        expect(got).to.have.length(1);
        expect(got[0]!.headers['x-api-key']).to.equal(HEADER_VALUE);
        expect(got[0]!.headers['x-plain']).to.equal('visible');
      });

      it('a redirect to another origin does not carry the credential (Authorization or the custom header); the same origin does', async () => {
        expect((await fire('cross-bearer')).status).to.equal(200);
        expect((await fire('cross-header')).status).to.equal(200);
        expect((await fire('same-origin')).status).to.equal(200);
        const bearerLanding = b.seen.find((s) => s.path === '/landing-bearer');
        const headerLanding = b.seen.find((s) => s.path === '/landing-header');
        expect(bearerLanding, 'followed the redirect').to.not.equal(undefined);
        expect(bearerLanding!.headers).to.not.have.property('authorization');
        expect(headerLanding!.headers).to.not.have.property('x-api-key');
        // The first hop did carry them.
        expect(a.seen.filter((s) => s.path === '/redirect').map((s) => s.headers.authorization ?? s.headers['x-api-key'])).to.deep.equal([`Bearer ${BEARER}`, HEADER_VALUE, HEADER_VALUE]);
        expect(a.seen.find((s) => s.path === '/landing-same')!.headers['x-api-key']).to.equal(HEADER_VALUE);
      });

      it('an unknown credential name fails the step with credential_not_found; a credential of another type with credential_type_mismatch', async () => {
        const missing = await fire('missing');
        expect(missing.status).to.equal(500);
        expect(missing.body.error.details[0]).to.include({ code: 'credential_not_found', path: '/nodes/call/params/credential' });
        expect(missing.body.error.message).to.include('no-such-credential');
        const wrong = await fire('wrong-type');
        expect(wrong.status).to.equal(500);
        expect(wrong.body.error.details[0]).to.include({ code: 'credential_type_mismatch' });
        expect(a.seen.filter((s) => s.path === '/never')).to.have.length(0);
        // The runtime is fine: the next call works.
        expect((await fire('bearer')).status).to.equal(200);
      });

      it('http.request declares the credential types it accepts; the node-types API shows them', async () => {
        const res = await request(app).get('/api/v1/node-types').set(manager.headers).expect(200);
        const types = res.body.items as { type: string; credentials: string[] }[];
        expect(types.find((t) => t.type === 'http.request')!.credentials).to.deep.equal(['http-bearer', 'http-header']);
        expect(types.find((t) => t.type === 'trigger.webhook')!.credentials).to.deep.equal(['webhook-hmac']);
        expect(types.find((t) => t.type === 'code')!.credentials).to.deep.equal([]);
      });

      it('a code step cannot reach credentials: nothing of them is in its scope or its globals', async () => {
        const probe = `
          const seen = [];
          const walk = (v, depth) => { if (depth > 4 || v === null) return; if (typeof v === 'string') seen.push(v); else if (typeof v === 'object') for (const k of Object.keys(v)) walk(v[k], depth + 1); };
          walk({ input, trigger, nodes, vars }, 0);
          return {
            globals: Object.getOwnPropertyNames(globalThis).filter((k) => /cred|secret|ctx|process|require/i.test(k)),
            credential: typeof credential, ctx: typeof ctx, secrets: typeof secrets,
            strings: seen,
          };`;
        await ctx.flows(acme.id).publish(
          flow(
            [
              hook('code-probe'),
              { id: 'call', type: 'http.request', params: { url: `${a.origin}/before-code`, credential: 'crm-api' } },
              { id: 'probe', type: 'code', params: { source: probe } },
            ],
            [['hook', 'out', 'call'], ['call', 'out', 'probe']],
          ),
          { flowId: 'code-probe-flow' },
        );
        const revealed: string[] = [];
        const original = CredentialRepository.prototype.reveal;
        CredentialRepository.prototype.reveal = async function (this: CredentialRepository, ...args: Parameters<typeof original>) {
          revealed.push(args[0]);
          return original.apply(this, args);
        };
        try {
          const res = await fire('code-probe');
          expect(res.status, res.text).to.equal(200);
          expect(res.body).to.include({ credential: 'undefined', ctx: 'undefined', secrets: 'undefined' });
          expect(res.body.globals).to.deep.equal([]);
          expect((res.body.strings as string[]).length).to.be.greaterThan(0); // the walk saw the scope
          noSecretsIn(JSON.stringify(res.body), 'the code step’s view');
        } finally {
          CredentialRepository.prototype.reveal = original;
        }
        // Only http.request asked for a credential.
        expect(revealed).to.deep.equal(['crm-api']);
        expect(codeNode.credentials ?? []).to.deep.equal([]);
      });

      it('the step runner gives credentials only to node types that declare their type', async () => {
        const asked: string[] = [];
        const resolver: CredentialResolver = async ({ name, accepts }) => {
          asked.push(`${name}:${accepts.join('|')}`);
          return { token: BEARER };
        };
        const grabber = (type: string, credentials?: string[]) =>
          defineNode({
            type,
            category: 'data',
            label: { en: type, ar: type },
            description: { en: type, ar: type },
            icon: 'x',
            params: Type.Object({}, { additionalProperties: false }),
            outputs: [{ port: 'out', label: { en: 'Out', ar: 'مخرج' } }],
            ...(credentials ? { credentials } : {}),
            async execute(c) {
              const data = await c.credential('crm-api');
              return { port: 'out', output: { got: Object.keys(data) } };
            },
          });
        const registry = new NodeRegistry([...coreNodes, grabber('test.greedy'), grabber('test.allowed', ['http-bearer'])]);
        const deps: StepRunnerDeps = {
          registry,
          http: () => createGuardedFetch({ allowPrivateNetwork: false }),
          vars: () => ({}),
          contact: () => null,
          now: () => new Date(),
          maxOutputBytes: 1024 * 1024,
          stepTimeoutMs: 10_000,
          credentials: resolver,
        };
        const meta: ExecutionMeta = { id: 'x1', tenantId: acme.id, flowId: 'f1', flowVersion: 1, subject: null, mode: 'manual' };
        const run = async (type: string) => {
          const f = flow([{ id: 't', type: 'trigger.manual' }, { id: 'n', type }], [['t', 'out', 'n']]) as Flow;
          const at = new Date().toISOString();
          let state = advance(f, initialState('x1', at), { type: 'start', trigger: 't', payload: {}, at }).state;
          const trig = await runStep(deps, { meta, flow: f, state, signal: new AbortController().signal }, { seq: 1, node: 't', input: {}, attempt: 1 });
          state = advance(f, state, trig).state;
          return runStep(deps, { meta, flow: f, state, signal: new AbortController().signal }, { seq: 2, node: 'n', input: {}, attempt: 1 });
        };
        const greedy = await run('test.greedy');
        expect(greedy).to.deep.include({ type: 'stepFailed' });
        expect((greedy as { error: { code: string } }).error.code).to.equal('credential_not_allowed');
        expect(asked).to.deep.equal([]);
        const allowed = await run('test.allowed');
        expect(allowed).to.deep.include({ type: 'stepSucceeded', output: { got: ['token'] } });
        expect(asked).to.deep.equal(['crm-api:http-bearer']);
      });
    });

    describe('nothing leaks', () => {
      it('no secret in any API answer, audit entry, table (other than sealed) or log line of this suite', async () => {
        expect(answers.length).to.be.greaterThan(20);
        noSecretsIn(answers.join('\n'), 'an API answer');
        const audit = await ctx.db.sql.query('SELECT * FROM audit_log');
        expect(audit.length).to.be.greaterThan(5);
        noSecretsIn(JSON.stringify(audit), 'the audit log');
        noSecretsIn(await dumpDatabase(ctx), 'the database');
        expect(logLines.length).to.be.greaterThan(10); // the logger did log (requests at debug)
        noSecretsIn(logLines.join('\n'), 'the log');
        expect(CREDENTIAL_TYPES.length).to.equal(16);
      });
    });
  });
}

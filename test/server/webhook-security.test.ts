// Webhook security: HMAC signatures (good, bad, missing, stale, rotated, custom header,
// misconfigured credential: nothing starts unless the signature is valid and fresh),
// Idempotency-Key (a repeat or 10 concurrent identical requests start one execution and get
// the first answer; the same key with another body is 422; keys expire after 24 h; an
// abandoned claim is taken over), the body limit, and the hot path: routes without a
// signature and requests without a key make no credential or idempotency query.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RequestListener } from 'node:http';
import { createContext, type AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import type { Tenant } from '../../db/index.js';
import type { Query } from '../../db/sql-executor.js';
import { signWebhook } from '../../server/webhooks/webhook-signature.js';
import { IDEMPOTENCY_TTL_MS, WebhookIdempotency, requestFingerprint } from '../../server/webhooks/webhook-idempotency.js';
import { flow } from '../helpers/runtime-harness.js';
import { DIALECTS, createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';

const SECRET = 'whsec-SHOP-0123456789abcdef';
const BODY_LIMIT = 4096;
const now = () => Math.floor(Date.now() / 1000);

for (const dialect of DIALECTS) {
  describe(`server: webhook signatures and idempotency (${dialect})`, function () {
    this.timeout(60_000);
    let tdb: TestDatabase | undefined;
    let dataDir: string;
    let ctx: AppContext;
    let app: RequestListener;
    let shop: Tenant;
    let other: Tenant;

    async function executions(flowId: string, tenant = shop): Promise<number> {
      const [row] = await ctx.db.sql.query('SELECT COUNT(*) AS n FROM executions WHERE tenant_id = $1 AND flow_id = $2', [tenant.id, flowId]);
      return Number(row!.n);
    }

    const post = (hookPath: string, body: string, headers: Record<string, string> = {}, slug = 'shop') =>
      request(app)
        .post(`/hooks/${slug}/${hookPath}`)
        .set({ 'Content-Type': 'application/json', ...headers })
        .send(body);

    const webhook = (p: string, extra: Record<string, unknown> = {}) => ({ id: 'hook', type: 'trigger.webhook', params: { path: p, method: 'POST', ...extra } });
    const echo = { id: 'echo', type: 'data.set', params: { fields: { n: '=body.n', headers: '=headers' }, keepInput: false } };

    before(async function () {
      if (dialect === 'postgres') {
        await requirePostgres(this);
        tdb = await createTestDatabase('postgres');
        await tdb.db.close();
      }
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-webhook-security-'));
      ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: tdb?.url ?? '', TADFUQ_BODY_LIMIT_BYTES: String(BODY_LIMIT) }), pino({ level: 'silent' }));
      shop = await ctx.tenants.ensure('shop', 'Shop');
      other = await ctx.tenants.ensure('other-shop', 'Other shop');
      const creds = ctx.credentials(shop.id);
      await creds.create({ name: 'hook-secret', type: 'webhook-hmac', data: { secret: SECRET }, createdBy: 'test' });
      await creds.create({ name: 'not-hmac', type: 'http-bearer', data: { token: SECRET }, createdBy: 'test' });
      const flows = ctx.flows(shop.id);
      const publish = (id: string, trigger: object) => flows.publish(flow([trigger as never, echo], [['hook', 'out', 'echo']]), { flowId: id });
      await publish('signed', webhook('signed', { respond: 'onFinish', signature: { credential: 'hook-secret' } }));
      await publish('signed-custom', webhook('signed-custom', { respond: 'onFinish', signature: { credential: 'hook-secret', header: 'X-Shop-Sig', toleranceSeconds: 60 } }));
      await publish('signed-missing', webhook('signed-missing', { respond: 'onFinish', signature: { credential: 'no-such-secret' } }));
      await publish('signed-wrong-type', webhook('signed-wrong-type', { respond: 'onFinish', signature: { credential: 'not-hmac' } }));
      await publish('plain', webhook('plain', { respond: 'immediately' }));
      await publish('plain-too', webhook('plain-too', { respond: 'immediately' }));
      await publish('finish', webhook('finish', { respond: 'onFinish' }));
      await ctx.flows(other.id).publish(flow([webhook('plain', { respond: 'immediately' }) as never, echo], [['hook', 'out', 'echo']]), { flowId: 'other-plain' });
      await ctx.runtime.start();
      app = createApp(ctx);
    });

    after(async () => {
      await ctx?.close();
      await tdb?.drop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    describe('signatures', () => {
      it('accepts a valid signature and keeps the signature header out of the execution', async () => {
        const body = JSON.stringify({ n: 1 });
        const res = await post('signed', body, { 'X-Tadfuq-Signature': signWebhook(SECRET, body, now()) }).expect(200);
        expect(res.body.n).to.equal(1);
        expect(res.body.headers).to.not.have.property('x-tadfuq-signature');
        expect(res.body.headers).to.have.property('content-type');
        expect(await executions('signed')).to.equal(1);
      });

      it('refuses a missing, wrong, malformed or tampered signature with 401 invalid_signature and starts nothing', async () => {
        const body = JSON.stringify({ n: 2 });
        const t = now();
        const good = signWebhook(SECRET, body, t);
        const hex = good.split('v1=')[1]!;
        const cases: [string, Record<string, string>, string][] = [
          ['missing', {}, body],
          ['wrong secret', { 'X-Tadfuq-Signature': signWebhook('another-secret-0123456789', body, t) }, body],
          ['tampered body', { 'X-Tadfuq-Signature': good }, JSON.stringify({ n: 3 })],
          ['same JSON, other bytes', { 'X-Tadfuq-Signature': good }, '{"n":  2}'],
          ['other timestamp', { 'X-Tadfuq-Signature': `t=${t - 1},v1=${hex}` }, body],
          ['no t', { 'X-Tadfuq-Signature': `v1=${hex}` }, body],
          ['no v1', { 'X-Tadfuq-Signature': `t=${t}` }, body],
          ['two t', { 'X-Tadfuq-Signature': `t=${t},t=${t},v1=${hex}` }, body],
          ['t not a number', { 'X-Tadfuq-Signature': `t=abc,v1=${hex}` }, body],
          ['short hex', { 'X-Tadfuq-Signature': `t=${t},v1=${hex.slice(0, 62)}` }, body],
          ['garbage', { 'X-Tadfuq-Signature': 'garbage' }, body],
          ['other scheme', { 'X-Tadfuq-Signature': `t=${t},v0=${hex}` }, body],
        ];
        for (const [label, headers, sent] of cases) {
          const res = await post('signed', sent, headers);
          expect(res.status, label).to.equal(401);
          expect(res.body.error.code, label).to.equal('invalid_signature');
          expect(res.headers, label).to.not.have.property('x-execution-id');
        }
        expect(await executions('signed')).to.equal(1);
      });

      it('refuses a signature older or further ahead than the tolerance with 401 signature_expired', async () => {
        const body = JSON.stringify({ n: 4 });
        for (const t of [now() - 301, now() + 301, now() - 24 * 3600]) {
          const res = await post('signed', body, { 'X-Tadfuq-Signature': signWebhook(SECRET, body, t) });
          expect(res.status, String(t)).to.equal(401);
          expect(res.body.error.code).to.equal('signature_expired');
        }
        expect(await executions('signed')).to.equal(1);
        // Inside the window (5 minutes by default) it is accepted.
        await post('signed', body, { 'X-Tadfuq-Signature': signWebhook(SECRET, body, now() - 250) }).expect(200);
        expect(await executions('signed')).to.equal(2);
      });

      it('accepts one valid v1 among several (secret rotation)', async () => {
        const body = JSON.stringify({ n: 5 });
        const t = now();
        const stale = signWebhook('the-old-secret-0123456789', body, t).split('v1=')[1];
        const fresh = signWebhook(SECRET, body, t).split('v1=')[1];
        await post('signed', body, { 'X-Tadfuq-Signature': `t=${t},v1=${stale},v1=${fresh}` }).expect(200);
        expect(await executions('signed')).to.equal(3);
      });

      it('honours a custom header and tolerance, and drops that header from the execution too', async () => {
        const body = JSON.stringify({ n: 6 });
        const res = await post('signed-custom', body, { 'X-Shop-Sig': signWebhook(SECRET, body, now()) }).expect(200);
        expect(res.body.headers).to.not.have.property('x-shop-sig');
        expect((await post('signed-custom', body, { 'X-Tadfuq-Signature': signWebhook(SECRET, body, now()) }).expect(401)).body.error.code).to.equal('invalid_signature');
        expect((await post('signed-custom', body, { 'X-Shop-Sig': signWebhook(SECRET, body, now() - 61) }).expect(401)).body.error.code).to.equal('signature_expired');
        expect(await executions('signed-custom')).to.equal(1);
      });

      it('refuses everything when the named credential is missing or not a webhook-hmac one', async () => {
        const body = JSON.stringify({ n: 7 });
        for (const p of ['signed-missing', 'signed-wrong-type']) {
          const res = await post(p, body, { 'X-Tadfuq-Signature': signWebhook(SECRET, body, now()) });
          expect(res.status, p).to.equal(401);
          expect(res.body.error.code).to.equal('invalid_signature');
          expect(await executions(p)).to.equal(0);
        }
      });
    });

    describe('Idempotency-Key', () => {
      it('a repeated request with the same key answers with the first execution and starts no other', async () => {
        const body = JSON.stringify({ n: 10 });
        const first = await post('plain', body, { 'Idempotency-Key': 'order-10' }).expect(202);
        const again = await post('plain', body, { 'Idempotency-Key': 'order-10' }).expect(202);
        expect(first.body).to.deep.equal({ executionId: first.headers['x-execution-id'], status: 'queued' });
        expect(again.body).to.deep.equal(first.body);
        expect(again.headers['x-execution-id']).to.equal(first.headers['x-execution-id']);
        expect(again.headers['idempotent-replayed']).to.equal('true');
        expect(first.headers).to.not.have.property('idempotent-replayed');
        expect(await executions('plain')).to.equal(1);
      });

      it('respond onFinish: the repeat gets the first execution’s result', async () => {
        const body = JSON.stringify({ n: 11 });
        const first = await post('finish', body, { 'Idempotency-Key': 'finish-11' }).expect(200);
        const again = await post('finish', body, { 'Idempotency-Key': 'finish-11' }).expect(200);
        expect(first.body.n).to.equal(11);
        expect(again.body).to.deep.equal(first.body);
        expect(again.headers['x-execution-id']).to.equal(first.headers['x-execution-id']);
        expect(await executions('finish')).to.equal(1);
      });

      it('10 concurrent identical requests start one execution and all get its id (both respond modes)', async () => {
        const before = { plain: await executions('plain'), finish: await executions('finish') };
        const body = JSON.stringify({ n: 12 });
        const queued = await Promise.all(Array.from({ length: 10 }, () => post('plain', body, { 'Idempotency-Key': 'burst-12' })));
        const finished = await Promise.all(Array.from({ length: 10 }, () => post('finish', body, { 'Idempotency-Key': 'burst-12' })));
        expect(queued.map((r) => r.status)).to.deep.equal(Array(10).fill(202));
        expect(finished.map((r) => r.status)).to.deep.equal(Array(10).fill(200));
        expect(new Set(queued.map((r) => r.headers['x-execution-id'])).size).to.equal(1);
        expect(new Set(finished.map((r) => r.headers['x-execution-id'])).size).to.equal(1);
        expect(new Set(finished.map((r) => JSON.stringify(r.body))).size).to.equal(1);
        expect(finished[0]!.body.n).to.equal(12);
        expect(await executions('plain')).to.equal(before.plain + 1);
        expect(await executions('finish')).to.equal(before.finish + 1);
      });

      it('the same key with a different body (or query) answers 422 idempotency_key_reused and starts nothing', async () => {
        await post('plain', JSON.stringify({ n: 13 }), { 'Idempotency-Key': 'reuse-13' }).expect(202);
        const count = await executions('plain');
        const res = await post('plain', JSON.stringify({ n: 14 }), { 'Idempotency-Key': 'reuse-13' }).expect(422);
        expect(res.body.error.code).to.equal('idempotency_key_reused');
        await request(app).post('/hooks/shop/plain?x=1').set({ 'Content-Type': 'application/json', 'Idempotency-Key': 'reuse-13' }).send(JSON.stringify({ n: 13 })).expect(422);
        expect(await executions('plain')).to.equal(count);
      });

      it('keys are per tenant and flow', async () => {
        const body = JSON.stringify({ n: 15 });
        const counts = { plain: await executions('plain'), plainToo: await executions('plain-too'), other: await executions('other-plain', other) };
        const a = await post('plain', body, { 'Idempotency-Key': 'shared-15' }).expect(202);
        const b = await post('plain-too', body, { 'Idempotency-Key': 'shared-15' }).expect(202);
        const c = await post('plain', body, { 'Idempotency-Key': 'shared-15' }, 'other-shop').expect(202);
        expect(new Set([a.body.executionId, b.body.executionId, c.body.executionId]).size).to.equal(3);
        expect(await executions('plain')).to.equal(counts.plain + 1);
        expect(await executions('plain-too')).to.equal(counts.plainToo + 1);
        expect(await executions('other-plain', other)).to.equal(counts.other + 1);
      });

      it('refuses a key that is empty, longer than 200 characters or not printable with 400, starting nothing', async () => {
        const count = await executions('plain');
        for (const key of ['', 'k'.repeat(201), 'tab\there']) {
          const res = await post('plain', JSON.stringify({ n: 16 }), { 'Idempotency-Key': key }).expect(400);
          expect(res.body.error.code).to.equal('invalid_idempotency_key');
        }
        await post('plain', JSON.stringify({ n: 16 }), { 'Idempotency-Key': 'k'.repeat(200) }).expect(202);
        expect(await executions('plain')).to.equal(count + 1);
      });

      it('a key older than 24 hours has expired: it starts a new execution, and pruning deletes old keys', async () => {
        const body = JSON.stringify({ n: 17 });
        const first = await post('plain', body, { 'Idempotency-Key': 'old-17' }).expect(202);
        await ctx.db.sql.transaction(async (q) => void (await q('UPDATE webhook_idempotency SET created_at = $1 WHERE execution_id = $2', [Date.now() - IDEMPOTENCY_TTL_MS - 60_000, first.body.executionId])));
        const second = await post('plain', body, { 'Idempotency-Key': 'old-17' }).expect(202);
        expect(second.body.executionId).to.not.equal(first.body.executionId);
        expect(second.headers).to.not.have.property('idempotent-replayed');

        await ctx.db.sql.transaction(async (q) => void (await q('UPDATE webhook_idempotency SET created_at = $1 WHERE execution_id = $2', [Date.now() - IDEMPOTENCY_TTL_MS - 1, second.body.executionId])));
        const [before] = await ctx.db.sql.query('SELECT COUNT(*) AS n FROM webhook_idempotency');
        expect(await new WebhookIdempotency(ctx.db).prune()).to.equal(1);
        const [after] = await ctx.db.sql.query('SELECT COUNT(*) AS n FROM webhook_idempotency');
        expect(Number(after!.n)).to.equal(Number(before!.n) - 1);
        expect(await ctx.db.sql.query('SELECT * FROM webhook_idempotency WHERE execution_id = $1', [second.body.executionId])).to.deep.equal([]);
      });

      it('a key claimed long ago whose execution never started (a crash) is taken over by the next request', async () => {
        const body = JSON.stringify({ n: 18 });
        const ghost = '00000000-0000-7000-8000-0000000000aa';
        const keyHash = (await import('node:crypto')).createHash('sha256').update('ghost-18').digest('hex');
        await ctx.db.sql.transaction(async (q) => {
          await q('INSERT INTO webhook_idempotency (tenant_id, flow_id, key_hash, body_hash, execution_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
            shop.id,
            'plain',
            keyHash,
            requestFingerprint({}, Buffer.from(body)),
            ghost,
            Date.now() - 60_000,
          ]);
        });
        const count = await executions('plain');
        const res = await post('plain', body, { 'Idempotency-Key': 'ghost-18' }).expect(202);
        expect(res.body.executionId).to.not.equal(ghost);
        expect(await executions('plain')).to.equal(count + 1);
        const [row] = await ctx.db.sql.query('SELECT execution_id FROM webhook_idempotency WHERE tenant_id = $1 AND key_hash = $2', [shop.id, keyHash]);
        expect(row!.execution_id).to.equal(res.body.executionId);
        // And now it is an ordinary repeat.
        expect((await post('plain', body, { 'Idempotency-Key': 'ghost-18' }).expect(202)).body.executionId).to.equal(res.body.executionId);
      });

      it('works with a signature: the same signed request retried with its key is one execution', async () => {
        const body = JSON.stringify({ n: 19 });
        const headers = { 'X-Tadfuq-Signature': signWebhook(SECRET, body, now()), 'Idempotency-Key': 'signed-19' };
        const count = await executions('signed');
        const first = await post('signed', body, headers).expect(200);
        const again = await post('signed', body, headers).expect(200);
        expect(again.headers['x-execution-id']).to.equal(first.headers['x-execution-id']);
        expect(await executions('signed')).to.equal(count + 1);
        // A bad signature is refused before the key is looked at.
        await post('signed', body, { ...headers, 'X-Tadfuq-Signature': 'garbage' }).expect(401);
      });
    });

    describe('limits and the hot path', () => {
      it('answers 413 payload_too_large for an oversized body, with or without a key, and starts nothing', async () => {
        const count = await executions('plain');
        const big = JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT) });
        for (const headers of [{}, { 'Idempotency-Key': 'big-20' }] as Record<string, string>[]) {
          const res = await post('plain', big, headers).expect(413);
          expect(res.body.error.code).to.equal('payload_too_large');
        }
        const sig = await post('signed', big, { 'X-Tadfuq-Signature': signWebhook(SECRET, big, now()) }).expect(413);
        expect(sig.body.error.code).to.equal('payload_too_large');
        expect(await executions('plain')).to.equal(count);
        expect(await ctx.db.sql.query('SELECT * FROM webhook_idempotency WHERE tenant_id = $1 AND key_hash = $2', [shop.id, (await import('node:crypto')).createHash('sha256').update('big-20').digest('hex')])).to.deep.equal([]);
      });

      it('a route without a signature, called without a key, queries neither credentials nor idempotency keys', async () => {
        const statements: string[] = [];
        const sql = ctx.db.sql as { query: Query; transaction: (fn: (q: Query) => Promise<void>) => Promise<void>; script: (text: string) => Promise<void> };
        const { query, transaction, script } = sql;
        // The runtime commits its segments as one SQL script (db/sql-executor.ts).
        sql.script = (text) => {
          statements.push(text);
          return script.call(ctx.db.sql, text);
        };
        sql.query = (s, p) => {
          statements.push(s);
          return query(s, p);
        };
        sql.transaction = (fn) =>
          transaction.call(ctx.db.sql, (q) =>
            fn((s, p) => {
              statements.push(s);
              return q(s, p);
            }),
          );
        const touching = () => statements.filter((s) => /credentials|webhook_idempotency/.test(s));
        try {
          await post('plain', JSON.stringify({ n: 21 })).expect(202);
          await post('finish', JSON.stringify({ n: 21 })).expect(200);
          expect(statements.length, 'the wrapper sees the runtime’s statements').to.be.greaterThan(0);
          expect(touching()).to.deep.equal([]);
          const body = JSON.stringify({ n: 22 });
          await post('signed', body, { 'X-Tadfuq-Signature': signWebhook(SECRET, body, now()) }).expect(200);
          expect(touching().filter((s) => /credentials/.test(s))).to.have.length(1);
          statements.length = 0;
          await post('plain', JSON.stringify({ n: 23 }), { 'Idempotency-Key': 'counted-23' }).expect(202);
          expect(touching().length).to.be.greaterThan(0);
        } finally {
          sql.query = query;
          sql.transaction = transaction;
          sql.script = script;
        }
      });
    });
  });
}

// Step analytics units and API: the statistics (z-test, histogram median), deterministic
// variant assignment, the rollup's idempotent counters on SQLite and PostgreSQL (the same SQL
// on both), and GET /flows/:id/analytics's validation, OpenAPI entry and CSV.
import { expect } from 'chai';
import fc from 'fast-check';
import request from 'supertest';
import { compareVariants, histogramMedianMs, twoProportionZTest } from '../../server/analytics/stats.js';
import { assignVariant } from '../../server/analytics/variants.js';
import { AnalyticsRepository, replyBucket, riyadhDay } from '../../db/analytics-repository.js';
import { analyticsCsv } from '../../server/analytics/analytics-service.js';
import { createTestDatabase, DIALECTS, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import type { Database } from '../../db/database.js';
import { openApiEnv, type ApiEnv } from '../helpers/api-env.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';

describe('analytics: statistics', () => {
  it('two-proportion z-test: textbook values (120/1000 vs 90/1000 → z≈2.19, p≈0.029)', () => {
    const t = twoProportionZTest(120, 1000, 90, 1000)!;
    expect(t.z).to.be.closeTo(2.191, 0.005);
    expect(t.pValue).to.be.closeTo(0.0285, 0.001);
    expect(twoProportionZTest(0, 0, 1, 10)).to.equal(null);
  });

  it('a real difference is called only with the sample and the confidence', () => {
    const big = compareVariants([{ variant: 'A', sent: 2000, replied: 300 }, { variant: 'B', sent: 2000, replied: 200 }]);
    expect(big).to.include({ leader: 'A', significant: true, winner: 'A' });
    const small = compareVariants([{ variant: 'A', sent: 50, replied: 10 }, { variant: 'B', sent: 50, replied: 2 }]);
    expect(small.significant, 'under the minimum sample').to.equal(false);
    const same = compareVariants([{ variant: 'A', sent: 2000, replied: 200 }, { variant: 'B', sent: 2000, replied: 199 }]);
    expect(same.significant).to.equal(false);
    expect(same.confidence).to.be.lessThan(0.1);
  });

  it('the histogram median is within 10% of the exact median (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1000, max: 30 * 86_400_000 }), { minLength: 1, maxLength: 200 }), (times) => {
        const h = new Map<number, number>();
        for (const t of times) h.set(replyBucket(t), (h.get(replyBucket(t)) ?? 0) + 1);
        const sorted = [...times].sort((a, b) => a - b);
        const lower = sorted[Math.ceil(sorted.length / 2) - 1]!;
        const est = histogramMedianMs(h)!;
        return Math.abs(est - lower) / lower <= 0.1;
      }),
    );
  });

  it('Riyadh days: 21:00 UTC is already the next day in Riyadh', () => {
    expect(riyadhDay(Date.parse('2026-03-01T20:59:59Z'))).to.equal('2026-03-01');
    expect(riyadhDay(Date.parse('2026-03-01T21:00:00Z'))).to.equal('2026-03-02');
  });
});

describe('analytics: variant assignment', () => {
  const variants = [{ id: 'A' }, { id: 'B', weight: 3 }];
  it('is deterministic per contact, flow, version and node, and follows the weights', () => {
    const key = { contactId: 'c1', flowId: 'f', flowVersion: 1, nodeId: 'wa1' };
    expect(assignVariant(variants, key).id).to.equal(assignVariant(variants, { ...key }).id);
    let b = 0;
    for (let i = 0; i < 4000; i++) if (assignVariant(variants, { ...key, contactId: `c${i}` }).id === 'B') b++;
    expect(b / 4000).to.be.closeTo(0.75, 0.03);
    // Another version reshuffles.
    let moved = 0;
    for (let i = 0; i < 400; i++) if (assignVariant(variants, { ...key, contactId: `c${i}` }).id !== assignVariant(variants, { ...key, contactId: `c${i}`, flowVersion: 2 }).id) moved++;
    expect(moved).to.be.greaterThan(50);
  });
});

for (const dialect of DIALECTS) {
  describe(`analytics: rollup and API (${dialect})`, function () {
    this.timeout(60_000);
    let env: ApiEnv;
    let admin: TestMember;
    let tenantId: string;
    let flowId: string;

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      env = await openApiEnv(dialect, 'analytics');
      tenantId = (await env.ctx.tenants.ensure('an', 'Analytics Co')).id;
      admin = await addMember(env.ctx, tenantId, 'admin');
      const flow = await request(env.app)
        .post('/api/v1/flows')
        .set(admin.headers)
        .send({ name: 'f', definition: { schemaVersion: 1, name: 'f', nodes: [{ id: 't', type: 'trigger.manual' }, { id: 's', type: 'send.sms', params: { purpose: 'marketing', text: 'x' } }], edges: [{ id: 'e', from: { node: 't', port: 'out' }, to: { node: 's', port: 'in' } }] } })
        .expect(201);
      flowId = flow.body.id as string;
    });
    after(async () => env?.close());

    it('counts each event once per message, attributes a reply to the last message, and answers it', async () => {
      const repo = new AnalyticsRepository(env.ctx.db, tenantId);
      const at = Date.parse('2026-03-01T08:00:00Z');
      const key = { flowId, flowVersion: 1, nodeId: 's', variant: 'A', channel: 'sms' };
      await env.ctx.db.sql.transaction(async (q) => {
        await repo.enrolled(q, flowId, 1, at, 2);
        for (const id of ['m1', 'm2']) {
          await repo.decided(q, { ...key, messageId: id, contactId: `c-${id}`, executionId: null }, { status: 'pending' }, at, true);
          await repo.decided(q, { ...key, messageId: id, contactId: `c-${id}`, executionId: null }, { status: 'pending' }, at, true); // again: no double count
          await repo.sent(q, id, at);
          await repo.sent(q, id, at);
        }
        await repo.delivery(q, 'm1', 'read', at + 1000);
        expect(await repo.touch(q, 'c-m1', 'replied', at + 600_000)).to.equal('m1');
        expect(await repo.touch(q, 'c-m1', 'replied', at + 700_000), 'a second reply to the same message').to.equal(null);
        expect(await repo.touch(q, 'c-zz', 'replied', at)).to.equal(null);
        // A provider that times replies in whole seconds: a reply in the second of its message
        // reads as up to 999 ms older than our send, and still belongs to it.
        expect(await repo.touch(q, 'c-m2', 'replied', at - 999)).to.equal('m2');
      });
      const res = await request(env.app).get(`/api/v1/flows/${flowId}/analytics?from=2026-03-01&to=2026-03-01`).set(admin.headers).expect(200);
      const s = res.body.steps.find((x: { nodeId: string }) => x.nodeId === 's');
      expect(res.body.enrolled).to.equal(2);
      expect(s.counts).to.include({ reached: 2, sent: 2, delivered: 1, read: 1, replied: 2 });
      expect(s.rates.replied).to.equal(1);
      expect(s.medianReplyMs).to.be.a('number');
      const csv = await request(env.app).get(`/api/v1/flows/${flowId}/analytics?from=2026-03-01&to=2026-03-01&format=csv`).set(admin.headers).expect(200);
      expect(csv.text).to.contain('2026-03-01,1,s,A,sms,0,2,2,0,0,1,1,2,0,0,0');
    });

    it('bad ranges answer 400 with a JSON pointer; another tenant’s flow 404; the route is in OpenAPI', async () => {
      const bad = await request(env.app).get(`/api/v1/flows/${flowId}/analytics?from=2026-02-30`).set(admin.headers).expect(400);
      expect(bad.body.error.details[0].path).to.equal('/query/from');
      const reversed = await request(env.app).get(`/api/v1/flows/${flowId}/analytics?from=2026-03-02&to=2026-03-01`).set(admin.headers).expect(400);
      expect(reversed.body.error.details[0]).to.include({ path: '/query/from', code: 'range' });
      await request(env.app).get(`/api/v1/flows/${flowId}/analytics?version=0`).set(admin.headers).expect(400);
      const other = await addMember(env.ctx, (await env.ctx.tenants.ensure('an2', 'Other')).id, 'admin');
      await request(env.app).get(`/api/v1/flows/${flowId}/analytics`).set(other.headers).expect(404);
      const doc = await request(env.app).get('/api/v1/openapi.json').expect(200);
      expect(doc.body.paths).to.have.property('/api/v1/flows/{id}/analytics');
      expect(doc.body.paths).to.have.property('/api/v1/flows/{id}/analytics.csv');
    });
  });
}

describe('analytics: the report reads covering indexes (SQLite plan, migration 022)', function () {
  this.timeout(30_000);
  let tdb: TestDatabase;
  before(async () => {
    tdb = await createTestDatabase('sqlite');
  });
  after(async () => tdb?.drop());

  it('neither summary query reads the table or sorts in a temporary B-tree', async () => {
    // Record the SQL the repository sends, then ask SQLite how it runs each one.
    const seen: Array<{ sql: string; params: unknown[] }> = [];
    const spy = { ...tdb.db, sql: { ...tdb.db.sql, query: async (sql: string, params: unknown[] = []) => (seen.push({ sql, params }), tdb.db.sql.query(sql, params)) } } as Database;
    const repo = new AnalyticsRepository(spy, 't1');
    await repo.summary('f1', { from: '2026-01-01', to: '2026-03-31' });
    await repo.summary('f1', { from: '2026-01-01', to: '2026-03-31', version: 2, variant: 'B' });
    expect(seen).to.have.length(4);
    for (const q of seen) {
      const plan = (await tdb.db.sql.query(`EXPLAIN QUERY PLAN ${q.sql}`, q.params)).map((r) => String(r.detail)).join(' | ');
      expect(plan, q.sql).to.match(/USING COVERING INDEX analytics_daily_(totals|series)/);
      expect(plan, q.sql).not.to.include('TEMP B-TREE');
    }
  });
});

describe('analytics: CSV', () => {
  it('neutralises formula cells and quotes', () => {
    const csv = analyticsCsv([{ flowId: 'f', flowVersion: 1, nodeId: '=cmd', variant: 'A', channel: 'sms', day: '2026-03-01', metric: 'sent', dim: '', n: 3 }]);
    expect(csv.split('\r\n')[1]).to.equal("2026-03-01,1,'=cmd,A,sms,0,0,3,0,0,0,0,0,0,0,0");
  });
});

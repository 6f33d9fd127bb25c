// Send-rate limits: per second and per Riyadh day, in memory (embedded) and in Redis (queue
// mode); over the limit a step is deferred until the window reopens, never dropped or failed.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Type } from '@sinclair/typebox';
import { EmbeddedRuntime, MemoryRateLimiter, NodeRegistry, RedisRateLimiter, defineNode, type RateLimiter } from '../../engine/index.js';
import { coreNodes } from '../../nodes/registry.js';
import { FlowRepository, SqlRunStore, TenantRepository } from '../../db/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { REDIS_URL, flushPrefix, requireRedis } from '../helpers/redis.js';
import { flow } from '../helpers/runtime-harness.js';

// 2026-11-25 23:59:59.500 in Riyadh = 20:59:59.500 UTC.
const BEFORE_RIYADH_MIDNIGHT = Date.parse('2026-11-25T20:59:59.500Z');

function limiterContract(name: string, make: () => RateLimiter | Promise<RateLimiter>): void {
  describe(name, () => {
    it('allows up to perSecond in a second, then says when the next second starts', async () => {
      const limiter = await make();
      const key = `k-${randomBytes(3).toString('hex')}`;
      const t = Date.parse('2026-11-25T10:00:00.200Z');
      expect(await limiter.take(key, { perSecond: 2 }, t)).to.equal(0);
      expect(await limiter.take(key, { perSecond: 2 }, t + 10)).to.equal(0);
      expect(await limiter.take(key, { perSecond: 2 }, t + 20)).to.equal(780);
      expect(await limiter.take(key, { perSecond: 2 }, t + 800)).to.equal(0);
    });

    it('counts the day in Asia/Riyadh and reopens at Riyadh midnight', async () => {
      const limiter = await make();
      const key = `k-${randomBytes(3).toString('hex')}`;
      expect(await limiter.take(key, { perDay: 1 }, BEFORE_RIYADH_MIDNIGHT)).to.equal(0);
      expect(await limiter.take(key, { perDay: 1 }, BEFORE_RIYADH_MIDNIGHT + 100)).to.equal(400);
      expect(await limiter.take(key, { perDay: 1 }, BEFORE_RIYADH_MIDNIGHT + 500)).to.equal(0);
    });

    it('keeps keys apart', async () => {
      const limiter = await make();
      const t = Date.parse('2026-11-25T10:00:00.000Z');
      const a = `a-${randomBytes(3).toString('hex')}`;
      const b = `b-${randomBytes(3).toString('hex')}`;
      expect(await limiter.take(a, { perSecond: 1 }, t)).to.equal(0);
      expect(await limiter.take(b, { perSecond: 1 }, t)).to.equal(0);
      expect(await limiter.take(a, { perSecond: 1 }, t)).to.be.greaterThan(0);
    });
  });
}

describe('send-rate limits', function () {
  this.timeout(30_000);
  limiterContract('MemoryRateLimiter', () => new MemoryRateLimiter());

  describe('RedisRateLimiter', function () {
    const prefix = `tq-rl-${randomBytes(3).toString('hex')}`;
    let redis: Redis;
    before(async function () {
      await requireRedis(this);
      redis = new Redis(REDIS_URL);
    });
    after(async () => {
      await redis?.quit();
      await flushPrefix(prefix);
    });
    limiterContract('shared in Redis', () => new RedisRateLimiter(redis, prefix));
  });

  describe('a limited step in a flow', () => {
    let tdb: TestDatabase;
    before(async () => {
      tdb = await createTestDatabase('sqlite');
    });
    after(async () => {
      await tdb.db.close();
      await tdb.drop();
    });

    it('defers sends over the limit to the next window and delivers every one', async () => {
      const sent: number[] = [];
      const limitedSend = defineNode({
        type: 'test.limitedSend',
        category: 'integration',
        label: { en: 'Limited send', ar: 'إرسال محدود' },
        description: { en: 'Sends at most 2 a second', ar: 'يرسل رسالتين في الثانية على الأكثر' },
        icon: 'send',
        params: Type.Object({}),
        outputs: [{ port: 'out', label: { en: 'Sent', ar: 'أُرسل' } }],
        async execute(ctx) {
          await ctx.rateLimit('whatsapp:instance-1', { perSecond: 2 });
          sent.push(Date.now());
          return { port: 'out', output: ctx.input };
        },
      });
      const registry = new NodeRegistry([...coreNodes, limitedSend]);
      const tenant = await new TenantRepository(tdb.db).ensure('rl', 'RL');
      const published = await new FlowRepository(tdb.db, registry, tenant.id).publish(
        flow([{ id: 's', type: 'trigger.manual' }, { id: 'send', type: 'test.limitedSend', retry: { max: 0, backoffMs: 0 } }], [['s', 'out', 'send']]),
      );
      const runtime = new EmbeddedRuntime({ store: new SqlRunStore(tdb.db.sql), registry, pollIntervalMs: 200 });
      await runtime.start();
      const t0 = Date.now();
      const ids = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          runtime.startExecution({ tenantId: tenant.id, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 's', payload: { i }, mode: 'manual' }).then((r) => r.executionId),
        ),
      );
      const results = await Promise.all(ids.map((id) => runtime.result(id, true)));
      await runtime.stop();
      expect(results.map((r) => r.status)).to.deep.equal(Array(6).fill('succeeded'));
      expect(sent).to.have.length(6);
      // 2 per second: six sends need at least two more windows after the first.
      expect(Date.now() - t0).to.be.at.least(1000);
      const perSecond = new Map<number, number>();
      for (const t of sent) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
      expect(Math.max(...perSecond.values())).to.be.at.most(2);
    });
  });
});

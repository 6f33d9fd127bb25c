// redisScript(): the queue's Lua scripts (slot acquire, rate check) go by SHA, with their text
// sent again only when Redis has lost it (NOSCRIPT after a restart or SCRIPT FLUSH).
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { redisScript } from '../../engine/runtime/redis-script.js';
import { REDIS_URL, requireRedis } from '../helpers/redis.js';

async function calls(redis: Redis, command: string): Promise<number> {
  const info = await redis.info('commandstats');
  const m = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info);
  return m ? Number(m[1]) : 0;
}

describe('redis scripts by SHA', function () {
  this.timeout(20_000);
  let redis: Redis;
  before(async function () {
    await requireRedis(this);
    redis = new Redis(REDIS_URL);
  });
  after(() => redis?.quit());

  it('calls EVALSHA, not EVAL with the text, and survives a SCRIPT FLUSH', async () => {
    const echo = redisScript(redis, 'tadfuqTestEcho', 1, "return {KEYS[1], ARGV[1], 'v1'}");
    expect(await echo(['k'], [1])).to.deep.equal(['k', '1', 'v1']);
    const eval0 = await calls(redis, 'eval');
    const sha0 = await calls(redis, 'evalsha');
    for (let i = 0; i < 5; i++) expect(await echo(['k'], [i])).to.deep.equal(['k', String(i), 'v1']);
    expect((await calls(redis, 'evalsha')) - sha0).to.be.at.least(5);
    expect((await calls(redis, 'eval')) - eval0).to.equal(0);
    await redis.script('FLUSH');
    expect(await echo(['k'], ['after'])).to.deep.equal(['k', 'after', 'v1']);
    // A second definition under the same name reuses the first (one per connection).
    const again = redisScript(redis, 'tadfuqTestEcho', 1, "return {KEYS[1], ARGV[1], 'v1'}");
    expect(await again(['x'], ['y'])).to.deep.equal(['x', 'y', 'v1']);
    expect(() => again([], [])).to.throw(/takes 1 keys/);
  });
});

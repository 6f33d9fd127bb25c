// Redis for queue-mode suites: TEST_REDIS_URL (default this machine's 127.0.0.1:6379).
// Unreachable → the suite fails under CI and is skipped (loudly) elsewhere.
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function requireRedis(ctx: Mocha.Context): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 2000 });
  try {
    await redis.connect();
    if ((await redis.ping()) === 'PONG') return;
  } catch {
    // handled below
  } finally {
    redis.disconnect();
  }
  const message = `Redis is not reachable at ${REDIS_URL}`;
  if (process.env.CI) throw new Error(`${message} (required in CI)`);
  console.warn(`SKIPPING Redis suite: ${message}`);
  ctx.skip();
}

/** Delete every key under a BullMQ prefix: what a Redis flush does to one deployment. */
export async function flushPrefix(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL);
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
  return deleted;
}

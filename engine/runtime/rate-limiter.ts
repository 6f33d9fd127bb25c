// Send-rate limits per channel key (e.g. a WhatsApp instance): messages per second and per
// day (the Asia/Riyadh calendar day). A node asks `ctx.rateLimit(key, limits)` before it
// sends; over the limit, the step is deferred until the window reopens (RateLimited carries
// retryAfterMs, which the stepper turns into a sleep that spends no retry). Nothing is dropped.
import type { Redis } from 'ioredis';
import { NodeFailure } from '../errors/node-failure.error.js';
import { redisScript, type RedisScript } from './redis-script.js';

export interface RateLimits {
  perSecond?: number;
  perDay?: number;
}

export interface RateLimiter {
  /** Count one use of `key` if allowed now and return 0, else return ms until it may be. */
  take(key: string, limits: RateLimits, now: number): Promise<number>;
}

export class RateLimited extends NodeFailure {
  override readonly name = 'RateLimited';
  constructor(key: string, retryAfterMs: number) {
    super('rate_limited', `send rate limit of "${key}" reached; deferred ${retryAfterMs} ms`, { retryable: true, retryAfterMs });
    Object.setPrototypeOf(this, RateLimited.prototype);
  }
}

const DAY_MS = 86_400_000;
const RIYADH_OFFSET_MS = 3 * 3_600_000;
const riyadhDay = (now: number): number => Math.floor((now + RIYADH_OFFSET_MS) / DAY_MS);
const msToNextSecond = (now: number): number => 1000 - (now % 1000);
const msToNextRiyadhDay = (now: number): number => (riyadhDay(now) + 1) * DAY_MS - RIYADH_OFFSET_MS - now;

/** One process (embedded runtime). */
export class MemoryRateLimiter implements RateLimiter {
  private readonly counters = new Map<string, { second: number; inSecond: number; day: number; inDay: number }>();

  async take(key: string, limits: RateLimits, now: number): Promise<number> {
    const second = Math.floor(now / 1000);
    const day = riyadhDay(now);
    const c = this.counters.get(key) ?? { second, inSecond: 0, day, inDay: 0 };
    if (c.second !== second) Object.assign(c, { second, inSecond: 0 });
    if (c.day !== day) Object.assign(c, { day, inDay: 0 });
    if (limits.perDay !== undefined && c.inDay >= limits.perDay) return msToNextRiyadhDay(now);
    if (limits.perSecond !== undefined && c.inSecond >= limits.perSecond) return msToNextSecond(now);
    c.inSecond++;
    c.inDay++;
    this.counters.set(key, c);
    return 0;
  }
}

const TAKE = `
local s = tonumber(redis.call('GET', KEYS[1]) or '0')
local d = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[2]) >= 0 and d >= tonumber(ARGV[2]) then return tonumber(ARGV[4]) end
if tonumber(ARGV[1]) >= 0 and s >= tonumber(ARGV[1]) then return tonumber(ARGV[3]) end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], 2000)
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], 172800000)
return 0`;

/** Every worker (queue mode): one atomic check-and-count in Redis. */
export class RedisRateLimiter implements RateLimiter {
  private readonly takeScript: RedisScript;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    this.takeScript = redisScript(redis, 'tadfuqTakeRate', 2, TAKE);
  }

  async take(key: string, limits: RateLimits, now: number): Promise<number> {
    const base = `${this.prefix}:rate:${key}`;
    const wait = await this.takeScript(
      [`${base}:s:${Math.floor(now / 1000)}`, `${base}:d:${riyadhDay(now)}`],
      [limits.perSecond ?? -1, limits.perDay ?? -1, msToNextSecond(now), msToNextRiyadhDay(now)],
    );
    return Number(wait);
  }
}

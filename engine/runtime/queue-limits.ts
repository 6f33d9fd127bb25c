// Limits for queue mode, kept in Redis so they hold across all workers:
// - concurrency: how many executions of one tenant (and of one flow) are driven at once.
//   A counting semaphore per key (sorted set of holders scored by lease expiry, so a dead
//   worker's slots free themselves). A job that finds no slot is delayed, never dropped.
// - fairness: a job's BullMQ priority is 1 + the number of jobs its tenant already has
//   pending, so a tenant that floods the queue cannot starve one that sends a trickle
//   (an approximation of fair queuing that BullMQ's priorities make cheap).
import type { Redis } from 'ioredis';
import { redisScript, type RedisScript } from './redis-script.js';

const MAX_PRIORITY = 2_097_151;

const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  return 1
end
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0`;

export interface LimitKeys {
  tenantId: string;
  flowId: string;
  /** One holder per job (execution + job id): two jobs of one execution never free each other's slot. */
  holderKey: string;
}

export interface Limits {
  tenantConcurrency: number;
  /** From the flow's settings.concurrency; undefined = only the tenant limit applies. */
  flowConcurrency?: number;
}

export class QueueLimits {
  private readonly acquireScript: RedisScript;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly holder: string,
    private readonly leaseMs: number,
  ) {
    this.acquireScript = redisScript(redis, 'tadfuqAcquireSlot', 1, ACQUIRE);
  }

  private slotKey(kind: 'tenant' | 'flow', id: string): string {
    return `${this.prefix}:slots:${kind}:${id}`;
  }

  private member(holderKey: string): string {
    return `${this.holder}|${holderKey}`;
  }

  private async acquireOne(key: string, holderKey: string, limit: number, now: number): Promise<boolean> {
    const got = await this.acquireScript([key], [now, now + this.leaseMs, this.member(holderKey), limit, this.leaseMs * 4]);
    return got === 1;
  }

  /** Take a tenant slot and, if the flow has a limit, a flow slot; all or nothing. */
  async acquire(keys: LimitKeys, limits: Limits, now = Date.now()): Promise<boolean> {
    const tenantKey = this.slotKey('tenant', keys.tenantId);
    if (!(await this.acquireOne(tenantKey, keys.holderKey, limits.tenantConcurrency, now))) return false;
    if (limits.flowConcurrency !== undefined) {
      if (!(await this.acquireOne(this.slotKey('flow', keys.flowId), keys.holderKey, limits.flowConcurrency, now))) {
        await this.redis.zrem(tenantKey, this.member(keys.holderKey));
        return false;
      }
    }
    return true;
  }

  /**
   * Free the job's slots, uncount it when it was counted as backlog, and publish what the job
   * left to announce (settled executions): one round trip.
   */
  async release(keys: LimitKeys, counted: boolean, publish: [channel: string, message: string][] = []): Promise<void> {
    const m = this.member(keys.holderKey);
    const multi = this.redis.multi().zrem(this.slotKey('tenant', keys.tenantId), m).zrem(this.slotKey('flow', keys.flowId), m);
    if (counted) multi.hincrby(this.pendingKey, keys.tenantId, -1);
    for (const [channel, message] of publish) multi.publish(channel, message);
    await multi.exec();
  }

  /** Extend the slots this worker holds (called with the lease heartbeat). */
  async renew(held: LimitKeys[], now = Date.now()): Promise<void> {
    if (held.length === 0) return;
    const multi = this.redis.multi();
    for (const k of held) {
      multi.zadd(this.slotKey('tenant', k.tenantId), 'XX', now + this.leaseMs, this.member(k.holderKey));
      multi.zadd(this.slotKey('flow', k.flowId), 'XX', now + this.leaseMs, this.member(k.holderKey));
    }
    await multi.exec();
  }

  private get pendingKey(): string {
    return `${this.prefix}:pending`;
  }

  /** Count a job in for its tenant and return the priority it should get. */
  async enqueued(tenantId: string): Promise<number> {
    return (await this.enqueuedMany([tenantId]))[0]!;
  }

  /** enqueued() for several jobs in one pipelined round trip (priorities in the same order). */
  async enqueuedMany(tenantIds: string[]): Promise<number[]> {
    if (tenantIds.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const t of tenantIds) pipe.hincrby(this.pendingKey, t, 1);
    const replies = (await pipe.exec()) ?? [];
    const priorities: number[] = [];
    const reanchor = new Set<string>();
    tenantIds.forEach((t, i) => {
      const [err, n] = replies[i] ?? [];
      if (err) throw err;
      let pending = Number(n);
      // Counts can drift below zero (keys flushed while jobs ran): re-anchor at this job.
      if (pending < 1) {
        reanchor.add(t);
        pending = 1;
      }
      priorities.push(Math.min(MAX_PRIORITY, pending));
    });
    if (reanchor.size) {
      const fix = this.redis.pipeline();
      for (const t of reanchor) fix.hset(this.pendingKey, t, 1);
      await fix.exec();
    }
    return priorities;
  }
}

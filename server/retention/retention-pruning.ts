// The periodic retention pass: every tenant's executions that finished longer ago than its
// `retentionDays` (30 when unset) are deleted, hourly, by the API process. The timer is
// unref'd (it never keeps a process alive) and the first pass runs one interval after start.
// Several API processes may each run it: the deletes are idempotent.
import type { Logger } from 'pino';
import type { Database, TenantRepository } from '../../db/index.js';
import { cutoffOf, pruneExecutions, retentionDaysOf } from '../../db/execution-pruner.js';

export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

export interface RetentionPruning {
  /** One pass over every tenant now; resolves to the number of executions deleted. */
  runOnce(): Promise<number>;
  /** Stop the timer and wait for a pass in progress. */
  stop(): Promise<void>;
}

export function startRetentionPruning(deps: { db: Database; tenants: TenantRepository; log: Logger; now?: () => number }, intervalMs = RETENTION_INTERVAL_MS): RetentionPruning {
  const now = deps.now ?? Date.now;
  let running: Promise<number> | null = null;
  let stopped = false;

  const pass = async (): Promise<number> => {
    let total = 0;
    for (const tenant of await deps.tenants.list()) {
      if (stopped) break;
      const days = retentionDaysOf(tenant.settings);
      try {
        const deleted = await pruneExecutions(deps.db, tenant.id, cutoffOf(days, now()));
        total += deleted;
        if (deleted > 0) deps.log.info({ tenantId: tenant.id, deleted, retentionDays: days }, 'pruned old executions');
      } catch (err) {
        deps.log.error({ err, tenantId: tenant.id }, 'pruning executions failed');
      }
    }
    return total;
  };

  const runOnce = (): Promise<number> => {
    // One pass at a time: a slow pass is joined, not doubled.
    running ??= pass().finally(() => {
      running = null;
    });
    return running;
  };

  const timer = setInterval(() => {
    if (!stopped) void runOnce().catch((err) => deps.log.error({ err }, 'retention pass failed'));
  }, intervalMs);
  timer.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

// Retention: delete a tenant's executions that finished (succeeded, failed, cancelled) before
// a cutoff, with their steps and waits, a batch per transaction so a large backlog never
// holds one long lock. Executions still queued, running or waiting are never touched: the
// delete itself re-checks the status, whatever the caller passes.
import type { Database } from './database.js';
import type { Query } from './sql-executor.js';

export const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;
const TERMINAL = "('succeeded', 'failed', 'cancelled')";

/** A tenant's retention in days: its `retentionDays` setting when it is a positive integer, else 30. */
export function retentionDaysOf(settings: { retentionDays?: unknown } | null | undefined): number {
  const days = settings?.retentionDays;
  return typeof days === 'number' && Number.isInteger(days) && days > 0 ? days : DEFAULT_RETENTION_DAYS;
}

/** The cutoff (epoch ms) for keeping `days` days counted back from `now`. */
export function cutoffOf(days: number, now: number = Date.now()): number {
  return now - days * DAY_MS;
}

const marks = (from: number, n: number): string => Array.from({ length: n }, (_, i) => `$${from + i}`).join(',');

async function pruneBatch(q: Query, tenantId: string, finishedBefore: number, batchSize: number): Promise<{ deleted: number; full: boolean }> {
  const picked = await q(`SELECT id FROM executions WHERE tenant_id = $1 AND finished_at < $2 AND status IN ${TERMINAL} ORDER BY finished_at LIMIT $3`, [tenantId, finishedBefore, batchSize]);
  if (picked.length === 0) return { deleted: 0, full: false };
  const ids = picked.map((r) => String(r.id));
  const deleted = await q(`DELETE FROM executions WHERE tenant_id = $1 AND status IN ${TERMINAL} AND id IN (${marks(2, ids.length)}) RETURNING id`, [tenantId, ...ids]);
  const gone = deleted.map((r) => String(r.id));
  if (gone.length) {
    await q(`DELETE FROM execution_steps WHERE tenant_id = $1 AND execution_id IN (${marks(2, gone.length)})`, [tenantId, ...gone]);
    await q(`DELETE FROM waits WHERE tenant_id = $1 AND execution_id IN (${marks(2, gone.length)})`, [tenantId, ...gone]);
  }
  return { deleted: gone.length, full: picked.length === batchSize };
}

/** Delete the tenant's executions finished before `finishedBefore` (epoch ms); returns how many. */
export async function pruneExecutions(db: Database, tenantId: string, finishedBefore: number, options: { batchSize?: number } = {}): Promise<number> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 500));
  let total = 0;
  for (;;) {
    let result = { deleted: 0, full: false };
    await db.sql.transaction(async (q) => {
      result = await pruneBatch(q, tenantId, finishedBefore, batchSize);
    });
    total += result.deleted;
    if (!result.full) return total;
  }
}

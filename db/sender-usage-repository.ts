// Per-sender pacing state (migration 017, table sender_usage): what engine/outbox/sender-caps.ts
// plans from. Read (locked on PostgreSQL) and written inside the outbox's decide transaction,
// so two processes never reserve the same sender's last slot of a day twice.
import type { Database } from './database.js';
import { parseJsonColumn, type Query } from './sql-executor.js';
import { EMPTY_SENDER_STATE, type SenderState } from '../engine/outbox/sender-caps.js';

export class SenderUsageRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  async load(senderKey: string, query?: Query, lock = false): Promise<SenderState> {
    const q = query ?? this.db.sql.query;
    const forUpdate = lock && this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const rows = await q(`SELECT first_day, last_slot_at, counts FROM sender_usage WHERE tenant_id = $1 AND sender_key = $2${forUpdate}`, [this.tenantId, senderKey]);
    const r = rows[0];
    if (!r) return { ...EMPTY_SENDER_STATE, counts: {} };
    const counts = parseJsonColumn(r.counts);
    return {
      firstDay: r.first_day === null || r.first_day === undefined ? null : String(r.first_day),
      lastSlotAt: r.last_slot_at === null || r.last_slot_at === undefined ? null : Number(r.last_slot_at),
      counts: counts && typeof counts === 'object' && !Array.isArray(counts) ? (counts as Record<string, number>) : {},
    };
  }

  async save(senderKey: string, state: SenderState, query: Query, now: number): Promise<void> {
    await query(
      `INSERT INTO sender_usage (tenant_id, sender_key, first_day, last_slot_at, counts, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant_id, sender_key) DO UPDATE SET first_day = $3, last_slot_at = $4, counts = $5, updated_at = $6`,
      [this.tenantId, senderKey, state.firstDay, state.lastSlotAt, JSON.stringify(state.counts), now],
    );
  }

  /** Every sender's state (the API's view and tests). */
  async all(): Promise<Array<{ senderKey: string } & SenderState>> {
    const rows = await this.db.sql.query('SELECT sender_key FROM sender_usage WHERE tenant_id = $1 ORDER BY sender_key', [this.tenantId]);
    const out: Array<{ senderKey: string } & SenderState> = [];
    for (const r of rows) out.push({ senderKey: String(r.sender_key), ...(await this.load(String(r.sender_key))) });
    return out;
  }
}

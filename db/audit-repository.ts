// The audit log of one tenant: append and read, newest first. Details never hold secrets
// (callers pass metadata only).
import { v7 as uuidv7 } from 'uuid';
import type { Database } from './database.js';
import { parseJsonColumn, type Query } from './sql-executor.js';

export interface AuditEntry {
  id: string;
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
  requestId: string | null;
  at: string;
}

export interface AuditRecord {
  actor: string;
  action: string;
  target?: string | null;
  details?: unknown;
  requestId?: string | null;
}

export class AuditRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /** Pass `query` to write inside the caller's transaction (the audited change and its entry commit together). */
  async record(entry: AuditRecord, query?: Query): Promise<void> {
    const run = (q: Query) => q(
      'INSERT INTO audit_log (id, tenant_id, actor, action, target, details, request_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [uuidv7(), this.tenantId, entry.actor, entry.action, entry.target ?? null, entry.details === undefined ? null : JSON.stringify(entry.details), entry.requestId ?? null, Date.now()],
    );
    if (query) await run(query);
    else await this.db.sql.transaction(async (q) => void (await run(q)));
  }

  /** Newest first; `before` is the `at` cursor (epoch ms) of the previous page's last entry. */
  async list(options: { limit: number; action?: string; before?: number }): Promise<AuditEntry[]> {
    const where = ['tenant_id = $1'];
    const args: unknown[] = [this.tenantId];
    if (options.action) {
      args.push(options.action);
      where.push(`action = $${args.length}`);
    }
    if (options.before !== undefined) {
      args.push(options.before);
      where.push(`at < $${args.length}`);
    }
    args.push(options.limit);
    const rows = await this.db.sql.query(`SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT $${args.length}`, args);
    return rows.map((r) => ({
      id: String(r.id),
      actor: String(r.actor),
      action: String(r.action),
      target: (r.target as string | null) ?? null,
      details: parseJsonColumn(r.details),
      requestId: (r.request_id as string | null) ?? null,
      at: new Date(Number(r.at)).toISOString(),
    }));
  }
}

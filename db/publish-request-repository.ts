// Publish requests of one tenant: a manager asked to publish a flow with Class B nodes; an
// admin approves (publishing exactly the snapshot requested) or rejects with a reason.
// Status: pending → approved | rejected; `superseded` when the flow was published otherwise or
// a newer request replaced it; `cancelled` when the flow was deleted.
import { v7 as uuidv7 } from 'uuid';
import type { Flow } from '../engine/index.js';
import type { Database } from './database.js';
import { parseJsonColumn, type Query, type Row } from './sql-executor.js';

// The states are part of the API contract: one list, in server/schemas/flows.ts (a pure schema module).
import { PUBLISH_REQUEST_STATUSES, type PublishRequestStatus } from '../server/schemas/flows.js';

export { PUBLISH_REQUEST_STATUSES, type PublishRequestStatus };

export interface PublishRequest {
  id: string;
  flowId: string;
  flowName: string;
  status: PublishRequestStatus;
  /** The draft revision that was requested. */
  revision: number;
  definition: Flow;
  requestedBy: string;
  requestedAt: number;
  decidedBy: string | null;
  decidedAt: number | null;
  reason: string | null;
  /** The version the approval published. */
  version: number | null;
}

const COLUMNS = 'r.id, r.flow_id, f.name AS flow_name, r.status, r.revision, r.definition, r.requested_by, r.requested_at, r.decided_by, r.decided_at, r.reason, r.version';
const FROM = 'publish_requests r JOIN flows f ON f.id = r.flow_id AND f.tenant_id = r.tenant_id';

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toRequest(r: Row): PublishRequest {
  return {
    id: String(r.id),
    flowId: String(r.flow_id),
    flowName: String(r.flow_name),
    status: String(r.status) as PublishRequestStatus,
    revision: Number(r.revision),
    definition: parseJsonColumn(r.definition) as Flow,
    requestedBy: String(r.requested_by),
    requestedAt: Number(r.requested_at),
    decidedBy: (r.decided_by as string | null) ?? null,
    decidedAt: num(r.decided_at),
    reason: (r.reason as string | null) ?? null,
    version: num(r.version),
  };
}

export class PublishRequestRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /** A new pending request (inside the caller's transaction); older pending requests of the flow are superseded. */
  async create(q: Query, input: { flowId: string; definition: Flow; revision: number; requestedBy: string }): Promise<PublishRequest> {
    const now = Date.now();
    await q("UPDATE publish_requests SET status = 'superseded', decided_at = $1 WHERE tenant_id = $2 AND flow_id = $3 AND status = 'pending'", [now, this.tenantId, input.flowId]);
    const id = uuidv7();
    await q(
      `INSERT INTO publish_requests (id, tenant_id, flow_id, status, definition, revision, requested_by, requested_at)
       VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7)`,
      [id, this.tenantId, input.flowId, JSON.stringify(input.definition), input.revision, input.requestedBy, now],
    );
    const created = await this.get(id, q);
    if (!created) throw new Error(`publish request ${id} vanished`);
    return created;
  }

  /** One request of this tenant; pass `q` to read (and on PostgreSQL lock) inside a transaction. */
  async get(id: string, q?: Query): Promise<PublishRequest | null> {
    const sql = `SELECT ${COLUMNS} FROM ${FROM} WHERE r.id = $1 AND r.tenant_id = $2`;
    const lock = q && this.db.dialect === 'postgres' ? ' FOR UPDATE OF r' : '';
    const [row] = q ? await q(sql + lock, [id, this.tenantId]) : await this.db.sql.query(sql, [id, this.tenantId]);
    return row ? toRequest(row) : null;
  }

  /** Newest first; requests of deleted flows are left out. */
  async list(options: { status?: PublishRequestStatus; flowId?: string; limit: number }): Promise<PublishRequest[]> {
    const where = ['r.tenant_id = $1', 'f.deleted_at IS NULL'];
    const args: unknown[] = [this.tenantId];
    if (options.status) {
      args.push(options.status);
      where.push(`r.status = $${args.length}`);
    }
    if (options.flowId) {
      args.push(options.flowId);
      where.push(`r.flow_id = $${args.length}`);
    }
    args.push(options.limit);
    const rows = await this.db.sql.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE ${where.join(' AND ')} ORDER BY r.requested_at DESC, r.id DESC LIMIT $${args.length}`, args);
    return rows.map(toRequest);
  }

  /** Record the decision on a pending request (inside the caller's transaction). */
  async decide(q: Query, id: string, decision: { status: 'approved' | 'rejected'; by: string; reason?: string | null; version?: number | null }): Promise<void> {
    await q("UPDATE publish_requests SET status = $1, decided_by = $2, decided_at = $3, reason = $4, version = $5 WHERE id = $6 AND tenant_id = $7 AND status = 'pending'", [
      decision.status, decision.by, Date.now(), decision.reason ?? null, decision.version ?? null, id, this.tenantId,
    ]);
  }
}

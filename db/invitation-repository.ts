// Invitations to join a tenant with a role. The token is shown once to the inviter and stored
// only as a keyed hash; accepting is single use (an atomic update claims the row).
import { v7 as uuidv7 } from 'uuid';
import type { Database } from './database.js';
import type { Query } from './sql-executor.js';
import { normaliseEmail } from './user-repository.js';

export type InvitationStatus = 'pending' | 'accepted' | 'expired' | 'revoked';

export interface InvitationRecord {
  id: string;
  tenantId: string;
  email: string;
  role: string;
  invitedBy: string;
  expiresAt: number;
  acceptedAt: number | null;
  acceptedBy: string | null;
  revokedAt: number | null;
  createdAt: number;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const toRecord = (r: Record<string, unknown>): InvitationRecord => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  email: String(r.email),
  role: String(r.role),
  invitedBy: String(r.invited_by),
  expiresAt: Number(r.expires_at),
  acceptedAt: num(r.accepted_at),
  acceptedBy: (r.accepted_by as string | null) ?? null,
  revokedAt: num(r.revoked_at),
  createdAt: Number(r.created_at),
});

export function invitationStatus(inv: InvitationRecord, now = Date.now()): InvitationStatus {
  if (inv.acceptedAt !== null) return 'accepted';
  if (inv.revokedAt !== null) return 'revoked';
  return inv.expiresAt <= now ? 'expired' : 'pending';
}

/** Looked up by token hash before the tenant is known (accepting comes from a signed-out person). */
export async function invitationByHash(db: Database, tokenHash: string): Promise<InvitationRecord | null> {
  const rows = await db.sql.query('SELECT * FROM invitations WHERE token_hash = $1', [tokenHash]);
  return rows[0] ? toRecord(rows[0]) : null;
}

export class InvitationRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  async create(inv: { email: string; role: string; tokenHash: string; invitedBy: string; expiresAt: number }, query: Query): Promise<InvitationRecord> {
    const record: InvitationRecord = {
      id: uuidv7(),
      tenantId: this.tenantId,
      email: normaliseEmail(inv.email),
      role: inv.role,
      invitedBy: inv.invitedBy,
      expiresAt: inv.expiresAt,
      acceptedAt: null,
      acceptedBy: null,
      revokedAt: null,
      createdAt: Date.now(),
    };
    await query('INSERT INTO invitations (id, tenant_id, email, role, token_hash, invited_by, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
      record.id,
      this.tenantId,
      record.email,
      record.role,
      inv.tokenHash,
      record.invitedBy,
      record.expiresAt,
      record.createdAt,
    ]);
    return record;
  }

  /** Newest first. */
  async list(): Promise<InvitationRecord[]> {
    const rows = await this.db.sql.query('SELECT * FROM invitations WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC', [this.tenantId]);
    return rows.map(toRecord);
  }

  async byId(id: string): Promise<InvitationRecord | null> {
    const rows = await this.db.sql.query('SELECT * FROM invitations WHERE tenant_id = $1 AND id = $2', [this.tenantId, id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Revoke every still-open invitation of this email (a new one replaces them). Answers their ids. */
  async revokePendingFor(email: string, query: Query): Promise<string[]> {
    const rows = await query('UPDATE invitations SET revoked_at = $1 WHERE tenant_id = $2 AND email = $3 AND accepted_at IS NULL AND revoked_at IS NULL RETURNING id', [
      Date.now(),
      this.tenantId,
      normaliseEmail(email),
    ]);
    return rows.map((r) => String(r.id));
  }

  /** Revoke one open invitation; false if it was already accepted or revoked. */
  async revoke(id: string, query: Query): Promise<boolean> {
    const rows = await query('UPDATE invitations SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 AND accepted_at IS NULL AND revoked_at IS NULL RETURNING id', [Date.now(), this.tenantId, id]);
    return rows.length === 1;
  }

  /** Claim the invitation for `userId`: true only for the one request that finds it open and unexpired. */
  async claim(id: string, userId: string, now: number, query: Query): Promise<boolean> {
    const rows = await query(
      'UPDATE invitations SET accepted_at = $1, accepted_by = $2 WHERE tenant_id = $3 AND id = $4 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1 RETURNING id',
      [now, userId, this.tenantId, id],
    );
    return rows.length === 1;
  }
}

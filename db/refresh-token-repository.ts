// Refresh tokens: opaque secrets stored only as keyed hashes, one row per token. Each use
// rotates: the token is revoked and its successor issued in the same family. Presenting a
// token that was already rotated means two parties hold the family (a copy was stolen):
// the whole family is revoked and both must sign in again.
import { v7 as uuidv7 } from 'uuid';
import type { Database } from './database.js';
import type { Query } from './sql-executor.js';

export interface RefreshTokenRecord {
  id: string;
  tenantId: string;
  userId: string;
  family: string;
  expiresAt: number;
  revokedAt: number | null;
  replacedBy: string | null;
}

const toRecord = (r: Record<string, unknown>): RefreshTokenRecord => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  userId: String(r.user_id),
  family: String(r.family),
  expiresAt: Number(r.expires_at),
  revokedAt: r.revoked_at === null || r.revoked_at === undefined ? null : Number(r.revoked_at),
  replacedBy: (r.replaced_by as string | null) ?? null,
});

export class RefreshTokenRepository {
  constructor(private readonly db: Database) {}

  /** Store the first token (hash only) of a new family. */
  async insert(token: { tenantId: string; userId: string; tokenHash: string; expiresAt: number }, query: Query): Promise<{ id: string; family: string }> {
    const id = uuidv7();
    const family = uuidv7();
    await query('INSERT INTO refresh_tokens (id, tenant_id, user_id, family, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      id,
      token.tenantId,
      token.userId,
      family,
      token.tokenHash,
      token.expiresAt,
      Date.now(),
    ]);
    return { id, family };
  }

  async byHash(tokenHash: string, query?: Query): Promise<RefreshTokenRecord | null> {
    const rows = await (query ?? this.db.sql.query)('SELECT * FROM refresh_tokens WHERE token_hash = $1', [tokenHash]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * Rotate: revoke `old` (replaced by its successor) and store the successor in the same
   * family, if `old` is still live. Null when another request rotated or revoked it first:
   * the caller treats that as reuse.
   */
  async rotate(old: RefreshTokenRecord, successor: { tokenHash: string; expiresAt: number }, now: number, query: Query): Promise<{ id: string } | null> {
    const id = uuidv7();
    const claimed = await query('UPDATE refresh_tokens SET revoked_at = $1, replaced_by = $2 WHERE id = $3 AND revoked_at IS NULL RETURNING id', [now, id, old.id]);
    if (claimed.length !== 1) return null;
    await query('INSERT INTO refresh_tokens (id, tenant_id, user_id, family, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      id,
      old.tenantId,
      old.userId,
      old.family,
      successor.tokenHash,
      successor.expiresAt,
      now,
    ]);
    return { id };
  }

  async revokeFamily(family: string, query: Query): Promise<number> {
    const rows = await query('UPDATE refresh_tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL RETURNING id', [Date.now(), family]);
    return rows.length;
  }

  /** Sign a member out of one tenant (removed from it). */
  async revokeMember(tenantId: string, userId: string, query: Query): Promise<number> {
    const rows = await query('UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND tenant_id = $3 AND revoked_at IS NULL RETURNING id', [Date.now(), userId, tenantId]);
    return rows.length;
  }

  /** Sign a user out everywhere (password changed). */
  async revokeUser(userId: string, query: Query): Promise<number> {
    const rows = await query('UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL RETURNING id', [Date.now(), userId]);
    return rows.length;
  }
}

// API keys of one tenant (machines). The key itself is shown once and stored only as a keyed
// hash; the readable prefix identifies it in lists. server/auth/authenticate.ts resolves
// callers by hash and refuses revoked keys.
import { v7 as uuidv7 } from 'uuid';
import type { Database } from './database.js';
import type { Query } from './sql-executor.js';

export interface ApiKeyRecord {
  id: string;
  name: string;
  role: string;
  scopes: string[];
  prefix: string;
  createdBy: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const toRecord = (r: Record<string, unknown>): ApiKeyRecord => ({
  id: String(r.id),
  name: String(r.name),
  role: String(r.role),
  scopes: JSON.parse(String(r.scopes)) as string[],
  prefix: String(r.prefix),
  createdBy: String(r.created_by),
  createdAt: Number(r.created_at),
  lastUsedAt: num(r.last_used_at),
  revokedAt: num(r.revoked_at),
});

export class ApiKeyRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  async create(key: { name: string; role: string; scopes: string[]; prefix: string; keyHash: string; createdBy: string }, query: Query): Promise<ApiKeyRecord> {
    const record: ApiKeyRecord = {
      id: uuidv7(),
      name: key.name,
      role: key.role,
      scopes: key.scopes,
      prefix: key.prefix,
      createdBy: key.createdBy,
      createdAt: Date.now(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await query('INSERT INTO api_keys (id, tenant_id, name, role, scopes, prefix, key_hash, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
      record.id,
      this.tenantId,
      record.name,
      record.role,
      JSON.stringify(record.scopes),
      record.prefix,
      key.keyHash,
      record.createdBy,
      record.createdAt,
    ]);
    return record;
  }

  /** Newest first; revoked keys only when asked. */
  async list(options: { includeRevoked: boolean }): Promise<ApiKeyRecord[]> {
    const revoked = options.includeRevoked ? '' : ' AND revoked_at IS NULL';
    const rows = await this.db.sql.query(`SELECT * FROM api_keys WHERE tenant_id = $1${revoked} ORDER BY created_at DESC, id DESC`, [this.tenantId]);
    return rows.map(toRecord);
  }

  async byId(id: string): Promise<ApiKeyRecord | null> {
    const rows = await this.db.sql.query('SELECT * FROM api_keys WHERE tenant_id = $1 AND id = $2', [this.tenantId, id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Revoke a live key; false when it was already revoked. */
  async revoke(id: string, query: Query): Promise<boolean> {
    const rows = await query('UPDATE api_keys SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL RETURNING id', [Date.now(), this.tenantId, id]);
    return rows.length === 1;
  }
}

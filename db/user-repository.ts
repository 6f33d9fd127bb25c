// Users (global identities) and their memberships (per tenant, with a role). Lookups that
// answer "who is this caller in this tenant" always join on the tenant id.
import { v7 as uuidv7 } from 'uuid';
import type { Database } from './database.js';
import type { Query } from './sql-executor.js';

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  locale: string;
  failedLogins: number;
  lockedUntil: number | null;
}

export interface MembershipRecord {
  tenantId: string;
  userId: string;
  role: string;
  email: string;
  name: string;
  locale: string;
}

const toUser = (r: Record<string, unknown>): UserRecord => ({
  id: String(r.id),
  email: String(r.email),
  name: String(r.name),
  passwordHash: String(r.password_hash),
  locale: String(r.locale),
  failedLogins: Number(r.failed_logins),
  lockedUntil: r.locked_until === null || r.locked_until === undefined ? null : Number(r.locked_until),
});

export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

export class UserRepository {
  constructor(private readonly db: Database) {}

  async byEmail(email: string): Promise<UserRecord | null> {
    const rows = await this.db.sql.query('SELECT * FROM users WHERE email = $1', [normaliseEmail(email)]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async byId(id: string): Promise<UserRecord | null> {
    const rows = await this.db.sql.query('SELECT * FROM users WHERE id = $1', [id]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  /** Insert a user; `query` joins the caller's transaction (sign-up creates tenant and owner together). */
  async create(user: { email: string; name: string; passwordHash: string; locale?: string }, query: Query): Promise<string> {
    const id = uuidv7();
    const now = Date.now();
    await query('INSERT INTO users (id, email, name, password_hash, locale, failed_logins, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6)', [
      id,
      normaliseEmail(user.email),
      user.name,
      user.passwordHash,
      user.locale ?? 'ar',
      now,
    ]);
    return id;
  }

  async addMembership(tenantId: string, userId: string, role: string, query: Query): Promise<void> {
    await query('INSERT INTO memberships (id, tenant_id, user_id, role, created_at) VALUES ($1, $2, $3, $4, $5)', [uuidv7(), tenantId, userId, role, Date.now()]);
  }

  /** The user's membership in one tenant, or null: the source of truth for roles on every request. */
  async membership(tenantId: string, userId: string): Promise<MembershipRecord | null> {
    const rows = await this.db.sql.query(
      'SELECT m.tenant_id, m.user_id, m.role, u.email, u.name, u.locale FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1 AND m.user_id = $2',
      [tenantId, userId],
    );
    const r = rows[0];
    return r ? { tenantId: String(r.tenant_id), userId: String(r.user_id), role: String(r.role), email: String(r.email), name: String(r.name), locale: String(r.locale) } : null;
  }

  /** Every tenant the user belongs to (the tenant switcher). */
  async tenantsOf(userId: string): Promise<{ tenantId: string; slug: string; name: string; role: string }[]> {
    const rows = await this.db.sql.query('SELECT t.id, t.slug, t.name, m.role FROM memberships m JOIN tenants t ON t.id = m.tenant_id WHERE m.user_id = $1 ORDER BY t.name', [userId]);
    return rows.map((r) => ({ tenantId: String(r.id), slug: String(r.slug), name: String(r.name), role: String(r.role) }));
  }
}

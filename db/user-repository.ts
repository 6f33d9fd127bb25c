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

export interface MemberRecord extends MembershipRecord {
  joinedAt: number;
}

const toMember = (r: Record<string, unknown>): MemberRecord => ({
  tenantId: String(r.tenant_id),
  userId: String(r.user_id),
  role: String(r.role),
  email: String(r.email),
  name: String(r.name),
  locale: String(r.locale),
  joinedAt: Number(r.created_at),
});

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
  async membership(tenantId: string, userId: string, query: Query = (sql, params) => this.db.sql.query(sql, params)): Promise<MembershipRecord | null> {
    const rows = await query(
      'SELECT m.tenant_id, m.user_id, m.role, u.email, u.name, u.locale FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1 AND m.user_id = $2',
      [tenantId, userId],
    );
    const r = rows[0];
    return r ? { tenantId: String(r.tenant_id), userId: String(r.user_id), role: String(r.role), email: String(r.email), name: String(r.name), locale: String(r.locale) } : null;
  }

  /** Every member of a tenant with their role, oldest membership first. */
  async members(tenantId: string): Promise<MemberRecord[]> {
    const rows = await this.db.sql.query(
      'SELECT m.tenant_id, m.user_id, m.role, m.created_at, u.email, u.name, u.locale FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1 ORDER BY m.created_at, u.email',
      [tenantId],
    );
    return rows.map(toMember);
  }

  /**
   * Inside a transaction: the tenant's owners, locked against a concurrent role change on
   * PostgreSQL (SQLite serialises write transactions), so "never remove the last owner" holds
   * when two owners demote each other at once.
   */
  async lockOwners(tenantId: string, query: Query): Promise<string[]> {
    const lock = this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const rows = await query(`SELECT user_id FROM memberships WHERE tenant_id = $1 AND role = 'owner'${lock}`, [tenantId]);
    return rows.map((r) => String(r.user_id));
  }

  /** A membership read inside a transaction (locked on PostgreSQL), or null. */
  async lockMembership(tenantId: string, userId: string, query: Query): Promise<{ role: string } | null> {
    const lock = this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const rows = await query(`SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2${lock}`, [tenantId, userId]);
    return rows[0] ? { role: String(rows[0].role) } : null;
  }

  async setRole(tenantId: string, userId: string, role: string, query: Query): Promise<void> {
    await query('UPDATE memberships SET role = $1 WHERE tenant_id = $2 AND user_id = $3', [role, tenantId, userId]);
  }

  async removeMembership(tenantId: string, userId: string, query: Query): Promise<void> {
    await query('DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2', [tenantId, userId]);
  }

  /**
   * Count a failed sign-in atomically and lock the account when it reaches `threshold`
   * consecutive failures. An expired lock starts the count afresh. Answers the new count and
   * the lock's end (null: not locked).
   */
  async recordFailedLogin(userId: string, options: { now: number; threshold: number; lockUntil: number }, query: Query): Promise<{ failures: number; lockedUntil: number | null }> {
    const rows = await query(
      `UPDATE users SET
         failed_logins = CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1 ELSE failed_logins + 1 END,
         locked_until = CASE
           WHEN locked_until IS NOT NULL AND locked_until > $2 THEN locked_until
           WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1 ELSE failed_logins + 1 END) >= $3 THEN $4
           ELSE NULL END,
         updated_at = $2
       WHERE id = $1
       RETURNING failed_logins, locked_until`,
      [userId, options.now, options.threshold, options.lockUntil],
    );
    const r = rows[0];
    return { failures: Number(r?.failed_logins ?? 0), lockedUntil: r?.locked_until === null || r?.locked_until === undefined ? null : Number(r.locked_until) };
  }

  /** A successful sign-in clears the failure count and any expired lock. */
  async clearFailedLogins(userId: string): Promise<void> {
    await this.db.sql.transaction(async (q) => {
      await q('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1 AND (failed_logins <> 0 OR locked_until IS NOT NULL)', [userId]);
    });
  }

  /** Change a user's own profile fields (and password hash) inside the caller's transaction. */
  async updateProfile(userId: string, change: { name?: string; locale?: string; passwordHash?: string }, query: Query): Promise<void> {
    const sets: string[] = [];
    const args: unknown[] = [];
    const set = (column: string, value: unknown): void => {
      args.push(value);
      sets.push(`${column} = $${args.length}`);
    };
    if (change.name !== undefined) set('name', change.name);
    if (change.locale !== undefined) set('locale', change.locale);
    if (change.passwordHash !== undefined) set('password_hash', change.passwordHash);
    if (!sets.length) return;
    set('updated_at', Date.now());
    args.push(userId);
    await query(`UPDATE users SET ${sets.join(', ')} WHERE id = $${args.length}`, args);
  }

  /** Every tenant the user belongs to (the tenant switcher). */
  async tenantsOf(userId: string): Promise<{ tenantId: string; slug: string; name: string; role: string }[]> {
    const rows = await this.db.sql.query('SELECT t.id, t.slug, t.name, m.role FROM memberships m JOIN tenants t ON t.id = m.tenant_id WHERE m.user_id = $1 ORDER BY t.name', [userId]);
    return rows.map((r) => ({ tenantId: String(r.id), slug: String(r.slug), name: String(r.name), role: String(r.role) }));
  }
}

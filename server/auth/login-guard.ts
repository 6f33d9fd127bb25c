// Password checks with account lockout. Every check of a user's password (sign-in, accepting
// an invitation as an existing user, changing the password) goes through here, so guessing
// counts the same whichever door is used.
//
// - A wrong password answers `null` (the route answers 401 invalid_credentials, never saying
//   which part was wrong); an unknown email costs the same argon2 verification (dummyHash).
// - MAX_FAILED_LOGINS consecutive failures lock the account for LOCKOUT_MS: that failure and
//   every attempt until the lock ends answer 423 `account_locked` with Retry-After (seconds),
//   without checking the password. Success resets the count. The lock is recorded in the audit
//   log of every tenant the user belongs to.
// - Unknown emails are "locked" the same way, in memory, so the 423 tells nothing about
//   which emails have accounts.
import type { AppContext } from '../app-context.js';
import { ApiError } from '../api-error.js';
import { normaliseEmail, type UserRecord } from '../../db/user-repository.js';
import { dummyHash, verifyPassword } from './passwords.js';

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;
const MAX_UNKNOWN_TRACKED = 10_000;

export const invalidCredentials = (): ApiError => new ApiError(401, 'invalid_credentials', 'the email or password is not correct');

export function accountLocked(until: number, now: number): ApiError {
  const seconds = Math.max(1, Math.ceil((until - now) / 1000));
  return new ApiError(423, 'account_locked', `too many failed sign-ins: try again in ${Math.ceil(seconds / 60)} minutes`, [], { 'Retry-After': String(seconds) });
}

export interface AttemptMeta {
  ip?: string | undefined;
  requestId?: string | undefined;
}

export class LoginGuard {
  private readonly unknown = new Map<string, { failures: number; lockedUntil: number | null }>();

  constructor(
    private readonly ctx: AppContext,
    private readonly now: () => number = Date.now,
  ) {}

  /** The user whose email and password these are, or null. Throws 423 while locked. */
  async check(email: string, password: string, meta: AttemptMeta): Promise<UserRecord | null> {
    const user = await this.ctx.users.byEmail(email);
    return user ? this.checkUser(user, password, meta) : this.checkUnknown(normaliseEmail(email), password);
  }

  /** Verify a known user's password (the lock and the failure count apply). */
  async checkUser(user: UserRecord, password: string, meta: AttemptMeta): Promise<UserRecord | null> {
    const now = this.now();
    if (user.lockedUntil !== null && user.lockedUntil > now) throw accountLocked(user.lockedUntil, now);
    if (await verifyPassword(user.passwordHash, password)) {
      if (user.failedLogins !== 0 || user.lockedUntil !== null) await this.ctx.users.clearFailedLogins(user.id);
      return user;
    }
    await this.recordFailure(user, meta);
    return null;
  }

  private async recordFailure(user: UserRecord, meta: AttemptMeta): Promise<void> {
    const now = this.now();
    const lockUntil = now + LOCKOUT_MS;
    let result = { failures: 0, lockedUntil: null as number | null };
    await this.ctx.db.sql.transaction(async (q) => {
      result = await this.ctx.users.recordFailedLogin(user.id, { now, threshold: MAX_FAILED_LOGINS, lockUntil }, q);
      if (result.lockedUntil !== lockUntil) return; // not locked, or locked earlier by a concurrent attempt
      const memberships = await q('SELECT tenant_id FROM memberships WHERE user_id = $1', [user.id]);
      for (const m of memberships) {
        await this.ctx.audit(String(m.tenant_id)).record(
          {
            actor: 'system',
            action: 'auth.account_locked',
            target: `user:${user.id}`,
            details: { email: user.email, failures: result.failures, lockedUntil: new Date(lockUntil).toISOString(), ip: meta.ip ?? null },
            requestId: meta.requestId ?? null,
          },
          q,
        );
      }
    });
    if (result.lockedUntil !== null && result.lockedUntil > now) throw accountLocked(result.lockedUntil, now);
  }

  private async checkUnknown(email: string, password: string): Promise<null> {
    const now = this.now();
    const seen = this.unknown.get(email);
    if (seen?.lockedUntil && seen.lockedUntil > now) throw accountLocked(seen.lockedUntil, now);
    await verifyPassword(await dummyHash(), password);
    const failures = (seen && seen.lockedUntil === null ? seen.failures : 0) + 1;
    const lockedUntil = failures >= MAX_FAILED_LOGINS ? now + LOCKOUT_MS : null;
    this.unknown.delete(email);
    this.unknown.set(email, { failures, lockedUntil });
    if (this.unknown.size > MAX_UNKNOWN_TRACKED) {
      const oldest = this.unknown.keys().next().value;
      if (oldest !== undefined) this.unknown.delete(oldest);
    }
    if (lockedUntil !== null) throw accountLocked(lockedUntil, now);
    return null;
  }
}

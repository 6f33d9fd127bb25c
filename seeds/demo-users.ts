// One demo user per role in the demo tenant, so a new user can sign in at once and see what
// each role may do. The password is public (README): the server listens on 127.0.0.1 by
// default; anyone exposing a demo store must change these passwords or remove the users.
import type { Role } from '../server/auth/permissions.js';
import { ROLES } from '../server/auth/permissions.js';
import { hashPassword } from '../server/auth/passwords.js';
import type { Database } from '../db/index.js';
import type { UserRepository } from '../db/user-repository.js';

export const DEMO_PASSWORD = 'tadfuq-demo-2026';

export const DEMO_USERS: { role: Role; email: string; name: string; locale: 'ar' | 'en' }[] = ROLES.map((role) => ({
  role,
  email: `${role.replace('_', '-')}@demo.tadfuq.test`,
  name: {
    owner: 'نورة المالكة (Owner)',
    admin: 'خالد المدير (Admin)',
    manager: 'سارة مديرة المبيعات (Manager)',
    sales_rep: 'فهد مندوب المبيعات (Sales rep)',
    viewer: 'ريم المراقبة (Viewer)',
  }[role],
  locale: role === 'viewer' ? 'en' : 'ar',
}));

export interface DemoUsersTarget {
  db: Database;
  users: UserRepository;
}

/**
 * Create the demo users that are missing (all of them on a fresh store). With `reset`, also
 * restore each one's documented password and role (`npm run seed`). Returns the emails created
 * or reset, so the caller prints the credentials once.
 */
export async function seedDemoUsers(target: DemoUsersTarget, tenantId: string, options: { reset?: boolean } = {}): Promise<string[]> {
  const changed: string[] = [];
  let hash: string | undefined;
  for (const u of DEMO_USERS) {
    const existing = await target.users.byEmail(u.email);
    if (existing && !options.reset) continue;
    hash ??= await hashPassword(DEMO_PASSWORD);
    const passwordHash = hash;
    await target.db.sql.transaction(async (q) => {
      const userId = existing?.id ?? (await target.users.create({ email: u.email, name: u.name, passwordHash, locale: u.locale }, q));
      if (existing) await q('UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $3', [passwordHash, Date.now(), userId]);
      const member = await q('SELECT id FROM memberships WHERE tenant_id = $1 AND user_id = $2', [tenantId, userId]);
      if (member.length) await q('UPDATE memberships SET role = $1 WHERE tenant_id = $2 AND user_id = $3', [u.role, tenantId, userId]);
      else await target.users.addMembership(tenantId, userId, u.role, q);
    });
    changed.push(u.email);
  }
  return changed;
}

/** The sign-in table printed on the console when demo users were created or reset. */
export function demoCredentialsBanner(): string {
  const rows = DEMO_USERS.map((u) => `  ${u.role.padEnd(10)} ${u.email.padEnd(32)} ${DEMO_PASSWORD}`);
  return ['', 'Demo tenant sign-in — تسجيل الدخول للمستأجر التجريبي (change these before exposing the server):', ...rows, ''].join('\n');
}

// Members of a tenant for API tests: a user with a role and a valid access token, made
// through the same repositories and token service the server uses.
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../server/app-context.js';
import type { Role } from '../../server/auth/permissions.js';
import { hashPassword } from '../../server/auth/passwords.js';

export interface TestMember {
  userId: string;
  email: string;
  password: string;
  role: Role;
  token: string;
  /** `Authorization: Bearer <token>` */
  headers: Record<string, string>;
}

let cachedHash: { password: string; hash: Promise<string> } | undefined;

export async function addMember(ctx: AppContext, tenantId: string, role: Role, email = `${role}-${randomUUID().slice(0, 8)}@example.test`): Promise<TestMember> {
  // One argon2 hash shared by all test users: hashing is deliberately slow.
  cachedHash ??= { password: 'correct horse battery staple', hash: hashPassword('correct horse battery staple') };
  const passwordHash = await cachedHash.hash;
  let userId = '';
  await ctx.db.sql.transaction(async (q) => {
    userId = await ctx.users.create({ email, name: `Test ${role}`, passwordHash }, q);
    await ctx.users.addMembership(tenantId, userId, role, q);
  });
  const token = ctx.tokens.issueAccess(userId, tenantId);
  return { userId, email, password: cachedHash.password, role, token, headers: { Authorization: `Bearer ${token}` } };
}

/** Several members of one tenant, made one after another in the order given: `{ rep1: 'sales_rep', … }`. */
export async function addMembers<K extends string>(ctx: AppContext, tenantId: string, roles: Record<K, Role>): Promise<Record<K, TestMember>> {
  const out = {} as Record<K, TestMember>;
  for (const [key, role] of Object.entries(roles) as [K, Role][]) out[key] = await addMember(ctx, tenantId, role);
  return out;
}

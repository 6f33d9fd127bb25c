// A signed-in session: a short-lived access JWT plus an opaque, rotating refresh token bound
// to one user in one tenant. Shared by sign-up, login, refresh, tenant switch and invitation
// acceptance, which all answer the same shape.
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import type { Query } from '../../db/sql-executor.js';
import { RefreshTokenRepository } from '../../db/refresh-token-repository.js';
import type { UserRecord } from '../../db/user-repository.js';
import { ACCESS_TOKEN_TTL_SECONDS, REFRESH_TOKEN_TTL_MS } from './tokens.js';
import { ROLES } from './permissions.js';
import { LocaleSchema, stringEnum } from './route-helpers.js';

export const RoleSchema = stringEnum(ROLES, { description: 'owner > admin > manager > sales_rep > viewer' });

export const UserSchema = Type.Object({
  id: Type.String(),
  email: Type.String({ format: 'email' }),
  name: Type.String(),
  locale: LocaleSchema,
});

export const TenantRefSchema = Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String() });
export const MembershipSchema = Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String(), role: RoleSchema });

export const TokensSchema = Type.Object({
  accessToken: Type.String({ description: 'JWT for `Authorization: Bearer …`' }),
  refreshToken: Type.String({ description: '`tdf_rt_…`: single use, rotated by POST /auth/refresh' }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'seconds the access token lasts' }),
});

export const SessionSchema = Type.Composite([
  TokensSchema,
  Type.Object({ user: UserSchema, tenant: TenantRefSchema, role: RoleSchema, tenants: Type.Array(MembershipSchema, { description: 'every tenant the user belongs to' }) }),
]);

export type Tokens = Static<typeof TokensSchema>;

export const userView = (u: Pick<UserRecord, 'id' | 'email' | 'name' | 'locale'>): Static<typeof UserSchema> => ({
  id: u.id,
  email: u.email,
  name: u.name,
  locale: u.locale === 'en' ? 'en' : 'ar',
});

/** A new sign-in of `userId` in `tenantId`: an access token and the first refresh token of a new family. */
export async function issueTokens(ctx: AppContext, userId: string, tenantId: string, query?: Query): Promise<Tokens> {
  const refreshToken = ctx.tokens.newOpaque('tdf_rt');
  const repo = new RefreshTokenRepository(ctx.db);
  const row = { tenantId, userId, tokenHash: ctx.tokens.hashOpaque(refreshToken), expiresAt: Date.now() + REFRESH_TOKEN_TTL_MS };
  if (query) await repo.insert(row, query);
  else await ctx.db.sql.transaction(async (q) => void (await repo.insert(row, q)));
  return { accessToken: ctx.tokens.issueAccess(userId, tenantId), refreshToken, tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_TTL_SECONDS };
}

/** The memberships of a user, as the tenant switcher lists them. */
export async function membershipsOf(ctx: AppContext, userId: string): Promise<Static<typeof MembershipSchema>[]> {
  const rows = await ctx.users.tenantsOf(userId);
  return rows.map((t) => ({ id: t.tenantId, slug: t.slug, name: t.name, role: t.role as Static<typeof RoleSchema> }));
}

/** The sign-in answer for `user` acting in `tenantId` (which must be one of their memberships). */
export async function sessionAnswer(ctx: AppContext, user: UserRecord, tenantId: string, tokens: Tokens): Promise<Static<typeof SessionSchema>> {
  const tenants = await membershipsOf(ctx, user.id);
  const current = tenants.find((t) => t.id === tenantId);
  if (!current) throw new Error(`user ${user.id} is not a member of tenant ${tenantId}`);
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    tokenType: 'Bearer',
    expiresIn: tokens.expiresIn,
    user: userView(user),
    tenant: { id: current.id, slug: current.slug, name: current.name },
    role: current.role,
    tenants,
  };
}

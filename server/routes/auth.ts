// Routes: sign-up, login, refresh, logout, me, tenant switch, invitations (accept).
//
// Sessions are an access JWT (15 minutes) and an opaque refresh token (`tdf_rt_…`, 30 days)
// that rotates on every use; reusing a rotated refresh token revokes its whole family.
// Sign-in failures answer 401 invalid_credentials whatever was wrong; 5 consecutive failures
// lock the account for 15 minutes (423 account_locked + Retry-After, see auth/login-guard.ts);
// each IP may try LOGIN_RATE.limit sign-ins per minute (429 rate_limited + Retry-After).
import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { ApiError, notFound, invalidRequest } from '../api-error.js';
import { route, type RouteSpec } from '../http/route.js';
import { allowed } from '../auth/auth-context.js';
import { PERMISSIONS, type Permission } from '../auth/permissions.js';
import { hashPassword } from '../auth/passwords.js';
import { ACCESS_TOKEN_TTL_SECONDS, REFRESH_TOKEN_TTL_MS } from '../auth/tokens.js';
import { RateLimiter } from '../auth/rate-limit.js';
import { LOGIN_RATE_PER_MINUTE, SIGNUP_RATE_PER_HOUR } from '../config.js';
import { LoginGuard, invalidCredentials } from '../auth/login-guard.js';
import { localAuthenticator, signIn } from '../auth/passport.js';
import { MembershipSchema, RoleSchema, SessionSchema, TenantRefSchema, TokensSchema, UserSchema, issueTokens, membershipsOf, sessionAnswer, userView, type Tokens } from '../auth/session.js';
import {
  EmailSchema,
  LocaleSchema,
  NameSchema,
  NewPasswordSchema,
  PasswordSchema,
  passwordTooShort,
  requestIdOf,
  uniqueViolation,
  userIdOf,
} from '../auth/route-helpers.js';
import { invitationByHash, invitationStatus } from '../../db/invitation-repository.js';
import { normaliseEmail, type UserRecord } from '../../db/user-repository.js';

/** Sign-in attempts (login, accepting an invitation) per IP and minute. */
export const LOGIN_RATE = { limit: LOGIN_RATE_PER_MINUTE, windowMs: 60_000 };
/** Sign-ups per IP and hour. */
export const SIGNUP_RATE = { limit: SIGNUP_RATE_PER_HOUR, windowMs: 3_600_000 };

const SLUG_PATTERN = '^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$';
/** Slugs appear in URLs (/hooks/:tenant/…): names the product may want for itself are kept back. */
const RESERVED_SLUGS = new Set(['admin', 'api', 'app', 'assets', 'auth', 'docs', 'help', 'hooks', 'login', 'signup', 'static', 'status', 'support', 'www', 'providers']);

const SignupBody = Type.Object(
  {
    tenantName: NameSchema,
    tenantSlug: Type.Optional(Type.String({ pattern: SLUG_PATTERN, description: '3–63 of a-z, 0-9 and "-"; derived from tenantName when absent' })),
    name: NameSchema,
    email: EmailSchema,
    password: NewPasswordSchema,
    locale: Type.Optional(LocaleSchema),
  },
  { additionalProperties: false },
);

const LoginBody = Type.Object(
  {
    email: EmailSchema,
    password: PasswordSchema,
    tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'slug of the tenant to act in (default: the first of `tenants`)' })),
  },
  { additionalProperties: false },
);

const RefreshBody = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
const SwitchBody = Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 64, description: 'slug' }) }, { additionalProperties: false });

const MeSchema = Type.Object({
  user: UserSchema,
  tenant: TenantRefSchema,
  role: RoleSchema,
  tenants: Type.Array(MembershipSchema),
  permissions: Type.Array(Type.String(), { description: 'the permissions this role has in this tenant (the editor hides the rest)' }),
});

const MePatch = Type.Object(
  {
    name: Type.Optional(NameSchema),
    locale: Type.Optional(LocaleSchema),
    currentPassword: Type.Optional(PasswordSchema),
    newPassword: Type.Optional(NewPasswordSchema),
  },
  { additionalProperties: false, minProperties: 1 },
);

const AcceptBody = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 200 }),
    name: Type.Optional(NameSchema),
    password: Type.String({ minLength: 1, maxLength: 512, description: `a new user's password (at least 10 characters), or the existing account's password` }),
  },
  { additionalProperties: false },
);

function slugFrom(name: string): string {
  const base = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return base.length >= 3 ? base : 'tenant';
}

export function authRoutes(ctx: AppContext): RouteSpec[] {
  const guard = new LoginGuard(ctx);
  const authenticator = localAuthenticator(guard);
  const loginLimiter = new RateLimiter({ ...LOGIN_RATE, limit: ctx.config.loginRatePerMinute });
  const signupLimiter = new RateLimiter({ ...SIGNUP_RATE, limit: ctx.config.signupRatePerHour });
  const refreshTokens = ctx.refreshTokens;
  const tooManySignIns = 'too many sign-in attempts from your address: try again later';

  /** A free slug for a new tenant: the one asked for (409 if taken), or one derived from the name. */
  async function freeSlug(requested: string | undefined, tenantName: string): Promise<string> {
    if (requested) {
      if (RESERVED_SLUGS.has(requested)) throw new ApiError(409, 'slug_taken', `the slug "${requested}" is reserved`, [{ path: '/body/tenantSlug', code: 'taken', message: 'reserved' }]);
      return requested;
    }
    const base = slugFrom(tenantName);
    for (let i = 0; i < 8; i++) {
      const candidate = i === 0 && !RESERVED_SLUGS.has(base) ? base : `${base}-${randomBytes(3).toString('hex')}`;
      if (!(await ctx.tenants.bySlug(candidate))) return candidate;
    }
    throw new ApiError(409, 'slug_taken', 'could not find a free slug: choose one', [{ path: '/body/tenantSlug', code: 'required', message: 'choose a slug' }]);
  }

  const me = async (userId: string, tenantId: string, permissions: string[]) => {
    const user = await ctx.users.byId(userId);
    if (!user) throw new ApiError(401, 'invalid_token', 'the access token no longer grants access');
    const tenants = await membershipsOf(ctx, userId);
    const current = tenants.find((t) => t.id === tenantId);
    if (!current) throw new ApiError(401, 'invalid_token', 'the access token no longer grants access');
    return { user: userView(user), tenant: { id: current.id, slug: current.slug, name: current.name }, role: current.role, tenants, permissions };
  };

  return [
    route({
      method: 'post',
      path: '/auth/signup',
      summary: 'Create a tenant and its owner; answers a session like login',
      tag: 'auth',
      access: 'public',
      body: SignupBody,
      status: 201,
      response: SessionSchema,
      errors: { 409: 'email_taken or slug_taken', 429: 'too many sign-ups from this address (Retry-After)' },
      async handler({ body, req }) {
        signupLimiter.hit(req.ip ?? '', 'too many sign-ups from your address: try again later');
        const conflicts: { path: string; code: string; message: string }[] = [];
        if (await ctx.users.byEmail(body.email)) conflicts.push({ path: '/body/email', code: 'taken', message: 'an account with this email exists: sign in instead' });
        if (body.tenantSlug && (await ctx.tenants.bySlug(body.tenantSlug))) conflicts.push({ path: '/body/tenantSlug', code: 'taken', message: 'this slug is taken' });
        if (conflicts.length) throw new ApiError(409, conflicts[0]?.path === '/body/email' ? 'email_taken' : 'slug_taken', conflicts.map((c) => c.message).join('; '), conflicts);
        const slug = await freeSlug(body.tenantSlug, body.tenantName);
        const passwordHash = await hashPassword(body.password);
        const locale = body.locale ?? 'ar';
        let result: { tenantId: string; userId: string; tokens: Tokens } | undefined;
        try {
          await ctx.db.sql.transaction(async (q) => {
            const tenant = await ctx.tenants.create({ slug, name: body.tenantName.trim(), settings: { locale } }, q);
            const userId = await ctx.users.create({ email: body.email, name: body.name.trim(), passwordHash, locale }, q);
            await ctx.users.addMembership(tenant.id, userId, 'owner', q);
            await ctx.audit(tenant.id).record({ actor: `user:${userId}`, action: 'auth.signup', target: `tenant:${tenant.id}`, details: { slug, email: normaliseEmail(body.email) }, requestId: requestIdOf(req) }, q);
            result = { tenantId: tenant.id, userId, tokens: await issueTokens(ctx, userId, tenant.id, q) };
          });
        } catch (err) {
          // Lost a race with another sign-up for the same email or slug: nothing was written.
          const which = uniqueViolation(err);
          if (which?.includes('email')) throw new ApiError(409, 'email_taken', 'an account with this email exists: sign in instead', [{ path: '/body/email', code: 'taken', message: 'taken' }]);
          if (which?.includes('slug')) throw new ApiError(409, 'slug_taken', 'this slug is taken', [{ path: '/body/tenantSlug', code: 'taken', message: 'taken' }]);
          throw err;
        }
        if (!result) throw new Error('sign-up transaction finished without a result');
        ctx.tenantSettings.set(result.tenantId, { locale });
        const user = await ctx.users.byId(result.userId);
        if (!user) throw new Error('signed-up user vanished');
        return sessionAnswer(ctx, user, result.tenantId, result.tokens);
      },
    }),

    route({
      method: 'post',
      path: '/auth/login',
      summary: 'Sign in with email and password (passport-local); answers access and refresh tokens',
      tag: 'auth',
      access: 'public',
      body: LoginBody,
      response: SessionSchema,
      errors: {
        401: 'invalid_credentials (wrong email or password: never says which)',
        403: 'no_membership: the account belongs to no tenant',
        404: 'not a member of the tenant asked for',
        423: 'account_locked: 5 consecutive failures lock the account for 15 minutes (Retry-After)',
        429: 'rate_limited: too many sign-in attempts from this address (Retry-After)',
      },
      async handler({ body, req, res }) {
        loginLimiter.hit(req.ip ?? '', tooManySignIns);
        const user = await signIn(authenticator, req, res);
        const tenants = await membershipsOf(ctx, user.id);
        const chosen = body.tenant ? tenants.find((t) => t.slug === body.tenant) : tenants[0];
        if (!chosen) {
          if (body.tenant) throw new ApiError(404, 'not_found', `you are not a member of tenant "${body.tenant}"`, [{ path: '/body/tenant', code: 'not_member', message: 'not a member' }]);
          throw new ApiError(403, 'no_membership', 'this account belongs to no tenant: ask for an invitation');
        }
        return sessionAnswer(ctx, user, chosen.id, await issueTokens(ctx, user.id, chosen.id));
      },
    }),

    route({
      method: 'post',
      path: '/auth/refresh',
      summary: 'Exchange a refresh token for new tokens (rotation: the old one stops working)',
      tag: 'auth',
      access: 'public',
      body: RefreshBody,
      response: TokensSchema,
      errors: { 401: 'invalid_refresh_token, refresh_token_expired, or refresh_token_reused (the whole sign-in was revoked)' },
      async handler({ body, req }) {
        const now = Date.now();
        // Set inside the transaction; its writes (revocations) commit before the error answers.
        let outcome = 'invalid' as 'ok' | 'invalid' | 'expired' | 'reused';
        let tokens = undefined as Tokens | undefined;
        await ctx.db.sql.transaction(async (q) => {
          const old = await refreshTokens.byHash(ctx.tokens.hashOpaque(body.refreshToken), q);
          if (!old) return;
          const reused = async (): Promise<void> => {
            outcome = 'reused';
            await refreshTokens.revokeFamily(old.family, q);
            await ctx.audit(old.tenantId).record({ actor: 'system', action: 'auth.refresh_token_reused', target: `user:${old.userId}`, details: { family: old.family, ip: req.ip ?? null }, requestId: requestIdOf(req) }, q);
          };
          if (old.revokedAt !== null) {
            if (old.replacedBy !== null) await reused();
            return; // revoked by logout or removal: plainly invalid
          }
          if (old.expiresAt <= now) {
            outcome = 'expired';
            return;
          }
          if (!(await ctx.users.membership(old.tenantId, old.userId, q))) {
            await refreshTokens.revokeFamily(old.family, q);
            return;
          }
          const refreshToken = ctx.tokens.newOpaque('tdf_rt');
          const rotated = await refreshTokens.rotate(old, { tokenHash: ctx.tokens.hashOpaque(refreshToken), expiresAt: now + REFRESH_TOKEN_TTL_MS }, now, q);
          if (!rotated) return reused(); // a concurrent request rotated it first
          outcome = 'ok';
          tokens = { accessToken: ctx.tokens.issueAccess(old.userId, old.tenantId), refreshToken, tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_TTL_SECONDS };
        });
        if (outcome === 'reused') throw new ApiError(401, 'refresh_token_reused', 'this refresh token was already used: every session of this sign-in was revoked, sign in again');
        if (outcome === 'expired') throw new ApiError(401, 'refresh_token_expired', 'the refresh token has expired: sign in again');
        if (outcome !== 'ok' || !tokens) throw new ApiError(401, 'invalid_refresh_token', 'the refresh token is not valid: sign in again');
        return tokens;
      },
    }),

    route({
      method: 'post',
      path: '/auth/logout',
      summary: 'Sign out: revokes the refresh token and every token rotated from the same sign-in',
      tag: 'auth',
      access: 'public',
      body: RefreshBody,
      status: 204,
      async handler({ body }) {
        await ctx.db.sql.transaction(async (q) => {
          const row = await refreshTokens.byHash(ctx.tokens.hashOpaque(body.refreshToken), q);
          if (row) await refreshTokens.revokeFamily(row.family, q);
        });
      },
    }),

    route({
      method: 'post',
      path: '/auth/switch-tenant',
      summary: 'New tokens for another tenant the signed-in user belongs to',
      tag: 'auth',
      access: 'authenticated',
      body: SwitchBody,
      response: SessionSchema,
      errors: { 403: 'users_only: API keys belong to one tenant', 404: 'not a member of that tenant' },
      async handler({ body, auth }) {
        const userId = userIdOf(auth);
        const tenant = await ctx.tenants.bySlug(body.tenant);
        const membership = tenant ? await ctx.users.membership(tenant.id, userId) : null;
        if (!tenant || !membership) throw notFound('tenant');
        const user = await ctx.users.byId(userId);
        if (!user) throw new ApiError(401, 'invalid_token', 'the access token no longer grants access');
        return sessionAnswer(ctx, user, tenant.id, await issueTokens(ctx, userId, tenant.id));
      },
    }),

    route({
      method: 'get',
      path: '/auth/me',
      summary: 'The signed-in user, their role and permissions in this tenant, and their other tenants',
      tag: 'auth',
      access: 'authenticated',
      response: MeSchema,
      errors: { 403: 'users_only' },
      async handler({ auth }) {
        const permissions = (Object.keys(PERMISSIONS) as Permission[]).filter((p) => allowed(auth, p));
        return me(userIdOf(auth), auth.tenant.id, permissions);
      },
    }),

    route({
      method: 'patch',
      path: '/auth/me',
      summary: 'Change your name, language or password (the password change needs the current one and signs out every other session)',
      tag: 'auth',
      access: 'authenticated',
      body: MePatch,
      response: Type.Composite([MeSchema, Type.Object({ session: Type.Optional(TokensSchema) })]),
      errors: { 403: 'users_only', 423: 'account_locked (too many wrong current passwords)' },
      async handler({ body, auth, req }) {
        const userId = userIdOf(auth);
        const user = await ctx.users.byId(userId);
        if (!user) throw new ApiError(401, 'invalid_token', 'the access token no longer grants access');
        const details: { path: string; code: string; message: string }[] = [];
        if (body.newPassword !== undefined && body.currentPassword === undefined) details.push({ path: '/body/currentPassword', code: 'required', message: 'currentPassword is required to set a new password' });
        if (body.currentPassword !== undefined && body.newPassword === undefined) details.push({ path: '/body/newPassword', code: 'required', message: 'newPassword is required with currentPassword' });
        if (details.length) throw invalidRequest(details);
        let passwordHash: string | undefined;
        if (body.newPassword !== undefined && body.currentPassword !== undefined) {
          const ok = await guard.checkUser(user, body.currentPassword, { ip: req.ip, requestId: requestIdOf(req) ?? undefined });
          if (!ok) throw new ApiError(400, 'invalid_request', '/body/currentPassword: the current password is not correct', [{ path: '/body/currentPassword', code: 'incorrect', message: 'the current password is not correct' }]);
          passwordHash = await hashPassword(body.newPassword);
        }
        let session: Tokens | undefined;
        await ctx.db.sql.transaction(async (q) => {
          await ctx.users.updateProfile(userId, { ...(body.name !== undefined ? { name: body.name.trim() } : {}), ...(body.locale ? { locale: body.locale } : {}), ...(passwordHash ? { passwordHash } : {}) }, q);
          if (!passwordHash) return;
          // Every session of this user ends (a thief's too); this caller gets a fresh one.
          await refreshTokens.revokeUser(userId, q);
          await ctx.audit(auth.tenant.id).record({ actor: `user:${userId}`, action: 'auth.password_changed', target: `user:${userId}`, requestId: requestIdOf(req) }, q);
          session = await issueTokens(ctx, userId, auth.tenant.id, q);
        });
        const permissions = (Object.keys(PERMISSIONS) as Permission[]).filter((p) => allowed(auth, p));
        return { ...(await me(userId, auth.tenant.id, permissions)), ...(session ? { session } : {}) };
      },
    }),

    route({
      method: 'post',
      path: '/auth/invitations/accept',
      summary: 'Accept an invitation: creates the account, or (existing email) checks its password and adds the membership',
      tag: 'auth',
      access: 'public',
      body: AcceptBody,
      status: 201,
      response: SessionSchema,
      errors: {
        401: 'invalid_credentials (existing account, wrong password)',
        404: 'no such invitation',
        409: 'already_member',
        410: 'invitation_used, invitation_revoked or invitation_expired',
        423: 'account_locked',
        429: 'rate_limited',
      },
      async handler({ body, req }) {
        loginLimiter.hit(req.ip ?? '', tooManySignIns);
        const invitation = await invitationByHash(ctx.db, ctx.tokens.hashOpaque(body.token));
        if (!invitation) throw notFound('invitation');
        const gone = (status: string): ApiError =>
          new ApiError(410, `invitation_${status === 'accepted' ? 'used' : status}`, status === 'expired' ? 'the invitation has expired: ask for a new one' : `the invitation was already ${status}`);
        const status = invitationStatus(invitation);
        if (status !== 'pending') throw gone(status);
        const tenant = await ctx.tenants.byId(invitation.tenantId);
        if (!tenant) throw notFound('invitation');
        const invitations = ctx.invitations(tenant.id);
        const requestId = requestIdOf(req);

        let user: UserRecord | null = await ctx.users.byEmail(invitation.email);
        let passwordHash: string | undefined;
        if (user) {
          if (!(await guard.checkUser(user, body.password, { ip: req.ip, requestId: requestId ?? undefined }))) throw invalidCredentials();
          if (await ctx.users.membership(tenant.id, user.id)) throw new ApiError(409, 'already_member', 'you are already a member of this tenant');
        } else {
          const details: { path: string; code: string; message: string }[] = [];
          if (body.name === undefined) details.push({ path: '/body/name', code: 'required', message: 'name is required for a new account' });
          if (passwordTooShort(body.password)) details.push({ path: '/body/password', code: 'too_short', message: 'must NOT have fewer than 10 characters' });
          if (details.length) throw invalidRequest(details);
          passwordHash = await hashPassword(body.password);
        }

        const now = Date.now();
        let userId = user?.id ?? '';
        let tokens: Tokens | undefined;
        try {
          await ctx.db.sql.transaction(async (q) => {
            if (passwordHash !== undefined) userId = await ctx.users.create({ email: invitation.email, name: (body.name ?? '').trim(), passwordHash, locale: tenant.settings.locale ?? 'ar' }, q);
            if (!(await invitations.claim(invitation.id, userId, now, q))) throw gone('accepted');
            await ctx.users.addMembership(tenant.id, userId, invitation.role, q);
            await ctx.audit(tenant.id).record(
              { actor: `user:${userId}`, action: 'invitation.accepted', target: `invitation:${invitation.id}`, details: { email: invitation.email, role: invitation.role, newAccount: passwordHash !== undefined }, requestId },
              q,
            );
            tokens = await issueTokens(ctx, userId, tenant.id, q);
          });
        } catch (err) {
          const which = uniqueViolation(err);
          if (which?.includes('email')) throw new ApiError(409, 'email_taken', 'an account with this email was just created: accept again with its password');
          if (which?.includes('membership')) throw new ApiError(409, 'already_member', 'you are already a member of this tenant');
          throw err;
        }
        user = await ctx.users.byId(userId);
        if (!user || !tokens) throw new Error('accepted invitation left no user');
        return sessionAnswer(ctx, user, tenant.id, tokens);
      },
    }),
  ];
}

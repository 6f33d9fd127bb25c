// Routes: users, roles and invitations of the tenant.
//
// Role rules: only an owner grants or takes away `owner` (so an admin cannot change an owner
// at all); the last owner can be neither demoted nor removed (409 last_owner). Removing a
// member revokes their refresh tokens for this tenant; their access tokens stop working at
// once because every request re-reads the membership.
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { ApiError, notFound } from '../api-error.js';
import { route, type RouteSpec } from '../http/route.js';
import { actorOf, type Auth } from '../auth/auth-context.js';
import { isRole, type Role } from '../auth/permissions.js';
import { RoleSchema } from '../auth/session.js';
import { EmailSchema, IdParams, LocaleSchema, requestIdOf, stringEnum } from '../auth/route-helpers.js';
import { invitationStatus, type InvitationRecord, type InvitationStatus } from '../../db/invitation-repository.js';
import { normaliseEmail, type MemberRecord } from '../../db/user-repository.js';
import { iso } from '../schemas/common.js';

export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

const MemberSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  locale: LocaleSchema,
  role: RoleSchema,
  joinedAt: Type.String({ format: 'date-time' }),
});

const INVITATION_STATUSES = ['pending', 'accepted', 'expired', 'revoked'] as const satisfies readonly InvitationStatus[];

const InvitationSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: RoleSchema,
  status: stringEnum(INVITATION_STATUSES),
  invitedBy: Type.String({ description: '`user:<id>` or `apikey:<id>`' }),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  acceptedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});


const memberView = (m: MemberRecord) => ({ id: m.userId, email: m.email, name: m.name, locale: m.locale === 'en' ? 'en' : 'ar', role: m.role, joinedAt: iso(m.joinedAt) });

const invitationView = (inv: InvitationRecord) => ({
  id: inv.id,
  email: inv.email,
  role: inv.role,
  status: invitationStatus(inv),
  invitedBy: inv.invitedBy,
  createdAt: iso(inv.createdAt),
  expiresAt: iso(inv.expiresAt),
  acceptedAt: inv.acceptedAt === null ? null : iso(inv.acceptedAt),
});

/**
 * Granting or taking away `owner` is for owners only (which also keeps admins off owners).
 * `owners` is the locked list read in the transaction: a caller demoted since their request
 * was authenticated no longer counts as an owner.
 */
function assertMayTouchOwner(auth: Auth, owners: string[], ...roles: string[]): void {
  const isOwner = auth.role === 'owner' && auth.principal.kind === 'user' && owners.includes(auth.principal.userId);
  if (roles.includes('owner') && !isOwner) throw new ApiError(403, 'owner_required', 'only an owner may grant or take away the owner role, or change an owner');
}

export function userRoutes(ctx: AppContext): RouteSpec[] {
  const refreshTokens = ctx.refreshTokens;

  return [
    route({
      method: 'get',
      path: '/users/invitations',
      summary: 'Invitations of the tenant, newest first (the token is never shown again)',
      tag: 'users',
      access: 'users.read',
      query: Type.Object({ status: Type.Optional(stringEnum(INVITATION_STATUSES)) }, { additionalProperties: false }),
      response: Type.Object({ items: Type.Array(InvitationSchema) }),
      async handler({ query, auth }) {
        const items = (await ctx.invitations(auth.tenant.id).list()).map(invitationView);
        return { items: query.status ? items.filter((i) => i.status === query.status) : items };
      },
    }),

    route({
      method: 'post',
      path: '/users/invitations',
      summary: 'Invite someone by email with a role; answers the token once (valid 7 days). A new invitation replaces an open one for the same email',
      tag: 'users',
      access: 'users.manage',
      body: Type.Object({ email: EmailSchema, role: RoleSchema }, { additionalProperties: false }),
      status: 201,
      response: Type.Composite([InvitationSchema, Type.Object({ token: Type.String({ description: '`tdf_inv_…`: shown only now; POST /auth/invitations/accept takes it' }) })]),
      errors: { 403: 'owner_required: only an owner invites an owner', 409: 'already_member' },
      async handler({ body, auth, req }) {
        if (body.role === 'owner' && auth.role !== 'owner') throw new ApiError(403, 'owner_required', 'only an owner may invite an owner');
        const email = normaliseEmail(body.email);
        const existing = await ctx.users.byEmail(email);
        if (existing && (await ctx.users.membership(auth.tenant.id, existing.id))) {
          throw new ApiError(409, 'already_member', `${email} is already a member`, [{ path: '/body/email', code: 'already_member', message: 'already a member' }]);
        }
        const token = ctx.tokens.newOpaque('tdf_inv');
        const invitations = ctx.invitations(auth.tenant.id);
        let invitation: InvitationRecord | undefined;
        await ctx.db.sql.transaction(async (q) => {
          const replaced = await invitations.revokePendingFor(email, q);
          invitation = await invitations.create({ email, role: body.role, tokenHash: ctx.tokens.hashOpaque(token), invitedBy: actorOf(auth), expiresAt: Date.now() + INVITATION_TTL_MS }, q);
          await ctx.audit(auth.tenant.id).record(
            { actor: actorOf(auth), action: 'invitation.created', target: `invitation:${invitation.id}`, details: { email, role: body.role, replaced }, requestId: requestIdOf(req) },
            q,
          );
        });
        if (!invitation) throw new Error('invitation not created');
        return { ...invitationView(invitation), token };
      },
    }),

    route({
      method: 'delete',
      path: '/users/invitations/:id',
      summary: 'Revoke an open invitation (its token stops working)',
      tag: 'users',
      access: 'users.manage',
      params: IdParams,
      status: 204,
      errors: { 409: 'invitation_closed: already accepted' },
      async handler({ params, auth, req }) {
        const invitations = ctx.invitations(auth.tenant.id);
        const invitation = await invitations.byId(params.id);
        if (!invitation) throw notFound('invitation');
        if (invitation.acceptedAt !== null) throw new ApiError(409, 'invitation_closed', 'the invitation was already accepted: remove the member instead');
        await ctx.db.sql.transaction(async (q) => {
          // Already revoked: nothing to do (DELETE is idempotent).
          if (!(await invitations.revoke(invitation.id, q))) return;
          await ctx.audit(auth.tenant.id).record({ actor: actorOf(auth), action: 'invitation.revoked', target: `invitation:${invitation.id}`, details: { email: invitation.email, role: invitation.role }, requestId: requestIdOf(req) }, q);
        });
      },
    }),

    route({
      method: 'get',
      path: '/users',
      summary: 'Members of the tenant with their roles',
      tag: 'users',
      access: 'users.read',
      response: Type.Object({ items: Type.Array(MemberSchema) }),
      async handler({ auth }) {
        return { items: (await ctx.users.members(auth.tenant.id)).map(memberView) };
      },
    }),

    route({
      method: 'patch',
      path: '/users/:id',
      summary: "Change a member's role (only an owner grants or takes away owner; the last owner stays)",
      tag: 'users',
      access: 'users.manage',
      params: IdParams,
      body: Type.Object({ role: RoleSchema }, { additionalProperties: false }),
      response: MemberSchema,
      errors: { 403: 'owner_required', 409: 'last_owner: the tenant would have no owner' },
      async handler({ params, body, auth, req }) {
        const role: Role = body.role;
        await ctx.db.sql.transaction(async (q) => {
          // Owners first, then the member: one lock order for every role change (no deadlock
          // when two owners demote each other at once; the second sees one owner left).
          const owners = await ctx.users.lockOwners(auth.tenant.id, q);
          const current = await ctx.users.lockMembership(auth.tenant.id, params.id, q);
          if (!current || !isRole(current.role)) throw notFound('user');
          if (current.role === role) return;
          assertMayTouchOwner(auth, owners, current.role, role);
          if (current.role === 'owner') {
            if (owners.length <= 1) throw new ApiError(409, 'last_owner', 'the tenant must keep at least one owner: make someone else owner first');
          }
          await ctx.users.setRole(auth.tenant.id, params.id, role, q);
          await ctx.audit(auth.tenant.id).record({ actor: actorOf(auth), action: 'user.role_changed', target: `user:${params.id}`, details: { from: current.role, to: role }, requestId: requestIdOf(req) }, q);
        });
        const member = (await ctx.users.members(auth.tenant.id)).find((m) => m.userId === params.id);
        if (!member) throw notFound('user');
        return memberView(member);
      },
    }),

    route({
      method: 'delete',
      path: '/users/:id',
      summary: 'Remove a member from the tenant (signs them out of it at once)',
      tag: 'users',
      access: 'users.manage',
      params: IdParams,
      status: 204,
      errors: { 403: 'owner_required: only an owner removes an owner', 409: 'last_owner' },
      async handler({ params, auth, req }) {
        await ctx.db.sql.transaction(async (q) => {
          const owners = await ctx.users.lockOwners(auth.tenant.id, q);
          const current = await ctx.users.lockMembership(auth.tenant.id, params.id, q);
          if (!current) throw notFound('user');
          assertMayTouchOwner(auth, owners, current.role);
          if (current.role === 'owner') {
            if (owners.length <= 1) throw new ApiError(409, 'last_owner', 'the tenant must keep at least one owner');
          }
          await ctx.users.removeMembership(auth.tenant.id, params.id, q);
          const revoked = await refreshTokens.revokeMember(auth.tenant.id, params.id, q);
          await ctx.audit(auth.tenant.id).record({ actor: actorOf(auth), action: 'user.removed', target: `user:${params.id}`, details: { role: current.role, sessionsRevoked: revoked }, requestId: requestIdOf(req) }, q);
        });
      },
    }),
  ];
}

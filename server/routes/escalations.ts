// The escalation inbox and members' notifications. Managers and above (and viewers, read only)
// see every escalation of the tenant; a sales rep sees those assigned to them and those
// assigned to their role that nobody holds — anything else, like another tenant's id, is 404.
// A decision happens once: a second one (or one after the timeout) answers 409.
import { Type } from '@sinclair/typebox';
import { ApiError } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { actorOf, type Auth } from '../auth/auth-context.js';
import { IdParams, requestIdOf } from '../auth/route-helpers.js';
import { route, type RouteSpec } from '../http/route.js';
import { ESCALATION_STATUSES, type EscalationStatus } from '../../db/escalation-repository.js';
import { ASSIGNABLE_ROLES, seesAll, type EscalationActor } from '../escalations/escalation-service.js';
import { EscalationView, NotificationView, escalationView, notificationView } from '../escalations/escalation-views.js';

const STATUS_LIST = `^(${ESCALATION_STATUSES.join('|')})(,(${ESCALATION_STATUSES.join('|')}))*$`;
const Note = Type.String({ minLength: 1, maxLength: 2000 });

const ListQuery = Type.Object(
  {
    mine: Type.Optional(Type.Boolean({ description: 'only escalations assigned to you, or to your role while nobody holds them' })),
    status: Type.Optional(Type.String({ pattern: STATUS_LIST, description: `comma-separated: ${ESCALATION_STATUSES.join(', ')}` })),
    kind: Type.Optional(Type.Union([Type.Literal('step'), Type.Literal('bulk')])),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'the `nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);

const ApproveBody = Type.Object(
  {
    edits: Type.Optional(Type.Unknown({ description: 'changes to the payload: an object is merged into an object payload (its fields win); anything else replaces it' })),
    note: Type.Optional(Note),
  },
  { additionalProperties: false },
);
const RejectBody = Type.Object({ note: Note }, { additionalProperties: false });
const ReassignBody = Type.Union(
  [
    Type.Object({ userId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
    Type.Object({ role: Type.Union(ASSIGNABLE_ROLES.map((r) => Type.Literal(r))) }, { additionalProperties: false }),
  ],
  { description: 'a member ({userId}) or a role ({role})' },
);

const NotificationsQuery = Type.Object(
  {
    unread: Type.Optional(Type.Boolean()),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

const userIdOf = (auth: Auth): string | null => (auth.principal.kind === 'user' ? auth.principal.userId : null);

function actor(auth: Auth, req: Parameters<typeof requestIdOf>[0]): EscalationActor {
  return { actor: actorOf(auth), userId: userIdOf(auth), role: auth.role, requestId: requestIdOf(req) };
}

export function escalationRoutes(ctx: AppContext): RouteSpec[] {
  const service = ctx.escalations;
  const decided = { 404: 'no such escalation (or not yours)', 409: 'already decided, timed out or cancelled' };
  return [
    route({
      method: 'get',
      path: '/escalations',
      summary: 'The escalation inbox, newest first (a sales rep sees only theirs); ?mine=true, ?status=open,claimed',
      tag: 'escalations',
      access: 'escalations.read',
      query: ListQuery,
      response: Type.Object({ items: Type.Array(EscalationView), nextCursor: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false }),
      async handler({ query, auth }) {
        const who = { userId: userIdOf(auth), role: auth.role };
        const items = await service.repo(auth.tenant.id).list({
          limit: query.limit,
          ...(query.status ? { statuses: query.status.split(',') as EscalationStatus[] } : {}),
          ...(query.kind ? { kind: query.kind } : {}),
          ...(seesAll(auth.role) ? {} : { visibleTo: who }),
          ...(query.mine ? { mine: who } : {}),
          ...(query.cursor ? { before: query.cursor } : {}),
        });
        return { items: items.map(escalationView), nextCursor: items.length === query.limit ? items[items.length - 1]!.id : null };
      },
    }),
    route({
      method: 'get',
      path: '/escalations/:id',
      summary: 'One escalation',
      tag: 'escalations',
      access: 'escalations.read',
      params: IdParams,
      response: EscalationView,
      errors: { 404: 'no such escalation (or not yours)' },
      async handler({ params, auth }) {
        return escalationView(await service.visible(auth.tenant.id, params.id, { userId: userIdOf(auth), role: auth.role }));
      },
    }),
    route({
      method: 'post',
      path: '/escalations/:id/claim',
      summary: 'Take an escalation: it is assigned to you (claiming your own claim again is a no-op)',
      tag: 'escalations',
      access: 'escalations.decide',
      params: IdParams,
      response: EscalationView,
      errors: { ...decided, 409: 'claimed by someone else, decided, timed out or cancelled' },
      async handler({ params, auth, req }) {
        return escalationView(await service.claim(auth.tenant.id, params.id, actor(auth, req)));
      },
    }),
    route({
      method: 'post',
      path: '/escalations/:id/approve',
      summary: 'Approve (optionally editing the payload): the waiting flow continues on "approved" with the edited payload',
      tag: 'escalations',
      access: 'escalations.decide',
      params: IdParams,
      body: ApproveBody,
      response: EscalationView,
      errors: decided,
      async handler({ params, body, auth, req }) {
        const decision = { kind: 'approve' as const, ...(body.edits !== undefined ? { edits: body.edits } : {}), ...(body.note !== undefined ? { note: body.note } : {}) };
        return escalationView(await service.decide(auth.tenant.id, params.id, decision, actor(auth, req)));
      },
    }),
    route({
      method: 'post',
      path: '/escalations/:id/reject',
      summary: 'Reject with a note: the waiting flow continues on "rejected"',
      tag: 'escalations',
      access: 'escalations.decide',
      params: IdParams,
      body: RejectBody,
      response: EscalationView,
      errors: decided,
      async handler({ params, body, auth, req }) {
        return escalationView(await service.decide(auth.tenant.id, params.id, { kind: 'reject', note: body.note }, actor(auth, req)));
      },
    }),
    route({
      method: 'post',
      path: '/escalations/:id/reassign',
      summary: 'Hand a pending escalation to a member ({userId}) or a role ({role}); it is open again and they are notified',
      tag: 'escalations',
      access: 'escalations.assign',
      params: IdParams,
      body: ReassignBody,
      response: EscalationView,
      errors: { 400: 'not a member who may decide escalations', ...decided },
      async handler({ params, body, auth, req }) {
        const to = 'userId' in body ? { userId: body.userId } : { role: body.role };
        return escalationView(await service.reassign(auth.tenant.id, params.id, to, actor(auth, req)));
      },
    }),
    route({
      method: 'get',
      path: '/notifications',
      summary: 'Your notifications, newest first (escalations assigned to you or your role)',
      tag: 'escalations',
      access: 'authenticated',
      query: NotificationsQuery,
      response: Type.Object({ items: Type.Array(NotificationView), unread: Type.Integer(), nextCursor: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false }),
      async handler({ query, auth }) {
        const userId = userIdOf(auth);
        if (!userId) return { items: [], unread: 0, nextCursor: null };
        const repo = service.notifications(auth.tenant.id);
        const items = await repo.list(userId, { limit: query.limit, ...(query.unread ? { unread: true } : {}), ...(query.cursor ? { before: query.cursor } : {}) });
        return { items: items.map(notificationView), unread: await repo.unreadCount(userId), nextCursor: items.length === query.limit ? items[items.length - 1]!.id : null };
      },
    }),
    route({
      method: 'post',
      path: '/notifications/:id/read',
      summary: 'Mark one of your notifications read',
      tag: 'escalations',
      access: 'authenticated',
      params: IdParams,
      response: NotificationView,
      errors: { 404: 'not one of your notifications' },
      async handler({ params, auth }) {
        const userId = userIdOf(auth);
        const n = userId ? await service.notifications(auth.tenant.id).markRead(userId, params.id) : null;
        if (!n) throw new ApiError(404, 'not_found', 'notification not found');
        return notificationView(n);
      },
    }),
  ];
}

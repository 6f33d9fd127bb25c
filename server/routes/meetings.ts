// Meetings with contacts (optionally about a deal): tenant-scoped CRUD, cancel = soft delete,
// domain events meeting.scheduled, meeting.updated and meeting.cancelled. Times are sent as
// ISO 8601 with an offset, stored as UTC and answered both in UTC and in Asia/Riyadh (+03:00).
// A sales rep sees and changes only the meetings they own; another tenant's id answers 404.
import { Type } from '@sinclair/typebox';
import { ApiError, notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { actorOf } from '../auth/auth-context.js';
import { IdParams, requestIdOf } from '../auth/route-helpers.js';
import { route, type RouteSpec } from '../http/route.js';
import type { MeetingFields } from '../../db/meeting-repository.js';
import { MeetingView, meetingView } from '../crm/crm-views.js';
import { ownScope, ownedBy, ownerFilter, ownerFor } from '../crm/crm-api.js';
import { Nullable } from '../schemas/common.js';

const fields = {
  contactId: Type.String({ minLength: 1, maxLength: 64 }),
  dealId: Type.String({ minLength: 1, maxLength: 64 }),
  title: Type.String({ maxLength: 300 }),
  startsAt: Type.String({ format: 'date-time', description: 'ISO 8601 with an offset, e.g. 2026-03-02T10:00:00+03:00' }),
  durationMinutes: Type.Integer({ minimum: 1, maximum: 24 * 60 }),
  location: Type.String({ maxLength: 500 }),
  notes: Type.String({ maxLength: 5000 }),
  ownerId: Type.String({ minLength: 1, maxLength: 64 }),
};

const MeetingBody = Type.Object(
  {
    contactId: fields.contactId,
    startsAt: fields.startsAt,
    durationMinutes: Type.Integer({ minimum: 1, maximum: 24 * 60, default: 30 }),
    dealId: Type.Optional(Nullable(fields.dealId)),
    title: Type.Optional(Nullable(fields.title)),
    location: Type.Optional(Nullable(fields.location)),
    notes: Type.Optional(Nullable(fields.notes)),
    ownerId: Type.Optional(Nullable(fields.ownerId)),
  },
  { additionalProperties: false },
);

const MeetingPatch = Type.Object(
  {
    contactId: Type.Optional(fields.contactId),
    startsAt: Type.Optional(fields.startsAt),
    durationMinutes: Type.Optional(fields.durationMinutes),
    dealId: Type.Optional(Nullable(fields.dealId)),
    title: Type.Optional(Nullable(fields.title)),
    location: Type.Optional(Nullable(fields.location)),
    notes: Type.Optional(Nullable(fields.notes)),
    ownerId: Type.Optional(Nullable(fields.ownerId)),
  },
  { additionalProperties: false, minProperties: 1, description: 'only the fields sent change; null clears a field' },
);

const ListQuery = Type.Object(
  {
    contactId: Type.Optional(fields.contactId),
    dealId: Type.Optional(fields.dealId),
    owner: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'a user id, or `me`' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'meetings starting at or after' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'meetings starting before' })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the `nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);

function meetingFields(body: Partial<Record<keyof typeof fields, unknown>>): MeetingFields {
  const out: MeetingFields = {};
  if (body.contactId !== undefined) out.contactId = String(body.contactId);
  if (body.startsAt !== undefined) out.startsAt = Date.parse(String(body.startsAt));
  if (body.durationMinutes !== undefined) out.durationMinutes = Number(body.durationMinutes);
  if (body.dealId !== undefined) out.dealId = body.dealId as string | null;
  if (body.title !== undefined) out.title = body.title === null ? null : String(body.title).trim() || null;
  if (body.location !== undefined) out.location = body.location === null ? null : String(body.location).trim() || null;
  if (body.notes !== undefined) out.notes = body.notes as string | null;
  if (body.ownerId !== undefined) out.ownerId = body.ownerId as string | null;
  return out;
}

const encodeCursor = (startsAt: number, id: string): string => Buffer.from(JSON.stringify([startsAt, id])).toString('base64url');
function decodeCursor(text: string): { startsAt: number; id: string } {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string') return { startsAt: v[0], id: v[1] };
  } catch {
    // fall through
  }
  throw new ApiError(400, 'invalid_request', 'cursor is not one this API issued', [{ path: '/query/cursor', code: 'invalid_cursor', message: 'pass the `nextCursor` of the previous page' }]);
}

export function meetingRoutes(ctx: AppContext): RouteSpec[] {
  const by = (auth: Parameters<typeof actorOf>[0], req: Parameters<typeof requestIdOf>[0]) => ({ actor: actorOf(auth), requestId: requestIdOf(req) });
  return [
    route({
      method: 'post',
      path: '/meetings',
      summary: 'Schedule a meeting with a contact (emits meeting.scheduled)',
      tag: 'meetings',
      access: 'meetings.write',
      body: MeetingBody,
      status: 201,
      response: MeetingView,
      errors: { 400: 'unknown contact, deal or owner' },
      async handler({ body, auth, req }) {
        const f = meetingFields(body);
        const ownerId = ownerFor(auth, body.ownerId);
        const meeting = await ctx.crm
          .createMeeting(auth.tenant.id, { ...f, contactId: body.contactId, startsAt: f.startsAt!, durationMinutes: body.durationMinutes, ...(ownerId !== undefined ? { ownerId } : {}) }, by(auth, req));
        return meetingView(meeting);
      },
    }),
    route({
      method: 'get',
      path: '/meetings',
      summary: 'Meetings by start time (a sales rep sees only their own); contact, deal, owner and time filters',
      tag: 'meetings',
      access: 'meetings.read',
      query: ListQuery,
      response: Type.Object({ items: Type.Array(MeetingView), nextCursor: Nullable(Type.String()) }, { additionalProperties: false }),
      async handler({ query, auth }) {
        const owner = ownerFilter(auth, query.owner);
        if (ownScope(auth) !== null && query.owner && query.owner !== 'me' && query.owner !== owner) return { items: [], nextCursor: null };
        const items = await ctx.crm.meetings(auth.tenant.id).list({
          limit: query.limit,
          ...(query.contactId ? { contactId: query.contactId } : {}),
          ...(query.dealId ? { dealId: query.dealId } : {}),
          ...(owner ? { ownerId: owner } : {}),
          ...(query.from ? { from: Date.parse(query.from) } : {}),
          ...(query.to ? { to: Date.parse(query.to) } : {}),
          ...(query.cursor ? { after: decodeCursor(query.cursor) } : {}),
        });
        const last = items[items.length - 1];
        return { items: items.map(meetingView), nextCursor: items.length === query.limit && last ? encodeCursor(last.startsAt, last.id) : null };
      },
    }),
    route({
      method: 'get',
      path: '/meetings/:id',
      summary: 'One meeting',
      tag: 'meetings',
      access: 'meetings.read',
      params: IdParams,
      response: MeetingView,
      async handler({ params, auth }) {
        const meeting = await ctx.crm.meetings(auth.tenant.id).byId(params.id);
        const own = ownScope(auth);
        if (!meeting || (own !== null && meeting.ownerId !== own)) throw notFound('meeting');
        return meetingView(meeting);
      },
    }),
    route({
      method: 'patch',
      path: '/meetings/:id',
      summary: 'Change a meeting (emits meeting.updated); null clears a field',
      tag: 'meetings',
      access: 'meetings.write',
      params: IdParams,
      body: MeetingPatch,
      response: MeetingView,
      errors: { 400: 'unknown contact, deal or owner', 404: 'no such meeting (or not yours)' },
      async handler({ params, body, auth, req }) {
        if (body.ownerId !== undefined && ownScope(auth) !== null && body.ownerId !== ownScope(auth)) {
          throw new ApiError(403, 'owner_not_allowed', 'a sales rep cannot give a meeting to someone else', [{ path: '/body/ownerId', code: 'owner_not_allowed', message: 'only managers reassign meetings' }]);
        }
        const { meeting } = await ctx.crm.updateMeeting(auth.tenant.id, params.id, meetingFields(body), by(auth, req), ownedBy(auth, 'meeting'));
        return meetingView(meeting);
      },
    }),
    route({
      method: 'delete',
      path: '/meetings/:id',
      summary: 'Cancel a meeting (soft delete; emits meeting.cancelled)',
      tag: 'meetings',
      access: 'meetings.write',
      params: IdParams,
      response: MeetingView,
      errors: { 404: 'no such meeting (or not yours)' },
      async handler({ params, auth, req }) {
        return meetingView(await ctx.crm.cancelMeeting(auth.tenant.id, params.id, by(auth, req), ownedBy(auth, 'meeting')));
      },
    }),
  ];
}

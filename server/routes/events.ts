// Domain events from outside (a website, the CRM, a telephony system): POST /events stores the
// event once per id and starts every published flow whose trigger.event node listens for its
// type and whose filter holds (server/events/event-router.ts). Publishing the same id again
// answers `duplicate: true` with the executions the first publication started; the same id
// with a different type, subject or data answers 422. Events with a subject (a contact id) also
// resume wait.event steps waiting for that event about that contact.
import { Type, type Static } from '@sinclair/typebox';
import { ApiError, notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { route, type RouteSpec } from '../http/route.js';
import type { DomainEvent } from '../../db/domain-event-repository.js';
import { EVENT_TYPE_MAX, EVENT_TYPE_PATTERN, KNOWN_EVENTS } from '../../nodes/trigger-event.node.js';
import { RESERVED_EVENT_PREFIXES } from '../events/event-router.js';
import { Nullable } from '../schemas/common.js';

const EventType = Type.String({ minLength: 1, maxLength: EVENT_TYPE_MAX, pattern: EVENT_TYPE_PATTERN, description: `${KNOWN_EVENTS.join(', ')}, or a custom dotted name` });

const PublishBody = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7E]+$', description: 'your id for the event (printable ASCII, no spaces): publishing it again starts nothing new' }),
    type: EventType,
    subject: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64, description: 'the contact the event is about (flows get it as $trigger.contact and run for it)' }))),
    data: Type.Optional(Type.Unknown({ description: 'anything the flows need, e.g. the lead’s fields' })),
  },
  { additionalProperties: false },
);

const Started = Type.Object({ flowId: Type.String(), nodeId: Type.String(), executionId: Type.String() }, { additionalProperties: false });

const PublishAnswer = Type.Object(
  {
    eventId: Type.String(),
    duplicate: Type.Boolean({ description: 'the id was published before: nothing new started' }),
    started: Type.Array(Started),
    resumed: Type.Integer({ description: 'wait.event steps resumed' }),
  },
  { additionalProperties: false },
);

const EventView = Type.Object(
  {
    id: Type.String(),
    type: Type.String(),
    subject: Nullable(Type.String()),
    data: Type.Unknown(),
    source: Type.String({ description: 'api, crm or flow' }),
    receivedAt: Type.String({ format: 'date-time' }),
    routedAt: Nullable(Type.String({ format: 'date-time' })),
    started: Type.Array(Started),
  },
  { additionalProperties: false },
);

function eventView(e: DomainEvent): Static<typeof EventView> {
  return {
    id: e.id,
    type: e.type,
    subject: e.subject,
    data: e.data,
    source: e.source,
    receivedAt: new Date(e.receivedAt).toISOString(),
    routedAt: e.routedAt === null ? null : new Date(e.routedAt).toISOString(),
    started: e.started ?? [],
  };
}

const ListQuery = Type.Object(
  {
    type: Type.Optional(EventType),
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$', description: 'the `nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);

export function eventRoutes(ctx: AppContext): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/events',
      summary: 'Publish a domain event: starts the flows listening for its type (trigger.event); a replayed id starts nothing new',
      tag: 'events',
      access: 'events.publish',
      body: PublishBody,
      bodyLimit: 512 * 1024,
      status: 202,
      response: PublishAnswer,
      errors: { 400: 'invalid event or a reserved type (escalation.*)', 422: 'the id was used for a different event', 503: 'queue mode: too much work waits for the workers (overloaded, with Retry-After); nothing was stored' },
      async handler({ body, auth }) {
        if (RESERVED_EVENT_PREFIXES.some((p) => body.type.startsWith(p))) {
          throw new ApiError(400, 'reserved_event_type', `event types starting with ${RESERVED_EVENT_PREFIXES.join(', ')} are Tadfuq's own`, [{ path: '/body/type', code: 'reserved', message: 'choose another type' }]);
        }
        await ctx.backpressure.admit();
        return await ctx.events.publish(auth.tenant.id, { id: body.id, type: body.type, subject: body.subject ?? null, data: body.data ?? null });
      },
    }),
    route({
      method: 'get',
      path: '/events',
      summary: 'Published domain events, newest first, with the executions each started',
      tag: 'events',
      access: 'events.read',
      query: ListQuery,
      response: Type.Object({ items: Type.Array(EventView), nextCursor: Nullable(Type.String()) }, { additionalProperties: false }),
      async handler({ query, auth }) {
        const items = await ctx.domainEvents(auth.tenant.id).list({
          limit: query.limit,
          ...(query.type ? { type: query.type } : {}),
          ...(query.subject ? { subject: query.subject } : {}),
          ...(query.cursor !== undefined ? { before: Number(query.cursor) } : {}),
        });
        return { items: items.map(eventView), nextCursor: items.length === query.limit ? String(items[items.length - 1]!.receivedAt) : null };
      },
    }),
    route({
      method: 'get',
      path: '/events/:id',
      summary: 'One domain event by its id',
      tag: 'events',
      access: 'events.read',
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
      response: EventView,
      async handler({ params, auth }) {
        const e = await ctx.domainEvents(auth.tenant.id).byId(params.id);
        if (!e) throw notFound('event');
        return eventView(e);
      },
    }),
  ];
}

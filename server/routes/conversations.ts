// A contact's conversation: the messages it sent us (inbound_messages, from provider webhooks)
// and the messages flows sent it (outbound_messages, the outbox) in one thread, oldest first.
// Same visibility as the contact itself: another tenant's contact answers 404, and so does
// another rep's contact to a sales rep.
//
// Paging goes back in time: an answer holds the newest `limit` messages before `cursor` (none:
// now), ordered oldest first; `nextCursor` continues with older ones. An outbound message is placed
// at the time it was sent (when it was recorded, if it never was: blocked, failed, deferred).
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { route, type RouteSpec } from '../http/route.js';
import type { InboundMessage } from '../../db/inbound-message-repository.js';
import type { OutboxMessage } from '../../db/outbox-repository.js';
import { decodeCursor, encodeCursor, isTimeIdCursor } from '../http/cursor.js';
import { ContactService } from '../contacts/contact-service.js';
import { IdParams, Nullable, iso } from '../schemas/common.js';

const Query = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the `nextCursor` of the previous page (older messages)' })),
  },
  { additionalProperties: false },
);

const Item = Type.Object(
  {
    id: Type.String(),
    direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
    channel: Type.String(),
    at: Type.String({ format: 'date-time', description: 'received (inbound) or sent (outbound; recorded, if never sent)' }),
    text: Nullable(Type.String()),
    subject: Nullable(Type.String({ description: 'email subject (outbound email)' })),
    template: Nullable(Type.String({ description: 'template name (outbound)' })),
    provider: Nullable(Type.String()),
    status: Nullable(Type.String({ description: 'outbound: pending, sent, delivered, read, failed, blocked, uncertain, deferred; inbound: null' })),
    optOut: Type.Boolean({ description: 'inbound: the message was an opt-out reply' }),
    deliveredAt: Nullable(Type.String({ format: 'date-time' })),
    readAt: Nullable(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
type ItemView = Static<typeof Item>;

const Answer = Type.Object({ items: Type.Array(Item, { description: 'oldest first' }), nextCursor: Nullable(Type.String()) }, { additionalProperties: false });

interface Sortable {
  at: number;
  id: string;
  view: ItemView;
}

function inboundItem(m: InboundMessage): Sortable {
  return {
    at: m.receivedAt,
    id: m.id,
    view: { id: m.id, direction: 'inbound', channel: m.channel, at: iso(m.receivedAt)!, text: m.body, subject: null, template: null, provider: m.provider, status: null, optOut: m.optOut !== null, deliveredAt: null, readAt: null },
  };
}

function outboundItem(m: OutboxMessage): Sortable {
  const at = m.sentAt ?? m.createdAt;
  return {
    at,
    id: m.id,
    view: {
      id: m.id,
      direction: 'outbound',
      channel: m.channel,
      at: iso(at)!,
      text: m.text,
      subject: m.subject,
      template: m.template?.name ?? null,
      provider: m.provider,
      status: m.status,
      optOut: false,
      deliveredAt: iso(m.deliveredAt),
      readAt: iso(m.readAt),
    },
  };
}

const newestFirst = (a: Sortable, b: Sortable): number => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export function conversationRoutes(ctx: AppContext): RouteSpec[] {
  const contacts = new ContactService(ctx);

  return [
    route({
      method: 'get',
      path: '/contacts/:id/conversation',
      summary: 'A contact’s conversation: inbound replies and outbound messages in one thread, oldest first (pages go back in time)',
      tag: 'contacts',
      access: 'contacts.read',
      params: IdParams,
      query: Query,
      response: Answer,
      async handler({ params, query, auth }) {
        const tenantId = auth.tenant.id;
        const contact = await contacts.visible(auth, params.id);
        const cursor = query.cursor ? decodeCursor(query.cursor, isTimeIdCursor) : undefined;
        const before = cursor ? { at: cursor[0], id: cursor[1] } : undefined;
        // The newest `limit` of each kind before the cursor hold the newest `limit` of both.
        const [inbound, sent] = await Promise.all([
          ctx.inboundMessages(tenantId).forContact(contact.id, { limit: query.limit + 1, ...(before ? { before } : {}) }),
          ctx.outbox.repository(tenantId).forContact(contact.id, { limit: query.limit + 1, ...(before ? { before } : {}) }),
        ]);
        const merged = [...inbound.map(inboundItem), ...sent.map(outboundItem)].sort(newestFirst);
        const page = merged.slice(0, query.limit);
        const last = page.at(-1);
        const next = merged.length > query.limit && last ? encodeCursor([last.at, last.id]) : null;
        return { items: page.reverse().map((s) => s.view), nextCursor: next };
      },
    }),
  ];
}

// A contact's conversation: the messages it sent us (inbound_messages, from provider webhooks)
// and the messages flows sent it (outbound_messages, the outbox) in one thread, oldest first.
// Same visibility as the contact itself: another tenant's contact answers 404, and so does
// another rep's contact to a sales rep.
//
// Paging goes back in time: an answer holds the newest `limit` messages before `cursor` (none:
// now), ordered oldest first; `nextCursor` continues with older ones. An outbound message is placed
// at the time it was sent (when it was recorded, if it never was: blocked, failed, deferred).
import { Type, type Static } from '@sinclair/typebox';
import { ApiError, notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { route, type RouteSpec } from '../http/route.js';
import { InboundMessageRepository, type InboundMessage } from '../../db/inbound-message-repository.js';
import { outboxMessageOf, type OutboxMessage } from '../../db/outbox-repository.js';
import { IdParams, Nullable, iso } from '../schemas/common.js';
import { ownScope } from '../crm/crm-api.js';

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

function decodeCursor(text: string): { at: number; id: string } {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string') return { at: v[0] as number, id: v[1] };
  } catch {
    // fall through
  }
  throw new ApiError(400, 'invalid_request', 'cursor is not one this API issued', [{ path: '/query/cursor', code: 'invalid_cursor', message: 'pass the `nextCursor` of the previous page' }]);
}

export function conversationRoutes(ctx: AppContext): RouteSpec[] {
  async function outbound(tenantId: string, contactId: string, limit: number, before?: { at: number; id: string }): Promise<OutboxMessage[]> {
    const at = 'COALESCE(sent_at, created_at)';
    const args: unknown[] = [tenantId, contactId];
    let where = 'tenant_id = $1 AND contact_id = $2';
    if (before) {
      args.push(before.at, before.id);
      where += ` AND (${at} < $3 OR (${at} = $3 AND id < $4))`;
    }
    args.push(limit);
    const rows = await ctx.db.sql.query(`SELECT * FROM outbound_messages WHERE ${where} ORDER BY ${at} DESC, id DESC LIMIT $${args.length}`, args);
    return rows.map(outboxMessageOf);
  }

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
        const contact = await ctx.contacts(tenantId).byId(params.id);
        const own = ownScope(auth);
        if (!contact || (own !== null && contact.ownerId !== own)) throw notFound('contact');
        const before = query.cursor ? decodeCursor(query.cursor) : undefined;
        // The newest `limit` of each kind before the cursor hold the newest `limit` of both.
        const [inbound, sent] = await Promise.all([
          new InboundMessageRepository(ctx.db, tenantId).forContact(contact.id, { limit: query.limit + 1, ...(before ? { before } : {}) }),
          outbound(tenantId, contact.id, query.limit + 1, before),
        ]);
        const merged = [...inbound.map(inboundItem), ...sent.map(outboundItem)].sort(newestFirst);
        const page = merged.slice(0, query.limit);
        const last = page.at(-1);
        const next = merged.length > query.limit && last ? Buffer.from(JSON.stringify([last.at, last.id])).toString('base64url') : null;
        return { items: page.reverse().map((s) => s.view), nextCursor: next };
      },
    }),
  ];
}

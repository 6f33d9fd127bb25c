// The outbox API: the messages steps asked to send (sent, blocked, deferred, failed, uncertain)
// and the human decision for an uncertain one. Tenant-scoped: another tenant's message answers
// 404, and so does a message to another rep's contact for a sales rep. Nothing here sends:
// ctx.send() in a step is the only way out (server/outbox/README.md).
import { Type, type Static } from '@sinclair/typebox';
import { notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { actorOf, type Auth } from '../auth/auth-context.js';
import { route, type RouteSpec } from '../http/route.js';
import { OUTBOX_STATUSES, type OutboxMessage } from '../../db/outbox-repository.js';
import { PURPOSES } from '../../engine/consent/consent-rule.js';
import { providerLabel } from '../channels/provider-labels.js';
import { IdParams, Nullable, Timestamp, iso, named } from '../schemas/common.js';
import { requestIdOf } from '../auth/route-helpers.js';
import { ownScope } from '../crm/crm-api.js';

const SEND_CHANNELS = ['whatsapp', 'sms', 'email'] as const;
const StatusSchema = Type.Union(OUTBOX_STATUSES.map((s) => Type.Literal(s)));
const ChannelSchema = Type.Union(SEND_CHANNELS.map((c) => Type.Literal(c)));

const ListQuery = Type.Object(
  {
    contactId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    status: Type.Optional(StatusSchema),
    channel: Type.Optional(ChannelSchema),
    executionId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'the `nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);

const MessageView = named(
  'OutboxMessage',
  Type.Object(
    {
      id: Type.String(),
      executionId: Nullable(Type.String()),
      flowId: Nullable(Type.String()),
      nodeId: Nullable(Type.String()),
      stepId: Type.String({ description: 'the sending step (`<execution>:<seq>`): one message per step, ever' }),
      contactId: Type.String(),
      channel: Type.String(),
      purpose: Type.String({ description: PURPOSES.join(', ') }),
      to: Nullable(Type.String({ description: 'the address; null when none was found or after erasure' })),
      provider: Nullable(Type.String({ description: 'whatsapp-cloud, ultramsg, twilio, unifonic, taqnyat, smtp or sandbox (recorded, not sent)' })),
      providerLabel: Nullable(Type.Object({ en: Type.String(), ar: Type.String() }, { additionalProperties: false, description: 'the provider’s name in English and Arabic' })),
      costCategory: Nullable(Type.String({ description: 'WhatsApp Cloud API pricing category the estimate used: marketing, utility, authentication or service' })),
      costHalalas: Nullable(Type.Integer({ description: 'estimated cost in halalas (100 = 1 SAR); null when not estimated' })),
      attachments: Nullable(Type.Array(Type.String(), { description: 'ids of the stored documents the message carries (GET /documents/{id}); null when none' })),
      credentialName: Nullable(Type.String()),
      template: Type.Unknown(),
      text: Nullable(Type.String()),
      subject: Nullable(Type.String()),
      html: Nullable(Type.String()),
      status: StatusSchema,
      blockedReason: Nullable(
        Type.String({ description: 'why the outbox refused it: missing, withdrawn, expired, wrong_channel, wrong_purpose, no_contact, erased, no_address, whatsapp_window_closed, promotional_sender_required, outside_promotional_hours…' }),
      ),
      providerMessageId: Nullable(Type.String()),
      error: Nullable(
        Type.Object(
          { code: Type.String(), message: Type.String(), messageAr: Type.Optional(Type.String({ description: 'the reason in Arabic, where the outbox explains a refusal' })), retryable: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
      ),
      resolution: Nullable(
        Type.Object({ outcome: Type.Union([Type.Literal('sent'), Type.Literal('not_sent')]), note: Type.String(), by: Type.String(), at: Timestamp }, { additionalProperties: false }),
      ),
      attempts: Type.Integer({ description: 'provider calls made' }),
      deferredUntil: Nullable(Timestamp),
      createdAt: Timestamp,
      updatedAt: Timestamp,
      sentAt: Nullable(Timestamp),
      deliveredAt: Nullable(Timestamp),
      readAt: Nullable(Timestamp),
      redactedAt: Nullable(Timestamp),
    },
    { additionalProperties: false },
  ),
);

const ResolveBody = Type.Object(
  {
    outcome: Type.Union([Type.Literal('sent'), Type.Literal('not_sent')], { description: 'sent: it reached the contact (checked with the provider or the contact); not_sent: it did not' }),
    note: Type.String({ minLength: 1, maxLength: 2000, description: 'how it was established' }),
  },
  { additionalProperties: false },
);

function messageView(m: OutboxMessage): Static<typeof MessageView> {
  return {
    id: m.id,
    executionId: m.executionId,
    flowId: m.flowId,
    nodeId: m.nodeId,
    stepId: m.stepId,
    contactId: m.contactId,
    channel: m.channel,
    purpose: m.purpose,
    to: m.to,
    provider: m.provider,
    providerLabel: providerLabel(m.provider),
    costCategory: m.costCategory,
    costHalalas: m.costHalalas,
    attachments: m.attachments,
    credentialName: m.credentialName,
    template: m.template,
    text: m.text,
    subject: m.subject,
    html: m.html,
    status: m.status,
    blockedReason: m.blockedReason,
    providerMessageId: m.providerMessageId,
    error: m.error
      ? { code: m.error.code, message: m.error.message, ...(m.error.messageAr !== undefined ? { messageAr: m.error.messageAr } : {}), ...(m.error.retryable !== undefined ? { retryable: m.error.retryable } : {}) }
      : null,
    resolution: m.resolution ? { outcome: m.resolution.outcome, note: m.resolution.note, by: m.resolution.by, at: iso(m.resolution.at)! } : null,
    attempts: m.attempts,
    deferredUntil: iso(m.deferredUntil),
    createdAt: iso(m.createdAt)!,
    updatedAt: iso(m.updatedAt)!,
    sentAt: iso(m.sentAt),
    deliveredAt: iso(m.deliveredAt),
    readAt: iso(m.readAt),
    redactedAt: iso(m.redactedAt),
  };
}

export function outboxRoutes(ctx: AppContext): RouteSpec[] {
  const repo = (tenantId: string) => ctx.outbox.repository(tenantId);

  async function visibleMessage(auth: Auth, id: string): Promise<OutboxMessage> {
    const message = await repo(auth.tenant.id).get(id);
    if (!message) throw notFound('message');
    const own = ownScope(auth);
    if (own !== null) {
      const contact = await ctx.contacts(auth.tenant.id).byId(message.contactId);
      if (!contact || contact.ownerId !== own) throw notFound('message');
    }
    return message;
  }

  return [
    route({
      method: 'get',
      path: '/outbox',
      summary: 'Outbound messages, newest first: filter by contact, status, channel or execution; cursor pages',
      tag: 'outbox',
      access: 'outbox.read',
      query: ListQuery,
      response: Type.Object({ items: Type.Array(MessageView), nextCursor: Nullable(Type.String()) }, { additionalProperties: false }),
      async handler({ query, auth }) {
        const own = ownScope(auth);
        const items = await repo(auth.tenant.id).list({
          limit: query.limit,
          ...(query.contactId !== undefined ? { contactId: query.contactId } : {}),
          ...(query.status !== undefined ? { status: query.status } : {}),
          ...(query.channel !== undefined ? { channel: query.channel } : {}),
          ...(query.executionId !== undefined ? { executionId: query.executionId } : {}),
          ...(query.cursor !== undefined ? { before: query.cursor } : {}),
          ...(own !== null ? { ownerId: own } : {}),
        });
        const last = items.at(-1);
        return { items: items.map(messageView), nextCursor: items.length === query.limit && last ? last.id : null };
      },
    }),
    route({
      method: 'get',
      path: '/outbox/:id',
      summary: 'One outbound message',
      tag: 'outbox',
      access: 'outbox.read',
      params: IdParams,
      response: MessageView,
      async handler({ params, auth }) {
        return messageView(await visibleMessage(auth, params.id));
      },
    }),
    route({
      method: 'post',
      path: '/outbox/:id/resolve',
      summary: 'Resolve an uncertain message (the process stopped between the provider call and its answer): sent or not_sent. It is never sent again either way',
      tag: 'outbox',
      access: 'outbox.resolve',
      params: IdParams,
      body: ResolveBody,
      response: MessageView,
      errors: { 409: 'the message is not uncertain' },
      async handler({ params, body, auth, req }) {
        const tenantId = auth.tenant.id;
        await visibleMessage(auth, params.id);
        const actor = actorOf(auth);
        let after: OutboxMessage | null = null;
        await ctx.db.sql.transaction(async (q) => {
          const changed = await repo(tenantId).resolve(params.id, { outcome: body.outcome, note: body.note, by: actor, at: Date.now() }, q);
          if (!changed) throw notFound('message');
          after = changed.after;
          await ctx.audit(tenantId).record(
            {
              actor,
              action: 'outbox.resolve',
              target: params.id,
              details: { outcome: body.outcome, note: body.note, executionId: changed.before.executionId, stepId: changed.before.stepId, channel: changed.before.channel },
              requestId: requestIdOf(req),
            },
            q,
          );
        });
        return messageView(after!);
      },
    }),
  ];
}

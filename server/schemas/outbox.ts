// An outbox message (what a step asked to send, and what became of it) as the API answers it;
// server/routes/outbox.ts builds it.
import { Type, type Static } from '@sinclair/typebox';
import { OUTBOX_STATUSES } from '../../db/outbox-repository.js';
import { PURPOSES } from '../../engine/consent/consent-rule.js';
import { Nullable, Timestamp, named } from './common.js';

export const OutboxStatusSchema = Type.Union(OUTBOX_STATUSES.map((s) => Type.Literal(s)));
const StatusSchema = OutboxStatusSchema;

export const MessageView = named(
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

export type OutboxMessageView = Static<typeof MessageView>;

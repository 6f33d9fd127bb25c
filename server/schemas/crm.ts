// Contacts, their consents and consent trail, deals and meetings as the API shows them (and as
// domain events carry deals and meetings). One named schema per shape; the views that build
// them are server/crm/crm-views.ts and server/routes/contacts.ts.
import { Type, type Static } from '@sinclair/typebox';
import { CHANNELS, CONSENT_EVENT_TYPES, CONSENT_SOURCES, CONSENT_STATUSES, PURPOSES } from '../../engine/consent/consent-rule.js';
import { DEAL_STAGES } from '../../db/deal-repository.js';
import { LOCALES, TIERS } from '../consent/contact-fields.js';
import { Nullable, Timestamp, named } from './common.js';

export const ChannelSchema = Type.Union(CHANNELS.map((c) => Type.Literal(c)));

export const PurposeSchema = Type.Union(PURPOSES.map((p) => Type.Literal(p)));

export const LocaleSchema = Type.Union(LOCALES.map((l) => Type.Literal(l)));

export const TierSchema = Type.Union(TIERS.map((t) => Type.Literal(t)));

export const ContactView = named(
  'Contact',
  Type.Object(
    {
      id: Type.String(),
      name: Type.String(),
      phone: Nullable(Type.String()),
      email: Nullable(Type.String()),
      locale: LocaleSchema,
      company: Nullable(Type.String()),
      source: Nullable(Type.String()),
      ownerId: Nullable(Type.String()),
      score: Nullable(Type.Integer()),
      tier: Nullable(TierSchema),
      tags: Type.Array(Type.String()),
      attributes: Type.Record(Type.String(), Type.Unknown()),
      lastInboundAt: Nullable(Timestamp),
      createdAt: Timestamp,
      updatedAt: Timestamp,
      erasedAt: Nullable(Timestamp),
    },
    { additionalProperties: false },
  ),
);

export const ConsentView = named(
  'Consent',
  Type.Object(
    {
      channel: ChannelSchema,
      purpose: PurposeSchema,
      status: Type.Union(CONSENT_STATUSES.map((s) => Type.Literal(s))),
      grantedAt: Nullable(Timestamp),
      renewedAt: Nullable(Timestamp),
      withdrawnAt: Nullable(Timestamp),
      expiresAt: Nullable(Timestamp),
      source: Nullable(Type.String()),
      evidence: Type.Unknown(),
      updatedAt: Timestamp,
      valid: Type.Boolean({ description: 'the consent permits contact now (consentDecision)' }),
      reason: Nullable(Type.String({ description: 'why not: missing, withdrawn, expired' })),
    },
    { additionalProperties: false },
  ),
);

export const EventView = named(
  'ConsentEvent',
  Type.Object(
    {
      id: Type.String(),
      contactId: Type.String(),
      channel: Nullable(ChannelSchema),
      purpose: Nullable(PurposeSchema),
      type: Type.Union(CONSENT_EVENT_TYPES.map((t) => Type.Literal(t))),
      actor: Type.String(),
      source: Nullable(Type.String()),
      evidence: Type.Unknown(),
      details: Type.Unknown(),
      at: Timestamp,
    },
    { additionalProperties: false },
  ),
);

export const ConsentSourceSchema = Type.Union(CONSENT_SOURCES.map((s) => Type.Literal(s)));

/** Proof of consent, kept in the consent trail. */
export const Evidence = Type.Object(
  {
    formUrl: Type.Optional(Type.String({ maxLength: 2000 })),
    ip: Type.Optional(Type.String({ maxLength: 64 })),
    userAgent: Type.Optional(Type.String({ maxLength: 500 })),
    messageId: Type.Optional(Type.String({ maxLength: 200 })),
    text: Type.Optional(Type.String({ maxLength: 5000, description: 'the wording the contact agreed to' })),
    documentUrl: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: true, maxProperties: 30, description: 'proof of consent: form URL, IP, message id, the text shown… (kept in the consent trail); at least one entry' },
);

const VocabularyLabel = Type.Object({ en: Type.String(), ar: Type.String() }, { additionalProperties: false });

/** GET /consent-vocabulary: channels, purposes, statuses, refusal reasons and sources, labelled in Arabic and English. */
export const ConsentVocabulary = Type.Object(
  {
    channels: Type.Array(Type.Object({ id: Type.String(), label: VocabularyLabel }, { additionalProperties: false })),
    purposes: Type.Array(Type.Object({ id: Type.String(), label: VocabularyLabel }, { additionalProperties: false })),
    statuses: Type.Array(Type.Object({ id: Type.String(), label: VocabularyLabel }, { additionalProperties: false })),
    reasons: Type.Array(Type.Object({ id: Type.String(), label: VocabularyLabel }, { additionalProperties: false })),
    sources: Type.Array(Type.String()),
    validityMonths: Type.Integer(),
  },
  { additionalProperties: false },
);

export const ContactDetail = Type.Composite([ContactView, Type.Object({ consents: Type.Array(ConsentView) })], { additionalProperties: false });

export const StageSchema = Type.Union(DEAL_STAGES.map((s) => Type.Literal(s)));

export const DealView = named(
  'Deal',
  Type.Object(
    {
      id: Type.String(),
      contactId: Nullable(Type.String()),
      company: Nullable(Type.String()),
      title: Type.String(),
      stage: StageSchema,
      valueSar: Nullable(Type.String({ description: 'decimal string, two places, e.g. "125000.50"' })),
      currency: Type.Literal('SAR'),
      probability: Nullable(Type.Integer()),
      expectedCloseDate: Nullable(Type.String({ format: 'date' })),
      ownerId: Nullable(Type.String()),
      createdAt: Timestamp,
      updatedAt: Timestamp,
      deletedAt: Nullable(Timestamp),
    },
    { additionalProperties: false },
  ),
);

export const MeetingView = named(
  'Meeting',
  Type.Object(
    {
      id: Type.String(),
      contactId: Type.String(),
      dealId: Nullable(Type.String()),
      title: Nullable(Type.String()),
      startsAt: Type.String({ format: 'date-time', description: 'UTC' }),
      startsAtRiyadh: Type.String({ description: 'the same instant in Asia/Riyadh, e.g. 2026-03-02T10:00:00.000+03:00' }),
      endsAt: Type.String({ format: 'date-time' }),
      endsAtRiyadh: Type.String(),
      durationMinutes: Type.Integer(),
      location: Nullable(Type.String()),
      notes: Nullable(Type.String()),
      ownerId: Nullable(Type.String()),
      createdAt: Timestamp,
      updatedAt: Timestamp,
      cancelledAt: Nullable(Timestamp),
    },
    { additionalProperties: false },
  ),
);

export type ContactView = Static<typeof ContactView>;

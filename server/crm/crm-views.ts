// How deals, meetings and contacts appear in API answers and in domain events (the same shape
// in both, so a flow sees what the API shows). Times: UTC ISO plus the Riyadh form (+03:00).
import { Type, type Static } from '@sinclair/typebox';
import { riyadhIso } from '../../engine/index.js';
import type { Contact } from '../../db/contacts/index.js';
import { DEAL_STAGES, type Deal } from '../../db/deal-repository.js';
import type { Meeting } from '../../db/meeting-repository.js';
import { Nullable, Timestamp, iso } from '../schemas/common.js';


export const StageSchema = Type.Union(DEAL_STAGES.map((s) => Type.Literal(s)));

export const DealView = Type.Object(
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
);
export type DealView = Static<typeof DealView>;

export const MeetingView = Type.Object(
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
);
export type MeetingView = Static<typeof MeetingView>;


export function dealView(d: Deal): DealView {
  return {
    id: d.id,
    contactId: d.contactId,
    company: d.company,
    title: d.title,
    stage: d.stage,
    valueSar: d.valueSar,
    currency: 'SAR',
    probability: d.probability,
    expectedCloseDate: d.expectedCloseDate,
    ownerId: d.ownerId,
    createdAt: iso(d.createdAt)!,
    updatedAt: iso(d.updatedAt)!,
    deletedAt: iso(d.deletedAt),
  };
}

export function meetingView(m: Meeting): MeetingView {
  const ends = m.startsAt + m.durationMinutes * 60_000;
  return {
    id: m.id,
    contactId: m.contactId,
    dealId: m.dealId,
    title: m.title,
    startsAt: new Date(m.startsAt).toISOString(),
    startsAtRiyadh: riyadhIso(new Date(m.startsAt)),
    endsAt: new Date(ends).toISOString(),
    endsAtRiyadh: riyadhIso(new Date(ends)),
    durationMinutes: m.durationMinutes,
    location: m.location,
    notes: m.notes,
    ownerId: m.ownerId,
    createdAt: iso(m.createdAt)!,
    updatedAt: iso(m.updatedAt)!,
    cancelledAt: iso(m.deletedAt),
  };
}

/**
 * A contact as flows see it, everywhere: `$contact`, events' `$trigger.contact`, enrollment
 * payloads and crm.update outputs (one shape, so an expression works whichever way it came).
 */
export function contactSnapshot(c: Contact): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    phone: c.phone,
    email: c.email,
    locale: c.locale,
    company: c.company,
    source: c.source,
    ownerId: c.ownerId,
    score: c.score,
    tier: c.tier,
    tags: c.tags,
    attributes: c.attributes,
    lastInboundAt: iso(c.lastInboundAt),
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
    erased: c.erasedAt !== null,
  };
}

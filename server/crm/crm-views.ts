// How deals, meetings and contacts appear in API answers and in domain events (the same shape
// in both, so a flow sees what the API shows). Times: UTC ISO plus the Riyadh form (+03:00).
import type { Static } from '@sinclair/typebox';
import { riyadhIso } from '../../engine/index.js';
import type { Contact } from '../../db/contacts/index.js';
import type { Deal } from '../../db/deal-repository.js';
import type { Meeting } from '../../db/meeting-repository.js';
import { iso } from '../schemas/common.js';
import { DealView, MeetingView, StageSchema, type ContactView } from '../schemas/crm.js';

export { DealView, MeetingView, StageSchema };

export type DealView = Static<typeof DealView>;

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
  const { erasedAt, ...view } = contactView(c);
  return { ...view, erased: erasedAt !== null };
}

/** A contact as the API shows it (the Contact schema). */
export function contactView(c: Contact): ContactView {
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
    erasedAt: iso(c.erasedAt),
  };
}

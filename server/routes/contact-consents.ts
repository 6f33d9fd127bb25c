// A contact's PDPL consents and the consent trail: grant, renew, withdraw (each change writes
// its consent event in the same transaction, db/contacts/consent-repository.ts), the current
// consents with whether each permits contact now, and the trail per contact and tenant-wide.
import { Type, type Static } from '@sinclair/typebox';
import { invalidRequest } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { actorOf, type Auth } from '../auth/auth-context.js';
import { requestIdOf } from '../auth/route-helpers.js';
import { route, type RouteSpec } from '../http/route.js';
import { decodeCursor, encodeCursor, isTimeIdCursor } from '../http/cursor.js';
import {
  CHANNEL_LABELS,
  CONSENT_EVENT_TYPES,
  CONSENT_SOURCES,
  CONSENT_STATUS_LABELS,
  CONSENT_VALIDITY_MONTHS,
  DECISION_REASON_LABELS,
  PURPOSE_LABELS,
  consentExpiry,
  type Channel,
  type Purpose,
} from '../../engine/consent/consent-rule.js';
import { ownScope } from '../crm/crm-api.js';
import type { ConsentEvent } from '../../db/contacts/index.js';
import { ContactService, type ConsentChangeType } from '../contacts/contact-service.js';
import { consentView, eventView } from '../contacts/consent-views.js';
import { IdParams, Nullable } from '../schemas/common.js';
import { ChannelSchema, ConsentSourceSchema, ConsentView, ConsentVocabulary, EventView, Evidence, PurposeSchema } from '../schemas/crm.js';

const ConsentChangeAnswer = Type.Object({ consent: Nullable(ConsentView), event: Nullable(EventView) }, { additionalProperties: false });

const EventsQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the `nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);

const ChannelPurpose = { channel: ChannelSchema, purpose: PurposeSchema };
const GrantBody = Type.Object(
  {
    ...ChannelPurpose,
    source: ConsentSourceSchema,
    evidence: Evidence,
    grantedAt: Type.Optional(Type.String({ format: 'date-time', description: 'when the contact gave consent (default now; not in the future, not over 12 months ago)' })),
  },
  { additionalProperties: false },
);
const WithdrawBody = Type.Object(
  { ...ChannelPurpose, source: Type.Optional(ConsentSourceSchema), reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);
const RenewBody = Type.Object({ ...ChannelPurpose, source: Type.Optional(ConsentSourceSchema), evidence: Type.Optional(Evidence) }, { additionalProperties: false });


/** A page of the consent trail, newest first: the cursor is the last event's (at, id). */
const TrailPage = Type.Object({ items: Type.Array(EventView), nextCursor: Nullable(Type.String()) }, { additionalProperties: false });

function trailBefore(cursor: string | undefined): { before?: { at: number; id: string } } {
  if (cursor === undefined) return {};
  const [at, id] = decodeCursor(cursor, isTimeIdCursor);
  return { before: { at, id } };
}

function trailPage(events: ConsentEvent[], limit: number): Static<typeof TrailPage> {
  const last = events.at(-1);
  return { items: events.map(eventView), nextCursor: events.length === limit && last ? encodeCursor([last.at, last.id]) : null };
}

export function contactConsentRoutes(ctx: AppContext): RouteSpec[] {
  const service = new ContactService(ctx);

  /** Check the change against the contact and the clock, then make it. */
  async function consentChange(
    auth: Auth,
    contactId: string,
    type: ConsentChangeType,
    body: { channel: Channel; purpose: Purpose; source?: string; evidence?: unknown; reason?: string; grantedAt?: string },
    requestId: string | null,
  ): Promise<Static<typeof ConsentChangeAnswer>> {
    await service.visible(auth, contactId);
    // Checked here, after the contact is found, so an unknown id answers 404 whatever the body.
    if (body.evidence !== undefined && Object.keys(body.evidence as object).length === 0) throw invalidRequest([{ path: '/body/evidence', code: 'empty_evidence', message: 'say what proves the consent (form URL, message id, the text shown…)' }]);
    const now = Date.now();
    let effectiveAt = now;
    if (type === 'grant' && body.grantedAt !== undefined) {
      effectiveAt = Date.parse(body.grantedAt);
      if (effectiveAt > now + 60_000) throw invalidRequest([{ path: '/body/grantedAt', code: 'in_future', message: 'consent cannot be given in the future' }]);
      if (consentExpiry(effectiveAt) <= now) throw invalidRequest([{ path: '/body/grantedAt', code: 'expired', message: 'consent given more than 12 months ago has expired' }]);
      effectiveAt = Math.min(effectiveAt, now);
    }
    const { grantedAt: _grantedAt, ...change } = body;
    const { consent, event } = await service.changeConsent(auth.tenant.id, contactId, type, { ...change, effectiveAt }, { actor: actorOf(auth), requestId }, now);
    return { consent: consent ? consentView(consent, now) : null, event: event ? eventView(event) : null };
  }

  return [
    route({
      method: 'get',
      path: '/consent-vocabulary',
      summary: 'Consent channels, purposes, statuses, refusal reasons and sources, with Arabic and English labels',
      tag: 'contacts',
      access: 'contacts.read',
      response: ConsentVocabulary,
      handler() {
        const entries = (labels: Record<string, { en: string; ar: string }>) => Object.entries(labels).map(([id, label]) => ({ id, label }));
        return {
          channels: entries(CHANNEL_LABELS),
          purposes: entries(PURPOSE_LABELS),
          statuses: entries(CONSENT_STATUS_LABELS),
          reasons: entries(DECISION_REASON_LABELS),
          sources: [...CONSENT_SOURCES],
          validityMonths: CONSENT_VALIDITY_MONTHS,
        };
      },
    }),
    route({
      method: 'get',
      path: '/contacts/:id/consents',
      summary: 'A contact’s consents and whether each permits contact now',
      tag: 'contacts',
      access: 'contacts.read',
      params: IdParams,
      response: Type.Object({ items: Type.Array(ConsentView) }, { additionalProperties: false }),
      async handler({ params, auth }) {
        const contact = await service.visible(auth, params.id);
        const now = Date.now();
        return { items: (await ctx.consents(auth.tenant.id).list(contact.id)).map((c) => consentView(c, now)) };
      },
    }),
    route({
      method: 'get',
      path: '/contacts/:id/consent-events',
      summary: 'A contact’s consent trail (grants, renewals, withdrawals, expiries, blocked sends, erasure), newest first',
      tag: 'contacts',
      access: 'contacts.read',
      params: IdParams,
      query: EventsQuery,
      response: TrailPage,
      async handler({ params, query, auth }) {
        const contact = await service.visible(auth, params.id);
        return trailPage(await ctx.consents(auth.tenant.id).events(contact.id, { limit: query.limit, ...trailBefore(query.cursor) }), query.limit);
      },
    }),
    route({
      method: 'get',
      path: '/consent-events',
      summary: 'The tenant’s consent trail across contacts (grants, renewals, withdrawals, expiries, blocked sends, erasures), newest first; a sales rep sees its own contacts’ events',
      tag: 'contacts',
      access: 'contacts.read',
      query: Type.Object(
        {
          ...EventsQuery.properties,
          type: Type.Optional(Type.Union(CONSENT_EVENT_TYPES.map((t) => Type.Literal(t)))),
        },
        { additionalProperties: false },
      ),
      response: TrailPage,
      async handler({ query, auth }) {
        const own = ownScope(auth);
        const events = await ctx.consents(auth.tenant.id).tenantEvents({
          limit: query.limit,
          ...trailBefore(query.cursor),
          ...(own !== null ? { ownerId: own } : {}),
          ...(query.type ? { type: query.type } : {}),
        });
        return trailPage(events, query.limit);
      },
    }),
    route({
      method: 'post',
      path: '/contacts/:id/consents/grant',
      summary: 'Record consent for a channel and purpose, with its source and evidence (valid 12 months)',
      tag: 'contacts',
      access: 'consent.manage',
      params: IdParams,
      body: GrantBody,
      response: ConsentChangeAnswer,
      errors: { 409: 'the contact was erased' },
      handler: ({ params, body, auth, req }) => consentChange(auth, params.id, 'grant', body, requestIdOf(req)),
    }),
    route({
      method: 'post',
      path: '/contacts/:id/consents/withdraw',
      summary: 'Withdraw consent for a channel and purpose (recorded even when none was given; repeating it changes nothing)',
      tag: 'contacts',
      access: 'consent.manage',
      params: IdParams,
      body: WithdrawBody,
      response: ConsentChangeAnswer,
      // The contact's sequences that send on this channel end too (ContactService.changeConsent).
      handler: ({ params, body, auth, req }) => consentChange(auth, params.id, 'withdraw', body, requestIdOf(req)),
    }),
    route({
      method: 'post',
      path: '/contacts/:id/consents/renew',
      summary: 'Renew a granted or expired consent: valid 12 months from now',
      tag: 'contacts',
      access: 'consent.manage',
      params: IdParams,
      body: RenewBody,
      response: ConsentChangeAnswer,
      errors: { 409: 'the consent is withdrawn or missing (grant it instead), or the contact was erased' },
      handler: ({ params, body, auth, req }) => consentChange(auth, params.id, 'renew', body, requestIdOf(req)),
    }),
  ];
}

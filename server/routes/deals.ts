// Deals (the pipeline): tenant-scoped CRUD, soft delete, domain events on every change
// (deal.created, deal.updated, deal.stage_changed {from, to}, deal.deleted) that start flows
// with trigger.event. Money: valueSar is a decimal string ("125000.50"), never a float. A sales
// rep sees and changes only the deals they own; another tenant's id answers 404.
import { Type } from '@sinclair/typebox';
import { ApiError, notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { actorOf } from '../auth/auth-context.js';
import { IdParams, requestIdOf } from '../auth/route-helpers.js';
import { route, type RouteSpec } from '../http/route.js';
import type { DealFields } from '../../db/deal-repository.js';
import { DealView, StageSchema, dealView } from '../crm/crm-views.js';
import { SAR_PATTERN, canonicalSar } from '../crm/money.js';
import { ownScope, ownedBy, ownerFilter, ownerFor } from '../crm/crm-api.js';
import { Nullable } from '../schemas/common.js';

const fields = {
  contactId: Type.String({ minLength: 1, maxLength: 64 }),
  company: Type.String({ maxLength: 200 }),
  title: Type.String({ minLength: 1, maxLength: 300, pattern: '\\S' }),
  valueSar: Type.String({ pattern: SAR_PATTERN, description: 'SAR as a decimal string, at most two decimals, e.g. "125000.50"' }),
  probability: Type.Integer({ minimum: 0, maximum: 100 }),
  expectedCloseDate: Type.String({ format: 'date', description: 'YYYY-MM-DD' }),
  ownerId: Type.String({ minLength: 1, maxLength: 64 }),
};

const DealBody = Type.Object(
  {
    title: fields.title,
    stage: Type.Optional(Type.Union(StageSchema.anyOf, { default: 'lead' })),
    contactId: Type.Optional(Nullable(fields.contactId)),
    company: Type.Optional(Nullable(fields.company)),
    valueSar: Type.Optional(Nullable(fields.valueSar)),
    probability: Type.Optional(Nullable(fields.probability)),
    expectedCloseDate: Type.Optional(Nullable(fields.expectedCloseDate)),
    ownerId: Type.Optional(Nullable(fields.ownerId)),
  },
  { additionalProperties: false },
);

const DealPatch = Type.Object(
  {
    title: Type.Optional(fields.title),
    stage: Type.Optional(StageSchema),
    contactId: Type.Optional(Nullable(fields.contactId)),
    company: Type.Optional(Nullable(fields.company)),
    valueSar: Type.Optional(Nullable(fields.valueSar)),
    probability: Type.Optional(Nullable(fields.probability)),
    expectedCloseDate: Type.Optional(Nullable(fields.expectedCloseDate)),
    ownerId: Type.Optional(Nullable(fields.ownerId)),
  },
  { additionalProperties: false, minProperties: 1, description: 'only the fields sent change; null clears a field' },
);

const ListQuery = Type.Object(
  {
    stage: Type.Optional(StageSchema),
    contactId: Type.Optional(fields.contactId),
    owner: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'a user id, or `me`' })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'the `nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);

/** Body fields to repository fields: amounts canonical ("7" → "7.00"), company trimmed. */
function dealFields(body: Partial<Record<keyof typeof fields | 'stage', unknown>>): DealFields {
  const out: DealFields = {};
  if (body.title !== undefined) out.title = String(body.title).trim();
  if (body.stage !== undefined) out.stage = body.stage as DealFields['stage'];
  if (body.contactId !== undefined) out.contactId = body.contactId as string | null;
  if (body.company !== undefined) out.company = body.company === null ? null : String(body.company).trim() || null;
  if (body.valueSar !== undefined) out.valueSar = body.valueSar === null ? null : canonicalSar(String(body.valueSar));
  if (body.probability !== undefined) out.probability = body.probability as number | null;
  if (body.expectedCloseDate !== undefined) out.expectedCloseDate = body.expectedCloseDate as string | null;
  if (body.ownerId !== undefined) out.ownerId = body.ownerId as string | null;
  return out;
}

export function dealRoutes(ctx: AppContext): RouteSpec[] {
  const by = (auth: Parameters<typeof actorOf>[0], req: Parameters<typeof requestIdOf>[0]) => ({ actor: actorOf(auth), requestId: requestIdOf(req) });
  return [
    route({
      method: 'post',
      path: '/deals',
      summary: 'Create a deal (emits deal.created)',
      tag: 'deals',
      access: 'deals.write',
      body: DealBody,
      status: 201,
      response: DealView,
      errors: { 400: 'unknown contact or owner' },
      async handler({ body, auth, req }) {
        const f = dealFields(body);
        const ownerId = ownerFor(auth, body.ownerId);
        const deal = await ctx.crm
          .createDeal(auth.tenant.id, { ...f, title: f.title!, stage: f.stage ?? 'lead', ...(ownerId !== undefined ? { ownerId } : {}) }, by(auth, req));
        return dealView(deal);
      },
    }),
    route({
      method: 'get',
      path: '/deals',
      summary: 'Deals, newest first (a sales rep sees only their own); stage, contact and owner filters',
      tag: 'deals',
      access: 'deals.read',
      query: ListQuery,
      response: Type.Object({ items: Type.Array(DealView), nextCursor: Nullable(Type.String()) }, { additionalProperties: false }),
      async handler({ query, auth }) {
        const owner = ownerFilter(auth, query.owner);
        // A sales rep asking for someone else's deals gets none.
        if (ownScope(auth) !== null && query.owner && query.owner !== 'me' && query.owner !== owner) return { items: [], nextCursor: null };
        const items = await ctx.crm.deals(auth.tenant.id).list({
          limit: query.limit,
          ...(query.stage ? { stage: query.stage } : {}),
          ...(query.contactId ? { contactId: query.contactId } : {}),
          ...(owner ? { ownerId: owner } : {}),
          ...(query.cursor ? { before: query.cursor } : {}),
        });
        return { items: items.map(dealView), nextCursor: items.length === query.limit ? items[items.length - 1]!.id : null };
      },
    }),
    route({
      method: 'get',
      path: '/deals/:id',
      summary: 'One deal',
      tag: 'deals',
      access: 'deals.read',
      params: IdParams,
      response: DealView,
      async handler({ params, auth }) {
        const deal = await ctx.crm.deals(auth.tenant.id).byId(params.id);
        const own = ownScope(auth);
        if (!deal || (own !== null && deal.ownerId !== own)) throw notFound('deal');
        return dealView(deal);
      },
    }),
    route({
      method: 'patch',
      path: '/deals/:id',
      summary: 'Change a deal (emits deal.updated, and deal.stage_changed {from, to} when the stage moves); null clears a field',
      tag: 'deals',
      access: 'deals.write',
      params: IdParams,
      body: DealPatch,
      response: DealView,
      errors: { 400: 'unknown contact or owner', 404: 'no such deal (or not yours)' },
      async handler({ params, body, auth, req }) {
        const f = dealFields(body);
        if (body.ownerId !== undefined && ownScope(auth) !== null) {
          if (body.ownerId !== ownScope(auth)) throw new ApiError(403, 'owner_not_allowed', 'a sales rep cannot give a deal to someone else', [{ path: '/body/ownerId', code: 'owner_not_allowed', message: 'only managers reassign deals' }]);
        }
        const { deal } = await ctx.crm.updateDeal(auth.tenant.id, params.id, f, by(auth, req), ownedBy(auth, 'deal'));
        return dealView(deal);
      },
    }),
    route({
      method: 'delete',
      path: '/deals/:id',
      summary: 'Delete a deal (soft: kept for history; emits deal.deleted)',
      tag: 'deals',
      access: 'deals.write',
      params: IdParams,
      response: DealView,
      errors: { 404: 'no such deal (or not yours)' },
      async handler({ params, auth, req }) {
        return dealView(await ctx.crm.deleteDeal(auth.tenant.id, params.id, by(auth, req), ownedBy(auth, 'deal')));
      },
    }),
  ];
}

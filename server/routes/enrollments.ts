// Enrollments: contacts put into a published flow (a sequence), tracked as records with a state
// and an append-only history (server/enrollments/enrollment-service.ts has the decisions).
// Tenant-scoped: another tenant's enrollment, flow or contact answers 404; a sales rep sees and
// changes only the enrollments of contacts they own (others answer 404 too).
import { Type, type Static } from '@sinclair/typebox';
import { ApiError, notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { NO_OWNER, actorOf, type Auth } from '../auth/auth-context.js';
import { route, type RouteSpec } from '../http/route.js';
import type { EnrollmentHistoryEntry } from '../../db/enrollment-repository.js';
import { EnrollAnswer, EnrollmentDetail, EnrollmentSchema, EnrollmentStateSchema, type HistorySchema } from '../schemas/enrollments.js';
import { EnrollmentService, type EnrollmentView, type SkippedItem } from '../enrollments/enrollment-service.js';
import { MAX_ENROLL_ROWS, parseEnrollCsv, type EnrollTarget } from '../enrollments/enroll-csv.js';
import { IdParams, Nullable, iso } from '../schemas/common.js';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const StateSchema = EnrollmentStateSchema;
export const MAX_ENROLL_IDS = 1000;

const EnrollBody = Type.Object(
  {
    flowId: Id,
    contactIds: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: MAX_ENROLL_IDS, description: `up to ${MAX_ENROLL_IDS} contact ids` })),
    csv: Type.Optional(
      Type.String({ minLength: 1, description: `UTF-8 CSV with a header naming a contact_id, phone or email column (other columns ignored), at most ${MAX_ENROLL_ROWS} rows` }),
    ),
  },
  { additionalProperties: false, description: 'give exactly one of contactIds or csv' },
);

const ListQuery = Type.Object(
  {
    flowId: Type.Optional(Id),
    contactId: Type.Optional(Id),
    state: Type.Optional(StateSchema),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the `nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);


function enrollmentView(e: EnrollmentView): Static<typeof EnrollmentSchema> {
  return {
    id: e.id,
    flowId: e.flowId,
    flowVersion: e.flowVersion,
    contactId: e.contactId,
    state: e.state,
    executionId: e.executionId,
    currentNode: e.currentNode,
    pendingNodes: e.pendingNodes,
    allowReentry: e.allowReentry,
    enrolledBy: e.enrolledBy,
    enrolledAt: iso(e.enrolledAt)!,
    endedAt: iso(e.endedAt),
    endReason: e.endReason,
    updatedAt: iso(e.updatedAt)!,
  };
}

const historyView = (h: EnrollmentHistoryEntry): Static<typeof HistorySchema> => ({
  id: h.id,
  at: iso(h.at)!,
  fromState: h.fromState,
  toState: h.toState,
  reason: h.reason,
  actor: h.actor,
  executionId: h.executionId,
  node: h.node,
});

const requestIdOf = (req: { id?: unknown }): string | null => (req.id === undefined || req.id === null ? null : String(req.id));

/** The owner a sales rep is limited to: their user id (an API key with the role owns nothing). */
function ownScope(auth: Auth): string | null {
  if (auth.role !== 'sales_rep') return null;
  return auth.principal.kind === 'user' ? auth.principal.userId : NO_OWNER;
}

const encodeCursor = (id: string): string => Buffer.from(JSON.stringify(id)).toString('base64url');
function decodeCursor(text: string): string {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (typeof v === 'string' && v.length > 0 && v.length <= 64) return v;
  } catch {
    // fall through
  }
  throw new ApiError(400, 'invalid_request', 'cursor is not one this API issued', [{ path: '/query/cursor', code: 'invalid_cursor', message: 'pass the `nextCursor` of the previous page' }]);
}

/** The service behind ctx.contactExits (app-context.ts), or one of its own (tests with another ContactExits). */
export function enrollmentServiceOf(ctx: AppContext): EnrollmentService {
  return ctx.contactExits instanceof EnrollmentService ? ctx.contactExits : new EnrollmentService({ db: ctx.db, runtime: ctx.runtime, registry: ctx.registry, log: ctx.log });
}

export function enrollmentRoutes(ctx: AppContext): RouteSpec[] {
  const service = enrollmentServiceOf(ctx);

  /** The enrollment if the caller may see it: same tenant, and for a sales rep one of their contacts. */
  async function visible(auth: Auth, id: string): Promise<EnrollmentView> {
    const e = await service.get(auth.tenant.id, id);
    if (!e) throw notFound('enrollment');
    const own = ownScope(auth);
    if (own !== null) {
      const contact = await ctx.contacts(auth.tenant.id).byId(e.contactId);
      if (!contact || contact.ownerId !== own) throw notFound('enrollment');
    }
    return e;
  }

  const detail = async (auth: Auth, e: EnrollmentView): Promise<Static<typeof EnrollmentDetail>> => ({
    ...enrollmentView(e),
    history: (await service.history(auth.tenant.id, e.id)).map(historyView),
  });

  const transitionRoute = (action: 'pause' | 'resume' | 'unenroll', summary: string, from: string): RouteSpec =>
    route({
      method: 'post',
      path: `/enrollments/:id/${action}`,
      summary,
      tag: 'enrollments',
      access: 'enrollments.manage',
      params: IdParams,
      response: EnrollmentDetail,
      errors: { 404: 'no such enrollment in this tenant (or, for a sales rep, not one of their contacts)', 409: `the enrollment is not ${from}, or it ended meanwhile` },
      async handler({ params, auth, req }) {
        await visible(auth, params.id);
        const e = await service[action](auth.tenant.id, params.id, actorOf(auth), requestIdOf(req));
        return detail(auth, e);
      },
    });

  return [
    route({
      method: 'post',
      path: '/enrollments',
      summary: 'Enroll contacts (ids, or a CSV naming them by contact_id, phone or email) in a published flow: one execution each; contacts already in the flow, erased or unknown are skipped and reported',
      tag: 'enrollments',
      access: 'enrollments.manage',
      body: EnrollBody,
      bodyLimit: 5 * 1024 * 1024,
      response: EnrollAnswer,
      errors: {
        404: 'no such flow in this tenant',
        409: 'the flow is not published, is paused, or has no trigger.manual node',
        413: `a CSV of more than ${MAX_ENROLL_ROWS} rows`,
      },
      async handler({ body, auth, req }) {
        if ((body.contactIds === undefined) === (body.csv === undefined)) {
          throw new ApiError(400, 'invalid_request', 'give exactly one of contactIds or csv', [{ path: '/body', code: 'one_of', message: 'give exactly one of contactIds or csv' }]);
        }
        let targets: EnrollTarget[];
        let skipped: SkippedItem[] = [];
        if (body.csv !== undefined) {
          const parsed = parseEnrollCsv(body.csv);
          targets = parsed.targets;
          skipped = parsed.errors;
        } else targets = body.contactIds!.map((contactId) => ({ contactId }));
        return service.enroll(auth.tenant.id, body.flowId, targets, {
          actor: actorOf(auth),
          ownerId: ownScope(auth),
          requestId: requestIdOf(req),
          skipped,
          source: body.csv !== undefined ? 'csv' : 'api',
        });
      },
    }),
    route({
      method: 'get',
      path: '/enrollments',
      summary: 'Enrollments, newest first (a sales rep sees only their contacts’), by flow, contact and state',
      tag: 'enrollments',
      access: 'enrollments.read',
      query: ListQuery,
      response: Type.Object({ items: Type.Array(EnrollmentSchema), nextCursor: Nullable(Type.String()) }, { additionalProperties: false }),
      async handler({ query, auth }) {
        const tenantId = auth.tenant.id;
        const own = ownScope(auth);
        const page = await service.repo(tenantId).list({
          limit: query.limit,
          ...(query.flowId ? { flowId: query.flowId } : {}),
          ...(query.contactId ? { contactId: query.contactId } : {}),
          ...(query.state ? { states: [query.state] } : {}),
          ...(own !== null ? { ownerId: own } : {}),
          ...(query.cursor ? { after: decodeCursor(query.cursor) } : {}),
        });
        // Read live: an active enrollment whose execution ended since is ended now (and then no
        // longer matches an `active` filter).
        const items = (await service.refresh(tenantId, page.items)).filter((e) => !query.state || e.state === query.state);
        return { items: items.map(enrollmentView), nextCursor: page.next ? encodeCursor(page.next) : null };
      },
    }),
    route({
      method: 'get',
      path: '/enrollments/:id',
      summary: 'An enrollment with its state history',
      tag: 'enrollments',
      access: 'enrollments.read',
      params: IdParams,
      response: EnrollmentDetail,
      async handler({ params, auth }) {
        return detail(auth, await visible(auth, params.id));
      },
    }),
    transitionRoute('pause', 'Pause an active enrollment: its execution is cancelled and its position kept', 'active'),
    transitionRoute('resume', 'Resume a paused enrollment from the step it was paused at (the steps before it do not run again)', 'paused'),
    transitionRoute('unenroll', 'End an active or paused enrollment (state cancelled); its execution is cancelled', 'active or paused'),
    route({
      method: 'get',
      path: '/contacts/:id/enrollments',
      summary: 'A contact’s enrollments, newest first',
      tag: 'enrollments',
      access: 'enrollments.read',
      params: IdParams,
      response: Type.Object({ items: Type.Array(EnrollmentSchema) }, { additionalProperties: false }),
      async handler({ params, auth }) {
        const tenantId = auth.tenant.id;
        const contact = await ctx.contacts(tenantId).byId(params.id);
        const own = ownScope(auth);
        if (!contact || (own !== null && contact.ownerId !== own)) throw notFound('contact');
        const page = await service.repo(tenantId).list({ contactId: contact.id, limit: 200 });
        return { items: (await service.refresh(tenantId, page.items)).map(enrollmentView) };
      },
    }),
  ];
}

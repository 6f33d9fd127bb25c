// Publish requests: a manager's publish of a flow with Class B nodes waits here for an admin,
// who approves it (publishing exactly the snapshot that was requested) or rejects it with a
// reason (server/flows/flow-publishing.ts; the decisions are in routes/flows.ts).
import { Type } from '@sinclair/typebox';
import type { Request } from 'express';
import { PUBLISH_REQUEST_STATUSES } from '../../db/publish-request-repository.js';
import { notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { actorOf, type Auth } from '../auth/auth-context.js';
import { requestIdOf } from '../auth/route-helpers.js';
import { route, type RouteSpec } from '../http/route.js';
import { FlowPublishing, type Actor } from '../flows/flow-publishing.js';
import { flowDiff, requestView, versionMeta } from '../flows/flow-views.js';
import { Id, IdParams } from '../schemas/common.js';
import { PublishRequestDetail, PublishRequestSummary, VersionMeta } from '../schemas/flows.js';

export function publishRequestRoutes(ctx: AppContext): RouteSpec[] {
  const publishing = new FlowPublishing(ctx);
  const by = (auth: Auth, req: Request): Actor => ({ actor: actorOf(auth), requestId: requestIdOf(req) });
  return [
    route({
      method: 'get',
      path: '/publish-requests',
      summary: 'Publish requests, newest first (default: pending)',
      tag: 'flows',
      access: 'flows.read',
      query: Type.Object(
        {
          status: Type.Optional(Type.Union([...PUBLISH_REQUEST_STATUSES.map((s) => Type.Literal(s)), Type.Literal('all')], { default: 'pending' })),
          flowId: Type.Optional(Id),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
        },
        { additionalProperties: false },
      ),
      response: Type.Object({ items: Type.Array(PublishRequestSummary) }, { additionalProperties: false }),
      async handler({ query, auth }) {
        const status = query.status === 'all' || query.status === undefined ? undefined : query.status;
        const items = await publishing.requests(auth.tenant.id).list({ ...(status ? { status } : {}), ...(query.flowId ? { flowId: query.flowId } : {}), limit: query.limit });
        return { items: items.map((r) => requestView(r, ctx.registry)) };
      },
    }),

    route({
      method: 'get',
      path: '/publish-requests/:id',
      summary: 'A publish request with its snapshot and the patch from the published version',
      tag: 'flows',
      access: 'flows.read',
      params: IdParams,
      response: PublishRequestDetail,
      async handler({ params, auth }) {
        const r = await publishing.requests(auth.tenant.id).get(params.id);
        if (!r) throw notFound('publish request');
        const flow = await ctx.flows(auth.tenant.id).get(r.flowId);
        const published = flow?.publishedVersion ? await ctx.flows(auth.tenant.id).version(r.flowId, flow.publishedVersion) : null;
        return { ...requestView(r, ctx.registry), definition: r.definition, patch: flowDiff(published ?? {}, r.definition) };
      },
    }),

    route({
      method: 'post',
      path: '/publish-requests/:id/approve',
      summary: 'Approve: publish exactly the snapshot that was requested',
      tag: 'flows',
      access: 'flows.publish.classB',
      params: IdParams,
      status: 201,
      response: Type.Object({ request: PublishRequestSummary, version: VersionMeta }, { additionalProperties: false }),
      errors: { 409: 'request_not_pending: already decided, superseded or cancelled' },
      async handler({ params, auth, req }) {
        const { request, version } = await publishing.approve(auth.tenant.id, params.id, by(auth, req));
        return { request: requestView(request, ctx.registry), version: versionMeta(version) };
      },
    }),

    route({
      method: 'post',
      path: '/publish-requests/:id/reject',
      summary: 'Reject a publish request with a reason',
      tag: 'flows',
      access: 'flows.publish.classB',
      params: IdParams,
      body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }),
      response: Type.Object({ request: PublishRequestSummary }, { additionalProperties: false }),
      errors: { 409: 'request_not_pending: already decided, superseded or cancelled' },
      async handler({ params, body, auth, req }) {
        return { request: requestView(await publishing.reject(auth.tenant.id, params.id, body.reason, by(auth, req)), ctx.registry) };
      },
    }),
  ];
}

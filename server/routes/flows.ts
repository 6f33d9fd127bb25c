// Routes: flows, drafts, versions, publish requests, test runs (GitHub issue 8, item 3).
//
// Decisions (publish requests, revisions, Class B, pause, delete, test runs): server/flows/README.md.
import { Type } from '@sinclair/typebox';
import type { Request } from 'express';
import { validateFlow } from '../../engine/index.js';
import {
  classBNodes,
  decodeFlowCursor,
  encodeFlowCursor,
  type FlowRecord,
  type FlowRepository,
} from '../../db/flow-repository.js';
import { ApiError, notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { actorOf, allowed, type Auth } from '../auth/auth-context.js';
import { route, type RouteSpec } from '../http/route.js';
import { requestIdOf } from '../auth/route-helpers.js';
import { FlowPublishing, type Actor } from '../flows/flow-publishing.js';
import { flowDiff, requestView, versionMeta } from '../flows/flow-views.js';
import { Id, IdParams, Nullable, iso } from '../schemas/common.js';
import { TestRunResult } from '../schemas/executions.js';
import { FlowDetail, FlowDraft, FlowStatus, FlowSummary, JsonPatchOperation, PublishRequestSummary, VersionDetail, VersionMeta } from '../schemas/flows.js';

const DAY_MS = 24 * 60 * 60 * 1000;

// ---- schemas (the shapes are in server/schemas/flows.ts) ----

const VersionParams = Type.Object({ id: Id, version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
const VersionOrDraft = Type.String({ pattern: '^(draft|[1-9][0-9]{0,8})$', description: 'A version number or "draft"' });

// ---- helpers ----

const StorableDraft = FlowDraft;
type StorableDraft = { name: string } & Record<string, unknown>;

export function flowRoutes(ctx: AppContext): RouteSpec[] {
  const flowsOf = (auth: Auth): FlowRepository => ctx.flows(auth.tenant.id);
  const publishing = new FlowPublishing(ctx);
  const by = (auth: Auth, req: Request): Actor => ({ actor: actorOf(auth), requestId: requestIdOf(req) });

  async function mustGet(auth: Auth, id: string): Promise<FlowRecord> {
    const flow = await flowsOf(auth).get(id);
    if (!flow) throw notFound('flow');
    return flow;
  }

  async function detail(auth: Auth, flow: FlowRecord) {
    const repo = flowsOf(auth);
    const { flow: valid, problems } = await publishing.problemsOf(repo, flow.id, flow.draft);
    const published = flow.publishedVersion === null ? null : await repo.version(flow.id, flow.publishedVersion);
    return {
      id: flow.id,
      name: flow.name,
      status: flow.status,
      publishedVersion: flow.publishedVersion,
      revision: flow.revision,
      draft: flow.draft,
      sampleInput: flow.sampleInput,
      problems,
      classBNodes: classBNodes(flow.draft, ctx.registry),
      unpublishedChanges: !published || !valid || JSON.stringify(valid) !== JSON.stringify(published),
      createdAt: iso(flow.createdAt),
      updatedAt: iso(flow.updatedAt),
    };
  }

  /** A version's definition, or the draft ("draft": as it would be published when valid). */
  async function documentAt(auth: Auth, flow: FlowRecord, at: string): Promise<unknown> {
    if (at === 'draft') {
      const checked = validateFlow(flow.draft, ctx.registry);
      return checked.ok ? checked.flow : flow.draft;
    }
    const v = await flowsOf(auth).versionRecord(flow.id, Number(at));
    if (!v) throw notFound(`version ${at}`);
    return v.definition;
  }

  return [
    route({
      method: 'get',
      path: '/flows',
      summary: 'Flows, most recently updated first, with last run and 7-day run and error counts',
      tag: 'flows',
      access: 'flows.read',
      query: Type.Object(
        {
          q: Type.Optional(Type.String({ maxLength: 200, description: 'Search in names' })),
          status: Type.Optional(FlowStatus),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
        },
        { additionalProperties: false },
      ),
      response: Type.Object({ items: Type.Array(FlowSummary), nextCursor: Nullable(Type.String()) }, { additionalProperties: false }),
      async handler({ query, auth }) {
        const after = query.cursor === undefined ? undefined : decodeFlowCursor(query.cursor);
        if (after === null) throw new ApiError(400, 'invalid_request', 'cursor is not one this API issued', [{ path: '/query/cursor', code: 'invalid_value', message: 'unknown cursor' }]);
        const repo = flowsOf(auth);
        const rows = await repo.search({ ...(query.q ? { q: query.q } : {}), ...(query.status ? { status: query.status } : {}), limit: query.limit + 1, ...(after ? { after } : {}) });
        const page = rows.slice(0, query.limit);
        const stats = await repo.stats(page.map((f) => f.id), Date.now() - 7 * DAY_MS);
        const last = page.at(-1);
        return {
          items: page.map((f) => {
            const s = stats.get(f.id) ?? { lastRunAt: null, runs: 0, failed: 0 };
            return {
              id: f.id,
              name: f.name,
              status: f.status,
              publishedVersion: f.publishedVersion,
              revision: f.revision,
              updatedAt: iso(f.updatedAt),
              lastRunAt: iso(s.lastRunAt),
              runs7d: s.runs,
              failed7d: s.failed,
              errorRate7d: s.runs ? s.failed / s.runs : null,
            };
          }),
          nextCursor: rows.length > query.limit && last ? encodeFlowCursor(last.updatedAt, last.id) : null,
        };
      },
    }),

    route({
      method: 'post',
      path: '/flows',
      summary: 'Create a flow (a draft; nothing is published)',
      tag: 'flows',
      access: 'flows.write',
      status: 201,
      bodyLimit: 2 * 1024 * 1024,
      body: Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 200 }),
          definition: Type.Optional(Type.Object({ nodes: Type.Optional(StorableDraft.properties.nodes), edges: Type.Optional(StorableDraft.properties.edges) }, { additionalProperties: true, description: 'Initial draft; its name is replaced by `name`' })),
        },
        { additionalProperties: false },
      ),
      response: FlowDetail,
      errors: { 400: 'invalid request, or a definition that cannot be stored (invalid_flow)' },
      async handler({ body, auth }) {
        const draft: StorableDraft = { schemaVersion: 1, nodes: [], edges: [], ...(body.definition as Record<string, unknown> | undefined), name: body.name };
        return detail(auth, await flowsOf(auth).create(draft));
      },
    }),

    route({
      method: 'get',
      path: '/flows/:id',
      summary: 'A flow: its draft, revision, status, published version, sample input and problems',
      tag: 'flows',
      access: 'flows.read',
      params: IdParams,
      response: FlowDetail,
      async handler({ params, auth }) {
        return detail(auth, await mustGet(auth, params.id));
      },
    }),

    route({
      method: 'put',
      path: '/flows/:id/draft',
      summary: 'Save the draft (any state of completeness); answers it with its problems',
      tag: 'flows',
      access: 'flows.write',
      params: IdParams,
      bodyLimit: 2 * 1024 * 1024,
      body: Type.Object(
        {
          revision: Type.Integer({ minimum: 1, description: 'The revision this edit started from' }),
          draft: StorableDraft,
        },
        { additionalProperties: false },
      ),
      response: FlowDetail,
      errors: { 409: 'revision_conflict: the draft changed since that revision' },
      async handler({ params, body, auth }) {
        return detail(auth, await flowsOf(auth).saveDraft(params.id, body.draft as StorableDraft, body.revision));
      },
    }),

    route({
      method: 'put',
      path: '/flows/:id/sample-input',
      summary: 'Pin the input test runs use when given none (null unpins)',
      tag: 'flows',
      access: 'flows.write',
      params: IdParams,
      body: Type.Object({ input: Type.Unknown() }, { additionalProperties: false }),
      response: Type.Object({ sampleInput: Type.Unknown() }, { additionalProperties: false }),
      async handler({ params, body, auth }) {
        const flow = await flowsOf(auth).setSampleInput(params.id, body.input);
        return { sampleInput: flow.sampleInput };
      },
    }),

    route({
      method: 'delete',
      path: '/flows/:id',
      summary: 'Delete a flow: unbinds its webhooks and schedules; its executions stay readable',
      tag: 'flows',
      access: 'flows.write',
      params: IdParams,
      status: 204,
      async handler({ params, auth, req }) {
        await publishing.remove(auth.tenant.id, params.id, by(auth, req));
        return undefined;
      },
    }),

    route({
      method: 'post',
      path: '/flows/:id/duplicate',
      summary: 'Copy a flow’s draft and sample input into a new flow (unpublished)',
      tag: 'flows',
      access: 'flows.write',
      params: IdParams,
      status: 201,
      response: FlowDetail,
      async handler({ params, auth }) {
        const source = await mustGet(auth, params.id);
        const suffix = auth.tenant.settings.locale === 'en' ? ' (copy)' : ' (نسخة)';
        const name = source.name.slice(0, 200 - suffix.length) + suffix;
        const draft = { ...(source.draft as Record<string, unknown>), name };
        return detail(auth, await flowsOf(auth).create(draft, { sampleInput: source.sampleInput }));
      },
    }),

    route({
      method: 'get',
      path: '/flows/:id/versions',
      summary: 'Published versions, newest first',
      tag: 'flows',
      access: 'flows.read',
      params: IdParams,
      response: Type.Object({ items: Type.Array(VersionMeta) }, { additionalProperties: false }),
      async handler({ params, auth }) {
        const flow = await mustGet(auth, params.id);
        return { items: (await flowsOf(auth).versions(flow.id)).map(versionMeta) };
      },
    }),

    route({
      method: 'get',
      path: '/flows/:id/versions/:version',
      summary: 'One published version (immutable)',
      tag: 'flows',
      access: 'flows.read',
      params: VersionParams,
      response: VersionDetail,
      async handler({ params, auth }) {
        const flow = await mustGet(auth, params.id);
        const v = await flowsOf(auth).versionRecord(flow.id, params.version);
        if (!v) throw notFound('version');
        return { ...versionMeta(v), definition: v.definition };
      },
    }),

    route({
      method: 'get',
      path: '/flows/:id/diff',
      summary: 'RFC 6902 JSON Patch between two versions, or a version and the draft',
      tag: 'flows',
      access: 'flows.read',
      params: IdParams,
      query: Type.Object(
        {
          from: Type.Optional({ ...VersionOrDraft, description: 'Default: the published version' }),
          to: Type.Optional({ ...VersionOrDraft, description: 'Default: draft' }),
        },
        { additionalProperties: false },
      ),
      response: Type.Object(
        { from: Type.Union([Type.Integer(), Type.Literal('draft')]), to: Type.Union([Type.Integer(), Type.Literal('draft')]), patch: Type.Array(JsonPatchOperation) },
        { additionalProperties: false },
      ),
      async handler({ params, query, auth }) {
        const flow = await mustGet(auth, params.id);
        const from = query.from ?? (flow.publishedVersion === null ? undefined : String(flow.publishedVersion));
        if (from === undefined) throw new ApiError(400, 'invalid_request', 'the flow has no published version: name `from`', [{ path: '/query/from', code: 'required', message: 'from is required' }]);
        const to = query.to ?? 'draft';
        const patch = flowDiff(await documentAt(auth, flow, from), await documentAt(auth, flow, to));
        const label = (v: string) => (v === 'draft' ? 'draft' : Number(v));
        return { from: label(from), to: label(to), patch };
      },
    }),

    route({
      method: 'post',
      path: '/flows/:id/publish',
      summary: 'Publish the draft as a new version (201), or, with Class B nodes and no flows.publish.classB, request approval (202 {request})',
      tag: 'flows',
      access: 'flows.publish',
      params: IdParams,
      query: Type.Object({ revision: Type.Optional(Type.Integer({ minimum: 1, description: 'Publish only if the draft is still at this revision' })) }, { additionalProperties: false }),
      status: 201,
      response: Type.Object({ version: VersionMeta }, { additionalProperties: false }),
      successes: { 202: { description: 'publish request created (Class B nodes; an admin approves)', schema: Type.Object({ request: PublishRequestSummary }, { additionalProperties: false }) } },
      errors: { 409: 'revision_conflict' },
      async handler({ params, query, auth, req, res }) {
        const outcome = await publishing.publish(auth.tenant.id, params.id, { ...(query.revision !== undefined ? { revision: query.revision } : {}), mayPublishClassB: allowed(auth, 'flows.publish.classB') }, by(auth, req));
        if (outcome.kind === 'request') {
          res.status(202).json({ request: requestView(outcome.request, ctx.registry) });
          return undefined;
        }
        return { version: versionMeta(outcome.version) };
      },
    }),

    route({
      method: 'post',
      path: '/flows/:id/rollback',
      summary: 'Publish a new version equal to an earlier one (needs flows.publish.classB when it has Class B nodes)',
      tag: 'flows',
      access: 'flows.publish',
      params: IdParams,
      body: Type.Object({ version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
      status: 201,
      response: Type.Object({ version: VersionMeta }, { additionalProperties: false }),
      async handler({ params, body, auth, req }) {
        const flow = await mustGet(auth, params.id);
        return { version: versionMeta(await publishing.rollback(auth.tenant.id, flow, body.version, { mayPublishClassB: allowed(auth, 'flows.publish.classB') }, by(auth, req))) };
      },
    }),

    // Pause (webhooks answer 404, schedules stop; running executions carry on) and resume.
    ...(
      [
        ['pause', false, 'Pause: webhooks answer 404 and schedules stop until resumed (running executions carry on)'],
        ['resume', true, 'Resume a paused flow: its published version answers webhooks and schedules again'],
      ] as const
    ).map(([action, live, summary]) =>
      route({
        method: 'post',
        path: `/flows/:id/${action}`,
        summary,
        tag: 'flows',
        access: 'flows.publish',
        params: IdParams,
        response: FlowDetail,
        errors: { 409: 'not_published: the flow has no published version' },
        async handler({ params, auth, req }) {
          return detail(auth, await publishing.setLive(auth.tenant.id, params.id, live, by(auth, req)));
        },
      }),
    ),

    route({
      method: 'post',
      path: '/flows/:id/test-runs',
      summary: 'Run the current draft (mode test) on the given input or the pinned sample; 200 with the result, or 202 while it runs',
      tag: 'flows',
      access: 'flows.test',
      params: IdParams,
      body: Type.Object(
        {
          input: Type.Optional(Type.Unknown({ description: "The trigger's payload; default: the pinned sample input, else {}" })),
          trigger: Type.Optional(Type.String({ maxLength: 64, description: 'Trigger node id; default: the first trigger.manual, else the first trigger' })),
        },
        { additionalProperties: false },
      ),
      response: TestRunResult,
      successes: { 202: { description: 'still running or waiting (status queued, running or waiting); poll GET /executions/:id', schema: TestRunResult } },
      async handler({ params, body, auth, req, res }) {
        const flow = await mustGet(auth, params.id);
        const { answer, finished } = await publishing.testRun(auth.tenant.id, flow, body, by(auth, req));
        if (!finished) {
          res.status(202).json(answer);
          return undefined;
        }
        return answer;
      },
    }),
  ];
}

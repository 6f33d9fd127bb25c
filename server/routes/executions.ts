// Executions of the caller's tenant: list (filters, newest first, cursor pages), detail with
// steps, cancel, replay from a step (same or edited input), and pruning by the retention
// policy. Another tenant's execution id answers 404 on every route.
import { Type } from '@sinclair/typebox';
import { TERMINAL_STATUSES, replayStepOf, stepIdOf, type ExecutionStatus as EngineExecutionStatus } from '../../engine/index.js';
import { decodeCursor, encodeCursor } from '../../db/execution-repository.js';
import { cutoffOf, pruneExecutions, retentionDaysOf } from '../../db/execution-pruner.js';
import { ApiError, notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { actorOf } from '../auth/auth-context.js';
import { route, type RouteSpec } from '../http/route.js';
import { IdParams, Nullable } from '../schemas/common.js';
import { EXECUTION_STATUSES, Execution, ExecutionStatus, ExecutionSummary } from '../schemas/executions.js';
import { requestIdOf } from '../auth/route-helpers.js';

const STATUSES = EXECUTION_STATUSES satisfies readonly EngineExecutionStatus[];
const STATUS_LIST = `^(${STATUSES.join('|')})(,(${STATUSES.join('|')}))*$`;
/** Executions in these states may be replayed. */
const REPLAYABLE: readonly string[] = ['failed', 'cancelled'];

const Status = ExecutionStatus;

const ListQuery = Type.Object(
  {
    flowId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    status: Type.Optional(Type.String({ pattern: STATUS_LIST, description: `comma-separated: ${STATUSES.join(', ')}` })),
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'the contact (lead) id' })),
    mode: Type.Optional(Type.String({ minLength: 1, maxLength: 16, description: 'webhook, manual, schedule, replay, …' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'started at or after' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'started before' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

const ExecutionDetail = Execution;

const ReplayBody = Type.Object(
  {
    fromStep: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'a step id (<executionId>:<seq>) or a node id (its latest step); default: the failed step' }),
    ),
    input: Type.Optional(Type.Unknown({ description: 'the input to run that step with instead of its original one' })),
  },
  { additionalProperties: false },
);

const PruneBody = Type.Object(
  {
    olderThanDays: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 36500, description: 'delete executions finished more than this many days ago (default: the tenant’s retentionDays, 30 when unset)' }),
    ),
  },
  { additionalProperties: false },
);

const isTerminal = (status: string): boolean => (TERMINAL_STATUSES as readonly string[]).includes(status);

export function executionRoutes(ctx: AppContext): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/executions',
      summary: 'Executions, newest first: filter by flow, status, subject (contact), mode and start time; cursor pages',
      tag: 'executions',
      access: 'executions.read',
      query: ListQuery,
      response: Type.Object(
        { items: Type.Array(ExecutionSummary), nextCursor: Nullable(Type.String({ description: 'pass as `cursor` for the next page; null on the last page' })) },
        { additionalProperties: false },
      ),
      async handler({ query, auth }) {
        const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
        if (after === null) {
          throw new ApiError(400, 'invalid_request', '/query/cursor: not a cursor this API issued', [
            { path: '/query/cursor', code: 'invalid_cursor', message: 'not a cursor this API issued (pass nextCursor unchanged)' },
          ]);
        }
        const page = await ctx.executions(auth.tenant.id).list({
          limit: query.limit ?? 50,
          ...(query.flowId !== undefined ? { flowId: query.flowId } : {}),
          ...(query.status !== undefined ? { statuses: [...new Set(query.status.split(','))] as EngineExecutionStatus[] } : {}),
          ...(query.subject !== undefined ? { subject: query.subject } : {}),
          ...(query.mode !== undefined ? { mode: query.mode } : {}),
          ...(query.from !== undefined ? { from: Date.parse(query.from) } : {}),
          ...(query.to !== undefined ? { to: Date.parse(query.to) } : {}),
          ...(after ? { after } : {}),
        });
        return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
      },
    }),
    route({
      method: 'get',
      path: '/executions/:id',
      summary: 'An execution with its steps, ports, outputs, errors and timings',
      tag: 'executions',
      access: 'executions.read',
      params: IdParams,
      response: ExecutionDetail,
      errors: { 404: 'no such execution in this tenant' },
      async handler({ params, auth }) {
        const execution = await ctx.executions(auth.tenant.id).get(params.id);
        if (!execution) throw notFound('execution');
        return execution;
      },
    }),
    route({
      method: 'post',
      path: '/executions/:id/cancel',
      summary: 'Cancel a queued, running or waiting execution (an in-flight step is aborted, waits are cleared)',
      tag: 'executions',
      access: 'executions.manage',
      params: IdParams,
      response: Type.Object({ id: Type.String(), status: Status }, { additionalProperties: false }),
      errors: { 404: 'no such execution in this tenant', 409: 'the execution has already finished' },
      async handler({ params, auth, req }) {
        const repo = ctx.executions(auth.tenant.id);
        const before = await repo.summary(params.id);
        if (!before) throw notFound('execution');
        const finished = (status: string): ApiError => new ApiError(409, 'execution_finished', `the execution has already finished (${status})`);
        if (isTerminal(before.status)) throw finished(before.status);
        const actor = actorOf(auth);
        await ctx.runtime.cancel(params.id, `cancelled by ${actor}`);
        const after = await repo.summary(params.id);
        if (!after) throw notFound('execution');
        // It finished on its own between our read and the cancellation.
        if (after.status !== 'cancelled') throw finished(after.status);
        await ctx.audit(auth.tenant.id).record({ actor, action: 'execution.cancel', target: params.id, details: { previousStatus: before.status, flowId: before.flowId }, requestId: requestIdOf(req) });
        return { id: params.id, status: after.status };
      },
    }),
    route({
      method: 'post',
      path: '/executions/:id/replay',
      summary: 'Replay a failed or cancelled execution from a step (default: the failed one), with its original or an edited input',
      tag: 'executions',
      access: 'executions.manage',
      params: IdParams,
      body: ReplayBody,
      status: 201,
      response: Type.Object({ executionId: Type.String({ description: 'the new execution (mode replay)' }) }, { additionalProperties: false }),
      errors: {
        400: 'fromStep names no step of the execution, or is needed (nothing failed)',
        404: 'no such execution in this tenant',
        409: 'the execution is not failed or cancelled, or its history no longer leads to the step',
      },
      async handler({ params, body, auth, req }) {
        const tenantId = auth.tenant.id;
        const original = await ctx.executions(tenantId).history(params.id);
        if (!original) throw notFound('execution');
        if (!REPLAYABLE.includes(original.status)) {
          throw new ApiError(409, 'not_replayable', `only failed or cancelled executions can be replayed; this one is ${original.status}`);
        }
        const flow = await ctx.flows(tenantId).version(original.flowId, original.flowVersion);
        if (!flow) throw new ApiError(409, 'not_replayable', `flow ${original.flowId} version ${original.flowVersion} no longer exists`);
        const fromSeq = replayStepOf(original.id, original.steps, body.fromStep);
        const trigger = original.steps.find((s) => s.seq === 0);
        const { executionId } = await ctx.runtime.startExecution({
          tenantId,
          flowId: original.flowId,
          flowVersion: original.flowVersion,
          flow,
          trigger: trigger?.node ?? '',
          payload: trigger?.input ?? null,
          mode: 'replay',
          subject: original.subject,
          durable: true,
          admit: true,
          replay: { of: original.id, plan: { steps: original.steps, fromSeq, input: body.input } },
        });
        const node = original.steps.find((s) => s.seq === fromSeq)?.node;
        // The input itself is not audited (it may hold personal data); only that it was edited.
        await ctx.audit(tenantId).record({
          actor: actorOf(auth),
          action: 'execution.replay',
          target: executionId,
          details: { replayOf: original.id, fromStep: stepIdOf(original.id, fromSeq), node, inputEdited: body.input !== undefined },
          requestId: requestIdOf(req),
        });
        return { executionId };
      },
    }),
    route({
      method: 'post',
      path: '/executions/prune',
      summary: 'Delete the tenant’s executions (with their steps and waits) that finished longer ago than the retention period',
      tag: 'executions',
      access: 'executions.prune',
      body: PruneBody,
      response: Type.Object({ deleted: Type.Integer({ minimum: 0 }), olderThanDays: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
      async handler({ body, auth, req }) {
        const tenantId = auth.tenant.id;
        const olderThanDays = body.olderThanDays ?? retentionDaysOf(auth.tenant.settings);
        const deleted = await pruneExecutions(ctx.db, tenantId, cutoffOf(olderThanDays));
        await ctx.audit(tenantId).record({ actor: actorOf(auth), action: 'executions.prune', target: null, details: { olderThanDays, deleted }, requestId: requestIdOf(req) });
        return { deleted, olderThanDays };
      },
    }),
  ];
}

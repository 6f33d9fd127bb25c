// The workflows that change what runs: publish (or, with Class B nodes and no
// flows.publish.classB, a publish request), approve and reject a request, roll back, pause and
// resume, delete, and test-run the draft. Each change and its audit entry share a transaction
// (db/flow-repository.ts publishTransaction); afterwards the schedules are re-armed here (other
// processes catch up on their refresh). The routes (server/routes/flows.ts) check the request
// and delegate; the decisions are described there.
import { TERMINAL_STATUSES, validateFlow, type Flow, type FlowError } from '../../engine/index.js';
import { RevisionConflictError, classBNodes, type FlowRecord, type FlowRepository, type VersionRecord } from '../../db/flow-repository.js';
import { PublishRequestRepository, type PublishRequest } from '../../db/publish-request-repository.js';
import type { Query } from '../../db/sql-executor.js';
import { ApiError, notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';

export type FlowPublishingContext = Pick<AppContext, 'db' | 'flows' | 'audit' | 'registry' | 'scheduler' | 'log' | 'runtime' | 'executions' | 'config'>;

export interface Actor {
  actor: string;
  requestId: string | null;
}

const TEST_RUN_WAIT_MS = 10_000;

export function invalidFlow(problems: FlowError[]): ApiError {
  return new ApiError(400, 'invalid_flow', `the flow has ${problems.length} problem${problems.length === 1 ? '' : 's'}`, problems);
}

const notPending = (r: PublishRequest): ApiError => new ApiError(409, 'request_not_pending', `the request is ${r.status}`);

export class FlowPublishing {
  constructor(private readonly ctx: FlowPublishingContext) {}

  requests(tenantId: string): PublishRequestRepository {
    return new PublishRequestRepository(this.ctx.db, tenantId);
  }

  private audit(tenantId: string, by: Actor, q: Query, action: string, target: string, details: Record<string, unknown>): Promise<void> {
    return this.ctx.audit(tenantId).record({ actor: by.actor, action, target, details, requestId: by.requestId }, q);
  }

  /** Publishes, pauses and deletes change which schedules exist: re-arm now. */
  private async reloadSchedules(): Promise<void> {
    await this.ctx.scheduler.reload().catch((err: unknown) => this.ctx.log.error({ err }, 'schedule reload failed'));
  }

  /** validateFlow's report and the publish-time webhook checks, all at once. */
  async problemsOf(repo: FlowRepository, flowId: string, draft: unknown, q?: Query): Promise<{ flow: Flow | null; problems: FlowError[] }> {
    const checked = validateFlow(draft, this.ctx.registry);
    const webhook = await repo.webhookProblems(draft, flowId, q);
    return { flow: checked.ok ? checked.flow : null, problems: [...(checked.ok ? [] : checked.errors), ...webhook] };
  }

  /**
   * Publish the draft (optionally only at `revision`): a new version, or a publish request when
   * it has Class B nodes and the caller may not publish those.
   */
  async publish(
    tenantId: string,
    flowId: string,
    options: { revision?: number; mayPublishClassB: boolean },
    by: Actor,
  ): Promise<{ kind: 'request'; request: PublishRequest } | { kind: 'version'; version: VersionRecord }> {
    const repo = this.ctx.flows(tenantId);
    const outcome = await repo.publishTransaction(async (q): Promise<{ kind: 'request'; request: PublishRequest } | { kind: 'version'; version: number }> => {
      const flow = await repo.get(flowId, q);
      if (!flow) throw notFound('flow');
      if (options.revision !== undefined && options.revision !== flow.revision) throw new RevisionConflictError(options.revision, flow.revision, '/query/revision');
      const { flow: valid, problems } = await this.problemsOf(repo, flow.id, flow.draft, q);
      if (!valid || problems.length) throw invalidFlow(problems);
      const classB = classBNodes(valid, this.ctx.registry);
      if (classB.length && !options.mayPublishClassB) {
        const request = await this.requests(tenantId).create(q, { flowId: flow.id, definition: valid, revision: flow.revision, requestedBy: by.actor });
        await this.audit(tenantId, by, q, 'flow.publish_request', flow.id, { requestId: request.id, revision: flow.revision, classBNodes: classB });
        return { kind: 'request', request };
      }
      const published = await repo.publishIn(q, flow.id, valid, { createdBy: by.actor, origin: { kind: 'publish', revision: flow.revision } });
      await this.audit(tenantId, by, q, 'flow.publish', flow.id, { version: published.version, revision: flow.revision });
      return { kind: 'version', version: published.version };
    });
    if (outcome.kind === 'request') return outcome;
    await this.reloadSchedules();
    return { kind: 'version', version: (await repo.versionRecord(flowId, outcome.version))! };
  }

  /** Publish a new version equal to `version` (history is never rewritten; the draft stays). */
  async rollback(tenantId: string, flow: FlowRecord, version: number, options: { mayPublishClassB: boolean }, by: Actor): Promise<VersionRecord> {
    const repo = this.ctx.flows(tenantId);
    const target = await repo.versionRecord(flow.id, version);
    if (!target) throw notFound('version');
    const classB = classBNodes(target.definition, this.ctx.registry);
    if (classB.length && !options.mayPublishClassB) {
      throw new ApiError(403, 'forbidden', `version ${version} has Class B nodes: rolling back to it needs flows.publish.classB`, [
        { path: '/body/version', code: 'class_b', message: `nodes ${classB.map((n) => n.id).join(', ')} are Class B` },
      ]);
    }
    const checked = validateFlow(target.definition, this.ctx.registry);
    if (!checked.ok) throw invalidFlow(checked.errors);
    const published = await repo.publishTransaction(async (q) => {
      const p = await repo.publishIn(q, flow.id, checked.flow, { createdBy: by.actor, origin: { kind: 'rollback', fromVersion: version } });
      await this.audit(tenantId, by, q, 'flow.rollback', flow.id, { version: p.version, fromVersion: version });
      return p;
    });
    await this.reloadSchedules();
    return (await repo.versionRecord(flow.id, published.version))!;
  }

  /** Approve a pending request: publish exactly the snapshot that was requested. */
  async approve(tenantId: string, requestId: string, by: Actor): Promise<{ request: PublishRequest; version: VersionRecord }> {
    const repo = this.ctx.flows(tenantId);
    const requests = this.requests(tenantId);
    const published = await repo.publishTransaction(async (q) => {
      const r = await requests.get(requestId, q);
      if (!r) throw notFound('publish request');
      if (r.status !== 'pending') throw notPending(r);
      const checked = validateFlow(r.definition, this.ctx.registry);
      if (!checked.ok) throw invalidFlow(checked.errors);
      const p = await repo.publishIn(q, r.flowId, checked.flow, { createdBy: by.actor, origin: { kind: 'approval', requestId: r.id, requestedBy: r.requestedBy }, approving: r.id });
      await requests.decide(q, r.id, { status: 'approved', by: by.actor, version: p.version });
      await this.audit(tenantId, by, q, 'flow.publish_request.approve', r.flowId, { requestId: r.id, version: p.version, requestedBy: r.requestedBy });
      return p;
    });
    await this.reloadSchedules();
    const [request, version] = await Promise.all([requests.get(requestId), repo.versionRecord(published.flowId, published.version)]);
    return { request: request!, version: version! };
  }

  async reject(tenantId: string, requestId: string, reason: string, by: Actor): Promise<PublishRequest> {
    const requests = this.requests(tenantId);
    await this.ctx.flows(tenantId).transaction(async (q) => {
      const r = await requests.get(requestId, q);
      if (!r) throw notFound('publish request');
      if (r.status !== 'pending') throw notPending(r);
      await requests.decide(q, r.id, { status: 'rejected', by: by.actor, reason });
      await this.audit(tenantId, by, q, 'flow.publish_request.reject', r.flowId, { requestId: r.id, reason, requestedBy: r.requestedBy });
    });
    return (await requests.get(requestId))!;
  }

  /** Pause (live false) or resume a published flow. */
  async setLive(tenantId: string, flowId: string, live: boolean, by: Actor): Promise<FlowRecord> {
    const action = live ? 'flow.resume' : 'flow.pause';
    const { outcome, flow } = await this.ctx.flows(tenantId).setLive(flowId, live, (q, f) => this.audit(tenantId, by, q, action, f.id, { publishedVersion: f.publishedVersion }));
    if (outcome === 'not_published') throw new ApiError(409, 'not_published', 'the flow has no published version to pause or resume');
    if (outcome === 'changed') await this.reloadSchedules();
    return flow;
  }

  /** Delete (soft): webhooks unbound, schedules stopped, pending requests cancelled. */
  async remove(tenantId: string, flowId: string, by: Actor): Promise<void> {
    await this.ctx.flows(tenantId).remove(flowId, (q, flow) => this.audit(tenantId, by, q, 'flow.delete', flow.id, { name: flow.name, publishedVersion: flow.publishedVersion }));
    await this.reloadSchedules();
  }

  /**
   * Run the valid draft in test mode on `input` (else the pinned sample, else {}), from `trigger`
   * (else the first trigger.manual, else the first trigger); wait up to 10 s for the end.
   */
  async testRun(tenantId: string, flow: FlowRecord, request: { input?: unknown; trigger?: string }, by: Actor) {
    const checked = validateFlow(flow.draft, this.ctx.registry);
    if (!checked.ok) throw invalidFlow(checked.errors);
    const triggers = checked.flow.nodes.filter((n) => this.ctx.registry.get(n.type)?.trigger);
    const trigger = request.trigger !== undefined ? triggers.find((n) => n.id === request.trigger) : (triggers.find((n) => n.type === 'trigger.manual') ?? triggers[0]);
    if (!trigger) throw new ApiError(400, 'invalid_request', `no trigger node "${request.trigger}" in the draft`, [{ path: '/body/trigger', code: 'unknown_trigger', message: 'not a trigger node of the draft' }]);
    const input = request.input !== undefined ? request.input : (flow.sampleInput ?? {});
    const version = await this.ctx.flows(tenantId).testSnapshot(flow.id, checked.flow, by.actor);
    const { executionId } = await this.ctx.runtime.startExecution({ tenantId, flowId: flow.id, flowVersion: version, flow: checked.flow, trigger: trigger.id, payload: input, mode: 'test', durable: true });
    const result = await this.ctx.runtime.result(executionId, true, Math.min(TEST_RUN_WAIT_MS, this.ctx.config.webhookWaitMs || TEST_RUN_WAIT_MS));
    const view = await this.ctx.executions(tenantId).get(executionId);
    const answer = { executionId, flowVersion: version, status: view?.status ?? result.status, output: result.output ?? null, error: result.error ?? null, steps: view?.steps ?? [] };
    return { answer, finished: (TERMINAL_STATUSES as readonly string[]).includes(result.status) };
  }
}

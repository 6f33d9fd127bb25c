// Runs one node activation: resolve expressions, check params, call execute() with a ctx
// holding only what a node may use, and turn whatever happens into a stepper event.
import type { Flow } from '../flow/flow.schema.js';
import type { NodeRegistry } from '../node-contract/node-registry.js';
import type { GuardedFetch, NodeContext, NodeResult, NodeType } from '../node-contract/define-node.js';
import type { ExecutionState, StepError, StepperEvent } from '../stepper/execution-state.js';
import type { ExecutionMeta } from './run-store.js';
import { ExpressionError, resolveParams, type ExpressionScope } from '../expressions/expression.js';
import type { ExpressionLimits } from '../expressions/expression-budget.js';
import { resolvedParamsValidator, schemaErrors } from '../flow/validate-flow.js';
import { NodeFailure } from '../errors/node-failure.error.js';
import { riyadhIso } from '../time/riyadh.js';
import { indexFlow } from '../stepper/flow-index.js';
import { RateLimited, type RateLimiter } from './rate-limiter.js';
import type { LlmServiceFactory } from '../llm/types.js';
import type { Outbox, SendRequest } from '../outbox/send-contract.js';
import type { Channel } from '../outbox/send-policy.js';
import type { CrmGateway, DocumentGateway, EscalationGateway, StepIdentity } from '../node-contract/sales-services.js';

export interface StepRunnerDeps {
  registry: NodeRegistry;
  http(meta: ExecutionMeta): GuardedFetch;
  vars(meta: ExecutionMeta): Record<string, unknown>;
  /** The budget of the tenant's expressions; DEFAULT_EXPRESSION_LIMITS when absent. */
  expressionLimits?(meta: ExecutionMeta): ExpressionLimits;
  /** `$contact` and ctx.contact of a run: the subject's fields (may load them), or null. */
  contact(meta: ExecutionMeta): unknown;
  now(): Date;
  /** Largest JSON output a step may store (bytes); bigger outputs fail the step. */
  maxOutputBytes: number;
  /** Wall-time limit of one node run; past it the step fails (retryable) and its signal aborts. */
  stepTimeoutMs: number;
  /** Send-rate limits shared by the runtime's processes; absent = no limit. */
  rateLimiter?: RateLimiter;
  /** Looks up a tenant's credentials for ctx.credential(); absent = none can be found. */
  credentials?: CredentialResolver;
  /** Builds ctx.llm for a step (server/llm/); absent = nodes answer from their rules. */
  llm?: LlmServiceFactory;
  /** The outbox behind ctx.send() and ctx.consent() (server/outbox/); absent = sends fail with outbox_unavailable. */
  outbox?: Outbox;
  /** The escalation inbox behind ctx.escalations (server/escalations/); absent = ctx.escalations undefined. */
  escalations?: EscalationGateway;
  /** Lead and deal updates behind ctx.crm (server/crm/); absent = ctx.crm undefined. */
  crm?: CrmGateway;
  /** The document store behind ctx.documents (server/documents/); absent = ctx.documents undefined. */
  documents?: DocumentGateway;
}

/**
 * Resolves a credential of `tenantId` by name for a node accepting the types in `accepts`:
 * its decrypted data, or a NodeFailure (credential_not_found, credential_type_mismatch).
 */
export type CredentialResolver = (request: { tenantId: string; name: string; accepts: readonly string[] }) => Promise<Record<string, string>>;

/** ctx.credential() of one node run: only node types that declare credential types get any. */
function credentialAccess(deps: StepRunnerDeps, nodeType: NodeType, tenantId: string): (name: string) => Promise<Record<string, string>> {
  const accepts = nodeType.credentials ?? [];
  return async (name) => {
    if (accepts.length === 0) {
      throw new NodeFailure('credential_not_allowed', `node type ${nodeType.type} does not use credentials`, { retryable: false });
    }
    if (typeof name !== 'string' || name === '') throw new NodeFailure('credential_not_found', 'no credential name given', { retryable: false });
    if (!deps.credentials) throw new NodeFailure('credential_not_found', `no credential named "${name}"`, { retryable: false });
    return deps.credentials({ tenantId, name, accepts });
  };
}

/**
 * ctx.send(), ctx.consent() and ctx.connected() of one node run. The outbox key is the step id
 * (`<execution>:<seq>`), the same for every attempt, so a step that runs again never sends twice.
 */
function outboxAccess(
  deps: StepRunnerDeps,
  run: { meta: ExecutionMeta; flow: Flow },
  node: { id: string },
  seq: number,
  rateLimit: (key: string, limits: { perSecond?: number; perDay?: number }) => Promise<void>,
  signal: AbortSignal,
): Pick<NodeContext<unknown>, 'send' | 'consent' | 'connected'> {
  const unavailable = (): NodeFailure => new NodeFailure('outbox_unavailable', 'this runtime has no outbox: messages cannot be sent', { retryable: false });
  return {
    send: async (request: SendRequest) => {
      if (!deps.outbox) throw unavailable();
      const origin = { tenantId: run.meta.tenantId, executionId: run.meta.id, flowId: run.meta.flowId, nodeId: node.id, stepId: `${run.meta.id}:${seq}`, flowVersion: run.meta.flowVersion };
      return deps.outbox.send(origin, request, signal, { rateLimit });
    },
    consent: async (channel: Channel, purpose: string, contactId?: string) => {
      if (!deps.outbox) throw unavailable();
      const id = contactId ?? run.meta.subject;
      if (!id) return { ok: false, reason: 'no_contact' };
      return deps.outbox.consent(run.meta.tenantId, id, channel, purpose);
    },
    connected: (port: string) => indexFlow(run.flow).hasEdgesFrom(node.id, port),
  };
}

/** ctx.escalations, ctx.crm and ctx.documents of one node run, bound to its step. */
function salesAccess(deps: StepRunnerDeps, step: StepIdentity): Pick<NodeContext<unknown>, 'escalations' | 'crm' | 'documents'> {
  const { escalations, crm, documents } = deps;
  return {
    ...(escalations ? { escalations: { open: (request) => escalations.open(step, request) } } : {}),
    ...(crm ? { crm: { update: (request) => crm.update(step, request) } } : {}),
    ...(documents ? { documents: { store: (request) => documents.store(step, request) } } : {}),
  };
}

export interface RunCommand {
  seq: number;
  node: string;
  input: unknown;
  attempt: number;
}

const MAX_LOG_LINES = 200;
const MAX_LOG_LINE = 2000;

/** One step log line from console-style arguments (strings as is, the rest as JSON), capped. */
export function formatLog(args: unknown[]): string {
  const line = args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' ');
  return line.length > MAX_LOG_LINE ? line.slice(0, MAX_LOG_LINE) + '…' : line;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export function toStepError(err: unknown): StepError {
  if (err instanceof NodeFailure) {
    return {
      code: err.code,
      message: err.message,
      retryable: err.retryable,
      ...(err.path ? { path: err.path } : {}),
      ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    };
  }
  if (err instanceof ExpressionError) {
    return { code: err.code, message: err.message, path: err.path, retryable: false };
  }
  const e = err as { name?: string; message?: string };
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return { code: 'timeout', message: e.message ?? 'aborted', retryable: true };
  return { code: 'node_error', message: e?.message ?? String(err), retryable: true };
}

/** Run `fn` with a signal that aborts on `parent` or after `ms`; past `ms` it fails retryably. */
async function withTimeLimit<T>(ms: number, parent: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const forward = (): void => controller.abort(parent.reason);
  if (parent.aborted) forward();
  else parent.addEventListener('abort', forward, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const failure = new NodeFailure('step_timeout', `step did not finish within ${ms} ms`, { retryable: true });
      controller.abort(failure);
      reject(failure);
    }, ms);
  });
  try {
    return await Promise.race([fn(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
    parent.removeEventListener('abort', forward);
  }
}

export async function runStep(
  deps: StepRunnerDeps,
  run: { meta: ExecutionMeta; flow: Flow; state: ExecutionState; signal: AbortSignal },
  cmd: RunCommand,
): Promise<StepperEvent> {
  const startedAt = deps.now().toISOString();
  const logs: string[] = [];
  const finish = (): string => deps.now().toISOString();
  const node = indexFlow(run.flow).find(cmd.node);
  const nodeType = node && deps.registry.get(node.type);
  if (!node || !nodeType) {
    const error: StepError = { code: 'unknown_node_type', message: `no node type for "${cmd.node}"`, retryable: false };
    return { type: 'stepFailed', seq: cmd.seq, attempt: cmd.attempt, error, startedAt, at: finish() };
  }
  try {
    const scope: ExpressionScope = {
      input: cmd.input,
      trigger: run.state.trigger,
      nodes: run.state.nodes,
      vars: deps.vars(run.meta),
      // Awaited: a runtime may load the contact from storage (a failed load fails the step, retryably).
      contact: await deps.contact(run.meta),
      now: riyadhIso(deps.now()),
      execution: { id: run.meta.id, flowId: run.meta.flowId, stepId: `${run.meta.id}:${cmd.seq}` },
      ...(deps.expressionLimits ? { limits: deps.expressionLimits(run.meta) } : {}),
    };
    const params = await resolveParams(node.params ?? {}, scope);
    const validate = resolvedParamsValidator(nodeType);
    if (!validate(params)) {
      const first = schemaErrors(validate.errors, '/params')[0];
      throw new NodeFailure('invalid_params', `params after expressions: ${first?.path ?? ''} ${first?.message ?? 'invalid'}`, {
        retryable: false,
        ...(first ? { path: first.path } : {}),
      });
    }
    const ctx = {
      params: params as never,
      input: cmd.input,
      node: { id: node.id, type: node.type, ...(node.label ? { label: node.label } : {}) },
      execution: { id: run.meta.id, tenantId: run.meta.tenantId, flowId: run.meta.flowId, subject: run.meta.subject },
      attempt: cmd.attempt,
      contact: scope.contact,
      scope: { trigger: scope.trigger, nodes: scope.nodes, vars: scope.vars },
      http: deps.http(run.meta),
      log: (...args: unknown[]) => {
        if (logs.length < MAX_LOG_LINES) logs.push(formatLog(args));
      },
      now: deps.now,
      signal: run.signal,
      rateLimit: async (key: string, limits: { perSecond?: number; perDay?: number }) => {
        if (!deps.rateLimiter) return;
        // Keys are per tenant: one tenant's sends never use up another's limits.
        const wait = await deps.rateLimiter.take(`${run.meta.tenantId}:${key}`, limits, deps.now().getTime());
        if (wait > 0) throw new RateLimited(key, wait);
      },
      credential: credentialAccess(deps, nodeType, run.meta.tenantId),
      ...(deps.llm
        ? { llm: deps.llm({ tenantId: run.meta.tenantId, executionId: run.meta.id, flowId: run.meta.flowId, stepId: `${run.meta.id}:${cmd.seq}`, nodeType: node.type, http: deps.http(run.meta) }) }
        : {}),
      ...salesAccess(deps, { tenantId: run.meta.tenantId, executionId: run.meta.id, flowId: run.meta.flowId, stepId: `${run.meta.id}:${cmd.seq}`, nodeId: node.id, subject: run.meta.subject }),
    };
    // ctx.send() follows the signal the node gets (the time-limited one for side-effect nodes).
    const withOutbox = (signal: AbortSignal) => Object.assign(ctx, { signal }, outboxAccess(deps, run, node, cmd.seq, ctx.rateLimit, signal));
    // Nodes that wait on the outside world (HTTP, sandboxes, providers) get a wall-time limit,
    // so no step holds an execution forever. Logic and data nodes finish by construction and
    // skip the timer (it is a measurable share of a pure step's cost).
    const limited = nodeType.sideEffects || nodeType.category === 'integration';
    const result: NodeResult = limited
      ? await withTimeLimit(deps.stepTimeoutMs, run.signal, (signal) => nodeType.execute(withOutbox(signal)))
      : await nodeType.execute(withOutbox(run.signal));
    if ('wait' in result) return { type: 'stepSuspended', seq: cmd.seq, attempt: cmd.attempt, wait: result.wait, startedAt, at: finish(), logs };
    const output = result.output === undefined ? null : result.output;
    const size = Buffer.byteLength(JSON.stringify(output) ?? 'null');
    if (size > deps.maxOutputBytes) {
      throw new NodeFailure('output_too_large', `output is ${size} bytes; a step may store at most ${deps.maxOutputBytes}`, { retryable: false });
    }
    return { type: 'stepSucceeded', seq: cmd.seq, attempt: cmd.attempt, port: result.port, output, startedAt, at: finish(), logs };
  } catch (err) {
    const error = { ...toStepError(err), node: node.id };
    return { type: 'stepFailed', seq: cmd.seq, attempt: cmd.attempt, error, startedAt, at: finish(), logs };
  }
}

// Test harness for node types: validates and defaults params the way the engine does
// (expressions resolved, then the params schema with ajv defaults), builds a NodeContext with
// a fixed clock and collected logs, and calls execute().
import type { Static, TSchema } from '@sinclair/typebox';
import {
  createGuardedFetch,
  formatLog,
  NodeFailure,
  paramsValidator,
  resolveParams,
  riyadhIso,
  schemaErrors,
  type FlowError,
  type GuardedFetch,
  type NodeContext,
  type NodeResult,
  type NodeType,
  type Channel,
  type Outbox,
  type SendRequest,
  type CrmAccess,
  type DocumentAccess,
  type EscalationAccess,
  type LlmService,
} from '../../engine/index.js';

/** The clock of every harness run unless `now` is given: 2026-03-01 12:00 in Riyadh. */
export const FIXED_NOW = new Date('2026-03-01T09:00:00.000Z');

export interface RunNodeOptions {
  /** Params as saved in the flow; may hold expressions. Never mutated. */
  params?: unknown;
  input?: unknown;
  now?: Date | string;
  /** Defaults to createGuardedFetch({ allowPrivateNetwork }) (true unless set). */
  http?: GuardedFetch;
  allowPrivateNetwork?: boolean;
  signal?: AbortSignal;
  attempt?: number;
  contact?: unknown;
  /** Expression scope extras: $trigger (defaults to the input), $nodes, $vars. */
  trigger?: unknown;
  nodes?: Record<string, { output: unknown; port: string }>;
  vars?: Record<string, unknown>;
  nodeId?: string;
  /** Credentials ctx.credential() finds by name (only for node types that declare credential types). */
  credentials?: Record<string, Record<string, string>>;
  /** ctx.llm (e.g. test/helpers/fake-openai.ts fakeLlm()); absent: undefined (ai nodes answer from their rules). */
  llm?: LlmService;
  /** ctx.execution.subject: the contact the execution runs for. */
  subject?: string | null;
  /** The outbox behind ctx.send() and ctx.consent(); absent: they fail with outbox_unavailable. */
  outbox?: Outbox;
  /** Ports with an outgoing edge (ctx.connected); default: every port is connected. */
  connectedPorts?: string[];
  /** ctx.escalations (escalate); absent: undefined. */
  escalations?: EscalationAccess;
  /** ctx.crm (crm.update); absent: undefined. */
  crm?: CrmAccess;
  /** ctx.documents (proposal.pdf stores its PDF); absent: undefined. */
  documents?: DocumentAccess;
}

export interface RunNodeResult<P = unknown> {
  result: NodeResult;
  /** The params execute() received: resolved, validated, defaulted. */
  params: P;
  logs: string[];
}

type ValidatedParams<P> = { ok: true; params: P } | { ok: false; errors: FlowError[] };

/** Validate a copy of `params` against the node's schema (ajv fills defaults into the copy). */
export function validateParams<S extends TSchema>(nodeType: NodeType<S>, params: unknown = {}): ValidatedParams<Static<S>> {
  const copy = structuredClone(params);
  const validate = paramsValidator(nodeType);
  if (!validate(copy)) return { ok: false, errors: schemaErrors(validate.errors) };
  return { ok: true, params: copy as Static<S> };
}

/** Save-time problems of `params`, as validateFlow reports them: schema first, then check(). */
export function checkParams<S extends TSchema>(nodeType: NodeType<S>, params: unknown = {}): FlowError[] {
  const v = validateParams(nodeType, params);
  if (!v.ok) return v.errors;
  return nodeType.check ? nodeType.check(v.params) : [];
}


export async function runNode<S extends TSchema>(nodeType: NodeType<S>, options: RunNodeOptions = {}): Promise<RunNodeResult<Static<S>>> {
  const now = options.now === undefined ? FIXED_NOW : new Date(options.now);
  const input = options.input ?? null;
  const resolved = await resolveParams(structuredClone(options.params ?? {}), {
    input,
    trigger: options.trigger ?? input,
    nodes: options.nodes ?? {},
    vars: options.vars ?? {},
    contact: options.contact ?? null,
    now: riyadhIso(now),
  });
  const v = validateParams(nodeType, resolved);
  if (!v.ok) {
    const first = v.errors[0];
    throw new NodeFailure('invalid_params', `params: ${first?.path ?? ''} ${first?.message ?? 'invalid'}`, {
      retryable: false,
      ...(first ? { path: '/params' + first.path } : {}),
    });
  }
  const logs: string[] = [];
  const ctx: NodeContext<Static<S>> = {
    params: v.params,
    input,
    node: { id: options.nodeId ?? 'n1', type: nodeType.type },
    execution: { id: 'exec-test', tenantId: 'tenant-test', flowId: 'flow-test', subject: options.subject ?? null },
    attempt: options.attempt ?? 1,
    contact: options.contact ?? null,
    scope: { trigger: options.trigger ?? input, nodes: options.nodes ?? {}, vars: options.vars ?? {} },
    http: options.http ?? createGuardedFetch({ allowPrivateNetwork: options.allowPrivateNetwork ?? true }),
    log: (...args: unknown[]) => {
      logs.push(formatLog(args));
    },
    now: () => new Date(now),
    signal: options.signal ?? new AbortController().signal,
    rateLimit: async () => undefined,
    credential: async (name: string) => {
      if (!nodeType.credentials?.length) throw new NodeFailure('credential_not_allowed', `node type ${nodeType.type} does not use credentials`, { retryable: false });
      const data = options.credentials?.[name];
      if (!data) throw new NodeFailure('credential_not_found', `no credential named "${name}"`, { retryable: false });
      return { ...data };
    },
    send: async (request: SendRequest) => {
      if (!options.outbox) throw new NodeFailure('outbox_unavailable', 'no outbox in this test run', { retryable: false });
      const origin = { tenantId: 'tenant-test', executionId: 'exec-test', flowId: 'flow-test', nodeId: options.nodeId ?? 'n1', stepId: 'exec-test:1' };
      return options.outbox.send(origin, request, options.signal ?? new AbortController().signal);
    },
    consent: async (channel: Channel, purpose: string, contactId?: string) => {
      if (!options.outbox) throw new NodeFailure('outbox_unavailable', 'no outbox in this test run', { retryable: false });
      const id = contactId ?? options.subject;
      return id ? options.outbox.consent('tenant-test', id, channel, purpose) : { ok: false, reason: 'no_contact' };
    },
    connected: (port: string) => options.connectedPorts === undefined || options.connectedPorts.includes(port),
    ...(options.escalations ? { escalations: options.escalations } : {}),
    ...(options.crm ? { crm: options.crm } : {}),
    ...(options.documents ? { documents: options.documents } : {}),
    ...(options.llm ? { llm: options.llm } : {}),
  };
  const result = await nodeType.execute(ctx);
  return { result, params: v.params, logs };
}

/** The NodeFailure `promise` rejects with; fails when it resolves or rejects with anything else. */
export async function failureOf(promise: Promise<unknown>): Promise<NodeFailure> {
  let value: unknown;
  try {
    value = await promise;
  } catch (err) {
    if (err instanceof NodeFailure) return err;
    throw new Error(`expected a NodeFailure, got ${String(err)}`, { cause: err });
  }
  throw new Error(`expected a NodeFailure, but it resolved with ${JSON.stringify(value)}`);
}

/** The `{port, output}` of a result; fails on a suspension. */
export function portOutput(result: NodeResult): { port: string; output: unknown } {
  if ('wait' in result) throw new Error(`expected a port result, got a wait: ${JSON.stringify(result.wait)}`);
  return result;
}

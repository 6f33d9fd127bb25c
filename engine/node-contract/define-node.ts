// The node contract (docs/architecture.md "Node contract"): one declarative object per node type.
// `params` is a TypeBox schema, so `execute` receives typed, validated params without casts.
import type { Static, TSchema } from '@sinclair/typebox';
import type { FlowError } from '../flow/flow-error.js';
import type { LlmService } from '../llm/types.js';
import type { SendRequest, SendResult } from '../outbox/send-contract.js';
import type { Channel } from '../outbox/send-policy.js';
import type { CrmAccess, DocumentAccess, EscalationAccess } from './sales-services.js';

export interface Localized {
  en: string;
  ar: string;
}

export interface PortSpec {
  port: string;
  label: Localized;
}

export type NodeCategory = 'trigger' | 'logic' | 'data' | 'time' | 'sales' | 'integration' | 'flow';

/**
 * A credential's name (JSON Schema pattern, unicode): letters of any script, digits, space,
 * "_", "." and "-", starting with a letter or digit, so it can never be an expression ("=…").
 * Params naming a credential use it, which keeps the credentials a flow uses visible in it.
 */
export const CREDENTIAL_NAME_PATTERN = '^[\\p{L}\\p{N}][\\p{L}\\p{M}\\p{N} _.-]{0,99}$';

/** Policy classes (docs/architecture.md): A runs freely, B needs approval to publish (sends, external HTTP). */
export type PolicyClass = 'A' | 'B';

export interface NodeLogger {
  (...args: unknown[]): void;
}

/** HTTP access for nodes, guarded against SSRF by the runtime. */
export interface GuardedFetch {
  (
    url: string,
    init: {
      method: string;
      headers?: Record<string, string>;
      body?: string;
      signal?: AbortSignal;
      /**
       * Names of headers in `headers` that carry a credential (beyond Authorization, Cookie and
       * Proxy-Authorization, always treated so): never sent on after a redirect to another origin.
       */
      secretHeaders?: string[];
    },
  ): Promise<Response>;
}

/** What a node's execute() may use; nothing else of the host is reachable. */
export interface NodeContext<P> {
  params: P;
  input: unknown;
  node: { id: string; type: string; label?: string };
  /** `subject`: the contact the execution runs for (its id), when it has one. */
  execution: { id: string; tenantId: string; flowId: string; subject?: string | null };
  attempt: number;
  contact: unknown;
  /** Read-only run data for nodes that need more than their params (the code step). */
  scope: { trigger: unknown; nodes: Record<string, { output: unknown; port: string }>; vars: Record<string, unknown> };
  http: GuardedFetch;
  log: NodeLogger;
  now(): Date;
  signal: AbortSignal;
  /**
   * Count one send on a channel key (e.g. `whatsapp:<instance>`) against per-second and
   * per-day limits; over them it throws a deferral, and the step runs again when allowed.
   */
  rateLimit(key: string, limits: { perSecond?: number; perDay?: number }): Promise<void>;
  /**
   * The data of the tenant's credential named `name`, decrypted, as strings (numbers and
   * booleans as their JSON text). Only for node types that declare the credential's type in
   * `credentials`; otherwise, or when there is no such credential, the step fails
   * (credential_not_allowed, credential_not_found, credential_type_mismatch). Never put the
   * values in an output or a log line.
   */
  credential(name: string): Promise<Record<string, string>>;
  /**
   * The LLM provider chain (routed by task class, then rules; engine/llm/): structured answers, PII
   * masking per the tenant's llm.external policy, usage recorded per step. Provided by every
   * runtime; optional for hand-built contexts (nodes then use rulesOnlyLlm()).
   */
  llm?: LlmService;
  /**
   * Send a message through the outbox (engine/outbox/send-contract.ts), the only way a node
   * sends: consent is checked at send time, send windows and caps apply (outside them the step
   * is deferred), and a step that runs again never sends twice. Provided by every runtime
   * (it fails with outbox_unavailable when none is configured); optional for hand-built contexts.
   */
  send?(request: SendRequest): Promise<SendResult>;
  /** Consent for (contact, channel, purpose) right now; `contactId` defaults to the execution's subject. */
  consent?(channel: Channel, purpose: string, contactId?: string): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Whether the flow has an edge leaving this node by `port` (a send without a `blocked` edge fails instead). */
  connected?(port: string): boolean;
  /** The escalation inbox (escalate): opening is idempotent per step. Absent when the runtime has none. */
  escalations?: EscalationAccess;
  /** Lead and deal fields (crm.update), with their domain events. Absent when the runtime has none. */
  crm?: CrmAccess;
  /**
   * The tenant's document store (server/documents/): a file stored here gets an id that
   * send.email `attachments` and send.whatsapp `document` take. One document per step (a step
   * that runs again gets its first run's). Absent when the runtime has none.
   */
  documents?: DocumentAccess;
}

export type Wait =
  | { until: string; resume: { port: string; output: unknown } }
  /**
   * Wait for a domain event (Runtime.deliverEvent with the same event and correlation): the
   * node then leaves by `port` (default `out`) with the event's payload; at `timeoutAt` it
   * leaves by `timeoutPort` (default `timeout`) with its input.
   */
  | {
      event: string;
      correlation: string;
      timeoutAt?: string;
      timeoutPort?: string;
      port?: string;
      /** Leave by the port named in this field of the event's payload when it is one of `ports` (else by `port`): e.g. escalate's approved/rejected. */
      portFrom?: { field: string; ports: string[] };
      /** The output at the timeout (default: the node's input). */
      timeoutOutput?: unknown;
    };

export type NodeResult = { port: string; output: unknown } | { wait: Wait };

/**
 * What a trigger answering HTTP binds (trigger.webhook), its defaults applied. Read leniently:
 * a draft's params may be incomplete (a missing path is ''), so the server can check drafts too.
 */
export interface WebhookBinding {
  /** Upper-case. */
  method: string;
  path: string;
  respond: 'immediately' | 'onFinish';
  /** The HMAC signature the caller must send, or null (header lower-case). */
  signature: { credential: string; header: string; toleranceSeconds: number } | null;
}

export interface NodeType<S extends TSchema = TSchema> {
  type: string;
  version: number;
  category: NodeCategory;
  policyClass: PolicyClass;
  /** True when execute() touches the outside world: the runtime commits before and after it. */
  sideEffects: boolean;
  trigger: boolean;
  label: Localized;
  description: Localized;
  icon: string;
  params: S;
  /** Output ports; a function when they depend on params (logic.switch). */
  outputs: PortSpec[] | PortsOf<Static<S>>;
  /** Credential types (server/security/credential-types.ts) ctx.credential() may resolve for this node. */
  credentials?: string[];
  /** Extra save-time checks a schema cannot express (cron syntax, unique case ports). */
  check?(params: Static<S>): FlowError[];
  /**
   * A trigger that answers HTTP: the route its params bind. The server binds, checks and
   * verifies webhooks from this alone (db/flow-repository.ts, server/webhooks/, templates).
   */
  webhook?(params: unknown): WebhookBinding;
  execute(ctx: NodeContext<Static<S>>): Promise<NodeResult>;
}

/** Method-style (bivariant) so a NodeType<Specific> is usable where NodeType is expected. */
type PortsOf<P> = { ports(params: P): PortSpec[] }['ports'];

/** What a node file writes: a NodeType whose defaults (version 1, class A, pure) may be left out. */
export type NodeDefinition<S extends TSchema> = Omit<NodeType<S>, 'version' | 'policyClass' | 'sideEffects' | 'trigger'> &
  Partial<Pick<NodeType<S>, 'version' | 'policyClass' | 'sideEffects'>>;

export function defineNode<S extends TSchema>(def: NodeDefinition<S>): NodeType<S> {
  return {
    ...def,
    version: def.version ?? 1,
    policyClass: def.policyClass ?? 'A',
    sideEffects: def.sideEffects ?? false,
    trigger: def.category === 'trigger',
  };
}

/** The port every node gets when its failures are routed instead of failing the execution. */
export const ERROR_PORT: PortSpec = { port: 'error', label: { en: 'Error', ar: 'خطأ' } };

export function portsOf(nodeType: NodeType, params: unknown): PortSpec[] {
  const outputs = nodeType.outputs;
  if (typeof outputs !== 'function') return outputs;
  try {
    return outputs(params as never);
  } catch {
    return [];
  }
}

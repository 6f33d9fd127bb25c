// The LLM service's contract (ctx.llm): what a node asks for, what it gets back, and the
// settings a tenant controls. Pure types; the chain that fulfils them is chain.ts, the I/O
// (SDK clients, credentials, usage rows) lives in server/llm/.
import type { GuardedFetch } from '../node-contract/define-node.js';
import type { TaskClass } from './routing.js';

export type LlmProviderName = 'groq' | 'openai' | 'anthropic' | 'gemini' | 'deepseek';
export type LlmAnswerSource = LlmProviderName | 'rules';
export type LlmLocale = 'ar' | 'en';

/**
 * What happened to one call (or one skipped provider) of the chain:
 * - ok: answered (and, with an outputSchema, the JSON validated)
 * - repaired: the repair call after a bad_json answer validated
 * - rate_limited (429), server_error (5xx), timeout, connection_error: the provider is down
 *   for now → retried once (429/5xx) or the next provider
 * - bad_json: the answer did not parse or validate against the outputSchema
 * - client_error: 400/401/403/404/422 — a misconfiguration; the step fails, no fallback
 * - skipped_no_key: the tenant has no credential for the provider
 * - skipped_policy: the tenant's `llm.external` is 'off' (no data leaves the platform)
 */
export type LlmOutcome =
  | 'ok'
  | 'rate_limited'
  | 'timeout'
  | 'connection_error'
  | 'server_error'
  | 'bad_json'
  | 'repaired'
  | 'client_error'
  | 'skipped_no_key'
  | 'skipped_policy';

export interface LlmAttempt {
  provider: LlmAnswerSource;
  model: string;
  outcome: LlmOutcome;
  /** Wall time of the call in whole milliseconds (0 for skipped providers). */
  ms: number;
  /** HTTP status when the provider answered with an error. */
  status?: number;
}

export interface LlmMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
}

/** A JSON Schema (2020-12) the answer must match. */
export type JsonSchema = Record<string, unknown>;

export interface LlmRequest {
  /**
   * What the call is for: picks the model (tenant setting `llm.models[task]`, then the part
   * before ":", then the default) and labels the usage rows. E.g. `score`, `agent:deal_advisor`.
   */
  task: string;
  /** The conversation; or `prompt` for a single user message. */
  messages?: LlmMessage[];
  prompt?: string;
  system?: string;
  /** The answer must be a JSON object matching this schema: JSON mode, ajv, one repair retry. */
  outputSchema?: JsonSchema;
  temperature?: number;
  maxTokens?: number;
  /** Language of the chain's own instructions (JSON format, repair request). Default 'en'. */
  locale?: LlmLocale;
  /**
   * Personal data to mask when the tenant's `llm.external` is 'masked', beyond the phone
   * numbers and e-mail addresses found automatically: the contact's name(s).
   */
  pii?: { names?: string[] };
  /**
   * The deterministic answer when no provider answers (down, no key, policy 'off'): a JSON
   * value (validated against outputSchema) or text. Without it such a call fails
   * (llm_unavailable).
   */
  rules?: () => unknown;
  /** Aborts the call (the step's ctx.signal). */
  signal?: AbortSignal;
  /**
   * The task class whose routes the call walks (routing.ts); default: the class of `task`
   * in the tenant's mapping, then the defaults.
   */
  taskClass?: TaskClass;
}

export interface LlmResult {
  /** The answer's text (JSON text for structured calls), personal data restored. */
  content: string;
  /** The parsed, validated answer when an outputSchema was given. */
  json?: unknown;
  provider: LlmAnswerSource;
  model: string;
  /** Tokens of every billed call this request made (a repair call costs tokens too). */
  usage: LlmUsage;
  /** Estimated cost of those calls in integer micro-USD (engine/llm/prices.ts). */
  costMicroUsd: number;
  attempts: LlmAttempt[];
  /** The messages as sent to the providers (masked when the policy masks); null when none was called. */
  sent: LlmMessage[] | null;
  /** True when personal data was replaced by placeholders before sending. */
  masked: boolean;
  /** The task class the call was routed by (set by the service; absent from the bare chain). */
  taskClass?: TaskClass;
}

/** ctx.llm: the provider chain routed by task class (routing.ts), then rules, per tenant. */
export interface LlmService {
  complete(request: LlmRequest): Promise<LlmResult>;
  /** The tenant's default language (settings `locale`, default 'ar'), for prompts and reasons. */
  readonly locale: LlmLocale;
}

/** Who calls: what the runtime knows of the step when it builds ctx.llm. */
export interface LlmCallContext {
  tenantId: string;
  executionId: string;
  flowId: string;
  /** `<executionId>:<seq>`, the step the usage rows belong to. */
  stepId: string;
  nodeType: string;
  /** The tenant's SSRF-guarded fetch (the providers connect through it). */
  http: GuardedFetch;
}

/** Builds ctx.llm for one step (server/llm/ wires the providers, credentials and usage rows). */
export type LlmServiceFactory = (call: LlmCallContext) => LlmService;

/**
 * PDPL cross-border policy (tenant setting `llm.external`). Groq and OpenAI process data
 * outside the Kingdom, so a call is a transfer of whatever it contains:
 * - 'masked' (default): phone numbers, e-mail addresses and the contact's names are replaced
 *   by placeholders before the call and restored in the answer;
 * - 'allowed': sent as is (the tenant has a legal basis for the transfer);
 * - 'off': nothing is sent; the rules answer.
 */
export type ExternalPolicy = 'allowed' | 'masked' | 'off';
export const EXTERNAL_POLICIES: readonly ExternalPolicy[] = ['allowed', 'masked', 'off'];
export const DEFAULT_EXTERNAL_POLICY: ExternalPolicy = 'masked';

/** Tenant settings under `llm` (db TenantSettings.llm). Every field is optional. */
export interface LlmSettings {
  external?: ExternalPolicy;
  /** Name of the groq credential to use (default: the alphabetically first groq credential). */
  groqCredential?: string;
  /** Name of the openai credential to use (default: the alphabetically first openai credential). */
  openaiCredential?: string;
  /** Name of the anthropic credential (default: the alphabetically first anthropic credential). */
  anthropicCredential?: string;
  /** Name of the gemini credential (default: the alphabetically first gemini credential). */
  geminiCredential?: string;
  /** Name of the deepseek credential (default: the alphabetically first deepseek credential). */
  deepseekCredential?: string;
  /**
   * Model per task, overriding the routing table's model for that provider: a string is the
   * Groq model; `{groq, openai, …}` sets any. Looked up by the full task (`agent:deal_advisor`),
   * then the part before ":" (`agent`).
   */
  models?: Record<string, string | Partial<Record<LlmProviderName, string>>>;
  /** Per-call timeout in ms (default 15 000). */
  timeoutMs?: number;
}

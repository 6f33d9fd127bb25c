// ctx.llm for the runtime: the chain (engine/llm/chain.ts) wired to the tenant's settings, its
// provider credentials, the SDK clients, and the llm_usage table.
//
// - Providers, in order: the routes of the request's task class (engine/llm/routing.ts: the
//   tenant's `llmRouting`, else the defaults), then the fallback class's, then the request's
//   rules. Each provider's key is the credential named by settings llm.<provider>Credential,
//   else the alphabetically first credential of that type. A provider without a credential is
//   skipped (skipped_no_key); a credential NAMED in the settings that does not exist fails the
//   step (credential_not_found).
// - Model: the route's, unless settings llm.models names one for the task and that provider.
// - Per-call timeout: settings llm.timeoutMs, else the service default (15 s).
// - Cross-border policy: settings llm.external, default 'masked' (engine/llm/types.ts).
// - Usage: one llm_usage row per billed call (with its task class), written when the request
//   finishes (also when it fails); a failed write is logged, never fails the step.
// Resolved credentials are cached for a few seconds (CREDENTIAL_TTL_MS): a rotated key is
// picked up within that time.
import {
  NodeFailure,
  DEFAULT_EXTERNAL_POLICY,
  DEFAULT_TIMEOUT_MS,
  EXTERNAL_POLICIES,
  runChain,
  routesFor,
  taskClassOf,
  DEFAULT_ROUTING,
  LLM_PROVIDERS,
  type BilledCall,
  type LlmRoutingSettings,
  type ExternalPolicy,
  type GuardedFetch,
  type LlmCallContext,
  type LlmLocale,
  type LlmProviderName,
  type LlmRequest,
  type LlmResult,
  type LlmService,
  type LlmServiceFactory,
  type LlmSettings,
  type ProviderSlot,
} from '../../engine/index.js';
import { TtlCache } from '../ttl-cache.js';
import { ChatClientCache, type ProviderKey } from './providers.js';
import type { LlmUsageRecord } from '../../db/llm-usage-repository.js';

/** Each provider's default model: its first route in the default table (shown by GET /llm-settings). */
export const DEFAULT_MODELS: Readonly<Record<LlmProviderName, Readonly<Record<string, string>>>> = Object.fromEntries(
  LLM_PROVIDERS.map((p) => [p, { '*': Object.values(DEFAULT_ROUTING).flat().find((r) => r.provider === p)?.model ?? '' }]),
) as unknown as Record<LlmProviderName, Record<string, string>>;

export const CREDENTIAL_TTL_MS = 10_000;

/** The tenant's model for `task` on `provider` (settings llm.models: full task, then its prefix), if any. */
export function modelOverride(settings: LlmSettings | undefined, task: string, provider: LlmProviderName): string | undefined {
  const prefix = task.split(':')[0] ?? task;
  for (const key of [task, prefix]) {
    const entry = settings?.models?.[key];
    if (typeof entry === 'string' && provider === 'groq' && entry) return entry;
    if (entry && typeof entry === 'object' && typeof entry[provider] === 'string' && entry[provider]) return entry[provider];
  }
  return undefined;
}

/** The model for `task` on `provider` when no route names one: the tenant's override, else the provider's default. */
export function modelFor(settings: LlmSettings | undefined, task: string, provider: LlmProviderName): string {
  return modelOverride(settings, task, provider) ?? DEFAULT_MODELS[provider]['*']!;
}

/** The settings field naming a provider's credential. */
export const CREDENTIAL_SETTING: Readonly<Record<LlmProviderName, keyof LlmSettings>> = {
  groq: 'groqCredential',
  openai: 'openaiCredential',
  anthropic: 'anthropicCredential',
  gemini: 'geminiCredential',
  deepseek: 'deepseekCredential',
};

export function externalPolicy(settings: LlmSettings | undefined): ExternalPolicy {
  const v = settings?.external;
  return v && EXTERNAL_POLICIES.includes(v) ? v : DEFAULT_EXTERNAL_POLICY;
}

export interface TenantLlmView {
  llm?: LlmSettings;
  /** The tenant's routing table and task classes (PUT /api/v1/llm-routing). */
  llmRouting?: LlmRoutingSettings;
  locale?: LlmLocale;
  /** Private-network tenants may point a credential's baseUrl at plain http (a gateway inside their network). */
  allowPrivateNetwork?: boolean;
}

export interface LlmServiceDeps {
  /** The tenant's settings (the runtime's in-memory map: read synchronously). */
  settings(tenantId: string): TenantLlmView | undefined;
  /**
   * The provider key of a tenant: the credential `name` (must exist and be of `type`), or when
   * `name` is undefined the tenant's first credential of that type; null when it has none.
   */
  key(tenantId: string, type: LlmProviderName, name: string | undefined): Promise<ProviderKey | null>;
  /** Stores the usage rows of one request (all of one tenant). */
  recordUsage?(tenantId: string, rows: LlmUsageRecord[]): Promise<void>;
  log?: { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  now?: () => number;
  /** Chain timings (tests make them short). */
  timeoutMs?: number;
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

/** The credential lookups of a tenant, cached briefly (decryption is not free). */
export function cachedKeys(key: LlmServiceDeps['key'], ttlMs = CREDENTIAL_TTL_MS): LlmServiceDeps['key'] {
  const cache = new TtlCache<ProviderKey | null>(ttlMs, 10_000);
  return (tenantId, type, name) => cache.get(`${tenantId}\u0000${type}\u0000${name ?? ''}`, () => key(tenantId, type, name));
}

export function createLlmServiceFactory(deps: LlmServiceDeps): LlmServiceFactory {
  const clients = new ChatClientCache();
  const now = deps.now ?? Date.now;
  return (call: LlmCallContext): LlmService => {
    const view = deps.settings(call.tenantId);
    const locale: LlmLocale = view?.locale === 'en' ? 'en' : 'ar';
    return {
      locale,
      complete: (request) => complete(deps, clients, call, request, now),
    };
  };
}

/** One ctx.llm for calls outside a step (bench, tools): a fixed call context. */
export function createLlmService(deps: LlmServiceDeps, call: LlmCallContext): LlmService {
  return createLlmServiceFactory(deps)(call);
}

async function complete(deps: LlmServiceDeps, clients: ChatClientCache, call: LlmCallContext, request: LlmRequest, now: () => number): Promise<LlmResult> {
  // Settings are read per request: a tenant's change applies to the next call.
  const view = deps.settings(call.tenantId);
  const settings = view?.llm;
  const taskClass = request.taskClass ?? taskClassOf(request.task, view?.llmRouting);
  const slot = (provider: LlmProviderName, model: string, fetch: GuardedFetch): ProviderSlot => ({
    provider,
    model: modelOverride(settings, request.task, provider) ?? model,
    connect: async () => {
      const named = settings?.[CREDENTIAL_SETTING[provider]];
      const key = await deps.key(call.tenantId, provider, typeof named === 'string' ? named : undefined);
      if (!key) return null;
      // A key never travels in clear text over the internet: plain http only inside a private network.
      if (key.baseUrl && !/^https:/i.test(key.baseUrl) && view?.allowPrivateNetwork !== true) {
        throw new NodeFailure('llm_insecure_base_url', `the ${provider} credential's baseUrl must use https (http only for workspaces that allow private networks)`, { retryable: false });
      }
      return clients.get(provider, key, fetch);
    },
  });
  const billed: BilledCall[] = [];
  const timeoutMs = settings?.timeoutMs ?? deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    const result = await runChain(request, {
      slots: routesFor(taskClass, view?.llmRouting).map((r) => slot(r.provider, r.model, call.http)),
      external: externalPolicy(settings),
      timeoutMs,
      ...(deps.retryDelayMs !== undefined ? { retryDelayMs: deps.retryDelayMs } : {}),
      ...(deps.maxRetryDelayMs !== undefined ? { maxRetryDelayMs: deps.maxRetryDelayMs } : {}),
      onBilled: (b) => billed.push(b),
    });
    if (result.attempts.some((a) => a.outcome !== 'ok' && a.outcome !== 'skipped_no_key' && a.outcome !== 'skipped_policy')) {
      deps.log?.warn({ tenantId: call.tenantId, executionId: call.executionId, stepId: call.stepId, task: request.task, taskClass, attempts: result.attempts }, 'llm fallback');
    }
    return { ...result, taskClass };
  } finally {
    if (billed.length && deps.recordUsage) {
      const at = now();
      const rows: LlmUsageRecord[] = billed.map((b) => ({
        executionId: call.executionId,
        stepId: call.stepId,
        provider: b.provider,
        model: b.model,
        task: request.task,
        taskClass,
        promptTokens: b.usage.promptTokens,
        completionTokens: b.usage.completionTokens,
        costMicroUsd: b.costMicroUsd,
        at,
      }));
      try {
        await deps.recordUsage(call.tenantId, rows);
      } catch (err) {
        deps.log?.error({ err, tenantId: call.tenantId, executionId: call.executionId }, 'llm usage not recorded');
      }
    }
  }
}

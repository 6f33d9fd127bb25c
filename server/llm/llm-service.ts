// ctx.llm for the runtime: the chain (engine/llm/chain.ts) wired to the tenant's settings, its
// groq and openai credentials, the SDK clients, and the llm_usage table.
//
// - Providers, in order: Groq (credential named by settings llm.groqCredential, else the
//   alphabetically first groq credential), OpenAI (the same with llm.openaiCredential), then
//   the request's rules. A provider without a credential is skipped (skipped_no_key); a
//   credential NAMED in the settings that does not exist fails the step (credential_not_found).
// - Model per task: settings llm.models (see LlmSettings), else DEFAULT_MODELS.
// - Per-call timeout: settings llm.timeoutMs, else the service default (15 s).
// - Cross-border policy: settings llm.external, default 'masked' (engine/llm/types.ts).
// - Usage: one llm_usage row per billed call, written when the request finishes (also when
//   it fails); a failed write is logged, never fails the step.
// Resolved credentials are cached for a few seconds (CREDENTIAL_TTL_MS): a rotated key is
// picked up within that time.
import {
  NodeFailure,
  DEFAULT_EXTERNAL_POLICY,
  DEFAULT_TIMEOUT_MS,
  EXTERNAL_POLICIES,
  runChain,
  type BilledCall,
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

/** Default model per provider and task ("*" for any task not listed). */
export const DEFAULT_MODELS: Readonly<Record<LlmProviderName, Readonly<Record<string, string>>>> = {
  groq: { score: 'llama-3.3-70b-versatile', agent: 'llama-3.3-70b-versatile', '*': 'llama-3.3-70b-versatile' },
  openai: { score: 'gpt-4o-mini', agent: 'gpt-4o-mini', '*': 'gpt-4o-mini' },
};

export const CREDENTIAL_TTL_MS = 10_000;

/** The model for `task` on `provider`: tenant setting (full task, then its prefix), then the default. */
export function modelFor(settings: LlmSettings | undefined, task: string, provider: LlmProviderName): string {
  const prefix = task.split(':')[0] ?? task;
  for (const key of [task, prefix]) {
    const entry = settings?.models?.[key];
    if (typeof entry === 'string' && provider === 'groq' && entry) return entry;
    if (entry && typeof entry === 'object' && typeof entry[provider] === 'string' && entry[provider]) return entry[provider];
  }
  const defaults = DEFAULT_MODELS[provider];
  return defaults[task] ?? defaults[prefix] ?? defaults['*']!;
}

export function externalPolicy(settings: LlmSettings | undefined): ExternalPolicy {
  const v = settings?.external;
  return v && EXTERNAL_POLICIES.includes(v) ? v : DEFAULT_EXTERNAL_POLICY;
}

export interface TenantLlmView {
  llm?: LlmSettings;
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
  const slot = (provider: LlmProviderName, credentialName: string | undefined, fetch: GuardedFetch): ProviderSlot => ({
    provider,
    model: modelFor(settings, request.task, provider),
    connect: async () => {
      const key = await deps.key(call.tenantId, provider, credentialName);
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
      slots: [slot('groq', settings?.groqCredential, call.http), slot('openai', settings?.openaiCredential, call.http)],
      external: externalPolicy(settings),
      timeoutMs,
      ...(deps.retryDelayMs !== undefined ? { retryDelayMs: deps.retryDelayMs } : {}),
      ...(deps.maxRetryDelayMs !== undefined ? { maxRetryDelayMs: deps.maxRetryDelayMs } : {}),
      onBilled: (b) => billed.push(b),
    });
    if (result.attempts.some((a) => a.outcome !== 'ok' && a.outcome !== 'skipped_no_key' && a.outcome !== 'skipped_policy')) {
      deps.log?.warn({ tenantId: call.tenantId, executionId: call.executionId, stepId: call.stepId, task: request.task, attempts: result.attempts }, 'llm fallback');
    }
    return result;
  } finally {
    if (billed.length && deps.recordUsage) {
      const at = now();
      const rows: LlmUsageRecord[] = billed.map((b) => ({
        executionId: call.executionId,
        stepId: call.stepId,
        provider: b.provider,
        model: b.model,
        task: request.task,
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

// The LLM providers and ctx.llm wiring for the runtime (see llm-service.ts and providers.ts).
import { NodeFailure, type CredentialResolver, type LlmServiceFactory } from '../../engine/index.js';
import type { Database, TenantSettings } from '../../db/index.js';
import { LlmUsageRepository, firstCredentialName } from '../../db/llm-usage-repository.js';
import { cachedKeys, createLlmServiceFactory, type LlmServiceDeps } from './llm-service.js';

export { createLlmServiceFactory, createLlmService, cachedKeys, modelFor, modelOverride, externalPolicy, DEFAULT_MODELS, CREDENTIAL_SETTING, type LlmServiceDeps, type TenantLlmView } from './llm-service.js';
export { chatClient, ChatClientCache, classifyError, classifyGeminiError, retryAfterMs, scrub, DEFAULT_BASE_URLS, ANTHROPIC_DEFAULT_MAX_TOKENS, type ProviderKey } from './providers.js';

export interface RuntimeLlmOptions {
  db: Database;
  tenantSettings: Map<string, TenantSettings>;
  /** Decrypts a tenant's credential by name (server/runtime-factory.ts); absent = no keys. */
  credentials?: CredentialResolver;
  log?: LlmServiceDeps['log'];
}

/** ctx.llm as the runtime provides it (API process and workers alike). */
export function createRuntimeLlm(options: RuntimeLlmOptions): LlmServiceFactory {
  const { db, credentials } = options;
  return createLlmServiceFactory({
    settings: (tenantId) => options.tenantSettings.get(tenantId),
    key: cachedKeys(async (tenantId, type, name) => {
      if (!credentials) return null;
      const credentialName = name ?? (await firstCredentialName(db, tenantId, type));
      if (!credentialName) return null;
      const data = await credentials({ tenantId, name: credentialName, accepts: [type] });
      if (!data.apiKey) throw new NodeFailure('invalid_credential', `credential "${credentialName}" has no apiKey`, { retryable: false });
      return { apiKey: data.apiKey, ...(data.baseUrl ? { baseUrl: data.baseUrl } : {}) };
    }),
    recordUsage: (tenantId, rows) => new LlmUsageRepository(db, tenantId).record(rows),
    ...(options.log ? { log: options.log } : {}),
  });
}

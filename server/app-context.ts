// Everything a request handler needs, built once per process.
import type { Logger } from 'pino';
import type { NodeRegistry, Runtime } from '../engine/index.js';
import { createRegistry } from '../nodes/registry.js';
import { setDefaultSandboxPool } from '../nodes/code/index.js';
import { ExecutionRepository, FlowRepository, TenantRepository, openDatabase, type Database, type TenantSettings } from '../db/index.js';
import type { Config } from './config.js';
import { createCredentialResolver, createRuntime, createScheduleSync, type ScheduleSync } from './runtime-factory.js';
import { CredentialRepository } from '../db/credential-repository.js';
import { SecretBox } from './security/secret-box.js';
import { createMetrics, type Metrics } from './metrics.js';
import { AuditRepository } from '../db/audit-repository.js';
import { UserRepository } from '../db/user-repository.js';
import { TokenService } from './auth/tokens.js';
import { loadSecretKey } from './security/secret-key.js';
import { startRetentionPruning } from './retention/retention-pruning.js';
import { ConsentRepository, ContactRepository } from '../db/contacts/index.js';
import { startConsentExpirySweeper } from './consent/expiry-sweeper.js';

export interface AppContext {
  config: Config;
  log: Logger;
  db: Database;
  registry: NodeRegistry;
  runtime: Runtime;
  scheduler: ScheduleSync;
  metrics: Metrics;
  tenants: TenantRepository;
  flows(tenantId: string): FlowRepository;
  executions(tenantId: string): ExecutionRepository;
  audit(tenantId: string): AuditRepository;
  contacts(tenantId: string): ContactRepository;
  /** PDPL consents and their append-only trail; check() is the send-time rule. */
  consents(tenantId: string): ConsentRepository;
  /** The tenant's credentials: metadata, and reveal() for the engine and webhook signatures only. */
  credentials(tenantId: string): CredentialRepository;
  users: UserRepository;
  tokens: TokenService;
  /** Master key (TADFUQ_SECRET_KEY or <data dir>/secret.key): derive subkeys from it, never use it directly. */
  secretKey: Buffer;
  /** Tenant settings the runtime reads synchronously (SSRF policy); refreshed on lookup. */
  tenantSettings: Map<string, TenantSettings>;
  close(): Promise<void>;
}

/** `role` is `producer` for the API process, `worker` for `npm run worker` (queue mode). */
export async function createContext(config: Config, log: Logger, role: 'producer' | 'worker' = 'producer'): Promise<AppContext> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const secretKey = loadSecretKey({ secretKey: config.secretKey, dataDir: config.dataDir });
  const registry = createRegistry();
  const tenants = new TenantRepository(db);
  const tenantSettings = new Map<string, TenantSettings>();
  const refreshSettings = async (): Promise<void> => {
    for (const t of await tenants.list()) tenantSettings.set(t.id, t.settings);
  };
  await refreshSettings();
  // Workers and scheduled runs never see a webhook: re-read settings (the SSRF policy) so a
  // tenant's change reaches every process within half a minute.
  const settingsRefresher = setInterval(() => void refreshSettings().catch((err) => log.error({ err }, 'tenant settings refresh failed')), 30_000);
  settingsRefresher.unref();
  const metrics = createMetrics();
  const credentialBox = SecretBox.forCredentials(secretKey);
  const runtime = createRuntime(config, db, registry, log, tenantSettings, role, (o) => metrics.observeStep(o), createCredentialResolver(db, credentialBox));
  metrics.bind(runtime, db);
  const scheduler = createScheduleSync(runtime, db, log);
  // The API process prunes executions past each tenant's retention period, hourly.
  const retention = role === 'producer' ? startRetentionPruning({ db, tenants, log }) : null;
  // The API process also expires consents past their 12 months (with an `expire` event), every 10 minutes.
  const stopConsentExpiry = role === 'producer' ? startConsentExpirySweeper({ db, log }) : null;
  return {
    config,
    log,
    db,
    registry,
    runtime,
    scheduler,
    metrics,
    tenants,
    flows: (tenantId) => new FlowRepository(db, registry, tenantId),
    executions: (tenantId) => new ExecutionRepository(db, tenantId),
    audit: (tenantId) => new AuditRepository(db, tenantId),
    contacts: (tenantId) => new ContactRepository(db, tenantId),
    consents: (tenantId) => new ConsentRepository(db, tenantId),
    credentials: (tenantId) => new CredentialRepository(db, credentialBox, tenantId),
    users: new UserRepository(db),
    tokens: new TokenService(secretKey),
    secretKey,
    tenantSettings,
    async close() {
      clearInterval(settingsRefresher);
      await retention?.stop();
      stopConsentExpiry?.();
      scheduler.stop();
      await runtime.stop();
      await setDefaultSandboxPool(undefined); // stops the code step's sandbox processes, if started
      await db.close();
    },
  };
}

// Everything a request handler needs, built once per process.
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { isQueueRuntime, type NodeRegistry, type Runtime } from '../engine/index.js';
import { Backpressure } from './http/backpressure.js';
import { createRegistry } from '../nodes/registry.js';
import { setDefaultSandboxPool } from '../nodes/code/index.js';
import { ExecutionRepository, FlowRepository, TenantRepository, openDatabase, type Database, type TenantSettings } from '../db/index.js';
import { securePrivateDir } from '../db/private-dir.js';
import type { Config } from './config.js';
import { createCredentialResolver, createRuntime, createScheduleSync, type ScheduleSync } from './runtime-factory.js';
import { CredentialRepository } from '../db/credential-repository.js';
import { SecretBox } from './security/secret-box.js';
import { createMetrics, type Metrics } from './metrics.js';
import { AuditRepository } from '../db/audit-repository.js';
import { UserRepository } from '../db/user-repository.js';
import { TokenService } from './auth/tokens.js';
import { loadSecretKey } from './security/secret-key.js';
import type { ContactExits } from './enrollments/contact-exits.js';
import { EnrollmentService } from './enrollments/enrollment-service.js';
import { startRetentionPruning } from './retention/retention-pruning.js';
import { ConsentRepository, ContactRepository } from '../db/contacts/index.js';
import { startConsentExpirySweeper } from './consent/expiry-sweeper.js';
import { createSalesServices } from './crm/sales-services.js';
import type { EventRouter } from './events/event-router.js';
import type { EscalationService } from './escalations/escalation-service.js';
import type { CrmService } from './crm/crm-service.js';
import { OutboxService } from './outbox/outbox-service.js';
import { createProviderRegistry } from './outbox/provider-registry.js';
import { createRuntimeLlm } from './llm/index.js';
import { createReplyClassifier } from './channels/reply-intelligence.js';
import type { ReplyClassifier } from './channels/inbound.js';
import { startPeriodic } from './periodic.js';
import { ApiKeyRepository } from '../db/api-key-repository.js';
import { DomainEventRepository } from '../db/domain-event-repository.js';
import { InboundMessageRepository } from '../db/inbound-message-repository.js';
import { InvitationRepository } from '../db/invitation-repository.js';
import { LlmUsageRepository } from '../db/llm-usage-repository.js';
import { RefreshTokenRepository } from '../db/refresh-token-repository.js';
import { SendPolicyRepository } from '../db/send-policy-repository.js';
import { WhatsAppTemplateRepository } from '../db/whatsapp-repository.js';

export interface AppContext {
  config: Config;
  log: Logger;
  db: Database;
  registry: NodeRegistry;
  runtime: Runtime;
  /** Refuses new webhook and event work (503 overloaded) while the backlog (queue jobs, or executions in flight) is past its bound. */
  backpressure: Backpressure;
  scheduler: ScheduleSync;
  metrics: Metrics;
  tenants: TenantRepository;
  flows(tenantId: string): FlowRepository;
  executions(tenantId: string): ExecutionRepository;
  audit(tenantId: string): AuditRepository;
  contacts(tenantId: string): ContactRepository;
  /** PDPL consents and their append-only trail; check() is the send-time rule. */
  consents(tenantId: string): ConsentRepository;
  /** The outbox behind ctx.send() (consent, windows, caps, at-most-once); its providers registry is where the sandbox is swapped in tests. */
  outbox: OutboxService;
  /** Ends a contact's sequences when it replies, opts out, withdraws consent or is erased. */
  contactExits: ContactExits;
  /** Classifies inbound replies (interested, not now, out of office…): the LLM chain, rules as fallback. */
  replies: ReplyClassifier;
  /** The tenant's credentials: metadata, and reveal() for the engine and webhook signatures only. */
  credentials(tenantId: string): CredentialRepository;
  /** Domain events: POST /events and the CRM publish through it; it starts trigger.event flows. */
  events: EventRouter;
  /** The escalation inbox (escalate steps, bulk-send approvals) and members' notifications. */
  escalations: EscalationService;
  /** Deals, meetings and the lead fields flows change, with their domain events. */
  crm: CrmService;
  users: UserRepository;
  /** The stores the routes read and write directly (no workflow of their own): reached here, never built in a route. */
  invitations(tenantId: string): InvitationRepository;
  apiKeys(tenantId: string): ApiKeyRepository;
  refreshTokens: RefreshTokenRepository;
  domainEvents(tenantId: string): DomainEventRepository;
  inboundMessages(tenantId: string): InboundMessageRepository;
  whatsappTemplates(tenantId: string): WhatsAppTemplateRepository;
  llmUsage(tenantId: string): LlmUsageRepository;
  sendPolicies(tenantId: string): SendPolicyRepository;
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
  // 0700/0600 also on PostgreSQL, where the data directory holds secret.key (db/private-dir.ts).
  if (existsSync(config.dataDir)) securePrivateDir(config.dataDir);
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
  // Event routing, the escalation inbox and the CRM records; the runtime reaches them as ctx.escalations / ctx.crm.
  const sales = createSalesServices({ db, tenants, log });
  // ctx.send(): the outbox, the only way a step sends (server/outbox/); the sandbox when a tenant has no provider credential.
  const outbox = new OutboxService({ db, providers: createProviderRegistry(), credentials: (tenantId) => new CredentialRepository(db, credentialBox, tenantId), log, publicUrl: config.publicUrl });
  const runtime = await createRuntime(config, db, registry, log, tenantSettings, role, (o) => metrics.observeStep(o), createCredentialResolver(db, credentialBox), outbox, sales.runtimeServices);
  sales.bind(runtime);
  metrics.bind(runtime, db);
  const scheduler = createScheduleSync(runtime, db, log);
  // The API process prunes executions past each tenant's retention period, hourly.
  const retention = role === 'producer' ? startRetentionPruning({ db, tenants, log }) : null;
  // The API process also expires consents past their 12 months (with an `expire` event), every 10 minutes.
  const stopConsentExpiry = role === 'producer' ? startConsentExpirySweeper({ db, log, events: sales.events }) : null;
  // The API process times out escalations, re-delivers decisions and routes events left unrouted, every minute.
  const stopSalesSweepers = role === 'producer' ? sales.startSweepers() : null;
  const enrollments = new EnrollmentService({ db, runtime, registry, log });
  // The API process resumes enrollments paused by an out-of-office reply once the contact is back, every minute.
  const stopResumeSweep = role === 'producer' ? startPeriodic('enrollment resume', () => enrollments.resumeDue(), { intervalMs: 60_000, log }) : null;
  const replies = createReplyClassifier({ llm: createRuntimeLlm({ db, tenantSettings, credentials: createCredentialResolver(db, credentialBox), log }), settings: (id) => tenantSettings.get(id) });
  return {
    config,
    log,
    db,
    registry,
    runtime,
    backpressure: new Backpressure({
      measure: runtime.backlog ? () => runtime.backlog!() : null,
      maxBacklog: config.maxBacklog,
      // Queue mode: past a tenth of the bound, webhooks wait for the workers before being
      // accepted (the embedded runtime's drive slots already make them wait).
      ...(isQueueRuntime(runtime) ? { softBacklog: Math.max(100, Math.floor(config.maxBacklog / 10)) } : {}),
      onError: (err) => log.warn({ err }, 'queue backlog unknown'),
    }),
    scheduler,
    metrics,
    tenants,
    flows: (tenantId) => new FlowRepository(db, registry, tenantId),
    executions: (tenantId) => new ExecutionRepository(db, tenantId),
    audit: (tenantId) => new AuditRepository(db, tenantId),
    outbox,
    contacts: (tenantId) => new ContactRepository(db, tenantId),
    consents: (tenantId) => new ConsentRepository(db, tenantId),
    // Ends the contact's enrollments (server/enrollments/enrollment-service.ts).
    contactExits: enrollments,
    replies,
    credentials: (tenantId) => new CredentialRepository(db, credentialBox, tenantId),
    events: sales.events,
    escalations: sales.escalations,
    crm: sales.crm,
    users: new UserRepository(db),
    invitations: (tenantId) => new InvitationRepository(db, tenantId),
    apiKeys: (tenantId) => new ApiKeyRepository(db, tenantId),
    refreshTokens: new RefreshTokenRepository(db),
    domainEvents: (tenantId) => new DomainEventRepository(db, tenantId),
    inboundMessages: (tenantId) => new InboundMessageRepository(db, tenantId),
    whatsappTemplates: (tenantId) => new WhatsAppTemplateRepository(db, tenantId),
    llmUsage: (tenantId) => new LlmUsageRepository(db, tenantId),
    sendPolicies: (tenantId) => new SendPolicyRepository(db, tenantId),
    tokens: new TokenService(secretKey),
    secretKey,
    tenantSettings,
    async close() {
      clearInterval(settingsRefresher);
      await retention?.stop();
      stopConsentExpiry?.();
      stopSalesSweepers?.();
      stopResumeSweep?.();
      scheduler.stop();
      await runtime.stop();
      await setDefaultSandboxPool(undefined); // stops the code step's sandbox processes, if started
      await db.close();
      metrics.stop();
    },
  };
}

// Everything a request handler needs, built once per process.
import type { Logger } from 'pino';
import { EmbeddedRuntime, type NodeRegistry } from '../engine/index.js';
import { createRegistry } from '../nodes/registry.js';
import { ExecutionRepository, FlowRepository, SqlRunStore, TenantRepository, openDatabase, publishedFlowsWithNode, type Database, type TenantSettings } from '../db/index.js';
import { EmbeddedScheduler, scheduledTriggers } from './schedules/embedded-scheduler.js';
import type { Config } from './config.js';

export interface AppContext {
  config: Config;
  log: Logger;
  db: Database;
  registry: NodeRegistry;
  runtime: EmbeddedRuntime;
  scheduler: EmbeddedScheduler;
  tenants: TenantRepository;
  flows(tenantId: string): FlowRepository;
  executions(tenantId: string): ExecutionRepository;
  /** Tenant settings the runtime reads synchronously (SSRF policy); refreshed on lookup. */
  tenantSettings: Map<string, TenantSettings>;
  close(): Promise<void>;
}

export async function createContext(config: Config, log: Logger): Promise<AppContext> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const registry = createRegistry();
  const tenants = new TenantRepository(db);
  const tenantSettings = new Map<string, TenantSettings>();
  for (const t of await tenants.list()) tenantSettings.set(t.id, t.settings);
  const runtime = new EmbeddedRuntime({
    store: new SqlRunStore(db.sql),
    registry,
    logger: log,
    tenantPolicy: (tenantId) => ({ allowPrivateNetwork: tenantSettings.get(tenantId)?.allowPrivateNetwork === true }),
  });
  const scheduler = new EmbeddedScheduler(runtime, async () => scheduledTriggers(await publishedFlowsWithNode(db, 'trigger.schedule')), log);
  return {
    config,
    log,
    db,
    registry,
    runtime,
    scheduler,
    tenants,
    flows: (tenantId) => new FlowRepository(db, registry, tenantId),
    executions: (tenantId) => new ExecutionRepository(db, tenantId),
    tenantSettings,
    async close() {
      scheduler.stop();
      await runtime.stop();
      await db.close();
    },
  };
}

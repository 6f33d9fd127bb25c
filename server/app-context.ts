// Everything a request handler needs, built once per process.
import type { Logger } from 'pino';
import { EmbeddedRuntime, type NodeRegistry } from '../engine/index.js';
import { createRegistry } from '../nodes/registry.js';
import { ExecutionRepository, FlowRepository, SqlRunStore, TenantRepository, openDatabase, type Database, type TenantSettings } from '../db/index.js';
import type { Config } from './config.js';

export interface AppContext {
  config: Config;
  log: Logger;
  db: Database;
  registry: NodeRegistry;
  runtime: EmbeddedRuntime;
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
  return {
    config,
    log,
    db,
    registry,
    runtime,
    tenants,
    flows: (tenantId) => new FlowRepository(db, registry, tenantId),
    executions: (tenantId) => new ExecutionRepository(db, tenantId),
    tenantSettings,
    async close() {
      await runtime.stop();
      await db.close();
    },
  };
}

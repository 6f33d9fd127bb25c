import type { FlowRepository, TenantRepository, TenantSettings } from '../db/index.js';

/** What seeding needs from the application (a subset of the server's AppContext). */
export interface AppContextSeedTarget {
  tenants: TenantRepository;
  flows(tenantId: string): FlowRepository;
  tenantSettings: Map<string, TenantSettings>;
}

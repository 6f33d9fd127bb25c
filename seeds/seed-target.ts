import type { Database, FlowRepository, TenantRepository, TenantSettings } from '../db/index.js';
import type { UserRepository } from '../db/user-repository.js';
import type { ContactRepository } from '../db/contacts/contact-repository.js';
import type { ConsentRepository } from '../db/contacts/consent-repository.js';

/** What seeding needs from the application (a subset of the server's AppContext). */
export interface AppContextSeedTarget {
  db: Database;
  tenants: TenantRepository;
  users: UserRepository;
  flows(tenantId: string): FlowRepository;
  tenantSettings: Map<string, TenantSettings>;
  contacts(tenantId: string): ContactRepository;
  consents(tenantId: string): ConsentRepository;
}

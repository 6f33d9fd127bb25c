export { openDatabase, sqliteFile, type Database, type DatabaseConfig } from './database.js';
export { SqlRunStore } from './sql-run-store.js';
export { TenantRepository, type Tenant, type TenantSettings } from './tenant-repository.js';
export { FlowRepository, type PublishedFlow, type WebhookRoute } from './flow-repository.js';
export { ExecutionRepository, type ExecutionView, type StepView } from './execution-repository.js';
export { publishedFlowsWithNode, type PublishedFlowRow } from './published-flows.js';

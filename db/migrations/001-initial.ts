// Initial schema. Every table carries tenant_id. Times are epoch milliseconds (UTC) in
// BIGINT columns: exact, portable between SQLite and PostgreSQL, cheap to compare for due
// waits. JSON documents are TEXT: the engine treats them as opaque and parses them itself.
import { DataTypes, type QueryInterface } from 'sequelize';

const id = { type: DataTypes.STRING(64), primaryKey: true, allowNull: false };
const tenantId = { type: DataTypes.STRING(64), allowNull: false };
const json = { type: DataTypes.TEXT, allowNull: true };
const epochMs = { type: DataTypes.BIGINT, allowNull: true };

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('tenants', {
    id,
    slug: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    name: { type: DataTypes.STRING(200), allowNull: false },
    settings: { ...json, allowNull: false, defaultValue: '{}' },
    created_at: { ...epochMs, allowNull: false },
    updated_at: { ...epochMs, allowNull: false },
  });

  await qi.createTable('flows', {
    id,
    tenant_id: tenantId,
    name: { type: DataTypes.STRING(200), allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'draft' },
    draft: { ...json, allowNull: false },
    published_version: { type: DataTypes.INTEGER, allowNull: true },
    created_at: { ...epochMs, allowNull: false },
    updated_at: { ...epochMs, allowNull: false },
  });
  await qi.addIndex('flows', ['tenant_id', 'name']);

  await qi.createTable('flow_versions', {
    id,
    tenant_id: tenantId,
    flow_id: { type: DataTypes.STRING(64), allowNull: false },
    version: { type: DataTypes.INTEGER, allowNull: false },
    definition: { ...json, allowNull: false },
    created_at: { ...epochMs, allowNull: false },
  });
  await qi.addIndex('flow_versions', ['flow_id', 'version'], { unique: true });

  await qi.createTable('webhook_routes', {
    id,
    tenant_id: tenantId,
    method: { type: DataTypes.STRING(8), allowNull: false },
    path: { type: DataTypes.STRING(200), allowNull: false },
    flow_id: { type: DataTypes.STRING(64), allowNull: false },
    version: { type: DataTypes.INTEGER, allowNull: false },
    node_id: { type: DataTypes.STRING(64), allowNull: false },
    respond: { type: DataTypes.STRING(16), allowNull: false },
  });
  await qi.addIndex('webhook_routes', ['tenant_id', 'method', 'path'], { unique: true });
  await qi.addIndex('webhook_routes', ['flow_id']);

  await qi.createTable('executions', {
    id,
    tenant_id: tenantId,
    flow_id: { type: DataTypes.STRING(64), allowNull: false },
    flow_version: { type: DataTypes.INTEGER, allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false },
    mode: { type: DataTypes.STRING(16), allowNull: false },
    subject: { type: DataTypes.STRING(64), allowNull: true },
    state: { ...json, allowNull: false },
    output: json,
    error: json,
    started_at: { ...epochMs, allowNull: false },
    finished_at: epochMs,
    updated_at: { ...epochMs, allowNull: false },
  });
  await qi.addIndex('executions', ['status']);
  await qi.addIndex('executions', ['tenant_id', 'flow_id', 'started_at']);

  await qi.createTable('execution_steps', {
    id: { ...id, type: DataTypes.STRING(100) },
    tenant_id: tenantId,
    execution_id: { type: DataTypes.STRING(64), allowNull: false },
    seq: { type: DataTypes.INTEGER, allowNull: false },
    node_id: { type: DataTypes.STRING(64), allowNull: false },
    node_type: { type: DataTypes.STRING(100), allowNull: false },
    attempt: { type: DataTypes.INTEGER, allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false },
    port: { type: DataTypes.STRING(64), allowNull: true },
    input: json,
    output: json,
    error: json,
    logs: json,
    started_at: epochMs,
    finished_at: epochMs,
  });
  await qi.addIndex('execution_steps', ['execution_id', 'seq']);

  await qi.createTable('waits', {
    id: { ...id, type: DataTypes.STRING(100) },
    tenant_id: tenantId,
    execution_id: { type: DataTypes.STRING(64), allowNull: false },
    seq: { type: DataTypes.INTEGER, allowNull: false },
    kind: { type: DataTypes.STRING(8), allowNull: false },
    due_at: epochMs,
    event: { type: DataTypes.STRING(100), allowNull: true },
    correlation: { type: DataTypes.STRING(200), allowNull: true },
  });
  await qi.addIndex('waits', ['due_at']);
  await qi.addIndex('waits', ['tenant_id', 'event', 'correlation']);
  await qi.addIndex('waits', ['execution_id']);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const table of ['waits', 'execution_steps', 'executions', 'webhook_routes', 'flow_versions', 'flows', 'tenants']) {
    await qi.dropTable(table);
  }
}

// Per-tenant credentials, encrypted at rest (server/security/secret-box.ts), and the
// Idempotency-Key ledger of webhooks.
import { DataTypes, type QueryInterface } from 'sequelize';

const epoch = { type: DataTypes.BIGINT, allowNull: false };

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  // `ciphertext` holds the whole data object, sealed with AES-256-GCM and bound to (tenant_id,
  // id). `fields` lists the names of the data fields that are set (metadata shown by the API,
  // so listing credentials never decrypts anything).
  await qi.createTable('credentials', {
    id: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    tenant_id: { type: DataTypes.STRING(64), allowNull: false },
    name: { type: DataTypes.STRING(100), allowNull: false },
    type: { type: DataTypes.STRING(32), allowNull: false },
    ciphertext: { type: DataTypes.TEXT, allowNull: false },
    fields: { type: DataTypes.TEXT, allowNull: false },
    created_by: { type: DataTypes.STRING(100), allowNull: false },
    created_at: epoch,
    updated_at: epoch,
  });
  await qi.addIndex('credentials', ['tenant_id', 'name'], { unique: true, name: 'credentials_tenant_name' });

  // One row per (tenant, flow, Idempotency-Key): the execution the first request started and a
  // hash of what it sent. The primary key is the uniqueness that makes concurrent identical
  // requests start one execution. Rows older than 24 h are expired (and pruned).
  await qi.createTable('webhook_idempotency', {
    tenant_id: { type: DataTypes.STRING(64), allowNull: false, primaryKey: true },
    flow_id: { type: DataTypes.STRING(64), allowNull: false, primaryKey: true },
    key_hash: { type: DataTypes.STRING(64), allowNull: false, primaryKey: true },
    body_hash: { type: DataTypes.STRING(64), allowNull: false },
    execution_id: { type: DataTypes.STRING(64), allowNull: false },
    created_at: epoch,
  });
  await qi.addIndex('webhook_idempotency', ['created_at'], { name: 'webhook_idempotency_created' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('webhook_idempotency');
  await qi.dropTable('credentials');
}

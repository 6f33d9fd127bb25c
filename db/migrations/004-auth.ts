// Users, their tenant memberships and roles, refresh tokens, API keys and invitations.
// A user is a person (one email, one password) who may belong to several tenants (the
// editor's tenant switcher); everything a user may do is decided by the membership's role.
import { DataTypes, type QueryInterface } from 'sequelize';

const id = { type: DataTypes.STRING(64), primaryKey: true, allowNull: false };
const ref = { type: DataTypes.STRING(64), allowNull: false };
const epoch = { type: DataTypes.BIGINT, allowNull: true };

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('users', {
    id,
    email: { type: DataTypes.STRING(320), allowNull: false, unique: true },
    name: { type: DataTypes.STRING(200), allowNull: false },
    password_hash: { type: DataTypes.STRING(200), allowNull: false },
    locale: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'ar' },
    failed_logins: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    locked_until: epoch,
    created_at: { ...epoch, allowNull: false },
    updated_at: { ...epoch, allowNull: false },
  });

  await qi.createTable('memberships', {
    id,
    tenant_id: ref,
    user_id: ref,
    role: { type: DataTypes.STRING(16), allowNull: false },
    created_at: { ...epoch, allowNull: false },
  });
  await qi.addIndex('memberships', ['tenant_id', 'user_id'], { unique: true });
  await qi.addIndex('memberships', ['user_id']);

  // Refresh tokens rotate: each use revokes the token and issues its successor in the same
  // family; presenting a revoked token again revokes the whole family (theft detection).
  await qi.createTable('refresh_tokens', {
    id,
    tenant_id: ref,
    user_id: ref,
    family: ref,
    token_hash: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    expires_at: { ...epoch, allowNull: false },
    revoked_at: epoch,
    replaced_by: { type: DataTypes.STRING(64), allowNull: true },
    created_at: { ...epoch, allowNull: false },
  });
  await qi.addIndex('refresh_tokens', ['family']);
  await qi.addIndex('refresh_tokens', ['user_id', 'tenant_id']);

  await qi.createTable('api_keys', {
    id,
    tenant_id: ref,
    name: { type: DataTypes.STRING(200), allowNull: false },
    role: { type: DataTypes.STRING(16), allowNull: false },
    scopes: { type: DataTypes.TEXT, allowNull: false },
    prefix: { type: DataTypes.STRING(32), allowNull: false },
    key_hash: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    created_by: { type: DataTypes.STRING(100), allowNull: false },
    last_used_at: epoch,
    revoked_at: epoch,
    created_at: { ...epoch, allowNull: false },
  });
  await qi.addIndex('api_keys', ['tenant_id']);

  await qi.createTable('invitations', {
    id,
    tenant_id: ref,
    email: { type: DataTypes.STRING(320), allowNull: false },
    role: { type: DataTypes.STRING(16), allowNull: false },
    token_hash: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    invited_by: { type: DataTypes.STRING(100), allowNull: false },
    expires_at: { ...epoch, allowNull: false },
    accepted_at: epoch,
    accepted_by: { type: DataTypes.STRING(64), allowNull: true },
    revoked_at: epoch,
    created_at: { ...epoch, allowNull: false },
  });
  await qi.addIndex('invitations', ['tenant_id', 'email']);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const table of ['invitations', 'api_keys', 'refresh_tokens', 'memberships', 'users']) await qi.dropTable(table);
}

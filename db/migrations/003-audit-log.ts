// Audit log of administrative actions (who published, imported, changed a role, read a
// secret's metadata…). Append-only: the application never updates or deletes its rows.
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('audit_log', {
    id: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    tenant_id: { type: DataTypes.STRING(64), allowNull: false },
    actor: { type: DataTypes.STRING(100), allowNull: false },
    action: { type: DataTypes.STRING(64), allowNull: false },
    target: { type: DataTypes.STRING(200), allowNull: true },
    details: { type: DataTypes.TEXT, allowNull: true },
    request_id: { type: DataTypes.STRING(64), allowNull: true },
    at: { type: DataTypes.BIGINT, allowNull: false },
  });
  await qi.addIndex('audit_log', ['tenant_id', 'at']);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('audit_log');
}

// Optimistic concurrency and leases for executions, so several processes (queue mode) can
// drive executions without two of them advancing the same one: every commit checks and bumps
// `rev`; the process driving an execution holds a lease the reconciler respects.
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('executions', 'rev', { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 });
  await qi.addColumn('executions', 'lease_owner', { type: DataTypes.STRING(100), allowNull: true });
  await qi.addColumn('executions', 'lease_until', { type: DataTypes.BIGINT, allowNull: true });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeColumn('executions', 'lease_until');
  await qi.removeColumn('executions', 'lease_owner');
  await qi.removeColumn('executions', 'rev');
}

// Executions API: `replay_of` links a replay to the execution it replays; the list (newest
// first per tenant, keyset-paginated on (started_at, id)) and the retention pruner (finished
// before a cutoff, per tenant) each get an index that serves them without a sort or a scan.
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('executions', 'replay_of', { type: DataTypes.STRING(64), allowNull: true });
  await qi.addIndex('executions', ['tenant_id', 'started_at', 'id'], { name: 'executions_tenant_started' });
  await qi.addIndex('executions', ['tenant_id', 'finished_at'], { name: 'executions_tenant_finished' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeIndex('executions', 'executions_tenant_finished');
  await qi.removeIndex('executions', 'executions_tenant_started');
  await qi.removeColumn('executions', 'replay_of');
}

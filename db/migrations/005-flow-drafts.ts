// Flow drafts and publishing (server/routes/flows.ts): an optimistic-concurrency revision on
// the draft, soft delete, a pinned sample input for test runs, a counter numbering test-run
// snapshots (stored as flow_versions rows with negative versions: -1, -2, …), who created a
// version and why, and publish requests awaiting an admin's approval (Class B flows).
import { DataTypes, type QueryInterface } from 'sequelize';

const epoch = { type: DataTypes.BIGINT, allowNull: true };

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('flows', 'revision', { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 });
  await qi.addColumn('flows', 'deleted_at', epoch);
  await qi.addColumn('flows', 'sample_input', { type: DataTypes.TEXT, allowNull: true });
  await qi.addColumn('flows', 'test_runs', { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 });
  await qi.addIndex('flows', ['tenant_id', 'updated_at']);

  await qi.addColumn('flow_versions', 'created_by', { type: DataTypes.STRING(100), allowNull: true });
  /** JSON: {kind: 'publish' | 'rollback' | 'approval' | 'test', …}; NULL for versions before this migration. */
  await qi.addColumn('flow_versions', 'origin', { type: DataTypes.TEXT, allowNull: true });

  await qi.createTable('publish_requests', {
    id: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    tenant_id: { type: DataTypes.STRING(64), allowNull: false },
    flow_id: { type: DataTypes.STRING(64), allowNull: false },
    /** pending | approved | rejected | superseded | cancelled */
    status: { type: DataTypes.STRING(16), allowNull: false },
    /** The draft as requested (normalised): what an approval publishes, whatever the draft is by then. */
    definition: { type: DataTypes.TEXT, allowNull: false },
    revision: { type: DataTypes.INTEGER, allowNull: false },
    requested_by: { type: DataTypes.STRING(100), allowNull: false },
    requested_at: { ...epoch, allowNull: false },
    decided_by: { type: DataTypes.STRING(100), allowNull: true },
    decided_at: epoch,
    reason: { type: DataTypes.TEXT, allowNull: true },
    /** The version an approval published. */
    version: { type: DataTypes.INTEGER, allowNull: true },
  });
  await qi.addIndex('publish_requests', ['tenant_id', 'status', 'requested_at']);
  await qi.addIndex('publish_requests', ['flow_id', 'status']);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('publish_requests');
  await qi.removeColumn('flow_versions', 'origin');
  await qi.removeColumn('flow_versions', 'created_by');
  await qi.removeIndex('flows', ['tenant_id', 'updated_at']);
  for (const column of ['test_runs', 'sample_input', 'deleted_at', 'revision']) await qi.removeColumn('flows', column);
}

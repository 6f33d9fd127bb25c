// Enrollments: a contact in a flow (a sequence) as a record of its own, outliving the
// executions that carry it out. `enrollments` holds one row per enrollment with its state
// (active, paused, replied, opted_out, completed, failed, cancelled) and its current
// execution; `enrollment_history` is the append-only trail of every state change (a database
// trigger refuses UPDATE and DELETE, as for consent_events). Neither is touched by execution
// pruning (db/execution-pruner.ts deletes executions, steps and waits only), so an enrollment
// and its history stay readable after its executions are gone.
//
// "A contact is in a flow at most once at a time" is a partial unique index on (tenant, flow,
// contact) over active and paused rows of flows that do not allow re-entry: concurrent enrolls
// of the same contact create one row, whatever the number of processes.
import { DataTypes, type QueryInterface } from 'sequelize';

const id = { type: DataTypes.STRING(64), primaryKey: true, allowNull: false };
const tenantId = { type: DataTypes.STRING(64), allowNull: false };
const ref = { type: DataTypes.STRING(64), allowNull: false };
const epochMs = { type: DataTypes.BIGINT, allowNull: true };

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('enrollments', {
    id,
    tenant_id: tenantId,
    flow_id: ref,
    /** The published version the enrollment runs (a resume replays it in the same version). */
    flow_version: { type: DataTypes.INTEGER, allowNull: false },
    contact_id: ref,
    state: { type: DataTypes.STRING(16), allowNull: false },
    /** The execution carrying the enrollment now (the last one once it ended); not a foreign key: executions are pruned. */
    execution_id: { type: DataTypes.STRING(64), allowNull: true },
    /** Where it stands, written on transitions (paused: the step it resumes from; ended: where it ended); active rows read it live from their execution. */
    current_node: { type: DataTypes.STRING(64), allowNull: true },
    /** The flow version's settings.allowReentry when enrolled: 1 lets the contact hold several active enrollments. */
    allow_reentry: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    enrolled_by: { type: DataTypes.STRING(100), allowNull: false },
    enrolled_at: { ...epochMs, allowNull: false },
    ended_at: epochMs,
    end_reason: { type: DataTypes.STRING(64), allowNull: true },
    /** Paused only: the history a resume replays from (JSON), cleared when it resumes or ends. */
    resume_plan: { type: DataTypes.TEXT, allowNull: true },
    updated_at: { ...epochMs, allowNull: false },
  });
  await qi.sequelize.query(
    "CREATE UNIQUE INDEX enrollments_one_active ON enrollments (tenant_id, flow_id, contact_id) WHERE state IN ('active', 'paused') AND allow_reentry = 0",
  );
  await qi.addIndex('enrollments', ['tenant_id', 'contact_id', 'state'], { name: 'enrollments_contact' });
  await qi.addIndex('enrollments', ['tenant_id', 'flow_id', 'id'], { name: 'enrollments_flow' });
  await qi.addIndex('enrollments', ['execution_id'], { name: 'enrollments_execution' });

  await qi.createTable('enrollment_history', {
    id,
    tenant_id: tenantId,
    enrollment_id: ref,
    at: { ...epochMs, allowNull: false },
    /** Null for the enrollment itself. */
    from_state: { type: DataTypes.STRING(16), allowNull: true },
    to_state: { type: DataTypes.STRING(16), allowNull: false },
    reason: { type: DataTypes.STRING(64), allowNull: true },
    /** `user:<id>`, `apikey:<id>`, `cli`, `system` (an execution ended), `inbound` (a reply or an opt-out). */
    actor: { type: DataTypes.STRING(100), allowNull: false },
    execution_id: { type: DataTypes.STRING(64), allowNull: true },
    node: { type: DataTypes.STRING(64), allowNull: true },
  });
  await qi.addIndex('enrollment_history', ['tenant_id', 'enrollment_id', 'at'], { name: 'enrollment_history_enrollment' });

  if (qi.sequelize.getDialect() === 'postgres') {
    await qi.sequelize.query(`CREATE FUNCTION enrollment_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'enrollment_history is append-only'; END $$`);
    await qi.sequelize.query('CREATE TRIGGER enrollment_history_append_only BEFORE UPDATE OR DELETE ON enrollment_history FOR EACH ROW EXECUTE FUNCTION enrollment_history_append_only()');
  } else {
    await qi.sequelize.query("CREATE TRIGGER enrollment_history_no_update BEFORE UPDATE ON enrollment_history BEGIN SELECT RAISE(ABORT, 'enrollment_history is append-only'); END");
    await qi.sequelize.query("CREATE TRIGGER enrollment_history_no_delete BEFORE DELETE ON enrollment_history BEGIN SELECT RAISE(ABORT, 'enrollment_history is append-only'); END");
  }
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('enrollment_history');
  if (qi.sequelize.getDialect() === 'postgres') await qi.sequelize.query('DROP FUNCTION IF EXISTS enrollment_history_append_only()');
  await qi.dropTable('enrollments');
}

// Human escalation, domain events and the CRM records the agents act on:
// - `escalations`: one per escalate step (UNIQUE(tenant, step_id): a re-run step finds its row)
//   or per bulk-send approval; `escalation_rotation` is the round-robin counter per role;
//   `notifications`: the in-app inbox of each member.
// - `domain_events`: every event published (POST /events, the CRM services), UNIQUE(tenant, id)
//   so a replayed event id is recognised; `started` records the executions it started.
// - `deals` and `meetings`, soft-deleted. Money: value_sar is NUMERIC(14,2) on PostgreSQL; on
//   SQLite (whose DECIMAL is a float) it is TEXT holding the canonical decimal string.
import { DataTypes, type QueryInterface } from 'sequelize';

const id = { type: DataTypes.STRING(64), primaryKey: true, allowNull: false };
const tenantId = { type: DataTypes.STRING(64), allowNull: false };
const ref = { type: DataTypes.STRING(64), allowNull: true };
const epochMs = { type: DataTypes.BIGINT, allowNull: true };
const json = { type: DataTypes.TEXT, allowNull: true };

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const postgres = qi.sequelize.getDialect() === 'postgres';

  await qi.createTable('escalations', {
    id,
    tenant_id: tenantId,
    /** `step` (an escalate node) or `bulk` (a bulk send above the tenant's threshold). */
    kind: { type: DataTypes.STRING(16), allowNull: false },
    /** The escalate step (`execution:seq`), or the caller's key for other kinds: unique per tenant. */
    step_id: { type: DataTypes.STRING(200), allowNull: false },
    execution_id: ref,
    flow_id: ref,
    node_id: ref,
    contact_id: ref,
    /** role | user | round_robin */
    assignment: { type: DataTypes.STRING(16), allowNull: false },
    assignee_user_id: ref,
    assignee_role: { type: DataTypes.STRING(16), allowNull: true },
    reason: { type: DataTypes.TEXT, allowNull: false },
    priority: { type: DataTypes.STRING(8), allowNull: false },
    payload: json,
    /** open | claimed | approved | rejected | timed_out | cancelled */
    status: { type: DataTypes.STRING(16), allowNull: false },
    claimed_by: ref,
    claimed_at: epochMs,
    /** `user:<id>` or `apikey:<id>` */
    decided_by: { type: DataTypes.STRING(100), allowNull: true },
    decided_at: epochMs,
    decision_note: { type: DataTypes.TEXT, allowNull: true },
    edits: json,
    due_at: epochMs,
    created_at: { ...epochMs, allowNull: false },
    updated_at: { ...epochMs, allowNull: false },
  });
  await qi.addIndex('escalations', ['tenant_id', 'step_id'], { unique: true, name: 'escalations_tenant_step' });
  await qi.addIndex('escalations', ['tenant_id', 'status', 'id'], { name: 'escalations_tenant_status' });
  await qi.addIndex('escalations', ['tenant_id', 'assignee_user_id', 'status'], { name: 'escalations_tenant_assignee' });
  await qi.addIndex('escalations', ['status', 'due_at'], { name: 'escalations_status_due' });

  await qi.createTable('escalation_rotation', {
    tenant_id: tenantId,
    role: { type: DataTypes.STRING(16), allowNull: false },
    /** How many round-robin assignments this role has had: the next member is position mod members. */
    position: { type: DataTypes.BIGINT, allowNull: false },
  });
  await qi.addIndex('escalation_rotation', ['tenant_id', 'role'], { unique: true, name: 'escalation_rotation_tenant_role' });

  await qi.createTable('notifications', {
    id,
    tenant_id: tenantId,
    user_id: { type: DataTypes.STRING(64), allowNull: false },
    kind: { type: DataTypes.STRING(32), allowNull: false },
    title_ar: { type: DataTypes.STRING(300), allowNull: false },
    title_en: { type: DataTypes.STRING(300), allowNull: false },
    body: { type: DataTypes.TEXT, allowNull: true },
    link: { type: DataTypes.STRING(500), allowNull: true },
    created_at: { ...epochMs, allowNull: false },
    read_at: epochMs,
  });
  await qi.addIndex('notifications', ['tenant_id', 'user_id', 'id'], { name: 'notifications_tenant_user' });

  await qi.createTable('domain_events', {
    /** Internal key (uuid v7). */
    pk: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    tenant_id: tenantId,
    /** The publisher's event id: a replay of the same id is recognised (UNIQUE per tenant). */
    id: { type: DataTypes.STRING(200), allowNull: false },
    type: { type: DataTypes.STRING(100), allowNull: false },
    subject: ref,
    data: json,
    /** api | crm | flow */
    source: { type: DataTypes.STRING(16), allowNull: false },
    /** sha256 of type, subject and data: the same id with other content is refused. */
    fingerprint: { type: DataTypes.STRING(64), allowNull: false },
    received_at: { ...epochMs, allowNull: false },
    /** When routing finished (null: not yet; the sweep routes it again). */
    routed_at: epochMs,
    /** JSON [{flowId, nodeId, executionId}] */
    started: json,
  });
  await qi.addIndex('domain_events', ['tenant_id', 'id'], { unique: true, name: 'domain_events_tenant_id' });
  await qi.addIndex('domain_events', ['tenant_id', 'received_at'], { name: 'domain_events_tenant_received' });
  await qi.addIndex('domain_events', ['routed_at', 'received_at'], { name: 'domain_events_unrouted' });

  await qi.createTable('deals', {
    id,
    tenant_id: tenantId,
    contact_id: ref,
    company: { type: DataTypes.STRING(200), allowNull: true },
    title: { type: DataTypes.STRING(300), allowNull: false },
    /** lead | qualified | proposal | negotiation | won | lost */
    stage: { type: DataTypes.STRING(16), allowNull: false },
    value_sar: { type: postgres ? DataTypes.DECIMAL(14, 2) : DataTypes.TEXT, allowNull: true },
    probability: { type: DataTypes.INTEGER, allowNull: true },
    /** YYYY-MM-DD */
    expected_close_date: { type: DataTypes.STRING(10), allowNull: true },
    owner_id: ref,
    created_at: { ...epochMs, allowNull: false },
    updated_at: { ...epochMs, allowNull: false },
    deleted_at: epochMs,
  });
  await qi.addIndex('deals', ['tenant_id', 'id'], { name: 'deals_tenant_id' });
  await qi.addIndex('deals', ['tenant_id', 'contact_id'], { name: 'deals_tenant_contact' });
  await qi.addIndex('deals', ['tenant_id', 'owner_id', 'id'], { name: 'deals_tenant_owner' });

  await qi.createTable('meetings', {
    id,
    tenant_id: tenantId,
    contact_id: { type: DataTypes.STRING(64), allowNull: false },
    deal_id: ref,
    title: { type: DataTypes.STRING(300), allowNull: true },
    /** epoch ms (UTC) */
    starts_at: { ...epochMs, allowNull: false },
    duration_minutes: { type: DataTypes.INTEGER, allowNull: false },
    location: { type: DataTypes.STRING(500), allowNull: true },
    notes: { type: DataTypes.TEXT, allowNull: true },
    owner_id: ref,
    created_at: { ...epochMs, allowNull: false },
    updated_at: { ...epochMs, allowNull: false },
    deleted_at: epochMs,
  });
  await qi.addIndex('meetings', ['tenant_id', 'starts_at'], { name: 'meetings_tenant_starts' });
  await qi.addIndex('meetings', ['tenant_id', 'contact_id'], { name: 'meetings_tenant_contact' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const table of ['meetings', 'deals', 'domain_events', 'notifications', 'escalation_rotation', 'escalations']) await qi.dropTable(table);
}

// Step analytics (issue 18): counters kept up to date when things happen, never a scan of the
// executions per request (server/analytics/README.md).
//
// - `analytics_daily`: the rollup. One counter per (flow, version, send node, variant, channel,
//   Riyadh day, metric, dim); `dim` carries a blocked reason, a failure code, a reply class or a
//   reply-time histogram bucket. Writers add with INSERT … ON CONFLICT DO UPDATE n = n + k
//   (SQLite and PostgreSQL alike). Flow-level counters (enrolled) have node_id = ''.
// - `analytics_sends`: one row per outbox message of a versioned flow step, with the time each
//   counted event first happened to it. It makes every counter idempotent (an event counts only
//   when it sets its column from NULL) and lets replies, opt-outs, escalations and CRM
//   conversions be attributed to the last message the contact was sent (last touch).
import { DataTypes, type QueryInterface } from 'sequelize';

const epochMs = { type: DataTypes.BIGINT, allowNull: true };

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('analytics_daily', {
    tenant_id: { type: DataTypes.STRING(64), allowNull: false },
    flow_id: { type: DataTypes.STRING(64), allowNull: false },
    flow_version: { type: DataTypes.INTEGER, allowNull: false },
    /** '' for flow-level counters (enrolled). */
    node_id: { type: DataTypes.STRING(100), allowNull: false },
    /** '' when the node has no variants. */
    variant: { type: DataTypes.STRING(32), allowNull: false },
    /** whatsapp, sms, email; '' for flow-level counters. */
    channel: { type: DataTypes.STRING(16), allowNull: false },
    /** The Asia/Riyadh calendar day of the event, YYYY-MM-DD. */
    day: { type: DataTypes.STRING(10), allowNull: false },
    metric: { type: DataTypes.STRING(32), allowNull: false },
    /** blocked reason, failure code, reply class, reply-time bucket; '' otherwise. */
    dim: { type: DataTypes.STRING(64), allowNull: false },
    n: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
  });
  await qi.addIndex('analytics_daily', ['tenant_id', 'flow_id', 'flow_version', 'node_id', 'variant', 'channel', 'day', 'metric', 'dim'], {
    unique: true,
    name: 'analytics_daily_key',
  });
  // Date-range reads across versions.
  await qi.addIndex('analytics_daily', ['tenant_id', 'flow_id', 'day'], { name: 'analytics_daily_day' });

  await qi.createTable('analytics_sends', {
    tenant_id: { type: DataTypes.STRING(64), allowNull: false },
    message_id: { type: DataTypes.STRING(64), allowNull: false },
    flow_id: { type: DataTypes.STRING(64), allowNull: false },
    flow_version: { type: DataTypes.INTEGER, allowNull: false },
    node_id: { type: DataTypes.STRING(100), allowNull: false },
    variant: { type: DataTypes.STRING(32), allowNull: false },
    channel: { type: DataTypes.STRING(16), allowNull: false },
    contact_id: { type: DataTypes.STRING(64), allowNull: false },
    execution_id: { type: DataTypes.STRING(64), allowNull: true },
    reached_at: { ...epochMs, allowNull: false },
    blocked_at: epochMs,
    failed_at: epochMs,
    sent_at: epochMs,
    delivered_at: epochMs,
    read_at: epochMs,
    replied_at: epochMs,
    reply_class: { type: DataTypes.STRING(32), allowNull: true },
    opted_out_at: epochMs,
    escalated_at: epochMs,
    converted_at: epochMs,
  });
  await qi.addIndex('analytics_sends', ['tenant_id', 'message_id'], { unique: true, name: 'analytics_sends_message' });
  // Last touch: the contact's latest sent message.
  await qi.addIndex('analytics_sends', ['tenant_id', 'contact_id', 'sent_at'], { name: 'analytics_sends_contact' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('analytics_sends');
  await qi.dropTable('analytics_daily');
}

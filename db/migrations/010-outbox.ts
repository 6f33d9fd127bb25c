// The outbox: one row per message a step asked to send (server/outbox/README.md). The key is
// UNIQUE(tenant_id, step_id): a step that runs again (a retry, a redelivered job, a restart
// after a crash) finds its row and never sends twice. Rows are the send record: the execution
// pruner never deletes them; erasing a contact redacts their content and address.
import { DataTypes, type QueryInterface } from 'sequelize';

const epochMs = { type: DataTypes.BIGINT, allowNull: true };
const json = { type: DataTypes.TEXT, allowNull: true };
const ref = { type: DataTypes.STRING(64), allowNull: true };

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('outbound_messages', {
    id: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    tenant_id: { type: DataTypes.STRING(64), allowNull: false },
    execution_id: ref,
    flow_id: ref,
    node_id: { type: DataTypes.STRING(100), allowNull: true },
    /** `<execution>:<seq>`: the same for every attempt of a step (the outbox key). */
    step_id: { type: DataTypes.STRING(100), allowNull: false },
    contact_id: { type: DataTypes.STRING(64), allowNull: false },
    channel: { type: DataTypes.STRING(16), allowNull: false },
    purpose: { type: DataTypes.STRING(32), allowNull: false },
    /** E.164 phone or email address; null when none was found, or after erasure. */
    to_address: { type: DataTypes.STRING(320), allowNull: true },
    /** ultramsg, twilio, smtp, sandbox */
    provider: { type: DataTypes.STRING(32), allowNull: true },
    credential_name: { type: DataTypes.STRING(100), allowNull: true },
    template: json,
    text: json,
    subject: json,
    html: json,
    /** pending, sending, sent, delivered, read, failed, blocked, uncertain, deferred */
    status: { type: DataTypes.STRING(16), allowNull: false },
    blocked_reason: { type: DataTypes.STRING(64), allowNull: true },
    provider_message_id: { type: DataTypes.STRING(200), allowNull: true },
    /** {code, message, retryable?} of the last failure */
    error: json,
    /** {outcome, note, by, at} when a person resolved an uncertain message */
    resolution: json,
    /** Provider calls made (0 or 1 unless a definite, retryable refusal let the step try again). */
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    /** Deferred by a send window or a daily cap until then. */
    deferred_until: epochMs,
    /** When the message was reserved for sending (pending): what the daily caps count. */
    reserved_at: epochMs,
    created_at: { ...epochMs, allowNull: false },
    updated_at: { ...epochMs, allowNull: false },
    sent_at: epochMs,
    delivered_at: epochMs,
    read_at: epochMs,
    redacted_at: epochMs,
  });
  await qi.addIndex('outbound_messages', ['tenant_id', 'step_id'], { unique: true, name: 'outbound_messages_step' });
  await qi.addIndex('outbound_messages', ['tenant_id', 'id'], { name: 'outbound_messages_tenant_id' });
  // Daily caps (per contact and channel) and the list filtered by contact.
  await qi.addIndex('outbound_messages', ['tenant_id', 'contact_id', 'channel', 'reserved_at'], { name: 'outbound_messages_contact' });
  // Daily caps per tenant and channel.
  await qi.addIndex('outbound_messages', ['tenant_id', 'channel', 'reserved_at'], { name: 'outbound_messages_channel_day' });
  await qi.addIndex('outbound_messages', ['tenant_id', 'status', 'id'], { name: 'outbound_messages_status' });
  // Delivery callbacks name the provider's message id.
  await qi.addIndex('outbound_messages', ['tenant_id', 'provider', 'provider_message_id'], { name: 'outbound_messages_provider_id' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('outbound_messages');
}

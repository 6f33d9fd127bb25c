// Inbound messages (replies from contacts on WhatsApp and SMS, through the provider webhooks)
// and the provider callback events already handled.
//
// `inbound_messages`: one row per message a provider delivered to us, UNIQUE per (tenant,
// provider, provider message id): a provider retrying its webhook stores nothing twice.
// `contact_id` is the tenant's contact holding the sender's phone, or null (an unknown number).
// `processed_at` is set once the side effects ran (event delivered, enrollments ended): a
// redelivered webhook finding it null runs them again (they are idempotent).
//
// `provider_events`: the callback events already processed, keyed by (tenant, provider, event
// key) — e.g. UltraMsg `message_ack:<id>:read` — so a repeated event is processed once. Rows
// older than a week are pruned (providers retry within minutes).
import { DataTypes, type QueryInterface } from 'sequelize';

const epochMs = { type: DataTypes.BIGINT, allowNull: true };

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('inbound_messages', {
    id: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    tenant_id: { type: DataTypes.STRING(64), allowNull: false },
    contact_id: { type: DataTypes.STRING(64), allowNull: true },
    /** whatsapp, sms */
    channel: { type: DataTypes.STRING(16), allowNull: false },
    /** The sender: E.164 when it parses, else as the provider gave it; null after erasure. */
    from_address: { type: DataTypes.STRING(320), allowNull: true },
    /** Our number or instance the message was sent to. */
    to_address: { type: DataTypes.STRING(320), allowNull: true },
    body: { type: DataTypes.TEXT, allowNull: true },
    /** ultramsg, twilio */
    provider: { type: DataTypes.STRING(32), allowNull: false },
    provider_message_id: { type: DataTypes.STRING(200), allowNull: false },
    /** The normalised opt-out word when the message was an opt-out, else null. */
    opt_out: { type: DataTypes.STRING(100), allowNull: true },
    received_at: { ...epochMs, allowNull: false },
    created_at: { ...epochMs, allowNull: false },
    processed_at: epochMs,
    redacted_at: epochMs,
  });
  await qi.addIndex('inbound_messages', ['tenant_id', 'provider', 'provider_message_id'], { unique: true, name: 'inbound_messages_provider_id' });
  await qi.addIndex('inbound_messages', ['tenant_id', 'contact_id', 'received_at'], { name: 'inbound_messages_contact' });

  await qi.createTable('provider_events', {
    tenant_id: { type: DataTypes.STRING(64), allowNull: false, primaryKey: true },
    provider: { type: DataTypes.STRING(32), allowNull: false, primaryKey: true },
    event_key: { type: DataTypes.STRING(300), allowNull: false, primaryKey: true },
    received_at: { ...epochMs, allowNull: false },
  });
  await qi.addIndex('provider_events', ['received_at'], { name: 'provider_events_received' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('provider_events');
  await qi.dropTable('inbound_messages');
}

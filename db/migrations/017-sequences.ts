// Sequences (issue 18, items 3–6): per-sender pacing, channel rotation, reply classes.
//
// `sender_usage`: one row per (tenant, sender) — a sender is `<channel>:<credential name>` or
// `<channel>:sandbox` — with the local date of its first message (ramp-up day 0), the latest
// reserved slot and the slots reserved per local day (JSON {date: count}, today and later).
// The outbox updates it inside the transaction that reserves a message, so caps survive
// restarts and hold across processes.
//
// `outbound_messages.sender_key` / `sender_slot_at`: the sender a message was paced on and the
// slot reserved for it (a deferred row keeps its slot; a re-run never reserves a second one).
//
// `inbound_messages.reply_class` / `reply_return_at` / `reply_classifier`: the reply's class
// (interested, not_now, out_of_office, wrong_person, unsubscribe, question, other), the
// out-of-office return date (epoch ms) and who classified it (llm provider name or `rules`).
//
// `enrollments.resume_at`: an enrollment paused by an out-of-office reply resumes then.
import { DataTypes, type QueryInterface } from 'sequelize';

const epochMs = { type: DataTypes.BIGINT, allowNull: true };

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('sender_usage', {
    tenant_id: { type: DataTypes.STRING(64), allowNull: false, primaryKey: true },
    sender_key: { type: DataTypes.STRING(140), allowNull: false, primaryKey: true },
    first_day: { type: DataTypes.STRING(10), allowNull: true },
    last_slot_at: epochMs,
    counts: { type: DataTypes.TEXT, allowNull: false, defaultValue: '{}' },
    updated_at: { ...epochMs, allowNull: false },
  });
  await qi.addColumn('outbound_messages', 'sender_key', { type: DataTypes.STRING(140), allowNull: true });
  await qi.addColumn('outbound_messages', 'sender_slot_at', epochMs);
  await qi.addColumn('inbound_messages', 'reply_class', { type: DataTypes.STRING(32), allowNull: true });
  await qi.addColumn('inbound_messages', 'reply_return_at', epochMs);
  await qi.addColumn('inbound_messages', 'reply_classifier', { type: DataTypes.STRING(32), allowNull: true });
  await qi.addColumn('enrollments', 'resume_at', epochMs);
  await qi.addIndex('enrollments', ['state', 'resume_at'], { name: 'enrollments_resume_at' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeIndex('enrollments', 'enrollments_resume_at');
  await qi.removeColumn('enrollments', 'resume_at');
  await qi.removeColumn('inbound_messages', 'reply_classifier');
  await qi.removeColumn('inbound_messages', 'reply_return_at');
  await qi.removeColumn('inbound_messages', 'reply_class');
  await qi.removeColumn('outbound_messages', 'sender_slot_at');
  await qi.removeColumn('outbound_messages', 'sender_key');
  await qi.dropTable('sender_usage');
}

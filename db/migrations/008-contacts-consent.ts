// Contacts (leads) and PDPL consent: `contacts` (tenant-scoped, unique phone and email per
// tenant), `consents` (one row per contact × channel × purpose, its current status) and
// `consent_events` (the append-only trail of every grant, renewal, withdrawal, expiry, blocked
// send and erasure). consent_events refuses UPDATE and DELETE in the database itself (a
// trigger), not only in the repository: the trail is evidence, nothing may rewrite it.
import { DataTypes, type QueryInterface } from 'sequelize';

const id = { type: DataTypes.STRING(64), primaryKey: true, allowNull: false };
const tenantId = { type: DataTypes.STRING(64), allowNull: false };
const ref = { type: DataTypes.STRING(64), allowNull: false };
const epochMs = { type: DataTypes.BIGINT, allowNull: true };
const json = { type: DataTypes.TEXT, allowNull: true };

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('contacts', {
    id,
    tenant_id: tenantId,
    name: { type: DataTypes.STRING(200), allowNull: false },
    /** E.164, or null (erased, or email only). */
    phone: { type: DataTypes.STRING(32), allowNull: true },
    /** Lower-cased, or null. */
    email: { type: DataTypes.STRING(320), allowNull: true },
    locale: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'ar' },
    company: { type: DataTypes.STRING(200), allowNull: true },
    source: { type: DataTypes.STRING(100), allowNull: true },
    /** The user who owns the contact (a sales rep sees only theirs). */
    owner_id: { type: DataTypes.STRING(64), allowNull: true },
    score: { type: DataTypes.INTEGER, allowNull: true },
    tier: { type: DataTypes.STRING(8), allowNull: true },
    tags: { ...json, allowNull: false, defaultValue: '[]' },
    attributes: { ...json, allowNull: false, defaultValue: '{}' },
    /** The contact's latest inbound message (the WhatsApp 24-hour window starts there). */
    last_inbound_at: epochMs,
    created_at: { ...epochMs, allowNull: false },
    updated_at: { ...epochMs, allowNull: false },
    erased_at: epochMs,
  });
  // NULLs never collide in a unique index (SQLite and PostgreSQL): erased and email-only contacts coexist.
  await qi.addIndex('contacts', ['tenant_id', 'phone'], { unique: true, name: 'contacts_tenant_phone' });
  await qi.addIndex('contacts', ['tenant_id', 'email'], { unique: true, name: 'contacts_tenant_email' });
  await qi.addIndex('contacts', ['tenant_id', 'id'], { name: 'contacts_tenant_id' });
  await qi.addIndex('contacts', ['tenant_id', 'owner_id', 'id'], { name: 'contacts_tenant_owner' });

  await qi.createTable('consents', {
    id,
    tenant_id: tenantId,
    contact_id: ref,
    channel: { type: DataTypes.STRING(16), allowNull: false },
    purpose: { type: DataTypes.STRING(32), allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false },
    granted_at: epochMs,
    renewed_at: epochMs,
    withdrawn_at: epochMs,
    expires_at: epochMs,
    source: { type: DataTypes.STRING(32), allowNull: true },
    evidence: json,
    created_at: { ...epochMs, allowNull: false },
    updated_at: { ...epochMs, allowNull: false },
  });
  await qi.addIndex('consents', ['tenant_id', 'contact_id', 'channel', 'purpose'], { unique: true, name: 'consents_subject' });
  // The expiry sweep: granted consents by expiry.
  await qi.addIndex('consents', ['status', 'expires_at'], { name: 'consents_due' });

  await qi.createTable('consent_events', {
    id,
    tenant_id: tenantId,
    contact_id: ref,
    /** Null for events about the whole contact (erasure). */
    channel: { type: DataTypes.STRING(16), allowNull: true },
    purpose: { type: DataTypes.STRING(32), allowNull: true },
    type: { type: DataTypes.STRING(16), allowNull: false },
    actor: { type: DataTypes.STRING(100), allowNull: false },
    source: { type: DataTypes.STRING(32), allowNull: true },
    evidence: json,
    details: json,
    at: { ...epochMs, allowNull: false },
  });
  await qi.addIndex('consent_events', ['tenant_id', 'contact_id', 'at'], { name: 'consent_events_contact' });

  // Erasure and export find a contact's executions by subject.
  await qi.addIndex('executions', ['tenant_id', 'subject'], { name: 'executions_tenant_subject' });

  if (qi.sequelize.getDialect() === 'postgres') {
    await qi.sequelize.query(`CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'consent_events is append-only'; END $$`);
    await qi.sequelize.query('CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent_events FOR EACH ROW EXECUTE FUNCTION consent_events_append_only()');
  } else {
    await qi.sequelize.query("CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END");
    await qi.sequelize.query("CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END");
  }
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeIndex('executions', 'executions_tenant_subject');
  await qi.dropTable('consent_events');
  if (qi.sequelize.getDialect() === 'postgres') await qi.sequelize.query('DROP FUNCTION IF EXISTS consent_events_append_only()');
  await qi.dropTable('consents');
  await qi.dropTable('contacts');
}

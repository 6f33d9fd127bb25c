// Saudi channels (issue 19): the WhatsApp Cloud API beside UltraMsg and Twilio, and the
// per-message cost estimate.
//
// - `whatsapp_numbers`: which tenant (and credential) owns a Cloud API phone_number_id. One
//   webhook serves the whole deployment (Meta posts every number's events to the app's one URL),
//   so each event is routed by its `metadata.phone_number_id` through this table. Kept in step
//   with the tenant's `whatsapp-cloud` credentials by the credential repository (same
//   transaction); the primary key makes a number belong to one tenant only.
// - `whatsapp_templates`: the tenant's message templates as last synced from the WhatsApp
//   Business Account (name, language, status, category): the category prices a template send.
// - `outbound_messages.cost_category` / `cost_halalas`: the estimated price of a message
//   (server/channels/whatsapp-pricing.ts), integer halalas, null where nothing is charged per
//   message or it is unknown.
import { DataTypes, type QueryInterface } from 'sequelize';

const epochMs = { type: DataTypes.BIGINT, allowNull: true };

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('whatsapp_numbers', {
    phone_number_id: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    tenant_id: { type: DataTypes.STRING(64), allowNull: false },
    credential_id: { type: DataTypes.STRING(64), allowNull: false },
    created_at: { ...epochMs, allowNull: false },
  });
  await qi.addIndex('whatsapp_numbers', ['tenant_id', 'credential_id'], { name: 'whatsapp_numbers_credential' });

  await qi.createTable('whatsapp_templates', {
    tenant_id: { type: DataTypes.STRING(64), allowNull: false },
    credential_id: { type: DataTypes.STRING(64), allowNull: false },
    name: { type: DataTypes.STRING(512), allowNull: false },
    language: { type: DataTypes.STRING(16), allowNull: false },
    /** Meta's template id. */
    template_id: { type: DataTypes.STRING(64), allowNull: true },
    /** APPROVED, PENDING, REJECTED, PAUSED, DISABLED… as Meta names it. */
    status: { type: DataTypes.STRING(32), allowNull: false },
    /** marketing, utility, authentication (lower case). */
    category: { type: DataTypes.STRING(32), allowNull: false },
    /** The BODY component's text (placeholders {{1}} or {{name}}), for the editor. */
    body: { type: DataTypes.TEXT, allowNull: true },
    synced_at: { ...epochMs, allowNull: false },
  });
  await qi.addIndex('whatsapp_templates', ['tenant_id', 'credential_id', 'name', 'language'], { unique: true, name: 'whatsapp_templates_key' });

  await qi.addColumn('outbound_messages', 'cost_category', { type: DataTypes.STRING(32), allowNull: true });
  await qi.addColumn('outbound_messages', 'cost_halalas', { type: DataTypes.INTEGER, allowNull: true });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeColumn('outbound_messages', 'cost_halalas');
  await qi.removeColumn('outbound_messages', 'cost_category');
  await qi.dropTable('whatsapp_templates');
  await qi.dropTable('whatsapp_numbers');
}

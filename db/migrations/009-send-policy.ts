// Send policy: the tenant's holidays (closed local days for sends that respect business
// hours). The policy itself (days, hours, channel bounds, caps) lives in tenants.settings
// under `sendPolicy`. Eid dates follow the moon sighting: admins adjust them, and those
// seeded from the Umm al-Qura calendar are marked `approximate` until confirmed.
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('send_holidays', {
    id: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    tenant_id: { type: DataTypes.STRING(64), allowNull: false },
    /** 'YYYY-MM-DD', local date in the policy's time zone, inclusive */
    starts_on: { type: DataTypes.STRING(10), allowNull: false },
    ends_on: { type: DataTypes.STRING(10), allowNull: false },
    name_ar: { type: DataTypes.STRING(200), allowNull: false },
    name_en: { type: DataTypes.STRING(200), allowNull: false },
    approximate: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    created_by: { type: DataTypes.STRING(100), allowNull: false },
    created_at: { type: DataTypes.BIGINT, allowNull: false },
    updated_at: { type: DataTypes.BIGINT, allowNull: false },
  });
  await qi.addIndex('send_holidays', ['tenant_id', 'starts_on'], { name: 'send_holidays_tenant_starts' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('send_holidays');
}

// Payments (issue 20): one row per payment a provider reported through a verified webhook
// (server/payments/). UNIQUE(tenant, provider, provider_payment_id, status): a repeated webhook
// (the provider retries, or sends the same event twice) inserts nothing and so acts once.
// Money: amount_halalas is an integer (BIGINT) on both dialects, never a float or a decimal.
// No personal data: ids, amounts and statuses only (the payer is the deal's contact).
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('payments', {
    id: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    tenant_id: { type: DataTypes.STRING(64), allowNull: false },
    /** moyasar | stripe */
    provider: { type: DataTypes.STRING(16), allowNull: false },
    /** Moyasar payment id; Stripe Checkout Session id. */
    provider_payment_id: { type: DataTypes.STRING(200), allowNull: false },
    /** The provider's webhook event id (Moyasar event id, Stripe evt_…), for the trail. */
    provider_event_id: { type: DataTypes.STRING(200), allowNull: true },
    /** The payment link: Moyasar invoice id; Stripe Checkout Session id. */
    link_id: { type: DataTypes.STRING(200), allowNull: true },
    deal_id: { type: DataTypes.STRING(64), allowNull: true },
    amount_halalas: { type: DataTypes.BIGINT, allowNull: false },
    currency: { type: DataTypes.STRING(3), allowNull: false },
    /** paid | failed */
    status: { type: DataTypes.STRING(16), allowNull: false },
    created_at: { type: DataTypes.BIGINT, allowNull: false },
  });
  await qi.addIndex('payments', ['tenant_id', 'provider', 'provider_payment_id', 'status'], { unique: true, name: 'payments_tenant_provider_payment' });
  await qi.addIndex('payments', ['tenant_id', 'deal_id'], { name: 'payments_tenant_deal' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('payments');
}

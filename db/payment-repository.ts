// Payments of one tenant reported by verified provider webhooks (migration 023). record() is the
// webhook dedupe: INSERT … ON CONFLICT DO NOTHING on (tenant, provider, provider payment id,
// status), so only the first delivery of a payment's outcome is acted on. amount_halalas is a
// BIGINT: PostgreSQL's driver answers it as a string, SQLite as a number; both read back as an
// exact integer (well inside Number.MAX_SAFE_INTEGER for any SAR amount).
import { v7 as uuidv7 } from 'uuid';
import type { Database } from './database.js';
import type { Query, Row } from './sql-executor.js';

export type PaymentProvider = 'moyasar' | 'stripe';
export type PaymentStatus = 'paid' | 'failed';

export interface Payment {
  id: string;
  provider: PaymentProvider;
  providerPaymentId: string;
  providerEventId: string | null;
  linkId: string | null;
  dealId: string | null;
  /** Integer halalas (1 SAR = 100). */
  amountHalalas: number;
  currency: string;
  status: PaymentStatus;
  createdAt: number;
}

export type NewPayment = Omit<Payment, 'id' | 'createdAt'>;

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function paymentOf(r: Row): Payment {
  const amount = BigInt(String(r.amount_halalas));
  return {
    id: String(r.id),
    provider: String(r.provider) as PaymentProvider,
    providerPaymentId: String(r.provider_payment_id),
    providerEventId: str(r.provider_event_id),
    linkId: str(r.link_id),
    dealId: str(r.deal_id),
    amountHalalas: Number(amount),
    currency: String(r.currency),
    status: String(r.status) as PaymentStatus,
    createdAt: Number(r.created_at),
  };
}

export class PaymentRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /** Insert the payment's outcome; null when this (provider, payment, status) was recorded before. */
  async record(p: NewPayment, query: Query, now = Date.now()): Promise<Payment | null> {
    if (!Number.isSafeInteger(p.amountHalalas) || p.amountHalalas < 0) throw new Error(`amount in halalas must be a non-negative integer, not ${p.amountHalalas}`);
    const id = uuidv7();
    const rows = await query(
      `INSERT INTO payments (id, tenant_id, provider, provider_payment_id, provider_event_id, link_id, deal_id, amount_halalas, currency, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (tenant_id, provider, provider_payment_id, status) DO NOTHING RETURNING id`,
      [id, this.tenantId, p.provider, p.providerPaymentId, p.providerEventId, p.linkId, p.dealId, p.amountHalalas, p.currency, p.status, now],
    );
    if (!rows.length) return null;
    return { ...p, id, createdAt: now };
  }

  /** Whether the payment already has this status recorded (a paid payment ignores a late failure). */
  async has(provider: PaymentProvider, providerPaymentId: string, status: PaymentStatus, query?: Query): Promise<boolean> {
    const rows = await (query ?? this.db.sql.query)('SELECT 1 AS x FROM payments WHERE tenant_id = $1 AND provider = $2 AND provider_payment_id = $3 AND status = $4', [this.tenantId, provider, providerPaymentId, status]);
    return rows.length > 0;
  }

  async forDeal(dealId: string): Promise<Payment[]> {
    const rows = await this.db.sql.query('SELECT * FROM payments WHERE tenant_id = $1 AND deal_id = $2 ORDER BY id', [this.tenantId, dealId]);
    return rows.map(paymentOf);
  }
}

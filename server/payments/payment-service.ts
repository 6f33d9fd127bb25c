// Settling a payment a gateway webhook reported (server/payments/payment-webhooks.ts verified it
// first): in ONE transaction the payment row (the dedupe: a repeated webhook inserts nothing and
// changes nothing), the deal moved to won (paid only; deal.updated / deal.stage_changed), the
// domain event payment.paid or payment.failed (id `payment.<status>:<provider>:<payment id>`)
// and an audit entry. After the commit the events are routed like the CRM's: they resume
// wait.event steps and start flows with trigger.event (e.g. a WhatsApp receipt).
import type { Database } from '../../db/index.js';
import type { Query } from '../../db/sql-executor.js';
import type { AuditRepository } from '../../db/audit-repository.js';
import type { DomainEvent } from '../../db/domain-event-repository.js';
import { DealRepository, type Deal } from '../../db/deal-repository.js';
import { PaymentRepository, type NewPayment, type Payment } from '../../db/payment-repository.js';
import { sarOfHalalas } from '../../nodes/shared/payment-providers.js';
import type { CrmService } from '../crm/crm-service.js';
import { dealView } from '../crm/crm-views.js';
import type { EventRouter } from '../events/event-router.js';

export interface PaymentServiceDeps {
  db: Database;
  events: EventRouter;
  crm: CrmService;
  audit: (tenantId: string) => AuditRepository;
}

export interface SettleResult {
  result: 'recorded' | 'duplicate';
  payment: Payment | null;
  /** The deal moved to won by this payment. */
  dealWon: boolean;
  /** Domain events published (payment.paid, deal.updated, deal.stage_changed…). */
  events: string[];
}

/** The payment as events and API answers show it: halalas as an integer, SAR as a decimal string. */
export function paymentView(p: Payment): Record<string, unknown> {
  return {
    id: p.id,
    provider: p.provider,
    providerPaymentId: p.providerPaymentId,
    providerEventId: p.providerEventId,
    linkId: p.linkId,
    dealId: p.dealId,
    amountHalalas: p.amountHalalas,
    amountSar: sarOfHalalas(p.amountHalalas),
    currency: p.currency,
    status: p.status,
    at: new Date(p.createdAt).toISOString(),
  };
}

export class PaymentService {
  constructor(private readonly deps: PaymentServiceDeps) {}

  payments(tenantId: string): PaymentRepository {
    return new PaymentRepository(this.deps.db, tenantId);
  }

  async settle(tenantId: string, input: NewPayment, now = Date.now()): Promise<SettleResult> {
    const stored: DomainEvent[] = [];
    let outcome: SettleResult = { result: 'duplicate', payment: null, dealWon: false, events: [] };
    await this.deps.db.sql.transaction(async (q: Query) => {
      stored.length = 0;
      outcome = { result: 'duplicate', payment: null, dealWon: false, events: [] };
      const repo = this.payments(tenantId);
      // A payment reported paid is final: a late or replayed failure of it changes nothing.
      if (input.status === 'failed' && (await repo.has(input.provider, input.providerPaymentId, 'paid', q))) return;
      const payment = await repo.record(input, q, now);
      if (!payment) return;
      const emit = async (type: string, subject: string | null, data: Record<string, unknown>, id?: string): Promise<void> => {
        stored.push(await this.deps.events.store(tenantId, q, { type, subject, data, ...(id ? { id } : {}) }, 'payment'));
      };
      const actor = `payment:${input.provider}`;
      let deal: Deal | null = input.dealId ? await new DealRepository(this.deps.db, tenantId).byId(input.dealId, q) : null;
      let dealWon = false;
      if (deal && input.status === 'paid' && deal.stage !== 'won') {
        deal = (await this.deps.crm.changeDeal(tenantId, q, deal.id, { stage: 'won' }, { actor }, emit)).deal;
        dealWon = true;
      }
      await emit(
        `payment.${input.status}`,
        deal?.contactId ?? null,
        { payment: paymentView(payment), deal: deal ? dealView(deal) : null },
        `payment.${input.status}:${input.provider}:${input.providerPaymentId}`,
      );
      await this.deps.audit(tenantId).record(
        { actor, action: `payment.${input.status}`, target: `deal:${input.dealId ?? '-'}`, details: { provider: input.provider, paymentId: input.providerPaymentId, amountHalalas: input.amountHalalas, currency: input.currency }, requestId: null },
        q,
      );
      outcome = { result: 'recorded', payment, dealWon, events: [] };
    });
    await this.deps.events.dispatch(tenantId, stored);
    return { ...outcome, events: stored.map((e) => e.type) };
  }
}

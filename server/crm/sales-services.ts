// Builds the services of the sales side (event routing, the escalation inbox, the CRM records, the document store)
// for one process, before its runtime exists: they reach the runtime lazily (bind()), and the
// runtime reaches them through the gateways (ctx.escalations, ctx.crm, ctx.documents), like credentials.
import type { Logger } from 'pino';
import type { CrmGateway, DocumentGateway, EscalationGateway, Runtime } from '../../engine/index.js';
import type { Database, TenantRepository } from '../../db/index.js';
import { AuditRepository } from '../../db/audit-repository.js';
import { UserRepository } from '../../db/user-repository.js';
import { ContactRepository } from '../../db/contacts/index.js';
import { EventRouter, startEventSweeper } from '../events/event-router.js';
import { EscalationService, startEscalationSweeper } from '../escalations/escalation-service.js';
import { CrmService } from './crm-service.js';
import { DocumentService } from '../documents/document-service.js';

export interface SalesServices {
  events: EventRouter;
  escalations: EscalationService;
  crm: CrmService;
  /** Stored files (proposal PDFs) that messages attach by id. */
  documents: DocumentService;
  /** What createRuntime threads into the step runner. */
  runtimeServices: { escalations: EscalationGateway; crm: CrmGateway; documents: DocumentGateway };
  /** Give the services the process's runtime (call once, right after creating it). */
  bind(runtime: Runtime): void;
  /** API process: sweep escalations (timeouts, orphans, undelivered decisions) and unrouted events every minute. Returns stop(). */
  startSweepers(intervalMs?: number): () => void;
}

export function createSalesServices(deps: { db: Database; tenants: TenantRepository; log: Logger }): SalesServices {
  const { db, tenants, log } = deps;
  let bound: Runtime | null = null;
  const runtime = (): Runtime => {
    if (!bound) throw new Error('the runtime is not bound to the sales services yet');
    return bound;
  };
  const users = new UserRepository(db);
  const audit = (tenantId: string) => new AuditRepository(db, tenantId);
  const contacts = (tenantId: string) => new ContactRepository(db, tenantId);
  const events = new EventRouter({ db, runtime, contacts, log });
  const escalations = new EscalationService({ db, users, audit, runtime, log });
  const crm = new CrmService({ db, events, users, tenants, contacts, audit, log });
  const documents = new DocumentService(db);
  return {
    events,
    escalations,
    crm,
    documents,
    runtimeServices: { escalations: escalations.gateway(), crm: crm.gateway(), documents: documents.gateway() },
    bind(r) {
      bound = r;
    },
    startSweepers(intervalMs = 60_000) {
      const stops = [startEscalationSweeper(escalations, log, intervalMs), startEventSweeper(events, log, intervalMs)];
      return () => stops.forEach((stop) => stop());
    },
  };
}

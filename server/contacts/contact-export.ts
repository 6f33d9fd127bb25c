// Everything held about a contact (GET /api/v1/contacts/:id/export, the PDPL right of access):
// the contact, its consents and consent trail, the executions about it with their steps, the
// audit entries naming it and its rows in every other table (db/contacts/subject-data.ts).
// The export itself is audited.
import type { AppContext } from '../app-context.js';
import { SubjectData, type Contact } from '../../db/contacts/index.js';
import { contactView } from '../crm/crm-views.js';
import { consentView, eventView } from './consent-views.js';
import type { Actor } from './contact-service.js';

export type ContactExportContext = Pick<AppContext, 'db' | 'consents' | 'executions' | 'audit'>;

export async function exportContact(ctx: ContactExportContext, tenantId: string, contact: Contact, by: Actor, now = Date.now()) {
  const subject = new SubjectData(ctx.db, tenantId);
  const [consents, events, executionIds, auditEntries, records] = await Promise.all([
    ctx.consents(tenantId).list(contact.id),
    ctx.consents(tenantId).events(contact.id, { chronological: true }),
    subject.executionIds(contact.id),
    subject.auditEntries(contact.id),
    subject.relatedRecords(contact.id),
  ]);
  const executions = [];
  for (const id of executionIds) {
    const execution = await ctx.executions(tenantId).get(id);
    if (execution) executions.push(execution);
  }
  await ctx.audit(tenantId).record({ actor: by.actor, action: 'contact.export', target: contact.id, details: { executions: executions.length, consentEvents: events.length }, requestId: by.requestId });
  return {
    exportedAt: new Date(now).toISOString(),
    contact: contactView(contact),
    consents: consents.map((c) => consentView(c, now)),
    consentEvents: events.map(eventView),
    executions,
    auditEntries,
    records,
  };
}

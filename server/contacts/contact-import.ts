// Import contacts and their consents from CSV (POST /api/v1/contacts/import): parse the file
// (server/consent/csv-import.ts; a file unusable as a whole throws CsvFileError, a 400 or 413),
// save every good row with its consent events (db/contacts/contact-import.ts), optionally
// announce the new leads so flows start for them, and audit the import. Bad rows are skipped
// and reported with their row and column.
import type { AppContext } from '../app-context.js';
import { importContacts, type ImportConsent, type ImportContact } from '../../db/contacts/index.js';
import type { Channel, Purpose } from '../../engine/consent/consent-rule.js';
import { parseContactCsv, type CsvRowError } from '../consent/csv-import.js';
import type { Actor } from './contact-service.js';

export type ContactImportContext = Pick<AppContext, 'db' | 'contacts' | 'audit' | 'crm'>;

export interface ContactImportRequest {
  csv: string;
  /** Granted for every saved row without its own value in that consent column. */
  defaultConsent?: { channel: Channel; purpose: Purpose; source?: string; evidence: Record<string, unknown> };
  /** Publish lead.created for each contact the import creates. */
  announce?: boolean;
}

export interface ContactImportOutcome {
  created: number;
  updated: number;
  failed: number;
  errors: CsvRowError[];
}

export async function importContactCsv(ctx: ContactImportContext, tenantId: string, request: ContactImportRequest, by: Actor, now = Date.now()): Promise<ContactImportOutcome> {
  const parsed = parseContactCsv(request.csv, { now });
  const { actor, requestId: importId } = by;
  const d = request.defaultConsent;
  const rows: ImportContact[] = parsed.rows.map((r) => {
    const consents: ImportConsent[] = r.consents.map((c) => ({
      channel: c.channel,
      purpose: c.purpose,
      action: c.action,
      effectiveAt: c.at,
      source: 'import',
      evidence: { importedBy: actor, importId, row: r.row, cell: c.cell },
      details: { importId, row: r.row },
    }));
    if (d && !consents.some((c) => c.channel === d.channel && c.purpose === d.purpose)) {
      consents.push({ channel: d.channel, purpose: d.purpose, action: 'grant', effectiveAt: now, source: d.source ?? 'import', evidence: { ...d.evidence, importId, row: r.row }, details: { importId, row: r.row, defaultConsent: true } });
    }
    return { row: r.row, name: r.name, phone: r.phone, email: r.email, company: r.company, source: r.source, locale: r.locale, tags: r.tags, consents };
  });
  const saved = await importContacts(ctx.db, tenantId, rows, { actor, now });
  const { created, updated } = saved;
  if (request.announce) {
    // After the import committed: flows start for contacts that exist. One at a time, in row order.
    const contacts = ctx.contacts(tenantId);
    for (const id of saved.createdIds) {
      const contact = await contacts.byId(id);
      if (contact) await ctx.crm.leadCreated(tenantId, contact, { actor });
    }
  }
  const errors: CsvRowError[] = [...parsed.errors, ...saved.errors];
  errors.sort((a, b) => a.row - b.row);
  const failed = new Set(errors.map((e) => e.row)).size;
  await ctx.audit(tenantId).record({
    actor,
    action: 'contacts.import',
    target: null,
    details: { rows: parsed.total, created, updated, failed, announced: request.announce ? created : 0, defaultConsent: d ? `${d.channel}:${d.purpose}` : null },
    requestId: importId,
  });
  return { created, updated, failed, errors };
}

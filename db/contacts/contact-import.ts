// Saving a contacts import (rows already parsed and checked by server/consent/csv-import.ts).
//
// Rows are saved in batches of `batchSize` (500), one transaction per batch, with few
// statements per batch (existing contacts and consents read at once, new ones inserted in
// multi-row INSERTs): 10,000 rows take seconds, not minutes. A row matches an existing contact
// by phone or email and updates it (fields from the file win; tags are merged); otherwise it
// creates one. A row whose phone and email belong to two different contacts is reported and
// skipped. Consent changes follow consent-rule's applyConsentChange and each writes its event
// in the batch's transaction. If the database refuses a batch (another writer took a phone or
// an email meanwhile), that batch is saved again row by row, each in its own transaction, so
// one refused row is reported without losing the others.
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../database.js';
import type { Query } from '../sql-executor.js';
import { contactOf, type Contact } from './contact-repository.js';
import { appendEvents, consentOf, type Consent, type NewConsentEvent } from './consent-repository.js';
import { applyConsentChange, type Channel, type ConsentState, type Purpose } from '../../engine/consent/consent-rule.js';

export interface ImportConsent {
  channel: Channel;
  purpose: Purpose;
  action: 'grant' | 'withdraw';
  /** When consent was given (grant) or the objection made; the event is recorded at `now`. */
  effectiveAt: number;
  source: string;
  evidence: unknown;
  details?: Record<string, unknown>;
}

export interface ImportContact {
  row: number;
  name: string;
  phone: string | null;
  email: string | null;
  company: string | null;
  source: string | null;
  locale: 'ar' | 'en' | null;
  tags: string[] | null;
  consents: ImportConsent[];
}

export interface ImportRowError {
  row: number;
  column: string | null;
  code: string;
  message: string;
}

export interface ImportOutcome {
  created: number;
  /** Ids of the contacts created, in row order. */
  createdIds: string[];
  updated: number;
  errors: ImportRowError[];
}

const jsonText = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

async function insertRows(q: Query, table: string, columns: string[], rows: unknown[][], chunk = 100): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) {
    const params: unknown[] = [];
    const tuples = rows.slice(i, i + chunk).map((r) => `(${r.map((v) => (params.push(v), `$${params.length}`)).join(', ')})`);
    await q(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, params);
  }
}

/** `SELECT … WHERE column IN (…)` in chunks (bounded parameter lists). */
async function selectIn(q: Query, sql: (marks: string) => string, fixed: unknown[], values: unknown[], chunk = 400): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < values.length; i += chunk) {
    const part = values.slice(i, i + chunk);
    out.push(...(await q(sql(part.map((_, j) => `$${fixed.length + j + 1}`).join(', ')), [...fixed, ...part])));
  }
  return out;
}

const isUniqueViolation = (err: unknown): boolean => {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || (typeof e?.message === 'string' && e.message.includes('UNIQUE constraint failed'));
};

const CONTACT_COLUMNS = ['id', 'tenant_id', 'name', 'phone', 'email', 'locale', 'company', 'source', 'owner_id', 'score', 'tier', 'tags', 'attributes', 'last_inbound_at', 'created_at', 'updated_at'];
const CONSENT_COLUMNS = ['id', 'tenant_id', 'contact_id', 'channel', 'purpose', 'status', 'granted_at', 'renewed_at', 'withdrawn_at', 'expires_at', 'source', 'evidence', 'created_at', 'updated_at'];

async function saveBatch(db: Database, tenantId: string, rows: ImportContact[], options: { actor: string; now: number }): Promise<ImportOutcome> {
  const { actor, now } = options;
  const outcome: ImportOutcome = { created: 0, createdIds: [], updated: 0, errors: [] };
  const lock = db.dialect === 'postgres' ? ' FOR UPDATE' : '';
  await db.sql.transaction(async (q) => {
    outcome.created = 0;
    outcome.createdIds = [];
    outcome.updated = 0;
    outcome.errors = [];
    const phones = rows.flatMap((r) => (r.phone ? [r.phone] : []));
    const emails = rows.flatMap((r) => (r.email ? [r.email] : []));
    const found = [
      ...(await selectIn(q, (m) => `SELECT * FROM contacts WHERE tenant_id = $1 AND phone IN (${m})${lock}`, [tenantId], phones)),
      ...(await selectIn(q, (m) => `SELECT * FROM contacts WHERE tenant_id = $1 AND email IN (${m})${lock}`, [tenantId], emails)),
    ].map(contactOf);
    const byPhone = new Map<string, Contact>();
    const byEmail = new Map<string, Contact>();
    for (const c of found) {
      if (c.phone) byPhone.set(c.phone, c);
      if (c.email) byEmail.set(c.email, c);
    }

    const inserts: unknown[][] = [];
    const consentOwners: { contactId: string; isNew: boolean; row: ImportContact }[] = [];
    for (const r of rows) {
      const samePhone = r.phone ? byPhone.get(r.phone) : undefined;
      const sameEmail = r.email ? byEmail.get(r.email) : undefined;
      if (samePhone && sameEmail && samePhone.id !== sameEmail.id) {
        outcome.errors.push({ row: r.row, column: 'email', code: 'conflict', message: 'the phone and the email belong to two different contacts' });
        continue;
      }
      const target = samePhone ?? sameEmail;
      if (target) {
        const tags = r.tags ? [...new Set([...target.tags, ...r.tags])] : target.tags;
        await q('UPDATE contacts SET name = $3, phone = $4, email = $5, company = $6, source = $7, locale = $8, tags = $9, updated_at = $10 WHERE tenant_id = $1 AND id = $2', [
          tenantId,
          target.id,
          r.name,
          r.phone ?? target.phone,
          r.email ?? target.email,
          r.company ?? target.company,
          r.source ?? target.source,
          r.locale ?? target.locale,
          JSON.stringify(tags),
          now,
        ]);
        outcome.updated++;
        consentOwners.push({ contactId: target.id, isNew: false, row: r });
      } else {
        const id = uuidv7();
        inserts.push([id, tenantId, r.name, r.phone, r.email, r.locale ?? 'ar', r.company, r.source, null, null, null, JSON.stringify(r.tags ?? []), '{}', null, now, now]);
        outcome.created++;
        outcome.createdIds.push(id);
        consentOwners.push({ contactId: id, isNew: true, row: r });
      }
    }
    await insertRows(q, 'contacts', CONTACT_COLUMNS, inserts);

    // Consents: the current ones of the updated contacts, then each wanted change through the rule.
    const existingIds = [...new Set(consentOwners.filter((o) => !o.isNew && o.row.consents.length).map((o) => o.contactId))];
    const current = new Map<string, Consent>();
    for (const r of await selectIn(q, (m) => `SELECT * FROM consents WHERE tenant_id = $1 AND contact_id IN (${m})`, [tenantId], existingIds)) {
      const c = consentOf(r);
      current.set(`${c.contactId}|${c.channel}|${c.purpose}`, c);
    }
    const changed = new Map<string, { before: Consent | null; next: ConsentState; source: string | null; evidence: unknown; contactId: string }>();
    const events: NewConsentEvent[] = [];
    for (const { contactId, row } of consentOwners) {
      for (const c of row.consents) {
        const key = `${contactId}|${c.channel}|${c.purpose}`;
        const pending = changed.get(key);
        const before: ConsentState | null = pending?.next ?? current.get(key) ?? null;
        // A consent on file that is at least as recent keeps its (fresher) evidence.
        if (c.action === 'grant' && before?.status === 'granted' && Math.max(before.grantedAt ?? 0, before.renewedAt ?? 0) >= c.effectiveAt) continue;
        const result = applyConsentChange(before, c.channel, c.purpose, { type: c.action, at: c.effectiveAt });
        if (!result.ok) continue;
        const stored = current.get(key) ?? null;
        const source = c.action === 'grant' || !stored ? c.source : (pending?.source ?? stored.source);
        const evidence = c.action === 'grant' ? c.evidence : (pending?.evidence ?? stored?.evidence ?? null);
        changed.set(key, { before: stored, next: result.next, source, evidence, contactId });
        const details = { ...c.details, ...(c.effectiveAt !== now ? { effectiveAt: new Date(c.effectiveAt).toISOString() } : {}) };
        events.push({ contactId, channel: c.channel, purpose: c.purpose, type: c.action, actor, source: c.source, evidence: c.action === 'grant' ? c.evidence : undefined, details, at: now });
      }
    }
    const consentInserts: unknown[][] = [];
    for (const { before, next, source, evidence, contactId } of changed.values()) {
      if (before) {
        await q('UPDATE consents SET status = $3, granted_at = $4, renewed_at = $5, withdrawn_at = $6, expires_at = $7, source = $8, evidence = $9, updated_at = $10 WHERE tenant_id = $1 AND id = $2', [
          tenantId,
          before.id,
          next.status,
          next.grantedAt,
          next.renewedAt,
          next.withdrawnAt,
          next.expiresAt,
          source,
          jsonText(evidence),
          now,
        ]);
      } else {
        consentInserts.push([uuidv7(), tenantId, contactId, next.channel, next.purpose, next.status, next.grantedAt, next.renewedAt, next.withdrawnAt, next.expiresAt, source, jsonText(evidence), now, now]);
      }
    }
    await insertRows(q, 'consents', CONSENT_COLUMNS, consentInserts, 50);
    await appendEvents(q, tenantId, events);
  });
  return outcome;
}

/** Save parsed import rows (see the header comment for batching and matching). */
export async function importContacts(db: Database, tenantId: string, rows: ImportContact[], options: { actor: string; now: number; batchSize?: number }): Promise<ImportOutcome> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 500));
  const total: ImportOutcome = { created: 0, createdIds: [], updated: 0, errors: [] };
  const add = (o: ImportOutcome) => {
    total.created += o.created;
    total.createdIds.push(...o.createdIds);
    total.updated += o.updated;
    total.errors.push(...o.errors);
  };
  for (let i = 0; i < rows.length; i += batchSize) {
    const batch = rows.slice(i, i + batchSize);
    try {
      add(await saveBatch(db, tenantId, batch, options));
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      for (const row of batch) {
        try {
          add(await saveBatch(db, tenantId, [row], options));
        } catch (rowErr) {
          if (!isUniqueViolation(rowErr)) throw rowErr;
          const column = /email/.test(String((rowErr as { constraint?: string; message?: string }).constraint ?? (rowErr as Error).message)) ? 'email' : 'phone';
          total.errors.push({ row: row.row, column, code: 'duplicate', message: `another contact took this ${column} during the import` });
        }
      }
    }
  }
  total.errors.sort((a, b) => a.row - b.row);
  return total;
}

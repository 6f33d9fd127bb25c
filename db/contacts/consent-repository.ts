// PDPL consents of one tenant's contacts, and their append-only trail.
//
// `consents` holds the current status per contact × channel × purpose; `consent_events` holds
// every change (grant, renew, withdraw, expire), every blocked send and every erasure. Every
// change to a consent writes its event in the same transaction. The trail is append-only:
// this repository has no method that updates or deletes an event, and the database refuses
// UPDATE and DELETE on consent_events (a trigger, migration 008) — except the erasure sweep's
// rewrite of an erased contact's identifying values (migration 015; personal-data-sweep.ts).
//
// The rule itself (which transitions exist, when a consent is valid) is the pure module
// engine/consent/consent-rule.ts, imported here so the repository, the API and the outbox
// apply one rule.
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../database.js';
import { parseJsonColumn, type Query, type Row } from '../sql-executor.js';
import {
  applyConsentChange,
  consentDecision,
  type Channel,
  type ConsentDecision,
  type ConsentEventType,
  type ConsentState,
  type ConsentStatus,
  type Purpose,
} from '../../engine/consent/consent-rule.js';

export interface Consent extends ConsentState {
  id: string;
  contactId: string;
  source: string | null;
  evidence: unknown;
  createdAt: number;
  updatedAt: number;
}

export interface ConsentEvent {
  id: string;
  contactId: string;
  channel: Channel | null;
  purpose: Purpose | null;
  type: ConsentEventType;
  actor: string;
  source: string | null;
  evidence: unknown;
  details: unknown;
  at: number;
}

/** Who changed a consent, how it was obtained, and the proof. */
export interface ChangeInput {
  actor: string;
  source?: string | null;
  /** Proof of the grant (form URL, IP, message id, the text shown); stored with the consent and in the event. */
  evidence?: unknown;
  /** Anything else worth keeping in the event (a withdrawal's reason, a request id). */
  details?: unknown;
  /** When the change is recorded (the event's time; default now). */
  at?: number;
  /** When the change takes effect, if earlier than `at`: consent given on a paper form last week (default `at`). */
  effectiveAt?: number;
}

export class ConsentChangeRefused extends Error {
  override readonly name = 'ConsentChangeRefused';
  constructor(readonly code: 'renew_not_allowed' | 'contact_not_found' | 'contact_erased') {
    super(code === 'renew_not_allowed' ? 'only a granted or expired consent can be renewed; a withdrawn or missing one needs a new grant' : code === 'contact_erased' ? 'the contact was erased' : 'contact not found');
  }
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const jsonText = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

export function consentOf(r: Row): Consent {
  return {
    id: String(r.id),
    contactId: String(r.contact_id),
    channel: String(r.channel) as Channel,
    purpose: String(r.purpose) as Purpose,
    status: String(r.status) as ConsentStatus,
    grantedAt: num(r.granted_at),
    renewedAt: num(r.renewed_at),
    withdrawnAt: num(r.withdrawn_at),
    expiresAt: num(r.expires_at),
    source: str(r.source),
    evidence: parseJsonColumn(r.evidence),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function consentEventOf(r: Row): ConsentEvent {
  return {
    id: String(r.id),
    contactId: String(r.contact_id),
    channel: str(r.channel) as Channel | null,
    purpose: str(r.purpose) as Purpose | null,
    type: String(r.type) as ConsentEventType,
    actor: String(r.actor),
    source: str(r.source),
    evidence: parseJsonColumn(r.evidence),
    details: parseJsonColumn(r.details),
    at: Number(r.at),
  };
}

export interface NewConsentEvent {
  contactId: string;
  channel: Channel | null;
  purpose: Purpose | null;
  type: ConsentEventType;
  actor: string;
  source?: string | null;
  evidence?: unknown;
  details?: unknown;
  at: number;
}

/** The only write to consent_events: an INSERT. */
async function appendEvent(q: Query, tenantId: string, e: NewConsentEvent): Promise<ConsentEvent> {
  const id = uuidv7();
  await q('INSERT INTO consent_events (id, tenant_id, contact_id, channel, purpose, type, actor, source, evidence, details, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', [
    id,
    tenantId,
    e.contactId,
    e.channel,
    e.purpose,
    e.type,
    e.actor,
    e.source ?? null,
    jsonText(e.evidence),
    jsonText(e.details),
    e.at,
  ]);
  return { id, contactId: e.contactId, channel: e.channel, purpose: e.purpose, type: e.type, actor: e.actor, source: e.source ?? null, evidence: e.evidence ?? null, details: e.details ?? null, at: e.at };
}

const EVENT_COLUMNS = ['id', 'tenant_id', 'contact_id', 'channel', 'purpose', 'type', 'actor', 'source', 'evidence', 'details', 'at'];

/** Many events in few statements (the CSV import): still INSERTs only. */
export async function appendEvents(q: Query, tenantId: string, events: NewConsentEvent[], chunk = 100): Promise<void> {
  for (let i = 0; i < events.length; i += chunk) {
    const params: unknown[] = [];
    const tuples = events.slice(i, i + chunk).map((e) => {
      params.push(uuidv7(), tenantId, e.contactId, e.channel, e.purpose, e.type, e.actor, e.source ?? null, jsonText(e.evidence), jsonText(e.details), e.at);
      const base = params.length - EVENT_COLUMNS.length;
      return `(${EVENT_COLUMNS.map((_, j) => `$${base + j + 1}`).join(', ')})`;
    });
    await q(`INSERT INTO consent_events (${EVENT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, params);
  }
}

export const EXPIRY_ACTOR = 'system:consent-expiry';

/**
 * Mark granted consents past their expiry `expired`, each with an `expire` event, in batches
 * of `batchSize` (one transaction per batch). Across all tenants unless `tenantId` is given.
 * Safe to run from several processes at once: the UPDATE re-checks status and expiry, so a
 * consent is expired (and its event written) once, and a renewal committed meanwhile wins.
 */
export async function expireDueConsents(db: Database, now: number, options: { tenantId?: string; batchSize?: number } = {}): Promise<number> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 500));
  let total = 0;
  for (;;) {
    let expired = 0;
    await db.sql.transaction(async (q) => {
      const scope = options.tenantId === undefined ? '' : ' AND tenant_id = $3';
      const params: unknown[] = [now, batchSize];
      if (options.tenantId !== undefined) params.push(options.tenantId);
      const rows = await q(
        `UPDATE consents SET status = 'expired', updated_at = $1
          WHERE status = 'granted' AND expires_at <= $1
            AND id IN (SELECT id FROM consents WHERE status = 'granted' AND expires_at <= $1${scope} ORDER BY expires_at LIMIT $2)
          RETURNING id, tenant_id, contact_id, channel, purpose, expires_at`,
        params,
      );
      for (const r of rows) {
        await appendEvent(q, String(r.tenant_id), {
          contactId: String(r.contact_id),
          channel: String(r.channel) as Channel,
          purpose: String(r.purpose) as Purpose,
          type: 'expire',
          actor: EXPIRY_ACTOR,
          details: { expiresAt: new Date(Number(r.expires_at)).toISOString() },
          at: now,
        });
      }
      expired = rows.length;
    });
    total += expired;
    if (expired < batchSize) return total;
  }
}

export class ConsentRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  private async within<T>(query: Query | undefined, fn: (q: Query) => Promise<T>): Promise<T> {
    return query ? fn(query) : this.db.sql.transaction(fn);
  }

  async get(contactId: string, channel: Channel, purpose: Purpose, query?: Query): Promise<Consent | null> {
    const rows = await (query ?? this.db.sql.query)('SELECT * FROM consents WHERE tenant_id = $1 AND contact_id = $2 AND channel = $3 AND purpose = $4', [this.tenantId, contactId, channel, purpose]);
    return rows[0] ? consentOf(rows[0]) : null;
  }

  /** A contact's consents, by channel then purpose. */
  async list(contactId: string, query?: Query): Promise<Consent[]> {
    const rows = await (query ?? this.db.sql.query)('SELECT * FROM consents WHERE tenant_id = $1 AND contact_id = $2 ORDER BY channel, purpose', [this.tenantId, contactId]);
    return rows.map(consentOf);
  }

  /**
   * Apply a grant, renewal, withdrawal or expiry (consent-rule's applyConsentChange) and write
   * its event, in one transaction (the caller's when `query` is given). The contact's row is
   * locked first, so changes to one contact's consents (and its erasure) never interleave.
   * Returns the consent and the event, or `event: null` when nothing changed (withdrawing a
   * withdrawn consent, expiring one not due). Throws ConsentChangeRefused.
   */
  async change(
    contactId: string,
    channel: Channel,
    purpose: Purpose,
    type: 'grant' | 'renew' | 'withdraw' | 'expire',
    input: ChangeInput,
    query?: Query,
  ): Promise<{ consent: Consent | null; event: ConsentEvent | null }> {
    const at = input.at ?? Date.now();
    const effectiveAt = input.effectiveAt ?? at;
    return this.within(query, async (q) => {
      const contact = await q(`SELECT id, erased_at FROM contacts WHERE tenant_id = $1 AND id = $2${this.db.dialect === 'postgres' ? ' FOR UPDATE' : ''}`, [this.tenantId, contactId]);
      if (!contact[0]) throw new ConsentChangeRefused('contact_not_found');
      if (contact[0].erased_at !== null && contact[0].erased_at !== undefined && type !== 'withdraw') throw new ConsentChangeRefused('contact_erased');
      const current = await this.get(contactId, channel, purpose, q);
      const result = applyConsentChange(current, channel, purpose, { type, at: effectiveAt });
      if (!result.ok) {
        if (result.code === 'renew_not_allowed') throw new ConsentChangeRefused('renew_not_allowed');
        return { consent: current, event: null };
      }
      const next = result.next;
      // A grant brings its own source and evidence; a renewal may bring new ones; a withdrawal
      // or an expiry keeps the grant's (the event records who withdrew and why).
      let source = current?.source ?? null;
      let evidence = current?.evidence ?? null;
      if (type === 'grant' || !current) {
        source = input.source ?? null;
        evidence = type === 'grant' ? (input.evidence ?? null) : null;
      } else if (type === 'renew') {
        source = input.source ?? source;
        evidence = input.evidence ?? evidence;
      }
      if (current) {
        await q(
          'UPDATE consents SET status = $3, granted_at = $4, renewed_at = $5, withdrawn_at = $6, expires_at = $7, source = $8, evidence = $9, updated_at = $10 WHERE tenant_id = $1 AND id = $2',
          [this.tenantId, current.id, next.status, next.grantedAt, next.renewedAt, next.withdrawnAt, next.expiresAt, source, jsonText(evidence), at],
        );
      } else {
        await q(
          'INSERT INTO consents (id, tenant_id, contact_id, channel, purpose, status, granted_at, renewed_at, withdrawn_at, expires_at, source, evidence, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)',
          [uuidv7(), this.tenantId, contactId, channel, purpose, next.status, next.grantedAt, next.renewedAt, next.withdrawnAt, next.expiresAt, source, jsonText(evidence), at],
        );
      }
      const event = await appendEvent(q, this.tenantId, {
        contactId,
        channel,
        purpose,
        type,
        actor: input.actor,
        source: input.source ?? null,
        evidence: type === 'grant' || type === 'renew' ? input.evidence : undefined,
        details: effectiveAt === at ? input.details : { ...(input.details as object | undefined), effectiveAt: new Date(effectiveAt).toISOString() },
        at,
      });
      return { consent: await this.get(contactId, channel, purpose, q), event };
    });
  }

  grant(contactId: string, channel: Channel, purpose: Purpose, input: ChangeInput & { source: string; evidence: unknown }, query?: Query) {
    return this.change(contactId, channel, purpose, 'grant', input, query);
  }

  /** Extends a granted or expired consent by 12 months from `at`. */
  renew(contactId: string, channel: Channel, purpose: Purpose, input: ChangeInput, query?: Query) {
    return this.change(contactId, channel, purpose, 'renew', input, query);
  }

  withdraw(contactId: string, channel: Channel, purpose: Purpose, input: ChangeInput, query?: Query) {
    return this.change(contactId, channel, purpose, 'withdraw', input, query);
  }

  /**
   * The send-time check (the outbox calls this): may `contactId` be contacted on `channel` for
   * `purpose` at `at`? Reads the consent and applies consentDecision; an unknown contact, or
   * another tenant's, is `missing`.
   */
  async check(contactId: string, channel: Channel, purpose: Purpose, at: number = Date.now(), query?: Query): Promise<ConsentDecision> {
    return consentDecision(await this.get(contactId, channel, purpose, query), { channel, purpose, at });
  }

  /** Record a send the consent check refused (the outbox writes it with the blocked step). */
  async recordBlockedSend(
    e: { contactId: string; channel: Channel; purpose: Purpose; reason: string; actor: string; details?: Record<string, unknown>; at?: number },
    query?: Query,
  ): Promise<ConsentEvent> {
    return this.within(query, (q) =>
      appendEvent(q, this.tenantId, { contactId: e.contactId, channel: e.channel, purpose: e.purpose, type: 'blocked_send', actor: e.actor, details: { reason: e.reason, ...e.details }, at: e.at ?? Date.now() }),
    );
  }

  /** An event about the whole contact (erasure), in the caller's transaction. */
  async recordContactEvent(e: Omit<NewConsentEvent, 'channel' | 'purpose'>, query: Query): Promise<ConsentEvent> {
    return appendEvent(query, this.tenantId, { ...e, channel: null, purpose: null });
  }

  /** A contact's trail, newest first; `before` is the previous page's last event id. */
  async events(contactId: string, options: { limit?: number; before?: { at: number; id: string }; chronological?: boolean }): Promise<ConsentEvent[]> {
    const args: unknown[] = [this.tenantId, contactId];
    let where = 'tenant_id = $1 AND contact_id = $2';
    if (options.before) {
      args.push(options.before.at, options.before.id);
      where += ' AND (at < $3 OR (at = $3 AND id < $4))';
    }
    let limit = '';
    if (options.limit !== undefined) {
      args.push(options.limit);
      limit = ` LIMIT $${args.length}`;
    }
    const order = options.chronological ? 'at ASC, id ASC' : 'at DESC, id DESC';
    const rows = await this.db.sql.query(`SELECT * FROM consent_events WHERE ${where} ORDER BY ${order}${limit}`, args);
    return rows.map(consentEventOf);
  }

  /**
   * The tenant's whole trail, newest first, by keyset (at, id): every contact's events, or only
   * those of the contacts `ownerId` owns, or of one event `type`. Reads by the (tenant_id,
   * contact_id, at) index's tenant prefix; there is no (tenant_id, at) index yet.
   */
  async tenantEvents(options: { limit: number; before?: { at: number; id: string }; ownerId?: string; type?: string }): Promise<ConsentEvent[]> {
    const args: unknown[] = [this.tenantId];
    let where = 'tenant_id = $1';
    if (options.ownerId !== undefined) {
      args.push(options.ownerId);
      where += ` AND contact_id IN (SELECT id FROM contacts WHERE tenant_id = $1 AND owner_id = $${args.length})`;
    }
    if (options.type !== undefined) {
      args.push(options.type);
      where += ` AND type = $${args.length}`;
    }
    if (options.before) {
      args.push(options.before.at, options.before.id);
      where += ` AND (at < $${args.length - 1} OR (at = $${args.length - 1} AND id < $${args.length}))`;
    }
    args.push(options.limit);
    const rows = await this.db.sql.query(`SELECT * FROM consent_events WHERE ${where} ORDER BY at DESC, id DESC LIMIT $${args.length}`, args);
    return rows.map(consentEventOf);
  }

  /** Expire this tenant's due consents (the periodic sweep does all tenants: expireDueConsents). */
  expireDue(now: number = Date.now(), options: { batchSize?: number } = {}): Promise<number> {
    return expireDueConsents(this.db, now, { ...options, tenantId: this.tenantId });
  }
}

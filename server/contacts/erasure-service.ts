// Erasure of a contact (PDPL "right to erasure"), the whole workflow; POST
// /api/v1/contacts/:id/erase only checks access and delegates here.
//
// 1. Stop what runs for the person: its enrollments end (reason `erased`), its executions are
//    cancelled — those whose subject is the contact, and any other unfinished execution whose
//    data holds its phone, email or name (a webhook run whose payload carried the phone).
// 2. In one transaction, with the contact's row locked: withdraw its consents (events written),
//    anonymise the contact, clear its inbound messages' sender and text, append the `erasure`
//    consent event, redact its escalations, domain events, meeting notes and the notifications
//    about them, and write the audit entry.
// 3. Redact its executions' stored payloads wholesale (subject-data.ts) and its outbox rows.
// 4. Sweep every table for what is left (db/contacts/personal-data-sweep.ts): any value holding
//    the phone in any spelling, the email or the name becomes `erased:<hmac>` — an HMAC-SHA256
//    under a key derived from the server secret (purpose `erasure`) and the tenant, so equal
//    values stay equal (a message id still joins its callbacks) and nothing is readable or
//    guessable (a phone number has few enough possibilities to brute-force a plain hash).
//
// Rows are never deleted: ids, statuses, times, channels, purposes and types stay, so the
// consent trail still proves what happened and the counts still add up.
import { createHmac } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import { InboundMessageRepository } from '../../db/inbound-message-repository.js';
import { SubjectData, personalDataMatcher, sweepPersonalData, unfinishedExecutionsHolding, type Contact, type PersonalIdentifiers } from '../../db/contacts/index.js';
import { ERASED_PREFIX } from '../../db/contacts/personal-data.js';
import { deriveKey } from '../security/secret-key.js';

export type ErasureContext = Pick<AppContext, 'db' | 'log' | 'runtime' | 'contacts' | 'consents' | 'audit' | 'contactExits' | 'secretKey'>;

export interface ErasureOutcome {
  alreadyErased: boolean;
  consentsWithdrawn: number;
  executions: { cancelled: number; redacted: number; steps: number; pending: number };
  /** Values replaced by keyed hashes in the sweep, rows by table. */
  sweep: { rows: number; tables: Record<string, number> };
}

export class ContactNotFound extends Error {
  override readonly name = 'ContactNotFound';
}

/** Characters of the HMAC kept (64 bits: enough to keep distinct values distinct). */
const HASH_HEX = 16;

export class ErasureService {
  private readonly key: Buffer;

  constructor(private readonly ctx: ErasureContext) {
    this.key = deriveKey(ctx.secretKey, 'erasure');
  }

  /** `erased:<hmac prefix>` of a value, per tenant. */
  keyedHash(tenantId: string, value: string): string {
    if (value.startsWith(ERASED_PREFIX)) return value;
    return ERASED_PREFIX + createHmac('sha256', this.key).update(tenantId).update('\u0000').update(value).digest('hex').slice(0, HASH_HEX);
  }

  async erase(tenantId: string, contact: Contact, by: { actor: string; requestId: string | null }): Promise<ErasureOutcome> {
    const { ctx } = this;
    const { actor, requestId } = by;
    const subject = new SubjectData(ctx.db, tenantId);
    const alreadyErased = contact.erasedAt !== null;
    // Read before the contact is anonymised: afterwards nothing says what to look for.
    const ids: PersonalIdentifiers = alreadyErased ? {} : { name: contact.name, phone: contact.phone, email: contact.email };
    const own = personalDataMatcher(ids);
    // Tenant-wide, the name counts only when no other contact bears it (else their data would go too);
    // phone and email are unique per tenant.
    const everywhere = (await this.nameShared(tenantId, contact)) ? personalDataMatcher({ ...ids, name: null }) : own;

    try {
      await ctx.contactExits.exit(tenantId, contact.id, 'erased');
    } catch (err) {
      ctx.log.error({ err, contactId: contact.id }, 'ending an erased contact’s enrollments failed');
    }
    let cancelled = 0;
    const running = new Set([...(await subject.executionIds(contact.id, { unfinishedOnly: true })), ...(await unfinishedExecutionsHolding(ctx.db, tenantId, everywhere))]);
    for (const id of running) {
      try {
        if (await ctx.runtime.cancel(id, 'contact erased')) cancelled++;
      } catch (err) {
        ctx.log.error({ err, executionId: id }, 'cancelling an erased contact’s execution failed');
      }
    }

    let withdrawn = 0;
    await ctx.db.sql.transaction(async (q) => {
      const locked = await ctx.contacts(tenantId).lock(contact.id, q);
      if (!locked) throw new ContactNotFound('contact not found');
      if (locked.erasedAt === null) {
        const consents = ctx.consents(tenantId);
        for (const c of await consents.list(contact.id, q)) {
          if (c.status === 'withdrawn') continue;
          await consents.withdraw(contact.id, c.channel, c.purpose, { actor, source: 'erasure', details: { reason: 'erasure', requestId } }, q);
          withdrawn++;
        }
        await ctx.contacts(tenantId).anonymise(contact.id, q);
        await new InboundMessageRepository(ctx.db, tenantId).redactContact(contact.id, q); // their replies' sender and text (server/channels/)
        await consents.recordContactEvent({ contactId: contact.id, type: 'erasure', actor, source: 'erasure', details: { requestId, consentsWithdrawn: withdrawn }, at: Date.now() }, q);
      }
      await subject.redactRelated(contact.id, q); // escalations, domain events, meeting notes (again on a repeated erase: harmless)
      await ctx.audit(tenantId).record(
        { actor, action: 'contact.erase', target: contact.id, details: { repeated: locked.erasedAt !== null, consentsWithdrawn: withdrawn, executionsCancelled: cancelled }, requestId },
        q,
      );
    });
    const redacted = await subject.redactExecutions(contact.id);
    const sweep = await sweepPersonalData(ctx.db, tenantId, contact.id, everywhere, (v) => this.keyedHash(tenantId, v), { ownMatcher: own });
    if (sweep.rows) ctx.log.info({ contactId: contact.id, tables: sweep.tables }, 'erasure replaced personal data found outside the contact’s own records');
    return {
      alreadyErased,
      consentsWithdrawn: withdrawn,
      executions: { cancelled, redacted: redacted.executions, steps: redacted.steps, pending: redacted.skipped },
      sweep,
    };
  }

  /** Another contact of the tenant (not erased) has the same name, letter case aside. */
  private async nameShared(tenantId: string, contact: Contact): Promise<boolean> {
    if (contact.erasedAt !== null) return false;
    const rows = await this.ctx.db.sql.query('SELECT 1 AS one FROM contacts WHERE tenant_id = $1 AND id <> $2 AND erased_at IS NULL AND LOWER(name) = LOWER($3) LIMIT 1', [tenantId, contact.id, contact.name]);
    return rows.length > 0;
  }
}

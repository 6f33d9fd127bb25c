// Contact workflows behind the contact and consent routes: who may see a contact, creating and
// correcting one (with its audit entry and the lead.created / lead.updated events that start
// flows), and consent changes (each writes its consent event in the same transaction, in
// ConsentRepository). The routes check the request and delegate here; SQL stays in db/.
import type { AppContext } from '../app-context.js';
import type { Auth } from '../auth/auth-context.js';
import { notFound } from '../api-error.js';
import { ownScope } from '../crm/crm-api.js';
import type { Channel, Purpose } from '../../engine/consent/consent-rule.js';
import type { Consent, ConsentEvent, Contact, ContactFields } from '../../db/contacts/index.js';

export type ContactServiceContext = Pick<AppContext, 'db' | 'contacts' | 'consents' | 'audit' | 'crm' | 'contactExits'>;

export interface Actor {
  actor: string;
  requestId: string | null;
}

export type ConsentChangeType = 'grant' | 'renew' | 'withdraw';

export interface ConsentChange {
  channel: Channel;
  purpose: Purpose;
  source?: string;
  evidence?: unknown;
  reason?: string;
  /** When the change takes effect (a grant given earlier on paper); default now. */
  effectiveAt?: number;
}

export class ContactService {
  constructor(private readonly ctx: ContactServiceContext) {}

  /** The contact if the caller may see it: same tenant, and a sales rep's own (else 404). */
  async visible(auth: Auth, id: string): Promise<Contact> {
    const contact = await this.ctx.contacts(auth.tenant.id).byId(id);
    const own = ownScope(auth);
    if (!contact || (own !== null && contact.ownerId !== own)) throw notFound('contact');
    return contact;
  }

  /** Create a contact; lead.created starts the flows listening for new leads (server/crm/, trigger.event). */
  async create(tenantId: string, fields: ContactFields & { name: string }, by: Actor): Promise<Contact> {
    const contact = await this.ctx.contacts(tenantId).create(fields);
    await this.ctx.crm.leadCreated(tenantId, contact, { actor: by.actor });
    return contact;
  }

  /**
   * Correct a contact (data subject right to correction): the change and its audit entry (naming
   * the fields, never their values) in one transaction, then lead.updated for flows to react.
   */
  async correct(tenantId: string, contact: Contact, fields: ContactFields, by: Actor): Promise<Contact> {
    const changed = Object.keys(fields);
    let result: Contact | null = null;
    await this.ctx.db.sql.transaction(async (q) => {
      result = await this.ctx.contacts(tenantId).update(contact.id, fields, q);
      if (changed.length) await this.ctx.audit(tenantId).record({ actor: by.actor, action: 'contact.update', target: contact.id, details: { fields: changed }, requestId: by.requestId }, q);
    });
    if (!result) throw notFound('contact');
    if (changed.length) await this.ctx.crm.leadUpdated(tenantId, result, changed, { actor: by.actor });
    return result;
  }

  /**
   * Grant, renew or withdraw a consent (the consent event is written with it). A withdrawal also
   * ends the contact's sequences that send on that channel (server/enrollments/).
   */
  async changeConsent(tenantId: string, contactId: string, type: ConsentChangeType, change: ConsentChange, by: Actor, now = Date.now()): Promise<{ consent: Consent | null; event: ConsentEvent | null }> {
    const details: Record<string, unknown> = { requestId: by.requestId };
    if (change.reason !== undefined) details.reason = change.reason;
    const outcome = await this.ctx.consents(tenantId).change(contactId, change.channel, change.purpose, type, {
      actor: by.actor,
      source: change.source ?? (type === 'grant' ? null : 'api'),
      evidence: change.evidence,
      details,
      at: now,
      effectiveAt: change.effectiveAt ?? now,
    });
    if (type === 'withdraw') await this.ctx.contactExits.exit(tenantId, contactId, 'consent_withdrawn', change.channel);
    return outcome;
  }
}

// Demo contacts in mixed consent states, so the consent checks, blocked sends and the
// re-permission template have something to show on a fresh install. Seeded once: only when
// the demo tenant has no contacts yet (a user's own contacts are never touched).
import type { Database } from '../db/index.js';
import type { ContactRepository } from '../db/contacts/contact-repository.js';
import type { ConsentRepository } from '../db/contacts/consent-repository.js';

const DAY = 24 * 3600 * 1000;

interface DemoContact {
  name: string;
  phone: string;
  email: string;
  company: string;
  locale: 'ar' | 'en';
  source: string;
  tags: string[];
  attributes: Record<string, unknown>;
  /** Consent history, oldest first: [type, channel, purpose, days ago]. */
  consents: ['grant' | 'withdraw', 'whatsapp' | 'sms' | 'email', 'marketing' | 'service', number][];
}

export const DEMO_CONTACTS: DemoContact[] = [
  // Valid WhatsApp and email marketing consent: sequences may message her.
  { name: 'سارة العتيبي', phone: '+966501234567', email: 'sara@example.sa', company: 'شركة الرياض للتقنية', locale: 'ar', source: 'web_form', tags: ['inbound'], attributes: { budget_sar: '250000.00', companySize: 120 }, consents: [['grant', 'whatsapp', 'marketing', 30], ['grant', 'email', 'marketing', 30]] },
  // Consent about to expire (granted 350 days ago): the re-permission template's case.
  { name: 'محمد القحطاني', phone: '+966552345678', email: 'mohammed@example.sa', company: 'مؤسسة جدة التجارية', locale: 'ar', source: 'exhibition', tags: ['event'], attributes: { budget_sar: '60000.00', companySize: 15 }, consents: [['grant', 'whatsapp', 'marketing', 350]] },
  // Expired (granted 400 days ago): every marketing send to him is blocked.
  { name: 'Omar Haddad', phone: '+966563456789', email: 'omar@example.com', company: 'Gulf Logistics', locale: 'en', source: 'import', tags: ['cold-list'], attributes: { budget_sar: '15000.00', companySize: 8 }, consents: [['grant', 'whatsapp', 'marketing', 400]] },
  // Withdrew WhatsApp (replied STOP) but keeps email.
  { name: 'نورة الشمري', phone: '+966574567890', email: 'noura@example.sa', company: 'متاجر الشرقية', locale: 'ar', source: 'whatsapp_optin', tags: ['retail'], attributes: { budget_sar: '90000.00', companySize: 40 }, consents: [['grant', 'whatsapp', 'marketing', 90], ['grant', 'email', 'marketing', 90], ['withdraw', 'whatsapp', 'marketing', 10]] },
  // Service consent only: a marketing message is the wrong purpose and is blocked.
  { name: 'Lina Farouk', phone: '+966585678901', email: 'lina@example.com', company: 'Najd Health', locale: 'en', source: 'support', tags: ['customer'], attributes: { budget_sar: '500000.00', companySize: 300 }, consents: [['grant', 'whatsapp', 'service', 20]] },
  // No consent at all.
  { name: 'فهد الدوسري', phone: '+966596789012', email: 'fahad@example.sa', company: 'الدوسري للمقاولات', locale: 'ar', source: 'referral', tags: ['referral'], attributes: { budget_sar: '1200000.00', companySize: 500 }, consents: [] },
];

export interface DemoContactsTarget {
  db: Database;
  contacts(tenantId: string): ContactRepository;
  consents(tenantId: string): ConsentRepository;
}

/** Returns how many contacts were created (0 when the tenant already has contacts). */
export async function seedDemoContacts(target: DemoContactsTarget, tenantId: string, ownerId: string | null, now = Date.now()): Promise<number> {
  const existing = await target.db.sql.query('SELECT COUNT(*) AS n FROM contacts WHERE tenant_id = $1', [tenantId]);
  if (Number(existing[0]?.n ?? 0) > 0) return 0;
  const contacts = target.contacts(tenantId);
  const consents = target.consents(tenantId);
  for (const c of DEMO_CONTACTS) {
    const contact = await contacts.create({ name: c.name, phone: c.phone, email: c.email, company: c.company, locale: c.locale, source: c.source, tags: c.tags, attributes: c.attributes, ownerId }, undefined, now);
    for (const [type, channel, purpose, daysAgo] of c.consents) {
      const at = now - daysAgo * DAY;
      await consents.change(contact.id, channel, purpose, type, {
        actor: 'seed',
        source: type === 'grant' ? c.source : 'opt_out_reply',
        evidence: type === 'grant' ? { seeded: true, text: 'نموذج موافقة تجريبي — demo consent form' } : undefined,
        at: now,
        effectiveAt: at,
      });
    }
  }
  // Consents whose 12 months are over become `expired` (and audited) now, not at the next sweep.
  await consents.expireDue(now);
  return DEMO_CONTACTS.length;
}

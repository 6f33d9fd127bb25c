// WhatsApp Cloud API bookkeeping (migration 019):
// - which tenant owns a phone_number_id (the deployment's one webhook routes every event by it);
// - the tenant's message templates as last synced from Meta (status and category).
import type { Database } from './database.js';
import { isUniqueViolation, type Query } from './sql-executor.js';

/** Another tenant (or another credential of this tenant) already holds this phone number id. */
export class PhoneNumberTaken extends Error {
  override readonly name = 'PhoneNumberTaken';
  constructor(readonly phoneNumberId: string) {
    super(`the WhatsApp phone number id ${phoneNumberId} is already connected to another credential or workspace`);
    Object.setPrototypeOf(this, PhoneNumberTaken.prototype);
  }
}

export interface PhoneNumberOwner {
  tenantId: string;
  credentialId: string;
}

export class WhatsAppNumberRepository {
  constructor(private readonly db: Database) {}

  /**
   * Point `phoneNumberId` at this tenant's credential (its previous number, if any, is released).
   * Throws PhoneNumberTaken when it belongs to another credential. Inside the credential's transaction.
   */
  async claim(tenantId: string, credentialId: string, phoneNumberId: string, q: Query, now = Date.now()): Promise<void> {
    const [owner] = await q('SELECT tenant_id, credential_id FROM whatsapp_numbers WHERE phone_number_id = $1', [phoneNumberId]);
    if (owner && (owner.tenant_id !== tenantId || owner.credential_id !== credentialId)) throw new PhoneNumberTaken(phoneNumberId);
    await q('DELETE FROM whatsapp_numbers WHERE tenant_id = $1 AND credential_id = $2 AND phone_number_id <> $3', [tenantId, credentialId, phoneNumberId]);
    if (owner) return;
    try {
      await q('INSERT INTO whatsapp_numbers (phone_number_id, tenant_id, credential_id, created_at) VALUES ($1, $2, $3, $4)', [phoneNumberId, tenantId, credentialId, now]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new PhoneNumberTaken(phoneNumberId);
      throw err;
    }
  }

  async release(tenantId: string, credentialId: string, q: Query): Promise<void> {
    await q('DELETE FROM whatsapp_numbers WHERE tenant_id = $1 AND credential_id = $2', [tenantId, credentialId]);
  }

  async ownerOf(phoneNumberId: string): Promise<PhoneNumberOwner | null> {
    const [row] = await this.db.sql.query('SELECT tenant_id, credential_id FROM whatsapp_numbers WHERE phone_number_id = $1', [phoneNumberId]);
    return row ? { tenantId: String(row.tenant_id), credentialId: String(row.credential_id) } : null;
  }
}

export interface WhatsAppTemplate {
  credentialId: string;
  name: string;
  language: string;
  templateId: string | null;
  status: string;
  category: string;
  body: string | null;
  syncedAt: number;
}

export class WhatsAppTemplateRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /** Replace a credential's templates by what Meta listed (one transaction). */
  async replaceAll(credentialId: string, templates: Omit<WhatsAppTemplate, 'credentialId' | 'syncedAt'>[], now: number): Promise<void> {
    await this.db.sql.transaction(async (q) => {
      await q('DELETE FROM whatsapp_templates WHERE tenant_id = $1 AND credential_id = $2', [this.tenantId, credentialId]);
      const seen = new Set<string>();
      for (const t of templates) {
        const key = `${t.name}\u0000${t.language}`;
        if (seen.has(key)) continue;
        seen.add(key);
        await q(
          'INSERT INTO whatsapp_templates (tenant_id, credential_id, name, language, template_id, status, category, body, synced_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
          [this.tenantId, credentialId, t.name, t.language, t.templateId, t.status, t.category, t.body, now],
        );
      }
    });
  }

  async list(credentialId?: string): Promise<WhatsAppTemplate[]> {
    const rows = credentialId
      ? await this.db.sql.query('SELECT * FROM whatsapp_templates WHERE tenant_id = $1 AND credential_id = $2 ORDER BY name, language', [this.tenantId, credentialId])
      : await this.db.sql.query('SELECT * FROM whatsapp_templates WHERE tenant_id = $1 ORDER BY name, language', [this.tenantId]);
    return rows.map((r) => ({
      credentialId: String(r.credential_id),
      name: String(r.name),
      language: String(r.language),
      templateId: r.template_id === null || r.template_id === undefined ? null : String(r.template_id),
      status: String(r.status),
      category: String(r.category),
      body: r.body === null || r.body === undefined ? null : String(r.body),
      syncedAt: Number(r.synced_at),
    }));
  }

  /** The synced category of a template (any credential of the tenant; the language when given). */
  async categoryOf(name: string, language: string | undefined, q?: Query): Promise<string | null> {
    const rows = await (q ?? this.db.sql.query)('SELECT language, category FROM whatsapp_templates WHERE tenant_id = $1 AND name = $2', [this.tenantId, name]);
    const row = rows.find((r) => language === undefined || r.language === language) ?? rows[0];
    return row ? String(row.category) : null;
  }
}

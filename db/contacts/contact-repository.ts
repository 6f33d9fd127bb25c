// Contacts (leads) of one tenant. Another tenant's contact id reads as "not found"; every
// query names tenant_id. Phone (E.164) and email (lower-cased) are unique per tenant: a
// duplicate is DuplicateContactError naming the field. Fields arrive here already normalised
// (server/consent/contact-fields.ts): the repository stores, it does not interpret.
// Lists are newest first with keyset pagination on the id (uuid v7: time-ordered).
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../database.js';
import { parseJsonColumn, type Query, type Row } from '../sql-executor.js';

export interface Contact {
  id: string;
  name: string;
  phone: string | null;
  email: string | null;
  locale: 'ar' | 'en';
  company: string | null;
  source: string | null;
  ownerId: string | null;
  score: number | null;
  tier: 'hot' | 'warm' | 'cold' | null;
  tags: string[];
  attributes: Record<string, unknown>;
  lastInboundAt: number | null;
  createdAt: number;
  updatedAt: number;
  erasedAt: number | null;
}

/** What a caller may set; `undefined` leaves a field as it is (update), `null` clears it. */
export interface ContactFields {
  name?: string;
  phone?: string | null;
  email?: string | null;
  locale?: 'ar' | 'en';
  company?: string | null;
  source?: string | null;
  ownerId?: string | null;
  score?: number | null;
  tier?: 'hot' | 'warm' | 'cold' | null;
  tags?: string[];
  attributes?: Record<string, unknown>;
  lastInboundAt?: number | null;
}

export interface ContactFilter {
  /** Substring of name, email or phone (case-insensitive). */
  q?: string;
  tag?: string;
  tier?: 'hot' | 'warm' | 'cold';
  ownerId?: string;
  /** Only contacts with a consent valid at `at` (the SQL form of consentDecision). */
  consent?: { channel: string; purpose: string; at: number };
  includeErased?: boolean;
  limit: number;
  /** The id of the previous page's last contact. */
  after?: string;
}

export class DuplicateContactError extends Error {
  override readonly name = 'DuplicateContactError';
  constructor(
    readonly field: 'phone' | 'email',
    readonly existingId: string | null,
  ) {
    super(`a contact with this ${field} already exists`);
  }
}

const COLUMNS = ['name', 'phone', 'email', 'locale', 'company', 'source', 'owner_id', 'score', 'tier', 'tags', 'attributes', 'last_inbound_at'] as const;
const FIELD_OF: Record<(typeof COLUMNS)[number], keyof ContactFields> = {
  name: 'name',
  phone: 'phone',
  email: 'email',
  locale: 'locale',
  company: 'company',
  source: 'source',
  owner_id: 'ownerId',
  score: 'score',
  tier: 'tier',
  tags: 'tags',
  attributes: 'attributes',
  last_inbound_at: 'lastInboundAt',
};

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function contactOf(r: Row): Contact {
  return {
    id: String(r.id),
    name: String(r.name),
    phone: str(r.phone),
    email: str(r.email),
    locale: String(r.locale) as Contact['locale'],
    company: str(r.company),
    source: str(r.source),
    ownerId: str(r.owner_id),
    score: num(r.score),
    tier: str(r.tier) as Contact['tier'],
    tags: (parseJsonColumn(r.tags) as string[] | null) ?? [],
    attributes: (parseJsonColumn(r.attributes) as Record<string, unknown> | null) ?? {},
    lastInboundAt: num(r.last_inbound_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    erasedAt: num(r.erased_at),
  };
}

function columnValue(column: (typeof COLUMNS)[number], value: unknown): unknown {
  if (value === undefined || value === null) return column === 'tags' ? '[]' : column === 'attributes' ? '{}' : null;
  return column === 'tags' || column === 'attributes' ? JSON.stringify(value) : value;
}

/** LIKE pattern for a substring, with `\` as the escape character. */
export const likeSubstring = (s: string): string => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The unique index a driver error is about, if it is a unique violation on contacts. */
function duplicateField(err: unknown): 'phone' | 'email' | null {
  const e = err as { code?: string; constraint?: string; message?: string };
  if (e?.code === '23505') return e.constraint === 'contacts_tenant_phone' ? 'phone' : e.constraint === 'contacts_tenant_email' ? 'email' : null;
  if (typeof e?.message === 'string' && e.message.includes('UNIQUE constraint failed: contacts.')) return e.message.includes('contacts.phone') ? 'phone' : e.message.includes('contacts.email') ? 'email' : null;
  return null;
}

export class ContactRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /** Run `fn` in the caller's transaction, or in a new one. */
  private async within<T>(query: Query | undefined, fn: (q: Query) => Promise<T>): Promise<T> {
    return query ? fn(query) : this.db.sql.transaction(fn);
  }

  private get forUpdate(): string {
    return this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
  }

  async byId(id: string, query?: Query): Promise<Contact | null> {
    const rows = await (query ?? this.db.sql.query)('SELECT * FROM contacts WHERE tenant_id = $1 AND id = $2', [this.tenantId, id]);
    return rows[0] ? contactOf(rows[0]) : null;
  }

  /** Read and lock the contact's row until the transaction ends (consent changes and erasure of one contact serialise here). */
  async lock(id: string, query: Query): Promise<Contact | null> {
    const rows = await query(`SELECT * FROM contacts WHERE tenant_id = $1 AND id = $2${this.forUpdate}`, [this.tenantId, id]);
    return rows[0] ? contactOf(rows[0]) : null;
  }

  /** Contacts holding this phone or email (at most two: one per unique index). */
  async matching(phone: string | null | undefined, email: string | null | undefined, query?: Query): Promise<Contact[]> {
    if (!phone && !email) return [];
    const rows = await (query ?? this.db.sql.query)('SELECT * FROM contacts WHERE tenant_id = $1 AND (phone = $2 OR email = $3) ORDER BY id', [this.tenantId, phone ?? null, email ?? null]);
    return rows.map(contactOf);
  }

  private async assertUnique(q: Query, fields: ContactFields, exceptId: string | null): Promise<void> {
    for (const c of await this.matching(fields.phone, fields.email, q)) {
      if (c.id === exceptId) continue;
      if (fields.phone && c.phone === fields.phone) throw new DuplicateContactError('phone', c.id);
      throw new DuplicateContactError('email', c.id);
    }
  }

  async create(fields: ContactFields & { name: string }, query?: Query, now = Date.now()): Promise<Contact> {
    const id = uuidv7();
    try {
      await this.within(query, async (q) => {
        await this.assertUnique(q, fields, null);
        const values = COLUMNS.map((c) => columnValue(c, c === 'locale' ? (fields.locale ?? 'ar') : fields[FIELD_OF[c]]));
        const marks = values.map((_, i) => `$${i + 4}`);
        await q(`INSERT INTO contacts (id, tenant_id, created_at, updated_at, ${COLUMNS.join(', ')}) VALUES ($1, $2, $3, $3, ${marks.join(', ')})`, [id, this.tenantId, now, ...values]);
      });
    } catch (err) {
      const field = duplicateField(err);
      throw field ? new DuplicateContactError(field, null) : err;
    }
    return (await this.byId(id, query))!;
  }

  /** Change the given fields; null when the contact does not exist in this tenant. */
  async update(id: string, fields: ContactFields, query?: Query, now = Date.now()): Promise<Contact | null> {
    try {
      return await this.within(query, async (q) => {
        const current = await this.lock(id, q);
        if (!current) return null;
        await this.assertUnique(q, fields, id);
        const set: string[] = [];
        const args: unknown[] = [this.tenantId, id, now];
        for (const c of COLUMNS) {
          const value = fields[FIELD_OF[c]];
          if (value === undefined) continue;
          args.push(columnValue(c, value));
          set.push(`${c} = $${args.length}`);
        }
        await q(`UPDATE contacts SET ${[...set, 'updated_at = $3'].join(', ')} WHERE tenant_id = $1 AND id = $2`, args);
        return this.byId(id, q);
      });
    } catch (err) {
      const field = duplicateField(err);
      throw field ? new DuplicateContactError(field, null) : err;
    }
  }

  /**
   * Anonymise for erasure (inside the caller's transaction, with the consents and the audit
   * entry): name → `erased`, phone, email, company, source, score, tier, last inbound → null,
   * tags → [], attributes → {}. The id, owner and timestamps stay (they identify nobody).
   */
  async anonymise(id: string, query: Query, now = Date.now()): Promise<void> {
    await query(
      "UPDATE contacts SET name = 'erased', phone = NULL, email = NULL, company = NULL, source = NULL, score = NULL, tier = NULL, tags = '[]', attributes = '{}', last_inbound_at = NULL, erased_at = $3, updated_at = $3 WHERE tenant_id = $1 AND id = $2",
      [this.tenantId, id, now],
    );
  }

  /** Newest first; `next` is the id to pass as `after` for the following page, or null on the last one. */
  async list(filter: ContactFilter): Promise<{ items: Contact[]; next: string | null }> {
    const args: unknown[] = [this.tenantId];
    const arg = (v: unknown): string => {
      args.push(v);
      return `$${args.length}`;
    };
    const where = ['tenant_id = $1'];
    if (!filter.includeErased) where.push('erased_at IS NULL');
    if (filter.q) {
      const text = arg(likeSubstring(filter.q.toLowerCase()));
      const parts = [`LOWER(name) LIKE ${text} ESCAPE '\\'`, `email LIKE ${text} ESCAPE '\\'`, `phone LIKE ${text} ESCAPE '\\'`];
      // "055 123" finds +96655123…: compare digits with the local trunk 0 dropped.
      const digits = filter.q.replace(/\D/g, '').replace(/^0+/, '');
      if (digits.length >= 3) parts.push(`phone LIKE ${arg(likeSubstring(digits))} ESCAPE '\\'`);
      where.push(`(${parts.join(' OR ')})`);
    }
    // Tags cannot hold quotes or backslashes (TAG_PATTERN), so `"tag"` matches one whole element.
    if (filter.tag) where.push(`tags LIKE ${arg(likeSubstring(JSON.stringify(filter.tag)))} ESCAPE '\\'`);
    if (filter.tier) where.push(`tier = ${arg(filter.tier)}`);
    if (filter.ownerId) where.push(`owner_id = ${arg(filter.ownerId)}`);
    if (filter.consent) {
      const { channel, purpose, at } = filter.consent;
      where.push(
        `EXISTS (SELECT 1 FROM consents c WHERE c.tenant_id = contacts.tenant_id AND c.contact_id = contacts.id AND c.channel = ${arg(channel)} AND c.purpose = ${arg(purpose)} AND c.status = 'granted' AND c.expires_at > ${arg(at)})`,
      );
    }
    if (filter.after) where.push(`id < ${arg(filter.after)}`);
    const rows = await this.db.sql.query(`SELECT * FROM contacts WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${arg(filter.limit + 1)}`, args);
    const items = rows.slice(0, filter.limit).map(contactOf);
    return { items, next: rows.length > filter.limit ? items.at(-1)!.id : null };
  }
}

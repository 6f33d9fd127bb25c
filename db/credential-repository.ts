// The credentials of one tenant. Data is sealed (AES-256-GCM, server/security/secret-box.ts)
// with associated data naming its row, so a ciphertext copied to another row or tenant does
// not decrypt. Everything here but reveal() returns metadata only (id, name, type, the names
// of the fields that are set, who and when); reveal() is for the engine and the webhook
// signature check, never for an API answer.
import { v7 as uuidv7 } from 'uuid';
import type { Database } from './database.js';
import { isUniqueViolation, parseJsonColumn, type Query, type Row } from './sql-executor.js';
import { WhatsAppNumberRepository } from './whatsapp-repository.js';

/** Credentials whose data names a WhatsApp Cloud API phone number (routed by the one webhook). */
const WHATSAPP_CLOUD = 'whatsapp-cloud';

/** What seals a credential's data: SecretBox (server/security/secret-box.ts) is one. */
export interface Sealer {
  seal(plaintext: string, aad: string): string;
  open(sealed: string, aad: string): string;
}

export type CredentialData = Record<string, unknown>;

export interface CredentialMeta {
  id: string;
  name: string;
  type: string;
  /** Names of the data fields that are set; never their values. */
  fields: string[];
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** Another credential of this tenant already has the name. */
export class DuplicateCredentialName extends Error {
  override readonly name = 'DuplicateCredentialName';
  constructor(readonly credentialName: string) {
    super(`a credential named "${credentialName}" already exists`);
    Object.setPrototypeOf(this, DuplicateCredentialName.prototype);
  }
}

/** The associated data binding a credential's ciphertext to its row. */
export function credentialAad(tenantId: string, credentialId: string): string {
  // NUL cannot occur in ids, so ("a", "b:c") and ("a:b", "c") never collide.
  return `tadfuq/credential\u0000${tenantId}\u0000${credentialId}`;
}

const COLUMNS = 'id, name, type, fields, created_by, created_at, updated_at';

function toMeta(r: Row): CredentialMeta {
  return {
    id: String(r.id),
    name: String(r.name),
    type: String(r.type),
    fields: (parseJsonColumn(r.fields) as string[] | null) ?? [],
    createdBy: String(r.created_by),
    createdAt: new Date(Number(r.created_at)).toISOString(),
    updatedAt: new Date(Number(r.updated_at)).toISOString(),
  };
}

/** Names of the fields holding a value (not undefined, null or ""). */
function setFields(data: CredentialData): string[] {
  return Object.keys(data)
    .filter((k) => data[k] !== undefined && data[k] !== null && data[k] !== '')
    .sort();
}

export class CredentialRepository {
  constructor(
    private readonly db: Database,
    private readonly box: Sealer,
    readonly tenantId: string,
  ) {}

  private run<T>(query: Query | undefined, fn: (q: Query) => Promise<T>): Promise<T> {
    if (query) return fn(query);
    let out!: T;
    return this.db.sql.transaction(async (q) => void (out = await fn(q))).then(() => out);
  }

  async list(): Promise<CredentialMeta[]> {
    const rows = await this.db.sql.query(`SELECT ${COLUMNS} FROM credentials WHERE tenant_id = $1 ORDER BY name`, [this.tenantId]);
    return rows.map(toMeta);
  }

  async get(id: string, query?: Query): Promise<CredentialMeta | null> {
    const [row] = await (query ?? this.db.sql.query)(`SELECT ${COLUMNS} FROM credentials WHERE tenant_id = $1 AND id = $2`, [this.tenantId, id]);
    return row ? toMeta(row) : null;
  }

  async byName(name: string, query?: Query): Promise<CredentialMeta | null> {
    const [row] = await (query ?? this.db.sql.query)(`SELECT ${COLUMNS} FROM credentials WHERE tenant_id = $1 AND name = $2`, [this.tenantId, name]);
    return row ? toMeta(row) : null;
  }

  /** Throws DuplicateCredentialName when the tenant already has one by that name. */
  async create(input: { name: string; type: string; data: CredentialData; createdBy: string }, query?: Query): Promise<CredentialMeta> {
    const id = uuidv7();
    const now = Date.now();
    const ciphertext = this.box.seal(JSON.stringify(input.data), credentialAad(this.tenantId, id));
    try {
      return await this.run(query, async (q) => {
        if (await this.byName(input.name, q)) throw new DuplicateCredentialName(input.name);
        await q(
          'INSERT INTO credentials (id, tenant_id, name, type, ciphertext, fields, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)',
          [id, this.tenantId, input.name, input.type, ciphertext, JSON.stringify(setFields(input.data)), input.createdBy, now],
        );
        await this.syncNumber(input.type, id, input.data, q);
        return { id, name: input.name, type: input.type, fields: setFields(input.data), createdBy: input.createdBy, createdAt: new Date(now).toISOString(), updatedAt: new Date(now).toISOString() };
      });
    } catch (err) {
      // A concurrent create of the same name won the unique index.
      if (isUniqueViolation(err)) throw new DuplicateCredentialName(input.name);
      throw err;
    }
  }

  /** Replace the data (re-sealed with a fresh IV); null when there is no such credential. */
  async replace(id: string, data: CredentialData, query?: Query): Promise<CredentialMeta | null> {
    const ciphertext = this.box.seal(JSON.stringify(data), credentialAad(this.tenantId, id));
    return this.run(query, async (q) => {
      const rows = await q('UPDATE credentials SET ciphertext = $1, fields = $2, updated_at = $3 WHERE tenant_id = $4 AND id = $5 RETURNING id', [
        ciphertext,
        JSON.stringify(setFields(data)),
        Date.now(),
        this.tenantId,
        id,
      ]);
      if (!rows.length) return null;
      const meta = await this.get(id, q);
      if (meta) await this.syncNumber(meta.type, id, data, q);
      return meta;
    });
  }

  /** Keep whatsapp_numbers in step with a whatsapp-cloud credential (throws PhoneNumberTaken). */
  private async syncNumber(type: string, id: string, data: CredentialData, q: Query): Promise<void> {
    if (type !== WHATSAPP_CLOUD) return;
    const numbers = new WhatsAppNumberRepository(this.db);
    if (typeof data.phoneNumberId === 'string' && data.phoneNumberId !== '') await numbers.claim(this.tenantId, id, data.phoneNumberId, q);
    else await numbers.release(this.tenantId, id, q);
  }

  /** Delete; returns what was deleted (for the audit entry), or null. */
  async delete(id: string, query?: Query): Promise<CredentialMeta | null> {
    return this.run(query, async (q) => {
      const meta = await this.get(id, q);
      if (!meta) return null;
      await q('DELETE FROM credentials WHERE tenant_id = $1 AND id = $2', [this.tenantId, id]);
      if (meta.type === WHATSAPP_CLOUD) await new WhatsAppNumberRepository(this.db).release(this.tenantId, id, q);
      return meta;
    });
  }

  /**
   * The decrypted data of a credential, by id or by name (an id is tried first; `by` picks
   * one). For the engine
   * and the webhook signature check only: never put the result in an answer, log or error.
   * Throws when the ciphertext cannot be opened (tampered, moved, or another master key).
   */
  async reveal(idOrName: string, options: { by?: 'id' | 'name' } = {}): Promise<{ id: string; name: string; type: string; data: CredentialData } | null> {
    const match = options.by === 'id' ? 'id = $2' : options.by === 'name' ? 'name = $2' : '(id = $2 OR name = $2)';
    const rows = await this.db.sql.query(`SELECT id, name, type, ciphertext FROM credentials WHERE tenant_id = $1 AND ${match}`, [this.tenantId, idOrName]);
    const row = rows.find((r) => r.id === idOrName) ?? rows[0];
    if (!row) return null;
    const id = String(row.id);
    const data = JSON.parse(this.box.open(String(row.ciphertext), credentialAad(this.tenantId, id))) as CredentialData;
    return { id, name: String(row.name), type: String(row.type), data };
  }
}

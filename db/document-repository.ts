// Documents of one tenant (migration 025): files the engine stored (proposal.pdf's PDFs), by id.
// Tenant-scoped like every repository: another tenant's id reads as "not found". store() is
// idempotent per step: INSERT … ON CONFLICT (tenant_id, step_id) DO NOTHING, then the row of
// that step is read back — a step that runs again gets the document its first run stored.
// The service rules (sizes, names, content types) are server/documents/document-service.ts.
import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from './database.js';
import type { Query, Row } from './sql-executor.js';

export interface DocumentMeta {
  id: string;
  contactId: string | null;
  executionId: string | null;
  stepId: string | null;
  nodeId: string | null;
  filename: string;
  contentType: string;
  bytes: number;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
  createdAt: number;
  /** Set when the contact was erased: the bytes are gone (`data` is NULL). */
  erasedAt: number | null;
}

export interface NewDocument {
  contactId: string | null;
  executionId: string | null;
  stepId: string | null;
  nodeId: string | null;
  filename: string;
  contentType: string;
  data: Uint8Array;
}

export interface DocumentListFilter {
  contactId?: string;
  executionId?: string;
  /** Only documents of contacts this user owns (a sales rep's view). */
  ownerId?: string;
  limit: number;
  /** The id of the previous page's last document (lists are newest first). */
  before?: string;
}

const META_COLUMNS = 'id, contact_id, execution_id, step_id, node_id, filename, content_type, bytes, sha256, created_at, erased_at';
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function documentMetaOf(r: Row): DocumentMeta {
  return {
    id: String(r.id),
    contactId: str(r.contact_id),
    executionId: str(r.execution_id),
    stepId: str(r.step_id),
    nodeId: str(r.node_id),
    filename: String(r.filename),
    contentType: String(r.content_type),
    bytes: Number(r.bytes),
    sha256: String(r.sha256),
    createdAt: Number(r.created_at),
    erasedAt: r.erased_at === null || r.erased_at === undefined ? null : Number(r.erased_at),
  };
}

/** A BLOB (SQLite) or BYTEA (PostgreSQL) value as a Buffer. */
function bufferOf(v: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  throw new Error(`documents.data is neither a BLOB nor BYTEA (${typeof v})`);
}

export class DocumentRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /**
   * Store a document; with a step id, once per step: a second call for the same step stores
   * nothing and answers the first document (`created: false`), whatever bytes it was given.
   */
  async store(d: NewDocument, now = Date.now(), query?: Query): Promise<{ document: DocumentMeta; created: boolean }> {
    const q = query ?? this.db.sql.query;
    const data = Buffer.from(d.data.buffer, d.data.byteOffset, d.data.byteLength);
    const id = uuidv7();
    const sha256 = createHash('sha256').update(data).digest('hex');
    const conflict = d.stepId !== null ? ' ON CONFLICT (tenant_id, step_id) DO NOTHING' : '';
    const rows = await q(
      `INSERT INTO documents (id, tenant_id, contact_id, execution_id, step_id, node_id, filename, content_type, bytes, sha256, data, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)${conflict} RETURNING id`,
      [id, this.tenantId, d.contactId, d.executionId, d.stepId, d.nodeId, d.filename, d.contentType, data.length, sha256, data, now],
    );
    if (rows.length) return { document: { id, contactId: d.contactId, executionId: d.executionId, stepId: d.stepId, nodeId: d.nodeId, filename: d.filename, contentType: d.contentType, bytes: data.length, sha256, createdAt: now, erasedAt: null }, created: true };
    const earlier = await this.byStep(d.stepId!, q);
    if (!earlier) throw new Error(`documents: the row of step ${d.stepId} conflicted but cannot be read`);
    return { document: earlier, created: false };
  }

  async byStep(stepId: string, query?: Query): Promise<DocumentMeta | null> {
    const rows = await (query ?? this.db.sql.query)(`SELECT ${META_COLUMNS} FROM documents WHERE tenant_id = $1 AND step_id = $2`, [this.tenantId, stepId]);
    return rows[0] ? documentMetaOf(rows[0]) : null;
  }

  /** A document's metadata (no bytes), or null when the tenant has no such document. */
  async get(id: string, query?: Query): Promise<DocumentMeta | null> {
    const rows = await (query ?? this.db.sql.query)(`SELECT ${META_COLUMNS} FROM documents WHERE tenant_id = $1 AND id = $2`, [this.tenantId, id]);
    return rows[0] ? documentMetaOf(rows[0]) : null;
  }

  /** A document with its bytes (`data` null once erased), or null when the tenant has no such document. */
  async content(id: string, query?: Query): Promise<{ meta: DocumentMeta; data: Buffer | null } | null> {
    const rows = await (query ?? this.db.sql.query)(`SELECT ${META_COLUMNS}, data FROM documents WHERE tenant_id = $1 AND id = $2`, [this.tenantId, id]);
    const r = rows[0];
    return r ? { meta: documentMetaOf(r), data: bufferOf(r.data) } : null;
  }

  /** Newest first, by id (uuid v7: time-ordered). */
  async list(f: DocumentListFilter): Promise<DocumentMeta[]> {
    const args: unknown[] = [this.tenantId];
    const where = ['d.tenant_id = $1'];
    const arg = (v: unknown): string => {
      args.push(v);
      return `$${args.length}`;
    };
    if (f.contactId !== undefined) where.push(`d.contact_id = ${arg(f.contactId)}`);
    if (f.executionId !== undefined) where.push(`d.execution_id = ${arg(f.executionId)}`);
    if (f.ownerId !== undefined) where.push(`d.contact_id IN (SELECT c.id FROM contacts c WHERE c.tenant_id = d.tenant_id AND c.owner_id = ${arg(f.ownerId)})`);
    if (f.before !== undefined) where.push(`d.id < ${arg(f.before)}`);
    const columns = META_COLUMNS.split(', ').map((c) => `d.${c}`).join(', ');
    const rows = await this.db.sql.query(`SELECT ${columns} FROM documents d WHERE ${where.join(' AND ')} ORDER BY d.id DESC LIMIT ${arg(f.limit)}`, args);
    return rows.map(documentMetaOf);
  }

  /**
   * Erasure: the bytes of the contact's documents — those naming it, and those stored by the
   * executions it was the subject of — are dropped (`data` NULL, `erased_at` set); the rows stay
   * (id, size, hash, times) like the rest of an erased contact's records. Idempotent.
   */
  async eraseContact(contactId: string, query: Query, now = Date.now()): Promise<number> {
    const rows = await query(
      `UPDATE documents SET data = NULL, erased_at = $3
       WHERE tenant_id = $1 AND erased_at IS NULL
         AND (contact_id = $2 OR execution_id IN (SELECT x.id FROM executions x WHERE x.tenant_id = $1 AND x.subject = $2))
       RETURNING id`,
      [this.tenantId, contactId, now],
    );
    return rows.length;
  }
}

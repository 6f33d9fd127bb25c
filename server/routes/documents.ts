// Stored documents (issue 20): the PDFs proposal.pdf stores (server/documents/), read by id —
// the bytes with their Content-Type and an RFC 6266 Content-Disposition whose `filename*`
// carries any script (Arabic names) — and listed by contact or execution. Read with
// contacts.read (a document is about a contact; a sales rep sees only their own contacts'
// documents, others read as 404). Another tenant's id is 404 like everywhere.
import { Type } from '@sinclair/typebox';
import { ApiError, notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import type { Auth } from '../auth/auth-context.js';
import { ownScope } from '../crm/crm-api.js';
import { route, type RouteSpec } from '../http/route.js';
import { DocumentService } from '../documents/document-service.js';
import type { DocumentMeta } from '../../db/document-repository.js';
import { IdParams, Nullable, Page, Timestamp, iso, named, pageQuery } from '../schemas/common.js';

export const DocumentView = named(
  'Document',
  Type.Object(
    {
      id: Type.String(),
      contactId: Nullable(Type.String()),
      executionId: Nullable(Type.String()),
      nodeId: Nullable(Type.String()),
      filename: Type.String(),
      contentType: Type.String(),
      bytes: Type.Integer({ description: 'size in bytes' }),
      sha256: Type.String({ description: 'hex SHA-256 of the bytes' }),
      createdAt: Timestamp,
      erasedAt: Nullable(Timestamp),
    },
    { additionalProperties: false },
  ),
);

function documentView(d: DocumentMeta) {
  return { id: d.id, contactId: d.contactId, executionId: d.executionId, nodeId: d.nodeId, filename: d.filename, contentType: d.contentType, bytes: d.bytes, sha256: d.sha256, createdAt: iso(d.createdAt), erasedAt: iso(d.erasedAt) };
}

const ListQuery = Type.Object(
  {
    contactId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    executionId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    ...pageQuery(),
  },
  { additionalProperties: false },
);

/**
 * `Content-Disposition` per RFC 6266: `filename` an ASCII fallback (other characters as `_`,
 * quotes and backslashes dropped), `filename*` the exact name in UTF-8, percent-encoded (RFC 8187).
 */
export function contentDisposition(filename: string, type: 'inline' | 'attachment' = 'inline'): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export function documentRoutes(ctx: AppContext): RouteSpec[] {
  const documents = new DocumentService(ctx.db);

  /** The document when the caller may see it: the tenant's, and for a sales rep one of their contacts'. */
  async function visible<T extends { meta: DocumentMeta }>(auth: Auth, found: T | null): Promise<T> {
    if (!found) throw notFound('document');
    const own = ownScope(auth);
    if (own !== null) {
      const contact = found.meta.contactId ? await ctx.contacts(auth.tenant.id).byId(found.meta.contactId) : null;
      if (!contact || contact.ownerId !== own) throw notFound('document');
    }
    return found;
  }

  return [
    route({
      method: 'get',
      path: '/documents',
      summary: 'Stored documents (proposal and invoice PDFs), newest first: filter by contact or execution; metadata only, cursor pages',
      tag: 'documents',
      access: 'contacts.read',
      query: ListQuery,
      response: Page(DocumentView),
      async handler({ query, auth }) {
        const own = ownScope(auth);
        const items = await documents.repository(auth.tenant.id).list({
          limit: query.limit,
          ...(query.contactId !== undefined ? { contactId: query.contactId } : {}),
          ...(query.executionId !== undefined ? { executionId: query.executionId } : {}),
          ...(query.cursor !== undefined ? { before: query.cursor } : {}),
          ...(own !== null ? { ownerId: own } : {}),
        });
        const last = items.at(-1);
        return { items: items.map(documentView), nextCursor: items.length === query.limit && last ? last.id : null };
      },
    }),
    route({
      method: 'get',
      path: '/documents/:id/meta',
      summary: 'One stored document’s metadata (file name, type, size, SHA-256, contact, execution)',
      tag: 'documents',
      access: 'contacts.read',
      params: IdParams,
      response: DocumentView,
      errors: { 404: 'no such document' },
      async handler({ params, auth }) {
        const meta = await documents.repository(auth.tenant.id).get(params.id);
        return documentView((await visible(auth, meta ? { meta } : null)).meta);
      },
    }),
    route({
      method: 'get',
      path: '/documents/:id',
      summary: 'A stored document’s bytes (application/pdf), with Content-Disposition: inline and the file name (RFC 6266 filename* for Arabic names)',
      tag: 'documents',
      access: 'contacts.read',
      params: IdParams,
      contentType: 'application/pdf',
      response: Type.String({ format: 'binary', description: 'the file' }),
      errors: { 404: 'no such document', 410: 'the contact was erased: the file is gone (its metadata stays)' },
      async handler({ params, auth, res }) {
        const { meta, data } = await visible(auth, await documents.repository(auth.tenant.id).content(params.id));
        if (!data) throw new ApiError(410, 'document_erased', 'the contact this document was about was erased; the file is gone — حُذف الملف لأن جهة الاتصال مُسحت');
        res.status(200);
        res.setHeader('Content-Type', meta.contentType);
        res.setHeader('Content-Length', String(data.length));
        res.setHeader('Content-Disposition', contentDisposition(meta.filename));
        res.setHeader('ETag', `"${meta.sha256}"`);
        res.setHeader('Cache-Control', 'private, no-store');
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.end(data);
        return undefined;
      },
    }),
  ];
}

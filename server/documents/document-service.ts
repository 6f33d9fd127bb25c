// The tenant's document store (issue 20): files the engine produces — proposal.pdf's PDFs — kept
// in the documents table (migration 025, db/document-repository.ts) and attached to messages by
// id. The runtime reaches it through ctx.documents (DocumentGateway, engine/node-contract/
// sales-services.ts): one document per step, so a step that runs again stores nothing new.
// The API reads it (GET /api/v1/documents/{id}); the outbox loads the bytes of a message's
// attachments when it sends (server/outbox/outbox-service.ts).
import { NodeFailure, type DocumentGateway, type DocumentStoreRequest, type StepIdentity, type StoredDocument } from '../../engine/index.js';
import type { Database } from '../../db/database.js';
import { DocumentRepository } from '../../db/document-repository.js';
import { ContactRepository } from '../../db/contacts/index.js';

/** Largest document stored (bytes). proposal.pdf's own bound (MAX_PDF_BYTES, 2 MiB) is below it. */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
/** Content types the store accepts (what a message may carry as a document). */
export const DOCUMENT_CONTENT_TYPES = ['application/pdf'] as const;
const MAX_FILENAME = 200;

/**
 * A file name as stored and sent: letters of any script (Arabic included), digits, spaces and
 * `._-()`; path separators, control and other characters become `_`; at most 200 characters.
 * Null when nothing usable is left.
 */
export function safeFilename(name: string): string | null {
  const cleaned = name
    .normalize('NFC')
    .replace(/[^\p{L}\p{M}\p{N} ._()-]/gu, '_')
    .replace(/^[. ]+/, '')
    .trim()
    .slice(0, MAX_FILENAME);
  return cleaned === '' || /^_+$/.test(cleaned) ? null : cleaned;
}

export class DocumentService {
  constructor(private readonly db: Database) {}

  repository(tenantId: string): DocumentRepository {
    return new DocumentRepository(this.db, tenantId);
  }

  /** ctx.documents behind the runtime: stores for the step's tenant, execution and subject. */
  gateway(): DocumentGateway {
    return { store: (step, request) => this.storeForStep(step, request) };
  }

  async storeForStep(step: StepIdentity, request: DocumentStoreRequest): Promise<StoredDocument> {
    const filename = typeof request.filename === 'string' ? safeFilename(request.filename) : null;
    if (!filename) throw new NodeFailure('invalid_document', 'the document needs a file name', { retryable: false });
    if (!(DOCUMENT_CONTENT_TYPES as readonly string[]).includes(request.contentType)) {
      throw new NodeFailure('invalid_document', `documents are ${DOCUMENT_CONTENT_TYPES.join(', ')}, not ${String(request.contentType).slice(0, 100)}`, { retryable: false });
    }
    if (!(request.data instanceof Uint8Array) || request.data.byteLength === 0) throw new NodeFailure('invalid_document', 'the document is empty', { retryable: false });
    if (request.data.byteLength > MAX_DOCUMENT_BYTES) throw new NodeFailure('document_too_large', `a document is at most ${MAX_DOCUMENT_BYTES} bytes`, { retryable: false });
    // The subject's document: not for a contact erased meanwhile (its documents were emptied).
    let contactId: string | null = null;
    if (step.subject) {
      const contact = await new ContactRepository(this.db, step.tenantId).byId(step.subject);
      if (contact?.erasedAt) throw new NodeFailure('contact_erased', 'the contact was erased: no document is stored for them', { retryable: false });
      contactId = contact ? contact.id : null;
    }
    const { document, created } = await this.repository(step.tenantId).store({
      contactId,
      executionId: step.executionId,
      stepId: step.stepId,
      nodeId: step.nodeId,
      filename,
      contentType: request.contentType,
      data: request.data,
    });
    return { id: document.id, filename: document.filename, contentType: document.contentType, bytes: document.bytes, sha256: document.sha256, created };
  }
}

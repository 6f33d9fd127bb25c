// Documents (issue 20): files the engine produces for a tenant — today the PDFs of proposal.pdf —
// stored once and attached to messages by id (send.email attachments, a WhatsApp document).
// The bytes live in the row (BLOB on SQLite, BYTEA on PostgreSQL), bounded by the service
// (server/documents/). UNIQUE(tenant_id, step_id): a step that runs again (a retry, a crash
// and re-run) finds the row its first run stored instead of storing a second copy.
// Personal data: a proposal names its buyer. Erasure of the contact empties `data` (and sets
// `erased_at`) for the documents of the contact and of the executions it was the subject of
// (db/contacts/subject-data.ts); the sweep scrubs `filename`.
// outbound_messages.attachments: the document ids a message carries (JSON text), kept on the
// row so a re-run sends exactly what the first decision recorded.
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('documents', {
    id: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    tenant_id: { type: DataTypes.STRING(64), allowNull: false },
    contact_id: { type: DataTypes.STRING(64), allowNull: true },
    execution_id: { type: DataTypes.STRING(64), allowNull: true },
    /** `<execution>:<seq>` of the step that stored it (null for a document stored otherwise). */
    step_id: { type: DataTypes.STRING(128), allowNull: true },
    node_id: { type: DataTypes.STRING(128), allowNull: true },
    filename: { type: DataTypes.STRING(255), allowNull: false },
    content_type: { type: DataTypes.STRING(127), allowNull: false },
    bytes: { type: DataTypes.INTEGER, allowNull: false },
    sha256: { type: DataTypes.STRING(64), allowNull: false },
    /** The file; NULL once the contact was erased. */
    data: { type: DataTypes.BLOB, allowNull: true },
    created_at: { type: DataTypes.BIGINT, allowNull: false },
    erased_at: { type: DataTypes.BIGINT, allowNull: true },
  });
  await qi.addIndex('documents', ['tenant_id', 'step_id'], { unique: true, name: 'documents_tenant_step' });
  await qi.addIndex('documents', ['tenant_id', 'contact_id', 'id'], { name: 'documents_tenant_contact' });
  await qi.addIndex('documents', ['tenant_id', 'execution_id'], { name: 'documents_tenant_execution' });
  await qi.addColumn('outbound_messages', 'attachments', { type: DataTypes.TEXT, allowNull: true });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeColumn('outbound_messages', 'attachments');
  await qi.dropTable('documents');
}

// What the database holds about one contact outside the contacts and consents tables:
// executions whose subject is the contact (with their steps) and audit entries naming it.
// Erasure (PDPL "erase") anonymises the executions' stored payloads here, in batches; the
// access request ("export") lists them. What the contact's own records miss (its phone inside
// other rows) is the erasure sweep's: personal-data-sweep.ts.
import type { Database } from '../database.js';
import { parseJsonColumn, type Query } from '../sql-executor.js';
import { OutboxRepository } from '../outbox-repository.js';
import { DocumentRepository } from '../document-repository.js';

/** What replaces an erased payload (step input and output, execution output, token inputs). */
export const ERASED = Object.freeze({ redacted: 'contact_erased' });
const ERASED_TEXT = JSON.stringify(ERASED);
const ERASED_MESSAGE = 'redacted: contact erased';
const TERMINAL = ['succeeded', 'failed', 'cancelled'];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An error keeps its code, node and path (they say what failed); its message may quote the data. */
export function redactError(error: unknown): unknown {
  if (!isObject(error)) return error === null || error === undefined ? null : ERASED;
  return { ...error, message: ERASED_MESSAGE };
}

/**
 * An execution's persisted state with every payload replaced by ERASED: the output, each
 * pending token's input, a resumed wait's output and errors' messages. The structure the
 * runtime reads (status, tokens, sequence numbers, times) is kept, so the execution still
 * loads, lists and shows its timeline.
 */
export function redactExecutionState(state: unknown): unknown {
  if (!isObject(state)) return ERASED;
  const tokens = Array.isArray(state.tokens) ? state.tokens : [];
  return {
    ...state,
    output: state.output === null || state.output === undefined ? null : ERASED,
    error: redactError(state.error),
    tokens: tokens.map((t: unknown) => {
      if (!isObject(t)) return t;
      const token: Json = { ...t, input: ERASED };
      if (isObject(t.resume)) token.resume = { ...t.resume, output: ERASED };
      if (t.lastError !== undefined) token.lastError = redactError(t.lastError);
      return token;
    }),
  };
}

/**
 * Every other table that holds rows about a contact, and the column naming it. A new table
 * keyed by contact belongs here, so the access request ("export") cannot miss it.
 */
export const CONTACT_TABLES: readonly { table: string; column: string }[] = [
  { table: 'outbound_messages', column: 'contact_id' },
  { table: 'inbound_messages', column: 'contact_id' },
  { table: 'enrollments', column: 'contact_id' },
  { table: 'escalations', column: 'contact_id' },
  { table: 'deals', column: 'contact_id' },
  { table: 'meetings', column: 'contact_id' },
  { table: 'domain_events', column: 'subject' },
  // Stored files (proposal PDFs): exported with their bytes as base64 (`data`).
  { table: 'documents', column: 'contact_id' },
];

/** A stored row as exported: JSON text columns parsed, everything else as stored. */
function exportRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (v instanceof Uint8Array) {
      out[k] = Buffer.from(v).toString('base64'); // a BLOB/BYTEA (a document's bytes)
      continue;
    }
    if (typeof v === 'string' && /^[[{]/.test(v)) {
      try {
        out[k] = parseJsonColumn(v);
        continue;
      } catch {
        // not JSON after all: keep the text
      }
    }
    out[k] = v;
  }
  return out;
}

export class SubjectData {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /**
   * Erasure of what the sales records hold about the contact: escalation reasons, payloads,
   * edits and notes, domain event data (its event ids and types stay, so the history still
   * counts), meeting notes, the bytes of its documents (theirs and its executions'). Messages and executions are redacted by their own owners.
   */
  async redactRelated(contactId: string, q: Query): Promise<void> {
    await q(
      `UPDATE escalations SET reason = $1, payload = $2, edits = CASE WHEN edits IS NULL THEN NULL ELSE $2 END, decision_note = CASE WHEN decision_note IS NULL THEN NULL ELSE $1 END
       WHERE tenant_id = $3 AND contact_id = $4`,
      [ERASED_MESSAGE, ERASED_TEXT, this.tenantId, contactId],
    );
    await q('UPDATE domain_events SET data = $1 WHERE tenant_id = $2 AND subject = $3', [ERASED_TEXT, this.tenantId, contactId]);
    await q('UPDATE meetings SET notes = NULL WHERE tenant_id = $1 AND contact_id = $2', [this.tenantId, contactId]);
    // Its documents (proposal PDFs name the buyer): the bytes go, the rows stay (id, size, hash, times).
    await new DocumentRepository(this.db, this.tenantId).eraseContact(contactId, q);
    // Members' in-app notifications about its escalations repeat the reason in their titles.
    await q(
      `UPDATE notifications SET title_ar = $1, title_en = $1, body = NULL
       WHERE tenant_id = $2 AND link IN (SELECT '/escalations/' || id FROM escalations WHERE tenant_id = $2 AND contact_id = $3)`,
      [ERASED_MESSAGE, this.tenantId, contactId],
    );
  }

  /** The contact's rows in every table of CONTACT_TABLES (and enrollment history), by table. */
  async relatedRecords(contactId: string): Promise<Record<string, Record<string, unknown>[]>> {
    const out: Record<string, Record<string, unknown>[]> = {};
    for (const { table, column } of CONTACT_TABLES) {
      const rows = await this.db.sql.query(`SELECT * FROM ${table} WHERE tenant_id = $1 AND ${column} = $2`, [this.tenantId, contactId]);
      out[table] = rows.map(exportRow);
    }
    const enrollmentIds = (out.enrollments ?? []).map((e) => String(e.id));
    out.enrollment_history = [];
    for (const id of enrollmentIds) {
      const rows = await this.db.sql.query('SELECT * FROM enrollment_history WHERE tenant_id = $1 AND enrollment_id = $2 ORDER BY at', [this.tenantId, id]);
      out.enrollment_history.push(...rows.map(exportRow));
    }
    return out;
  }

  /** Ids of the subject's executions, oldest first. */
  async executionIds(subject: string, options: { unfinishedOnly?: boolean } = {}): Promise<string[]> {
    const unfinished = options.unfinishedOnly ? ` AND status NOT IN (${TERMINAL.map((s) => `'${s}'`).join(', ')})` : '';
    const rows = await this.db.sql.query(`SELECT id FROM executions WHERE tenant_id = $1 AND subject = $2${unfinished} ORDER BY started_at, id`, [this.tenantId, subject]);
    return rows.map((r) => String(r.id));
  }

  /**
   * Replace the stored payloads of the subject's finished executions with ERASED, `batchSize`
   * executions per transaction: execution state, output and error; each step's input, output,
   * logs and error message. Unfinished executions are left alone (cancel them first) and counted
   * in `skipped`. Idempotent: running it again changes nothing more.
   */
  async redactExecutions(subject: string, options: { batchSize?: number } = {}): Promise<{ executions: number; steps: number; skipped: number }> {
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? 100));
    // The outbox's copies of the messages (address, text, template variables) go too; the rows stay as the send record.
    await new OutboxRepository(this.db, this.tenantId).redactContact(subject);
    const lock = this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
    let after = '';
    const totals = { executions: 0, steps: 0, skipped: 0 };
    for (;;) {
      let seen = 0;
      await this.db.sql.transaction(async (q: Query) => {
        const rows = await q(`SELECT id, status, state, output, error FROM executions WHERE tenant_id = $1 AND subject = $2 AND id > $3 ORDER BY id LIMIT $4${lock}`, [
          this.tenantId,
          subject,
          after,
          batchSize,
        ]);
        seen = rows.length;
        const ids: string[] = [];
        for (const r of rows) {
          after = String(r.id);
          if (!TERMINAL.includes(String(r.status))) {
            totals.skipped++;
            continue;
          }
          ids.push(String(r.id));
          const state = JSON.stringify(redactExecutionState(parseJsonColumn(r.state)));
          const output = r.output === null || r.output === undefined ? null : ERASED_TEXT;
          const error = r.error === null || r.error === undefined ? null : JSON.stringify(redactError(parseJsonColumn(r.error)));
          // rev + 1: a process still holding this execution's old state cannot commit over the redaction.
          await q('UPDATE executions SET state = $3, output = $4, error = $5, rev = rev + 1 WHERE tenant_id = $1 AND id = $2', [this.tenantId, r.id, state, output, error]);
        }
        if (!ids.length) return;
        const marks = ids.map((_, i) => `$${i + 3}`).join(', ');
        const steps = await q(
          `UPDATE execution_steps SET input = CASE WHEN input IS NULL THEN NULL ELSE $2 END, output = CASE WHEN output IS NULL THEN NULL ELSE $2 END, logs = CASE WHEN logs IS NULL THEN NULL ELSE '[]' END
            WHERE tenant_id = $1 AND execution_id IN (${marks}) RETURNING id`,
          [this.tenantId, ERASED_TEXT, ...ids],
        );
        const failed = await q(`SELECT id, error FROM execution_steps WHERE tenant_id = $1 AND error IS NOT NULL AND execution_id IN (${ids.map((_, i) => `$${i + 2}`).join(', ')})`, [
          this.tenantId,
          ...ids,
        ]);
        for (const s of failed) {
          await q('UPDATE execution_steps SET error = $3 WHERE tenant_id = $1 AND id = $2', [this.tenantId, s.id, JSON.stringify(redactError(parseJsonColumn(s.error)))]);
        }
        totals.executions += ids.length;
        totals.steps += steps.length;
      });
      if (seen < batchSize) return totals;
    }
  }

  /** Audit entries whose target is the subject, oldest first (for the access export). */
  async auditEntries(subject: string): Promise<{ id: string; actor: string; action: string; details: unknown; at: string }[]> {
    const rows = await this.db.sql.query('SELECT id, actor, action, details, at FROM audit_log WHERE tenant_id = $1 AND target = $2 ORDER BY at, id', [this.tenantId, subject]);
    return rows.map((r) => ({ id: String(r.id), actor: String(r.actor), action: String(r.action), details: parseJsonColumn(r.details), at: new Date(Number(r.at)).toISOString() }));
  }
}

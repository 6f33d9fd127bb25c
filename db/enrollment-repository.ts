// Enrollments of one tenant (migration 012): a contact in a flow, its state, its current
// execution, and the append-only history of its state changes. Another tenant's enrollment id
// reads as "not found"; every query names tenant_id.
//
// Every state change goes through transition(): a conditional UPDATE (only from the states the
// caller names, optionally only while the row still points at a given execution) and its
// history row, in one transaction. Two processes racing to change the same enrollment (a pause
// and the execution finishing, two resumes) therefore cannot both win. The history is
// append-only: no method updates or deletes it, and the database refuses to (a trigger).
import { v7 as uuidv7 } from 'uuid';
import type { Database } from './database.js';
import type { Query, Row } from './sql-executor.js';

// The states are part of the API contract: one list, in server/schemas/enrollments.ts.
import { ENROLLMENT_STATES, type EnrollmentState } from '../server/schemas/enrollments.js';

export { ENROLLMENT_STATES, type EnrollmentState };
/** States in which the contact is "in the flow" (the unique index covers them). */
export const LIVE_STATES: readonly EnrollmentState[] = ['active', 'paused'];

export const isEnrollmentState = (v: unknown): v is EnrollmentState => typeof v === 'string' && (ENROLLMENT_STATES as readonly string[]).includes(v);

export interface Enrollment {
  id: string;
  flowId: string;
  flowVersion: number;
  contactId: string;
  state: EnrollmentState;
  executionId: string | null;
  /** As stored (see the migration); the service reads active ones live from their execution. */
  currentNode: string | null;
  allowReentry: boolean;
  enrolledBy: string;
  enrolledAt: number;
  endedAt: number | null;
  endReason: string | null;
  updatedAt: number;
  /** A paused enrollment resumes by itself then (an out-of-office reply's return); null: by hand only. */
  resumeAt: number | null;
}

export interface EnrollmentHistoryEntry {
  id: string;
  enrollmentId: string;
  at: number;
  fromState: EnrollmentState | null;
  toState: EnrollmentState;
  reason: string | null;
  actor: string;
  executionId: string | null;
  node: string | null;
}

export interface NewEnrollment {
  id?: string;
  flowId: string;
  flowVersion: number;
  contactId: string;
  executionId: string;
  currentNode: string | null;
  allowReentry: boolean;
  enrolledBy: string;
  reason?: string;
  at?: number;
}

export interface Transition {
  from: readonly EnrollmentState[];
  to: EnrollmentState;
  reason: string;
  actor: string;
  at?: number;
  /** Only while the row still carries this execution (an execution's end must not touch a later one). */
  whileExecution?: string;
  /** A new current execution (resume); undefined keeps it. */
  executionId?: string;
  /** undefined keeps it. */
  currentNode?: string | null;
  /** The paused position (JSON text); undefined keeps it. Any state but `paused` clears it. */
  resumePlan?: string | null;
  /** When the enrollment ended, for ended states (default `at`). */
  endedAt?: number;
}

/** A step an execution has pending (a stepper token, as stored in executions.state). */
export interface PendingToken {
  seq: number;
  node: string;
  input: unknown;
  attempt: number;
  status: string;
}

export interface ExecutionPosition {
  status: string;
  finishedAt: number | null;
  tokens: PendingToken[];
}

export interface EnrollmentFilter {
  flowId?: string;
  contactId?: string;
  states?: readonly EnrollmentState[];
  /** Only enrollments of contacts this user owns (sales reps). */
  ownerId?: string;
  limit: number;
  /** The id of the previous page's last enrollment (newest first). */
  after?: string;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const marks = (from: number, n: number): string => Array.from({ length: n }, (_, i) => `$${from + i}`).join(', ');

export function enrollmentOf(r: Row): Enrollment {
  return {
    id: String(r.id),
    flowId: String(r.flow_id),
    flowVersion: Number(r.flow_version),
    contactId: String(r.contact_id),
    state: String(r.state) as EnrollmentState,
    executionId: str(r.execution_id),
    currentNode: str(r.current_node),
    allowReentry: Number(r.allow_reentry) === 1,
    enrolledBy: String(r.enrolled_by),
    enrolledAt: Number(r.enrolled_at),
    endedAt: num(r.ended_at),
    endReason: str(r.end_reason),
    resumeAt: r.resume_at === null || r.resume_at === undefined ? null : Number(r.resume_at),
    updatedAt: Number(r.updated_at),
  };
}

function historyOf(r: Row): EnrollmentHistoryEntry {
  return {
    id: String(r.id),
    enrollmentId: String(r.enrollment_id),
    at: Number(r.at),
    fromState: str(r.from_state) as EnrollmentState | null,
    toState: String(r.to_state) as EnrollmentState,
    reason: str(r.reason),
    actor: String(r.actor),
    executionId: str(r.execution_id),
    node: str(r.node),
  };
}

// Everything but resume_plan (it can be large; only resume reads it).
const COLUMNS = 'id, tenant_id, flow_id, flow_version, contact_id, state, execution_id, current_node, allow_reentry, enrolled_by, enrolled_at, ended_at, end_reason, updated_at, resume_at';

export class EnrollmentRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  private async within<T>(query: Query | undefined, fn: (q: Query) => Promise<T>): Promise<T> {
    return query ? fn(query) : this.db.sql.transaction(fn);
  }

  private async appendHistory(q: Query, e: { enrollmentId: string; at: number; from: EnrollmentState | null; to: EnrollmentState; reason: string | null; actor: string; executionId: string | null; node: string | null }): Promise<void> {
    await q('INSERT INTO enrollment_history (id, tenant_id, enrollment_id, at, from_state, to_state, reason, actor, execution_id, node) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', [
      uuidv7(), this.tenantId, e.enrollmentId, e.at, e.from, e.to, e.reason, e.actor, e.executionId, e.node,
    ]);
  }

  /**
   * A new active enrollment and its first history row; null when the contact is already in the
   * flow (an active or paused enrollment of a flow without re-entry: the unique index decides,
   * so concurrent calls create one).
   */
  async create(n: NewEnrollment, query?: Query): Promise<Enrollment | null> {
    const id = n.id ?? uuidv7();
    const at = n.at ?? Date.now();
    return this.within(query, async (q) => {
      const rows = await q(
        `INSERT INTO enrollments (id, tenant_id, flow_id, flow_version, contact_id, state, execution_id, current_node, allow_reentry, enrolled_by, enrolled_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8, $9, $10, $10) ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
        [id, this.tenantId, n.flowId, n.flowVersion, n.contactId, n.executionId, n.currentNode, n.allowReentry ? 1 : 0, n.enrolledBy, at],
      );
      if (!rows[0]) return null;
      await this.appendHistory(q, { enrollmentId: id, at, from: null, to: 'active', reason: n.reason ?? 'enrolled', actor: n.enrolledBy, executionId: n.executionId, node: n.currentNode });
      return enrollmentOf(rows[0]);
    });
  }

  async get(id: string, query?: Query): Promise<Enrollment | null> {
    const rows = await (query ?? this.db.sql.query)(`SELECT ${COLUMNS} FROM enrollments WHERE tenant_id = $1 AND id = $2`, [this.tenantId, id]);
    return rows[0] ? enrollmentOf(rows[0]) : null;
  }

  /** The paused position stored by a pause (JSON text), or null. */
  async resumePlan(id: string): Promise<string | null> {
    const rows = await this.db.sql.query('SELECT resume_plan FROM enrollments WHERE tenant_id = $1 AND id = $2', [this.tenantId, id]);
    return str(rows[0]?.resume_plan);
  }

  /**
   * Move the enrollment from one of `t.from` to `t.to`, with its history row; null (nothing
   * written) when it is not in one of those states (or no longer on `t.whileExecution`).
   */
  async transition(id: string, t: Transition, query?: Query): Promise<Enrollment | null> {
    const at = t.at ?? Date.now();
    const ended = !LIVE_STATES.includes(t.to);
    return this.within(query, async (q) => {
      // Read (and on PostgreSQL lock) the row under the caller's conditions; SQLite transactions are serial.
      const cond: unknown[] = [this.tenantId, id, ...t.from];
      let where = `tenant_id = $1 AND id = $2 AND state IN (${marks(3, t.from.length)})`;
      if (t.whileExecution !== undefined) {
        cond.push(t.whileExecution);
        where += ` AND execution_id = $${cond.length}`;
      }
      const [before] = await q(`SELECT state FROM enrollments WHERE ${where}${this.db.dialect === 'postgres' ? ' FOR UPDATE' : ''}`, cond);
      if (!before) return null;
      const args: unknown[] = [this.tenantId, id, t.to, at];
      const arg = (v: unknown): string => {
        args.push(v);
        return `$${args.length}`;
      };
      const set = ['state = $3', 'updated_at = $4'];
      if (t.executionId !== undefined) set.push(`execution_id = ${arg(t.executionId)}`);
      if (t.currentNode !== undefined) set.push(`current_node = ${arg(t.currentNode)}`);
      if (t.to !== 'paused') set.push('resume_plan = NULL');
      else if (t.resumePlan !== undefined) set.push(`resume_plan = ${arg(t.resumePlan)}`);
      if (ended) set.push(`ended_at = ${arg(t.endedAt ?? at)}`, `end_reason = ${arg(t.reason)}`);
      const rows = await q(`UPDATE enrollments SET ${set.join(', ')} WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`, args);
      const after = enrollmentOf(rows[0]!);
      await this.appendHistory(q, { enrollmentId: id, at, from: String(before.state) as EnrollmentState, to: t.to, reason: t.reason, actor: t.actor, executionId: after.executionId, node: after.currentNode });
      return after;
    });
  }

  /** Oldest first. */
  async history(enrollmentId: string): Promise<EnrollmentHistoryEntry[]> {
    const rows = await this.db.sql.query('SELECT * FROM enrollment_history WHERE tenant_id = $1 AND enrollment_id = $2 ORDER BY at, id', [this.tenantId, enrollmentId]);
    return rows.map(historyOf);
  }

  /** Active and paused enrollments of a contact (optionally in one flow). */
  async live(filter: { contactId: string; flowId?: string }, query?: Query): Promise<Enrollment[]> {
    const args: unknown[] = [this.tenantId, filter.contactId];
    let sql = `SELECT ${COLUMNS} FROM enrollments WHERE tenant_id = $1 AND contact_id = $2 AND state IN ('active', 'paused')`;
    if (filter.flowId !== undefined) {
      args.push(filter.flowId);
      sql += ` AND flow_id = $${args.length}`;
    }
    const rows = await (query ?? this.db.sql.query)(`${sql} ORDER BY id`, args);
    return rows.map(enrollmentOf);
  }

  /** The enrollment carried by an execution, if any. */
  async byExecution(executionId: string): Promise<Enrollment | null> {
    const rows = await this.db.sql.query(`SELECT ${COLUMNS} FROM enrollments WHERE tenant_id = $1 AND execution_id = $2 ORDER BY id DESC`, [this.tenantId, executionId]);
    return rows[0] ? enrollmentOf(rows[0]) : null;
  }

  /** Newest first; `next` is the id to pass as `after` for the following page, or null on the last one. */
  async list(filter: EnrollmentFilter): Promise<{ items: Enrollment[]; next: string | null }> {
    const args: unknown[] = [this.tenantId];
    const arg = (v: unknown): string => {
      args.push(v);
      return `$${args.length}`;
    };
    const where = ['e.tenant_id = $1'];
    if (filter.flowId !== undefined) where.push(`e.flow_id = ${arg(filter.flowId)}`);
    if (filter.contactId !== undefined) where.push(`e.contact_id = ${arg(filter.contactId)}`);
    if (filter.states?.length) where.push(`e.state IN (${filter.states.map((s) => arg(s)).join(', ')})`);
    if (filter.ownerId !== undefined) {
      where.push(`EXISTS (SELECT 1 FROM contacts c WHERE c.tenant_id = e.tenant_id AND c.id = e.contact_id AND c.owner_id = ${arg(filter.ownerId)})`);
    }
    if (filter.after !== undefined) where.push(`e.id < ${arg(filter.after)}`);
    const columns = COLUMNS.split(', ').map((c) => `e.${c}`).join(', ');
    const rows = await this.db.sql.query(`SELECT ${columns} FROM enrollments e WHERE ${where.join(' AND ')} ORDER BY e.id DESC LIMIT ${arg(filter.limit + 1)}`, args);
    const items = rows.slice(0, filter.limit).map(enrollmentOf);
    return { items, next: rows.length > filter.limit ? items.at(-1)!.id : null };
  }

  /** Status, finish time and pending tokens (by seq) of the tenant's executions, for reading enrollments live. */
  async executionStates(ids: readonly string[]): Promise<Map<string, ExecutionPosition>> {
    const out = new Map<string, ExecutionPosition>();
    if (ids.length === 0) return out;
    const rows = await this.db.sql.query(`SELECT id, status, finished_at, state FROM executions WHERE tenant_id = $1 AND id IN (${marks(2, ids.length)})`, [this.tenantId, ...ids]);
    for (const r of rows) {
      let tokens: PendingToken[] = [];
      try {
        const state = (typeof r.state === 'string' ? JSON.parse(r.state) : r.state) as { tokens?: PendingToken[] } | null;
        tokens = [...(state?.tokens ?? [])].sort((a, b) => a.seq - b.seq);
      } catch {
        // a redacted or unreadable state: no position
      }
      out.set(String(r.id), { status: String(r.status), finishedAt: num(r.finished_at), tokens });
    }
    return out;
  }

  /** Store the position a paused enrollment resumes from (no history row: the pause wrote it). */
  /** When a paused enrollment resumes by itself (an out-of-office reply's return date); null: only by hand. */
  async setResumeAt(id: string, at: number | null): Promise<void> {
    // A write: through the writer's transaction (query() is the read connection on SQLite).
    await this.db.sql.transaction(async (q) => {
      await q('UPDATE enrollments SET resume_at = $3 WHERE tenant_id = $1 AND id = $2', [this.tenantId, id, at]);
    });
  }

  async setResumePlan(id: string, plan: string, node: string | null): Promise<boolean> {
    let done = false;
    await this.db.sql.transaction(async (q) => {
      const rows = await q("UPDATE enrollments SET resume_plan = $3, current_node = $4 WHERE tenant_id = $1 AND id = $2 AND state = 'paused' RETURNING id", [this.tenantId, id, plan, node]);
      done = rows.length > 0;
    });
    return done;
  }

  /** The node of an execution's latest step (where it ended), or null. */
  async lastNode(executionId: string): Promise<string | null> {
    const rows = await this.db.sql.query('SELECT node_id FROM execution_steps WHERE tenant_id = $1 AND execution_id = $2 ORDER BY seq DESC LIMIT 1', [this.tenantId, executionId]);
    return str(rows[0]?.node_id);
  }
}

/** Paused enrollments whose resume time has come, every tenant's (the resume sweep). */
export async function dueEnrollmentResumes(db: Database, now: number, limit = 100): Promise<Array<{ tenantId: string; id: string }>> {
  const rows = await db.sql.query("SELECT tenant_id, id FROM enrollments WHERE state = 'paused' AND resume_at IS NOT NULL AND resume_at <= $1 ORDER BY resume_at LIMIT $2", [now, limit]);
  return rows.map((r) => ({ tenantId: String(r.tenant_id), id: String(r.id) }));
}

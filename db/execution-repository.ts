// Read side of executions for the API and the CLI, scoped to one tenant: another tenant's
// execution id reads as "not found". The list is newest first with keyset pagination on
// (started_at, id): a page never skips or repeats a row however many executions start meanwhile.
import type { ExecutionStatus, HistoryStep, StepError } from '../engine/index.js';
import type { Database } from './database.js';
import type { ExecutionSummary, ExecutionView, StepView } from '../server/schemas/executions.js';
import { parseJsonColumn, type Row } from './sql-executor.js';

// The views' shapes are the API's (server/schemas/executions.ts): one schema, its types derived.
export type { StepView, ExecutionView, ExecutionSummary };

export interface ExecutionFilter {
  flowId?: string;
  statuses?: ExecutionStatus[];
  subject?: string;
  mode?: string;
  /** started_at >= from (epoch ms) */
  from?: number;
  /** started_at < to (epoch ms) */
  to?: number;
  limit: number;
  /** The position after which the page starts (decodeCursor of the previous page's nextCursor). */
  after?: ListCursor;
}

export interface ListCursor {
  startedAt: number;
  id: string;
}

/** The opaque cursor of a list page: base64url of the last row's (started_at, id). */
export function encodeCursor(c: ListCursor): string {
  return Buffer.from(JSON.stringify([c.startedAt, c.id])).toString('base64url');
}

/** The position a cursor stands for, or null when it is not one this API issued. */
export function decodeCursor(text: string): ListCursor | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [startedAt, id] = value as [unknown, unknown];
    if (typeof startedAt !== 'number' || !Number.isSafeInteger(startedAt) || typeof id !== 'string' || id.length === 0 || id.length > 64) return null;
    return { startedAt, id };
  } catch {
    return null;
  }
}

/** What replaying an execution needs: its identity and its steps as the engine reads them. */
export interface ExecutionHistory {
  id: string;
  flowId: string;
  flowVersion: number;
  status: ExecutionStatus;
  subject: string | null;
  steps: HistoryStep[];
}

const SUMMARY_COLUMNS = 'id, flow_id, flow_version, status, mode, subject, started_at, finished_at, error, replay_of';

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(Number(v)).toISOString());
const duration = (a: unknown, b: unknown): number | null => (a === null || a === undefined || b === null || b === undefined ? null : Number(b) - Number(a));

function stepView(r: Row): StepView {
  return {
    id: String(r.id),
    seq: Number(r.seq),
    node: String(r.node_id),
    type: String(r.node_type),
    attempt: Number(r.attempt),
    status: String(r.status),
    port: (r.port as string | null) ?? null,
    input: parseJsonColumn(r.input),
    output: parseJsonColumn(r.output),
    error: parseJsonColumn(r.error) as StepError | null,
    logs: (parseJsonColumn(r.logs) as string[] | null) ?? [],
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    durationMs: duration(r.started_at, r.finished_at),
  };
}

function summaryOf(r: Row): ExecutionSummary {
  const error = parseJsonColumn(r.error) as StepError | null;
  return {
    id: String(r.id),
    flowId: String(r.flow_id),
    flowVersion: Number(r.flow_version),
    status: String(r.status) as ExecutionStatus,
    mode: String(r.mode),
    subject: (r.subject as string | null) ?? null,
    startedAt: iso(r.started_at)!,
    finishedAt: iso(r.finished_at),
    durationMs: duration(r.started_at, r.finished_at),
    error: error ? { code: error.code, message: error.message, node: error.node ?? null } : null,
    replayOf: (r.replay_of as string | null) ?? null,
  };
}

export class ExecutionRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  async get(id: string): Promise<ExecutionView | null> {
    const rows = await this.db.sql.query('SELECT * FROM executions WHERE id = $1 AND tenant_id = $2', [id, this.tenantId]);
    const r = rows[0];
    if (!r) return null;
    const steps = await this.db.sql.query('SELECT * FROM execution_steps WHERE execution_id = $1 AND tenant_id = $2 ORDER BY seq', [id, this.tenantId]);
    return {
      id: String(r.id),
      flowId: String(r.flow_id),
      flowVersion: Number(r.flow_version),
      status: String(r.status) as ExecutionStatus,
      mode: String(r.mode),
      subject: (r.subject as string | null) ?? null,
      startedAt: iso(r.started_at)!,
      finishedAt: iso(r.finished_at),
      durationMs: duration(r.started_at, r.finished_at),
      output: parseJsonColumn(r.output),
      error: parseJsonColumn(r.error) as StepError | null,
      replayOf: (r.replay_of as string | null) ?? null,
      steps: steps.map(stepView),
    };
  }

  /** The execution without steps (status checks before cancel and replay). */
  async summary(id: string): Promise<ExecutionSummary | null> {
    const rows = await this.db.sql.query(`SELECT ${SUMMARY_COLUMNS} FROM executions WHERE id = $1 AND tenant_id = $2`, [id, this.tenantId]);
    return rows[0] ? summaryOf(rows[0]) : null;
  }

  /** Newest first. `next` is the cursor of the following page, or null on the last page. */
  async list(filter: ExecutionFilter): Promise<{ items: ExecutionSummary[]; next: ListCursor | null }> {
    const args: unknown[] = [this.tenantId];
    const where = ['tenant_id = $1'];
    const arg = (v: unknown): string => {
      args.push(v);
      return `$${args.length}`;
    };
    if (filter.flowId !== undefined) where.push(`flow_id = ${arg(filter.flowId)}`);
    if (filter.statuses?.length) where.push(`status IN (${filter.statuses.map(arg).join(', ')})`);
    if (filter.subject !== undefined) where.push(`subject = ${arg(filter.subject)}`);
    if (filter.mode !== undefined) where.push(`mode = ${arg(filter.mode)}`);
    if (filter.from !== undefined) where.push(`started_at >= ${arg(filter.from)}`);
    if (filter.to !== undefined) where.push(`started_at < ${arg(filter.to)}`);
    if (filter.after) {
      const at = arg(filter.after.startedAt);
      where.push(`(started_at < ${at} OR (started_at = ${at} AND id < ${arg(filter.after.id)}))`);
    }
    // One row more than asked tells whether another page follows.
    const rows = await this.db.sql.query(
      `SELECT ${SUMMARY_COLUMNS} FROM executions WHERE ${where.join(' AND ')} ORDER BY started_at DESC, id DESC LIMIT ${arg(filter.limit + 1)}`,
      args,
    );
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    const next = rows.length > filter.limit && last ? { startedAt: Number(last.started_at), id: String(last.id) } : null;
    return { items: page.map(summaryOf), next };
  }

  /** The execution and its steps as replay reads them, or null (unknown or another tenant's). */
  async history(id: string): Promise<ExecutionHistory | null> {
    const execution = await this.summary(id);
    if (!execution) return null;
    const rows = await this.db.sql.query('SELECT * FROM execution_steps WHERE execution_id = $1 AND tenant_id = $2 ORDER BY seq', [id, this.tenantId]);
    const steps = rows.map(stepView).map(({ seq, node, attempt, status, port, input, output, logs, startedAt, finishedAt }) => ({ seq, node, attempt, status, port, input, output, logs, startedAt, finishedAt }));
    return { id, flowId: execution.flowId, flowVersion: execution.flowVersion, status: execution.status, subject: execution.subject, steps };
  }
}

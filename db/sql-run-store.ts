// RunStore on SQL (SQLite or PostgreSQL): each execution segment's state, steps and waits
// land in one transaction, grouped with concurrent segments (group commit).
import type { ExecutionHead, ExecutionMeta, ExecutionStatus, ExecutionWrite, Flow, RunStore, StepRecord, StoredExecution, WaitRow } from '../engine/index.js';
import { ExecutionConflict, type ExecutionState } from '../engine/index.js';
import { GroupCommit } from './group-commit.js';
import { literal, parseJsonColumn, type Query, type Row, type SqlExecutor } from './sql-executor.js';

const MAX_ROWS_PER_STATEMENT = 400;

/**
 * JSON text of a value, memoised per object within one batch: a step's output object is the
 * next step's input and often the execution's output, so it is serialised once, not 3 times.
 */
function serializer(): (v: unknown) => string | null {
  const seen = new WeakMap<object, string>();
  return (v) => {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'object') return JSON.stringify(v);
    let text = seen.get(v);
    if (text === undefined) {
      text = JSON.stringify(v);
      seen.set(v, text);
    }
    return text;
  };
}

/**
 * The persisted state leaves out what the step rows already hold (`trigger`, `nodes`: every
 * node's latest output); loadExecution rebuilds them. Steps are the memo, as in Inngest.
 */
function persistedState(s: ExecutionState): string {
  return JSON.stringify({ ...s, trigger: undefined, nodes: undefined });
}
const ms = (iso: string | null | undefined): number | null => (iso ? Date.parse(iso) : null);

/** INSERT … VALUES (…),(…) ON CONFLICT (id) DO UPDATE SET …, in chunks. */
async function upsert(q: Query, table: string, columns: string[], updates: string[], rows: unknown[][], guard = ''): Promise<Row[]> {
  const returned: Row[] = [];
  for (let i = 0; i < rows.length; i += MAX_ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + MAX_ROWS_PER_STATEMENT);
    const params: unknown[] = [];
    const tuples = chunk.map((row) => {
      const marks = row.map((v) => {
        params.push(v);
        return `$${params.length}`;
      });
      return `(${marks.join(',')})`;
    });
    const set = updates.map((c) => `${c} = excluded.${c}`).join(', ');
    const action = set ? `UPDATE SET ${set}${guard ? ` WHERE ${guard}` : ''}` : 'NOTHING';
    returned.push(...(await q(`INSERT INTO ${table} (${columns.join(',')}) VALUES ${tuples.join(',')} ON CONFLICT (id) DO ${action}${guard ? ' RETURNING id' : ''}`, params)));
  }
  return returned;
}

/**
 * The same upserts as SQL text with inlined literals, for SqlExecutor.script(): the whole
 * segment in one round trip instead of BEGIN, 2–4 statements and COMMIT. With `expect`, the
 * statement fails the script unless exactly that many rows were written (the revision guard).
 * Undefined when a value cannot be inlined (the caller falls back to parameters).
 */
function upsertText(dialect: 'sqlite' | 'postgres', table: string, columns: string[], updates: string[], rows: unknown[][], guard = '', expect = false): string[] | undefined {
  const statements: string[] = [];
  const set = updates.map((c) => `${c} = excluded.${c}`).join(', ');
  const action = set ? `UPDATE SET ${set}${guard ? ` WHERE ${guard}` : ''}` : 'NOTHING';
  for (let i = 0; i < rows.length; i += MAX_ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + MAX_ROWS_PER_STATEMENT);
    const tuples: string[] = [];
    for (const row of chunk) {
      const values: string[] = [];
      for (const v of row) {
        const text = literal(dialect, v);
        if (text === undefined) return undefined;
        values.push(text);
      }
      tuples.push(`(${values.join(',')})`);
    }
    const insert = `INSERT INTO ${table} (${columns.join(',')}) VALUES ${tuples.join(',')} ON CONFLICT (id) DO ${action}`;
    if (!expect) statements.push(insert);
    else if (dialect === 'sqlite') statements.push(insert, `INSERT INTO temp.tadfuq_guard SELECT 0 WHERE changes() <> ${chunk.length}`);
    // Not a constant: PostgreSQL cannot fold the division at plan time, it fails at run time.
    else statements.push(`WITH written AS (${insert} RETURNING 1) SELECT 1 / ((SELECT count(*) FROM written) = ${chunk.length})::int`);
  }
  return statements;
}

async function deleteIds(q: Query, table: string, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += MAX_ROWS_PER_STATEMENT) {
    const chunk = ids.slice(i, i + MAX_ROWS_PER_STATEMENT);
    await q(`DELETE FROM ${table} WHERE id IN (${chunk.map((_, j) => `$${j + 1}`).join(',')})`, chunk);
  }
}

// replay_of is written when the row is created and never updated.
const EXECUTION_COLUMNS = ['id', 'tenant_id', 'flow_id', 'flow_version', 'status', 'mode', 'subject', 'state', 'output', 'error', 'started_at', 'finished_at', 'updated_at', 'rev', 'lease_owner', 'lease_until', 'replay_of', 'starts'];
const REV = EXECUTION_COLUMNS.indexOf('rev');
const EXECUTION_UPDATES = ['status', 'state', 'output', 'error', 'finished_at', 'updated_at', 'rev', 'lease_owner', 'lease_until', 'starts'];
const STEP_COLUMNS = ['id', 'tenant_id', 'execution_id', 'seq', 'node_id', 'node_type', 'attempt', 'status', 'port', 'input', 'output', 'error', 'logs', 'started_at', 'finished_at'];
const STEP_UPDATES = ['attempt', 'status', 'port', 'output', 'error', 'logs', 'started_at', 'finished_at'];
const WAIT_COLUMNS = ['id', 'tenant_id', 'execution_id', 'seq', 'kind', 'due_at', 'event', 'correlation'];
const WAIT_UPDATES = ['kind', 'due_at', 'event', 'correlation'];

function stepRow(tenantId: string, s: StepRecord, json: (v: unknown) => string | null): unknown[] {
  return [s.id, tenantId, s.executionId, s.seq, s.node, s.nodeType, s.attempt, s.status, s.port, json(s.input), json(s.output), json(s.error), s.logs.length ? JSON.stringify(s.logs) : null, ms(s.startedAt), ms(s.finishedAt)];
}

function metaOf(row: Row): ExecutionMeta {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    flowId: String(row.flow_id),
    flowVersion: Number(row.flow_version),
    subject: row.subject === null || row.subject === undefined ? null : String(row.subject),
    mode: String(row.mode),
    replayOf: row.replay_of === null || row.replay_of === undefined ? null : String(row.replay_of),
  };
}

function waitOf(row: Row): WaitRow {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    executionId: String(row.execution_id),
    seq: Number(row.seq),
    kind: row.kind === 'event' ? 'event' : 'timer',
    dueAt: row.due_at === null || row.due_at === undefined ? null : Number(row.due_at),
    event: (row.event as string | null) ?? null,
    correlation: (row.correlation as string | null) ?? null,
  };
}

export class SqlRunStore implements RunStore {
  private readonly group: GroupCommit<ExecutionWrite>;

  constructor(private readonly sql: SqlExecutor) {
    this.group = new GroupCommit((writes) => this.writeBatch(writes));
  }

  commit(write: ExecutionWrite): Promise<void> {
    return this.group.commit(write);
  }

  private async writeBatch(writes: ExecutionWrite[]): Promise<void> {
    // Later writes win: collapse by id so one statement never touches a row twice.
    const executions = new Map<string, unknown[]>();
    const steps = new Map<string, unknown[]>();
    const waits = new Map<string, unknown[]>();
    const cleared = new Set<string>();
    const now = Date.now();
    const json = serializer();
    for (const w of writes) {
      const s = w.state;
      if (executions.has(w.meta.id)) throw new Error(`two writes of execution ${w.meta.id} in one batch`);
      executions.set(w.meta.id, [w.meta.id, w.meta.tenantId, w.meta.flowId, w.meta.flowVersion, w.status, w.meta.mode, w.meta.subject, persistedState(s), json(w.output), json(w.error), ms(s.startedAt) ?? now, ms(s.finishedAt), now, w.rev, w.lease?.owner ?? null, w.lease?.until ?? null, w.meta.replayOf ?? null, w.starts]);
      for (const step of w.steps) steps.set(step.id, stepRow(w.meta.tenantId, step, json));
      for (const id of w.clearWaits) {
        waits.delete(id);
        cleared.add(id);
      }
      for (const wait of w.waits) {
        cleared.delete(wait.id);
        waits.set(wait.id, [wait.id, wait.tenantId, wait.executionId, wait.seq, wait.kind, wait.dueAt, wait.event, wait.correlation]);
      }
    }
    const script = this.script([...executions.values()], [...steps.values()], [...cleared], [...waits.values()]);
    if (script !== undefined) {
      try {
        await this.sql.script(script);
        return;
      } catch (err) {
        if (!this.sql.isGuardFailure(err)) throw err;
        // Rolled back: learn which executions moved on (their revision is not the one before ours).
        const ids = [...executions.keys()];
        const rows = await this.sql.query(`SELECT id, rev FROM executions WHERE id IN (${ids.map((_, i) => `$${i + 1}`).join(',')})`, ids);
        const current = new Map(rows.map((r) => [String(r.id), Number(r.rev)]));
        const conflicted = [...executions].filter(([id, row]) => current.has(id) && current.get(id) !== Number(row[REV]) - 1).map(([id]) => id);
        throw new ExecutionConflict(conflicted.length ? conflicted : ids);
      }
    }
    await this.sql.transaction(async (q) => {
      // Optimistic concurrency: a row is updated only from the revision just before ours.
      const written = await upsert(q, 'executions', EXECUTION_COLUMNS, EXECUTION_UPDATES, [...executions.values()], 'executions.rev = excluded.rev - 1');
      if (written.length !== executions.size) {
        const ok = new Set(written.map((r) => String(r.id)));
        throw new ExecutionConflict([...executions.keys()].filter((id) => !ok.has(id)));
      }
      if (steps.size) await upsert(q, 'execution_steps', STEP_COLUMNS, STEP_UPDATES, [...steps.values()]);
      if (cleared.size) await deleteIds(q, 'waits', [...cleared]);
      if (waits.size) await upsert(q, 'waits', WAIT_COLUMNS, WAIT_UPDATES, [...waits.values()]);
    });
  }

  /** The batch as one SQL script (one round trip), or undefined when a value cannot be inlined. */
  private script(executions: unknown[][], steps: unknown[][], cleared: string[], waits: unknown[][]): string | undefined {
    const d = this.sql.dialect;
    const parts = [upsertText(d, 'executions', EXECUTION_COLUMNS, EXECUTION_UPDATES, executions, 'executions.rev = excluded.rev - 1', true)];
    if (steps.length) parts.push(upsertText(d, 'execution_steps', STEP_COLUMNS, STEP_UPDATES, steps));
    if (cleared.length) {
      const ids = cleared.map((id) => literal(d, id));
      parts.push(ids.includes(undefined) ? undefined : [`DELETE FROM waits WHERE id IN (${ids.join(',')})`]);
    }
    if (waits.length) parts.push(upsertText(d, 'waits', WAIT_COLUMNS, WAIT_UPDATES, waits));
    if (parts.includes(undefined)) return undefined;
    return (parts as string[][]).flat().join(';\n');
  }

  async loadExecution(id: string): Promise<StoredExecution | null> {
    if (this.sql.dialect === 'postgres') {
      // One round trip: the succeeded steps come along as a JSON array (the hot path of every
      // queue job; SQLite is in-process, where a second statement costs little).
      const rows = await this.sql.query(
        `SELECT e.*, (SELECT json_agg(json_build_object('seq', s.seq, 'node_id', s.node_id, 'port', s.port, 'output', s.output) ORDER BY s.finished_at, s.seq)
           FROM execution_steps s WHERE s.execution_id = e.id AND s.status = 'succeeded') AS succeeded_steps
         FROM executions e WHERE e.id = $1`,
        [id],
      );
      const row = rows[0];
      if (!row) return null;
      const steps = (parseJsonColumn(row.succeeded_steps) as Row[] | null) ?? [];
      delete row.succeeded_steps;
      return this.hydrate(row, steps);
    }
    const rows = await this.sql.query('SELECT * FROM executions WHERE id = $1', [id]);
    const row = rows[0];
    return row ? this.hydrate(row) : null;
  }

  async listUnfinished(options: { leaseExpiredBefore?: number; updatedBefore?: number; limit?: number } = {}): Promise<StoredExecution[]> {
    const rows = await this.unfinishedRows('*', options);
    return Promise.all(rows.map((row) => this.hydrate(row)));
  }

  async unfinishedHeads(options: { leaseExpiredBefore?: number; updatedBefore?: number; limit?: number; ids?: string[] }): Promise<ExecutionHead[]> {
    if (options.ids?.length === 0) return [];
    const rows = await this.unfinishedRows('id, tenant_id, flow_id, flow_version, subject, mode, replay_of, status, rev, lease_owner, lease_until, updated_at', options);
    return rows.map((row) => ({
      meta: metaOf(row),
      status: String(row.status) as ExecutionStatus,
      rev: Number(row.rev ?? 0),
      lease: row.lease_owner ? { owner: String(row.lease_owner), until: Number(row.lease_until) } : null,
      updatedAt: Number(row.updated_at),
    }));
  }

  private unfinishedRows(columns: string, options: { leaseExpiredBefore?: number; updatedBefore?: number; limit?: number; ids?: string[] }): Promise<Row[]> {
    const params: unknown[] = [];
    let where = "status IN ('queued', 'running')";
    if (options.leaseExpiredBefore !== undefined) {
      params.push(options.leaseExpiredBefore);
      where += ` AND (lease_until IS NULL OR lease_until < $${params.length})`;
    }
    if (options.updatedBefore !== undefined) {
      params.push(options.updatedBefore);
      where += ` AND updated_at < $${params.length}`;
    }
    if (options.ids) {
      where += ` AND id IN (${options.ids.map((id) => (params.push(id), `$${params.length}`)).join(',')})`;
    }
    const limit = options.limit ? ` LIMIT ${Math.floor(options.limit)}` : '';
    return this.sql.query(`SELECT ${columns} FROM executions WHERE ${where} ORDER BY started_at${limit}`, params);
  }

  async waitsByIds(ids: string[]): Promise<WaitRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql.query(`SELECT * FROM waits WHERE id IN (${ids.map((_, i) => `$${i + 1}`).join(',')})`, ids);
    return rows.map(waitOf);
  }

  /** Rebuild `trigger` and `nodes` from the succeeded steps (see persistedState). */
  private async hydrate(row: Row, loaded?: Row[]): Promise<StoredExecution> {
    const state = parseJsonColumn(row.state) as ExecutionState;
    // Completion order, as the stepper saw it: a later finish wins $nodes.<id> (merges run twice).
    const steps = loaded ?? (await this.sql.query("SELECT seq, node_id, port, output FROM execution_steps WHERE execution_id = $1 AND status = 'succeeded' ORDER BY finished_at, seq", [row.id]));
    state.nodes = {};
    state.trigger = null;
    for (const step of steps) {
      const output = parseJsonColumn(step.output);
      if (Number(step.seq) === 0) state.trigger = output;
      state.nodes[String(step.node_id)] = { output, port: String(step.port) };
    }
    // Accepted but the trigger step has not run yet: the payload is its pending input.
    if (state.trigger === null) state.trigger = state.tokens.find((t) => t.seq === 0)?.input ?? null;
    const lease = row.lease_owner ? { owner: String(row.lease_owner), until: Number(row.lease_until) } : null;
    return { meta: metaOf(row), state, rev: Number(row.rev ?? 0), lease, updatedAt: Number(row.updated_at), starts: Number(row.starts ?? 0) };
  }

  async dueWaits(before: number, limit: number): Promise<WaitRow[]> {
    const rows = await this.sql.query(
      'SELECT w.*, e.flow_id, e.flow_version FROM waits w JOIN executions e ON e.id = w.execution_id WHERE w.due_at IS NOT NULL AND w.due_at <= $1 ORDER BY w.due_at LIMIT $2',
      [before, limit],
    );
    return rows.map((r) => ({ ...waitOf(r), flowId: String(r.flow_id), flowVersion: Number(r.flow_version) }));
  }

  async findEventWaits(tenantId: string, event: string, correlation: string): Promise<WaitRow[]> {
    const rows = await this.sql.query("SELECT * FROM waits WHERE tenant_id = $1 AND kind = 'event' AND event = $2 AND correlation = $3", [tenantId, event, correlation]);
    return rows.map(waitOf);
  }

  async postponeWait(waitId: string, dueAt: number): Promise<void> {
    await this.sql.transaction(async (q) => void (await q('UPDATE waits SET due_at = $1 WHERE id = $2', [dueAt, waitId])));
  }

  async renewLeases(owner: string, executionIds: string[], until: number): Promise<void> {
    if (executionIds.length === 0) return;
    const marks = executionIds.map((_, i) => `$${i + 3}`).join(',');
    await this.sql.query(`UPDATE executions SET lease_until = $1 WHERE lease_owner = $2 AND id IN (${marks})`, [until, owner, ...executionIds]);
  }

  async loadFlowVersion(flowId: string, version: number): Promise<Flow | null> {
    const rows = await this.sql.query('SELECT definition FROM flow_versions WHERE flow_id = $1 AND version = $2', [flowId, version]);
    return rows[0] ? (parseJsonColumn(rows[0].definition) as Flow) : null;
  }
}

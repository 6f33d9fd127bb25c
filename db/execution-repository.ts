// Read side of executions for the API and the CLI, scoped to one tenant: another tenant's
// execution id reads as "not found".
import type { StepError } from '../engine/index.js';
import type { Database } from './database.js';
import { parseJsonColumn, type Row } from './sql-executor.js';

export interface StepView {
  id: string;
  seq: number;
  node: string;
  type: string;
  attempt: number;
  status: string;
  port: string | null;
  input: unknown;
  output: unknown;
  error: StepError | null;
  logs: string[];
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface ExecutionView {
  id: string;
  flowId: string;
  flowVersion: number;
  status: string;
  mode: string;
  subject: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  output: unknown;
  error: StepError | null;
  steps: StepView[];
}

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
      status: String(r.status),
      mode: String(r.mode),
      subject: (r.subject as string | null) ?? null,
      startedAt: iso(r.started_at)!,
      finishedAt: iso(r.finished_at),
      durationMs: duration(r.started_at, r.finished_at),
      output: parseJsonColumn(r.output),
      error: parseJsonColumn(r.error) as StepError | null,
      steps: steps.map(stepView),
    };
  }
}

// One tenant's LLM usage (table llm_usage, migration 013): a row per billed provider call,
// written by the LLM service (server/llm/) after each ctx.llm.complete(), read as totals per
// tenant, per model, per task and per execution. Costs are integer micro-USD.
import { v7 as uuidv7 } from 'uuid';
import type { Database } from './database.js';
import type { Row } from './sql-executor.js';

export interface LlmUsageRecord {
  executionId: string | null;
  stepId: string | null;
  provider: string;
  model: string;
  task: string;
  /** The task class the call was routed by (engine/llm/routing.ts); null on rows from before routing. */
  taskClass: string | null;
  promptTokens: number;
  completionTokens: number;
  costMicroUsd: number;
  /** epoch ms */
  at: number;
}

export interface UsageTotals {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  costMicroUsd: number;
}

export interface UsageFilter {
  /** epoch ms, inclusive */
  from?: number;
  /** epoch ms, exclusive */
  to?: number;
  executionId?: string;
}

const int = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const totalsOf = (r: Row | undefined): UsageTotals => ({
  calls: int(r?.calls),
  promptTokens: int(r?.prompt_tokens),
  completionTokens: int(r?.completion_tokens),
  costMicroUsd: int(r?.cost_micro_usd),
});

const SUMS = 'COUNT(*) AS calls, SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens, SUM(cost_micro_usd) AS cost_micro_usd';

export class LlmUsageRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /** Append rows (one transaction). Token counts and costs must be non-negative integers. */
  async record(rows: readonly LlmUsageRecord[]): Promise<void> {
    if (!rows.length) return;
    for (const r of rows) {
      for (const n of [r.promptTokens, r.completionTokens, r.costMicroUsd]) {
        if (!Number.isSafeInteger(n) || n < 0) throw new Error(`llm usage: ${n} is not a non-negative integer`);
      }
    }
    const values: unknown[] = [];
    const tuples = rows.map((r) => {
      const base = values.length;
      values.push(uuidv7(), this.tenantId, r.executionId, r.stepId, r.provider, r.model, r.task, r.taskClass, r.promptTokens, r.completionTokens, r.costMicroUsd, r.at);
      return `(${Array.from({ length: 12 }, (_, i) => `$${base + i + 1}`).join(', ')})`;
    });
    await this.db.sql.transaction(async (q) => {
      await q(
        `INSERT INTO llm_usage (id, tenant_id, execution_id, step_id, provider, model, task, task_class, prompt_tokens, completion_tokens, cost_micro_usd, at) VALUES ${tuples.join(', ')}`,
        values,
      );
    });
  }

  private where(filter: UsageFilter): { sql: string; args: unknown[] } {
    const args: unknown[] = [this.tenantId];
    const parts = ['tenant_id = $1'];
    if (filter.from !== undefined) parts.push(`at >= $${args.push(filter.from)}`);
    if (filter.to !== undefined) parts.push(`at < $${args.push(filter.to)}`);
    if (filter.executionId !== undefined) parts.push(`execution_id = $${args.push(filter.executionId)}`);
    return { sql: parts.join(' AND '), args };
  }

  async totals(filter: UsageFilter = {}): Promise<UsageTotals> {
    const w = this.where(filter);
    const [row] = await this.db.sql.query(`SELECT ${SUMS} FROM llm_usage WHERE ${w.sql}`, w.args);
    return totalsOf(row);
  }

  /** Totals per provider and model, most expensive first. */
  async byModel(filter: UsageFilter = {}): Promise<(UsageTotals & { provider: string; model: string })[]> {
    const w = this.where(filter);
    const rows = await this.db.sql.query(`SELECT provider, model, ${SUMS} FROM llm_usage WHERE ${w.sql} GROUP BY provider, model ORDER BY SUM(cost_micro_usd) DESC, provider, model`, w.args);
    return rows.map((r) => ({ provider: String(r.provider), model: String(r.model), ...totalsOf(r) }));
  }

  /** Totals per task, most expensive first. */
  async byTask(filter: UsageFilter = {}): Promise<(UsageTotals & { task: string })[]> {
    const w = this.where(filter);
    const rows = await this.db.sql.query(`SELECT task, ${SUMS} FROM llm_usage WHERE ${w.sql} GROUP BY task ORDER BY SUM(cost_micro_usd) DESC, task`, w.args);
    return rows.map((r) => ({ task: String(r.task), ...totalsOf(r) }));
  }

  /** Totals per task class, most expensive first (rows from before routing: `unclassified`). */
  async byTaskClass(filter: UsageFilter = {}): Promise<(UsageTotals & { taskClass: string })[]> {
    const w = this.where(filter);
    const rows = await this.db.sql.query(
      `SELECT COALESCE(task_class, 'unclassified') AS task_class, ${SUMS} FROM llm_usage WHERE ${w.sql} GROUP BY COALESCE(task_class, 'unclassified') ORDER BY SUM(cost_micro_usd) DESC, COALESCE(task_class, 'unclassified')`,
      w.args,
    );
    return rows.map((r) => ({ taskClass: String(r.task_class), ...totalsOf(r) }));
  }

  /** Totals per execution, the most recently active first. */
  async byExecution(filter: UsageFilter = {}, limit = 100): Promise<(UsageTotals & { executionId: string; firstAt: number; lastAt: number })[]> {
    const w = this.where(filter);
    const rows = await this.db.sql.query(
      `SELECT execution_id, ${SUMS}, MIN(at) AS first_at, MAX(at) AS last_at FROM llm_usage WHERE ${w.sql} AND execution_id IS NOT NULL GROUP BY execution_id ORDER BY MAX(at) DESC, execution_id LIMIT ${Math.max(1, Math.min(1000, Math.floor(limit)))}`,
      w.args,
    );
    return rows.map((r) => ({ executionId: String(r.execution_id), firstAt: int(r.first_at), lastAt: int(r.last_at), ...totalsOf(r) }));
  }

  /** The rows of one execution, oldest first. */
  async rowsOf(executionId: string): Promise<(LlmUsageRecord & { id: string })[]> {
    const rows = await this.db.sql.query(
      'SELECT id, execution_id, step_id, provider, model, task, task_class, prompt_tokens, completion_tokens, cost_micro_usd, at FROM llm_usage WHERE tenant_id = $1 AND execution_id = $2 ORDER BY at, id',
      [this.tenantId, executionId],
    );
    return rows.map((r) => ({
      id: String(r.id),
      executionId: r.execution_id === null ? null : String(r.execution_id),
      stepId: r.step_id === null ? null : String(r.step_id),
      provider: String(r.provider),
      model: String(r.model),
      task: String(r.task),
      taskClass: r.task_class === null || r.task_class === undefined ? null : String(r.task_class),
      promptTokens: int(r.prompt_tokens),
      completionTokens: int(r.completion_tokens),
      costMicroUsd: int(r.cost_micro_usd),
      at: int(r.at),
    }));
  }
}

/** Name of the alphabetically first credential of `type` of a tenant (metadata only), or null. */
export async function firstCredentialName(db: Database, tenantId: string, type: string): Promise<string | null> {
  const [row] = await db.sql.query('SELECT name FROM credentials WHERE tenant_id = $1 AND type = $2 ORDER BY name LIMIT 1', [tenantId, type]);
  return row ? String(row.name) : null;
}

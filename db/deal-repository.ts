// Deals of one tenant (the sales pipeline), soft-deleted: deleted deals read as not found
// unless asked for. Every query names tenant_id. value_sar arrives as a canonical decimal
// string (server/crm/money.ts) and leaves as one: NUMERIC(14,2) on PostgreSQL (the driver
// answers NUMERIC as a string), TEXT on SQLite (whose DECIMAL would be a float).
import { v7 as uuidv7 } from 'uuid';
import type { Database } from './database.js';
import type { Query, Row } from './sql-executor.js';

export const DEAL_STAGES = ['lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost'] as const;
export type DealStage = (typeof DEAL_STAGES)[number];

export interface Deal {
  id: string;
  contactId: string | null;
  company: string | null;
  title: string;
  stage: DealStage;
  /** Decimal string with two places, e.g. "125000.50"; null when unknown. */
  valueSar: string | null;
  probability: number | null;
  /** YYYY-MM-DD */
  expectedCloseDate: string | null;
  ownerId: string | null;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

export type DealFields = Partial<Pick<Deal, 'contactId' | 'company' | 'title' | 'stage' | 'valueSar' | 'probability' | 'expectedCloseDate' | 'ownerId'>>;

export interface DealFilter {
  stage?: DealStage;
  contactId?: string;
  ownerId?: string;
  limit: number;
  /** The id of the previous page's last deal (newest first). */
  before?: string;
}

const COLUMNS: Record<keyof DealFields, string> = {
  contactId: 'contact_id',
  company: 'company',
  title: 'title',
  stage: 'stage',
  valueSar: 'value_sar',
  probability: 'probability',
  expectedCloseDate: 'expected_close_date',
  ownerId: 'owner_id',
};

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function dealOf(r: Row): Deal {
  return {
    id: String(r.id),
    contactId: str(r.contact_id),
    company: str(r.company),
    title: String(r.title),
    stage: String(r.stage) as DealStage,
    valueSar: str(r.value_sar),
    probability: num(r.probability),
    expectedCloseDate: str(r.expected_close_date),
    ownerId: str(r.owner_id),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    deletedAt: num(r.deleted_at),
  };
}

export class DealRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  private get forUpdate(): string {
    return this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
  }

  async byId(id: string, query?: Query, options: { includeDeleted?: boolean } = {}): Promise<Deal | null> {
    const rows = await (query ?? this.db.sql.query)('SELECT * FROM deals WHERE tenant_id = $1 AND id = $2', [this.tenantId, id]);
    const deal = rows[0] ? dealOf(rows[0]) : null;
    return deal && (options.includeDeleted || deal.deletedAt === null) ? deal : null;
  }

  /** Read and lock a live deal until the transaction ends. */
  async lock(id: string, query: Query): Promise<Deal | null> {
    const rows = await query(`SELECT * FROM deals WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL${this.forUpdate}`, [this.tenantId, id]);
    return rows[0] ? dealOf(rows[0]) : null;
  }

  async create(fields: DealFields & { title: string; stage: DealStage }, query: Query, now = Date.now()): Promise<Deal> {
    const id = uuidv7();
    const keys = Object.keys(COLUMNS) as (keyof DealFields)[];
    const values = keys.map((k) => fields[k] ?? null);
    const marks = values.map((_, i) => `$${i + 4}`);
    await query(`INSERT INTO deals (id, tenant_id, created_at, updated_at, ${keys.map((k) => COLUMNS[k]).join(', ')}) VALUES ($1, $2, $3, $3, ${marks.join(', ')})`, [id, this.tenantId, now, ...values]);
    return (await this.byId(id, query))!;
  }

  /** Change the given fields of a live deal (undefined leaves a field, null clears it); null when there is none. */
  async update(id: string, fields: DealFields, query: Query, now = Date.now()): Promise<Deal | null> {
    const args: unknown[] = [this.tenantId, id, now];
    const set = ['updated_at = $3'];
    for (const [key, column] of Object.entries(COLUMNS) as [keyof DealFields, string][]) {
      const value = fields[key];
      if (value === undefined) continue;
      args.push(value);
      set.push(`${column} = $${args.length}`);
    }
    const rows = await query(`UPDATE deals SET ${set.join(', ')} WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING id`, args);
    return rows.length ? this.byId(id, query) : null;
  }

  async softDelete(id: string, query: Query, now = Date.now()): Promise<Deal | null> {
    const rows = await query('UPDATE deals SET deleted_at = $3, updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING id', [this.tenantId, id, now]);
    return rows.length ? this.byId(id, query, { includeDeleted: true }) : null;
  }

  /** Live deals, newest first. */
  async list(filter: DealFilter): Promise<Deal[]> {
    const args: unknown[] = [this.tenantId];
    const where = ['tenant_id = $1', 'deleted_at IS NULL'];
    const add = (column: string, value: unknown, op = '='): void => {
      args.push(value);
      where.push(`${column} ${op} $${args.length}`);
    };
    if (filter.stage) add('stage', filter.stage);
    if (filter.contactId) add('contact_id', filter.contactId);
    if (filter.ownerId) add('owner_id', filter.ownerId);
    if (filter.before) add('id', filter.before, '<');
    args.push(filter.limit);
    const rows = await this.db.sql.query(`SELECT * FROM deals WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${args.length}`, args);
    return rows.map(dealOf);
  }
}

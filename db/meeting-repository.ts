// Meetings of one tenant (with a contact, optionally about a deal), soft-deleted (cancelled):
// cancelled meetings read as not found unless asked for. Times are epoch ms (UTC).
import { v7 as uuidv7 } from 'uuid';
import type { Database } from './database.js';
import type { Query, Row } from './sql-executor.js';

export interface Meeting {
  id: string;
  contactId: string;
  dealId: string | null;
  title: string | null;
  startsAt: number;
  durationMinutes: number;
  location: string | null;
  notes: string | null;
  ownerId: string | null;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

export type MeetingFields = Partial<Pick<Meeting, 'contactId' | 'dealId' | 'title' | 'startsAt' | 'durationMinutes' | 'location' | 'notes' | 'ownerId'>>;

export interface MeetingFilter {
  contactId?: string;
  dealId?: string;
  ownerId?: string;
  /** Epoch ms: meetings starting at or after. */
  from?: number;
  /** Epoch ms: meetings starting before. */
  to?: number;
  limit: number;
  /** Keyset cursor: the previous page's last (startsAt, id), ascending. */
  after?: { startsAt: number; id: string };
}

const COLUMNS: Record<keyof MeetingFields, string> = {
  contactId: 'contact_id',
  dealId: 'deal_id',
  title: 'title',
  startsAt: 'starts_at',
  durationMinutes: 'duration_minutes',
  location: 'location',
  notes: 'notes',
  ownerId: 'owner_id',
};

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function meetingOf(r: Row): Meeting {
  return {
    id: String(r.id),
    contactId: String(r.contact_id),
    dealId: str(r.deal_id),
    title: str(r.title),
    startsAt: Number(r.starts_at),
    durationMinutes: Number(r.duration_minutes),
    location: str(r.location),
    notes: str(r.notes),
    ownerId: str(r.owner_id),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    deletedAt: num(r.deleted_at),
  };
}

export class MeetingRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  async byId(id: string, query?: Query, options: { includeDeleted?: boolean } = {}): Promise<Meeting | null> {
    const rows = await (query ?? this.db.sql.query)('SELECT * FROM meetings WHERE tenant_id = $1 AND id = $2', [this.tenantId, id]);
    const meeting = rows[0] ? meetingOf(rows[0]) : null;
    return meeting && (options.includeDeleted || meeting.deletedAt === null) ? meeting : null;
  }

  async lock(id: string, query: Query): Promise<Meeting | null> {
    const lock = this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const rows = await query(`SELECT * FROM meetings WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL${lock}`, [this.tenantId, id]);
    return rows[0] ? meetingOf(rows[0]) : null;
  }

  async create(fields: MeetingFields & { contactId: string; startsAt: number; durationMinutes: number }, query: Query, now = Date.now()): Promise<Meeting> {
    const id = uuidv7();
    const keys = Object.keys(COLUMNS) as (keyof MeetingFields)[];
    const values = keys.map((k) => fields[k] ?? null);
    const marks = values.map((_, i) => `$${i + 4}`);
    await query(`INSERT INTO meetings (id, tenant_id, created_at, updated_at, ${keys.map((k) => COLUMNS[k]).join(', ')}) VALUES ($1, $2, $3, $3, ${marks.join(', ')})`, [id, this.tenantId, now, ...values]);
    return (await this.byId(id, query))!;
  }

  async update(id: string, fields: MeetingFields, query: Query, now = Date.now()): Promise<Meeting | null> {
    const args: unknown[] = [this.tenantId, id, now];
    const set = ['updated_at = $3'];
    for (const [key, column] of Object.entries(COLUMNS) as [keyof MeetingFields, string][]) {
      const value = fields[key];
      if (value === undefined) continue;
      args.push(value);
      set.push(`${column} = $${args.length}`);
    }
    const rows = await query(`UPDATE meetings SET ${set.join(', ')} WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING id`, args);
    return rows.length ? this.byId(id, query) : null;
  }

  async softDelete(id: string, query: Query, now = Date.now()): Promise<Meeting | null> {
    const rows = await query('UPDATE meetings SET deleted_at = $3, updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING id', [this.tenantId, id, now]);
    return rows.length ? this.byId(id, query, { includeDeleted: true }) : null;
  }

  /** Live meetings by start time, earliest first. */
  async list(filter: MeetingFilter): Promise<Meeting[]> {
    const args: unknown[] = [this.tenantId];
    const where = ['tenant_id = $1', 'deleted_at IS NULL'];
    const add = (column: string, value: unknown, op = '='): void => {
      args.push(value);
      where.push(`${column} ${op} $${args.length}`);
    };
    if (filter.contactId) add('contact_id', filter.contactId);
    if (filter.dealId) add('deal_id', filter.dealId);
    if (filter.ownerId) add('owner_id', filter.ownerId);
    if (filter.from !== undefined) add('starts_at', filter.from, '>=');
    if (filter.to !== undefined) add('starts_at', filter.to, '<');
    if (filter.after) {
      args.push(filter.after.startsAt, filter.after.id);
      where.push(`(starts_at > $${args.length - 1} OR (starts_at = $${args.length - 1} AND id > $${args.length}))`);
    }
    args.push(filter.limit);
    const rows = await this.db.sql.query(`SELECT * FROM meetings WHERE ${where.join(' AND ')} ORDER BY starts_at, id LIMIT $${args.length}`, args);
    return rows.map(meetingOf);
  }
}

// One tenant's send policy (tenants.settings.sendPolicy) and holidays (send_holidays). Every
// query is scoped by tenant: another tenant's holiday id is simply not found. Writes take the
// caller's transaction so the audit entry commits with the change.
import { v7 as uuidv7 } from 'uuid';
import { resolveSendPolicy, type Holiday, type SendPolicy } from '../engine/index.js';
import type { Database } from './database.js';
import type { Query, Row } from './sql-executor.js';
import type { TenantSettings } from './tenant-repository.js';

/** The settings key the policy is stored under. */
export const SEND_POLICY_SETTING = 'sendPolicy';

export interface HolidayInput {
  /** 'YYYY-MM-DD', first closed local day */
  from: string;
  /** 'YYYY-MM-DD', last closed local day (inclusive) */
  to: string;
  name: { ar: string; en: string };
  approximate: boolean;
}

export interface HolidayRecord extends HolidayInput {
  id: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

const COLUMNS = 'id, starts_on, ends_on, name_ar, name_en, approximate, created_by, created_at, updated_at';

function toRecord(r: Row): HolidayRecord {
  return {
    id: String(r.id),
    from: String(r.starts_on),
    to: String(r.ends_on),
    name: { ar: String(r.name_ar), en: String(r.name_en) },
    approximate: r.approximate === true || Number(r.approximate) === 1,
    createdBy: String(r.created_by),
    createdAt: new Date(Number(r.created_at)).toISOString(),
    updatedAt: new Date(Number(r.updated_at)).toISOString(),
  };
}

/** A record as the window functions take it. */
export const asHoliday = (h: HolidayRecord): Holiday => ({ from: h.from, to: h.to, name: h.name, approximate: h.approximate });

const parseSettings = (v: unknown): Record<string, unknown> => {
  const parsed = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
};

export class SendPolicyRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /** The tenant's policy with defaults filled in (its time zone defaults to the tenant's `timezone` setting). */
  async policy(): Promise<SendPolicy> {
    const rows = await this.db.sql.query('SELECT settings FROM tenants WHERE id = $1', [this.tenantId]);
    return policyFromSettings(parseSettings(rows[0]?.settings));
  }

  /**
   * Store the policy under settings.sendPolicy, keeping every other settings key (read and
   * written inside the caller's transaction; the row is locked on PostgreSQL). Returns the
   * tenant's new settings (for the in-memory settings map), or null if the tenant is gone.
   */
  async savePolicy(policy: SendPolicy, query: Query): Promise<TenantSettings | null> {
    const lock = this.db.sql.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const rows = await query(`SELECT settings FROM tenants WHERE id = $1${lock}`, [this.tenantId]);
    if (!rows[0]) return null;
    const settings = { ...parseSettings(rows[0].settings), [SEND_POLICY_SETTING]: policy };
    await query('UPDATE tenants SET settings = $1, updated_at = $2 WHERE id = $3', [JSON.stringify(settings), Date.now(), this.tenantId]);
    return settings as TenantSettings;
  }

  /** Holidays by first day; `endingFrom` ('YYYY-MM-DD') leaves out those over before it. */
  async holidays(options: { endingFrom?: string } = {}, query: Query = this.db.sql.query): Promise<HolidayRecord[]> {
    const args: unknown[] = [this.tenantId];
    let where = 'tenant_id = $1';
    if (options.endingFrom !== undefined) {
      args.push(options.endingFrom);
      where += ' AND ends_on >= $2';
    }
    const rows = await query(`SELECT ${COLUMNS} FROM send_holidays WHERE ${where} ORDER BY starts_on, id`, args);
    return rows.map(toRecord);
  }

  async holiday(id: string, query: Query = this.db.sql.query): Promise<HolidayRecord | null> {
    const rows = await query(`SELECT ${COLUMNS} FROM send_holidays WHERE tenant_id = $1 AND id = $2`, [this.tenantId, id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async createHoliday(input: HolidayInput, createdBy: string, query: Query): Promise<HolidayRecord> {
    const id = uuidv7();
    const now = Date.now();
    await query(
      'INSERT INTO send_holidays (id, tenant_id, starts_on, ends_on, name_ar, name_en, approximate, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)',
      [id, this.tenantId, input.from, input.to, input.name.ar, input.name.en, input.approximate, createdBy, now],
    );
    return { ...input, name: { ...input.name }, id, createdBy, createdAt: new Date(now).toISOString(), updatedAt: new Date(now).toISOString() };
  }

  /** Replace a holiday's dates, names and approximate flag; null if the tenant has no such holiday. */
  async updateHoliday(id: string, input: HolidayInput, query: Query): Promise<{ before: HolidayRecord; after: HolidayRecord } | null> {
    const before = await this.holiday(id, query);
    if (!before) return null;
    const now = Date.now();
    await query(
      'UPDATE send_holidays SET starts_on = $1, ends_on = $2, name_ar = $3, name_en = $4, approximate = $5, updated_at = $6 WHERE tenant_id = $7 AND id = $8',
      [input.from, input.to, input.name.ar, input.name.en, input.approximate, now, this.tenantId, id],
    );
    return { before, after: { ...before, ...input, name: { ...input.name }, updatedAt: new Date(now).toISOString() } };
  }

  /** The deleted holiday, or null if the tenant has no such holiday. */
  async deleteHoliday(id: string, query: Query): Promise<HolidayRecord | null> {
    const before = await this.holiday(id, query);
    if (!before) return null;
    await query('DELETE FROM send_holidays WHERE tenant_id = $1 AND id = $2', [this.tenantId, id]);
    return before;
  }

  /** What the outbox needs before a send: the policy and the holidays not yet over on `today` ('YYYY-MM-DD'). */
  async load(today?: string): Promise<{ policy: SendPolicy; holidays: Holiday[] }> {
    const [policy, records] = await Promise.all([this.policy(), this.holidays(today === undefined ? {} : { endingFrom: today })]);
    return { policy, holidays: records.map(asHoliday) };
  }
}

/** The policy stored in a tenant's settings, defaults filled in (usable on ctx.tenantSettings entries). */
export function policyFromSettings(settings: TenantSettings | Record<string, unknown> | undefined): SendPolicy {
  const s = (settings ?? {}) as Record<string, unknown>;
  return resolveSendPolicy(s[SEND_POLICY_SETTING], typeof s.timezone === 'string' ? s.timezone : undefined);
}

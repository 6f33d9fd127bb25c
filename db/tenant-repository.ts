import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from './database.js';
import { isUniqueViolation, parseJsonColumn, type Query, type Row } from './sql-executor.js';
import type { LlmRoutingSettings, LlmSettings } from '../engine/index.js';

export interface TenantSettings {
  /** Lets every outbound connection a tenant aims (http.request, CRM webhook, LLM / provider base URLs, SMTP) reach private addresses (off by default; engine/runtime/egress-guard.ts). */
  allowPrivateNetwork?: boolean;
  locale?: 'ar' | 'en';
  timezone?: string;
  /** Days finished executions are kept before pruning (1–3650; unset: 30, see db/execution-pruner.ts). */
  retentionDays?: number;
  /** Wall time of one expression evaluation (ms); unset: 100. Capped by the server (TADFUQ_EXPRESSION_TIMEOUT_MAX_MS). */
  expressionTimeoutMs?: number;
  /** Recipients above which a send is a bulk send needing approval (Class B); unset: the default. */
  bulkSendThreshold?: number;
  /** Extra opt-out words for inbound replies, added to the defaults (server/channels/opt-out-words.ts). */
  optOutWords?: string[];
  /** LLM provider chain (ctx.llm): cross-border policy, credentials, models, timeout (engine/llm/types.ts). */
  llm?: LlmSettings;
  /** LLM routing by task: the routing table per task class and the task → class mapping (engine/llm/routing.ts, PUT /api/v1/llm-routing). */
  llmRouting?: LlmRoutingSettings;
  /** The external CRM beside Tadfuq: crm.update POSTs each change to `externalWebhook.url` (server/crm/). */
  crm?: { externalWebhook?: { url: string; credential?: string } };
}

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  settings: TenantSettings;
}

export class TenantRepository {
  constructor(private readonly db: Database) {}

  /** Create the tenant if its slug is free; return it either way (seeds call this on every start). */
  async ensure(slug: string, name: string, settings: TenantSettings = {}): Promise<Tenant> {
    const existing = await this.bySlug(slug);
    if (existing) return existing;
    const now = Date.now();
    const id = randomUUID();
    try {
      await this.db.sql.query('INSERT INTO tenants (id, slug, name, settings, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)', [id, slug, name, JSON.stringify(settings), now]);
      return { id, slug, name, settings };
    } catch (err) {
      // Several processes starting at once: whoever lost the race reads the winner's row.
      if (isUniqueViolation(err)) {
        const winner = await this.bySlug(slug);
        if (winner) return winner;
      }
      throw err;
    }
  }

  async bySlug(slug: string): Promise<Tenant | null> {
    const rows = await this.db.sql.query('SELECT id, slug, name, settings FROM tenants WHERE slug = $1', [slug]);
    return rows[0] ? toTenant(rows[0]) : null;
  }

  async byId(id: string): Promise<Tenant | null> {
    const rows = await this.db.sql.query('SELECT id, slug, name, settings FROM tenants WHERE id = $1', [id]);
    return rows[0] ? toTenant(rows[0]) : null;
  }

  /**
   * The tenant's row inside the caller's transaction, locked on PostgreSQL (SQLite transactions
   * hold the write lock already): read-modify-write of its settings.
   */
  async lockedForUpdate(id: string, query: Query): Promise<Tenant | null> {
    const lock = this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const rows = await query(`SELECT id, slug, name, settings FROM tenants WHERE id = $1${lock}`, [id]);
    return rows[0] ? toTenant(rows[0]) : null;
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.db.sql.query('SELECT id, slug, name, settings FROM tenants ORDER BY slug ASC');
    return rows.map(toTenant);
  }

  /** Insert a tenant inside the caller's transaction (sign-up creates tenant and owner together). */
  async create(tenant: { slug: string; name: string; settings?: TenantSettings }, query: Query): Promise<Tenant> {
    const now = Date.now();
    const row = { id: uuidv7(), slug: tenant.slug, name: tenant.name, settings: tenant.settings ?? {} };
    await query('INSERT INTO tenants (id, slug, name, settings, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)', [row.id, row.slug, row.name, JSON.stringify(row.settings), now]);
    return row;
  }

  /** Change name and/or settings inside the caller's transaction (the audit entry commits with it). */
  async update(id: string, change: { name?: string; settings?: TenantSettings }, query: Query): Promise<void> {
    const now = Date.now();
    if (change.name !== undefined) await query('UPDATE tenants SET name = $1, updated_at = $2 WHERE id = $3', [change.name, now, id]);
    if (change.settings !== undefined) await query('UPDATE tenants SET settings = $1, updated_at = $2 WHERE id = $3', [JSON.stringify(change.settings), now, id]);
  }

  async updateSettings(id: string, settings: TenantSettings): Promise<void> {
    await this.db.sql.query('UPDATE tenants SET settings = $1, updated_at = $2 WHERE id = $3', [JSON.stringify(settings), Date.now(), id]);
  }
}

function toTenant(row: Row): Tenant {
  return { id: String(row.id), slug: String(row.slug), name: String(row.name), settings: (parseJsonColumn(row.settings) ?? {}) as TenantSettings };
}

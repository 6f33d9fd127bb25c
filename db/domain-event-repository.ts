// Domain events of one tenant (lead.created, deal.stage_changed, …): stored once per
// publisher's event id (UNIQUE(tenant, id)), so a replayed id is recognised and starts nothing
// new. `started` records the executions routing started; routed_at stays null until routing
// finished, and the sweep routes such events again (deterministic execution ids make that safe).
import { AnalyticsRepository, CONVERSION_EVENTS } from './analytics-repository.js';
import { v7 as uuidv7 } from 'uuid';
import type { Flow } from '../engine/index.js';
import type { Database } from './database.js';
import { parseJsonColumn, type Query, type Row } from './sql-executor.js';

/** payment: a verified payment gateway webhook (server/payments/). */
export type EventSource = 'api' | 'crm' | 'flow' | 'payment';

export interface StartedExecution {
  flowId: string;
  nodeId: string;
  executionId: string;
}

export interface DomainEvent {
  id: string;
  type: string;
  subject: string | null;
  data: unknown;
  source: EventSource;
  fingerprint: string;
  receivedAt: number;
  routedAt: number | null;
  started: StartedExecution[] | null;
}

export type NewDomainEvent = Pick<DomainEvent, 'id' | 'type' | 'subject' | 'data' | 'source' | 'fingerprint'>;

function eventOf(r: Row): DomainEvent {
  return {
    id: String(r.id),
    type: String(r.type),
    subject: r.subject === null || r.subject === undefined ? null : String(r.subject),
    data: parseJsonColumn(r.data),
    source: String(r.source) as EventSource,
    fingerprint: String(r.fingerprint),
    receivedAt: Number(r.received_at),
    routedAt: r.routed_at === null || r.routed_at === undefined ? null : Number(r.routed_at),
    started: parseJsonColumn(r.started) as StartedExecution[] | null,
  };
}

export class DomainEventRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /**
   * Store the event unless its id is known; `query` joins the caller's transaction (a CRM
   * change and its event commit together). Answers the stored event and whether it is new.
   */
  async insert(event: NewDomainEvent, query?: Query, now = Date.now()): Promise<{ event: DomainEvent; created: boolean }> {
    const run = async (q: Query): Promise<{ event: DomainEvent; created: boolean }> => {
      const inserted = await q(
        `INSERT INTO domain_events (pk, tenant_id, id, type, subject, data, source, fingerprint, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant_id, id) DO NOTHING RETURNING pk`,
        [uuidv7(), this.tenantId, event.id, event.type, event.subject, event.data === undefined ? null : JSON.stringify(event.data), event.source, event.fingerprint, now],
      );
      const stored = await this.byId(event.id, q);
      if (!stored) throw new Error(`domain event ${event.id} vanished`);
      // A deal created or moved, a meeting booked: a conversion of the contact's last message.
      if (inserted.length > 0 && event.subject && CONVERSION_EVENTS.has(event.type)) {
        await new AnalyticsRepository(this.db, this.tenantId).touch(q, event.subject, 'converted', now);
      }
      return { event: stored, created: inserted.length > 0 };
    };
    return query ? run(query) : this.db.sql.transaction(run);
  }

  async byId(id: string, query?: Query): Promise<DomainEvent | null> {
    const rows = await (query ?? this.db.sql.query)('SELECT * FROM domain_events WHERE tenant_id = $1 AND id = $2', [this.tenantId, id]);
    return rows[0] ? eventOf(rows[0]) : null;
  }

  async markRouted(id: string, started: StartedExecution[], now = Date.now()): Promise<void> {
    await this.db.sql.transaction(async (q) => {
      await q('UPDATE domain_events SET routed_at = $3, started = $4 WHERE tenant_id = $1 AND id = $2', [this.tenantId, id, now, JSON.stringify(started)]);
    });
  }

  /** Newest first; `before` is the previous page's last received_at. */
  async list(options: { type?: string; subject?: string; limit: number; before?: number }): Promise<DomainEvent[]> {
    const args: unknown[] = [this.tenantId];
    const where = ['tenant_id = $1'];
    if (options.type) {
      args.push(options.type);
      where.push(`type = $${args.length}`);
    }
    if (options.subject) {
      args.push(options.subject);
      where.push(`subject = $${args.length}`);
    }
    if (options.before !== undefined) {
      args.push(options.before);
      where.push(`received_at < $${args.length}`);
    }
    args.push(options.limit);
    const rows = await this.db.sql.query(`SELECT * FROM domain_events WHERE ${where.join(' AND ')} ORDER BY received_at DESC, pk DESC LIMIT $${args.length}`, args);
    return rows.map(eventOf);
  }

  /** Executions started by the tenant's events (a test and debugging aid). */
  async countStarted(id: string): Promise<number> {
    return (await this.byId(id))?.started?.length ?? 0;
  }
}

/** Events of any tenant stored before `before` whose routing never finished. */
export async function unroutedEvents(db: Database, before: number, limit = 100): Promise<(DomainEvent & { tenantId: string })[]> {
  const rows = await db.sql.query('SELECT * FROM domain_events WHERE routed_at IS NULL AND received_at < $1 ORDER BY received_at LIMIT $2', [before, limit]);
  return rows.map((r) => ({ ...eventOf(r), tenantId: String(r.tenant_id) }));
}

export interface EventTriggerFlow {
  flowId: string;
  version: number;
  flow: Flow;
}

/** The tenant's published flows holding a trigger.event node (paused and deleted flows have none). */
export async function publishedEventFlows(db: Database, tenantId: string): Promise<EventTriggerFlow[]> {
  const rows = await db.sql.query(
    `SELECT f.id, v.version, v.definition
       FROM flows f JOIN flow_versions v ON v.flow_id = f.id AND v.version = f.published_version
      WHERE f.tenant_id = $1 AND f.status = 'published' AND f.deleted_at IS NULL AND v.definition LIKE $2`,
    [tenantId, '%"type":"trigger.event"%'],
  );
  return rows
    .map((r) => ({ flowId: String(r.id), version: Number(r.version), flow: JSON.parse(String(r.definition)) as Flow }))
    .filter((r) => r.flow.nodes.some((n) => n.type === 'trigger.event'));
}

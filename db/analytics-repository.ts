// Step analytics storage (migration 016; design in server/analytics/README.md). Counters are
// written when the underlying event happens, inside the transaction that records the event, so
// a rolled-back send or reply counts nothing and a committed one counts exactly once:
//
//   analytics_sends  one row per outbox message of a versioned flow step; each event sets its
//                    column from NULL, and only a row that changed bumps a counter (idempotent)
//   analytics_daily  the rollup read by GET /flows/:id/analytics (+ n per key and Riyadh day)
//
// Reading never scans messages or executions: it sums the rollup over the days asked for.
import type { Database } from './database.js';
import type { Query, Row } from './sql-executor.js';

/** Asia/Riyadh is UTC+3 all year (no daylight saving). */
const RIYADH_OFFSET_MS = 3 * 60 * 60 * 1000;

/** The Asia/Riyadh calendar day (YYYY-MM-DD) of an instant. */
export function riyadhDay(at: number): string {
  return new Date(at + RIYADH_OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * Reply-time histogram: bucket b holds times t (seconds) with floor(4·log2(max(t, 1))) = b, i.e.
 * quarter-octave buckets (each 19% wider than the last): a median read from the histogram is
 * within ±9% of the true one, whatever the count, from ~90 counters a day at most.
 */
export const REPLY_BUCKETS_PER_OCTAVE = 4;
export function replyBucket(ms: number): number {
  const seconds = Math.max(1, ms / 1000);
  return Math.floor(REPLY_BUCKETS_PER_OCTAVE * Math.log2(seconds));
}
/** The representative time (ms) of a bucket: its geometric middle. */
export function bucketMiddleMs(bucket: number): number {
  return 1000 * 2 ** ((bucket + 0.5) / REPLY_BUCKETS_PER_OCTAVE);
}

/** Counters per send node (and `enrolled` per flow). */
// `sent_via` (dim: the provider) counts sends per provider; `cost_halalas` (dim: the provider)
// adds up the outbox's cost estimates (integer halalas) of the messages sent.
export const STEP_METRICS = ['enrolled', 'reached', 'sent', 'blocked', 'failed', 'delivered', 'read', 'replied', 'opted_out', 'escalated', 'converted', 'reply_time', 'sent_via', 'cost_halalas'] as const;
export type StepMetric = (typeof STEP_METRICS)[number];

/** Contact-level events attributed to the contact's last sent message (last touch). */
export type TouchEvent = 'replied' | 'opted_out' | 'escalated' | 'converted';
const TOUCH_COLUMN: Record<TouchEvent, string> = { replied: 'replied_at', opted_out: 'opted_out_at', escalated: 'escalated_at', converted: 'converted_at' };

/** Domain events that count as a conversion (CRM service or POST /events from an outside CRM). */
export const CONVERSION_EVENTS: ReadonlySet<string> = new Set(['deal.created', 'deal.stage_changed', 'meeting.scheduled', 'meeting.booked']);

/** How far back a reply, opt-out, escalation or conversion is attributed to a message. */
export const ATTRIBUTION_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;
/** How far a provider's event time may lag our send time (whole-second times, clock skew). */
const PROVIDER_CLOCK_SLACK_MS = 2_000;

export interface SendKey {
  flowId: string;
  flowVersion: number;
  nodeId: string;
  variant: string;
  channel: string;
}

export interface RollupRow extends SendKey {
  day: string;
  metric: string;
  dim: string;
  n: number;
}

export interface RollupFilter {
  from: string;
  to: string;
  version?: number | undefined;
  variant?: string | undefined;
  nodeId?: string | undefined;
}

const keyOf = (r: Row): SendKey => ({
  flowId: String(r.flow_id),
  flowVersion: Number(r.flow_version),
  nodeId: String(r.node_id),
  variant: String(r.variant),
  channel: String(r.channel),
});

export class AnalyticsRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /** Add `n` to one counter (inside the caller's transaction). */
  async bump(q: Query, key: SendKey, at: number, metric: StepMetric, dim = '', n = 1): Promise<void> {
    await q(
      `INSERT INTO analytics_daily (tenant_id, flow_id, flow_version, node_id, variant, channel, day, metric, dim, n)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (tenant_id, flow_id, flow_version, node_id, variant, channel, day, metric, dim) DO UPDATE SET n = analytics_daily.n + excluded.n`,
      [this.tenantId, key.flowId, key.flowVersion, key.nodeId, key.variant, key.channel, riyadhDay(at), metric, dim.slice(0, 64), n],
    );
  }

  /** A contact enrolled in a published version (flow-level counter). */
  async enrolled(q: Query, flowId: string, flowVersion: number, at: number, n = 1): Promise<void> {
    await this.bump(q, { flowId, flowVersion, nodeId: '', variant: '', channel: '' }, at, 'enrolled', '', n);
  }

  /** The analytics row of a message, if it is one of a versioned flow step. */
  async sendOf(messageId: string, q?: Query): Promise<(SendKey & { contactId: string; sentAt: number | null }) | null> {
    const rows = await (q ?? this.db.sql.query)('SELECT * FROM analytics_sends WHERE tenant_id = $1 AND message_id = $2', [this.tenantId, messageId]);
    const r = rows[0];
    return r ? { ...keyOf(r), contactId: String(r.contact_id), sentAt: r.sent_at === null || r.sent_at === undefined ? null : Number(r.sent_at) } : null;
  }

  /**
   * The outbox decided a step's message (first time: the contact reached the step). Blocked and
   * failed decisions count once per message (a re-decided deferral that ends blocked counts once).
   */
  async decided(
    q: Query,
    m: SendKey & { messageId: string; contactId: string; executionId: string | null },
    outcome: { status: string; reason?: string | null },
    at: number,
    isNew: boolean,
  ): Promise<void> {
    if (isNew) {
      const rows = await q(
        `INSERT INTO analytics_sends (tenant_id, message_id, flow_id, flow_version, node_id, variant, channel, contact_id, execution_id, reached_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (tenant_id, message_id) DO NOTHING RETURNING message_id`,
        [this.tenantId, m.messageId, m.flowId, m.flowVersion, m.nodeId, m.variant, m.channel, m.contactId, m.executionId, at],
      );
      if (rows.length === 1) await this.bump(q, m, at, 'reached');
    }
    if (outcome.status === 'blocked') await this.mark(q, m.messageId, 'blocked_at', at, 'blocked', outcome.reason ?? 'blocked');
    if (outcome.status === 'failed') await this.mark(q, m.messageId, 'failed_at', at, 'failed', outcome.reason ?? 'send_failed');
  }

  /** The provider took the message (or a person resolved it as sent). */
  async sent(q: Query, messageId: string, at: number, via?: { provider: string | null; costHalalas: number | null }): Promise<void> {
    const key = await this.mark(q, messageId, 'sent_at', at, 'sent');
    if (!key || !via?.provider) return;
    await this.bump(q, key, at, 'sent_via', via.provider);
    if (via.costHalalas !== null && via.costHalalas > 0) await this.bump(q, key, at, 'cost_halalas', via.provider, via.costHalalas);
  }

  /** A definite refusal or a delivery failure (counted once per message, by code). */
  async failed(q: Query, messageId: string, at: number, code: string): Promise<void> {
    await this.mark(q, messageId, 'failed_at', at, 'failed', code);
  }

  /** Delivery news: read implies delivered (and sent, when the callback came first). */
  async delivery(q: Query, messageId: string, status: 'sent' | 'delivered' | 'read', at: number): Promise<void> {
    await this.mark(q, messageId, 'sent_at', at, 'sent');
    if (status === 'delivered' || status === 'read') await this.mark(q, messageId, 'delivered_at', at, 'delivered');
    if (status === 'read') await this.mark(q, messageId, 'read_at', at, 'read');
  }

  /**
   * A reply, opt-out, escalation or CRM conversion of a contact, attributed to the last message
   * sent to the contact before `at` (within 30 days; on `channel` and in `flowId` when given)
   * that has not had this event yet. Replies also add their time to the reply-time histogram
   * and carry an optional class (reply intelligence) as the dim. Returns the message id.
   */
  async touch(q: Query, contactId: string, event: TouchEvent, at: number, opts: { channel?: string | undefined; flowId?: string | null | undefined; replyClass?: string | null | undefined } = {}): Promise<string | null> {
    const column = TOUCH_COLUMN[event];
    // Providers time replies in whole seconds (UltraMsg's `time`), and their clocks are not
    // ours: a reply in the second of its message can look older than the send. A little slack.
    const args: unknown[] = [this.tenantId, contactId, at + PROVIDER_CLOCK_SLACK_MS, at - ATTRIBUTION_WINDOW_MS];
    let extra = '';
    if (opts.channel) {
      args.push(opts.channel);
      extra += ` AND channel = $${args.length}`;
    }
    if (opts.flowId) {
      args.push(opts.flowId);
      extra += ` AND flow_id = $${args.length}`;
    }
    const rows = await q(
      `SELECT * FROM analytics_sends WHERE tenant_id = $1 AND contact_id = $2 AND sent_at IS NOT NULL AND sent_at <= $3 AND sent_at >= $4${extra}
       ORDER BY sent_at DESC LIMIT 1`,
      args,
    );
    const last = rows[0];
    if (!last || last[column] !== null) return null;
    const messageId = String(last.message_id);
    const changed = await q(
      `UPDATE analytics_sends SET ${column} = $3${event === 'replied' ? ', reply_class = $4' : ''} WHERE tenant_id = $1 AND message_id = $2 AND ${column} IS NULL RETURNING message_id`,
      event === 'replied' ? [this.tenantId, messageId, at, opts.replyClass ?? null] : [this.tenantId, messageId, at],
    );
    if (changed.length !== 1) return null;
    const key = keyOf(last);
    await this.bump(q, key, at, event, event === 'replied' ? (opts.replyClass ?? '') : '');
    if (event === 'replied') await this.bump(q, key, at, 'reply_time', String(replyBucket(Math.max(0, at - Number(last.sent_at)))));
    return messageId;
  }

  /** Set a message's event column from NULL and, when it changed, bump the metric. */
  private async mark(q: Query, messageId: string, column: string, at: number, metric: StepMetric, dim = ''): Promise<SendKey | null> {
    const rows = await q(`UPDATE analytics_sends SET ${column} = $3 WHERE tenant_id = $1 AND message_id = $2 AND ${column} IS NULL RETURNING *`, [this.tenantId, messageId, at]);
    if (!rows[0]) return null;
    const key = keyOf(rows[0]);
    await this.bump(q, key, at, metric, dim);
    return key;
  }

  /** The WHERE clause (and its arguments) of a flow's counters in a date range, by version, variant and (optionally) node. */
  private rollupWhere(flowId: string, f: RollupFilter, byNode: boolean): { args: unknown[]; where: string } {
    const args: unknown[] = [this.tenantId, flowId, f.from, f.to];
    let where = 'WHERE tenant_id = $1 AND flow_id = $2 AND day >= $3 AND day <= $4';
    if (f.version !== undefined) {
      args.push(f.version);
      where += ` AND flow_version = $${args.length}`;
    }
    if (f.variant !== undefined) {
      args.push(f.variant);
      // Flow-level counters (enrolled) have no variant: they stay in a variant's view.
      where += ` AND (variant = $${args.length} OR node_id = '')`;
    }
    if (byNode && f.nodeId !== undefined) {
      args.push(f.nodeId);
      where += ` AND node_id = $${args.length}`;
    }
    return { args, where };
  }

  /**
   * The rollup of a flow between two Riyadh days (inclusive): per key × day × metric × dim,
   * summed in the database. Reads only the flow's counters (index analytics_daily_key / _day).
   */
  async rollup(flowId: string, f: RollupFilter): Promise<RollupRow[]> {
    const { args, where } = this.rollupWhere(flowId, f, true);
    const rows = await this.db.sql.query(
      `SELECT flow_id, flow_version, node_id, variant, channel, day, metric, dim, SUM(n) AS n FROM analytics_daily
       ${where}
       GROUP BY flow_id, flow_version, node_id, variant, channel, day, metric, dim`,
      args,
    );
    return rows.map((r) => ({ ...keyOf(r), day: String(r.day), metric: String(r.metric), dim: String(r.dim), n: Number(r.n) }));
  }

  /**
   * The report's two small reads: totals per version × node × variant × channel × metric × dim
   * over the range (day = ''), and per day × node × metric (no dims, no histogram).
   */
  async summary(flowId: string, f: RollupFilter): Promise<{ totals: RollupRow[]; daily: Array<{ day: string; nodeId: string; metric: string; n: number }> }> {
    const { args, where } = this.rollupWhere(flowId, f, false);
    const [totals, daily] = await Promise.all([
      // SQLite would seek the day range and sort; the totals index aggregates in order (migration 022).
      this.db.sql.query(`SELECT flow_version, node_id, variant, channel, metric, dim, SUM(n) AS n FROM analytics_daily${this.db.sql.dialect === 'sqlite' ? ' INDEXED BY analytics_daily_totals' : ''} ${where} GROUP BY flow_version, node_id, variant, channel, metric, dim`, args),
      this.db.sql.query(`SELECT day, node_id, metric, SUM(n) AS n FROM analytics_daily ${where} AND metric <> 'reply_time' GROUP BY day, node_id, metric`, args),
    ]);
    return {
      totals: totals.map((r) => ({ flowId, flowVersion: Number(r.flow_version), nodeId: String(r.node_id), variant: String(r.variant), channel: String(r.channel), day: '', metric: String(r.metric), dim: String(r.dim), n: Number(r.n) })),
      daily: daily.map((r) => ({ day: String(r.day), nodeId: String(r.node_id), metric: String(r.metric), n: Number(r.n) })),
    };
  }

  /** Sent and replied per variant of one node and version, all days (the winner rule). */
  async variantTotals(flowId: string, flowVersion: number, nodeId: string): Promise<Map<string, { sent: number; replied: number }>> {
    const rows = await this.db.sql.query(
      `SELECT variant, metric, SUM(n) AS n FROM analytics_daily WHERE tenant_id = $1 AND flow_id = $2 AND flow_version = $3 AND node_id = $4 AND metric IN ('sent', 'replied')
       GROUP BY variant, metric`,
      [this.tenantId, flowId, flowVersion, nodeId],
    );
    const out = new Map<string, { sent: number; replied: number }>();
    for (const r of rows) {
      const v = out.get(String(r.variant)) ?? { sent: 0, replied: 0 };
      if (r.metric === 'sent') v.sent = Number(r.n);
      else v.replied = Number(r.n);
      out.set(String(r.variant), v);
    }
    return out;
  }
}

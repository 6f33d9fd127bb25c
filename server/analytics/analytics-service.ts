// The step analytics report of a flow (GET /api/v1/flows/:id/analytics, the CSV export): sums
// the daily rollup (db/analytics-repository.ts) over the days asked for and shapes it per send
// node, per variant and per day, with rates, median time to reply and the A/B comparison.
// Cost: one indexed query over the flow's counters — never a scan of messages or executions.
import type { Database } from '../../db/database.js';
import { AnalyticsRepository, riyadhDay, type RollupRow } from '../../db/analytics-repository.js';
import type { Flow } from '../../engine/index.js';
import { ApiError } from '../api-error.js';
import { compareVariants, DEFAULT_CONFIDENCE, DEFAULT_MIN_SAMPLE, histogramMedianMs, rate } from './stats.js';
import { providerLabel } from '../channels/provider-labels.js';
import type { AnalyticsReport, Breakdown, CountKey, Counts, StepReport } from '../schemas/analytics.js';

export const SEND_NODE_TYPES: ReadonlySet<string> = new Set(['send.whatsapp', 'send.sms', 'send.email']);

const METRIC_KEY: Record<string, CountKey> = {
  reached: 'reached',
  sent: 'sent',
  blocked: 'blocked',
  failed: 'failed',
  delivered: 'delivered',
  read: 'read',
  replied: 'replied',
  opted_out: 'optedOut',
  escalated: 'escalated',
  converted: 'converted',
};

export interface AnalyticsQuery {
  from?: string | undefined;
  to?: string | undefined;
  version?: number | undefined;
  variant?: string | undefined;
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const MAX_RANGE_DAYS = 366;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

const zero = (): Counts => ({ reached: 0, sent: 0, blocked: 0, failed: 0, delivered: 0, read: 0, replied: 0, optedOut: 0, escalated: 0, converted: 0 });

function validDay(s: string): boolean {
  if (!DAY_RE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** The day range asked for: default the last 30 Riyadh days; 400 with a JSON pointer otherwise. */
export function dayRange(q: AnalyticsQuery, now = Date.now()): { from: string; to: string } {
  const details = [];
  if (q.from !== undefined && !validDay(q.from)) details.push({ path: '/query/from', code: 'format', message: 'a calendar day YYYY-MM-DD (Asia/Riyadh)' });
  if (q.to !== undefined && !validDay(q.to)) details.push({ path: '/query/to', code: 'format', message: 'a calendar day YYYY-MM-DD (Asia/Riyadh)' });
  if (details.length > 0) throw new ApiError(400, 'invalid_request', 'invalid date range', details);
  const to = q.to ?? riyadhDay(now);
  const from = q.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS).toISOString().slice(0, 10);
  if (from > to) throw new ApiError(400, 'invalid_request', 'invalid date range', [{ path: '/query/from', code: 'range', message: '`from` must not be after `to`' }]);
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
  if (days > MAX_RANGE_DAYS) throw new ApiError(400, 'invalid_request', 'invalid date range', [{ path: '/query/from', code: 'range', message: `at most ${MAX_RANGE_DAYS} days` }]);
  return { from, to };
}

class Acc {
  counts = zero();
  blockedBy: Record<string, number> = {};
  failedBy: Record<string, number> = {};
  replyClasses: Record<string, number> = {};
  histogram = new Map<number, number>();
  sentByProvider: Record<string, number> = {};
  costHalalas = 0;
  add(r: RollupRow): void {
    if (r.metric === 'sent_via') {
      this.sentByProvider[r.dim] = (this.sentByProvider[r.dim] ?? 0) + r.n;
      return;
    }
    if (r.metric === 'cost_halalas') {
      this.costHalalas += r.n;
      return;
    }
    if (r.metric === 'reply_time') {
      const b = Number(r.dim);
      this.histogram.set(b, (this.histogram.get(b) ?? 0) + r.n);
      return;
    }
    const key = METRIC_KEY[r.metric];
    if (!key) return;
    this.counts[key] += r.n;
    if (r.metric === 'blocked') this.blockedBy[r.dim] = (this.blockedBy[r.dim] ?? 0) + r.n;
    if (r.metric === 'failed') this.failedBy[r.dim] = (this.failedBy[r.dim] ?? 0) + r.n;
    if (r.metric === 'replied') this.replyClasses[r.dim] = (this.replyClasses[r.dim] ?? 0) + r.n;
  }
  breakdown(): Breakdown {
    const c = this.counts;
    return {
      counts: { ...c },
      rates: {
        sent: rate(c.sent, c.reached),
        blocked: rate(c.blocked, c.reached),
        delivered: rate(c.delivered, c.sent),
        read: rate(c.read, c.sent),
        replied: rate(c.replied, c.sent),
        optedOut: rate(c.optedOut, c.sent),
        escalated: rate(c.escalated, c.sent),
        converted: rate(c.converted, c.sent),
      },
      blockedBy: this.blockedBy,
      failedBy: this.failedBy,
      replyClasses: this.replyClasses,
      medianReplyMs: histogramMedianMs(this.histogram),
      sentByProvider: this.sentByProvider,
      costHalalas: this.costHalalas,
    };
  }
}

interface AbParams {
  minSample?: number;
  confidence?: number;
}

export class AnalyticsService {
  constructor(private readonly db: Database) {}

  /** The rows of the rollup the report is made of (also the CSV's source). */
  async rows(tenantId: string, flowId: string, q: AnalyticsQuery, now = Date.now()): Promise<{ from: string; to: string; rows: RollupRow[] }> {
    const { from, to } = dayRange(q, now);
    const rows = await new AnalyticsRepository(this.db, tenantId).rollup(flowId, { from, to, version: q.version, variant: q.variant });
    return { from, to, rows };
  }

  /** `definition`: the version's flow (node order, types, labels, A/B thresholds). */
  async report(tenantId: string, flowId: string, q: AnalyticsQuery, definition: Flow | null, now = Date.now()): Promise<AnalyticsReport> {
    const { from, to } = dayRange(q, now);
    const { totals, daily } = await new AnalyticsRepository(this.db, tenantId).summary(flowId, { from, to, version: q.version, variant: q.variant });
    const steps = new Map<string, { all: Acc; variants: Map<string, Acc>; days: Map<string, Counts>; channels: Set<string> }>();
    const days = new Map<string, { enrolled: number; counts: Counts }>();
    const versions = new Set<number>();
    let enrolled = 0;
    const dayOf = (day: string) => {
      let d = days.get(day);
      if (!d) days.set(day, (d = { enrolled: 0, counts: zero() }));
      return d;
    };
    const stepOf = (nodeId: string) => {
      let s = steps.get(nodeId);
      if (!s) steps.set(nodeId, (s = { all: new Acc(), variants: new Map(), days: new Map(), channels: new Set() }));
      return s;
    };
    for (const node of definition?.nodes ?? []) if (SEND_NODE_TYPES.has(node.type)) stepOf(node.id);
    for (const r of totals) {
      versions.add(r.flowVersion);
      if (r.nodeId === '') {
        if (r.metric === 'enrolled') enrolled += r.n;
        continue;
      }
      const s = stepOf(r.nodeId);
      if (r.channel) s.channels.add(r.channel);
      s.all.add(r);
      if (r.variant !== '') {
        let v = s.variants.get(r.variant);
        if (!v) s.variants.set(r.variant, (v = new Acc()));
        v.add(r);
      }
    }
    for (const r of daily) {
      if (r.nodeId === '') {
        if (r.metric === 'enrolled') dayOf(r.day).enrolled += r.n;
        continue;
      }
      const key = METRIC_KEY[r.metric];
      if (!key) continue;
      dayOf(r.day).counts[key] += r.n;
      const s = stepOf(r.nodeId);
      let sd = s.days.get(r.day);
      if (!sd) s.days.set(r.day, (sd = zero()));
      sd[key] += r.n;
    }
    const nodes = new Map((definition?.nodes ?? []).map((n) => [n.id, n] as const));
    const stepReports: StepReport[] = [...steps.entries()].map(([nodeId, s]) => {
      const node = nodes.get(nodeId);
      const variants = [...s.variants.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([variant, acc]) => ({ variant, ...acc.breakdown() }));
      const ab = ((node?.params as { abTest?: AbParams } | undefined)?.abTest ?? {}) as AbParams;
      const comparison =
        variants.length >= 2
          ? compareVariants(
              variants.map((v) => ({ variant: v.variant, sent: v.counts.sent, replied: v.counts.replied })),
              ab.minSample ?? DEFAULT_MIN_SAMPLE,
              ab.confidence ?? DEFAULT_CONFIDENCE,
            )
          : null;
      return {
        nodeId,
        type: node?.type ?? null,
        label: node?.label ?? null,
        channels: [...s.channels].sort(),
        ...s.all.breakdown(),
        variants,
        comparison,
        days: [...s.days.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, counts]) => ({ day, counts })),
      };
    });
    return {
      flowId,
      timezone: 'Asia/Riyadh',
      from,
      to,
      version: q.version ?? null,
      variant: q.variant ?? null,
      versions: [...versions].sort((a, b) => a - b),
      enrolled,
      steps: stepReports,
      providerLabels: Object.fromEntries(
        [...new Set(stepReports.flatMap((st) => Object.keys(st.sentByProvider)))].flatMap((name) => {
          const label = providerLabel(name);
          return label ? [[name, label] as const] : [];
        }),
      ),
      days: [...days.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, d]) => ({ day, ...d })),
    };
  }
}

const CSV_COLUMNS = ['day', 'version', 'node_id', 'variant', 'channel', 'enrolled', 'reached', 'sent', 'blocked', 'failed', 'delivered', 'read', 'replied', 'opted_out', 'escalated', 'converted'] as const;

/** One CSV line per day × version × node × variant × channel (counts; rates are derived). */
export function analyticsCsv(rows: readonly RollupRow[]): string {
  const lines = new Map<string, Record<string, string | number>>();
  for (const r of rows) {
    if (r.metric === 'reply_time') continue;
    const key = [r.day, r.flowVersion, r.nodeId, r.variant, r.channel].join('\u0000');
    let line = lines.get(key);
    if (!line) {
      line = { day: r.day, version: r.flowVersion, node_id: r.nodeId, variant: r.variant, channel: r.channel };
      for (const c of CSV_COLUMNS.slice(5)) line[c] = 0;
      lines.set(key, line);
    }
    if (r.metric in line) line[r.metric] = Number(line[r.metric]) + r.n;
  }
  const cell = (v: string | number): string => {
    const s = String(v);
    // Quote when needed; a leading =,+,-,@ is neutralised (CSV injection in spreadsheets).
    const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const sorted = [...lines.values()].sort((a, b) => (String(a.day) + a.node_id + a.variant < String(b.day) + b.node_id + b.variant ? -1 : 1));
  return [CSV_COLUMNS.join(','), ...sorted.map((l) => CSV_COLUMNS.map((c) => cell(l[c] ?? '')).join(','))].join('\r\n') + '\r\n';
}

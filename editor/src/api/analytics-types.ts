// Step analytics shapes as the API answers them (server/routes/analytics.ts) and the pure
// helpers the page and the canvas overlay share. No imports: also compiled by the root
// tsconfig (test/editor/analytics-overlay.test.ts).
export const COUNT_KEYS = ['reached', 'sent', 'blocked', 'failed', 'delivered', 'read', 'replied', 'optedOut', 'escalated', 'converted'] as const;
export type CountKey = (typeof COUNT_KEYS)[number];
export type Counts = Record<CountKey, number>;
export type Rates = Record<Exclude<CountKey, 'reached' | 'failed'>, number | null>;

/** The funnel of a send step, in order: each stage's rate is per reached (sent) or per sent (the rest). */
export const FUNNEL = ['reached', 'sent', 'delivered', 'read', 'replied'] as const;
export type FunnelKey = (typeof FUNNEL)[number];

export interface Breakdown {
  counts: Counts;
  rates: Rates;
  blockedBy: Record<string, number>;
  failedBy: Record<string, number>;
  replyClasses: Record<string, number>;
  medianReplyMs: number | null;
}

export interface VariantComparison {
  metric: 'reply_rate';
  method: 'two_proportion_z_test';
  leader: string | null;
  against: Array<{ variant: string; z: number; pValue: number; confidence: number }>;
  confidence: number | null;
  minSample: number;
  requiredConfidence: number;
  significant: boolean;
  winner: string | null;
}

export interface StepReport extends Breakdown {
  nodeId: string;
  type: string | null;
  label: string | null;
  channels: string[];
  variants: Array<Breakdown & { variant: string }>;
  comparison: VariantComparison | null;
  days: Array<{ day: string; counts: Counts }>;
}

export interface AnalyticsReport {
  flowId: string;
  timezone: 'Asia/Riyadh';
  from: string;
  to: string;
  version: number | null;
  variant: string | null;
  versions: number[];
  enrolled: number;
  steps: StepReport[];
  days: Array<{ day: string; enrolled: number; counts: Counts }>;
}

export interface AnalyticsFilter {
  from?: string | undefined;
  to?: string | undefined;
  version?: number | undefined;
  variant?: string | undefined;
}

export function analyticsQuery(f: AnalyticsFilter): string {
  const q = new URLSearchParams();
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  if (f.version !== undefined) q.set('version', String(f.version));
  if (f.variant) q.set('variant', f.variant);
  return q.size ? `?${q}` : '';
}

/** The stage's rate as the report gives it: sent per reached, the others per sent; reached has none. */
export function funnelRate(step: Breakdown, key: FunnelKey): number | null {
  return key === 'reached' ? null : step.rates[key];
}

/** Every variant id seen in the report (for the variant filter). */
export function variantIds(report: AnalyticsReport): string[] {
  const ids = new Set<string>();
  for (const s of report.steps) for (const v of s.variants) ids.add(v.variant);
  if (report.variant) ids.add(report.variant);
  return [...ids].sort();
}

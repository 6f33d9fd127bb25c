// Step analytics as the API answers them: the types are the server's report schemas
// (server/schemas/analytics.ts, type-only: the editor talks to the server over HTTP only), and
// the pure helpers the page and the canvas overlay share. Also compiled by the root tsconfig
// (test/editor/analytics-overlay.test.ts).
import type { AnalyticsReport, Breakdown, CountKey, Counts, Rates, StepReport, VariantComparison } from '../../../server/schemas/analytics.js';

export type { AnalyticsReport, Breakdown, CountKey, Counts, Rates, StepReport, VariantComparison };

/** The counters in the order the page lists them (the same keys as the API's). */
export const COUNT_KEYS = ['reached', 'sent', 'blocked', 'failed', 'delivered', 'read', 'replied', 'optedOut', 'escalated', 'converted'] as const satisfies readonly CountKey[];

/** The funnel of a send step, in order: each stage's rate is per reached (sent) or per sent (the rest). */
export const FUNNEL = ['reached', 'sent', 'delivered', 'read', 'replied'] as const;
export type FunnelKey = (typeof FUNNEL)[number];

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

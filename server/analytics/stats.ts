// The statistics of the step analytics: rates, the median time to reply from the daily
// histograms, and the A/B comparison (two-proportion z-test on reply rate). Pure functions.
import { bucketMiddleMs } from '../../db/analytics-repository.js';

/** count / base, rounded to 4 decimals; null when the base is 0 (no rate, not 0%). */
export function rate(count: number, base: number): number | null {
  return base > 0 ? Math.round((count / base) * 10000) / 10000 : null;
}

/**
 * The median of a reply-time histogram (bucket → count): the geometric middle of the bucket
 * holding the middle reply; null when there were no replies. Within ±9% of the exact median
 * (quarter-octave buckets, db/analytics-repository.ts).
 */
export function histogramMedianMs(histogram: ReadonlyMap<number, number>): number | null {
  let total = 0;
  for (const n of histogram.values()) total += n;
  if (total === 0) return null;
  const half = total / 2;
  let seen = 0;
  for (const b of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(b)!;
    if (seen >= half) return Math.round(bucketMiddleMs(b));
  }
  return null;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf; |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

export interface ProportionTest {
  z: number;
  /** Two-sided p-value: the chance of a difference at least this large if both rates were equal. */
  pValue: number;
  /** 1 − pValue. */
  confidence: number;
}

/** Two-proportion z-test (pooled standard error) of x1/n1 against x2/n2; null when undefined. */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): ProportionTest | null {
  if (n1 <= 0 || n2 <= 0) return null;
  const p = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  if (se === 0) return { z: 0, pValue: 1, confidence: 0 };
  const z = (x1 / n1 - x2 / n2) / se;
  const pValue = Math.min(1, 2 * (1 - normalCdf(Math.abs(z))));
  return { z: round(z, 4), pValue: round(pValue, 6), confidence: round(1 - pValue, 6) };
}

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

export interface VariantCounts {
  variant: string;
  sent: number;
  replied: number;
}

export interface VariantComparison {
  metric: 'reply_rate';
  method: 'two_proportion_z_test';
  /** The variant with the highest reply rate (ties: the first by id). */
  leader: string | null;
  /** Each other variant against the leader. */
  against: Array<{ variant: string } & ProportionTest>;
  /** The lowest confidence of the leader over the others (how sure "the leader is best" is). */
  confidence: number | null;
  minSample: number;
  requiredConfidence: number;
  /** Every variant has minSample sends and the leader beats each other one at requiredConfidence. */
  significant: boolean;
  /** The variant to send to the rest, when significant. */
  winner: string | null;
}

export const DEFAULT_MIN_SAMPLE = 100;
export const DEFAULT_CONFIDENCE = 0.95;

/**
 * Compare variants on reply rate (replied / sent): the leader against each other variant with a
 * two-proportion z-test. The difference is called real when every variant has `minSample`
 * messages sent and the leader's confidence over each is at least `requiredConfidence`.
 */
export function compareVariants(counts: readonly VariantCounts[], minSample = DEFAULT_MIN_SAMPLE, requiredConfidence = DEFAULT_CONFIDENCE): VariantComparison {
  const withSends = [...counts].filter((c) => c.variant !== '').sort((a, b) => (a.variant < b.variant ? -1 : a.variant > b.variant ? 1 : 0));
  const base: VariantComparison = { metric: 'reply_rate', method: 'two_proportion_z_test', leader: null, against: [], confidence: null, minSample, requiredConfidence, significant: false, winner: null };
  if (withSends.length < 2) return { ...base, leader: withSends[0]?.variant ?? null };
  const rateOf = (c: VariantCounts): number => (c.sent > 0 ? c.replied / c.sent : -1);
  let leader = withSends[0]!;
  for (const c of withSends) if (rateOf(c) > rateOf(leader)) leader = c;
  const against = withSends
    .filter((c) => c !== leader)
    .map((c) => ({ variant: c.variant, ...(twoProportionZTest(leader.replied, leader.sent, c.replied, c.sent) ?? { z: 0, pValue: 1, confidence: 0 }) }));
  const confidence = Math.min(...against.map((a) => a.confidence));
  const significant = withSends.every((c) => c.sent >= minSample) && confidence >= requiredConfidence;
  return { ...base, leader: leader.variant, against, confidence, significant, winner: significant ? leader.variant : null };
}

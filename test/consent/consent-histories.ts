// Random consent histories and the rule stated over them (shared by the pure property in
// consent-rule.test.ts and the repository property in consent-repository.test.ts).
import fc from 'fast-check';
import { consentExpiry, type Channel, type Purpose } from '../../engine/consent/consent-rule.js';

export const T0 = Date.UTC(2026, 0, 15, 9, 30);
const DAY = 24 * 60 * 60 * 1000;

export type Key = { channel: Channel; purpose: Purpose };
/** A history step: a change for one (channel, purpose), or an expiry sweep over everything. */
export type HistoryStep = { kind: 'change'; key: Key; type: 'grant' | 'renew' | 'withdraw'; gap: number } | { kind: 'sweep'; gap: number };

const keyArb: fc.Arbitrary<Key> = fc.record({ channel: fc.constantFrom<Channel>('whatsapp', 'sms'), purpose: fc.constantFrom<Purpose>('marketing', 'service') });
// Gaps up to ~500 days so that histories cross the 12-month line in both directions.
const gapArb = fc.integer({ min: 0, max: 500 * DAY });
export const historyArb: fc.Arbitrary<HistoryStep[]> = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('change' as const), key: keyArb, type: fc.constantFrom('grant' as const, 'renew' as const, 'withdraw' as const), gap: gapArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const), gap: gapArb }) },
  ),
  { maxLength: 12 },
);
export const askArb = fc.record({ key: keyArb, rowKey: keyArb, after: fc.integer({ min: 0, max: 800 * DAY }) });

/**
 * The rule stated over the history, independently of the implementation: the decision for
 * (channel, purpose) is ok iff the last event of that exact pair that took effect is a grant
 * or a renewal at time t, and `at` < t + 12 calendar months. A renewal takes effect only on a
 * granted or expired consent; a sweep expires a granted consent whose 12 months are over.
 */
export function oracle(history: HistoryStep[], key: Key, at: number, t0: number): { ok: boolean; state: 'none' | 'granted' | 'withdrawn' | 'expired'; since: number } {
  let t = t0;
  let state: 'none' | 'granted' | 'withdrawn' | 'expired' = 'none';
  let since = 0;
  for (const step of history) {
    t += step.gap;
    if (step.kind === 'sweep') {
      if (state === 'granted' && t >= consentExpiry(since)) state = 'expired';
      continue;
    }
    if (step.key.channel !== key.channel || step.key.purpose !== key.purpose) continue;
    if (step.type === 'grant') [state, since] = ['granted', t];
    else if (step.type === 'withdraw') state = 'withdrawn';
    else if (state === 'granted' || state === 'expired') [state, since] = ['granted', t];
  }
  return { ok: state === 'granted' && at < consentExpiry(since), state, since };
}

export const sameKey = (a: Key, b: Key): boolean => a.channel === b.channel && a.purpose === b.purpose;


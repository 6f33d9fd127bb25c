// The PDPL consent rule (engine/consent/consent-rule.ts): the validity table, the calendar
// arithmetic of the 12-month expiry, the transitions, and a property over random histories.
import { expect } from 'chai';
import fc from 'fast-check';
import { T0, askArb, historyArb, oracle, sameKey, type Key } from './consent-histories.js';
import {
  CHANNELS,
  PURPOSES,
  addCalendarMonthsUtc,
  applyConsentChange,
  consentDecision,
  consentExpiry,
  type Channel,
  type ConsentState,
  type Purpose,
} from '../../engine/consent/consent-rule.js';

const DAY = 24 * 60 * 60 * 1000;

function granted(at: number, over: Partial<ConsentState> = {}): ConsentState {
  return { channel: 'whatsapp', purpose: 'marketing', status: 'granted', grantedAt: at, renewedAt: null, withdrawnAt: null, expiresAt: consentExpiry(at), ...over };
}

describe('consent rule: consentDecision', () => {
  const ask = { channel: 'whatsapp' as Channel, purpose: 'marketing' as Purpose };
  const table: [string, ConsentState | null, number, ReturnType<typeof consentDecision>][] = [
    ['no consent', null, T0, { ok: false, reason: 'missing' }],
    ['granted, same channel and purpose, just granted', granted(T0), T0, { ok: true }],
    ['granted, one millisecond before expiry', granted(T0), consentExpiry(T0) - 1, { ok: true }],
    ['granted, at expiry (the sweep has not run yet)', granted(T0), consentExpiry(T0), { ok: false, reason: 'expired' }],
    ['granted, a year and a day later', granted(T0), T0 + 366 * DAY, { ok: false, reason: 'expired' }],
    ['marked expired by the sweep', granted(T0, { status: 'expired' }), T0 + 400 * DAY, { ok: false, reason: 'expired' }],
    ['marked expired, asked before the expiry time', granted(T0, { status: 'expired' }), T0, { ok: false, reason: 'expired' }],
    ['withdrawn', granted(T0, { status: 'withdrawn', withdrawnAt: T0 + DAY }), T0 + 2 * DAY, { ok: false, reason: 'withdrawn' }],
    ['withdrawn without ever being granted', { ...granted(T0), status: 'withdrawn', grantedAt: null, expiresAt: null }, T0, { ok: false, reason: 'withdrawn' }],
    ['granted for SMS, asked for WhatsApp', granted(T0, { channel: 'sms' }), T0, { ok: false, reason: 'wrong_channel' }],
    ['granted for service, asked for marketing', granted(T0, { purpose: 'service' }), T0, { ok: false, reason: 'wrong_purpose' }],
    ['other channel and purpose: the channel is reported', granted(T0, { channel: 'email', purpose: 'service' }), T0, { ok: false, reason: 'wrong_channel' }],
    ['granted without an expiry (corrupt row): refused', granted(T0, { expiresAt: null }), T0, { ok: false, reason: 'expired' }],
  ];
  for (const [name, consent, at, expected] of table) {
    it(name, () => {
      expect(consentDecision(consent, { ...ask, at })).to.deep.equal(expected);
    });
  }
});

describe('consent rule: 12 calendar months in UTC', () => {
  const cases: [string, string, string][] = [
    ['an ordinary day', '2026-01-15T09:30:00.000Z', '2027-01-15T09:30:00.000Z'],
    ['29 February → 28 February', '2028-02-29T12:00:00.000Z', '2029-02-28T12:00:00.000Z'],
    ['just before midnight UTC (03:00 Riyadh) keeps its instant', '2026-03-31T23:59:59.999Z', '2027-03-31T23:59:59.999Z'],
    ['New Year in Riyadh (21:00 UTC on 31 Dec)', '2025-12-31T21:00:00.000Z', '2026-12-31T21:00:00.000Z'],
  ];
  for (const [name, from, to] of cases) {
    it(name, () => {
      expect(new Date(consentExpiry(Date.parse(from))).toISOString()).to.equal(to);
    });
  }

  it('clamps to the end of a shorter month, and counts months across years', () => {
    expect(new Date(addCalendarMonthsUtc(Date.parse('2026-03-31T10:00:00Z'), 1)).toISOString()).to.equal('2026-04-30T10:00:00.000Z');
    expect(new Date(addCalendarMonthsUtc(Date.parse('2026-11-30T10:00:00Z'), 3)).toISOString()).to.equal('2027-02-28T10:00:00.000Z');
    expect(new Date(addCalendarMonthsUtc(Date.parse('2026-01-31T10:00:00Z'), 25)).toISOString()).to.equal('2028-02-29T10:00:00.000Z');
  });

  it('is always later than the start, by 365 or 366 days at most (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }), (ms) => {
        const days = (consentExpiry(ms) - ms) / DAY;
        return days >= 365 && days <= 366;
      }),
    );
  });
});

describe('consent rule: transitions', () => {
  it('grant from nothing; renew only granted or expired; withdraw idempotent; expire only when due', () => {
    const g = applyConsentChange(null, 'sms', 'service', { type: 'grant', at: T0 });
    expect(g).to.deep.include({ ok: true });
    const grantedState = (g as { next: ConsentState }).next;
    expect(grantedState).to.deep.include({ status: 'granted', grantedAt: T0, expiresAt: consentExpiry(T0) });
    expect(applyConsentChange(null, 'sms', 'service', { type: 'renew', at: T0 })).to.deep.equal({ ok: false, code: 'renew_not_allowed' });
    expect(applyConsentChange(grantedState, 'sms', 'service', { type: 'expire', at: T0 + DAY })).to.deep.equal({ ok: false, code: 'not_due' });
    const expired = applyConsentChange(grantedState, 'sms', 'service', { type: 'expire', at: consentExpiry(T0) });
    expect(expired).to.deep.include({ ok: true });
    const renewed = applyConsentChange((expired as { next: ConsentState }).next, 'sms', 'service', { type: 'renew', at: T0 + 400 * DAY });
    expect((renewed as { next: ConsentState }).next).to.deep.include({ status: 'granted', grantedAt: T0, renewedAt: T0 + 400 * DAY, expiresAt: consentExpiry(T0 + 400 * DAY) });
    const w = applyConsentChange(grantedState, 'sms', 'service', { type: 'withdraw', at: T0 + DAY });
    const withdrawn = (w as { next: ConsentState }).next;
    expect(withdrawn).to.deep.include({ status: 'withdrawn', withdrawnAt: T0 + DAY });
    expect(applyConsentChange(withdrawn, 'sms', 'service', { type: 'withdraw', at: T0 + 2 * DAY })).to.deep.equal({ ok: false, code: 'unchanged' });
    expect(applyConsentChange(withdrawn, 'sms', 'service', { type: 'renew', at: T0 + 2 * DAY })).to.deep.equal({ ok: false, code: 'renew_not_allowed' });
    // An objection without a prior consent is recorded.
    expect((applyConsentChange(null, 'call', 'marketing', { type: 'withdraw', at: T0 }) as { next: ConsentState }).next).to.deep.include({ status: 'withdrawn', grantedAt: null, expiresAt: null });
  });
});

describe('consent rule: property over random histories', () => {
  it('consentDecision is ok iff the last effective event of that exact channel and purpose is a grant or renewal less than 12 months before', () => {
    fc.assert(
      fc.property(historyArb, askArb, (history, ask) => {
        const rows = new Map<string, ConsentState>();
        const id = (k: Key) => `${k.channel}:${k.purpose}`;
        let t = T0;
        for (const step of history) {
          t += step.gap;
          if (step.kind === 'sweep') {
            for (const [k, row] of rows) {
              const r = applyConsentChange(row, row.channel, row.purpose, { type: 'expire', at: t });
              if (r.ok) rows.set(k, r.next);
            }
          } else {
            const r = applyConsentChange(rows.get(id(step.key)) ?? null, step.key.channel, step.key.purpose, { type: step.type, at: t });
            if (r.ok) rows.set(id(step.key), r.next);
          }
        }
        const at = t + ask.after;
        const decision = consentDecision(rows.get(id(ask.rowKey)) ?? null, { ...ask.key, at });
        const expected = oracle(history, ask.key, at, T0);
        if (!sameKey(ask.key, ask.rowKey)) {
          // Another pair's consent never permits this one.
          expect(decision.ok).to.equal(false);
          if (rows.has(id(ask.rowKey))) expect((decision as { reason: string }).reason).to.equal(ask.key.channel !== ask.rowKey.channel ? 'wrong_channel' : 'wrong_purpose');
          return;
        }
        expect(decision.ok, JSON.stringify({ expected, decision })).to.equal(expected.ok);
        if (!decision.ok) expect(decision.reason).to.equal(expected.state === 'none' ? 'missing' : expected.state === 'withdrawn' ? 'withdrawn' : 'expired');
      }),
      { numRuns: 2000 },
    );
  });

  it('covers every channel and purpose in the vocabulary', () => {
    expect(CHANNELS).to.deep.equal(['whatsapp', 'sms', 'email', 'call']);
    expect(PURPOSES).to.deep.equal(['marketing', 'service', 'transactional']);
  });
});

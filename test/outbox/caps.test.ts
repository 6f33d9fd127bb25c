// Daily caps per contact and per tenant, the tenant's local day (Asia/Riyadh midnight is 21:00
// UTC) and its rollover, and planSend (window first, then caps).
import { expect } from 'chai';
import fc from 'fast-check';
import {
  capDecision,
  localDateOf,
  localDayStart,
  nextLocalDayStart,
  nextSendOpening,
  planSend,
  resolveSendPolicy,
  startOfLocalDate,
  type Holiday,
} from '../../engine/index.js';

const iso = (d: Date): string => d.toISOString();
const riyadh = (wall: string): Date => new Date(`${wall}+03:00`);
const policy = resolveSendPolicy({});

describe('outbox: daily caps and the local day', () => {
  describe('capDecision', () => {
    const at = riyadh('2026-03-05T10:00:00');

    it('under both caps: ok', () => {
      expect(capDecision({ sentTodayForContact: 2, sentTodayForTenant: 9_999 }, policy, 'whatsapp', at)).to.deep.equal({ ok: true });
      expect(capDecision({ sentTodayForContact: 0, sentTodayForTenant: 0 }, policy, 'sms', at)).to.deep.equal({ ok: true });
    });

    it('the contact cap (WhatsApp 3, SMS 2, email 5 a day) defers to the next Riyadh midnight', () => {
      const next = '2026-03-05T21:00:00.000Z'; // 2026-03-06 00:00 in Riyadh
      for (const [channel, cap] of [['whatsapp', 3], ['sms', 2], ['email', 5]] as const) {
        const d = capDecision({ sentTodayForContact: cap, sentTodayForTenant: 0 }, policy, channel, at);
        expect(d.ok, channel).to.equal(false);
        if (d.ok) continue;
        expect(d.reason).to.equal('contact_cap');
        expect(d.limit).to.equal(cap);
        expect(iso(d.retryAt)).to.equal(next);
        expect(capDecision({ sentTodayForContact: cap - 1, sentTodayForTenant: 0 }, policy, channel, at).ok, `${channel} one under`).to.equal(true);
      }
    });

    it('the tenant cap', () => {
      const d = capDecision({ sentTodayForContact: 0, sentTodayForTenant: 10_000 }, policy, 'whatsapp', at);
      expect(d).to.deep.equal({ ok: false, reason: 'tenant_cap', limit: 10_000, retryAt: new Date('2026-03-05T21:00:00Z') });
      expect(capDecision({ sentTodayForContact: 0, sentTodayForTenant: 4_999 }, policy, 'sms', at).ok).to.equal(true);
      expect(capDecision({ sentTodayForContact: 0, sentTodayForTenant: 5_000 }, policy, 'sms', at).ok).to.equal(false);
    });

    it('the contact cap is reported first when both are reached', () => {
      const d = capDecision({ sentTodayForContact: 3, sentTodayForTenant: 10_000 }, policy, 'whatsapp', at);
      expect(d.ok === false && d.reason).to.equal('contact_cap');
    });

    it('null is no cap; 0 stops the channel', () => {
      const p = resolveSendPolicy({ caps: { perContactPerDay: { whatsapp: null, email: 0 }, perTenantPerDay: { whatsapp: null } } });
      expect(capDecision({ sentTodayForContact: 1e6, sentTodayForTenant: 1e9 }, p, 'whatsapp', at).ok).to.equal(true);
      expect(capDecision({ sentTodayForContact: 0, sentTodayForTenant: 0 }, p, 'email', at).ok).to.equal(false);
      // Calls have no default caps.
      expect(capDecision({ sentTodayForContact: 1e6, sentTodayForTenant: 1e9 }, policy, 'call', at).ok).to.equal(true);
    });

    it('rollover at Riyadh midnight = 21:00 UTC', () => {
      const counts = { sentTodayForContact: 3, sentTodayForTenant: 0 };
      const before = capDecision(counts, policy, 'whatsapp', new Date('2026-03-05T20:59:59.999Z'));
      const after = capDecision(counts, policy, 'whatsapp', new Date('2026-03-05T21:00:00.000Z'));
      expect(!before.ok && iso(before.retryAt)).to.equal('2026-03-05T21:00:00.000Z');
      expect(!after.ok && iso(after.retryAt)).to.equal('2026-03-06T21:00:00.000Z');
    });

    it('the day is the policy’s time zone’s', () => {
      const london = resolveSendPolicy({ timezone: 'Europe/London' });
      const d = capDecision({ sentTodayForContact: 3, sentTodayForTenant: 0 }, london, 'whatsapp', new Date('2026-03-28T12:00:00Z'));
      expect(!d.ok && iso(d.retryAt)).to.equal('2026-03-29T00:00:00.000Z');
      const spring = capDecision({ sentTodayForContact: 3, sentTodayForTenant: 0 }, london, 'whatsapp', new Date('2026-03-29T12:00:00Z'));
      expect(!spring.ok && iso(spring.retryAt), 'midnight BST after the change').to.equal('2026-03-29T23:00:00.000Z');
    });
  });

  describe('localDayStart / nextLocalDayStart', () => {
    it('Asia/Riyadh days start at 21:00 UTC', () => {
      expect(iso(localDayStart(new Date('2026-03-05T20:59:59.999Z'), 'Asia/Riyadh'))).to.equal('2026-03-04T21:00:00.000Z');
      expect(iso(localDayStart(new Date('2026-03-05T21:00:00.000Z'), 'Asia/Riyadh'))).to.equal('2026-03-05T21:00:00.000Z');
      expect(iso(nextLocalDayStart(new Date('2026-03-05T20:59:59.999Z'), 'Asia/Riyadh'))).to.equal('2026-03-05T21:00:00.000Z');
      expect(iso(nextLocalDayStart(new Date('2026-03-05T21:00:00.000Z'), 'Asia/Riyadh'))).to.equal('2026-03-06T21:00:00.000Z');
      expect(localDateOf(new Date('2026-03-05T21:00:00.000Z'), 'Asia/Riyadh')).to.equal('2026-03-06');
    });

    it('a day without midnight (America/Santiago, 2026-09-06) starts at 01:00 local', () => {
      expect(iso(startOfLocalDate('2026-09-06', 'America/Santiago'))).to.equal('2026-09-06T04:00:00.000Z');
      expect(iso(nextLocalDayStart(new Date('2026-09-05T12:00:00Z'), 'America/Santiago'))).to.equal('2026-09-06T04:00:00.000Z');
    });

    it('property: start ≤ at < next start, both on the right local dates, for zones with and without DST', () => {
      const zones = ['Asia/Riyadh', 'Europe/London', 'America/Santiago', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/St_Johns'];
      const check = new Map<string, Intl.DateTimeFormat>();
      const dateIn = (ms: number, tz: string): string => {
        let f = check.get(tz);
        if (!f) check.set(tz, (f = new Intl.DateTimeFormat('sv-SE', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })));
        return f.format(new Date(ms));
      };
      fc.assert(
        fc.property(fc.constantFrom(...zones), fc.integer({ min: Date.parse('2025-01-01'), max: Date.parse('2028-01-01') }), (tz, t) => {
          const start = localDayStart(new Date(t), tz).getTime();
          const next = nextLocalDayStart(new Date(t), tz).getTime();
          expect(start).to.be.at.most(t);
          expect(next).to.be.greaterThan(t);
          expect(dateIn(start, tz)).to.equal(dateIn(t, tz));
          expect(dateIn(start - 1, tz)).to.not.equal(dateIn(t, tz));
          expect(dateIn(next - 1, tz)).to.equal(dateIn(t, tz));
          expect(dateIn(next, tz)).to.not.equal(dateIn(t, tz));
          expect(localDayStart(new Date(next), tz).getTime()).to.equal(next);
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('planSend: window first, then caps', () => {
    const counts = { sentTodayForContact: 0, sentTodayForTenant: 0 };

    it('open and under the caps: send', () => {
      expect(planSend(policy, [], 'whatsapp', riyadh('2026-03-05T10:00:00'), counts)).to.deep.equal({ action: 'send' });
    });

    it('outside the window: defer to the opening (counts are re-read then)', () => {
      expect(planSend(policy, [], 'whatsapp', riyadh('2026-03-06T10:00:00'), { sentTodayForContact: 99, sentTodayForTenant: 0 })).to.deep.equal({
        action: 'defer',
        until: riyadh('2026-03-08T09:00:00'),
        reason: 'outside_window',
      });
    });

    it('over a cap on Thursday: the next day is Friday, so the first opening after it (Sunday 09:00, or Monday past a holiday)', () => {
      const full = { sentTodayForContact: 3, sentTodayForTenant: 0 };
      expect(planSend(policy, [], 'whatsapp', riyadh('2026-03-05T10:00:00'), full)).to.deep.equal({ action: 'defer', until: riyadh('2026-03-08T09:00:00'), reason: 'contact_cap' });
      const holidays: Holiday[] = [{ date: '2026-03-08' }];
      expect(planSend(policy, holidays, 'whatsapp', riyadh('2026-03-05T10:00:00'), full)).to.deep.equal({ action: 'defer', until: riyadh('2026-03-09T09:00:00'), reason: 'contact_cap' });
      // Same answer as composing the two functions by hand.
      const d = capDecision(full, policy, 'whatsapp', riyadh('2026-03-05T10:00:00'));
      expect(!d.ok && iso(nextSendOpening(policy, holidays, 'whatsapp', d.retryAt))).to.equal(iso(riyadh('2026-03-09T09:00:00')));
    });
  });
});

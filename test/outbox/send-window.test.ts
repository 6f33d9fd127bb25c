// Send windows: business days and hours in the tenant's time zone (Sun–Thu 09:00–18:00 in
// Asia/Riyadh by default), holidays, the SMS hour bound, a DST zone, termination on policies
// that never open, and properties checked against an independent wall-clock oracle.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  DEFAULT_SEND_POLICY,
  NoSendOpeningError,
  isSendOpen,
  nextSendOpening,
  resolveSendPolicy,
  sendPolicyProblems,
  validateSendPolicy,
  type Channel,
  type Holiday,
  type SendPolicy,
} from '../../engine/index.js';

/** An instant from Riyadh wall time (UTC+3 all year). */
const riyadh = (wall: string): Date => new Date(`${wall}+03:00`);
const iso = (d: Date): string => d.toISOString();
const policy = (input: unknown = {}): SendPolicy => resolveSendPolicy(input);

// 2026-03-05 is a Thursday; 2026-03-08 a Sunday.
describe('outbox: send windows', () => {
  describe('the Saudi weekend (Thursday 18:00 → Sunday 09:00, Asia/Riyadh)', () => {
    const p = policy();
    const cases: [string, string, string][] = [
      ['Thu 17:59 goes now', '2026-03-05T17:59:00', '2026-03-05T17:59:00'],
      ['Thu 17:59:59.999 goes now', '2026-03-05T17:59:59.999', '2026-03-05T17:59:59.999'],
      ['Thu 18:00 waits to Sun 09:00', '2026-03-05T18:00:00', '2026-03-08T09:00:00'],
      ['Fri noon waits to Sun 09:00', '2026-03-06T12:00:00', '2026-03-08T09:00:00'],
      ['Sat 23:59 waits to Sun 09:00', '2026-03-07T23:59:00', '2026-03-08T09:00:00'],
      ['Sun 08:59 waits to Sun 09:00', '2026-03-08T08:59:00', '2026-03-08T09:00:00'],
      ['Sun 09:00 goes now', '2026-03-08T09:00:00', '2026-03-08T09:00:00'],
      ['Mon 03:00 waits to Mon 09:00', '2026-03-09T03:00:00', '2026-03-09T09:00:00'],
      ['Wed 18:00 waits to Thu 09:00', '2026-03-04T18:00:00', '2026-03-05T09:00:00'],
    ];
    for (const [name, at, expected] of cases) {
      it(name, () => {
        for (const channel of ['whatsapp', 'email', 'call'] as const) {
          expect(iso(nextSendOpening(p, [], channel, riyadh(at))), channel).to.equal(iso(riyadh(expected)));
        }
      });
    }

    it('answers the same instant as a new Date (the caller’s is not shared)', () => {
      const at = riyadh('2026-03-05T10:00:00');
      const r = nextSendOpening(p, [], 'whatsapp', at);
      expect(r.getTime()).to.equal(at.getTime());
      expect(r).to.not.equal(at);
    });

    it('Riyadh business hours are 06:00–15:00 UTC', () => {
      expect(iso(nextSendOpening(p, [], 'email', new Date('2026-03-08T05:59:59.999Z')))).to.equal('2026-03-08T06:00:00.000Z');
      expect(isSendOpen(p, [], 'email', new Date('2026-03-08T14:59:59.999Z'))).to.equal(true);
      expect(isSendOpen(p, [], 'email', new Date('2026-03-08T15:00:00.000Z'))).to.equal(false);
    });

    it('rejects an invalid instant', () => {
      expect(() => nextSendOpening(p, [], 'email', new Date('nope'))).to.throw(RangeError);
    });
  });

  describe('holidays', () => {
    const p = policy();
    const name = { ar: 'عطلة', en: 'Holiday' };

    it('a Sunday holiday pushes Thursday evening to Monday 09:00', () => {
      const holidays: Holiday[] = [{ date: '2026-03-08', name }];
      expect(iso(nextSendOpening(p, holidays, 'whatsapp', riyadh('2026-03-05T18:00:00')))).to.equal(iso(riyadh('2026-03-09T09:00:00')));
      expect(iso(nextSendOpening(p, holidays, 'whatsapp', riyadh('2026-03-08T11:00:00')))).to.equal(iso(riyadh('2026-03-09T09:00:00')));
      // Without the holiday, Sunday is open.
      expect(iso(nextSendOpening(p, [], 'whatsapp', riyadh('2026-03-05T18:00:00')))).to.equal(iso(riyadh('2026-03-08T09:00:00')));
    });

    it('a multi-day Eid range closes every day of it (Thu 19 – Mon 23 March → Tue 24 09:00)', () => {
      const eid: Holiday[] = [{ from: '2026-03-19', to: '2026-03-23', name: { ar: 'عيد الفطر', en: 'Eid al-Fitr' }, approximate: true }];
      expect(iso(nextSendOpening(p, eid, 'whatsapp', riyadh('2026-03-18T18:30:00')))).to.equal(iso(riyadh('2026-03-24T09:00:00')));
      expect(iso(nextSendOpening(p, eid, 'whatsapp', riyadh('2026-03-19T10:00:00')))).to.equal(iso(riyadh('2026-03-24T09:00:00')));
      expect(isSendOpen(p, eid, 'whatsapp', riyadh('2026-03-23T17:00:00'))).to.equal(false);
      expect(isSendOpen(p, eid, 'whatsapp', riyadh('2026-03-18T17:00:00'))).to.equal(true);
      expect(isSendOpen(p, eid, 'whatsapp', riyadh('2026-03-24T09:00:00'))).to.equal(true);
    });

    it('a holiday is a local day: 2026-03-08 in Riyadh starts at 21:00 UTC the evening before', () => {
      const holidays: Holiday[] = [{ date: '2026-03-08' }];
      const open = policy({ businessDays: [0, 1, 2, 3, 4, 5, 6], businessHours: { start: '00:00', end: '24:00' } });
      expect(isSendOpen(open, holidays, 'email', new Date('2026-03-07T20:59:59.999Z'))).to.equal(true);
      expect(isSendOpen(open, holidays, 'email', new Date('2026-03-07T21:00:00.000Z'))).to.equal(false);
      expect(iso(nextSendOpening(open, holidays, 'email', new Date('2026-03-07T21:00:00Z')))).to.equal('2026-03-08T21:00:00.000Z');
    });

    it('adjacent and overlapping holidays chain', () => {
      const holidays: Holiday[] = [{ date: '2026-03-08' }, { from: '2026-03-09', to: '2026-03-10' }, { from: '2026-03-10', to: '2026-03-11' }];
      expect(iso(nextSendOpening(p, holidays, 'email', riyadh('2026-03-05T18:00:00')))).to.equal(iso(riyadh('2026-03-12T09:00:00')));
    });

    it('a channel that ignores business hours ignores holidays too', () => {
      const anytime = policy({ channels: { whatsapp: { respectBusinessHours: false } } });
      const holidays: Holiday[] = [{ date: '2026-03-06' }];
      expect(iso(nextSendOpening(anytime, holidays, 'whatsapp', riyadh('2026-03-06T03:00:00')))).to.equal(iso(riyadh('2026-03-06T03:00:00')));
      expect(iso(nextSendOpening(anytime, holidays, 'email', riyadh('2026-03-06T03:00:00')))).to.equal(iso(riyadh('2026-03-08T09:00:00')));
    });
  });

  describe('SMS hour bound (09:00–21:00 local, every day)', () => {
    it('with business hours respected (the default) business hours are the tighter bound', () => {
      const p = policy();
      expect(iso(nextSendOpening(p, [], 'sms', riyadh('2026-03-05T17:00:00')))).to.equal(iso(riyadh('2026-03-05T17:00:00')));
      expect(iso(nextSendOpening(p, [], 'sms', riyadh('2026-03-05T18:30:00')))).to.equal(iso(riyadh('2026-03-08T09:00:00')));
    });

    it('with business hours off, SMS still goes only between 09:00 and 21:00, weekends included', () => {
      const p = policy({ channels: { sms: { respectBusinessHours: false } } });
      expect(p.channels.sms.allowedHours, 'the default bound stays when only the flag is sent').to.deep.equal({ start: '09:00', end: '21:00' });
      expect(iso(nextSendOpening(p, [], 'sms', riyadh('2026-03-06T08:00:00')))).to.equal(iso(riyadh('2026-03-06T09:00:00')));
      expect(iso(nextSendOpening(p, [], 'sms', riyadh('2026-03-06T20:59:00')))).to.equal(iso(riyadh('2026-03-06T20:59:00')));
      expect(iso(nextSendOpening(p, [], 'sms', riyadh('2026-03-06T21:00:00')))).to.equal(iso(riyadh('2026-03-07T09:00:00')));
      expect(iso(nextSendOpening(p, [], 'sms', riyadh('2026-03-07T23:59:00')))).to.equal(iso(riyadh('2026-03-08T09:00:00')));
    });

    it('with business hours wider than the bound, the bound cuts both ends', () => {
      const p = policy({ businessHours: { start: '07:00', end: '23:00' } });
      expect(iso(nextSendOpening(p, [], 'sms', riyadh('2026-03-08T08:30:00')))).to.equal(iso(riyadh('2026-03-08T09:00:00')));
      expect(iso(nextSendOpening(p, [], 'whatsapp', riyadh('2026-03-08T08:30:00')))).to.equal(iso(riyadh('2026-03-08T08:30:00')));
      expect(iso(nextSendOpening(p, [], 'sms', riyadh('2026-03-08T21:30:00')))).to.equal(iso(riyadh('2026-03-09T09:00:00')));
      expect(iso(nextSendOpening(p, [], 'whatsapp', riyadh('2026-03-08T21:30:00')))).to.equal(iso(riyadh('2026-03-08T21:30:00')));
    });

    it('null removes the bound', () => {
      const p = policy({ channels: { sms: { respectBusinessHours: false, allowedHours: null } } });
      expect(isSendOpen(p, [], 'sms', riyadh('2026-03-06T03:00:00'))).to.equal(true);
    });
  });

  describe('a zone with DST (Europe/London)', () => {
    const london = policy({ timezone: 'Europe/London', businessDays: [1, 2, 3, 4, 5], businessHours: { start: '09:00', end: '17:00' } });

    it('Friday evening before the spring change → Monday 09:00 BST (08:00 UTC)', () => {
      // Clocks go forward on Sunday 2026-03-29 at 01:00 UTC.
      expect(iso(nextSendOpening(london, [], 'email', new Date('2026-03-27T17:30:00Z')))).to.equal('2026-03-30T08:00:00.000Z');
      expect(iso(nextSendOpening(london, [], 'email', new Date('2026-03-27T08:30:00Z')))).to.equal('2026-03-27T09:00:00.000Z');
    });

    it('Friday evening before the autumn change → Monday 09:00 GMT (09:00 UTC)', () => {
      // Clocks go back on Sunday 2026-10-25 at 01:00 UTC; Friday 17:00 BST is 16:00 UTC.
      expect(isSendOpen(london, [], 'email', new Date('2026-10-23T15:59:59Z'))).to.equal(true);
      expect(iso(nextSendOpening(london, [], 'email', new Date('2026-10-23T16:00:00Z')))).to.equal('2026-10-26T09:00:00.000Z');
    });

    it('a window opening inside the spring gap opens when the gap ends', () => {
      // 01:30 does not exist on 2026-03-29: the first instant at or after it is 02:00 BST (01:00 UTC).
      const p = policy({ timezone: 'Europe/London', businessDays: [0], businessHours: { start: '01:30', end: '03:00' } });
      expect(iso(nextSendOpening(p, [], 'email', new Date('2026-03-29T00:00:00Z')))).to.equal('2026-03-29T01:00:00.000Z');
      expect(isSendOpen(p, [], 'email', new Date('2026-03-29T00:59:59.999Z'))).to.equal(false);
    });

    it('a window inside the repeated autumn hour opens twice', () => {
      // 01:00–02:00 local happens twice on 2026-10-25: 00:00–01:00 UTC (BST) and 01:00–02:00 UTC (GMT).
      const p = policy({ timezone: 'Europe/London', businessDays: [0], businessHours: { start: '01:30', end: '01:45' } });
      expect(iso(nextSendOpening(p, [], 'email', new Date('2026-10-25T00:00:00Z')))).to.equal('2026-10-25T00:30:00.000Z');
      expect(iso(nextSendOpening(p, [], 'email', new Date('2026-10-25T00:50:00Z')))).to.equal('2026-10-25T01:30:00.000Z');
      expect(iso(nextSendOpening(p, [], 'email', new Date('2026-10-25T01:50:00Z')))).to.equal('2026-11-01T01:30:00.000Z');
    });
  });

  describe('termination', () => {
    it('every day a holiday for over 400 days: a clear error, not an endless loop', () => {
      const holidays: Holiday[] = [{ from: '2026-01-01', to: '2028-12-31' }];
      expect(() => nextSendOpening(policy(), holidays, 'whatsapp', riyadh('2026-03-05T18:00:00'))).to.throw(NoSendOpeningError, /no whatsapp send opening within 400 days/);
    });

    it('hour bounds that never overlap the business hours', () => {
      const p = policy({ businessHours: { start: '06:00', end: '08:00' } });
      expect(() => nextSendOpening(p, [], 'sms', riyadh('2026-03-05T10:00:00'))).to.throw(NoSendOpeningError, /do not overlap/);
      expect(sendPolicyProblems(p).map((e) => [e.path, e.code])).to.deep.equal([['/channels/sms', 'never_opens']]);
    });

    it('a 400-day holiday that ends: the day after it', () => {
      const holidays: Holiday[] = [{ from: '2026-03-06', to: '2027-04-01' }];
      expect(iso(nextSendOpening(policy(), holidays, 'email', riyadh('2026-03-05T18:00:00')))).to.equal(iso(riyadh('2027-04-04T09:00:00')));
    });
  });

  describe('the policy', () => {
    it('{} is the Saudi default', () => {
      expect(policy({})).to.deep.equal(DEFAULT_SEND_POLICY);
      expect(DEFAULT_SEND_POLICY.businessDays).to.deep.equal([0, 1, 2, 3, 4]);
      expect(DEFAULT_SEND_POLICY.caps.perContactPerDay).to.deep.include({ whatsapp: 3, sms: 2, email: 5 });
    });

    it('keeps what is given, fills the rest, and null means "no cap"', () => {
      const p = policy({ businessDays: [1, 2], caps: { perContactPerDay: { whatsapp: null } } });
      expect(p.businessDays).to.deep.equal([1, 2]);
      expect(p.caps.perContactPerDay.whatsapp).to.equal(null);
      expect(p.caps.perContactPerDay.sms).to.equal(2);
      expect(p.caps.perTenantPerDay.email).to.equal(20_000);
      expect(p.businessHours).to.deep.equal({ start: '09:00', end: '18:00' });
    });

    it('an unusable stored policy falls back to the default, in the tenant’s time zone', () => {
      expect(resolveSendPolicy({ businessDays: 'weekdays' }, 'Europe/London')).to.deep.equal({ ...DEFAULT_SEND_POLICY, timezone: 'Europe/London' });
      expect(resolveSendPolicy(undefined, 'Asia/Dubai').timezone).to.equal('Asia/Dubai');
      expect(resolveSendPolicy({ timezone: 'Mars/Olympus' }).timezone).to.equal('Asia/Riyadh');
    });

    it('validation: unknown zone, empty ranges', () => {
      const bad = { ...policy(), timezone: 'Mars/Olympus', businessHours: { start: '18:00', end: '09:00' } };
      bad.channels = { ...bad.channels, sms: { respectBusinessHours: true, allowedHours: { start: '10:00', end: '10:00' } } };
      expect(validateSendPolicy(bad).map((e) => `${e.path} ${e.code}`)).to.deep.equal(['/timezone unknown_timezone', '/businessHours empty_range', '/channels/sms/allowedHours empty_range']);
      expect(sendPolicyProblems(policy())).to.deep.equal([]);
    });
  });

  describe('properties (random policies, zones with and without DST, holidays)', () => {
    const ZONES = ['Asia/Riyadh', 'Europe/London', 'America/New_York', 'Australia/Lord_Howe', 'America/Santiago', 'Asia/Kolkata'];
    const hhmm = (m: number): string => (m === 1440 ? '24:00' : `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
    // Half the ranges start in the small hours, where DST changes happen.
    const minute = fc.oneof(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 0, max: 180 }));
    const range = fc.tuple(minute, fc.integer({ min: 1, max: 1440 })).filter(([a, b]) => a < b).map(([a, b]) => ({ start: hhmm(a), end: hhmm(b) }));
    const DST_CHANGES = ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z', '2026-03-08T07:00:00Z', '2026-11-01T06:00:00Z', '2026-04-05T03:00:00Z', '2026-09-06T04:00:00Z', '2026-04-04T15:00:00Z', '2026-10-03T15:30:00Z'];
    const T_MIN = Date.parse('2025-01-01T00:00:00Z');
    const T_MAX = Date.parse('2027-12-31T00:00:00Z');
    const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

    const scenario = fc
      .record({
        timezone: fc.constantFrom(...ZONES),
        businessDays: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }),
        businessHours: range,
        rule: fc.record({ respectBusinessHours: fc.boolean(), allowedHours: fc.option(range, { nil: null }) }),
        channel: fc.constantFrom<Channel>('whatsapp', 'email', 'sms', 'call'),
        // Uniform, or within days of a DST change of one of the zones (2026).
        at: fc.oneof(
          fc.integer({ min: T_MIN, max: T_MAX }),
          fc.tuple(fc.constantFrom(...DST_CHANGES), fc.integer({ min: -3 * 86_400_000, max: 86_400_000 })).map(([d, shift]) => Date.parse(d) + shift),
        ),
        holidays: fc.array(fc.tuple(fc.integer({ min: -3, max: 20 }), fc.integer({ min: 0, max: 6 })), { maxLength: 4 }),
      })
      .map((s) => {
        const p = policy({ timezone: s.timezone, businessDays: s.businessDays, businessHours: s.businessHours, channels: { [s.channel]: s.rule } });
        const holidays: Holiday[] = s.holidays.map(([start, len]) => ({ from: dayOf(s.at + start * 86_400_000), to: dayOf(s.at + (start + len) * 86_400_000) }));
        return { p, holidays, channel: s.channel, at: new Date(s.at) };
      });

    /** Independent wall clock: Intl with the Swedish locale ("2026-03-05 17:59:00"), no shared code. */
    const oracles = new Map<string, Intl.DateTimeFormat>();
    function oracleOpen(p: SendPolicy, holidays: Holiday[], channel: Channel, ms: number): boolean {
      let f = oracles.get(p.timezone);
      if (!f) {
        f = new Intl.DateTimeFormat('sv-SE', { timeZone: p.timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
        oracles.set(p.timezone, f);
      }
      const text = f.format(new Date(Math.floor(ms / 1000) * 1000)).replace(' 24:', ' 00:');
      const [date, time] = text.split(' ') as [string, string];
      const [h, m, s] = time.split(':').map(Number) as [number, number, number];
      const wall = (h * 3600 + m * 60 + s) * 1000 + (ms - Math.floor(ms / 1000) * 1000);
      const toMs = (t: string): number => Number(t.slice(0, 2)) * 3_600_000 + Number(t.slice(3)) * 60_000;
      const rule = p.channels[channel];
      if (rule.allowedHours && !(toMs(rule.allowedHours.start) <= wall && wall < toMs(rule.allowedHours.end))) return false;
      if (!rule.respectBusinessHours) return true;
      const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
      if (!p.businessDays.includes(weekday)) return false;
      if (holidays.some((x) => 'from' in x && x.from <= date && date <= x.to)) return false;
      return toMs(p.businessHours.start) <= wall && wall < toMs(p.businessHours.end);
    }

    /** Checks one call; true when the send was deferred (not open at `at`). */
    function checkOpening(p: SendPolicy, holidays: Holiday[], channel: Channel, at: Date): boolean {
      let r: Date;
      try {
        r = nextSendOpening(p, holidays, channel, at);
      } catch (err) {
        expect(err).to.be.instanceOf(NoSendOpeningError);
        // Only when the hours cannot overlap (holidays here close at most a few weeks).
        const rule = p.channels[channel];
        expect(rule.respectBusinessHours && rule.allowedHours !== null, 'only disjoint hours may never open').to.equal(true);
        return false;
      }
      const t = at.getTime();
      const rt = r.getTime();
      expect(rt).to.be.at.least(t);
      expect(oracleOpen(p, holidays, channel, rt), `opening ${r.toISOString()} is open`).to.equal(true);
      expect(isSendOpen(p, holidays, channel, r)).to.equal(true);
      expect(nextSendOpening(p, holidays, channel, r).getTime(), 'fixed point').to.equal(rt);
      expect(rt === t).to.equal(oracleOpen(p, holidays, channel, t));
      if (rt === t) return false;
      // The instant just before is closed: the opening is the earliest, to the millisecond.
      expect(oracleOpen(p, holidays, channel, rt - 1), `just before ${r.toISOString()}`).to.equal(false);
      // Minute marks between at and the opening, sampled: the first and last two hours, and 200 spread between.
      const first = Math.ceil(t / 60_000) * 60_000;
      const marks = new Set<number>();
      for (let i = 0; i < 120; i++) {
        marks.add(first + i * 60_000);
        marks.add(Math.floor((rt - 1) / 60_000) * 60_000 - i * 60_000);
      }
      const span = Math.max(0, rt - first);
      for (let i = 0; i < 200; i++) marks.add(first + Math.floor((span * i) / 200 / 60_000) * 60_000);
      for (const m of marks) {
        if (m < t || m >= rt) continue;
        expect(oracleOpen(p, holidays, channel, m), `${new Date(m).toISOString()} lies between ${at.toISOString()} and ${r.toISOString()} and is open`).to.equal(false);
      }
      return true;
    }

    it('the opening is ≥ at, open, a fixed point, and nothing opens between at and it', () => {
      let deferred = 0;
      fc.assert(
        fc.property(scenario, ({ p, holidays, channel, at }) => {
          if (checkOpening(p, holidays, channel, at)) deferred++;
        }),
        { numRuns: 400 },
      );
      expect(deferred, 'the generator exercises deferrals').to.be.greaterThan(50);
    });

    it('the same around DST changes, with window edges near the changed hour', () => {
      // [zone, instant of a 2026 change, local minute of day the change happens at]
      const changes: [string, string, number][] = [
        ['Europe/London', '2026-03-29T01:00:00Z', 60],
        ['Europe/London', '2026-10-25T01:00:00Z', 60],
        ['America/New_York', '2026-03-08T07:00:00Z', 120],
        ['America/New_York', '2026-11-01T06:00:00Z', 60],
        ['America/Santiago', '2026-09-06T04:00:00Z', 0],
        ['America/Santiago', '2026-04-05T03:00:00Z', 0],
        ['Australia/Lord_Howe', '2026-10-03T15:30:00Z', 120],
        ['Australia/Lord_Howe', '2026-04-04T15:00:00Z', 90],
      ];
      const edge = (around: number) => fc.integer({ min: Math.max(0, around - 90), max: around + 90 });
      const arb = fc
        .constantFrom(...changes)
        .chain(([tz, change, wall]) =>
          fc.record({
            tz: fc.constant(tz),
            at: fc.integer({ min: Date.parse(change) - 2 * 86_400_000, max: Date.parse(change) + 3_600_000 }),
            start: edge(wall),
            length: fc.integer({ min: 1, max: 240 }),
            rule: fc.record({ respectBusinessHours: fc.boolean(), allowedHours: fc.constant(null) }),
            days: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }),
          }),
        );
      let deferred = 0;
      fc.assert(
        fc.property(arb, ({ tz, at, start, length, rule, days }) => {
          const businessHours = { start: hhmm(start), end: hhmm(Math.min(1440, start + length)) };
          const p = policy({ timezone: tz, businessDays: days, businessHours, channels: { email: rule } });
          if (checkOpening(p, [], 'email', new Date(at))) deferred++;
        }),
        { numRuns: 400 },
      );
      expect(deferred).to.be.greaterThan(50);
    });

    it('isSendOpen agrees with the oracle at random instants', () => {
      fc.assert(
        fc.property(scenario, fc.integer({ min: 0, max: 14 * 86_400_000 }), ({ p, holidays, channel, at }, shift) => {
          const t = at.getTime() + shift;
          expect(isSendOpen(p, holidays, channel, new Date(t))).to.equal(oracleOpen(p, holidays, channel, t));
        }),
        { numRuns: 500 },
      );
    });
  });
});

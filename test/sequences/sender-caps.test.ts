// Per-sender pacing (engine/outbox/sender-caps.ts, db/sender-usage-repository.ts): daily caps,
// ramp-up, minimum gap, spreading and jitter. The property: across random batches, send
// windows and restarts (the state written and read back, or the database reopened), no
// sender's day ever gets more slots than its cap, slots keep the gap, every slot is inside the
// window, and every message gets a slot (nothing dropped).
import { expect } from 'chai';
import fc from 'fast-check';
import {
  EMPTY_SENDER_STATE,
  isSendOpen,
  localDateOf,
  planSenderSlot,
  resolveSendPolicy,
  senderCapOn,
  senderLimitsOf,
  type SendPolicy,
  type SenderLimits,
  type SenderState,
} from '../../engine/index.js';
import { SenderUsageRepository } from '../../db/sender-usage-repository.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';

const riyadh = (wall: string): Date => new Date(`${wall}+03:00`);
const base = (limits: Partial<SenderLimits>): SenderLimits => ({ dailyCap: null, rampUp: null, minGapSeconds: 0, spread: false, jitterSeconds: 0, ...limits });

const limitsArb: fc.Arbitrary<SenderLimits> = fc.record({
  dailyCap: fc.option(fc.integer({ min: 1, max: 12 }), { nil: null }),
  rampUp: fc.option(fc.record({ startPerDay: fc.integer({ min: 1, max: 4 }), dailyIncreasePercent: fc.integer({ min: 0, max: 150 }) }), { nil: null }),
  minGapSeconds: fc.integer({ min: 0, max: 7_200 }),
  spread: fc.boolean(),
  jitterSeconds: fc.integer({ min: 0, max: 900 }),
});

const policyArb: fc.Arbitrary<SendPolicy> = fc
  .record({
    timezone: fc.constantFrom('Asia/Riyadh', 'Asia/Dubai', 'Europe/London', 'America/New_York'),
    start: fc.integer({ min: 0, max: 14 }),
    hours: fc.integer({ min: 1, max: 9 }),
    days: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }),
  })
  .map(({ timezone, start, hours, days }) =>
    resolveSendPolicy({
      timezone,
      businessDays: days,
      businessHours: { start: `${String(start).padStart(2, '0')}:00`, end: `${String(start + hours).padStart(2, '0')}:00` },
    }),
  );

/** Batches: minutes after the previous batch, how many messages, and whether the process restarts before it. */
const batchesArb = fc.array(fc.record({ afterMinutes: fc.integer({ min: 0, max: 3 * 24 * 60 }), size: fc.integer({ min: 1, max: 25 }), restart: fc.boolean() }), { minLength: 1, maxLength: 6 });

function checkSlots(limits: SenderLimits, policy: SendPolicy, slots: Array<{ at: Date; day: string; asked: Date }>, firstDay: string | null): void {
  const perDay = new Map<string, number>();
  let previous: number | null = null;
  for (const s of slots) {
    expect(s.at.getTime()).to.be.at.least(s.asked.getTime());
    expect(isSendOpen(policy, [], 'whatsapp', s.at), `slot ${s.at.toISOString()} inside the window`).to.equal(true);
    expect(localDateOf(s.at, policy.timezone)).to.equal(s.day);
    perDay.set(s.day, (perDay.get(s.day) ?? 0) + 1);
    if (previous !== null) expect(s.at.getTime() - previous, 'minimum gap').to.be.at.least(limits.minGapSeconds * 1000);
    previous = s.at.getTime();
  }
  for (const [day, n] of perDay) {
    const cap = senderCapOn(limits, firstDay, day);
    if (cap !== null) expect(n, `slots on ${day}`).to.be.at.most(cap);
  }
}

describe('sequences: sender caps, ramp-up, gap and spreading', () => {
  it('a daily cap moves the rest of a batch to the next business day, never drops it', () => {
    const policy = resolveSendPolicy({});
    const limits = base({ dailyCap: 3 });
    let state: SenderState = EMPTY_SENDER_STATE;
    const days: string[] = [];
    for (let i = 0; i < 7; i++) {
      const slot = planSenderSlot({ limits, state, policy, holidays: [], channel: 'whatsapp', dayTimezone: policy.timezone, now: riyadh('2026-03-05T09:00:00') });
      state = slot.state;
      days.push(slot.day);
    }
    // Thursday 5 March: 3; Friday and Saturday are the weekend; Sunday 8: 3; Monday: 1.
    expect(days).to.deep.equal(['2026-03-05', '2026-03-05', '2026-03-05', '2026-03-08', '2026-03-08', '2026-03-08', '2026-03-09']);
  });

  it('ramp-up: a new sender starts at startPerDay and grows by the percentage each day, up to the cap', () => {
    const limits = base({ dailyCap: 100, rampUp: { startPerDay: 20, dailyIncreasePercent: 50 } });
    expect(senderCapOn(limits, '2026-03-01', '2026-03-01')).to.equal(20);
    expect(senderCapOn(limits, '2026-03-01', '2026-03-02')).to.equal(30);
    expect(senderCapOn(limits, '2026-03-01', '2026-03-03')).to.equal(45);
    expect(senderCapOn(limits, '2026-03-01', '2026-03-10')).to.equal(100);
    expect(senderCapOn(base({}), null, '2026-03-01')).to.equal(null);
  });

  it('spreading: a batch of 18 at 09:00 with a cap of 18 goes out every 30 minutes across 09:00–18:00 instead of a burst', () => {
    const policy = resolveSendPolicy({});
    const limits = base({ dailyCap: 18, spread: true });
    let state: SenderState = EMPTY_SENDER_STATE;
    const at: string[] = [];
    for (let i = 0; i < 18; i++) {
      const slot = planSenderSlot({ limits, state, policy, holidays: [], channel: 'whatsapp', dayTimezone: policy.timezone, now: riyadh('2026-03-04T09:00:00') });
      state = slot.state;
      at.push(slot.at.toISOString());
    }
    expect(at[0]).to.equal('2026-03-04T06:00:00.000Z');
    expect(at[1]).to.equal('2026-03-04T06:30:00.000Z');
    expect(at[17]).to.equal('2026-03-04T14:30:00.000Z'); // 17:30 Riyadh: all inside the day's window
  });

  it('jitter adds a random 0…jitterSeconds to each gap', () => {
    const policy = resolveSendPolicy({});
    const limits = base({ minGapSeconds: 60, jitterSeconds: 100 });
    const first = planSenderSlot({ limits, state: EMPTY_SENDER_STATE, policy, holidays: [], channel: 'email', dayTimezone: policy.timezone, now: riyadh('2026-03-04T10:00:00'), random: () => 0.5 });
    const second = planSenderSlot({ limits, state: first.state, policy, holidays: [], channel: 'email', dayTimezone: policy.timezone, now: riyadh('2026-03-04T10:00:00'), random: () => 0.5 });
    expect(second.at.getTime() - first.at.getTime()).to.equal(110_000);
  });

  it('sender overrides by credential name take precedence over the channel defaults', () => {
    const policy = resolveSendPolicy({ senderLimits: { whatsapp: { dailyCap: 500, minGapSeconds: 5 } }, senders: { 'wa-new': { dailyCap: 50 } } });
    expect(senderLimitsOf(policy, 'whatsapp', 'wa-new')).to.deep.include({ dailyCap: 50, minGapSeconds: 5 });
    expect(senderLimitsOf(policy, 'whatsapp', 'wa-old')).to.deep.include({ dailyCap: 500, minGapSeconds: 5 });
    expect(senderLimitsOf(policy, 'sms', 'x')).to.deep.include({ dailyCap: null, minGapSeconds: 0 });
    // Credential names may be Arabic; an override is kept by the policy as given.
    const arabic = resolveSendPolicy({ senders: { 'واتساب المبيعات': { dailyCap: 40 } } });
    expect(senderLimitsOf(arabic, 'whatsapp', 'واتساب المبيعات')).to.deep.include({ dailyCap: 40 });
  });

  it('property: caps, gaps and windows hold across random batches, windows and restarts (state written and read back)', () => {
    fc.assert(
      fc.property(limitsArb, policyArb, batchesArb, fc.integer({ min: 0, max: 1_000_000 }), (limits, policy, batches, seed) => {
        let rnd = seed;
        const random = (): number => ((rnd = (rnd * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
        let stored = JSON.stringify(EMPTY_SENDER_STATE);
        let state = JSON.parse(stored) as SenderState;
        let now = Date.UTC(2026, 2, 1, 5, 0);
        const slots: Array<{ at: Date; day: string; asked: Date }> = [];
        for (const batch of batches) {
          now += batch.afterMinutes * 60_000;
          if (batch.restart) state = JSON.parse(stored) as SenderState; // a restart knows only what was stored
          for (let i = 0; i < batch.size; i++) {
            const asked = new Date(now);
            const slot = planSenderSlot({ limits, state, policy, holidays: [], channel: 'whatsapp', dayTimezone: policy.timezone, now: asked, random });
            state = slot.state;
            stored = JSON.stringify(state); // committed with the reservation
            slots.push({ at: slot.at, day: slot.day, asked });
          }
        }
        expect(slots.length).to.equal(batches.reduce((n, b) => n + b.size, 0));
        checkSlots(limits, policy, slots, state.firstDay);
      }),
      { numRuns: 60 },
    );
  });

  describe('durable state (SQLite, reopened between batches)', () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase('sqlite');
    });
    after(async () => {
      await t?.db.close();
      await t?.drop();
    });

    it('property: a reopened database resumes the counters, caps are never exceeded', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(limitsArb, policyArb, batchesArb, async (limits, policy, batches) => {
          const key = `whatsapp:run-${run++}`;
          let db = t.db;
          const opened: (typeof db)[] = [];
          let now = Date.UTC(2026, 2, 1, 5, 0);
          const slots: Array<{ at: Date; day: string; asked: Date }> = [];
          try {
            for (const batch of batches) {
              now += batch.afterMinutes * 60_000;
              if (batch.restart) {
                db = await t.reopen();
                opened.push(db);
              }
              const repo = new SenderUsageRepository(db, 't1');
              for (let i = 0; i < batch.size; i++) {
                const asked = new Date(now);
                await db.sql.transaction(async (q) => {
                  const state = await repo.load(key, q, true);
                  const slot = planSenderSlot({ limits, state, policy, holidays: [], channel: 'whatsapp', dayTimezone: policy.timezone, now: asked, random: () => 0.25 });
                  await repo.save(key, slot.state, q, now);
                  slots.push({ at: slot.at, day: slot.day, asked });
                });
              }
            }
            const final = await new SenderUsageRepository(t.db, 't1').load(key);
            checkSlots(limits, policy, slots, final.firstDay);
          } finally {
            for (const d of opened) await d.close();
          }
        }),
        { numRuns: 25 },
      );
    });
  });
});

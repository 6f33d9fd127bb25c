// Per-sender pacing: a sender (a WhatsApp number, an SMS sender id, a mailbox — the credential
// a message goes out with) has a daily cap, a ramp-up while it is new, a minimum gap between
// messages and optional spreading of the day's cap across the send window (plus jitter), so a
// batch of 2,000 enrollments at 09:00 goes out over the day instead of as a burst. Pure: the
// outbox keeps the state (SenderState) in the `sender_usage` table and reserves a slot for
// every message inside its decide transaction. Work over a cap moves to a later day's window:
// never dropped.
import { MAX_SEARCH_DAYS, NoSendOpeningError, nextSendOpening, windowLengthMs } from './send-window.js';
import { type Channel, type Holiday, type SendPolicy, type SenderLimits } from './send-policy.js';
import { daysBetween, localDateOf, nextLocalDayStart } from './zoned-time.js';

/** What is kept per sender (durably: restarts must not reset it). */
export interface SenderState {
  /** Local date ('YYYY-MM-DD', the day zone) of the sender's first reserved message: ramp-up day 0. */
  firstDay: string | null;
  /** The latest slot reserved (epoch ms). */
  lastSlotAt: number | null;
  /** Slots reserved per local date; dates before today are dropped. */
  counts: Record<string, number>;
}

export const EMPTY_SENDER_STATE: SenderState = Object.freeze({ firstDay: null, lastSlotAt: null, counts: Object.freeze({}) }) as SenderState;

/** The most messages the sender may send on local date `day`; null: no cap. */
export function senderCapOn(limits: SenderLimits, firstDay: string | null, day: string): number | null {
  let cap = limits.dailyCap;
  if (limits.rampUp) {
    const n = firstDay === null ? 0 : Math.max(0, daysBetween(firstDay, day));
    // Compounded growth: start × (1 + p/100)^n, whole messages, bounded.
    const ramp = Math.min(10_000_000, Math.floor(limits.rampUp.startPerDay * Math.pow(1 + limits.rampUp.dailyIncreasePercent / 100, Math.min(n, 400)) + 1e-9));
    cap = cap === null ? ramp : Math.min(cap, ramp);
  }
  return cap;
}

export interface SenderSlotInput {
  limits: SenderLimits;
  state: SenderState;
  /** The window the message must go in (the recipient's, see outbox: contact time zone). */
  policy: SendPolicy;
  holidays: readonly Holiday[];
  channel: Channel;
  /** The zone of the sender's "day" (caps, ramp-up): the tenant's. */
  dayTimezone: string;
  now: Date;
  /** 0 ≤ random() < 1, for the jitter (Math.random by default). */
  random?: () => number;
}

export interface SenderSlot {
  /** When the message may go (≥ now, inside the window). */
  at: Date;
  /** The local date (dayTimezone) it counts on. */
  day: string;
  /** The state with this slot reserved. */
  state: SenderState;
}

/**
 * The earliest instant ≥ now at which the sender may send one more message: inside the send
 * window, at least the gap after the last reserved slot, on a day whose cap is not reached.
 * Returns the reserved slot and the new state. Throws NoSendOpeningError when nothing opens.
 */
export function planSenderSlot(input: SenderSlotInput): SenderSlot {
  const { limits, state, policy, holidays, channel, dayTimezone, now } = input;
  const random = input.random ?? Math.random;
  const jitterMs = limits.jitterSeconds > 0 ? Math.floor(random() * limits.jitterSeconds * 1000) : 0;
  const windowMs = windowLengthMs(policy, channel);
  const gapOn = (day: string): number => {
    let gap = limits.minGapSeconds * 1000;
    const cap = senderCapOn(limits, state.firstDay ?? day, day);
    if (limits.spread && cap !== null && windowMs > 0) gap = Math.max(gap, Math.floor(windowMs / cap));
    return gap + jitterMs;
  };
  let candidate = now.getTime();
  // Each pass moves the candidate forward (to a later day or past the gap): bounded.
  for (let i = 0; i < 4 * MAX_SEARCH_DAYS; i++) {
    const opening = nextSendOpening(policy, holidays, channel, new Date(candidate)).getTime();
    const day = localDateOf(new Date(opening), dayTimezone);
    const cap = senderCapOn(limits, state.firstDay ?? day, day);
    if (cap !== null && (state.counts[day] ?? 0) >= cap) {
      candidate = nextLocalDayStart(new Date(opening), dayTimezone).getTime();
      continue;
    }
    if (state.lastSlotAt !== null) {
      const earliest = state.lastSlotAt + gapOn(day);
      if (opening < earliest) {
        candidate = earliest;
        continue;
      }
    }
    const today = localDateOf(now, dayTimezone);
    const counts: Record<string, number> = {};
    for (const [d, n] of Object.entries(state.counts)) if (d >= today) counts[d] = n;
    counts[day] = (counts[day] ?? 0) + 1;
    return {
      at: new Date(opening),
      day,
      state: { firstDay: state.firstDay ?? day, lastSlotAt: Math.max(state.lastSlotAt ?? 0, opening), counts },
    };
  }
  throw new NoSendOpeningError(channel, now, 'the sender’s caps leave no day open');
}

// When may a message go? Pure functions of (policy, holidays, channel, instant): the outbox
// calls them before every send. A send outside its window waits for the next opening; a send
// over a daily cap waits for the next local day. Nothing is dropped.
import {
  CHANNELS,
  isHoliday,
  validateSendPolicy,
  wallTimeMs,
  type Channel,
  type Holiday,
  type SendPolicy,
} from './send-policy.js';
import type { FlowError } from '../flow/flow-error.js';
import { addDays, earliestOnDate, localDateTime, nextLocalDayStart, weekdayOf, type LocalDateTime } from './zoned-time.js';

/** How far ahead the next opening is looked for before giving up. */
export const MAX_SEARCH_DAYS = 400;

/** The policy never lets this channel send (every day closed, or hours that never overlap). */
export class NoSendOpeningError extends Error {
  override readonly name = 'NoSendOpeningError';
  readonly code = 'no_send_opening';
  constructor(
    readonly channel: Channel,
    readonly from: Date,
    reason: string,
  ) {
    super(`no ${channel} send opening within ${MAX_SEARCH_DAYS} days of ${from.toISOString()}: ${reason}`);
    Object.setPrototypeOf(this, NoSendOpeningError.prototype);
  }
}

interface Window {
  tz: string;
  /** Local time-of-day bounds in ms: open while fromMs ≤ wall < toMs. */
  fromMs: number;
  toMs: number;
  dayOpen(date: string): boolean;
}

function windowOf(policy: SendPolicy, holidays: readonly Holiday[], channel: Channel): Window {
  const rule = policy.channels[channel];
  if (!rule) throw new RangeError(`unknown channel: ${String(channel)} (one of ${CHANNELS.join(', ')})`);
  let fromMs = 0;
  let toMs = 24 * 3_600_000;
  if (rule.respectBusinessHours) {
    fromMs = Math.max(fromMs, wallTimeMs(policy.businessHours.start));
    toMs = Math.min(toMs, wallTimeMs(policy.businessHours.end));
  }
  if (rule.allowedHours) {
    fromMs = Math.max(fromMs, wallTimeMs(rule.allowedHours.start));
    toMs = Math.min(toMs, wallTimeMs(rule.allowedHours.end));
  }
  const days = new Set(policy.businessDays);
  const dayOpen = rule.respectBusinessHours ? (date: string) => days.has(weekdayOf(date)) && !isHoliday(holidays, date) : () => true;
  return { tz: policy.timezone, fromMs, toMs, dayOpen };
}

const inside = (w: Window, local: LocalDateTime): boolean => w.fromMs <= local.wallMs && local.wallMs < w.toMs && w.dayOpen(local.date);

function instantOf(at: Date): number {
  const t = at instanceof Date ? at.getTime() : NaN;
  if (!Number.isFinite(t)) throw new RangeError('`at` must be a valid Date');
  return t;
}

/** Whether `channel` may send at `at` under the policy (business days and hours, holidays, hour bounds). */
export function isSendOpen(policy: SendPolicy, holidays: readonly Holiday[], channel: Channel, at: Date): boolean {
  const w = windowOf(policy, holidays, channel);
  return w.fromMs < w.toMs && inside(w, localDateTime(instantOf(at), w.tz));
}

/**
 * `at` (the same instant, as a new Date) when `channel` may send now, else the earliest instant
 * after it when it may: on a business day that is no holiday, inside business hours and the
 * channel's hour bound, in the policy's time zone. Throws NoSendOpeningError when nothing opens
 * within MAX_SEARCH_DAYS (a policy that never opens), so it always terminates.
 */
export function nextSendOpening(policy: SendPolicy, holidays: readonly Holiday[], channel: Channel, at: Date): Date {
  const t = instantOf(at);
  const w = windowOf(policy, holidays, channel);
  if (w.fromMs >= w.toMs) throw new NoSendOpeningError(channel, at, 'its allowed hours do not overlap the business hours');
  const now = localDateTime(t, w.tz);
  if (inside(w, now)) return new Date(t);
  for (let i = 0; i <= MAX_SEARCH_DAYS; i++) {
    const date = addDays(now.date, i);
    if (!w.dayOpen(date)) continue;
    const opening = earliestOnDate(date, w.tz, w.fromMs, t, (local) => inside(w, local));
    if (opening !== null) return new Date(opening);
  }
  throw new NoSendOpeningError(channel, at, 'no business day without a holiday');
}

/**
 * Problems that only the window search finds: a channel that never opens (no business day, or
 * hour bounds that do not overlap). Includes validateSendPolicy's. Holidays are not considered
 * (they close days, never a whole year's weeks).
 */
export function sendPolicyProblems(policy: SendPolicy, base = ''): FlowError[] {
  const errors = validateSendPolicy(policy, base);
  if (errors.length) return errors;
  const probe = new Date(Date.UTC(2026, 0, 1));
  for (const channel of CHANNELS) {
    try {
      nextSendOpening(policy, [], channel, probe);
    } catch (err) {
      if (!(err instanceof NoSendOpeningError)) throw err;
      errors.push({ path: `${base}/channels/${channel}`, code: 'never_opens', message: `${channel} could never send: ${err.message.replace(/^.*?: /, '')}` });
    }
  }
  return errors;
}

export interface SentToday {
  /** Messages on this channel already sent to this contact during the current local day. */
  sentTodayForContact: number;
  /** Messages on this channel the tenant already sent during the current local day. */
  sentTodayForTenant: number;
}

export type CapDecision =
  | { ok: true }
  | { ok: false; reason: 'contact_cap' | 'tenant_cap'; limit: number; retryAt: Date };

/**
 * Whether one more message on `channel` stays within the daily caps. The counts are of the
 * tenant's local day containing `at` (Asia/Riyadh by default); over a cap, `retryAt` is the
 * start of the next local day (then pass it through nextSendOpening). The contact cap is
 * checked first.
 */
export function capDecision(counts: SentToday, policy: SendPolicy, channel: Channel, at: Date): CapDecision {
  const contactCap = policy.caps.perContactPerDay[channel];
  const tenantCap = policy.caps.perTenantPerDay[channel];
  const over = (reason: 'contact_cap' | 'tenant_cap', limit: number): CapDecision => ({ ok: false, reason, limit, retryAt: nextLocalDayStart(new Date(instantOf(at)), policy.timezone) });
  if (contactCap !== null && contactCap !== undefined && counts.sentTodayForContact >= contactCap) return over('contact_cap', contactCap);
  if (tenantCap !== null && tenantCap !== undefined && counts.sentTodayForTenant >= tenantCap) return over('tenant_cap', tenantCap);
  return { ok: true };
}

export type SendPlan =
  | { action: 'send' }
  | { action: 'defer'; until: Date; reason: 'outside_window' | 'contact_cap' | 'tenant_cap' };

/**
 * Both checks in the order the outbox applies them: outside the window → defer to the next
 * opening (counts are re-read then); inside it but over a cap → defer to the first opening of a
 * later local day.
 */
export function planSend(policy: SendPolicy, holidays: readonly Holiday[], channel: Channel, at: Date, counts: SentToday): SendPlan {
  const opening = nextSendOpening(policy, holidays, channel, at);
  if (opening.getTime() !== at.getTime()) return { action: 'defer', until: opening, reason: 'outside_window' };
  const caps = capDecision(counts, policy, channel, at);
  if (caps.ok) return { action: 'send' };
  return { action: 'defer', until: nextSendOpening(policy, holidays, channel, caps.retryAt), reason: caps.reason };
}

/** Length of one day's opening of `channel` (local wall time, ms); 0 when it never opens. */
export function windowLengthMs(policy: SendPolicy, channel: Channel): number {
  const w = windowOf(policy, [], channel);
  return Math.max(0, w.toMs - w.fromMs);
}

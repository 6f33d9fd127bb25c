// A tenant's send policy: when outbound messages may go (business days and hours in the
// tenant's time zone, per-channel hour bounds) and how many per day (per contact, per tenant).
// The TypeBox schema is the API's and the storage's; every property has a default, so `{}` is
// the Saudi default policy. See engine/outbox/README.md.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FlowError } from '../flow/flow-error.js';
import { isValidTimeZone, parseDateKey } from './zoned-time.js';

// One channel vocabulary for consent and sending (engine/consent/consent-rule.ts).
import { CHANNELS, type Channel } from '../consent/consent-rule.js';
export { CHANNELS, type Channel };

export const DEFAULT_TIMEZONE = 'Asia/Riyadh';

/** 'HH:MM' local wall time, 00:00–23:59 (a range's end may also be 24:00: through midnight). */
export interface TimeRange {
  start: string;
  end: string;
}

export interface ChannelRule {
  /** Send only on business days, inside business hours, and not on holidays. */
  respectBusinessHours: boolean;
  /** A hard bound on the local time of day, applied every day even when business hours are not respected (SMS: 09:00–21:00). Null: none. */
  allowedHours: TimeRange | null;
}

/** Messages a day per channel; null: no cap. */
export type ChannelCaps = Record<Channel, number | null>;

export interface SendPolicy {
  /** IANA time zone of the business hours, holidays and the "day" of caps. */
  timezone: string;
  /** Days of the week sending is allowed, 0 = Sunday … 6 = Saturday (default Sun–Thu). */
  businessDays: number[];
  businessHours: TimeRange;
  channels: Record<Channel, ChannelRule>;
  caps: { perContactPerDay: ChannelCaps; perTenantPerDay: ChannelCaps };
  /**
   * Per-sender limits (a sender is the credential a message goes out with: a WhatsApp number,
   * an SMS sender id, a mailbox; the sandbox is `sandbox`): the defaults of every sender of a
   * channel, and overrides by credential name. See engine/outbox/sender-caps.ts.
   */
  senderLimits: Record<'whatsapp' | 'sms' | 'email', SenderLimits>;
  senders: Record<string, Partial<SenderLimits>>;
}

/** How fast one sender may go. The defaults limit nothing. */
export interface SenderLimits {
  /** Messages this sender may send per local day (the policy's zone); null: no cap. */
  dailyCap: number | null;
  /** A new sender's warm-up: day 0 (its first sending day) allows `startPerDay`, each later day `dailyIncreasePercent` % more, never above dailyCap. */
  rampUp: { startPerDay: number; dailyIncreasePercent: number } | null;
  /** At least this long between two messages of the sender. */
  minGapSeconds: number;
  /** Spread the day's cap evenly over the send window (gap ≥ window length ÷ cap of the day). */
  spread: boolean;
  /** A random extra delay of 0…jitterSeconds added to every gap. */
  jitterSeconds: number;
}

export const NO_SENDER_LIMITS: SenderLimits = Object.freeze({ dailyCap: null, rampUp: null, minGapSeconds: 0, spread: false, jitterSeconds: 0 });

export const DEFAULT_SEND_POLICY: SendPolicy = deepFreeze({
  timezone: DEFAULT_TIMEZONE,
  businessDays: [0, 1, 2, 3, 4],
  businessHours: { start: '09:00', end: '18:00' },
  channels: {
    whatsapp: { respectBusinessHours: true, allowedHours: null },
    email: { respectBusinessHours: true, allowedHours: null },
    sms: { respectBusinessHours: true, allowedHours: { start: '09:00', end: '21:00' } },
    call: { respectBusinessHours: true, allowedHours: null },
  },
  caps: {
    perContactPerDay: { whatsapp: 3, sms: 2, email: 5, call: null },
    perTenantPerDay: { whatsapp: 10_000, sms: 5_000, email: 20_000, call: null },
  },
  senderLimits: { whatsapp: { ...NO_SENDER_LIMITS }, sms: { ...NO_SENDER_LIMITS }, email: { ...NO_SENDER_LIMITS } },
  senders: {},
});

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const START = '^(?:[01]\\d|2[0-3]):[0-5]\\d$';
const END = '^(?:(?:[01]\\d|2[0-3]):[0-5]\\d|24:00)$';

const TimeRangeSchema = (description: string, defaultValue?: TimeRange) =>
  Type.Object(
    {
      start: Type.String({ pattern: START, description: 'HH:MM, local time, inclusive' }),
      end: Type.String({ pattern: END, description: 'HH:MM, local time, exclusive (24:00: through midnight)' }),
    },
    { additionalProperties: false, description, ...(defaultValue ? { default: defaultValue } : {}) },
  );

const ChannelRuleSchema = (channel: Channel) => {
  const d = DEFAULT_SEND_POLICY.channels[channel];
  return Type.Optional(
    Type.Object(
      {
        respectBusinessHours: Type.Optional(Type.Boolean({ default: d.respectBusinessHours, description: 'send only on business days, in business hours, not on holidays' })),
        allowedHours: Type.Optional(
          Type.Union([TimeRangeSchema('hard time-of-day bound, every day'), Type.Null()], {
            default: d.allowedHours,
            description: 'sending allowed only inside these local hours, whatever the business hours; null: no bound',
          }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  );
};

const CapsSchema = (which: 'perContactPerDay' | 'perTenantPerDay', description: string) => {
  const cap = (c: Channel) => Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 10_000_000 }), Type.Null()], { default: DEFAULT_SEND_POLICY.caps[which][c] }));
  return Type.Optional(
    Type.Object({ whatsapp: cap('whatsapp'), email: cap('email'), sms: cap('sms'), call: cap('call') }, { additionalProperties: false, default: {}, description }),
  );
};

const senderLimitFields = (withDefaults: boolean) => {
  const d = <T>(value: T) => (withDefaults ? { default: value } : {});
  return {
    dailyCap: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 10_000_000 }), Type.Null()], { ...d(null), description: 'messages this sender may send per local day; null: no cap' })),
    rampUp: Type.Optional(
      Type.Union(
        [
          Type.Object(
            {
              startPerDay: Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'messages allowed on the sender’s first sending day' }),
              dailyIncreasePercent: Type.Integer({ minimum: 0, maximum: 1000, description: 'each later day allows this much more (compounded), never above dailyCap' }),
            },
            { additionalProperties: false },
          ),
          Type.Null(),
        ],
        { ...d(null), description: 'warm-up of a new sender; null: none' },
      ),
    ),
    minGapSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400, ...d(0), description: 'at least this many seconds between two messages of the sender' })),
    spread: Type.Optional(Type.Boolean({ ...d(false), description: 'spread the day’s cap evenly across the send window instead of a burst at the opening' })),
    jitterSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600, ...d(0), description: 'random extra delay (0…jitterSeconds) added to every gap' })),
  };
};
const SenderLimitsSchema = (description: string) => Type.Optional(Type.Object(senderLimitFields(true), { additionalProperties: false, default: {}, description }));

/** The policy as the API takes it: every property optional, defaults filled in (ajv useDefaults or resolveSendPolicy). */
export const SendPolicySchema = Type.Object(
  {
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, default: DEFAULT_TIMEZONE, description: 'IANA time zone, e.g. Asia/Riyadh' })),
    businessDays: Type.Optional(
      Type.Array(Type.Integer({ minimum: 0, maximum: 6 }), {
        minItems: 1,
        maxItems: 7,
        uniqueItems: true,
        default: DEFAULT_SEND_POLICY.businessDays,
        description: '0 = Sunday … 6 = Saturday; default Sunday–Thursday (Friday–Saturday weekend)',
      }),
    ),
    businessHours: Type.Optional(TimeRangeSchema('local business hours', DEFAULT_SEND_POLICY.businessHours)),
    channels: Type.Optional(
      Type.Object(
        {
          whatsapp: ChannelRuleSchema('whatsapp'),
          email: ChannelRuleSchema('email'),
          sms: ChannelRuleSchema('sms'),
          call: ChannelRuleSchema('call'),
        },
        { additionalProperties: false, default: {} },
      ),
    ),
    caps: Type.Optional(
      Type.Object(
        {
          perContactPerDay: CapsSchema('perContactPerDay', 'messages one contact may receive per local day, per channel; null: no cap'),
          perTenantPerDay: CapsSchema('perTenantPerDay', 'messages the tenant may send per local day, per channel; null: no cap'),
        },
        { additionalProperties: false, default: {} },
      ),
    ),
    senderLimits: Type.Optional(
      Type.Object(
        {
          whatsapp: SenderLimitsSchema('every WhatsApp sender (number) unless overridden'),
          sms: SenderLimitsSchema('every SMS sender id unless overridden'),
          email: SenderLimitsSchema('every mailbox unless overridden'),
        },
        { additionalProperties: false, default: {}, description: 'per-sender daily cap, ramp-up, minimum gap and spreading, per channel' },
      ),
    ),
    senders: Type.Optional(
      Type.Record(Type.String(), Type.Object(senderLimitFields(false), { additionalProperties: false }), {
        default: {},
        additionalProperties: false,
        maxProperties: 200,
        description: 'overrides by sender: the credential name (or "sandbox")',
      }),
    ),
  },
  { additionalProperties: false },
);

/** The limits of one sender: its channel's defaults, then its own overrides. */
export function senderLimitsOf(policy: SendPolicy, channel: 'whatsapp' | 'sms' | 'email', sender: string): SenderLimits {
  const base = policy.senderLimits?.[channel] ?? NO_SENDER_LIMITS;
  const own = Object.hasOwn(policy.senders ?? {}, sender) ? policy.senders[sender] : undefined;
  return { ...NO_SENDER_LIMITS, ...base, ...(own ?? {}) };
}

export type SendPolicyInput = Static<typeof SendPolicySchema>;

/** 'HH:MM' → ms since local midnight. */
export function wallTimeMs(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return ((h ?? 0) * 60 + (m ?? 0)) * 60_000;
}

/**
 * A complete policy from a stored or submitted one (missing parts take their defaults). An
 * invalid one (an older stored shape) yields the default policy in `fallbackTimezone`.
 */
export function resolveSendPolicy(input?: unknown, fallbackTimezone: string = DEFAULT_TIMEZONE): SendPolicy {
  const base = input !== null && typeof input === 'object' && !Array.isArray(input) ? structuredClone(input) : {};
  const withTz = 'timezone' in base ? base : { ...base, timezone: fallbackTimezone };
  const value = Value.Default(SendPolicySchema, withTz);
  if (Value.Check(SendPolicySchema, value) && validateSendPolicy(value as SendPolicy).length === 0) return value as SendPolicy;
  return { ...structuredClone(DEFAULT_SEND_POLICY), timezone: isValidTimeZone(fallbackTimezone) ? fallbackTimezone : DEFAULT_TIMEZONE };
}

/**
 * What the schema cannot say: a known time zone, ranges that end after they start. (Whether
 * every channel ever opens is checked by `sendPolicyProblems`, which runs the window search.)
 */
export function validateSendPolicy(policy: SendPolicy, base = ''): FlowError[] {
  const errors: FlowError[] = [];
  if (!isValidTimeZone(policy.timezone)) errors.push({ path: `${base}/timezone`, code: 'unknown_timezone', message: `unknown time zone: ${policy.timezone}` });
  const range = (r: TimeRange, path: string): void => {
    if (wallTimeMs(r.start) >= wallTimeMs(r.end)) errors.push({ path, code: 'empty_range', message: `start (${r.start}) must be before end (${r.end})` });
  };
  range(policy.businessHours, `${base}/businessHours`);
  for (const c of CHANNELS) {
    const allowed = policy.channels[c].allowedHours;
    if (allowed) range(allowed, `${base}/channels/${c}/allowedHours`);
  }
  return errors;
}

export interface HolidayName {
  ar: string;
  en: string;
}

/** A closed local day ({date}) or an inclusive range of them ({from, to}), 'YYYY-MM-DD' in the policy's time zone. */
export type Holiday = ({ date: string } | { from: string; to: string }) & { name?: HolidayName; approximate?: boolean };

export function holidayRange(h: Holiday): { from: string; to: string } {
  return 'date' in h ? { from: h.date, to: h.date } : { from: h.from, to: h.to };
}

/** Whether local date `date` ('YYYY-MM-DD') falls on one of the holidays. */
export function isHoliday(holidays: readonly Holiday[], date: string): boolean {
  for (const h of holidays) {
    const { from, to } = holidayRange(h);
    if (from <= date && date <= to) return true;
  }
  return false;
}

/** Problems with one holiday's dates: real calendar dates, from ≤ to, at most `maxDays` long. */
export function validateHolidayDates(from: string, to: string, base = '', maxDays = 62): FlowError[] {
  const errors: FlowError[] = [];
  const a = parseDateKey(from);
  const b = parseDateKey(to);
  if (!a) errors.push({ path: `${base}/from`, code: 'invalid_date', message: `not a calendar date: ${from}` });
  if (!b) errors.push({ path: `${base}/to`, code: 'invalid_date', message: `not a calendar date: ${to}` });
  if (a && b) {
    if (to < from) errors.push({ path: `${base}/to`, code: 'range_reversed', message: `to (${to}) is before from (${from})` });
    else if ((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000 + 1 > maxDays) {
      errors.push({ path: `${base}/to`, code: 'range_too_long', message: `a holiday spans at most ${maxDays} days` });
    }
  }
  return errors;
}

// The outbox's pure policy: send windows, holidays, daily caps and Hijri display (no I/O).
export {
  CHANNELS,
  DEFAULT_SEND_POLICY,
  DEFAULT_TIMEZONE,
  NO_SENDER_LIMITS,
  senderLimitsOf,
  type SenderLimits,
  SendPolicySchema,
  holidayRange,
  isHoliday,
  resolveSendPolicy,
  validateHolidayDates,
  validateSendPolicy,
  wallTimeMs,
  type Channel,
  type ChannelCaps,
  type ChannelRule,
  type Holiday,
  type HolidayName,
  type SendPolicy,
  type SendPolicyInput,
  type TimeRange,
} from './send-policy.js';
export {
  MAX_SEARCH_DAYS,
  NoSendOpeningError,
  capDecision,
  isSendOpen,
  nextSendOpening,
  planSend,
  sendPolicyProblems,
  windowLengthMs,
  type CapDecision,
  type SendPlan,
  type SentToday,
} from './send-window.js';
export {
  addDays,
  dateKey,
  isValidTimeZone,
  localDateOf,
  localDateTime,
  localDayStart,
  nextLocalDayStart,
  parseDateKey,
  startOfLocalDate,
  weekdayOf,
  type LocalDateTime,
} from './zoned-time.js';
export { EMPTY_SENDER_STATE, planSenderSlot, senderCapOn, type SenderSlot, type SenderSlotInput, type SenderState } from './sender-caps.js';
export { defaultSaudiHolidays, formatHijri, formatHijriDate, hijriDate, hijriOfDate, type DefaultHoliday, type DisplayLocale, type HijriDate } from './hijri.js';
export type { DeliveryStatusSink, DeliveryUpdate, Outbox, SendChannel, SendHooks, SendOrigin, SendRequest, SendResult, SendVariant, SendAbTest } from './send-contract.js';

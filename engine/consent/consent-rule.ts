// The PDPL consent rule, pure: which consents exist (channels × purposes), how long one lasts,
// how each consent event changes a consent, and whether a consent permits contacting someone
// at a given instant. It imports nothing, so the repository (db/contacts/), the API and the
// outbox all apply the very same rule: a send is allowed only when consentDecision says ok.

/** Channels a consent is given for: one consent never covers another channel. */
export const CHANNELS = ['whatsapp', 'sms', 'email', 'call'] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * Purposes of contact (PDPL: consent is specific to a purpose):
 * - `marketing`: offers, campaigns, outreach sequences;
 * - `service`: follow-up on the contact's own enquiry, appointments, support;
 * - `transactional`: messages about something the contact did or bought (quotes, invoices, receipts).
 */
export const PURPOSES = ['marketing', 'service', 'transactional'] as const;
export type Purpose = (typeof PURPOSES)[number];

export const CONSENT_STATUSES = ['granted', 'withdrawn', 'expired'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

/** How a consent was obtained (free text is refused: the list is what the UI and reports know). */
export const CONSENT_SOURCES = ['web_form', 'whatsapp_optin', 'sms_optin', 'email_optin', 'call_recording', 'in_person', 'import', 'api', 'opt_out_reply', 'erasure'] as const;
export type ConsentSource = (typeof CONSENT_SOURCES)[number];

export const CONSENT_EVENT_TYPES = ['grant', 'renew', 'withdraw', 'expire', 'blocked_send', 'erasure'] as const;
export type ConsentEventType = (typeof CONSENT_EVENT_TYPES)[number];

export type Label = { en: string; ar: string };

export const CHANNEL_LABELS: Record<Channel, Label> = {
  whatsapp: { en: 'WhatsApp', ar: 'واتساب' },
  sms: { en: 'SMS', ar: 'رسائل نصية' },
  email: { en: 'Email', ar: 'البريد الإلكتروني' },
  call: { en: 'Phone call', ar: 'مكالمة هاتفية' },
};

export const PURPOSE_LABELS: Record<Purpose, Label> = {
  marketing: { en: 'Marketing and offers', ar: 'التسويق والعروض' },
  service: { en: 'Service and follow-up', ar: 'الخدمة والمتابعة' },
  transactional: { en: 'Transactions (quotes, invoices, receipts)', ar: 'المعاملات (عروض الأسعار والفواتير والإيصالات)' },
};

export const CONSENT_STATUS_LABELS: Record<ConsentStatus, Label> = {
  granted: { en: 'Granted', ar: 'ممنوحة' },
  withdrawn: { en: 'Withdrawn', ar: 'مسحوبة' },
  expired: { en: 'Expired', ar: 'منتهية' },
};

export const DECISION_REASON_LABELS: Record<DecisionReason, Label> = {
  missing: { en: 'No consent recorded', ar: 'لا توجد موافقة مسجلة' },
  withdrawn: { en: 'Consent withdrawn', ar: 'سُحبت الموافقة' },
  expired: { en: 'Consent expired (older than 12 months)', ar: 'انتهت صلاحية الموافقة (أقدم من 12 شهرًا)' },
  wrong_channel: { en: 'Consent is for another channel', ar: 'الموافقة لقناة أخرى' },
  wrong_purpose: { en: 'Consent is for another purpose', ar: 'الموافقة لغرض آخر' },
};

/** A consent lasts this many calendar months from its grant or latest renewal. */
export const CONSENT_VALIDITY_MONTHS = 12;

/** The fields of a stored consent the rule reads (times in epoch ms, UTC). */
export interface ConsentState {
  channel: Channel;
  purpose: Purpose;
  status: ConsentStatus;
  grantedAt: number | null;
  renewedAt: number | null;
  withdrawnAt: number | null;
  expiresAt: number | null;
}

export type DecisionReason = 'missing' | 'withdrawn' | 'expired' | 'wrong_channel' | 'wrong_purpose';
export type ConsentDecision = { ok: true } | { ok: false; reason: DecisionReason };

/**
 * May the contact be reached on `channel` for `purpose` at instant `at` (epoch ms)?
 * Only when the consent is for exactly that channel and purpose, its status is `granted`, and
 * `at` is before its expiry — a consent past its expiry is invalid even before the expiry
 * sweep marks it `expired`.
 */
export function consentDecision(consent: ConsentState | null | undefined, request: { channel: Channel; purpose: Purpose; at: number }): ConsentDecision {
  if (!consent) return { ok: false, reason: 'missing' };
  if (consent.channel !== request.channel) return { ok: false, reason: 'wrong_channel' };
  if (consent.purpose !== request.purpose) return { ok: false, reason: 'wrong_purpose' };
  if (consent.status === 'withdrawn') return { ok: false, reason: 'withdrawn' };
  if (consent.status !== 'granted') return { ok: false, reason: 'expired' };
  if (consent.expiresAt === null || !(request.at < consent.expiresAt)) return { ok: false, reason: 'expired' };
  return { ok: true };
}

/**
 * `months` calendar months after `ms`, in UTC (time of day kept). A day the target month lacks
 * is clamped to its last day: 29 Feb 2028 + 12 months = 28 Feb 2029, 31 Mar + 1 month = 30 Apr.
 * UTC, not Asia/Riyadh: Riyadh is UTC+3 without DST, so the instant is the same either way
 * except around midnight, and UTC keeps the rule independent of any time zone database.
 */
export function addCalendarMonthsUtc(ms: number, months: number): number {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + months;
  const targetYear = year + Math.floor(month / 12);
  const targetMonth = ((month % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  const day = Math.min(d.getUTCDate(), lastDay);
  return Date.UTC(targetYear, targetMonth, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

/** When a consent granted or renewed at `ms` expires. */
export const consentExpiry = (ms: number): number => addCalendarMonthsUtc(ms, CONSENT_VALIDITY_MONTHS);

/** A change to a consent, as the repository applies it (the event it records has the same type). */
export type ConsentChange = { type: 'grant' | 'renew' | 'withdraw' | 'expire'; at: number };

/**
 * Refusals of a change. `renew` needs a granted or expired consent (a withdrawn one needs a new
 * grant, with new evidence); `expire` applies only to a granted consent past its expiry.
 * Withdrawing an already withdrawn consent is `unchanged` (idempotent), and withdrawing a
 * consent never given records the objection as a withdrawn consent.
 */
export type TransitionResult = { ok: true; next: ConsentState } | { ok: false; code: 'renew_not_allowed' | 'not_due' | 'unchanged' };

/** The one state machine of a consent: grant, renew, withdraw and expire. */
export function applyConsentChange(current: ConsentState | null, channel: Channel, purpose: Purpose, change: ConsentChange): TransitionResult {
  const base: ConsentState = current ?? { channel, purpose, status: 'withdrawn', grantedAt: null, renewedAt: null, withdrawnAt: null, expiresAt: null };
  switch (change.type) {
    case 'grant':
      return { ok: true, next: { ...base, status: 'granted', grantedAt: change.at, renewedAt: null, withdrawnAt: null, expiresAt: consentExpiry(change.at) } };
    case 'renew':
      if (!current || current.status === 'withdrawn') return { ok: false, code: 'renew_not_allowed' };
      return { ok: true, next: { ...current, status: 'granted', renewedAt: change.at, expiresAt: consentExpiry(change.at) } };
    case 'withdraw':
      if (current?.status === 'withdrawn') return { ok: false, code: 'unchanged' };
      return { ok: true, next: { ...base, status: 'withdrawn', withdrawnAt: change.at } };
    case 'expire':
      if (!current || current.status !== 'granted' || current.expiresAt === null || change.at < current.expiresAt) return { ok: false, code: 'not_due' };
      return { ok: true, next: { ...current, status: 'expired' } };
  }
}

export const isChannel = (v: unknown): v is Channel => typeof v === 'string' && (CHANNELS as readonly string[]).includes(v);
export const isPurpose = (v: unknown): v is Purpose => typeof v === 'string' && (PURPOSES as readonly string[]).includes(v);

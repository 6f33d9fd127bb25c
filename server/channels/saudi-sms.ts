// Saudi SMS rules shared by the Saudi providers (Unifonic, Taqnyat), pure:
//
// - Message type: the CST (Communications, Space & Technology Commission) separates promotional
//   SMS from the rest. We classify by the consent purpose: `marketing` → promotional,
//   `transactional` → transactional, anything else (service) → informational.
// - A promotional SMS must go from a sender name ending in `-AD` (the credential's
//   promotional sender, else its sender when that one ends in -AD); none → refused with a
//   reason, nothing sent.
// - Promotional hours are a setting of the credential (`promotionalHours`, "HH:MM-HH:MM" in
//   Riyadh time, default 09:00-21:00; outside them a promotional SMS waits for the next opening,
//   or with `refuseOutsidePromotionalHours` is blocked with a reason). Riyadh is UTC+3 all year (no daylight saving).
//
// Delivery reports: both providers post to `/hooks/providers/<unifonic|taqnyat>/<tenant
// slug>/<webhookSecret>`; interpretSmsReport() reads the message id and status from a JSON or
// form body with the field names the providers use (MessageID/messageId/msgId, Status/status).
import type { ProviderPolicyDecision } from './provider.js';
import type { DeliveryUpdate } from './provider.js';

export type SaudiMessageType = 'promotional' | 'transactional' | 'informational';

export const messageTypeOf = (purpose: string | undefined): SaudiMessageType =>
  purpose === 'marketing' ? 'promotional' : purpose === 'transactional' ? 'transactional' : 'informational';

export const DEFAULT_PROMOTIONAL_HOURS = '09:00-21:00';
const RIYADH_OFFSET_MS = 3 * 3_600_000;
const DAY_MS = 86_400_000;
const isAdSender = (s: string | undefined): s is string => typeof s === 'string' && /-AD$/.test(s.trim());

/** The sender name a message goes from: a promotional message needs an -AD one (null: none). */
export function senderFor(purpose: string | undefined, sender: string | undefined, promotionalSender: string | undefined): string | null {
  if (messageTypeOf(purpose) !== 'promotional') return sender ?? null;
  if (isAdSender(promotionalSender)) return promotionalSender.trim();
  if (isAdSender(sender)) return sender.trim();
  return null;
}

/** "HH:MM-HH:MM" → minutes of the day [start, end); null when malformed or empty. */
export function parseHours(value: string | undefined): { start: number; end: number } | null {
  const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec((value ?? DEFAULT_PROMOTIONAL_HOURS).trim());
  if (!m) return null;
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  if (start >= end || end > 24 * 60 || Number(m[2]) > 59 || Number(m[4]) > 59) return null;
  return { start, end };
}

/** The next time (epoch ms) promotional sends open, or null when `now` is inside the hours. */
export function nextPromotionalOpening(now: Date, hours: { start: number; end: number }): Date | null {
  const local = now.getTime() + RIYADH_OFFSET_MS;
  const dayStart = Math.floor(local / DAY_MS) * DAY_MS;
  const minute = (local - dayStart) / 60_000;
  if (minute >= hours.start && minute < hours.end) return null;
  const opening = minute < hours.start ? dayStart + hours.start * 60_000 : dayStart + DAY_MS + hours.start * 60_000;
  return new Date(opening - RIYADH_OFFSET_MS);
}

const hhmm = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** The Saudi promotional rules for one send (ChannelProvider.policy of the Saudi SMS providers). */
export function saudiSmsPolicy(
  send: { channel: string; purpose: string },
  credential: { sender: string | undefined; promotionalSender: string | undefined; promotionalHours: string | undefined; outside: string | undefined },
  now: Date,
): ProviderPolicyDecision {
  if (send.channel !== 'sms' || messageTypeOf(send.purpose) !== 'promotional') return { action: 'send' };
  if (senderFor(send.purpose, credential.sender, credential.promotionalSender) === null) {
    return {
      action: 'refuse',
      code: 'promotional_sender_required',
      message: 'a promotional (marketing) SMS in Saudi Arabia must go from a sender name ending in -AD; set the credential’s promotional sender',
      messageAr: 'يجب أن تُرسل الرسائل النصية الترويجية في السعودية من اسم مرسل ينتهي بـ ‎-AD؛ حدّد اسم المرسل الترويجي في بيانات الاعتماد',
    };
  }
  const hours = parseHours(credential.promotionalHours) ?? parseHours(DEFAULT_PROMOTIONAL_HOURS)!;
  const opening = nextPromotionalOpening(now, hours);
  if (!opening) return { action: 'send' };
  const window = `${hhmm(hours.start)}–${hhmm(hours.end)}`;
  if (credential.outside === 'refuse') {
    return {
      action: 'refuse',
      code: 'outside_promotional_hours',
      message: `promotional SMS are sent only ${window} Riyadh time; this one was refused (the credential refuses rather than defers)`,
      messageAr: `تُرسل الرسائل النصية الترويجية فقط بين ${window} بتوقيت الرياض؛ ورُفضت هذه الرسالة (بيانات الاعتماد تختار الرفض بدل التأجيل)`,
    };
  }
  return { action: 'defer', until: opening, reason: 'outside_promotional_hours' };
}

// ---------------------------------------------------------------------------------------------
// Delivery reports

export type SmsReportAction =
  | { kind: 'delivery'; dedupKey: string; providerMessageId: string; status: DeliveryUpdate['status']; error?: { code: string; message: string } }
  | { kind: 'ignore'; reason: string };

/** Provider status words → outbox delivery status (queued/pending/accepted say nothing new). */
const REPORT_STATUS: Record<string, DeliveryUpdate['status'] | undefined> = {
  sent: 'sent',
  delivered: 'delivered',
  deliverd: 'delivered',
  failed: 'failed',
  rejected: 'failed',
  undeliverable: 'failed',
  undelivered: 'failed',
  expired: 'failed',
};

function field(body: Record<string, unknown>, names: string[]): string {
  const lower = new Map(Object.entries(body).map(([k, v]) => [k.toLowerCase(), v]));
  for (const n of names) {
    const v = lower.get(n.toLowerCase());
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === 'string' && first !== '') return first;
    if (typeof first === 'number') return String(first);
  }
  return '';
}

/** One delivery report of Unifonic or Taqnyat (JSON or form fields; a `data` object is looked into). */
export function interpretSmsReport(provider: 'unifonic' | 'taqnyat', body: unknown): SmsReportAction {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { kind: 'ignore', reason: 'not_a_report' };
  const outer = body as Record<string, unknown>;
  const inner = outer.data && typeof outer.data === 'object' && !Array.isArray(outer.data) ? { ...outer, ...(outer.data as Record<string, unknown>) } : outer;
  const id = field(inner, ['MessageID', 'messageId', 'message_id', 'msgId', 'id']);
  const raw = field(inner, ['Status', 'status', 'DLRStatus', 'dlr_status']).toLowerCase();
  if (!id) return { kind: 'ignore', reason: 'no_message_id' };
  const status = REPORT_STATUS[raw];
  if (!status) return { kind: 'ignore', reason: 'status_not_tracked' };
  const action: SmsReportAction = { kind: 'delivery', dedupKey: `status:${id}:${raw}`, providerMessageId: id, status };
  if (status === 'failed') {
    const code = field(inner, ['errorCode', 'ErrorCode', 'error_code']);
    action.error = { code: `${provider}_${code || raw}`, message: field(inner, ['message', 'errorMessage', 'reason']) || `${provider} reported the message ${raw}` };
  }
  return action;
}

// trigger.schedule: starts a flow on a cron schedule in a time zone (Asia/Riyadh by default).
// The scheduler (node-cron in the embedded runtime, BullMQ job schedulers in queue mode)
// fires it; this node passes the scheduler's payload on.
import { Type } from '@sinclair/typebox';
import { CronExpressionParser } from 'cron-parser';
import { defineNode, label, type FlowError } from '../engine/index.js';
import { OUT_PORT } from './shared/ports.js';

export const DEFAULT_TIMEZONE = 'Asia/Riyadh';

export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** Why `cron` cannot be used, or null when it parses (and has a next occurrence). */
export function cronProblem(cron: string, timezone = 'UTC'): string | null {
  if (cron.trim() === '') return 'cron expression is empty';
  try {
    CronExpressionParser.parse(cron, { tz: timezone, currentDate: new Date(0) }).next();
    return null;
  } catch (err) {
    return (err as Error).message || 'invalid cron expression';
  }
}

/**
 * The next `count` times `cron` fires in `timezone`, strictly after `from`, as UTC dates.
 * Throws when the expression or the time zone is invalid.
 */
export function nextFireTimes(cron: string, timezone: string, from: Date, count: number): Date[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, not ${count}`);
  if (!isValidTimezone(timezone)) throw new RangeError(`unknown time zone "${timezone}"`);
  const problem = cronProblem(cron, timezone);
  if (problem) throw new Error(`invalid cron expression "${cron}": ${problem}`);
  const expression = CronExpressionParser.parse(cron, { currentDate: from, tz: timezone });
  const out: Date[] = [];
  while (out.length < count && expression.hasNext()) out.push(expression.next().toDate());
  return out;
}

const params = Type.Object(
  {
    cron: Type.String({
      minLength: 1,
      maxLength: 200,
      ...label(
        'Schedule (cron)',
        'الجدول (cron)',
        'Cron expression: minute hour day-of-month month day-of-week (an optional leading seconds field), e.g. "0 9 * * 0-4"',
        'تعبير cron: الدقيقة الساعة يوم-الشهر الشهر يوم-الأسبوع (مع حقل ثوانٍ اختياري في البداية)، مثل "0 9 * * 0-4"',
      ),
    }),
    timezone: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        default: DEFAULT_TIMEZONE,
        ...label('Time zone', 'المنطقة الزمنية', 'IANA time zone the expression is read in', 'المنطقة الزمنية (IANA) التي يُقرأ بها التعبير'),
      }),
    ),
  },
  { additionalProperties: false },
);

export const triggerScheduleNode = defineNode({
  type: 'trigger.schedule',
  category: 'trigger',
  label: { en: 'Schedule', ar: 'جدولة' },
  description: {
    en: 'Starts the flow on a cron schedule, read in the chosen time zone (Riyadh by default).',
    ar: 'يبدأ التدفق وفق جدول زمني بصيغة cron، محسوبًا بالمنطقة الزمنية المختارة (الرياض افتراضيًا).',
  },
  icon: 'calendar-clock',
  params,
  outputs: [OUT_PORT],
  check(p): FlowError[] {
    const errors: FlowError[] = [];
    const timezone = p.timezone ?? DEFAULT_TIMEZONE;
    const tzOk = isValidTimezone(timezone);
    if (!tzOk) errors.push({ path: '/timezone', code: 'invalid_timezone', message: `unknown time zone "${timezone}"` });
    const problem = cronProblem(p.cron, tzOk ? timezone : 'UTC');
    if (problem) errors.push({ path: '/cron', code: 'invalid_cron', message: `invalid cron expression: ${problem}` });
    return errors;
  },
  async execute(ctx) {
    return { port: 'out', output: ctx.input };
  },
});

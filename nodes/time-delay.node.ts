// time.delay: suspends the item for a number of seconds or until a date and time, then
// continues on `out` with the same item. The runtime persists the wait, so delays survive
// restarts.
import { Type } from '@sinclair/typebox';
import { defineNode, Expr, label, NodeFailure, type FlowError } from '../engine/index.js';
import { OUT_PORT } from './shared/ports.js';

export const MAX_DELAY_SECONDS = 366 * 24 * 60 * 60;

const params = Type.Object(
  {
    seconds: Type.Optional(
      Expr(
        Type.Number({
          minimum: 0,
          maximum: MAX_DELAY_SECONDS,
          ...label('Seconds', 'الثواني', 'How long to wait, in seconds (at most 366 days)', 'مدة الانتظار بالثواني (بحد أقصى 366 يومًا)'),
        }),
      ),
    ),
    until: Type.Optional(
      Expr(
        Type.String({
          format: 'date-time',
          ...label(
            'Until',
            'حتى',
            'When to continue: an ISO 8601 date-time with offset, e.g. 2026-03-01T09:00:00+03:00',
            'موعد المتابعة: تاريخ ووقت بصيغة ISO 8601 مع فرق التوقيت، مثل 2026-03-01T09:00:00+03:00',
          ),
        }),
      ),
    ),
  },
  { additionalProperties: false, description: 'Give exactly one of "seconds" or "until"', 'x-ar': { description: 'حدّد أحدهما فقط: «الثواني» أو «حتى»' } },
);

function exactlyOne(p: { seconds?: unknown; until?: unknown }): boolean {
  return (p.seconds !== undefined) !== (p.until !== undefined);
}

const ONE_OF_MESSAGE = 'give exactly one of "seconds" or "until"';

export const timeDelayNode = defineNode({
  type: 'time.delay',
  category: 'time',
  label: { en: 'Delay', ar: 'انتظار' },
  description: {
    en: 'Waits for a number of seconds or until a date and time, then continues with the same item.',
    ar: 'ينتظر عددًا من الثواني أو حتى تاريخ ووقت محددين، ثم يتابع بالعنصر نفسه.',
  },
  icon: 'hourglass',
  params,
  outputs: [OUT_PORT],
  check(p): FlowError[] {
    return exactlyOne(p) ? [] : [{ path: '', code: 'invalid_value', message: ONE_OF_MESSAGE }];
  },
  async execute(ctx) {
    const p = ctx.params;
    if (!exactlyOne(p)) throw new NodeFailure('invalid_params', ONE_OF_MESSAGE, { retryable: false, path: '/params' });
    const now = ctx.now().getTime();
    let due: number;
    if (p.seconds !== undefined) {
      const seconds = Number(p.seconds);
      if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_DELAY_SECONDS) {
        throw new NodeFailure('invalid_params', `seconds must be between 0 and ${MAX_DELAY_SECONDS}`, { retryable: false, path: '/params/seconds' });
      }
      due = now + Math.round(seconds * 1000);
    } else {
      const at = Date.parse(String(p.until));
      if (Number.isNaN(at)) throw new NodeFailure('invalid_params', `until is not a date-time: ${String(p.until)}`, { retryable: false, path: '/params/until' });
      due = at;
    }
    // Already due (a moment in the past, or 0 seconds): continue in this segment. A timer that
    // fires at once costs two commits and shows the execution as `waiting` for an instant.
    if (due <= now) return { port: 'out', output: ctx.input };
    return { wait: { until: new Date(due).toISOString(), resume: { port: 'out', output: ctx.input } } };
  },
});

// trigger.event: starts the flow when a domain event of its type is published (POST
// /api/v1/events, or the CRM: deal.stage_changed, meeting.scheduled, …) and its optional
// filter holds. The server's event router (server/events/) decides which flows start with
// eventMatches() below; the node passes the event on: {id, type, subject, data, contact,
// receivedAt, source}.
import { Type } from '@sinclair/typebox';
import { defineNode, evaluateExpression, isExpression, label, riyadhIso, type FlowError } from '../engine/index.js';
import { OUT_PORT } from './shared/ports.js';
import { isConditionSource, isTruthy } from './shared/values.js';

/** The events Tadfuq and the CRM publish; any other dotted name is a custom event. */
export const KNOWN_EVENTS = [
  'lead.created',
  'lead.updated',
  'deal.created',
  'deal.updated',
  'deal.stage_changed',
  'deal.deleted',
  'message.received',
  'meeting.scheduled',
  'meeting.updated',
  'meeting.cancelled',
  'consent.withdrawn',
  'payment.paid',
  'payment.failed',
] as const;

/** An event type: dotted names of letters, digits, "_" and "-", e.g. `deal.stage_changed`, `acme.invoice-paid`. */
export const EVENT_TYPE_PATTERN = '^[A-Za-z][A-Za-z0-9_-]*(\\.[A-Za-z0-9_-]+)*$';
export const EVENT_TYPE_MAX = 100;

const params = Type.Object(
  {
    event: Type.String({
      minLength: 1,
      maxLength: EVENT_TYPE_MAX,
      pattern: EVENT_TYPE_PATTERN,
      examples: [...KNOWN_EVENTS],
      ...label(
        'Event',
        'الحدث',
        `The event type that starts the flow: ${KNOWN_EVENTS.join(', ')}, or a custom type such as acme.invoice_paid`,
        `نوع الحدث الذي يبدأ التدفق: ${KNOWN_EVENTS.join('، ')}، أو نوع مخصص مثل acme.invoice_paid`,
      ),
    }),
    filter: Type.Optional(
      Type.Unknown({
        ...label(
          'Filter',
          'عامل التصفية',
          'Start only when this expression over the event is truthy, e.g. =data.to = "won" and $number(data.deal.valueSar) >= 100000',
          'لا يبدأ التدفق إلا إذا تحقق هذا التعبير على الحدث، مثل =data.to = "won" and $number(data.deal.valueSar) >= 100000',
        ),
        examples: ['=data.to = "won"', '=$number(data.deal.valueSar) >= 100000'],
      }),
    ),
  },
  { additionalProperties: false },
);

export type TriggerEventParams = { event: string; filter?: unknown };

/**
 * Whether a published trigger.event node with these params starts for `event` (the payload the
 * flow will get): same type, and the filter (an expression over the event, or a boolean)
 * truthy. A filter that fails to evaluate does not match. Pure but for the clock.
 */
export async function eventMatches(
  p: TriggerEventParams,
  event: { type: string } & Record<string, unknown>,
  now: Date,
  onFilterError?: (err: { code: string; message: string; path: string }) => void,
): Promise<boolean> {
  if (p.event !== event.type) return false;
  if (p.filter === undefined) return true;
  if (!isExpression(p.filter)) return isTruthy(p.filter);
  try {
    const value = await evaluateExpression(p.filter, { input: event, trigger: event, nodes: {}, vars: {}, contact: event.contact ?? null, now: riyadhIso(now) }, '/params/filter');
    return isTruthy(value);
  } catch (err) {
    const e = err as { code?: string; message?: string; path?: string };
    onFilterError?.({ code: e.code ?? 'expression_error', message: e.message ?? String(err), path: e.path ?? '/params/filter' });
    return false;
  }
}

export const triggerEventNode = defineNode({
  type: 'trigger.event',
  category: 'trigger',
  label: { en: 'Domain event', ar: 'حدث نظام' },
  description: {
    en:
      'Starts the flow when an event of the chosen type is published: by POST /api/v1/events (a website, the CRM, a telephony system) or by Tadfuq itself ' +
      '(deal created or moved to another stage, meeting scheduled…). An optional filter expression over the event must be true. ' +
      'Outputs the event: {id, type, subject, data, contact, receivedAt}. An event id published again starts nothing new.',
    ar:
      'يبدأ التدفق عند نشر حدث من النوع المختار: عبر POST /api/v1/events (موقع إلكتروني أو نظام إدارة العملاء أو نظام الاتصالات) أو من تدفق نفسه ' +
      '(إنشاء صفقة أو نقلها إلى مرحلة أخرى، جدولة اجتماع…). ويمكن اشتراط تعبير تصفية على الحدث يجب أن يكون صحيحًا. ' +
      'يُخرج الحدث: {id, type, subject, data, contact, receivedAt}. ولا يبدأ شيء جديد إذا نُشر معرّف الحدث نفسه مرة أخرى.',
  },
  icon: 'radio-tower',
  params,
  outputs: [OUT_PORT],
  check(p): FlowError[] {
    if (p.filter === undefined || isConditionSource(p.filter)) return [];
    return [{ path: '/filter', code: 'invalid_value', message: 'filter must be true, false or an expression starting with "="' }];
  },
  async execute(ctx) {
    return { port: 'out', output: ctx.input };
  },
});

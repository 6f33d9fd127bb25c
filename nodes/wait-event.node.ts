// wait.event: suspends the item until a domain event about the execution's contact arrives (a
// reply — `message.received` —, a booked meeting, any custom event posted to the runtime), then
// continues on `received` with the event's payload; if none arrives within `timeoutSeconds`, it
// continues on `timeout` with its own input. The wait is a row (durable across restarts) keyed
// by (tenant, event, correlation); Runtime.deliverEvent(tenant, event, correlation, payload)
// resumes it. The correlation is the execution's contact id (its subject) unless given.
//
// Replies and sequences: a contact's reply ends its enrollments ("stop the sequence when they
// reply", server/enrollments/) except in flows that wait for `message.received` themselves:
// there the reply resumes this node ("wait for a reply, then continue").
import { Type } from '@sinclair/typebox';
import { defineNode, Expr, label, NodeFailure } from '../engine/index.js';
import { MAX_DELAY_SECONDS } from './time-delay.node.js';

/** The event inbound messages (WhatsApp, SMS, email replies) are delivered as. */
export const MESSAGE_RECEIVED = 'message.received';
export const EVENT_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$';

const params = Type.Object(
  {
    event: Type.Optional(
      Type.String({
        pattern: EVENT_NAME_PATTERN,
        default: MESSAGE_RECEIVED,
        examples: [MESSAGE_RECEIVED, 'meeting.booked', 'deal.stage_changed'],
        ...label(
          'Event',
          'الحدث',
          'The domain event to wait for: message.received (a reply on any channel) or a custom name',
          'الحدث المنتظر: message.received (رد على أي قناة) أو اسم مخصص',
        ),
      }),
    ),
    timeoutSeconds: Type.Optional(
      Expr(
        Type.Number({
          minimum: 1,
          maximum: MAX_DELAY_SECONDS,
          ...label(
            'Timeout (seconds)',
            'المهلة (بالثواني)',
            'Give up after this many seconds (at most 366 days) and continue on "timeout"; absent: wait without a limit',
            'التوقف عن الانتظار بعد هذا العدد من الثواني (بحد أقصى 366 يومًا) والمتابعة من «انتهاء المهلة»؛ وإن تُرك فارغًا فالانتظار بلا حد',
          ),
        }),
      ),
    ),
    correlation: Type.Optional(
      Expr(
        Type.String({
          minLength: 1,
          maxLength: 200,
          ...label(
            'Correlation',
            'مفتاح الربط',
            'Which occurrence of the event resumes this wait; default: the execution’s contact id',
            'أي وقوع للحدث يستأنف هذا الانتظار؛ الافتراضي: معرّف جهة الاتصال في التنفيذ',
          ),
        }),
      ),
    ),
  },
  { additionalProperties: false },
);

export const waitEventNode = defineNode({
  type: 'wait.event',
  category: 'time',
  label: { en: 'Wait for event', ar: 'انتظار حدث' },
  description: {
    en: 'Waits for an event about the contact (a reply, a booked meeting…): continues on "received" with the event, or on "timeout" with the same item if it does not come in time.',
    ar: 'ينتظر حدثًا يخص جهة الاتصال (ردًّا أو حجز اجتماع…): يتابع من «وصل» ومعه الحدث، أو من «انتهت المهلة» بالعنصر نفسه إن لم يصل في الوقت المحدد.',
  },
  icon: 'inbox',
  params,
  outputs: [
    { port: 'received', label: { en: 'Received', ar: 'وصل' } },
    { port: 'timeout', label: { en: 'Timed out', ar: 'انتهت المهلة' } },
  ],
  async execute(ctx) {
    const p = ctx.params;
    const event = p.event ?? MESSAGE_RECEIVED;
    const contactId = (ctx.contact as { id?: unknown } | null)?.id;
    const correlation = p.correlation ?? ctx.execution.subject ?? (typeof contactId === 'string' ? contactId : null);
    if (!correlation) {
      throw new NodeFailure('no_correlation', 'the execution has no contact: give "correlation" to say which event resumes the wait', {
        retryable: false,
        path: '/params/correlation',
      });
    }
    let timeoutAt: string | undefined;
    if (p.timeoutSeconds !== undefined) {
      const seconds = Number(p.timeoutSeconds);
      if (!Number.isFinite(seconds) || seconds < 1 || seconds > MAX_DELAY_SECONDS) {
        throw new NodeFailure('invalid_params', `timeoutSeconds must be between 1 and ${MAX_DELAY_SECONDS}`, { retryable: false, path: '/params/timeoutSeconds' });
      }
      timeoutAt = new Date(ctx.now().getTime() + Math.round(seconds * 1000)).toISOString();
    }
    return { wait: { event, correlation, port: 'received', ...(timeoutAt ? { timeoutAt, timeoutPort: 'timeout' } : {}) } };
  },
});

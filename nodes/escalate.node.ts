// escalate: hands an item to a person (human approval / hand-off). It opens an escalation in
// the inbox (GET /api/v1/escalations) for a role, a user or the next member of a role in turn,
// notifies them, and waits — durably, as an ordinary engine wait on the event
// `escalation.decided` correlated by the escalation id — for a decision or the timeout:
// approved (with the reviewer's edits applied to the payload), rejected (with their note), or
// timeout. A step that runs again (crash before its wait was committed) finds the escalation
// its earlier run opened instead of opening a second one.
import { Type } from '@sinclair/typebox';
import { choices, defineNode, Expr, ExpressionString, label, NodeFailure, type EscalationAssignee, type EscalationPriority, type FlowError } from '../engine/index.js';

export const ESCALATION_DECIDED_EVENT = 'escalation.decided';
export const ESCALATION_ROLES = ['owner', 'admin', 'manager', 'sales_rep'] as const;
export const ESCALATION_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export const MAX_TIMEOUT_HOURS = 366 * 24;
export const DEFAULT_TIMEOUT_HOURS = 24;

const ROLE_TEXT = {
  owner: ['Owner', 'المالك'],
  admin: ['Admin', 'المسؤول'],
  manager: ['Manager', 'المدير'],
  sales_rep: ['Sales rep', 'مندوب المبيعات'],
} as const;

const Role = Type.Union(choices(ESCALATION_ROLES, ROLE_TEXT), label('Role', 'الدور', 'A role that may decide escalations', 'دور يحق له البت في التصعيدات'));
const Kind = <K extends string>(kind: K) => Type.Literal(kind, label('Kind', 'النوع'));

const params = Type.Object(
  {
    assignee: Type.Union(
      [
        Type.Object({ kind: Kind('role'), role: Role }, { additionalProperties: false, ...label('Everyone with a role', 'كل من يحمل دورًا') }),
        Type.Object(
          {
            kind: Kind('user'),
            userId: Expr(
              Type.String({
                minLength: 1,
                maxLength: 64,
                ...label('Member', 'العضو', 'a member’s user id, e.g. =$trigger.contact.ownerId', 'معرّف المستخدم لأحد الأعضاء، مثل =$trigger.contact.ownerId'),
              }),
            ),
          },
          { additionalProperties: false, ...label('One member', 'عضو محدد') },
        ),
        Type.Object({ kind: Kind('round_robin'), role: Role }, { additionalProperties: false, ...label('Members of a role in turn', 'أعضاء دور بالتناوب') }),
      ],
      label(
        'Assignee',
        'المكلَّف',
        'Who decides: everyone holding a role, one member, or the members of a role in turn (round robin)',
        'من يتخذ القرار: كل من يحمل دورًا، أو عضو محدد، أو أعضاء دور بالتناوب',
      ),
    ),
    reason: Expr(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        ...label(
          'Reason',
          'السبب',
          'Why a person must look, shown in the inbox and the notification, e.g. ="Hot lead: " & name',
          'لماذا يجب أن يراجعه موظف، ويظهر في صندوق التصعيدات وفي الإشعار، مثل ="عميل ساخن: " & name',
        ),
      }),
    ),
    priority: Type.Optional(
      Type.Union(
        [
          Type.Union(
            choices(ESCALATION_PRIORITIES, {
              low: ['Low', 'منخفضة'],
              normal: ['Normal', 'عادية'],
              high: ['High', 'مرتفعة'],
              urgent: ['Urgent', 'عاجلة'],
            }),
          ),
          ExpressionString,
        ],
        { default: 'normal', ...label('Priority', 'الأولوية', 'low, normal, high or urgent', 'منخفضة أو عادية أو مرتفعة أو عاجلة') },
      ),
    ),
    timeoutHours: Type.Optional(
      Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: MAX_TIMEOUT_HOURS }), ExpressionString], {
        default: DEFAULT_TIMEOUT_HOURS,
        ...label(
          'Timeout (hours)',
          'المهلة (بالساعات)',
          'Hours to wait for a decision before leaving by "timeout" (fractions allowed; at most 366 days)',
          'عدد الساعات لانتظار القرار قبل الخروج من «انتهاء المهلة» (تُقبل الكسور؛ بحد أقصى 366 يومًا)',
        ),
      }),
    ),
    payload: Type.Optional(
      Type.Unknown(
        label(
          'Payload',
          'المحتوى',
          'What the person reviews and may edit before approving, e.g. a message draft: ={"message": $nodes.draft.output.text}. Default: the input item',
          'ما يراجعه الموظف ويمكنه تعديله قبل الموافقة، مثل مسودة رسالة: ={"message": $nodes.draft.output.text}. الافتراضي: عنصر الإدخال',
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

const isPriority = (v: unknown): v is EscalationPriority => typeof v === 'string' && (ESCALATION_PRIORITIES as readonly string[]).includes(v);

function invalid(message: string, path: string): NodeFailure {
  return new NodeFailure('invalid_params', message, { retryable: false, path });
}

export const escalateNode = defineNode({
  type: 'escalate',
  category: 'sales',
  sideEffects: true,
  label: { en: 'Escalate to a person', ar: 'تصعيد إلى موظف' },
  description: {
    en:
      'Asks a person to review: opens an escalation in the inbox for a role, a member, or members of a role in turn, notifies them, and waits for their decision. ' +
      'Approved leaves by "approved" with {decision, escalationId, payload (with the reviewer’s edits), edited, decidedBy, note}; rejected by "rejected" with the note; ' +
      'no decision within the timeout by "timeout". The wait survives restarts.',
    ar:
      'يطلب مراجعة موظف: يفتح تصعيدًا في صندوق التصعيدات لدور أو لعضو محدد أو لأعضاء دور بالتناوب، ويُشعرهم، وينتظر قرارهم. ' +
      'عند الموافقة يخرج من «موافقة» مع {decision, escalationId, payload (بعد تعديلات المراجع), edited, decidedBy, note}؛ وعند الرفض من «رفض» مع الملاحظة؛ ' +
      'وإن لم يصدر قرار خلال المهلة فمن «انتهاء المهلة». يستمر الانتظار بعد إعادة التشغيل.',
  },
  icon: 'user-check',
  params,
  outputs: [
    { port: 'approved', label: { en: 'Approved', ar: 'موافقة' } },
    { port: 'rejected', label: { en: 'Rejected', ar: 'رفض' } },
    { port: 'timeout', label: { en: 'Timed out', ar: 'انتهاء المهلة' } },
  ],
  check(p): FlowError[] {
    const errors: FlowError[] = [];
    if (typeof p.reason === 'string' && !p.reason.startsWith('=') && p.reason.trim() === '') {
      errors.push({ path: '/reason', code: 'invalid_value', message: 'say why a person must look' });
    }
    return errors;
  },
  async execute(ctx) {
    const p = ctx.params;
    if (!ctx.escalations) throw new NodeFailure('escalations_unavailable', 'this runtime has no escalation inbox', { retryable: false });
    const hours = Number(p.timeoutHours ?? DEFAULT_TIMEOUT_HOURS);
    if (!Number.isFinite(hours) || hours <= 0 || hours > MAX_TIMEOUT_HOURS) throw invalid(`timeoutHours must be above 0 and at most ${MAX_TIMEOUT_HOURS}`, '/params/timeoutHours');
    const priority = p.priority ?? 'normal';
    if (!isPriority(priority)) throw invalid(`priority must be one of ${ESCALATION_PRIORITIES.join(', ')}`, '/params/priority');
    const reason = String(p.reason).trim();
    if (!reason) throw invalid('the reason is empty', '/params/reason');
    const a = p.assignee;
    const assignee: EscalationAssignee = a.kind === 'user' ? { kind: 'user', userId: String(a.userId) } : a;
    if (assignee.kind === 'user' && !assignee.userId) throw invalid('assignee.userId is empty', '/params/assignee/userId');
    const payload = p.payload === undefined ? ctx.input : p.payload;
    const dueAt = ctx.now().getTime() + Math.round(hours * 3_600_000);

    const opened = await ctx.escalations.open({ assignee, reason: reason.slice(0, 2000), priority, dueAt, payload });
    ctx.log(opened.created ? 'escalation opened' : 'escalation found (step ran again)', opened.id);
    if (opened.decided) return opened.decided;
    const timedOut = { decision: 'timed_out', escalationId: opened.id, dueAt: new Date(opened.dueAt).toISOString() };
    if (opened.status === 'timed_out') return { port: 'timeout', output: timedOut };
    if (opened.status === 'cancelled') throw new NodeFailure('escalation_cancelled', `escalation ${opened.id} was cancelled`, { retryable: false });
    return {
      wait: {
        event: ESCALATION_DECIDED_EVENT,
        correlation: opened.id,
        timeoutAt: new Date(opened.dueAt).toISOString(),
        timeoutPort: 'timeout',
        portFrom: { field: 'decision', ports: ['approved', 'rejected'] },
        timeoutOutput: timedOut,
      },
    };
  },
});

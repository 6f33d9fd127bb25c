// What the send nodes (send.whatsapp, send.sms, send.email) and consent.check share: the
// consent vocabulary, the contact a step is for, and turning the outbox's answer into a port.
// Nodes never reach a provider: ctx.send() is the outbox (consent, windows, caps, at-most-once).
import { Type } from '@sinclair/typebox';
import { PURPOSES, CREDENTIAL_NAME_PATTERN, ERROR_PORT, Expr, choices, label, NodeFailure, type NodeContext, type NodeResult, type PortSpec, type SendRequest, type SendResult } from '../../engine/index.js';

/** Consent purposes (engine/consent/consent-rule.ts). */
export const SEND_PURPOSES = PURPOSES;

export const PurposeParam = Expr(
  Type.Union(
    choices(SEND_PURPOSES, {
      marketing: ['Marketing', 'تسويق'],
      service: ['Service', 'خدمة'],
      transactional: ['Transactional', 'معاملات'],
    }),
    label(
      'Purpose',
      'الغرض',
      'Why the contact is contacted; consent must be for this purpose: marketing, service or transactional',
      'سبب التواصل مع جهة الاتصال؛ ويجب أن تكون الموافقة لهذا الغرض: تسويق أو خدمة أو معاملات',
    ),
  ),
);

export const ContactIdParam = Expr(
  Type.String({
    minLength: 1,
    maxLength: 64,
    ...label(
      'Contact',
      'جهة الاتصال',
      'The contact to message; default: the contact the execution runs for (e.g. =$trigger.body.contactId)',
      'جهة الاتصال المراد مراسلتها؛ الافتراضي: جهة الاتصال التي يعمل لها التنفيذ (مثل =$trigger.body.contactId)',
    ),
  }),
);

export const CredentialParam = (types: string[]) =>
  Type.String({
    minLength: 1,
    maxLength: 100,
    pattern: CREDENTIAL_NAME_PATTERN,
    'x-credential-types': types,
    ...label(
      'Credential',
      'بيانات الاعتماد',
      `Name of the ${types.join(' or ')} credential to send with; default: the workspace's first such credential, else the sandbox (records, sends nothing)`,
      `اسم بيانات اعتماد ${types.join(' أو ')} المستخدمة في الإرسال؛ الافتراضي: أول بيانات اعتماد من هذا النوع في مساحة العمل، وإلا فبيئة التجربة (تسجّل ولا ترسل شيئًا)`,
    ),
  });

export const SEND_PORTS: PortSpec[] = [
  { port: 'sent', label: { en: 'Sent', ar: 'أُرسلت' } },
  { port: 'blocked', label: { en: 'Blocked (no consent)', ar: 'محظورة (لا موافقة)' } },
  ERROR_PORT,
];

/** The contact a step is for: the param, else the execution's subject, else `$contact.id`. */
export function contactIdOf(ctx: NodeContext<unknown>, param: string | undefined): string | null {
  if (typeof param === 'string' && param !== '') return param;
  if (ctx.execution.subject) return ctx.execution.subject;
  const id = (ctx.contact as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id !== '' ? id : null;
}

/**
 * Send through the outbox and leave by `sent` or `blocked`. A blocked send with no edge from
 * `blocked` fails the step (consent_blocked) instead of ending quietly; a failed send throws
 * (the retry policy applies to definite, retryable refusals; then the `error` port, or the
 * execution fails). A deferral (window, cap, rate) propagates: the step runs again later.
 */
export async function sendAndRoute(ctx: NodeContext<unknown>, request: Omit<SendRequest, 'contactId'>, contactParam: string | undefined): Promise<NodeResult> {
  const contactId = contactIdOf(ctx, contactParam);
  if (!contactId) {
    throw new NodeFailure('no_contact', 'no contact to send to: set contactId or start the execution for a contact', { retryable: false, path: '/params/contactId' });
  }
  if (!ctx.send) throw new NodeFailure('outbox_unavailable', 'this runtime has no outbox: messages cannot be sent', { retryable: false });
  const result: SendResult = await ctx.send({ ...request, contactId });
  const common = { messageId: result.messageId, channel: request.channel, purpose: request.purpose, contactId };
  if (result.status === 'sent') {
    return { port: 'sent', output: { ...common, status: 'sent', provider: result.provider, providerMessageId: result.providerMessageId, to: result.to } };
  }
  if (result.status === 'blocked') {
    if (ctx.connected && !ctx.connected('blocked')) {
      throw new NodeFailure('consent_blocked', `not sent: ${result.reason} (message ${result.messageId}); connect the "blocked" port to handle it`, { retryable: false });
    }
    return { port: 'blocked', output: { ...common, status: 'blocked', reason: result.reason } };
  }
  throw new NodeFailure(result.code, `${result.message} (message ${result.messageId})`, { retryable: result.retryable === true });
}

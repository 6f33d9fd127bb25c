// What the send nodes (send.whatsapp, send.sms, send.email) and consent.check share: the
// consent vocabulary, the contact a step is for, and turning the outbox's answer into a port.
// Nodes never reach a provider: ctx.send() is the outbox (consent, windows, caps, at-most-once).
import { Type, type TSchema } from '@sinclair/typebox';
import { PURPOSES, CREDENTIAL_NAME_PATTERN, ERROR_PORT, Expr, choices, label, NodeFailure, externalFailureCode, type NodeContext, type NodeResult, type PortSpec, type SendRequest, type SendResult, type SendVariant, type SendAbTest, type FlowError } from '../../engine/index.js';

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

/** A stored document's id (proposal.pdf's `documentId`), literal or an expression. */
export const DocumentIdParam = (en: string, ar: string, dEn: string, dAr: string) => Expr(Type.String({ minLength: 1, maxLength: 64, ...label(en, ar, dEn, dAr) }));

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
  throw new NodeFailure(externalFailureCode(result.code), `${result.message} (message ${result.messageId})`, { retryable: result.retryable === true });
}

// ---- A/B variants (server/analytics/README.md) ----

const VariantIdSchema = Type.String({
  pattern: '^[A-Za-z0-9_-]{1,32}$',
  ...label('Variant id', 'معرّف النسخة', 'A short name shown in the analytics, e.g. A, B, short-ar', 'اسم قصير يظهر في التحليلات، مثل A أو B أو short-ar'),
});
const WeightSchema = Type.Integer({
  minimum: 1,
  maximum: 1000,
  ...label('Weight', 'الوزن', 'Relative share of contacts (default 1: equal shares)', 'الحصة النسبية من جهات الاتصال (الافتراضي 1: حصص متساوية)'),
});

/** `variants`: 2–10 alternatives of the message; `fields` are the content fields a variant may replace. */
export const VariantsParam = (fields: Record<string, TSchema>) =>
  Type.Array(Type.Object({ id: VariantIdSchema, weight: Type.Optional(WeightSchema), ...fields }, { additionalProperties: false }), {
    minItems: 2,
    maxItems: 10,
    ...label(
      'Variants (A/B test)',
      'النسخ (اختبار A/B)',
      'Alternatives of the message: each contact gets one, always the same for this flow version (a hash of contact, flow, version and step), in proportion to the weights; fields a variant leaves out are the step’s',
      'بدائل للرسالة: تتلقى كل جهة اتصال واحدة منها، وهي نفسها دائمًا في هذا الإصدار من التدفق (بحسب تجزئة جهة الاتصال والتدفق والإصدار والخطوة)، وبنسبة الأوزان؛ وما لا تحدده النسخة يؤخذ من الخطوة',
    ),
  });

export const AbTestParam = Type.Object(
  {
    sendWinner: Type.Boolean({
      default: false,
      ...label(
        'Send the winner to the rest',
        'أرسل النسخة الفائزة للبقية',
        'Once one variant beats every other on reply rate (two-proportion z-test) with the confidence below and each has the minimum sample, every later contact gets it',
        'عندما تتفوق نسخة على كل النسخ الأخرى في معدل الرد (اختبار z لنسبتين) بالثقة المحددة أدناه وبلوغ كل نسخة الحد الأدنى للعينة، تتلقاها كل جهة اتصال لاحقة',
      ),
    }),
    minSample: Type.Optional(
      Type.Integer({ minimum: 10, maximum: 1_000_000, default: 100, ...label('Minimum sample', 'الحد الأدنى للعينة', 'Messages sent per variant first', 'عدد الرسائل المرسلة لكل نسخة أولًا') }),
    ),
    confidence: Type.Optional(
      Type.Number({ minimum: 0.5, maximum: 0.999, default: 0.95, ...label('Confidence', 'مستوى الثقة', '1 − p-value required, e.g. 0.95', 'المطلوب من (1 − القيمة الاحتمالية)، مثل 0.95') }),
    ),
  },
  { additionalProperties: false, ...label('A/B test', 'اختبار A/B', 'What to do with the variants’ results', 'ما يُفعل بنتائج النسخ') },
);

/** Variant ids must be unique within the step. */
export function variantProblems(variants: ReadonlyArray<{ id: string }> | undefined): FlowError[] {
  const seen = new Set<string>();
  const out: FlowError[] = [];
  (variants ?? []).forEach((v, i) => {
    if (seen.has(v.id)) out.push({ path: `/variants/${i}/id`, code: 'duplicate', message: `variant id "${v.id}" is used twice` });
    seen.add(v.id);
  });
  return out;
}

/** The request's `variants` and `abTest` from a send node's params. */
export function abRequest(p: { variants?: SendVariant[] | undefined; abTest?: SendAbTest | undefined }): Pick<SendRequest, 'variants' | 'abTest'> {
  return { ...(p.variants && p.variants.length > 0 ? { variants: p.variants } : {}), ...(p.abTest ? { abTest: p.abTest } : {}) };
}

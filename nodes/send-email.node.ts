// send.email: an email through the outbox (ctx.send), with the tenant's SMTP credential (the
// named one, else the first), else the sandbox. Ports: `sent`, `blocked`, `error`.
// `attachments`: stored documents (proposal.pdf's `documentId`) sent as real attachments.
import { Type } from '@sinclair/typebox';
import { defineNode, Expr, label, NodeFailure, type FlowError } from '../engine/index.js';
import { AbTestParam, ContactIdParam, CredentialParam, DocumentIdParam, PurposeParam, SEND_PORTS, VariantsParam, abRequest, sendAndRoute, variantProblems } from './shared/send-node.js';

const params = Type.Object(
  {
    purpose: PurposeParam,
    subject: Expr(Type.String({ minLength: 1, maxLength: 500, ...label('Subject', 'الموضوع', 'Subject line', 'سطر الموضوع') })),
    text: Type.Optional(Expr(Type.String({ minLength: 1, maxLength: 100_000, ...label('Text body', 'النص', 'Plain-text body', 'نص الرسالة العادي') }))),
    html: Type.Optional(
      Expr(
        Type.String({
          minLength: 1,
          maxLength: 500_000,
          ...label('HTML body', 'نص HTML', 'HTML body (sent with the text as its alternative)', 'نص الرسالة بصيغة HTML (يُرسل النص العادي بديلًا له)'),
        }),
      ),
    ),
    to: Type.Optional(
      Expr(
        Type.String({
          minLength: 3,
          maxLength: 320,
          ...label('To', 'إلى', 'Address override; default: the contact’s email', 'عنوان بريد بدلًا من عنوان جهة الاتصال؛ الافتراضي: بريد جهة الاتصال'),
        }),
      ),
    ),
    attachments: Type.Optional(
      Expr(
        Type.Array(DocumentIdParam('Document', 'المستند', 'A stored document’s id, e.g. =$nodes.proposal.output.documentId', 'معرّف مستند محفوظ، مثل =$nodes.proposal.output.documentId'), {
          maxItems: 10,
          ...label(
            'Attachments',
            'المرفقات',
            'Stored documents (e.g. a proposal PDF) sent as attachments; up to 10, 20 MB together',
            'مستندات محفوظة (مثل ملف عرض السعر PDF) تُرسل مرفقاتٍ؛ حتى 10 مستندات و20 ميغابايت إجمالًا',
          ),
        }),
      ),
    ),
    variants: Type.Optional(
      VariantsParam({
        subject: Type.Optional(Expr(Type.String({ minLength: 1, maxLength: 500, ...label('Subject', 'الموضوع', 'This variant’s subject line', 'سطر موضوع هذه النسخة') }))),
        text: Type.Optional(Expr(Type.String({ minLength: 1, maxLength: 100_000, ...label('Text body', 'النص', 'This variant’s plain-text body', 'النص العادي لهذه النسخة') }))),
        html: Type.Optional(Expr(Type.String({ minLength: 1, maxLength: 500_000, ...label('HTML body', 'نص HTML', 'This variant’s HTML body', 'نص HTML لهذه النسخة') }))),
      }),
    ),
    abTest: Type.Optional(AbTestParam),
    contactId: Type.Optional(ContactIdParam),
    credential: Type.Optional(CredentialParam(['smtp'])),
  },
  { additionalProperties: false },
);

/** The attachments param as resolved: a list of ids (one id given alone counts as a list of one). */
function attachmentsOf(v: unknown): { attachments?: string[] } {
  if (v === undefined || v === null) return {};
  const list = Array.isArray(v) ? v : [v];
  list.forEach((id, i) => {
    if (typeof id !== 'string' || id === '' || id.length > 64) throw new NodeFailure('invalid_params', 'an attachment is a stored document’s id', { retryable: false, path: `/params/attachments/${i}` });
  });
  return list.length ? { attachments: list as string[] } : {};
}

export const sendEmailNode = defineNode({
  type: 'send.email',
  category: 'sales',
  policyClass: 'B',
  sideEffects: true,
  label: { en: 'Send email', ar: 'إرسال بريد إلكتروني' },
  description: {
    en: 'Sends an email to the contact if they consented to this purpose; outside business hours it waits for the next opening.',
    ar: 'يرسل بريدًا إلكترونيًا إلى جهة الاتصال إذا وافقت على هذا الغرض، وخارج ساعات العمل ينتظر أقرب وقت مسموح.',
  },
  icon: 'mail',
  params,
  outputs: SEND_PORTS,
  credentials: ['smtp'],
  check(p): FlowError[] {
    if (p.text === undefined && p.html === undefined) return [{ path: '/text', code: 'required', message: 'give text, html or both' }];
    return variantProblems(p.variants);
  },
  async execute(ctx) {
    const p = ctx.params;
    return sendAndRoute(
      ctx,
      {
        channel: 'email',
        purpose: p.purpose,
        subject: p.subject,
        ...(p.text !== undefined ? { text: p.text } : {}),
        ...(p.html !== undefined ? { html: p.html } : {}),
        ...(p.to !== undefined ? { to: p.to } : {}),
        ...attachmentsOf(p.attachments),
        ...(p.credential !== undefined ? { credential: p.credential } : {}),
        ...abRequest(p),
      },
      p.contactId,
    );
  },
});

// send.email: an email through the outbox (ctx.send), with the tenant's SMTP credential (the
// named one, else the first), else the sandbox. Ports: `sent`, `blocked`, `error`.
import { Type } from '@sinclair/typebox';
import { defineNode, Expr, label, type FlowError } from '../engine/index.js';
import { AbTestParam, ContactIdParam, CredentialParam, PurposeParam, SEND_PORTS, VariantsParam, abRequest, sendAndRoute, variantProblems } from './shared/send-node.js';

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
        ...(p.credential !== undefined ? { credential: p.credential } : {}),
        ...abRequest(p),
      },
      p.contactId,
    );
  },
});

// send.whatsapp: a WhatsApp message through the outbox (ctx.send): free text inside the 24-hour
// window since the contact last wrote, otherwise an approved template (give its approved text in
// `text` for providers without a template store, e.g. UltraMsg). Sent with the tenant's
// WhatsApp Cloud API, UltraMsg or Twilio credential (the named one, else the first), else the
// sandbox. Outside the window a text send becomes `fallbackTemplate` when given, else it is
// blocked (reason whatsapp_window_closed).
// `document`: a stored document (proposal.pdf's `documentId`) sent as a WhatsApp document message
// with its caption (WhatsApp Cloud API only; with a template, as the template's DOCUMENT header).
// Ports: `sent`, `blocked` (no consent, no number — fails the step when not connected), `error`.
import { Type } from '@sinclair/typebox';
import { defineNode, Expr, label, type FlowError } from '../engine/index.js';
import { AbTestParam, ContactIdParam, CredentialParam, DocumentIdParam, PurposeParam, SEND_PORTS, VariantsParam, abRequest, sendAndRoute, variantProblems } from './shared/send-node.js';

const TemplateSchema =
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 512, ...label('Template name', 'اسم القالب', 'The approved template’s name', 'اسم القالب المعتمد') }),
          language: Type.Optional(
            Type.String({ minLength: 2, maxLength: 16, default: 'ar', ...label('Language', 'اللغة', 'Template language, e.g. ar or en', 'لغة القالب، مثل ar أو en') }),
          ),
          variables: Type.Optional(
            Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Expr(Type.String({ maxLength: 1024 })), {
              maxProperties: 50,
              ...label('Variables', 'المتغيرات', 'Template variables; values may be expressions', 'متغيرات القالب؛ ويمكن أن تكون القيم تعبيرات'),
            }),
          ),
        },
        {
          additionalProperties: false,
          ...label('Template', 'القالب', 'An approved WhatsApp template (required outside the 24-hour window)', 'قالب واتساب معتمد (مطلوب خارج نافذة الـ 24 ساعة)'),
        },
      );

const params = Type.Object(
  {
    purpose: PurposeParam,
    text: Type.Optional(
      Expr(
        Type.String({
          minLength: 1,
          maxLength: 4096,
          ...label(
            'Message',
            'الرسالة',
            'Free text (only within 24 hours of the contact’s last message); with a template: the template’s approved text, its {{placeholders}} filled from the variables',
            'نص حر (خلال 24 ساعة فقط من آخر رسالة من جهة الاتصال)؛ ومع قالب: نص القالب المعتمد، وتُملأ عناصره {{placeholders}} من المتغيرات',
          ),
        }),
      ),
    ),
    template: Type.Optional(TemplateSchema),
    fallbackTemplate: Type.Optional(
      Type.Object(TemplateSchema.properties, {
        additionalProperties: false,
        ...label(
          'Template outside the 24-hour window',
          'قالب خارج نافذة الـ 24 ساعة',
          'Sent instead of the free text when the contact has not written in the last 24 hours; without it such a send is blocked',
          'يُرسل بدل النص الحر إذا لم تكتب جهة الاتصال خلال آخر 24 ساعة؛ وبدونه يُمنع الإرسال',
        ),
      }),
    ),
    document: Type.Optional(
      Type.Object(
        {
          documentId: DocumentIdParam('Document', 'المستند', 'A stored document’s id, e.g. =$nodes.proposal.output.documentId', 'معرّف مستند محفوظ، مثل =$nodes.proposal.output.documentId'),
          caption: Type.Optional(
            Expr(Type.String({ minLength: 1, maxLength: 1024, ...label('Caption', 'التعليق', 'Shown under the document; default: the message text', 'يظهر أسفل المستند؛ الافتراضي: نص الرسالة') })),
          ),
        },
        {
          additionalProperties: false,
          ...label(
            'Document',
            'مستند',
            'Send a stored document (e.g. a proposal PDF) as a WhatsApp document message — WhatsApp Cloud API only; with a template it fills the template’s document header',
            'إرسال مستند محفوظ (مثل ملف عرض السعر PDF) رسالةَ مستند في واتساب — عبر واجهة WhatsApp Cloud فقط؛ ومع قالب يملأ ترويسة المستند في القالب',
          ),
        },
      ),
    ),
    variants: Type.Optional(
      VariantsParam({
        text: Type.Optional(Expr(Type.String({ minLength: 1, maxLength: 4096, ...label('Message', 'الرسالة', 'This variant’s text', 'نص هذه النسخة') }))),
        template: Type.Optional(TemplateSchema),
      }),
    ),
    abTest: Type.Optional(AbTestParam),
    to: Type.Optional(
      Expr(
        Type.String({
          minLength: 3,
          maxLength: 40,
          ...label('To', 'إلى', 'Phone number override (E.164); default: the contact’s phone', 'رقم هاتف بدلًا من رقم جهة الاتصال (بصيغة E.164)؛ الافتراضي: هاتف جهة الاتصال'),
        }),
      ),
    ),
    contactId: Type.Optional(ContactIdParam),
    credential: Type.Optional(CredentialParam(['whatsapp-cloud', 'ultramsg', 'twilio'])),
  },
  { additionalProperties: false },
);

const templateOf = (t: { name: string; language?: string; variables?: Record<string, string> }) => ({
  name: t.name,
  ...(t.language ? { language: t.language } : {}),
  ...(t.variables ? { variables: t.variables } : {}),
});

export const sendWhatsappNode = defineNode({
  type: 'send.whatsapp',
  category: 'sales',
  policyClass: 'B',
  sideEffects: true,
  label: { en: 'Send WhatsApp', ar: 'إرسال واتساب' },
  description: {
    en: 'Sends a WhatsApp message to the contact if they consented to this purpose; outside business hours it waits for the next opening. Free text needs a message from the contact in the last 24 hours, otherwise use a template.',
    ar: 'يرسل رسالة واتساب إلى جهة الاتصال إذا وافقت على هذا الغرض، وخارج ساعات العمل ينتظر أقرب وقت مسموح. النص الحر يتطلب رسالة من جهة الاتصال خلال آخر 24 ساعة، وإلا فاستخدم قالبًا معتمدًا.',
  },
  icon: 'message-circle',
  params,
  outputs: SEND_PORTS,
  credentials: ['whatsapp-cloud', 'ultramsg', 'twilio'],
  check(p): FlowError[] {
    if (p.text === undefined && p.template === undefined && p.document === undefined) return [{ path: '/text', code: 'required', message: 'give text, a template or a document' }];
    return variantProblems(p.variants);
  },
  async execute(ctx) {
    const p = ctx.params;
    return sendAndRoute(
      ctx,
      {
        channel: 'whatsapp',
        purpose: p.purpose,
        ...(p.document?.caption !== undefined ? { text: p.document.caption } : p.text !== undefined ? { text: p.text } : {}),
        ...(p.document ? { attachments: [p.document.documentId] } : {}),
        ...(p.template ? { template: templateOf(p.template) } : {}),
        ...(p.fallbackTemplate ? { fallbackTemplate: templateOf(p.fallbackTemplate) } : {}),
        ...(p.to !== undefined ? { to: p.to } : {}),
        ...(p.credential !== undefined ? { credential: p.credential } : {}),
        ...abRequest(p),
      },
      p.contactId,
    );
  },
});

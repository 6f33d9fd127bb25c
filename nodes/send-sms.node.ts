// send.sms: a text message through the outbox (ctx.send), with the tenant's Unifonic, Taqnyat or Twilio credential
// (the named one, else the first), else the sandbox. SMS goes out only 09:00–21:00 by default
// (the send policy); outside, the step waits. Ports: `sent`, `blocked`, `error`.
import { Type } from '@sinclair/typebox';
import { defineNode, Expr, label } from '../engine/index.js';
import { AbTestParam, ContactIdParam, CredentialParam, PurposeParam, SEND_PORTS, VariantsParam, abRequest, sendAndRoute, variantProblems } from './shared/send-node.js';

const params = Type.Object(
  {
    purpose: PurposeParam,
    text: Expr(Type.String({ minLength: 1, maxLength: 1600, ...label('Message', 'الرسالة', 'The message (long messages are sent in parts)', 'نص الرسالة (تُرسل الرسائل الطويلة على أجزاء)') })),
    variants: Type.Optional(VariantsParam({ text: Expr(Type.String({ minLength: 1, maxLength: 1600, ...label('Message', 'الرسالة', 'This variant’s text', 'نص هذه النسخة') })) })),
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
    credential: Type.Optional(CredentialParam(['unifonic', 'taqnyat', 'twilio'])),
  },
  { additionalProperties: false },
);

export const sendSmsNode = defineNode({
  type: 'send.sms',
  category: 'sales',
  policyClass: 'B',
  sideEffects: true,
  label: { en: 'Send SMS', ar: 'إرسال رسالة نصية' },
  description: {
    en: 'Sends a text message to the contact if they consented to this purpose; outside the allowed hours it waits for the next opening.',
    ar: 'يرسل رسالة نصية إلى جهة الاتصال إذا وافقت على هذا الغرض، وخارج الساعات المسموحة ينتظر أقرب وقت مسموح.',
  },
  icon: 'smartphone',
  params,
  outputs: SEND_PORTS,
  credentials: ['unifonic', 'taqnyat', 'twilio'],
  check(p) {
    return variantProblems(p.variants);
  },
  async execute(ctx) {
    const p = ctx.params;
    return sendAndRoute(
      ctx,
      { channel: 'sms', purpose: p.purpose, text: p.text, ...abRequest(p), ...(p.to !== undefined ? { to: p.to } : {}), ...(p.credential !== undefined ? { credential: p.credential } : {}) },
      p.contactId,
    );
  },
});

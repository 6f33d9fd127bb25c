// consent.check: may the contact be contacted on a channel for a purpose right now? Leaves by
// `granted` or `missing` (with the reason: missing, withdrawn, expired, wrong_channel,
// wrong_purpose, no_contact, erased). It only reads: the outbox checks consent again at send
// time, so a flow without this node still never sends without consent.
import { Type } from '@sinclair/typebox';
import { CHANNELS, choices, defineNode, Expr, label, NodeFailure } from '../engine/index.js';
import { ContactIdParam, PurposeParam, contactIdOf } from './shared/send-node.js';

export const CONSENT_CHANNELS = CHANNELS;

const params = Type.Object(
  {
    channel: Expr(
      Type.Union(
        choices(CONSENT_CHANNELS, { whatsapp: ['WhatsApp', 'واتساب'], sms: ['SMS', 'رسالة نصية'], email: ['Email', 'البريد الإلكتروني'], call: ['Call', 'مكالمة'] }),
        label('Channel', 'القناة', 'whatsapp, sms, email or call', 'واتساب أو رسالة نصية أو بريد إلكتروني أو مكالمة'),
      ),
    ),
    purpose: PurposeParam,
    contactId: Type.Optional(ContactIdParam),
  },
  { additionalProperties: false },
);

export const consentCheckNode = defineNode({
  type: 'consent.check',
  category: 'sales',
  label: { en: 'Consent check', ar: 'التحقق من الموافقة' },
  description: {
    en: 'Checks whether the contact has a valid consent (PDPL) for a channel and purpose, and routes to "granted" or "missing". Sends check consent again by themselves.',
    ar: 'يتحقق من وجود موافقة سارية لجهة الاتصال (نظام حماية البيانات الشخصية) لقناة وغرض محددين، ويوجّه إلى «ممنوحة» أو «غير متوفرة». عُقد الإرسال تتحقق من الموافقة بنفسها مرة أخرى.',
  },
  icon: 'shield-check',
  params,
  outputs: [
    { port: 'granted', label: { en: 'Granted', ar: 'ممنوحة' } },
    { port: 'missing', label: { en: 'Missing', ar: 'غير متوفرة' } },
  ],
  async execute(ctx) {
    const { channel, purpose } = ctx.params as { channel: (typeof CONSENT_CHANNELS)[number]; purpose: string };
    const contactId = contactIdOf(ctx, ctx.params.contactId);
    if (!ctx.consent) throw new NodeFailure('outbox_unavailable', 'this runtime cannot check consent', { retryable: false });
    const decision = contactId ? await ctx.consent(channel, purpose, contactId) : { ok: false as const, reason: 'no_contact' };
    const output = { granted: decision.ok, reason: decision.ok ? null : decision.reason, contactId, channel, purpose, input: ctx.input };
    return { port: decision.ok ? 'granted' : 'missing', output };
  },
});

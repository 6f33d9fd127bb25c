// send.message: one sequence step that tries channels in order (channel rotation, e.g.
// WhatsApp → SMS → email), the way a HubSpot/Outreach step has a message per channel. Each
// channel carries its own message. The next channel is tried when the contact has no valid
// consent for this one (checked per channel and purpose on every run), when the outbox blocks
// it or the provider refuses it, or — with `deliveryTimeoutSeconds` — when it is not reported
// delivered in time. The first channel that goes out ends the step (`sent`); with
// `sendOnEveryChannel` it goes out on every channel that can take it. None → `not_sent`.
//
// Exactly once: every channel has its own outbox key (`<step>:<channel>`, SendRequest.key), so a
// re-run of the step answers from the rows and never sends a channel twice; a channel that
// failed is final for the step (the rotation moved on), and an uncertain send (it may have gone
// out) stops the rotation with send_uncertain rather than risk a second message.
import { Type } from '@sinclair/typebox';
import { choices, CREDENTIAL_NAME_PATTERN, defineNode, ERROR_PORT, Expr, label, NodeFailure, type FlowError, type NodeContext, type SendChannel, type SendRequest } from '../engine/index.js';
import { ContactIdParam, PurposeParam, contactIdOf } from './shared/send-node.js';

export const ROTATION_CHANNELS: readonly SendChannel[] = ['whatsapp', 'sms', 'email'];
/** Longest wait for a delivery report before the next channel (7 days). */
export const MAX_DELIVERY_TIMEOUT_SECONDS = 7 * 86_400;
/** How often a pending delivery is looked at again (at most; sooner when the deadline is nearer). */
export const DELIVERY_POLL_MS = 5 * 60_000;

const TemplateFields = {
  name: Type.String({ minLength: 1, maxLength: 512, ...label('Template name', 'اسم القالب', 'The approved template’s name', 'اسم القالب المعتمد') }),
  language: Type.Optional(Type.String({ minLength: 2, maxLength: 16, default: 'ar', ...label('Language', 'اللغة', 'Template language, e.g. ar or en', 'لغة القالب، مثل ar أو en') })),
  variables: Type.Optional(
    Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Expr(Type.String({ maxLength: 1024 })), {
      maxProperties: 50,
      ...label('Variables', 'المتغيرات', 'Template variables; values may be expressions', 'متغيرات القالب؛ ويمكن أن تكون القيم تعبيرات'),
    }),
  ),
};

const ChannelMessage = Type.Object(
  {
    channel: Type.Union(
      choices(ROTATION_CHANNELS, { whatsapp: ['WhatsApp', 'واتساب'], sms: ['SMS', 'رسالة نصية'], email: ['Email', 'بريد إلكتروني'] }),
      label('Channel', 'القناة', 'The channel of this message', 'قناة هذه الرسالة'),
    ),
    text: Type.Optional(
      Expr(
        Type.String({
          minLength: 1,
          maxLength: 100_000,
          ...label('Message', 'الرسالة', 'The text (WhatsApp free text only within 24 hours of the contact’s last message; email: the plain-text body)', 'النص (نص واتساب الحر خلال 24 ساعة فقط من آخر رسالة من جهة الاتصال؛ وفي البريد: النص العادي)'),
        }),
      ),
    ),
    subject: Type.Optional(Expr(Type.String({ minLength: 1, maxLength: 500, ...label('Subject', 'الموضوع', 'Email subject line', 'سطر موضوع البريد') }))),
    html: Type.Optional(Expr(Type.String({ minLength: 1, maxLength: 500_000, ...label('HTML body', 'نص HTML', 'Email HTML body', 'نص البريد بصيغة HTML') }))),
    template: Type.Optional(
      Type.Object(
        TemplateFields,
        { additionalProperties: false, ...label('WhatsApp template', 'قالب واتساب', 'An approved WhatsApp template (required outside the 24-hour window)', 'قالب واتساب معتمد (مطلوب خارج نافذة الـ 24 ساعة)') },
      ),
    ),
    fallbackTemplate: Type.Optional(
      Type.Object(TemplateFields, {
        additionalProperties: false,
        ...label('Template outside the 24-hour window', 'قالب خارج نافذة الـ 24 ساعة', 'WhatsApp: sent instead of the free text when the contact has not written in the last 24 hours; without it such a send is blocked', 'واتساب: يُرسل بدل النص الحر إذا لم تكتب جهة الاتصال خلال آخر 24 ساعة؛ وبدونه يُمنع الإرسال'),
      }),
    ),
    credential: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        pattern: CREDENTIAL_NAME_PATTERN,
        'x-credential-types': ['whatsapp-cloud', 'ultramsg', 'twilio', 'unifonic', 'taqnyat', 'smtp'],
        ...label('Sender', 'المرسِل', 'Credential (WhatsApp number, SMS sender, mailbox) to send with; default: the first of the channel, else the sandbox', 'بيانات الاعتماد (رقم واتساب أو مرسل الرسائل النصية أو صندوق البريد) المستخدمة؛ الافتراضي: أولها للقناة، وإلا فبيئة التجربة'),
      }),
    ),
  },
  { additionalProperties: false, ...label('Channel message', 'رسالة القناة', 'One channel of the rotation and its message', 'قناة من قنوات التناوب ورسالتها') },
);

const params = Type.Object(
  {
    purpose: PurposeParam,
    channels: Type.Array(ChannelMessage, {
      minItems: 1,
      maxItems: 3,
      ...label('Channels, in order', 'القنوات بالترتيب', 'Tried in this order: the next one when there is no consent, the send is refused, or it is not delivered in time', 'تُجرَّب بهذا الترتيب: التالية عند غياب الموافقة أو رفض الإرسال أو عدم التسليم في الوقت المحدد'),
    }),
    deliveryTimeoutSeconds: Type.Optional(
      Type.Integer({
        minimum: 60,
        maximum: MAX_DELIVERY_TIMEOUT_SECONDS,
        ...label('Delivery timeout (seconds)', 'مهلة التسليم (بالثواني)', 'Try the next channel when the provider has not reported the message delivered within this time; absent: sent is enough', 'جرّب القناة التالية إذا لم يُبلغ المزوّد بتسليم الرسالة خلال هذه المدة؛ وإن تُرك فارغًا يكفي الإرسال'),
      }),
    ),
    sendOnEveryChannel: Type.Optional(
      Type.Boolean({
        default: false,
        ...label('Send on every channel', 'الإرسال على كل القنوات', 'Send on every channel that can take it instead of stopping at the first (the contact may get the message more than once)', 'الإرسال على كل قناة ممكنة بدل التوقف عند أول قناة (قد تصل الرسالة إلى جهة الاتصال أكثر من مرة)'),
      }),
    ),
    contactId: Type.Optional(ContactIdParam),
  },
  { additionalProperties: false },
);

export interface RotationAttempt {
  channel: SendChannel;
  outcome: 'sent' | 'delivered' | 'no_consent' | 'blocked' | 'failed' | 'not_delivered';
  reason?: string;
  messageId?: string;
}

export const sendMessageNode = defineNode({
  type: 'send.message',
  category: 'sales',
  policyClass: 'B',
  sideEffects: true,
  label: { en: 'Send message (channel rotation)', ar: 'إرسال رسالة (تناوب القنوات)' },
  description: {
    en: 'A sequence step with a message per channel, tried in order (e.g. WhatsApp, then SMS, then email): the next channel when the contact has not consented, the send is refused, or it is not delivered in time. Sends once per step unless told to send on every channel.',
    ar: 'خطوة في السلسلة لها رسالة لكل قناة تُجرَّب بالترتيب (مثل واتساب ثم الرسائل النصية ثم البريد): تنتقل إلى القناة التالية إذا لم توافق جهة الاتصال أو رُفض الإرسال أو لم تُسلَّم الرسالة في الوقت المحدد. ترسل مرة واحدة في الخطوة ما لم يُطلب الإرسال على كل القنوات.',
  },
  icon: 'send',
  params,
  outputs: [
    { port: 'sent', label: { en: 'Sent', ar: 'أُرسلت' } },
    { port: 'not_sent', label: { en: 'Not sent (no channel)', ar: 'لم تُرسل (لا قناة)' } },
    ERROR_PORT,
  ],
  credentials: ['whatsapp-cloud', 'ultramsg', 'twilio', 'unifonic', 'taqnyat', 'smtp'],
  check(p): FlowError[] {
    const errors: FlowError[] = [];
    const seen = new Set<string>();
    p.channels.forEach((c, i) => {
      const path = `/channels/${i}`;
      if (seen.has(c.channel)) errors.push({ path: `${path}/channel`, code: 'duplicate_channel', message: `${c.channel} is listed twice` });
      seen.add(c.channel);
      if (c.channel === 'whatsapp' && c.text === undefined && c.template === undefined) errors.push({ path: `${path}/text`, code: 'required', message: 'a WhatsApp message needs text or a template' });
      if (c.channel === 'sms' && c.text === undefined) errors.push({ path: `${path}/text`, code: 'required', message: 'an SMS needs text' });
      if (c.channel === 'email' && c.subject === undefined) errors.push({ path: `${path}/subject`, code: 'required', message: 'an email needs a subject' });
      if (c.channel === 'email' && c.text === undefined && c.html === undefined) errors.push({ path: `${path}/text`, code: 'required', message: 'an email needs text or html' });
      if (c.channel !== 'whatsapp' && c.fallbackTemplate !== undefined) errors.push({ path: `${path}/fallbackTemplate`, code: 'not_allowed', message: 'templates are for WhatsApp' });
      if (c.channel !== 'whatsapp' && c.template !== undefined) errors.push({ path: `${path}/template`, code: 'not_allowed', message: 'templates are for WhatsApp' });
      if (c.channel !== 'email' && (c.subject !== undefined || c.html !== undefined)) errors.push({ path: `${path}/subject`, code: 'not_allowed', message: 'subject and html are for email' });
    });
    return errors;
  },
  async execute(ctx) {
    return rotate(ctx as unknown as NodeContext<RotationParams>);
  },
});

type RotationParams = {
  purpose: string;
  channels: Array<{
    channel: SendChannel;
    text?: string;
    subject?: string;
    html?: string;
    template?: { name: string; language?: string; variables?: Record<string, string> };
    fallbackTemplate?: { name: string; language?: string; variables?: Record<string, string> };
    credential?: string;
  }>;
  deliveryTimeoutSeconds?: number;
  sendOnEveryChannel?: boolean;
  contactId?: string;
};

async function rotate(ctx: NodeContext<RotationParams>) {
  const p = ctx.params;
  const contactId = contactIdOf(ctx as NodeContext<unknown>, p.contactId);
  if (!contactId) throw new NodeFailure('no_contact', 'no contact to send to: set contactId or start the execution for a contact', { retryable: false, path: '/params/contactId' });
  if (!ctx.send || !ctx.consent) throw new NodeFailure('outbox_unavailable', 'this runtime has no outbox: messages cannot be sent', { retryable: false });
  const every = p.sendOnEveryChannel === true;
  const timeoutMs = p.deliveryTimeoutSeconds !== undefined ? p.deliveryTimeoutSeconds * 1000 : null;
  const now = ctx.now().getTime();
  const tried: RotationAttempt[] = [];
  const sent: Array<{ channel: SendChannel; messageId: string; provider: string; to: string }> = [];
  for (const [index, spec] of p.channels.entries()) {
    const channel = spec.channel;
    const last = index === p.channels.length - 1;
    // Consent for exactly this channel and purpose, now (every run).
    const consent = await ctx.consent(channel, p.purpose, contactId);
    if (!consent.ok) {
      tried.push({ channel, outcome: 'no_consent', reason: consent.reason });
      continue;
    }
    const request: SendRequest = {
      channel,
      contactId,
      purpose: p.purpose,
      key: channel,
      ...(spec.text !== undefined ? { text: spec.text } : {}),
      ...(spec.subject !== undefined ? { subject: spec.subject } : {}),
      ...(spec.html !== undefined ? { html: spec.html } : {}),
      ...(spec.template ? { template: spec.template } : {}),
      ...(spec.fallbackTemplate ? { fallbackTemplate: spec.fallbackTemplate } : {}),
      ...(spec.credential !== undefined ? { credential: spec.credential } : {}),
    };
    const result = await ctx.send(request); // a deferral (window, cap, pacing) propagates: the step sleeps
    if (result.status === 'blocked') {
      tried.push({ channel, outcome: 'blocked', reason: result.reason, messageId: result.messageId });
      continue;
    }
    if (result.status === 'failed') {
      // It may have gone out: never risk the same step on a second channel.
      if (result.code === 'send_uncertain') throw new NodeFailure('send_uncertain', `${result.message} (message ${result.messageId})`, { retryable: false });
      tried.push({ channel, outcome: 'failed', reason: result.code, messageId: result.messageId });
      continue;
    }
    // The last channel has nothing to fall back to: sent is enough there.
    if (timeoutMs !== null && !every && !last) {
      const sentAt = result.sentAt ?? now;
      const deadline = sentAt + timeoutMs;
      const deliveredInTime = result.deliveredAt !== null && result.deliveredAt !== undefined && result.deliveredAt <= deadline;
      if (!deliveredInTime) {
        if (now < deadline) {
          // Look again later (a durable sleep that spends no retry).
          throw new NodeFailure('awaiting_delivery', `waiting for ${channel} delivery until ${new Date(deadline).toISOString()} (message ${result.messageId})`, {
            retryable: true,
            retryAfterMs: Math.min(deadline - now, DELIVERY_POLL_MS),
          });
        }
        tried.push({ channel, outcome: 'not_delivered', messageId: result.messageId });
        continue;
      }
      tried.push({ channel, outcome: 'delivered', messageId: result.messageId });
    } else {
      tried.push({ channel, outcome: 'sent', messageId: result.messageId });
    }
    sent.push({ channel, messageId: result.messageId, provider: result.provider, to: result.to });
    if (!every) break;
  }
  const common = { contactId, purpose: p.purpose, tried };
  if (sent.length > 0) {
    const first = sent[0]!;
    return { port: 'sent', output: { ...common, status: 'sent', channel: first.channel, messageId: first.messageId, provider: first.provider, to: first.to, sent } };
  }
  if (ctx.connected && !ctx.connected('not_sent')) {
    const why = tried.map((t) => `${t.channel}: ${t.reason ?? t.outcome}`).join(', ');
    throw new NodeFailure('no_channel', `not sent on any channel (${why}); connect the "not_sent" port to handle it`, { retryable: false });
  }
  return { port: 'not_sent', output: { ...common, status: 'not_sent', channel: null } };
}

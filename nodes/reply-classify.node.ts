// reply.classify: routes a contact's reply by what it means — interested, not now, out of
// office, wrong person, unsubscribe, question, other — in Arabic (Gulf dialect included) and
// English, through ctx.llm (Groq → OpenAI) with the rules of engine/llm/reply-classifier.ts as
// the fallback. Put it after `wait.event` (message.received): the inbound handler has already
// classified the reply and stored the class with the message (payload `replyClass`,
// `returnDate`), which is used as is unless `text` is given. Output {class, returnDate,
// returnAt, by, text}; an out-of-office reply with a return date gives `returnAt` (ISO, 09:00
// local) for a following time.delay.
import { Type } from '@sinclair/typebox';
import {
  classifyReply,
  defineNode,
  Expr,
  label,
  REPLY_CLASS_LABELS,
  REPLY_CLASSES,
  rulesOnlyLlm,
  startOfLocalDate,
  DEFAULT_TIMEZONE,
  type ReplyClass,
  type NodeContext,
} from '../engine/index.js';

const params = Type.Object(
  {
    text: Type.Optional(
      Expr(
        Type.String({
          maxLength: 20_000,
          ...label('Reply text', 'نص الرد', 'The reply to classify; default: the received message (its stored class is used)', 'الرد المراد تصنيفه؛ الافتراضي: الرسالة المستلمة (ويُستخدم تصنيفها المحفوظ)'),
        }),
      ),
    ),
  },
  { additionalProperties: false },
);

export const REPLY_PORTS = REPLY_CLASSES.map((c) => ({ port: c, label: { en: REPLY_CLASS_LABELS[c][0], ar: REPLY_CLASS_LABELS[c][1] } }));

export const replyClassifyNode = defineNode({
  type: 'reply.classify',
  category: 'sales',
  // May call an LLM provider (seconds, money): committed before and after.
  sideEffects: true,
  label: { en: 'Classify reply', ar: 'تصنيف الرد' },
  description: {
    en: 'Routes a reply by its meaning: interested, not now, out of office (with the return date), wrong person, unsubscribe, question or other. Arabic (Gulf dialect included) and English; AI with built-in rules as the fallback.',
    ar: 'يوجّه الرد حسب معناه: مهتم، ليس الآن، خارج المكتب (مع تاريخ العودة)، الشخص غير المعني، إلغاء الاشتراك، سؤال، أو أخرى. بالعربية (ومنها اللهجة الخليجية) والإنجليزية، بالذكاء الاصطناعي مع قواعد مدمجة بديلة.',
  },
  icon: 'message-square',
  params,
  outputs: REPLY_PORTS,
  async execute(ctx) {
    return classify(ctx as unknown as NodeContext<{ text?: string }>);
  },
});

function receivedOf(input: unknown): { body?: unknown; replyClass?: unknown; returnDate?: unknown } {
  return input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : {};
}

async function classify(ctx: NodeContext<{ text?: string }>) {
  const received = receivedOf(ctx.input);
  const stored = typeof received.replyClass === 'string' && (REPLY_CLASSES as readonly string[]).includes(received.replyClass) && ctx.params.text === undefined;
  const text = ctx.params.text ?? (typeof received.body === 'string' ? received.body : '');
  let cls: ReplyClass;
  let returnDate: string | null;
  let by: string;
  if (stored) {
    cls = received.replyClass as ReplyClass;
    returnDate = typeof received.returnDate === 'string' ? received.returnDate : null;
    by = 'stored';
  } else {
    const r = await classifyReply(ctx.llm ?? rulesOnlyLlm(), text, { now: ctx.now(), timezone: DEFAULT_TIMEZONE, signal: ctx.signal });
    cls = r.class;
    returnDate = r.returnDate;
    by = r.by;
  }
  const returnAt = returnDate ? new Date(startOfLocalDate(returnDate, DEFAULT_TIMEZONE).getTime() + 9 * 3_600_000).toISOString() : null;
  return { port: cls, output: { class: cls, returnDate, returnAt, by, text } };
}

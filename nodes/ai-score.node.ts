// ai.score (Lead Qualifier): scores a lead 0–100 through ctx.llm (its task class `classification`: Groq → OpenAI by default → the rules
// scorer of engine/llm/rules-scorer.ts) and leaves by hot / warm / cold per the thresholds.
// Output {score, tier, reasons, llm: {provider, model, attempts, usage, costMicroUsd, prompt,
// answer}}: the prompt as sent (masked when the tenant's policy masks), never keys.
import { Type } from '@sinclair/typebox';
import {
  DEFAULT_THRESHOLDS,
  LlmFailure,
  defineNode,
  detectLocale,
  label,
  rulesOnlyLlm,
  scoreLeadByRules,
  tierOf,
  type FlowError,
  type JsonSchema,
  type LlmLocale,
  type LlmResult,
  type NodeContext,
} from '../engine/index.js';
import { contactNames, llmRecord } from './ai-agent-presets.js';

const params = Type.Object(
  {
    lead: Type.Optional(
      Type.Unknown(
        label(
          'Lead',
          'العميل المحتمل',
          'The lead to score (an object or text); usually an expression such as "=$" or "=$trigger.lead". Default: the contact, else the trigger payload',
          'العميل المحتمل المراد تقييمه (كائن أو نص)؛ وعادةً تعبير مثل "=$" أو "=$trigger.lead". الافتراضي: جهة الاتصال، وإلا فبيانات المشغّل',
        ),
      ),
    ),
    conversation: Type.Optional(
      Type.Unknown(
        label(
          'Conversation',
          'المحادثة',
          'Messages exchanged with the lead (text or a list), e.g. "=$nodes.inbox.output.messages"',
          'الرسائل المتبادلة مع العميل المحتمل (نص أو قائمة)، مثل "=$nodes.inbox.output.messages"',
        ),
      ),
    ),
    thresholds: Type.Optional(
      Type.Object(
        {
          hot: Type.Integer({
            minimum: 1,
            maximum: 100,
            default: DEFAULT_THRESHOLDS.hot,
            ...label('Hot from', 'ساخن ابتداءً من', 'Score from which a lead is hot', 'الدرجة التي يُعد العميل المحتمل ابتداءً منها ساخنًا'),
          }),
          warm: Type.Integer({
            minimum: 0,
            maximum: 100,
            default: DEFAULT_THRESHOLDS.warm,
            ...label('Warm from', 'دافئ ابتداءً من', 'Score from which a lead is warm', 'الدرجة التي يُعد العميل المحتمل ابتداءً منها دافئًا'),
          }),
        },
        { additionalProperties: false, default: { ...DEFAULT_THRESHOLDS }, ...label('Thresholds', 'حدود التصنيف') },
      ),
    ),
  },
  { additionalProperties: false },
);

/** What the model must answer. */
export const SCORE_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    score: { type: 'integer', minimum: 0, maximum: 100 },
    reasons: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, minItems: 1, maxItems: 6 },
  },
  required: ['score', 'reasons'],
  additionalProperties: true,
};

const SYSTEM: Record<LlmLocale, string> = {
  en: [
    'You are the Lead Qualifier of a B2B sales team in Saudi Arabia.',
    'Score the lead from 0 (no fit) to 100 (ready to buy) from: budget (SAR; "halalas" are 1/100 SAR), company size, lead source (referrals and inbound requests are strongest), engagement (replies, opens, meetings) and buying signals in the conversation (demo, price, contract, urgency). Someone who says they are not interested scores low.',
    'Give 2 to 5 short reasons in English, each under 12 words.',
  ].join('\n'),
  ar: [
    'أنت مؤهِّل العملاء المحتملين لفريق مبيعات بين الشركات في المملكة العربية السعودية.',
    'قيِّم العميل المحتمل من 0 (غير مناسب) إلى 100 (جاهز للشراء) بناءً على: الميزانية (بالريال؛ الهللة جزء من مئة من الريال)، وحجم الشركة، ومصدر العميل (الإحالات والطلبات الواردة أقواها)، والتفاعل (الردود والفتح والاجتماعات)، وإشارات الشراء في المحادثة (عرض تجريبي، سعر، عقد، استعجال). من يقول إنه غير مهتم يحصل على درجة منخفضة.',
    'اذكر من 2 إلى 5 أسباب قصيرة باللغة العربية، كل سبب أقل من 12 كلمة.',
  ].join('\n'),
};

function userPrompt(lead: unknown, conversation: unknown, locale: LlmLocale): string {
  const json = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 1));
  const parts = [locale === 'ar' ? `العميل المحتمل:\n${json(lead)}` : `Lead:\n${json(lead)}`];
  if (conversation !== undefined && conversation !== null && conversation !== '') parts.push(locale === 'ar' ? `المحادثة:\n${json(conversation)}` : `Conversation:\n${json(conversation)}`);
  return parts.join('\n\n');
}

export const HOT_PORT = { port: 'hot', label: { en: 'Hot', ar: 'ساخن' } };
export const WARM_PORT = { port: 'warm', label: { en: 'Warm', ar: 'دافئ' } };
export const COLD_PORT = { port: 'cold', label: { en: 'Cold', ar: 'بارد' } };

export const aiScoreNode = defineNode({
  type: 'ai.score',
  category: 'sales',
  // Calls an LLM provider (seconds, money): committed before and after, wall-time limited.
  sideEffects: true,
  label: { en: 'AI lead score', ar: 'تقييم العميل بالذكاء الاصطناعي' },
  description: {
    en: 'Lead Qualifier: scores a lead 0–100 with reasons (the classification route of the workspace’s LLM routing — Groq, then OpenAI by default — then built-in rules) and routes it hot, warm or cold. Personal data is masked before it leaves the platform unless the workspace allows it.',
    ar: 'مؤهِّل العملاء: يقيّم العميل المحتمل من 0 إلى 100 مع الأسباب (مسار التصنيف في توجيه النماذج لمساحة العمل — Groq ثم OpenAI افتراضيًا — ثم قواعد مدمجة) ويوجّهه ساخنًا أو دافئًا أو باردًا. تُخفى البيانات الشخصية قبل خروجها من المنصة ما لم تسمح مساحة العمل بغير ذلك.',
  },
  icon: 'gauge',
  params,
  outputs: [HOT_PORT, WARM_PORT, COLD_PORT],
  check(p): FlowError[] {
    const t = p.thresholds;
    if (t && t.warm >= t.hot) return [{ path: '/thresholds/warm', code: 'invalid_value', message: 'warm must be lower than hot' }];
    return [];
  },
  async execute(ctx) {
    return scoreLead(ctx);
  },
});

async function scoreLead(ctx: NodeContext<{ lead?: unknown; conversation?: unknown; thresholds?: { hot: number; warm: number } }>) {
  const p = ctx.params;
  const thresholds = p.thresholds ?? DEFAULT_THRESHOLDS;
  const lead = p.lead !== undefined ? p.lead : ctx.contact ?? ctx.scope.trigger;
  const conversation = p.conversation;
  const llm = ctx.llm ?? rulesOnlyLlm();
  const locale = detectLocale(lead, llm.locale, conversation);
  let result: LlmResult;
  try {
    result = await llm.complete({
      task: 'score',
      system: SYSTEM[locale],
      prompt: userPrompt(lead, conversation, locale),
      outputSchema: SCORE_SCHEMA,
      temperature: 0,
      maxTokens: 400,
      locale,
      pii: { names: contactNames(lead, ctx.contact) },
      rules: () => {
        const r = scoreLeadByRules(lead, conversation, locale);
        return { score: r.score, reasons: r.reasons };
      },
      signal: ctx.signal,
    });
  } catch (err) {
    if (err instanceof LlmFailure) ctx.log('llm attempts', err.attempts);
    throw err;
  }
  const answer = result.json as { score: number; reasons: string[] };
  const score = Math.max(0, Math.min(100, Math.round(answer.score)));
  const tier = tierOf(score, thresholds);
  return { port: tier, output: { score, tier, reasons: answer.reasons.map(String).slice(0, 6), llm: llmRecord(result) } };
}

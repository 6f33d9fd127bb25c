// ai.agent: one of the eight sales agent roles (nodes/ai-agent-presets.ts) or a custom one,
// through ctx.llm (the routes of the role's task class, engine/llm/routing.ts → the role's rules). The answer is JSON validated against the
// role's output schema (or the node's `outputSchema`); output {role, locale, result, llm}. A
// failure (misconfigured provider, no answer and no rules) leaves by `error` when it is
// connected, else fails the step.
import { Type } from '@sinclair/typebox';
import { ERROR_PORT, LlmFailure, NodeFailure, choices, defineNode, label, detectLocale, rulesOnlyLlm, schemaProblem, type FlowError, type JsonSchema, type LlmLocale } from '../engine/index.js';
import { OUT_PORT } from './shared/ports.js';
import { AGENT_PRESETS, AGENT_ROLES, CUSTOM_AGENT_SCHEMA, contactNames, llmRecord, type AgentRole } from './ai-agent-presets.js';

/** Largest input sent to a model (characters of its JSON); longer inputs are cut. */
export const MAX_INPUT_CHARS = 24_000;

const params = Type.Object(
  {
    role: Type.Union(
      [...AGENT_ROLES.map((r) => Type.Literal(r, label(AGENT_PRESETS[r].label.en, AGENT_PRESETS[r].label.ar))), Type.Literal('custom', label('Custom', 'مخصص'))],
      label('Role', 'الدور', 'The agent role (a preset) or "custom" (give instructions)', 'دور الوكيل (أحد الأدوار الجاهزة) أو «مخصص» (مع تعليمات)'),
    ),
    instructions: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 8000,
        ...label('Instructions', 'التعليمات', 'Extra instructions (required for "custom"); may be an expression', 'تعليمات إضافية (مطلوبة للدور «مخصص»)؛ ويمكن أن تكون تعبيرًا'),
      }),
    ),
    input: Type.Optional(
      Type.Unknown(
        label(
          'Input',
          'المدخلات',
          'What the agent works on, usually an expression ("=$", "=$nodes.score.output"). Default: the input item',
          'ما يعمل عليه الوكيل، وعادةً تعبير ("=$" أو "=$nodes.score.output"). الافتراضي: عنصر الإدخال',
        ),
      ),
    ),
    outputSchema: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), label('Output schema', 'مخطط المخرجات', 'JSON Schema of the answer (default: the role’s)', 'مخطط JSON للإجابة (الافتراضي: مخطط الدور)')),
    ),
    locale: Type.Optional(
      Type.Union(choices(['auto', 'ar', 'en'] as const, { auto: ['Automatic', 'تلقائي'], ar: ['Arabic', 'العربية'], en: ['English', 'الإنجليزية'] }), {
        default: 'auto',
        ...label(
          'Language',
          'اللغة',
          'Language of the prompt and answer; auto: the contact’s, else the input’s script, else the workspace’s',
          'لغة التعليمات والإجابة؛ تلقائي: لغة جهة الاتصال، وإلا فلغة نص المدخلات، وإلا فلغة مساحة العمل',
        ),
      }),
    ),
  },
  { additionalProperties: false },
);

function declaredLocale(contact: unknown): LlmLocale | null {
  if (contact === null || typeof contact !== 'object') return null;
  const v = (contact as Record<string, unknown>).locale ?? (contact as Record<string, unknown>).language;
  if (typeof v !== 'string') return null;
  return /^ar/i.test(v) ? 'ar' : /^en/i.test(v) ? 'en' : null;
}

function inputText(input: unknown, locale: LlmLocale): string {
  let json = typeof input === 'string' ? input : (JSON.stringify(input, null, 1) ?? 'null');
  if (json.length > MAX_INPUT_CHARS) json = json.slice(0, MAX_INPUT_CHARS) + (locale === 'ar' ? '\n…(تم اقتطاع بقية المدخلات)' : '\n…(rest of the input cut)');
  return locale === 'ar' ? `المدخلات:\n${json}` : `Input:\n${json}`;
}

export const aiAgentNode = defineNode({
  type: 'ai.agent',
  category: 'sales',
  sideEffects: true,
  label: { en: 'AI agent', ar: 'وكيل ذكاء اصطناعي' },
  description: {
    en: 'Runs a sales agent role (Lead Qualifier, Deal Advisor, Meeting Prep, Sequence Optimizer, Content Generator, Analytics Reporter, Compliance Checker, Escalation Handler) or custom instructions, and outputs its structured JSON answer. The LLM provider for the role’s task class (the workspace’s LLM routing: Claude for sales copy, Gemini for research, Groq for classification…), then the fallback providers, then built-in rules.',
    ar: 'يشغّل دور وكيل مبيعات (مؤهِّل العملاء، مستشار الصفقات، التحضير للاجتماعات، محسِّن السلاسل، مولِّد المحتوى، التقارير التحليلية، مدقِّق الامتثال، معالج التصعيد) أو تعليمات مخصّصة، ويُخرج إجابته بصيغة JSON منظّمة. مزوّد النماذج المخصّص لفئة مهمة الدور (توجيه النماذج في مساحة العمل: Claude للنصوص البيعية، وGemini للبحث، وGroq للتصنيف…)، ثم المزوّدون الاحتياطيون، ثم قواعد مدمجة.',
  },
  icon: 'bot',
  params,
  outputs: [OUT_PORT, ERROR_PORT],
  check(p): FlowError[] {
    const errors: FlowError[] = [];
    if (p.role === 'custom' && !p.instructions) errors.push({ path: '/instructions', code: 'required', message: 'a custom agent needs instructions' });
    if (p.outputSchema !== undefined) {
      const problem = schemaProblem(p.outputSchema);
      if (problem) errors.push({ path: '/outputSchema', code: 'invalid_schema', message: problem });
    }
    return errors;
  },
  async execute(ctx) {
    const p = ctx.params;
    const role = p.role as AgentRole | 'custom';
    const preset = role === 'custom' ? null : AGENT_PRESETS[role];
    if (!preset && !p.instructions) throw new NodeFailure('invalid_params', 'a custom agent needs instructions', { retryable: false, path: '/params/instructions' });
    const input = p.input !== undefined ? p.input : ctx.input;
    const llm = ctx.llm ?? rulesOnlyLlm();
    const locale: LlmLocale = p.locale === 'ar' || p.locale === 'en' ? p.locale : (declaredLocale(ctx.contact) ?? detectLocale(input, llm.locale));
    const outputSchema = (p.outputSchema as JsonSchema | undefined) ?? preset?.outputSchema ?? CUSTOM_AGENT_SCHEMA;
    const system = [preset?.system[locale], p.instructions].filter(Boolean).join('\n\n');
    const now = ctx.now();
    try {
      const result = await llm.complete({
        task: `agent:${role}`,
        system,
        prompt: inputText(input, locale),
        outputSchema,
        temperature: role === 'content_generator' ? 0.7 : 0.2,
        maxTokens: 1200,
        locale,
        pii: { names: contactNames(input, ctx.contact) },
        ...(preset ? { rules: () => preset.rules(input, locale, now) } : {}),
        signal: ctx.signal,
      });
      const answer = preset?.finalize && !p.outputSchema ? preset.finalize(result.json, input, locale) : result.json;
      return { port: 'out', output: { role, locale, result: answer, llm: llmRecord(result) } };
    } catch (err) {
      if (err instanceof LlmFailure) ctx.log('llm attempts', err.attempts);
      throw err;
    }
  },
});

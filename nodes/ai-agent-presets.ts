// The eight agent roles of the sales CRM (docs/architecture.md "Sales nodes") as
// presets of ai.agent: each has a system prompt in Arabic and English (chosen by the contact's
// or the tenant's locale), a default output JSON Schema, and a deterministic rules answer that
// fits that schema — what the step outputs when no LLM answers (providers down, no keys, or the
// tenant's llm.external = 'off'). The Compliance Checker and the Content Generator also apply
// their deterministic rules to a model's answer (`finalize`): a model can add findings, never
// clear what the rules flag. Also the helpers ai.score and ai.agent share.
import {
  DEFAULT_THRESHOLDS,
  findAmounts,
  normalizeDigits,
  parseCount,
  scoreLeadByRules,
  allTextOf,
  tierOf,
  type JsonSchema,
  type LlmLocale,
  type LlmResult,
  type Localized,
} from '../engine/index.js';

export const AGENT_ROLES = [
  'lead_qualifier',
  'deal_advisor',
  'meeting_prep',
  'sequence_optimizer',
  'content_generator',
  'analytics_reporter',
  'compliance_checker',
  'escalation_handler',
] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

export interface AgentPreset {
  role: AgentRole;
  label: Localized;
  system: Record<LlmLocale, string>;
  outputSchema: JsonSchema;
  /** The deterministic answer (valid against outputSchema). `now` is the step's clock. */
  rules(input: unknown, locale: LlmLocale, now: Date): unknown;
  /** Deterministic rules applied to any answer (model or rules), after validation. */
  finalize?(answer: unknown, input: unknown, locale: LlmLocale): unknown;
}

// --- helpers shared by ai.score and ai.agent ------------------------------------------------

const NAME_KEYS = new Set(['name', 'fullname', 'firstname', 'lastname', 'contactname', 'displayname', 'givenname', 'familyname', 'الاسم', 'اسم', 'الاسمالكامل']);

/** The person names in a lead or contact (for masking): name fields, one level of nesting. */
export function contactNames(...values: unknown[]): string[] {
  const names = new Set<string>();
  const visit = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object' || depth > 2) return;
    if (Array.isArray(v)) return void v.slice(0, 20).forEach((x) => visit(x, depth + 1));
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const key = k.toLowerCase().replace(/[\s_\-.]/g, '');
      if (NAME_KEYS.has(key) && typeof x === 'string' && x.trim().length >= 2 && x.length <= 200) names.add(x.trim());
      else if (typeof x === 'object') visit(x, depth + 1);
    }
  };
  for (const v of values) visit(v, 0);
  return [...names];
}

/** What a step keeps of an LLM call: who answered, every attempt, cost, the prompt as sent and the answer. */
export function llmRecord(result: LlmResult) {
  return {
    provider: result.provider,
    model: result.model,
    // The task class the call was routed by (engine/llm/routing.ts), when the service routed it.
    ...(result.taskClass ? { taskClass: result.taskClass } : {}),
    attempts: result.attempts,
    usage: result.usage,
    costMicroUsd: result.costMicroUsd,
    masked: result.masked,
    prompt: result.sent,
    answer: result.content,
  };
}

// --- small readers over the input ------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const keyOf = (k: string) => k.toLowerCase().replace(/[\s_\-.]/g, '');

/** The first value under one of `keys` (reduced: "last_activity_at" → "lastactivityat"), one level deep too. */
function field(input: unknown, ...keys: string[]): unknown {
  if (!isObj(input)) return undefined;
  const want = new Set(keys.map(keyOf));
  for (const [k, v] of Object.entries(input)) if (want.has(keyOf(k)) && v !== undefined && v !== null && v !== '') return v;
  for (const v of Object.values(input)) {
    if (!isObj(v)) continue;
    for (const [k, x] of Object.entries(v)) if (want.has(keyOf(k)) && x !== undefined && x !== null && x !== '') return x;
  }
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number | undefined => {
  const n = parseCount(v);
  return n === null ? undefined : n;
};
const fmt = (n: number, locale: LlmLocale) => new Intl.NumberFormat(locale === 'ar' ? 'ar-SA' : 'en-US', { maximumFractionDigits: 0 }).format(n);
const t = (locale: LlmLocale, en: string, ar: string) => (locale === 'ar' ? ar : en);
const hasArabic = (s: string) => /[\u0600-\u06FF]/.test(s);
const daysBetween = (from: number, to: number) => Math.floor((to - from) / 86_400_000);

// --- schemas --------------------------------------------------------------------------------

const text = (max = 2000) => ({ type: 'string', minLength: 1, maxLength: max });
const list = (min: number, max: number, item: object = text(300)) => ({ type: 'array', items: item, minItems: min, maxItems: max });

const LEAD_QUALIFIER_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    score: { type: 'integer', minimum: 0, maximum: 100 },
    tier: { enum: ['hot', 'warm', 'cold'] },
    reasons: list(1, 6),
    nextAction: text(300),
  },
  required: ['score', 'tier', 'reasons', 'nextAction'],
};

const DEAL_ADVISOR_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    risk: { enum: ['low', 'medium', 'high'] },
    winProbability: { type: 'integer', minimum: 0, maximum: 100 },
    nextSteps: list(1, 5),
    summary: text(1000),
  },
  required: ['risk', 'winProbability', 'nextSteps', 'summary'],
};

const MEETING_PREP_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    brief: text(1500),
    talkingPoints: list(1, 6),
    questions: list(1, 6),
    risks: list(0, 4),
  },
  required: ['brief', 'talkingPoints', 'questions'],
};

const SEQUENCE_OPTIMIZER_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    recommendations: list(1, 5, {
      type: 'object',
      properties: { change: text(300), reason: text(300) },
      required: ['change', 'reason'],
    }),
    bestChannel: { type: ['string', 'null'] },
    expectedImpact: { enum: ['low', 'medium', 'high'] },
  },
  required: ['recommendations', 'bestChannel', 'expectedImpact'],
};

const CONTENT_GENERATOR_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    language: { enum: ['ar', 'en'] },
    subject: { type: 'string', maxLength: 200 },
    body: text(4000),
    variables: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.]*$' }, maxItems: 20 },
  },
  required: ['language', 'body', 'variables'],
};

const ANALYTICS_REPORTER_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    summary: text(1500),
    highlights: list(0, 6),
    concerns: list(0, 6),
  },
  required: ['summary', 'highlights', 'concerns'],
};

const COMPLIANCE_CHECKER_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    compliant: { type: 'boolean' },
    issues: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        properties: { code: { type: 'string', pattern: '^[a-z_]{2,40}$' }, severity: { enum: ['block', 'warn'] }, message: text(500) },
        required: ['code', 'severity', 'message'],
      },
    },
  },
  required: ['compliant', 'issues'],
};

const ESCALATION_HANDLER_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    escalate: { type: 'boolean' },
    priority: { enum: ['low', 'normal', 'high', 'urgent'] },
    route: { enum: ['sales_rep', 'manager', 'support', 'legal'] },
    reason: text(500),
    summary: text(1000),
  },
  required: ['escalate', 'priority', 'route', 'reason', 'summary'],
};

// --- rules ----------------------------------------------------------------------------------

function leadQualifierRules(input: unknown, locale: LlmLocale): unknown {
  const lead = field(input, 'lead', 'contact') ?? input;
  const r = scoreLeadByRules(lead, field(input, 'conversation', 'messages'), locale);
  const tier = tierOf(r.score, DEFAULT_THRESHOLDS);
  const nextAction = {
    hot: t(locale, 'Call the lead within the hour and propose a meeting', 'اتصل بالعميل خلال ساعة واقترح اجتماعًا'),
    warm: t(locale, 'Send a tailored follow-up and offer a demo', 'أرسل متابعة مخصّصة واعرض تجربة للمنتج'),
    cold: t(locale, 'Add the lead to a nurture sequence', 'أضف العميل إلى سلسلة رعاية طويلة'),
  }[tier];
  return { score: r.score, tier, reasons: r.reasons, nextAction };
}

const STAGE_PROBABILITY: [RegExp, number, string][] = [
  [/won|مكسوب|فاز|تم الإغلاق بنجاح/i, 100, 'won'],
  [/lost|خاسر|مفقود|خسر/i, 0, 'lost'],
  [/negotiat|تفاوض/i, 60, 'negotiation'],
  [/proposal|quote|عرض/i, 40, 'proposal'],
  [/qualif|مؤهل|تأهيل/i, 20, 'qualified'],
  [/meeting|demo|اجتماع|تجربة/i, 30, 'meeting'],
  [/new|lead|جديد/i, 10, 'new'],
];

function dealAdvisorRules(input: unknown, locale: LlmLocale, now: Date): unknown {
  const deal = field(input, 'deal') ?? input;
  const stageText = str(field(deal, 'stage', 'status', 'المرحلة')) ?? '';
  const stage = STAGE_PROBABILITY.find(([re]) => re.test(stageText));
  const given = num(field(deal, 'probability', 'winprobability', 'الاحتمال'));
  let winProbability = Math.round(Math.max(0, Math.min(100, given !== undefined ? (given <= 1 && given > 0 ? given * 100 : given) : (stage?.[1] ?? 20))));
  const last = Date.parse(String(field(deal, 'lastActivityAt', 'lastActivity', 'lastContactAt', 'updatedAt') ?? ''));
  const idle = num(field(deal, 'daysSinceActivity', 'idleDays')) ?? (Number.isNaN(last) ? undefined : daysBetween(last, now.getTime()));
  const close = Date.parse(String(field(deal, 'closeDate', 'expectedClose', 'closeAt') ?? ''));
  const overdue = !Number.isNaN(close) && close < now.getTime() && stage?.[2] !== 'won' && stage?.[2] !== 'lost';
  const value = findAmounts(String(field(deal, 'valueSar', 'value', 'amount', 'budget') ?? '')).reduce((m, a) => Math.max(m, a.sar), 0);
  let risk: 'low' | 'medium' | 'high' = 'low';
  if ((idle !== undefined && idle > 14) || overdue) risk = 'high';
  else if ((idle !== undefined && idle > 7) || winProbability < 30) risk = 'medium';
  if (risk === 'high') winProbability = Math.min(winProbability, 35);
  const steps: string[] = [];
  if (idle !== undefined && idle > 7) steps.push(t(locale, `Re-engage: no activity for ${idle} days — call the decision maker`, `أعد التواصل: لا نشاط منذ ${fmt(idle, locale)} يومًا — اتصل بصاحب القرار`));
  if (overdue) steps.push(t(locale, 'The close date has passed: agree a new date with the buyer', 'تجاوزت الصفقة تاريخ الإغلاق: اتفق مع العميل على موعد جديد'));
  const byStage: Record<string, [string, string]> = {
    new: ['Qualify budget, authority, need and timeline', 'تحقّق من الميزانية وصاحب القرار والحاجة والتوقيت'],
    qualified: ['Book a discovery meeting or demo', 'احجز اجتماعًا استكشافيًا أو عرضًا تجريبيًا'],
    meeting: ['Send a meeting summary and a proposal date', 'أرسل ملخص الاجتماع وموعد تقديم العرض'],
    proposal: ['Follow up on the proposal and handle objections', 'تابع العرض المقدَّم وعالج الاعتراضات'],
    negotiation: ['Confirm terms and prepare the contract', 'أكّد الشروط وجهّز العقد'],
    won: ['Hand over to onboarding and ask for a referral', 'سلّم العميل لفريق التفعيل واطلب إحالة'],
    lost: ['Record the loss reason and schedule a check-in in 90 days', 'سجّل سبب الخسارة وحدّد متابعة بعد 90 يومًا'],
  };
  const s = byStage[stage?.[2] ?? 'new']!;
  steps.push(t(locale, s[0], s[1]));
  const summary = t(
    locale,
    `Stage ${stageText || 'unknown'}${value ? `, value SAR ${fmt(value, locale)}` : ''}; risk ${risk}, win probability ${winProbability}%.`,
    `المرحلة ${stageText || 'غير معروفة'}${value ? `، القيمة ${fmt(value, locale)} ريال` : ''}؛ المخاطرة ${{ low: 'منخفضة', medium: 'متوسطة', high: 'مرتفعة' }[risk]}، واحتمال الفوز ${fmt(winProbability, locale)}٪.`,
  );
  return { risk, winProbability, nextSteps: steps.slice(0, 5), summary };
}

function meetingPrepRules(input: unknown, locale: LlmLocale): unknown {
  const contact = field(input, 'contact', 'lead');
  const name = str(field(contact ?? input, 'name', 'fullName', 'firstName')) ?? t(locale, 'the client', 'العميل');
  const company = str(field(input, 'company', 'companyName', 'الشركة')) ?? str(field(contact, 'company')) ?? '';
  const deal = field(input, 'deal');
  const stage = str(field(deal, 'stage')) ?? '';
  const notes = str(field(input, 'notes', 'ملاحظات')) ?? '';
  const brief = t(
    locale,
    `Meeting with ${name}${company ? ` (${company})` : ''}${stage ? `; deal stage: ${stage}` : ''}.${notes ? ` Notes: ${notes.slice(0, 300)}` : ''}`,
    `اجتماع مع ${name}${company ? ` (${company})` : ''}${stage ? `؛ مرحلة الصفقة: ${stage}` : ''}.${notes ? ` ملاحظات: ${notes.slice(0, 300)}` : ''}`,
  );
  return {
    brief,
    talkingPoints: [
      t(locale, 'Their current process and what it costs them', 'طريقة عملهم الحالية وتكلفتها عليهم'),
      t(locale, 'Results similar Saudi companies achieved', 'نتائج حققتها شركات سعودية مشابهة'),
      t(locale, 'Next step and timeline', 'الخطوة التالية والجدول الزمني'),
    ],
    questions: [
      t(locale, 'Who else takes part in the decision?', 'من يشارك أيضًا في اتخاذ القرار؟'),
      t(locale, 'What budget is set aside for this?', 'ما الميزانية المخصّصة لهذا؟'),
      t(locale, 'By when do you need a solution in place?', 'متى تحتاجون الحل جاهزًا؟'),
    ],
    risks: notes ? [] : [t(locale, 'No notes from earlier conversations', 'لا توجد ملاحظات من محادثات سابقة')],
  };
}

function sequenceOptimizerRules(input: unknown, locale: LlmLocale): unknown {
  const raw = field(input, 'steps', 'sequence', 'الخطوات');
  const steps = Array.isArray(raw) ? raw.filter(isObj) : Array.isArray(input) ? input.filter(isObj) : [];
  const byChannel = new Map<string, { sent: number; replied: number }>();
  const recommendations: { change: string; reason: string }[] = [];
  steps.forEach((s, i) => {
    const channel = (str(field(s, 'channel', 'القناة')) ?? 'unknown').toLowerCase();
    const sent = num(field(s, 'sent', 'delivered')) ?? 0;
    const replied = num(field(s, 'replied', 'replies')) ?? 0;
    const c = byChannel.get(channel) ?? { sent: 0, replied: 0 };
    c.sent += sent;
    c.replied += replied;
    byChannel.set(channel, c);
    if (sent >= 20 && replied === 0) {
      recommendations.push({
        change: t(locale, `Rewrite or drop step ${i + 1} (${channel})`, `أعد كتابة الخطوة ${fmt(i + 1, locale)} (${channel}) أو احذفها`),
        reason: t(locale, `${sent} sent, no replies`, `أُرسلت ${fmt(sent, locale)} رسالة دون أي رد`),
      });
    }
  });
  let best: string | null = null;
  let bestRate = -1;
  for (const [channel, c] of byChannel) {
    const rate = c.sent ? c.replied / c.sent : 0;
    if (c.sent > 0 && rate > bestRate) [best, bestRate] = [channel, rate];
  }
  if (best) {
    recommendations.unshift({
      change: t(locale, `Move the first touch to ${best}`, `اجعل أول تواصل عبر ${best}`),
      reason: t(locale, `Best reply rate: ${Math.round(bestRate * 100)}%`, `أعلى نسبة ردود: ${fmt(Math.round(bestRate * 100), locale)}٪`),
    });
  }
  if (!recommendations.length) {
    recommendations.push({
      change: t(locale, 'Send during Saudi business hours (Sun–Thu, 9:00–12:00)', 'أرسل في ساعات العمل السعودية (الأحد–الخميس، 9:00–12:00)'),
      reason: t(locale, 'Not enough data per step to compare channels', 'لا تكفي البيانات للمقارنة بين القنوات'),
    });
  }
  const impact = bestRate >= 0.15 ? 'high' : bestRate >= 0.05 ? 'medium' : 'low';
  return { recommendations: recommendations.slice(0, 5), bestChannel: best, expectedImpact: impact };
}

const OPT_OUT_RE = /\bstop\b|unsubscribe|opt[\s-]?out|إيقاف|ايقاف|إلغاء الاشتراك|الغاء الاشتراك|لإلغاء|لالغاء|لإيقاف|لايقاف/i;
const OPT_OUT_LINE: Record<LlmLocale, string> = { ar: 'لإيقاف الرسائل أرسل: إيقاف', en: 'Reply STOP to opt out' };

function variablesIn(body: string): string[] {
  return [...new Set([...body.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}/g)].map((m) => m[1]!))].slice(0, 20);
}

function contentGeneratorRules(input: unknown, locale: LlmLocale): unknown {
  const lang = (str(field(input, 'language', 'lang', 'اللغة')) ?? locale).toLowerCase().startsWith('en') ? 'en' : 'ar';
  const channel = (str(field(input, 'channel', 'القناة')) ?? 'whatsapp').toLowerCase();
  const topic = str(field(input, 'topic', 'product', 'offer', 'purpose', 'الموضوع', 'المنتج')) ?? '';
  const body =
    lang === 'ar'
      ? `مرحبًا {{first_name}}،\nمعك {{sender_name}} من {{company}}.${topic ? ` نود أن نعرض عليك ${topic}.` : ' يسعدنا التواصل معك.'}\nهل يناسبك اتصال قصير هذا الأسبوع؟`
      : `Hi {{first_name}},\nThis is {{sender_name}} from {{company}}.${topic ? ` We would like to show you ${topic}.` : ' Glad to be in touch.'}\nWould a short call this week suit you?`;
  return {
    language: lang,
    ...(channel === 'email' ? { subject: lang === 'ar' ? `{{first_name}}، ${topic || 'فرصة تناسب فريقك'}` : `{{first_name}}, ${topic || 'an idea for your team'}` } : {}),
    body,
    variables: variablesIn(body),
  };
}

/** Marketing drafts always carry an opt-out line; `variables` lists what the body uses. */
function contentGeneratorFinalize(answer: unknown, input: unknown): unknown {
  if (!isObj(answer) || typeof answer.body !== 'string') return answer;
  const purpose = (str(field(input, 'purpose', 'الغرض')) ?? 'marketing').toLowerCase();
  const lang: LlmLocale = answer.language === 'en' ? 'en' : 'ar';
  let body = answer.body;
  if (!/service|خدم|transactional/.test(purpose) && !OPT_OUT_RE.test(body)) body = `${body}\n${OPT_OUT_LINE[lang]}`;
  return { ...answer, body, variables: variablesIn(`${typeof answer.subject === 'string' ? answer.subject : ''}\n${body}`) };
}

function analyticsReporterRules(input: unknown, locale: LlmLocale): unknown {
  const metrics = field(input, 'metrics', 'current', 'المؤشرات');
  const previous = field(input, 'previous', 'prior', 'السابق');
  const period = str(field(input, 'period', 'الفترة')) ?? '';
  const numbers = (v: unknown): [string, number][] => (isObj(v) ? Object.entries(v).flatMap(([k, x]) => (typeof x === 'number' && Number.isFinite(x) ? [[k, x] as [string, number]] : [])) : []);
  const now = numbers(metrics ?? input);
  const before = new Map(numbers(previous));
  const highlights: string[] = [];
  const concerns: string[] = [];
  for (const [k, v] of now) {
    const p = before.get(k);
    if (p === undefined || p === 0) continue;
    const change = Math.round(((v - p) / Math.abs(p)) * 100);
    if (change >= 10) highlights.push(t(locale, `${k} up ${change}% (${fmt(p, locale)} → ${fmt(v, locale)})`, `${k} ارتفع ${fmt(change, locale)}٪ (${fmt(p, locale)} ← ${fmt(v, locale)})`));
    if (change <= -10) concerns.push(t(locale, `${k} down ${-change}% (${fmt(p, locale)} → ${fmt(v, locale)})`, `${k} انخفض ${fmt(-change, locale)}٪ (${fmt(p, locale)} ← ${fmt(v, locale)})`));
  }
  const listed = now.slice(0, 6).map(([k, v]) => `${k}: ${fmt(v, locale)}`).join(locale === 'ar' ? '، ' : ', ');
  const summary = now.length
    ? t(locale, `${period ? `${period}: ` : ''}${listed}.`, `${period ? `${period}: ` : ''}${listed}.`)
    : t(locale, 'No numeric metrics were given.', 'لم تُقدَّم مؤشرات رقمية.');
  return { summary, highlights: highlights.slice(0, 6), concerns: concerns.slice(0, 6) };
}

const SENSITIVE: [RegExp, 'block' | 'warn', string, string][] = [
  [/guaranteed (?:returns?|profits?|income)|أرباح مضمونة|ربح مضمون|عائد مضمون/i, 'block', 'Promises guaranteed financial returns', 'يَعِد بأرباح أو عوائد مضمونة'],
  [/\bguarantee[ds]?\b|100\s?%|risk[\s-]?free|مضمون|ضمان (?:تام|كامل|100)|بدون مخاطر|بلا مخاطر/i, 'warn', 'Absolute claim (guaranteed, 100%, risk-free)', 'ادعاء مطلق (مضمون، 100٪، بلا مخاطر)'],
  [/best in (?:the )?(?:kingdom|saudi|ksa|market)|number one|no\.?\s?1\b|الأفضل في (?:المملكة|السوق|السعودية)|رقم (?:1|١|واحد)/i, 'warn', 'Superlative claim that needs evidence', 'ادعاء تفضيل يحتاج إلى دليل'],
  [/cures?|treats? (?:diabetes|cancer)|يشفي|علاج نهائي/i, 'block', 'Health claim', 'ادعاء صحي'],
  [/last chance|only today|act now|آخر فرصة|اليوم فقط|سارع قبل/i, 'warn', 'Pressure wording', 'صياغة ضاغطة على العميل'],
];

interface Issue {
  code: string;
  severity: 'block' | 'warn';
  message: string;
}

function complianceIssues(input: unknown, locale: LlmLocale): Issue[] {
  const message = str(field(input, 'message', 'draft', 'body', 'text', 'content', 'الرسالة', 'النص')) ?? (typeof input === 'string' ? input : allTextOf(input));
  const purpose = (str(field(input, 'purpose', 'الغرض')) ?? 'marketing').toLowerCase();
  const marketing = !/service|خدم|transactional|otp/.test(purpose);
  const requireArabic = field(input, 'requireArabic') !== false;
  const issues: Issue[] = [];
  const consent = field(input, 'consent');
  const consentStatus = isObj(consent) ? str(consent.status) : str(consent);
  if (consentStatus !== undefined && !/^(granted|active|valid|yes|true|موافق)/i.test(consentStatus)) {
    issues.push({ code: 'no_consent', severity: 'block', message: t(locale, `No valid consent (status: ${consentStatus})`, `لا توجد موافقة سارية (الحالة: ${consentStatus})`) });
  }
  if (marketing && !OPT_OUT_RE.test(message)) {
    issues.push({ code: 'missing_opt_out', severity: 'block', message: t(locale, 'Marketing message without an opt-out line (e.g. "Reply STOP")', 'رسالة تسويقية بلا طريقة لإيقاف الرسائل (مثل: "أرسل إيقاف")') });
  }
  if (requireArabic && !hasArabic(message)) {
    issues.push({ code: 'missing_arabic', severity: 'block', message: t(locale, 'No Arabic text: messages to Saudi contacts must include Arabic', 'لا يوجد نص عربي: يجب أن تتضمن الرسائل لجهات الاتصال السعودية نصًا عربيًا') });
  }
  for (const [re, severity, en, ar] of SENSITIVE) {
    if (re.test(message) && !issues.some((i) => i.code === 'sensitive_claim' && i.severity === 'block')) {
      issues.push({ code: 'sensitive_claim', severity, message: t(locale, en, ar) });
      if (severity === 'block') break;
    }
  }
  return issues;
}

function complianceCheckerRules(input: unknown, locale: LlmLocale): unknown {
  const issues = complianceIssues(input, locale);
  return { compliant: !issues.some((i) => i.severity === 'block'), issues };
}

/** The rules' findings are kept whatever the model says; the model may add its own. */
function complianceCheckerFinalize(answer: unknown, input: unknown, locale: LlmLocale): unknown {
  if (!isObj(answer) || !Array.isArray(answer.issues)) return answer;
  const mine = complianceIssues(input, locale);
  const theirs = answer.issues as Issue[];
  const issues = [...theirs];
  for (const i of mine) if (!theirs.some((x) => x.code === i.code && x.severity === i.severity)) issues.push(i);
  const blocked = issues.some((i) => i.severity === 'block');
  return { ...answer, compliant: answer.compliant === true && !blocked, issues: issues.slice(0, 20) };
}

const ESCALATIONS: [RegExp, 'urgent' | 'high' | 'normal', 'legal' | 'manager' | 'sales_rep' | 'support', string, string][] = [
  [/lawyer|legal action|\bsue\b|court|محامي|محامٍ|قضية|المحكمة|دعوى|هيئة حماية المستهلك/i, 'urgent', 'legal', 'Legal threat', 'تهديد بإجراء قانوني'],
  [/complain|angry|terrible|worst|refund|scam|شكوى|أشتكي|اشتكي|غاضب|سيء|أسوأ|استرجاع|استرداد|نصب/i, 'high', 'manager', 'Complaint or angry customer', 'شكوى أو عميل غاضب'],
  [/contract|purchase order|ready to buy|sign|عقد|أمر شراء|جاهزين نشتري|نبي نوقع|التوقيع/i, 'high', 'sales_rep', 'Ready to buy', 'جاهز للشراء'],
  [/human|real person|agent|call me|talk to (?:someone|sales)|موظف|شخص حقيقي|أكلم أحد|اكلم احد|اتصلوا علي|كلموني/i, 'normal', 'sales_rep', 'Asks for a person', 'يطلب التحدث مع موظف'],
  [/not working|bug|error|broken|لا يعمل|مشكلة تقنية|خطأ|عطل/i, 'normal', 'support', 'Technical problem', 'مشكلة تقنية'],
];

function escalationHandlerRules(input: unknown, locale: LlmLocale): unknown {
  const message = str(field(input, 'message', 'text', 'body', 'الرسالة')) ?? '';
  const conversation = allTextOf(field(input, 'conversation', 'messages'));
  const all = normalizeDigits(`${message}\n${conversation}`);
  const hit = ESCALATIONS.find(([re]) => re.test(all));
  const score = num(field(input, 'score'));
  const snippet = (message || conversation).replace(/\s+/g, ' ').slice(0, 200);
  if (!hit) {
    const hot = score !== undefined && score >= DEFAULT_THRESHOLDS.hot;
    return {
      escalate: hot,
      priority: hot ? 'normal' : 'low',
      route: 'sales_rep',
      reason: hot ? t(locale, `Hot lead (score ${score})`, `عميل ساخن (الدرجة ${fmt(score!, locale)})`) : t(locale, 'Nothing needs a person yet', 'لا شيء يستدعي تدخل موظف بعد'),
      summary: snippet || t(locale, 'No message', 'لا توجد رسالة'),
    };
  }
  const [, priority, route, en, ar] = hit;
  return { escalate: true, priority, route, reason: t(locale, en, ar), summary: snippet || t(locale, en, ar) };
}

// --- the presets ----------------------------------------------------------------------------

const JSON_NOTE: Record<LlmLocale, string> = {
  en: 'Write every text field in English. Be concise and specific; do not invent facts that are not in the input.',
  ar: 'اكتب كل الحقول النصية باللغة العربية. كن موجزًا ومحددًا، ولا تختلق معلومات غير موجودة في المدخلات.',
};

const preset = (p: Omit<AgentPreset, 'system'> & { system: Record<LlmLocale, string> }): AgentPreset => ({
  ...p,
  system: { en: `${p.system.en}\n${JSON_NOTE.en}`, ar: `${p.system.ar}\n${JSON_NOTE.ar}` },
});

export const AGENT_PRESETS: Readonly<Record<AgentRole, AgentPreset>> = {
  lead_qualifier: preset({
    role: 'lead_qualifier',
    label: { en: 'Lead Qualifier', ar: 'مؤهِّل العملاء المحتملين' },
    system: {
      en: 'You are the Lead Qualifier of a B2B sales team in Saudi Arabia. Score the lead 0–100 from budget (SAR), company size, source, engagement and buying signals; tier it hot (≥70), warm (≥40) or cold; give short reasons and the single best next action.',
      ar: 'أنت مؤهِّل العملاء المحتملين لفريق مبيعات بين الشركات في السعودية. قيّم العميل من 0 إلى 100 بناءً على الميزانية (بالريال) وحجم الشركة والمصدر والتفاعل وإشارات الشراء؛ وصنّفه ساخنًا (70 فأكثر) أو دافئًا (40 فأكثر) أو باردًا؛ واذكر أسبابًا قصيرة وأفضل خطوة تالية واحدة.',
    },
    outputSchema: LEAD_QUALIFIER_SCHEMA,
    rules: leadQualifierRules,
  }),
  deal_advisor: preset({
    role: 'deal_advisor',
    label: { en: 'Deal Advisor', ar: 'مستشار الصفقات' },
    system: {
      en: 'You are the Deal Advisor. From the deal (stage, value in SAR, probability, last activity, close date, competitors) and its history, assess the risk, estimate the win probability and recommend up to five concrete next steps.',
      ar: 'أنت مستشار الصفقات. من بيانات الصفقة (المرحلة، القيمة بالريال، الاحتمال، آخر نشاط، تاريخ الإغلاق، المنافسون) وتاريخها، قيّم المخاطرة وقدّر احتمال الفوز واقترح حتى خمس خطوات تالية محددة.',
    },
    outputSchema: DEAL_ADVISOR_SCHEMA,
    rules: dealAdvisorRules,
  }),
  meeting_prep: preset({
    role: 'meeting_prep',
    label: { en: 'Meeting Prep', ar: 'التحضير للاجتماعات' },
    system: {
      en: 'You are the Meeting Prep assistant. From the contact, company, deal and notes, write a short brief for the sales rep, the talking points, the discovery questions to ask and the risks to watch.',
      ar: 'أنت مساعد التحضير للاجتماعات. من بيانات جهة الاتصال والشركة والصفقة والملاحظات، اكتب ملخصًا قصيرًا لمندوب المبيعات، ونقاط الحديث، وأسئلة الاستكشاف التي يطرحها، والمخاطر التي ينتبه لها.',
    },
    outputSchema: MEETING_PREP_SCHEMA,
    rules: meetingPrepRules,
  }),
  sequence_optimizer: preset({
    role: 'sequence_optimizer',
    label: { en: 'Sequence Optimizer', ar: 'محسِّن سلاسل التواصل' },
    system: {
      en: 'You are the Sequence Optimizer. From the outreach steps and their results (channel, sent, opened, replied), recommend changes (order, channel, timing within Saudi business hours, wording) with the reason for each, the best channel and the expected impact.',
      ar: 'أنت محسِّن سلاسل التواصل. من خطوات التواصل ونتائجها (القناة، المُرسَل، المفتوح، الردود)، اقترح تعديلات (الترتيب، القناة، التوقيت ضمن ساعات العمل السعودية، الصياغة) مع سبب كل تعديل، وأفضل قناة، والأثر المتوقع.',
    },
    outputSchema: SEQUENCE_OPTIMIZER_SCHEMA,
    rules: sequenceOptimizerRules,
  }),
  content_generator: preset({
    role: 'content_generator',
    label: { en: 'Content Generator', ar: 'مولِّد المحتوى' },
    system: {
      en: 'You are the Content Generator. Draft one message for the channel (WhatsApp, SMS or email) and purpose given, in the requested language (Arabic by default, Gulf-friendly Modern Standard Arabic), personalised with {{variables}} such as {{first_name}}, {{company}} and {{sender_name}} — never real names. Marketing messages end with an opt-out line. No exaggerated or guaranteed claims. List the variables you used.',
      ar: 'أنت مولِّد المحتوى. اكتب مسودة رسالة واحدة للقناة (واتساب أو رسالة نصية أو بريد) والغرض المحددين، باللغة المطلوبة (العربية افتراضيًا بفصحى قريبة من اللهجة الخليجية)، مخصّصة بمتغيرات مثل {{first_name}} و{{company}} و{{sender_name}} — دون أسماء حقيقية. تنتهي الرسائل التسويقية بسطر لإيقاف الرسائل. لا ادعاءات مبالغ فيها أو مضمونة. اذكر المتغيرات التي استخدمتها.',
    },
    outputSchema: CONTENT_GENERATOR_SCHEMA,
    rules: contentGeneratorRules,
    finalize: contentGeneratorFinalize,
  }),
  analytics_reporter: preset({
    role: 'analytics_reporter',
    label: { en: 'Analytics Reporter', ar: 'مُعِدّ التقارير التحليلية' },
    system: {
      en: 'You are the Analytics Reporter. From the metrics of this period (and the previous one, when given), write a short summary for the sales manager, the highlights and the concerns, citing the numbers.',
      ar: 'أنت مُعِدّ التقارير التحليلية. من مؤشرات هذه الفترة (والفترة السابقة إن وُجدت)، اكتب ملخصًا قصيرًا لمدير المبيعات، وأبرز الإيجابيات، ونقاط القلق، مع ذكر الأرقام.',
    },
    outputSchema: ANALYTICS_REPORTER_SCHEMA,
    rules: analyticsReporterRules,
  }),
  compliance_checker: preset({
    role: 'compliance_checker',
    label: { en: 'Compliance Checker', ar: 'مدقِّق الامتثال' },
    system: {
      en: 'You are the Compliance Checker for Saudi PDPL and marketing rules. Check the draft message: consent for the channel and purpose, an opt-out line in marketing messages, Arabic text present, no sensitive or exaggerated claims (guaranteed returns, health claims, unproven superlatives), no pressure wording, no personal data that does not belong. List each issue with a snake_case code (e.g. missing_opt_out, missing_arabic, sensitive_claim, no_consent) and severity block or warn; compliant is false when any issue blocks.',
      ar: 'أنت مدقِّق الامتثال لنظام حماية البيانات الشخصية السعودي وقواعد التسويق. افحص مسودة الرسالة: وجود موافقة للقناة والغرض، وسطر لإيقاف الرسائل في الرسائل التسويقية، ووجود نص عربي، وخلوّها من الادعاءات الحساسة أو المبالغ فيها (أرباح مضمونة، ادعاءات صحية، تفضيل بلا دليل)، ومن الصياغة الضاغطة، ومن بيانات شخصية لا داعي لها. اذكر كل مخالفة برمز بصيغة snake_case (مثل missing_opt_out وmissing_arabic وsensitive_claim وno_consent) وبدرجة block أو warn؛ وتكون compliant خطأ إذا وُجدت أي مخالفة من درجة block.',
    },
    outputSchema: COMPLIANCE_CHECKER_SCHEMA,
    rules: complianceCheckerRules,
    finalize: complianceCheckerFinalize,
  }),
  escalation_handler: preset({
    role: 'escalation_handler',
    label: { en: 'Escalation Handler', ar: 'معالج التصعيد' },
    system: {
      en: 'You are the Escalation Handler. From the latest message and conversation, decide whether a person must take over, how urgently (low, normal, high, urgent) and who (sales_rep, manager, support, legal), with the reason and a short summary for that person. Legal threats are urgent; complaints go to a manager; buying signals to the sales rep.',
      ar: 'أنت معالج التصعيد. من آخر رسالة والمحادثة، قرّر هل يجب أن يتولى موظف المحادثة، وبأي درجة استعجال (low أو normal أو high أو urgent)، ولمن (sales_rep أو manager أو support أو legal)، مع السبب وملخص قصير له. التهديدات القانونية عاجلة؛ والشكاوى للمدير؛ وإشارات الشراء لمندوب المبيعات.',
    },
    outputSchema: ESCALATION_HANDLER_SCHEMA,
    rules: escalationHandlerRules,
  }),
};

/** Output schema of a custom agent without its own: `{answer: string}`. */
export const CUSTOM_AGENT_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { answer: { type: 'string' } },
  required: ['answer'],
};

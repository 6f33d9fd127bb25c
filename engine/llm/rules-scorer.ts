// The deterministic lead scorer: the answer of ai.score when no LLM answers (providers down,
// no keys, or the tenant's llm.external = 'off'). It reads budget, company size, source and
// engagement from the lead (English or Arabic field names, Arabic-Indic digits) and from the
// conversation, and adds up points (weights in engine/llm/README.md):
//
//   budget (SAR)  0–35   company size 0–20   source 0–15   engagement 0–30   = 0–100
//
// Reasons are short strings in the lead's language. Pure and deterministic.
import { findAmounts, parseBudgetSar, parseCount } from './numbers.js';
import type { LlmLocale } from './types.js';

export interface ScoreThresholds {
  hot: number;
  warm: number;
}

export const DEFAULT_THRESHOLDS: ScoreThresholds = { hot: 70, warm: 40 };

export type LeadTier = 'hot' | 'warm' | 'cold';

export function tierOf(score: number, thresholds: ScoreThresholds = DEFAULT_THRESHOLDS): LeadTier {
  if (score >= thresholds.hot) return 'hot';
  if (score >= thresholds.warm) return 'warm';
  return 'cold';
}

export type SourceClass = 'referral' | 'inbound' | 'event' | 'social' | 'ads' | 'cold' | 'other';

export interface LeadSignals {
  budgetSar: number | null;
  employees: number | null;
  source: string | null;
  sourceClass: SourceClass | null;
  replies: number;
  opens: number;
  clicks: number;
  meetings: number;
  /** Buying signals found in the conversation (demo, price, meeting, contract, urgency). */
  intents: string[];
  /** Not-interested / opt-out signals found in the conversation. */
  negative: boolean;
}

export interface RulesScore {
  score: number;
  reasons: string[];
  signals: LeadSignals;
  /** Points per part, for explanations and tests. */
  points: { budget: number; size: number; source: number; engagement: number; negative: number };
}

// --- weights ---------------------------------------------------------------------------

/** Budget in SAR → points (first bracket reached). */
export const BUDGET_POINTS: readonly [number, number][] = [
  [1_000_000, 35],
  [250_000, 30],
  [100_000, 25],
  [50_000, 18],
  [10_000, 10],
  [1, 5],
];

/** Employees → points. */
export const SIZE_POINTS: readonly [number, number][] = [
  [1000, 20],
  [250, 17],
  [50, 12],
  [10, 7],
  [1, 3],
];

export const SOURCE_POINTS: Readonly<Record<SourceClass, number>> = { referral: 15, inbound: 12, event: 10, social: 7, ads: 6, cold: 3, other: 4 };

/** Engagement: points per event, each capped; the sum is capped at 30. */
export const ENGAGEMENT = {
  meeting: { each: 12, cap: 24 },
  reply: { each: 6, cap: 18 },
  click: { each: 2, cap: 6 },
  open: { each: 1, cap: 5 },
  intent: { each: 5, cap: 10 },
  cap: 30,
} as const;

/** Subtracted when the conversation says "not interested" or asks to stop. */
export const NEGATIVE_POINTS = 20;

// --- reading the lead --------------------------------------------------------------------

/** A field key reduced for matching: lower case, no separators ("Budget_SAR" → "budgetsar"). */
function keyOf(k: string): string {
  return k.toLowerCase().replace(/[\s_\-.]/g, '');
}

/** Every (key, value) of an object and its nested objects (depth ≤ 3), keys reduced. */
function entries(value: unknown, depth = 0, prefix = ''): [string, unknown][] {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || depth > 3) return [];
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const key = keyOf(k);
    out.push([key, v], ...(prefix ? ([[prefix + key, v]] as [string, unknown][]) : []));
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(...entries(v, depth + 1, key));
  }
  return out;
}

function pick(all: [string, unknown][], keys: readonly string[]): unknown {
  for (const k of keys) {
    const hit = all.find(([key, v]) => key === k && v !== null && v !== undefined && v !== '');
    if (hit) return hit[1];
  }
  return undefined;
}

const HALALA_KEYS = ['budgethalalas', 'dealvaluehalalas', 'valuehalalas', 'amounthalalas', 'halalas'];
const BUDGET_KEYS = ['budgetsar', 'budget', 'dealvalue', 'dealvaluesar', 'expectedvalue', 'estimatedvalue', 'value', 'amount', 'الميزانية', 'ميزانية', 'القيمة', 'قيمةالصفقة'];
const SIZE_KEYS = [
  'employees',
  'employeecount',
  'numberofemployees',
  'headcount',
  'staff',
  'companysize',
  'companyemployees',
  'companyheadcount',
  'size',
  'عددالموظفين',
  'الموظفين',
  'حجمالشركة',
  'حجم',
];
const SOURCE_KEYS = ['source', 'leadsource', 'utmsource', 'channel', 'origin', 'المصدر', 'مصدر', 'القناة'];
const COUNT_KEYS = {
  replies: ['replies', 'replycount', 'emailreplies', 'whatsappreplies', 'engagementreplies', 'الردود', 'ردود'],
  opens: ['opens', 'opencount', 'emailopens', 'engagementopens', 'فتح', 'مراتالفتح'],
  clicks: ['clicks', 'clickcount', 'engagementclicks', 'النقرات'],
  meetings: ['meetings', 'meetingsbooked', 'meetingsheld', 'meetingcount', 'engagementmeetings', 'الاجتماعات', 'اجتماعات'],
} as const;

const SIZE_WORDS: [RegExp, number][] = [
  [/enterprise|large|big|corporat|كبيرة|كبرى|ضخمة|مؤسسة كبيرة|حكومي|جهة حكومية/i, 1000],
  [/mid[\s-]?(?:size|market)|medium|متوسطة/i, 100],
  [/small|sme|startup|ناشئة|صغيرة/i, 10],
  [/freelanc|individual|solo|فرد|مستقل/i, 1],
];

function parseEmployees(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const n = parseCount(value.replace(/(\d)[,٬](\d{3})/g, '$1$2'));
  if (n !== null) return n;
  for (const [re, n2] of SIZE_WORDS) if (re.test(value)) return n2;
  return null;
}

const SOURCE_WORDS: [RegExp, SourceClass][] = [
  [/referr|referral|recommend|word of mouth|partner|إحالة|احالة|توصية|ترشيح|شريك|معارف/i, 'referral'],
  [/event|webinar|exhibition|expo|conference|summit|leap|gitex|معرض|مؤتمر|فعالية|ملتقى|قمة/i, 'event'],
  [/linkedin|twitter|\bx\b|instagram|snapchat|tiktok|social|لينكد|تويتر|انستقرام|سناب|تيك ?توك|تواصل اجتماعي/i, 'social'],
  [/\bads?\b|adwords|google ads|paid|ppc|campaign|إعلان|اعلان|حملة/i, 'ads'],
  [/cold|purchased|list|scrap|outbound|بارد|قائمة|شراء/i, 'cold'],
  [/website|web|form|inbound|demo|organic|contact us|landing|seo|whatsapp|chat|call ?in|الموقع|نموذج|طلب عرض|تجربة|وارد|واتساب|اتصال/i, 'inbound'],
];

export function classifySource(source: string): SourceClass {
  for (const [re, cls] of SOURCE_WORDS) if (re.test(source)) return cls;
  return 'other';
}

/** All the text of a value (strings of objects and arrays), for scanning. */
export function allTextOf(value: unknown, depth = 0): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return '';
  if (depth > 4 || value === null || typeof value !== 'object') return '';
  const parts = Array.isArray(value) ? value.map((v) => allTextOf(v, depth + 1)) : Object.values(value).map((v) => allTextOf(v, depth + 1));
  return parts.filter(Boolean).join('\n');
}

const BUDGET_CONTEXT = /ميزاني|ميزانيت|budget|spend|نصرف|تكلفة|بحدود|في حدود|حوالي|around|up to|حتى/i;

/** The largest amount the text presents as a budget: near a budget word, or with a currency. */
function budgetFromText(text: string): number | null {
  let best: number | null = null;
  for (const a of findAmounts(text)) {
    const before = text.slice(Math.max(0, a.index - 30), a.index);
    if (!a.currency && !BUDGET_CONTEXT.test(before)) continue;
    if (best === null || a.sar > best) best = a.sar;
  }
  return best;
}

const INTENTS: [string, RegExp][] = [
  ['meeting', /meeting|call me|schedule|calendar|اجتماع|موعد|نلتقي|مكالمة|اتصل بي|اتصلوا/i],
  ['demo', /\bdemo\b|trial|تجربة|عرض توضيحي|ديمو/i],
  ['price', /price|pricing|quote|proposal|cost|سعر|أسعار|اسعار|عرض سعر|تسعير|كم التكلفة|عرض مالي/i],
  ['contract', /contract|purchase order|\bpo\b|sign|عقد|أمر شراء|توقيع|نوقع/i],
  ['urgent', /urgent|asap|this week|immediately|عاجل|ضروري|بأسرع|هذا الأسبوع|فورا|فوراً/i],
];

const NEGATIVE = /not interested|no thanks|unsubscribe|\bstop\b|remove me|غير مهتم|لا أرغب|لا ارغب|لا نحتاج|إلغاء الاشتراك|الغاء|إيقاف|ايقاف|لا تتواصل/i;

function countOf(all: [string, unknown][], keys: readonly string[]): number {
  const v = pick(all, keys);
  const n = v === undefined ? null : parseCount(v);
  return n === null ? 0 : Math.floor(n);
}

/** What the scorer reads from a lead and its conversation. */
export function extractSignals(lead: unknown, conversation?: unknown): LeadSignals {
  const all = entries(lead);
  const halalas = pick(all, HALALA_KEYS);
  let budgetSar = halalas !== undefined ? parseBudgetSar(halalas, true) : null;
  if (budgetSar === null) {
    const b = pick(all, BUDGET_KEYS);
    if (b !== undefined) budgetSar = parseBudgetSar(b);
  }
  const leadText = typeof lead === 'string' ? lead : allTextOf(lead);
  const talk = allTextOf(conversation);
  if (budgetSar === null) budgetSar = budgetFromText(`${leadText}\n${talk}`);

  const sizeValue = pick(all, SIZE_KEYS);
  let employees = sizeValue !== undefined ? parseEmployees(sizeValue) : null;
  if (employees === null) {
    const m = /(\d[\d,٬]*)\s*(?:employees|staff|people|موظف|موظفين|موظفا|موظفاً)/i.exec(normalizeForCounts(`${leadText}\n${talk}`));
    if (m) employees = Number(m[1]!.replace(/[,٬]/g, ''));
  }

  if (employees === null) {
    // "شركة كبيرة", "a mid-size company": a size word next to a company word.
    const m =
      /(?:شركة|مؤسسة|منشأة|جهة)\s+(كبيرة|كبرى|ضخمة|متوسطة|صغيرة|ناشئة|حكومية)/.exec(leadText) ??
      /\b(large|big|enterprise|mid[\s-]?size|medium|small|startup)\s+(?:company|business|firm|organi[sz]ation)/i.exec(leadText);
    if (m) employees = parseEmployees(m[1]!);
  }

  const sourceValue = pick(all, SOURCE_KEYS);
  let source = typeof sourceValue === 'string' && sourceValue.trim() ? sourceValue.trim() : null;
  if (!source) {
    // Free text naming a strong source ("من معرض ليب", "referred by") counts as the source.
    const m = /(?:إحالة|احالة|توصية|ترشيح|referr\w*|referral|معرض\s*\S*|مؤتمر\s*\S*|exhibition|conference|event)/i.exec(leadText);
    if (m) source = m[0];
  }

  const engagement = (k: keyof typeof COUNT_KEYS): number => countOf(all, COUNT_KEYS[k]);
  const convoText = talk;
  const intents = INTENTS.filter(([, re]) => re.test(convoText) || re.test(pickText(all, ['notes', 'message', 'ملاحظات', 'الرسالة']))).map(([name]) => name);
  return {
    budgetSar,
    employees,
    source,
    sourceClass: source ? classifySource(source) : null,
    replies: engagement('replies'),
    opens: engagement('opens'),
    clicks: engagement('clicks'),
    meetings: engagement('meetings'),
    intents,
    negative: NEGATIVE.test(convoText),
  };
}

function pickText(all: [string, unknown][], keys: readonly string[]): string {
  const v = pick(all, keys);
  return typeof v === 'string' ? v : '';
}

function normalizeForCounts(text: string): string {
  return text.replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660)).replace(/[\u06F0-\u06F9]/g, (d) => String(d.charCodeAt(0) - 0x06f0));
}

function bracket(value: number | null, table: readonly [number, number][]): number {
  if (value === null) return 0;
  for (const [min, points] of table) if (value >= min) return points;
  return 0;
}

function formatNumber(n: number, locale: LlmLocale): string {
  return new Intl.NumberFormat(locale === 'ar' ? 'ar-SA' : 'en-US', { maximumFractionDigits: 0 }).format(n);
}

const SOURCE_NAMES: Record<SourceClass, { en: string; ar: string }> = {
  referral: { en: 'referral', ar: 'إحالة' },
  inbound: { en: 'inbound request', ar: 'طلب وارد' },
  event: { en: 'event', ar: 'فعالية' },
  social: { en: 'social media', ar: 'وسائل التواصل' },
  ads: { en: 'paid ads', ar: 'إعلان مدفوع' },
  cold: { en: 'cold list', ar: 'قائمة باردة' },
  other: { en: 'other source', ar: 'مصدر آخر' },
};

const INTENT_NAMES: Record<string, { en: string; ar: string }> = {
  meeting: { en: 'asked for a meeting', ar: 'طلب اجتماعًا' },
  demo: { en: 'asked for a demo', ar: 'طلب عرضًا تجريبيًا' },
  price: { en: 'asked about price', ar: 'سأل عن السعر' },
  contract: { en: 'talks about a contract', ar: 'يتحدث عن التعاقد' },
  urgent: { en: 'urgent need', ar: 'حاجة عاجلة' },
};

/** Score a lead with the rules (0–100, integer) and say why, in `locale`. */
export function scoreLeadByRules(lead: unknown, conversation: unknown, locale: LlmLocale): RulesScore {
  const s = extractSignals(lead, conversation);
  const ar = locale === 'ar';
  const reasons: string[] = [];
  const budget = bracket(s.budgetSar, BUDGET_POINTS);
  if (s.budgetSar !== null) reasons.push(ar ? `الميزانية ${formatNumber(s.budgetSar, locale)} ريال` : `Budget SAR ${formatNumber(s.budgetSar, locale)}`);
  else reasons.push(ar ? 'لا توجد ميزانية معلنة' : 'No budget stated');
  const size = bracket(s.employees, SIZE_POINTS);
  if (s.employees !== null) reasons.push(ar ? `حجم الشركة ${formatNumber(s.employees, locale)} موظف` : `Company size ${formatNumber(s.employees, locale)} employees`);
  const cls = s.sourceClass ?? 'other';
  const source = SOURCE_POINTS[cls];
  if (s.source) reasons.push(ar ? `المصدر: ${SOURCE_NAMES[cls].ar}` : `Source: ${SOURCE_NAMES[cls].en}`);

  const part = (n: number, rule: { each: number; cap: number }) => Math.min(rule.cap, n * rule.each);
  const engagementRaw =
    part(s.meetings, ENGAGEMENT.meeting) + part(s.replies, ENGAGEMENT.reply) + part(s.clicks, ENGAGEMENT.click) + part(s.opens, ENGAGEMENT.open) + part(s.intents.length, ENGAGEMENT.intent);
  const engagement = Math.min(ENGAGEMENT.cap, engagementRaw);
  const touches: string[] = [];
  if (s.meetings) touches.push(ar ? `${formatNumber(s.meetings, locale)} اجتماع` : `${s.meetings} meeting${s.meetings > 1 ? 's' : ''}`);
  if (s.replies) touches.push(ar ? `${formatNumber(s.replies, locale)} رد` : `${s.replies} repl${s.replies > 1 ? 'ies' : 'y'}`);
  if (s.opens) touches.push(ar ? `${formatNumber(s.opens, locale)} فتح` : `${s.opens} open${s.opens > 1 ? 's' : ''}`);
  if (s.clicks) touches.push(ar ? `${formatNumber(s.clicks, locale)} نقرة` : `${s.clicks} click${s.clicks > 1 ? 's' : ''}`);
  if (touches.length) reasons.push(ar ? `تفاعل: ${touches.join('، ')}` : `Engagement: ${touches.join(', ')}`);
  else if (!s.intents.length) reasons.push(ar ? 'لا يوجد تفاعل بعد' : 'No engagement yet');
  for (const i of s.intents.slice(0, 2)) reasons.push(ar ? INTENT_NAMES[i]!.ar : INTENT_NAMES[i]!.en);
  const negative = s.negative ? NEGATIVE_POINTS : 0;
  if (s.negative) reasons.push(ar ? 'أبدى عدم الاهتمام' : 'Said not interested');

  const score = Math.max(0, Math.min(100, Math.round(budget + size + source + engagement - negative)));
  return { score, reasons: reasons.slice(0, 6), signals: s, points: { budget, size, source, engagement, negative } };
}

/** The lead's language: its own locale field, else the script of its text, else `fallback`. */
export function detectLocale(lead: unknown, fallback: LlmLocale, extra?: unknown): LlmLocale {
  const all = entries(lead);
  const declared = pick(all, ['locale', 'language', 'lang', 'preferredlanguage', 'اللغة']);
  if (typeof declared === 'string') {
    const d = declared.trim().toLowerCase();
    if (/^ar\b|^ar[-_]|arabic|عرب/.test(d)) return 'ar';
    if (/^en\b|^en[-_]|english|انجليز|إنجليز/.test(d)) return 'en';
  }
  const text = `${typeof lead === 'string' ? lead : allTextOf(lead)}\n${allTextOf(extra)}`;
  const arabic = (text.match(/[\u0600-\u06FF]/g) ?? []).length;
  const latin = (text.match(/[A-Za-z]/g) ?? []).length;
  if (arabic === 0 && latin === 0) return fallback;
  // Arabic text carries Latin brand names and e-mails: Arabic wins unless it is rare.
  return arabic * 3 >= latin ? 'ar' : 'en';
}

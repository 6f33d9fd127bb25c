// Reply intelligence: what a contact's reply to a sequence means — interested, not now, out of
// office (with a return date when it says one), wrong person, unsubscribe, a question, or other —
// in English and Arabic (Gulf dialect included). `classifyReply` asks the LLM chain (ctx.llm:
// its task class `classification`: Groq → OpenAI by default) for a JSON answer and falls back to `classifyReplyByRules`, which is pure and
// deterministic (like rules-scorer.ts): the same text always gets the same class.
import { normalizeDigits } from './numbers.js';
import type { LlmResult, LlmService } from './types.js';
import { addDays, dateKey, localDateOf, parseDateKey, weekdayOf } from '../outbox/zoned-time.js';
import { DEFAULT_TIMEZONE } from '../outbox/send-policy.js';

export const REPLY_CLASSES = ['interested', 'not_now', 'out_of_office', 'wrong_person', 'unsubscribe', 'question', 'other'] as const;
export type ReplyClass = (typeof REPLY_CLASSES)[number];

export const REPLY_CLASS_LABELS: Record<ReplyClass, [en: string, ar: string]> = {
  interested: ['Interested', 'مهتم'],
  not_now: ['Not now', 'ليس الآن'],
  out_of_office: ['Out of office', 'خارج المكتب'],
  wrong_person: ['Wrong person', 'الشخص غير المعني'],
  unsubscribe: ['Unsubscribe', 'إلغاء الاشتراك'],
  question: ['Question', 'سؤال'],
  other: ['Other', 'أخرى'],
};

export interface ReplyClassification {
  class: ReplyClass;
  /** Out of office: the local date ('YYYY-MM-DD') the contact says they are back, when found. */
  returnDate: string | null;
  /** 'rules', or the LLM provider that answered. */
  by: string;
}

/** Arabic folded for matching: no diacritics or tatweel, one alef, ى → ي, ة → ه. */
export function foldArabic(text: string): string {
  return normalizeDigits(text)
    .toLowerCase()
    .replace(/[\u064B-\u0652\u0640]/g, '')
    .replace(/[أإآ]/g, 'ا')
    .replace(/ى/g, 'ي')
    .replace(/ة/g, 'ه')
    .replace(/\s+/g, ' ')
    .trim();
}

// Patterns on folded text, strongest class first. Arabic entries are folded forms.
const RULES: Array<[ReplyClass, RegExp]> = [
  [
    'unsubscribe',
    /\b(unsubscribe|stop|opt[ -]?out|remove me|take me off|do not (contact|message|email)|don'?t (contact|message|email) me)\b|الغاء الاشتراك|الغ الاشتراك|لا ترسل|لا ترسلون|لا تراسلني|لا تتواصل|شيلوني|شيل رقمي|احذف رقمي|امسح رقمي|وقفوا الرسايل|بطلوا|لا عاد ترسل|ايقاف|^وقف$|^توقف$/,
  ],
  [
    'out_of_office',
    /\b(out of (the )?office|ooo|on (annual |sick )?leave|on vacation|on holiday|away until|back on|returning on|will be back|i am away|i'?m away|limited access to (my )?email)\b|خارج المكتب|في اجازه|باجازه|اجازه|مسافر|خارج الدوام|برجع|راجع (يوم|بعد|في)|اعود (يوم|في|بتاريخ)|ساعود|سأعود|حتي تاريخ/,
  ],
  [
    'wrong_person',
    /\b(wrong (person|number)|not the right person|not (the )?(responsible|decision maker)|no longer (work|with)|left the company|you should (contact|talk to|speak to)|please contact)\b|الرقم غلط|رقم غلط|غلطان|مو انا|مب انا|مهوب انا|مو المسؤول|مب المسؤول|لست المسؤول|ما اشتغل|ما عاد اشتغل|تركت الشركه|تواصل مع|كلم (الاستاذ|المدير|قسم)/,
  ],
  [
    'not_now',
    /\b(not now|not right now|not at the moment|maybe later|later this year|next (month|quarter|year)|too busy|busy right now|circle back|reach out (again )?(later|next)|no budget (now|this year))\b|مو الحين|مب الحين|مهوب الحين|مو وقته|مب وقته|ليس الان|ليس الآن|بعدين|لاحقا|مشغول|الشهر الجاي|الشهر القادم|السنه الجايه|مو هالحين|ما عندنا ميزانيه/,
  ],
  [
    'interested',
    /\b(interested|sounds good|let'?s (talk|meet|do it)|book (a|the) (call|meeting|demo)|call me|send (me )?(the )?(details|offer|proposal|quote|pricing)|i'?d like|yes please|go ahead|set up a (call|meeting))\b|مهتم|ابغي|ابي اعرف|ودي|حياك|كلمني|اتصل (علي|فيني)|ارسل (لي )?(التفاصيل|العرض)|عرض سعر|موعد|نعم|ايوه|اكيد|تمام|زين|يعطيك العافيه ارسل|متي نقدر/,
  ],
  ['question', /[?؟]|\b(how much|what is|what's|how does|how do|can you|do you|is there|when)\b|كم سعر|كم السعر|بكم|كيف|وش|ايش|هل |متي|ليش/],
];

const EN_MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const AR_MONTHS: Record<string, number> = {
  يناير: 1, فبراير: 2, مارس: 3, ابريل: 4, مايو: 5, يونيو: 6, يوليو: 7, اغسطس: 8, سبتمبر: 9, اكتوبر: 10, نوفمبر: 11, ديسمبر: 12,
  'كانون الثاني': 1, شباط: 2, اذار: 3, نيسان: 4, ايار: 5, حزيران: 6, تموز: 7, اب: 8, ايلول: 9, 'تشرين الاول': 10, 'تشرين الثاني': 11, 'كانون الاول': 12,
};
const EN_DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const AR_DAYS = ['الاحد', 'الاثنين', 'الثلاثاء', 'الاربعاء', 'الخميس', 'الجمعه', 'السبت'];

/** The next occurrence (after `today`) of day/month, this year or next. */
function nextDate(today: string, month: number, day: number, year?: number): string | null {
  const t = parseDateKey(today)!;
  if (year !== undefined) return parseDateKey(dateKey(year, month, day)) ? dateKey(year, month, day) : null;
  const candidate = dateKey(t.year, month, day);
  if (!parseDateKey(candidate)) return null;
  return candidate > today ? candidate : dateKey(t.year + 1, month, day);
}

/** A return date written in the reply (folded), relative to local date `today`; null when none. */
export function findReturnDate(folded: string, today: string): string | null {
  let m = /\b(20\d\d)-(\d{1,2})-(\d{1,2})\b/.exec(folded);
  if (m) return nextDate(today, Number(m[2]), Number(m[3]), Number(m[1]));
  m = /\b(\d{1,2})[/.](\d{1,2})(?:[/.](20\d\d))?\b/.exec(folded); // day/month(/year), as written in the Gulf
  if (m) return nextDate(today, Number(m[2]), Number(m[1]), m[3] ? Number(m[3]) : undefined);
  for (const [i, name] of EN_MONTHS.entries()) {
    const short = name.slice(0, 3);
    m = new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)? (?:of )?(?:${name}|${short})\\b|\\b(?:${name}|${short}) (\\d{1,2})(?:st|nd|rd|th)?\\b`).exec(folded);
    if (m) return nextDate(today, i + 1, Number(m[1] ?? m[2]));
  }
  for (const [name, month] of Object.entries(AR_MONTHS)) {
    m = new RegExp(`(\\d{1,2}) ${name}`).exec(folded);
    if (m) return nextDate(today, month, Number(m[1]));
  }
  if (/\btomorrow\b|بكره|باكر|غدا/.test(folded)) return addDays(today, 1);
  if (/\bnext week\b|الاسبوع الجاي|الاسبوع القادم/.test(folded)) return addDays(today, 7);
  const weekday = (index: number): string => {
    const delta = (index - weekdayOf(today) + 7) % 7 || 7;
    return addDays(today, delta);
  };
  for (const [i, name] of EN_DAYS.entries()) if (new RegExp(`\\b(on|until|till|by|next) ${name}\\b`).test(folded)) return weekday(i);
  for (const [i, name] of AR_DAYS.entries()) if (new RegExp(`(يوم|بعد|الي|حتي) ${name}`).test(folded)) return weekday(i);
  return null;
}

/** The deterministic classification (and the fallback of classifyReply). */
export function classifyReplyByRules(text: string, now: Date = new Date(), timezone: string = DEFAULT_TIMEZONE): ReplyClassification {
  const folded = foldArabic(text);
  let cls: ReplyClass = 'other';
  for (const [c, re] of RULES) {
    if (re.test(folded)) {
      cls = c;
      break;
    }
  }
  const returnDate = cls === 'out_of_office' ? findReturnDate(folded, localDateOf(now, timezone)) : null;
  return { class: cls, returnDate, by: 'rules' };
}

export const REPLY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['class', 'returnDate'],
  properties: {
    class: { enum: [...REPLY_CLASSES] },
    returnDate: { anyOf: [{ type: 'string', pattern: '^20\\d\\d-\\d\\d-\\d\\d$' }, { type: 'null' }] },
  },
} as const;

const SYSTEM = `You classify a contact's reply to a sales outreach message (English or Arabic, including Gulf dialect).
Classes: interested (wants to talk, a meeting, details, a quote), not_now (later, busy, no budget now),
out_of_office (an automatic or personal away message; give returnDate YYYY-MM-DD when it says when they are back),
wrong_person (not the right contact, left the company, refers to someone else), unsubscribe (asks to stop messages),
question (asks something without committing), other. Answer JSON {"class": ..., "returnDate": "YYYY-MM-DD" | null}.`;

/**
 * Classify through the LLM chain, the rules answering when no provider does. `today` anchors
 * relative dates ("back on Sunday") for both.
 */
export async function classifyReply(
  llm: LlmService,
  text: string,
  options: { now?: Date; timezone?: string; signal?: AbortSignal } = {},
): Promise<ReplyClassification & { llm: LlmResult }> {
  const now = options.now ?? new Date();
  const tz = options.timezone ?? DEFAULT_TIMEZONE;
  const rules = classifyReplyByRules(text, now, tz);
  const result = await llm.complete({
    task: 'reply',
    system: SYSTEM,
    prompt: `Today is ${localDateOf(now, tz)}. Reply:\n"""\n${text.slice(0, 4000)}\n"""`,
    outputSchema: REPLY_SCHEMA as unknown as Record<string, unknown>,
    temperature: 0,
    maxTokens: 60,
    rules: () => ({ class: rules.class, returnDate: rules.returnDate }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const answer = result.json as { class: ReplyClass; returnDate: string | null };
  const cls = (REPLY_CLASSES as readonly string[]).includes(answer.class) ? answer.class : 'other';
  const returnDate = cls === 'out_of_office' ? (answer.returnDate && parseDateKey(answer.returnDate) ? answer.returnDate : rules.returnDate) : null;
  return { class: cls, returnDate, by: result.provider, llm: result };
}

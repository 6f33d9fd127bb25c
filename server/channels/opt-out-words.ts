// Opt-out detection for inbound replies (PDPL: "STOP", "إلغاء", "إيقاف", … on any channel
// withdraw consent for that channel). Pure: no I/O, no clock.
//
// A reply is an opt-out when the WHOLE message, once normalised, is one of the opt-out words
// (as carriers do for SMS STOP keywords): "stop", " STOP! ", "إلغاء الاشتراك." and "ـإلـغـاء"
// are opt-outs; "please don't stop" and "stop 2" are not (a human reads those in the
// conversation). Normalisation:
// - Unicode NFKC (full-width Latin, Arabic presentation forms and ligatures → base letters);
// - Latin lower-cased;
// - Arabic diacritics (harakat, shadda, sukun, superscript alef…), tatweel (ـ), and invisible
//   format characters (bidi marks, zero-width joiners, variation selectors) removed;
// - alef forms أ إ آ ٱ → ا, ى → ي, ی → ي, ة → ه, ک → ك;
// - punctuation and symbols (also Arabic ، ؟ ؛ and emoji) → spaces; whitespace collapsed, trimmed.
//
// A tenant may add words (tenant setting `optOutWords`); the default words always apply, so
// no setting can switch opt-out off.

export const DEFAULT_OPT_OUT_WORDS: readonly string[] = Object.freeze([
  'STOP',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'STOPALL',
  'OPTOUT',
  'OPT OUT',
  'REVOKE',
  'إيقاف',
  'ايقاف',
  'إلغاء',
  'الغاء',
  'الغاء الاشتراك',
  'إلغاء الاشتراك',
  'توقف',
  'أوقف',
]);

/** Longest message worth normalising: an opt-out is a word or two, never a paragraph. */
const MAX_OPT_OUT_LENGTH = 200;

/** Marks (Arabic harakat, shadda, sukun, Quranic marks, combining accents), format characters (bidi, ZWJ/ZWNJ) and tatweel. */
const STRIPPED = /[\p{Mn}\p{Me}\p{Cf}\u0640]/gu;
const SEPARATORS = /[\p{P}\p{S}\p{Z}\s]+/gu;
const LETTER_MAP: Record<string, string> = {
  '\u0623': '\u0627', // أ → ا
  '\u0625': '\u0627', // إ → ا
  '\u0622': '\u0627', // آ → ا
  '\u0671': '\u0627', // ٱ → ا
  '\u0649': '\u064a', // ى → ي
  '\u06cc': '\u064a', // ی (Farsi yeh) → ي
  '\u0629': '\u0647', // ة → ه
  '\u06a9': '\u0643', // ک (keheh) → ك
};
const LETTERS = new RegExp(`[${Object.keys(LETTER_MAP).join('')}]`, 'gu');

/** The comparable form of a message or an opt-out word (see the header). Idempotent. */
export function normaliseOptOutText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(STRIPPED, '')
    .replace(LETTERS, (c) => LETTER_MAP[c] ?? c)
    .replace(SEPARATORS, ' ')
    .trim();
}

/** The normalised words a tenant's replies are matched against: the defaults plus the tenant's own. */
export function optOutWordSet(tenantWords: readonly string[] | undefined | null = undefined): ReadonlySet<string> {
  const set = new Set<string>();
  for (const w of [...DEFAULT_OPT_OUT_WORDS, ...(tenantWords ?? [])]) {
    if (typeof w !== 'string') continue;
    const n = normaliseOptOutText(w);
    if (n) set.add(n);
  }
  return set;
}

const DEFAULT_SET = optOutWordSet();

/**
 * The opt-out word the message is (normalised), or null when it is not an opt-out.
 * `words` is an optOutWordSet(); default: the default words.
 */
export function detectOptOut(text: string | null | undefined, words: ReadonlySet<string> = DEFAULT_SET): string | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_OPT_OUT_LENGTH) return null;
  const n = normaliseOptOutText(text);
  return n && words.has(n) ? n : null;
}

/** Check a tenant's extra words (settings API): each must normalise to something, 1–60 characters. */
export function checkOptOutWords(words: readonly string[]): { ok: true; value: string[] } | { ok: false; index: number; message: string } {
  const out: string[] = [];
  for (const [i, w] of words.entries()) {
    const n = normaliseOptOutText(w);
    if (!n) return { ok: false, index: i, message: 'the word is only punctuation or spaces' };
    if (n.length > 60) return { ok: false, index: i, message: 'at most 60 characters' };
    out.push(w.trim());
  }
  return { ok: true, value: [...new Set(out)] };
}

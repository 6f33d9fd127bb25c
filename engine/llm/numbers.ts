// Numbers as people write them in Saudi sales conversations: Arabic-Indic (٠–٩) and Eastern
// Arabic-Indic (۰–۹) digits, the Arabic thousands (٬) and decimal (٫) separators, and scale
// words ("ألف", "مليون", "k", "million", "نصف مليون"). Amounts are SAR unless they say
// halalas (1 SAR = 100 halalas). Pure.

const ARABIC_INDIC_ZERO = 0x0660;
const EASTERN_ARABIC_INDIC_ZERO = 0x06f0;

/** A character class matching a digit of any of the three scripts. */
export const DIGIT_CLASS = '[0-9\u0660-\u0669\u06F0-\u06F9]';

/** ASCII digits for Arabic-Indic ones; ٬ → "," and ٫ → "."; everything else unchanged. */
export function normalizeDigits(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c >= ARABIC_INDIC_ZERO && c <= ARABIC_INDIC_ZERO + 9) out += String(c - ARABIC_INDIC_ZERO);
    else if (c >= EASTERN_ARABIC_INDIC_ZERO && c <= EASTERN_ARABIC_INDIC_ZERO + 9) out += String(c - EASTERN_ARABIC_INDIC_ZERO);
    else if (ch === '\u066C') out += ',';
    else if (ch === '\u066B') out += '.';
    else out += ch;
  }
  return out;
}

/** Only the digits of `text`, as ASCII. */
export function digitsOf(text: string): string {
  return normalizeDigits(text).replace(/[^0-9]/g, '');
}

const SCALES: [RegExp, number][] = [
  [/^(?:مليار|billion|bn|b)(?!\p{L})/iu, 1_000_000_000],
  [/^(?:مليون|ملايين|million|mn|mm|m)(?!\p{L})/iu, 1_000_000],
  [/^(?:ألف|الف|آلاف|الاف|thousand|k)(?!\p{L})/iu, 1_000],
];

const HALALA_RE = /^(?:هللة|هلله|هللات|halala|halalas)/i;

/**
 * Parse one number as written: "500,000", "500 000", "1.5", "1,5" (decimal comma when it is
 * not a thousands group). Input must already have ASCII digits.
 */
function parseNumberToken(token: string): number | null {
  const t = token.replace(/\s+/g, ' ').trim();
  if (!/^\d/.test(t)) return null;
  // Thousands groups: 1,234,567 / 1 234 567 / 1.234.567 (dot groups only with 2+ groups).
  if (/^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(t)) return Number(t.replace(/,/g, ''));
  if (/^\d{1,3}(?: \d{3})+$/.test(t)) return Number(t.replace(/ /g, ''));
  if (/^\d{1,3}(?:\.\d{3}){2,}$/.test(t)) return Number(t.replace(/\./g, ''));
  if (/^\d+(?:\.\d+)?$/.test(t)) return Number(t);
  if (/^\d+,\d{1,2}$/.test(t)) return Number(t.replace(',', '.'));
  return null;
}

export interface Amount {
  /** The amount in SAR (halalas divided by 100). */
  sar: number;
  /** The text it was read from. */
  text: string;
  /** Where in the text it starts. */
  index: number;
  /** A currency (ريال, SAR, ر.س, halalas) follows it. */
  currency: boolean;
}

const CURRENCY_RE = /^(?:ريال|ريالات|رس(?!\p{L})|ر\.\s?س|sar(?!\p{L})|sr(?!\p{L})|riyals?(?!\p{L})|\uFDFC|هللة|هلله|هللات|halalas?(?!\p{L}))/iu;

const NUMBER_RE = /\d[\d,. ]*\d|\d/g;

/**
 * Every amount in `text`: a number optionally followed by a scale word and a currency or
 * "halalas"; bare scale phrases ("مليون ريال", "نصف مليون") count too. Returns SAR values.
 */
export function findAmounts(text: string): Amount[] {
  const src = normalizeDigits(text);
  const found: Amount[] = [];
  NUMBER_RE.lastIndex = 0;
  for (let m = NUMBER_RE.exec(src); m; m = NUMBER_RE.exec(src)) {
    let token = m[0];
    // A trailing separator belongs to the sentence ("75,000."), not the number.
    token = token.replace(/[,. ]+$/, '');
    let value = parseNumberToken(token);
    if (value === null) {
      // "500 000, 20 employees": try the longest leading part that parses.
      const first = /^\d+(?:[,.]\d+)*/.exec(token)?.[0];
      value = first ? parseNumberToken(first) : null;
      if (value === null || !first) continue;
      token = first;
    }
    const after = src.slice(m.index + token.length).replace(/^\s+/, '');
    let rest = after;
    for (const [re, factor] of SCALES) {
      const s = re.exec(rest);
      if (s) {
        value *= factor;
        rest = rest.slice(s[0].length).replace(/^\s+/, '');
        break;
      }
    }
    const sar = HALALA_RE.test(rest) ? value / 100 : value;
    // normalizeDigits keeps every index (one code unit for one), so `src` positions are `text` positions.
    found.push({ sar, text: text.slice(m.index, src.length - rest.length).trim(), index: m.index, currency: CURRENCY_RE.test(rest) });
  }
  // Words without digits: "نصف مليون", "ربع مليون", "مليون ريال", "half a million".
  const words: [RegExp, number][] = [
    [/نصف\s+مليون|half\s+a\s+million/i, 500_000],
    [/ربع\s+مليون|quarter\s+(?:of\s+)?a\s+million/i, 250_000],
    [/(?<!(?:\d|نصف|ربع)\s*)(?:مليون|million)\s+(?:ريال|sar|riyals?)/i, 1_000_000],
    [/مليونين|two\s+million/i, 2_000_000],
  ];
  for (const [re, sar] of words) {
    const w = re.exec(src);
    if (w) found.push({ sar, text: w[0].trim(), index: w.index, currency: /ريال|sar|riyal/i.test(w[0]) });
  }
  return found;
}

/**
 * A budget in SAR from a field value: a number (SAR, or halalas when `halalas`), or a text
 * ("ميزانية ٥٠٠٬٠٠٠ ريال", "75k SAR", "7500000 هللة") — the largest amount it mentions.
 */
export function parseBudgetSar(value: unknown, halalas = false): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? (halalas ? value / 100 : value) : null;
  if (typeof value === 'bigint') return Number(value) / (halalas ? 100 : 1);
  if (typeof value !== 'string') return null;
  const amounts = findAmounts(value);
  if (!amounts.length) return null;
  const best = Math.max(...amounts.map((a) => a.sar));
  return halalas && !/ريال|sar|ر\.?س/i.test(value) ? best / 100 : best;
}

/** A count from a field value: a number, or the first number in a text ("٣ ردود"). */
export function parseCount(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (Array.isArray(value)) return value.length;
  if (typeof value !== 'string') return null;
  const m = /\d+(?:\.\d+)?/.exec(normalizeDigits(value).replace(/,/g, ''));
  return m ? Number(m[0]) : null;
}

// PII masking for the tenant setting llm.external = 'masked' (PDPL: sending a Saudi lead's
// data to a provider abroad is a cross-border transfer). Before a call, phone numbers (Saudi
// and international formats, in ASCII, Arabic-Indic or Eastern Arabic-Indic digits), e-mail
// addresses and the contact's names are replaced by placeholders ([PHONE_1], [EMAIL_1],
// [NAME_1]); the same spelling always gets the same placeholder within a call, so
// restore(mask(text)) === text. The answer's placeholders are put back. Pure.
import { DIGIT_CLASS, digitsOf, normalizeDigits } from './numbers.js';

export type PiiKind = 'PHONE' | 'EMAIL' | 'NAME';

/** The placeholders of one call and the values they stand for. */
export class PiiVault {
  private readonly byValue = new Map<string, string>();
  private readonly byPlaceholder = new Map<string, string>();
  private readonly counters: Record<PiiKind, number> = { PHONE: 0, EMAIL: 0, NAME: 0 };

  /** The placeholder of `value` (a new one the first time; the same for the same spelling). */
  placeholder(kind: PiiKind, value: string): string {
    const id = `${kind}\u0000${value}`;
    const known = this.byValue.get(id);
    if (known) return known;
    const placeholder = `[${kind}_${++this.counters[kind]}]`;
    this.byValue.set(id, placeholder);
    this.byPlaceholder.set(placeholder, value);
    return placeholder;
  }

  get size(): number {
    return this.byPlaceholder.size;
  }

  /** The original value of a placeholder, or undefined. */
  original(placeholder: string): string | undefined {
    return this.byPlaceholder.get(placeholder);
  }

  /** `text` with every known placeholder replaced by its value. */
  restore(text: string): string {
    if (this.byPlaceholder.size === 0) return text;
    return text.replace(/\[(PHONE|EMAIL|NAME)_(\d{1,4})\]/g, (m) => this.byPlaceholder.get(m) ?? m);
  }

  /** A JSON value with placeholders restored in every string (keys included). */
  restoreJson(value: unknown): unknown {
    if (typeof value === 'string') return this.restore(value);
    if (Array.isArray(value)) return value.map((v) => this.restoreJson(v));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        Object.defineProperty(out, this.restore(k), { value: this.restoreJson(v), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return value;
  }
}

const LOCAL_CHAR = /[\p{L}\p{N}._%+-]/u;
const DOMAIN_CHAR = /[\p{L}\p{N}.-]/u;
const EMAIL_EXACT = /^[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}$/u;

/**
 * `text` with its e-mail addresses replaced. Found from each "@" outwards (a regex scanning
 * every word for a possible local part is several times slower on long prompts).
 */
function maskEmails(text: string, mask: (email: string) => string): string {
  if (!text.includes('@')) return text;
  let out = '';
  let last = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    if (at < last) continue;
    let start = at;
    while (start > last && LOCAL_CHAR.test(text[start - 1]!)) start--;
    let end = at + 1;
    while (end < text.length && DOMAIN_CHAR.test(text[end]!)) end++;
    // A sentence's full stop or a dash after the address is not part of it.
    while (end > at + 1 && /[.-]/.test(text[end - 1]!)) end--;
    const candidate = text.slice(start, end);
    if (!EMAIL_EXACT.test(candidate)) continue;
    out += text.slice(last, start) + mask(candidate);
    last = end;
  }
  return out + text.slice(last);
}

// A run that may be a phone number: an optional "+" or "(", then digits with single separators
// (space, NBSP, "-", ".", "/", parentheses) between them. Classified in phoneLength().
const D = DIGIT_CLASS;
const PHONE_RUN_RE = new RegExp(`(?<![\\p{N}@._%+-])(?:\\+|\\uFF0B)?\\(?${D}(?:[ \\u00A0\\-./()]{0,2}${D})+\\)?`, 'gu');

const GROUP_RE = new RegExp(`${D}+`, 'gu');

/**
 * The run with its phone numbers masked. A run may hold a phone and other numbers ("40
 * 0501234567", "0501234567 2"): candidates are spans of whole digit groups, the longest
 * phone-shaped span from the leftmost group that starts one wins, and the rest is scanned again.
 */
function maskPhones(run: string, mask: (phone: string) => string): string {
  const groups = [...run.matchAll(GROUP_RE)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  for (let i = 0; i < groups.length; i++) {
    for (let j = groups.length - 1; j >= i; j--) {
      let from = groups[i]!.start;
      let to = groups[j]!.end;
      // A leading "+" / "(" and a closing ")" belong to the number.
      if (run[from - 1] === '(') from--;
      if (run[from - 1] === '+' || run[from - 1] === '\uFF0B') from--;
      if (run[to] === ')' && run.slice(from, to).includes('(')) to++;
      const part = run.slice(from, to);
      if (isPhone(part)) return run.slice(0, from) + mask(part) + maskPhones(run.slice(to), mask);
    }
  }
  return run;
}

/** Dates and times written with digits ("2026-03-01", "01/03/2026", "10:30"), never phones. */
const DATE_RE = /^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$/;

/**
 * Accepts: "+" and 8–15 digits; "00" and 10–17 digits; Saudi mobiles 05XXXXXXXX; Saudi
 * landlines 01X XXX XXXX (and the older 0X XXX XXXX); 9665XXXXXXXX; 920XXXXXX (unified
 * numbers); 8–15 digits written with phone-style separators ("(555) 123-4567", "55 123 4567").
 * Plain numbers (budgets, counts, halalas, dates) are not phones unless one of these fits.
 */
function isPhone(part: string): boolean {
  const digits = digitsOf(part);
  const n = digits.length;
  const ascii = normalizeDigits(part);
  if (DATE_RE.test(ascii)) return false;
  const plus = /^[+\uFF0B]/.test(part);
  const separated = /[ \u00A0\-./()]/.test(part.replace(/^[+\uFF0B]/, ''));
  if (plus) return n >= 8 && n <= 15;
  if (digits.startsWith('00')) return n >= 10 && n <= 17;
  if (/^05\d{8}$/.test(digits)) return true;
  if (/^01[1-7]\d{7}$/.test(digits) || /^0[1-7]\d{7}$/.test(digits)) return true;
  if (/^9665\d{8}$/.test(digits)) return true;
  if (/^920\d{6}$/.test(digits)) return true;
  if (/^5\d{8}$/.test(digits) && separated) return true;
  if (/[-()]/.test(part) && n >= 8 && n <= 15 && !/^\d{1,3}(?:,\d{3})+$/.test(ascii) && !ascii.includes('.')) return true;
  if (separated && / /.test(part) && n >= 9 && n <= 15 && /^\d{2,4}(?: \d{2,4}){2,4}$/.test(ascii) && !/^\d{1,3}(?: \d{3})+$/.test(ascii)) return true;
  return false;
}

/** Words that are never masked as names on their own (particles of Arabic and English names). */
const NAME_PARTICLES = new Set(['بن', 'بنت', 'ابن', 'ال', 'آل', 'ابو', 'أبو', 'ام', 'أم', 'عبد', 'al', 'el', 'bin', 'bint', 'ibn', 'abu', 'abd', 'de', 'van', 'von', 'mr', 'mrs', 'ms', 'dr']);

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The full names and their parts (3+ letters, not particles), longest first. */
export function nameTerms(names: readonly string[]): string[] {
  const terms = new Set<string>();
  for (const raw of names) {
    if (typeof raw !== 'string') continue;
    const name = raw.normalize('NFC').replace(/\s+/g, ' ').trim();
    if (name.length < 2) continue;
    terms.add(name);
    for (const part of name.split(/[\s\-_]+/)) {
      const bare = part.replace(/^(?:ال)/, '');
      if (part.length >= 3 && !NAME_PARTICLES.has(part.toLowerCase()) && bare.length >= 2) terms.add(part);
    }
  }
  return [...terms].sort((a, b) => b.length - a.length);
}

const nameRegexes = new Map<string, RegExp | null>();

/**
 * Candidates for the names: the terms, longest first, any case, without lookarounds;
 * word boundaries are checked per candidate (nameAt), which is much cheaper than unicode
 * lookarounds at every position of a long prompt. Compiled once per list of names. Only used
 * through String.replace, which resets lastIndex, so sharing one instance is safe.
 */
function nameRegex(names: readonly string[]): RegExp | null {
  const key = names.join('\u0000');
  const hit = nameRegexes.get(key);
  if (hit !== undefined) return hit;
  const terms = nameTerms(names);
  const re = terms.length ? new RegExp(terms.map(escapeRe).join('|'), 'giu') : null;
  if (nameRegexes.size >= 500) nameRegexes.clear();
  nameRegexes.set(key, re);
  return re;
}

const LETTER = /[\p{L}\p{M}]/u;
// Before a name: nothing or a non-letter, then optionally Arabic prefixes (و/ف, then ب/ل/ك or ال/لل/بال/كال).
const LEFT_AT_START = /(?:^|[^\p{L}\p{M}])[وف]?(?:[بلك]|ال|لل|بال|كال)?$/u;
const LEFT_INNER = /[^\p{L}\p{M}][وف]?(?:[بلك]|ال|لل|بال|كال)?$/u;

/** Whether `match` at `offset` of `text` is a whole word (Arabic prefixes allowed before it). */
function nameAt(text: string, offset: number, match: string): boolean {
  const after = text[offset + match.length];
  if (after !== undefined && LETTER.test(after)) return false;
  const from = Math.max(0, offset - 5);
  return (from === 0 ? LEFT_AT_START : LEFT_INNER).test(text.slice(from, offset));
}

export interface MaskOptions {
  names?: readonly string[];
}

/** A masker for one call: mask() the texts sent, vault.restore() the answer. */
export class PiiMasker {
  readonly vault = new PiiVault();
  private readonly nameRe: RegExp | null;

  constructor(options: MaskOptions = {}) {
    this.nameRe = nameRegex(options.names ?? []);
  }

  mask(text: string): string {
    let out = maskEmails(text, (email) => this.vault.placeholder('EMAIL', email));
    out = out.replace(PHONE_RUN_RE, (run) => maskPhones(run, (phone) => this.vault.placeholder('PHONE', phone)));
    if (this.nameRe) {
      out = out.replace(this.nameRe, (name: string, offset: number, whole: string) => (nameAt(whole, offset, name) ? this.vault.placeholder('NAME', name) : name));
    }
    return out;
  }
}

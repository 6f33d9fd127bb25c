// Finding one person's identifiers anywhere in stored values, for erasure (pure; no I/O).
//
// A contact's phone is stored as E.164 (`+966556000001`) but the same number reaches other
// columns in many spellings: `966556000001` (UltraMsg's `966556000001@c.us`, its message ids
// `false_966556000001@c.us_3EB0…`), `0556000001`, `+966 55 600 0001`, `(055) 600-0001`,
// Arabic-Indic digits `٠٥٥٦٠٠٠٠٠١`, a JSON number. Every spelling contains the national
// significant number (`556000001`) once separators are dropped and digits made ASCII, so that
// is what is looked for. The email matches case-insensitively (also URL-encoded), the name
// case-insensitively as a whole.
//
// `scrubValue()` walks a JSON value (object keys too) and replaces every string (or integer)
// holding one of them by `replace(value)`: the erasure service passes a keyed hash
// (`erased:<hmac>`), so equal values stay equal (a message id in two tables still joins) and
// nothing can be read back without the server's secret.
import { parsePhoneNumberFromString } from 'libphonenumber-js';

export interface PersonalIdentifiers {
  name?: string | null;
  phone?: string | null;
  email?: string | null;
}

/** Separators people and providers put inside phone numbers (dropped before comparing digits). */
const SEPARATORS = /[\s\-.()/\u00a0\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** SQL REPLACE()s that drop the same separators (the ones a database prefilter can afford). */
export const SQL_SEPARATORS = [' ', '-', '.', '(', ')', '/', '\u00a0', '\u200e', '\u200f'] as const;
const ARABIC_DIGITS = /[\u0660-\u0669\u06f0-\u06f9]/g;
const toAsciiDigits = (s: string): string => s.replace(ARABIC_DIGITS, (c) => String(c.charCodeAt(0) & 0xf));
const arabicIndic = (digits: string): string => digits.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));
const extendedArabicIndic = (digits: string): string => digits.replace(/\d/g, (d) => String.fromCharCode(0x06f0 + Number(d)));

/** What a keyed hash of an erased value starts with (`erased:<hmac>`): never scrubbed twice. */
export const ERASED_PREFIX = 'erased:';

/** Shortest name matched on its own: shorter ones ("Al") would match unrelated text. */
export const MIN_NAME_LENGTH = 3;
/** Shortest digit run matched as a phone number. */
const MIN_PHONE_DIGITS = 6;

/** The national significant number of an E.164 phone (`+966556000001` → `556000001`), or its digits. */
export function phoneDigits(phone: string): string | null {
  const ascii = toAsciiDigits(phone);
  const parsed = parsePhoneNumberFromString(ascii.startsWith('+') ? ascii : `+${ascii.replace(/^\+?/, '')}`);
  const digits = parsed?.nationalNumber ? String(parsed.nationalNumber) : ascii.replace(/\D/g, '').replace(/^0+/, '');
  return digits.length >= MIN_PHONE_DIGITS ? digits : null;
}

export interface PersonalDataMatcher {
  /** Nothing to look for (no usable identifier). */
  readonly empty: boolean;
  /** The value (a string, or an integer's digits) holds one of the identifiers. */
  matches(value: unknown): boolean;
  /**
   * SQL LIKE patterns for a prefilter: `digits` against the column with SQL_SEPARATORS
   * removed, `lower` against LOWER(column). A row the prefilter skips cannot match, except a
   * name or email the database lower-cases differently (non-ASCII letters in SQLite).
   */
  readonly likePatterns: { digits: string[]; lower: string[] };
}

const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export function personalDataMatcher(ids: PersonalIdentifiers): PersonalDataMatcher {
  const digits = ids.phone ? phoneDigits(ids.phone) : null;
  const email = ids.email?.trim().toLowerCase() || null;
  const emailForms = email ? [...new Set([email, encodeURIComponent(email).toLowerCase()])] : [];
  const name = ids.name?.trim().normalize('NFC').toLowerCase() || null;
  const names = name && [...name].length >= MIN_NAME_LENGTH ? [name] : [];
  const texts = [...emailForms, ...names];
  const matchesText = (s: string): boolean => {
    if (digits && toAsciiDigits(s).replace(SEPARATORS, '').includes(digits)) return true;
    if (!texts.length) return false;
    const lower = s.normalize('NFC').toLowerCase();
    return texts.some((t) => lower.includes(t));
  };
  return {
    empty: !digits && !texts.length,
    matches(value: unknown): boolean {
      if (typeof value === 'string') return matchesText(value);
      if (typeof value === 'number' || typeof value === 'bigint') return digits !== null && Number.isInteger(Number(value)) && String(value).includes(digits);
      return false;
    },
    likePatterns: {
      digits: digits ? [digits, arabicIndic(digits), extendedArabicIndic(digits)].map((d) => `%${likeEscape(d)}%`) : [],
      lower: texts.map((t) => `%${likeEscape(t)}%`),
    },
  };
}

/**
 * `value` with every string or integer the matcher finds (object keys included) replaced by
 * `replace(text)`; the same value (===) when nothing matched, so callers can skip the write.
 * Under a key of `alwaysKeys` (`ip`, `userAgent` in consent evidence) a string or number is
 * replaced whatever it holds.
 */
export function scrubValue(value: unknown, matcher: PersonalDataMatcher, replace: (text: string) => string, alwaysKeys?: ReadonlySet<string>): unknown {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return matcher.matches(value) ? replace(String(value)) : value;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const next = scrubValue(v, matcher, replace, alwaysKeys);
      if (next !== v) changed = true;
      return next;
    });
    return changed ? out : value;
  }
  if (typeof value === 'object' && value !== null) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = matcher.matches(k) ? replace(k) : k;
      const always = alwaysKeys?.has(k) && (typeof v === 'string' || typeof v === 'number') && !String(v).startsWith(ERASED_PREFIX);
      const next = always ? replace(String(v)) : scrubValue(v, matcher, replace, alwaysKeys);
      if (key !== k || next !== v) changed = true;
      out[key] = next;
    }
    return changed ? out : value;
  }
  return value;
}

/**
 * A stored column value scrubbed. A JSON column (`json`) is parsed, walked and written back as
 * JSON (so it still parses); other text is replaced whole when it matches. Null when nothing
 * changed.
 */
export function scrubColumn(stored: unknown, matcher: PersonalDataMatcher, replace: (text: string) => string, json = false, alwaysKeys?: ReadonlySet<string>): string | null {
  if (typeof stored !== 'string') return null;
  if (json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(stored);
    } catch {
      return matcher.matches(stored) ? JSON.stringify(replace(stored)) : null;
    }
    const next = scrubValue(parsed, matcher, replace, alwaysKeys);
    return next === parsed ? null : JSON.stringify(next);
  }
  return matcher.matches(stored) ? replace(stored) : null;
}

/** A stored column value (JSON text or plain text) holds one of the identifiers somewhere. */
export function holdsPersonalData(stored: unknown, matcher: PersonalDataMatcher): boolean {
  let found = false;
  scrubValue(typeof stored === 'string' && /^\s*[[{"]/.test(stored) ? safeParse(stored) : stored, matcher, (t) => {
    found = true;
    return t;
  });
  return found;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

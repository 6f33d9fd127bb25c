// Normalising and checking a contact's fields, pure: used by the API (create, correct) and by
// the CSV import, so a phone or an email is accepted or refused the same way everywhere.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

export const DEFAULT_PHONE_REGION: CountryCode = 'SA';
export const LOCALES = ['ar', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const TIERS = ['hot', 'warm', 'cold'] as const;
export type Tier = (typeof TIERS)[number];

/**
 * A tag: 1–64 characters, none of `"` `\` `,` `;` or control characters (the CSV import splits
 * tags on `;`, and the tag filter matches the JSON text of the tag list exactly).
 */
export const TAG_PATTERN = '^[^"\\\\,;\\u0000-\\u001f]{1,64}$';
const TAG = new RegExp(TAG_PATTERN, 'u');
export const MAX_TAGS = 50;

export type FieldResult<T, Code extends string = string> = { ok: true; value: T } | { ok: false; code: Code; message: string };

// Arabic-Indic (U+0660–0669) and Extended Arabic-Indic (U+06F0–06F9, Persian/Urdu) digits.
const toAsciiDigits = (s: string): string => s.replace(/[\u0660-\u0669\u06f0-\u06f9]/g, (c) => String(c.charCodeAt(0) & 0xf));

/**
 * A phone number in E.164 (`+966551234567`). Local numbers are read in `region` (Saudi Arabia
 * by default): `0551234567`, `00966551234567`, `+966 55 123 4567` and Arabic-Indic digits
 * `٠٥٥١٢٣٤٥٦٧` all give `+966551234567`. Numbers that are not valid for their country are refused.
 */
export function normalisePhone(input: string, region: CountryCode = DEFAULT_PHONE_REGION): FieldResult<string> {
  const text = toAsciiDigits(input.normalize('NFKC')).trim();
  if (!/\d/.test(text)) return { ok: false, code: 'invalid_phone', message: 'not a phone number' };
  const parsed = parsePhoneNumberFromString(text, region);
  if (!parsed || !parsed.isValid()) return { ok: false, code: 'invalid_phone', message: `not a valid phone number (local numbers are read as ${region})` };
  return { ok: true, value: parsed.number };
}

// Deliberately simple (one @, a dot in the domain, no spaces): deliverability is the mail server's business.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/u;

/** An email address, trimmed and lower-cased (addresses compare case-insensitively in practice). */
export function normaliseEmail(input: string): FieldResult<string> {
  const value = input.trim().toLowerCase();
  if (value.length > 320 || !EMAIL.test(value)) return { ok: false, code: 'invalid_email', message: 'not a valid email address' };
  return { ok: true, value };
}

export function checkTags(tags: readonly string[]): FieldResult<string[], 'invalid_tag' | 'too_many_tags'> {
  const unique = [...new Set(tags.map((t) => t.trim()).filter((t) => t.length > 0))];
  const bad = unique.find((t) => !TAG.test(t));
  if (bad !== undefined) return { ok: false, code: 'invalid_tag', message: `tag "${bad.slice(0, 70)}" must be 1–64 characters without quotes, backslashes, commas or semicolons` };
  if (unique.length > MAX_TAGS) return { ok: false, code: 'too_many_tags', message: `at most ${MAX_TAGS} tags` };
  return { ok: true, value: unique };
}

export const isLocale = (v: unknown): v is Locale => typeof v === 'string' && (LOCALES as readonly string[]).includes(v);
export const isTier = (v: unknown): v is Tier => typeof v === 'string' && (TIERS as readonly string[]).includes(v);

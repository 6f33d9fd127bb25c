// Reading a contacts CSV, pure: header, rows, field checks and consent columns. Nothing here
// touches the database; the import route saves the rows this returns and adds the errors the
// database finds (a phone already used by two contacts…).
//
// Format: UTF-8 (a BOM is ignored), comma-separated, RFC 4180 quoting, first row = header.
// Columns (case-insensitive, Arabic names accepted, any order): name (required), phone, email
// (at least one of them, and one of them filled on every row), company, source, locale (ar|en,
// default ar), tags (separated by `;`), and consent columns `consent_<channel>_<purpose>`
// (e.g. consent_whatsapp_marketing) holding:
//   yes / true / 1 / granted / نعم            → consent granted now (the import's time)
//   a date 2026-03-01 or 2026-03-01T10:00:00Z → granted then (a date alone is midnight in Riyadh);
//                                              refused when in the future or older than 12 months
//   no / false / 0 / withdrawn / لا           → consent withdrawn (recorded as an objection)
//   empty                                     → nothing recorded for that consent
// Rows are numbered as the file's lines (the header is line 1), where the record starts.
import { parse } from 'csv-parse/sync';
import { CHANNELS, PURPOSES, consentExpiry, isChannel, isPurpose, type Channel, type Purpose } from '../../engine/consent/consent-rule.js';
import { checkTags, isLocale, normaliseEmail, normalisePhone, type Locale } from './contact-fields.js';

export const MAX_IMPORT_ROWS = 10_000;

export interface CsvRowError {
  /** Line of the file where the record starts (header = 1); 1 for header problems. */
  row: number;
  /** The column (its canonical name), or null for the whole row. */
  column: string | null;
  code: string;
  message: string;
}

export interface CsvConsentValue {
  channel: Channel;
  purpose: Purpose;
  action: 'grant' | 'withdraw';
  /** When the consent was given (grant), epoch ms. */
  at: number;
  /** The cell as written (kept in the consent event's evidence). */
  cell: string;
}

export interface CsvContactRow {
  row: number;
  name: string;
  phone: string | null;
  email: string | null;
  company: string | null;
  source: string | null;
  /** Only when the file has a locale column with a value. */
  locale: Locale | null;
  tags: string[] | null;
  consents: CsvConsentValue[];
}

export interface CsvParseResult {
  rows: CsvContactRow[];
  errors: CsvRowError[];
  /** Data records read (valid or not). */
  total: number;
}

/** The file as a whole is unusable (bad header, broken quoting, too many rows). */
export class CsvFileError extends Error {
  override readonly name = 'CsvFileError';
  constructor(
    readonly code: 'invalid_csv' | 'too_many_rows',
    message: string,
    readonly errors: CsvRowError[] = [],
  ) {
    super(message);
  }
}

const FIELD_COLUMNS = ['name', 'phone', 'email', 'company', 'source', 'locale', 'tags'] as const;
type FieldColumn = (typeof FIELD_COLUMNS)[number];

const ALIASES: Record<string, FieldColumn> = {
  الاسم: 'name',
  الجوال: 'phone',
  الهاتف: 'phone',
  'رقم الجوال': 'phone',
  البريد: 'email',
  'البريد الإلكتروني': 'email',
  الشركة: 'company',
  المصدر: 'source',
  اللغة: 'locale',
  الوسوم: 'tags',
};

const YES = new Set(['yes', 'y', 'true', '1', 'granted', 'نعم']);
const NO = new Set(['no', 'n', 'false', '0', 'withdrawn', 'لا']);
const RIYADH_OFFSET_MS = 3 * 60 * 60 * 1000;

const LIMITS: Partial<Record<FieldColumn, number>> = { name: 200, company: 200, source: 100 };

type Column = { kind: 'field'; name: FieldColumn } | { kind: 'consent'; name: string; channel: Channel; purpose: Purpose } | { kind: 'ignored'; name: string };

function readHeader(header: string[]): Column[] {
  const errors: CsvRowError[] = [];
  const columns = header.map((raw, i): Column => {
    const text = raw.trim();
    const lower = text.toLowerCase().replace(/[\s-]+/g, '_');
    const field = (FIELD_COLUMNS as readonly string[]).includes(lower) ? (lower as FieldColumn) : ALIASES[text];
    if (field) return { kind: 'field', name: field };
    const consent = /^consent_([a-z]+)_([a-z]+)$/.exec(lower);
    if (consent) {
      const [, channel, purpose] = consent;
      if (isChannel(channel) && isPurpose(purpose)) return { kind: 'consent', name: lower, channel, purpose };
      errors.push({ row: 1, column: text, code: 'unknown_consent_column', message: `consent columns are consent_<${CHANNELS.join('|')}>_<${PURPOSES.join('|')}>` });
      return { kind: 'ignored', name: text };
    }
    if (text === '') {
      errors.push({ row: 1, column: `#${i + 1}`, code: 'empty_header', message: 'a column has no name' });
      return { kind: 'ignored', name: '' };
    }
    errors.push({ row: 1, column: text, code: 'unknown_column', message: `unknown column (known: ${FIELD_COLUMNS.join(', ')}, consent_<channel>_<purpose>)` });
    return { kind: 'ignored', name: text };
  });
  const seen = new Set<string>();
  for (const c of columns) {
    if (c.kind === 'ignored') continue;
    if (seen.has(c.name)) errors.push({ row: 1, column: c.name, code: 'duplicate_column', message: 'the column appears twice' });
    seen.add(c.name);
  }
  if (!seen.has('name')) errors.push({ row: 1, column: 'name', code: 'missing_column', message: 'the header needs a name column' });
  if (!seen.has('phone') && !seen.has('email')) errors.push({ row: 1, column: 'phone', code: 'missing_column', message: 'the header needs a phone or an email column' });
  if (errors.length) throw new CsvFileError('invalid_csv', `the CSV header has ${errors.length} problem(s): ${errors.map((e) => `${e.column}: ${e.message}`).join('; ')}`, errors);
  return columns;
}

/** A consent cell's grant time: yes → now; a date or date-time → that instant. */
function consentCell(cell: string, now: number): { ok: true; action: 'grant' | 'withdraw'; at: number } | { ok: false; code: string; message: string } {
  const v = cell.trim().toLowerCase();
  if (YES.has(v)) return { ok: true, action: 'grant', at: now };
  if (NO.has(v)) return { ok: true, action: 'withdraw', at: now };
  let at: number;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) at = Date.parse(`${v}T00:00:00Z`) - RIYADH_OFFSET_MS;
  else if (/^\d{4}-\d{2}-\d{2}t\d{2}:\d{2}(:\d{2}(\.\d+)?)?(z|[+-]\d{2}:\d{2})$/.test(v)) at = Date.parse(v.toUpperCase());
  else return { ok: false, code: 'invalid_consent', message: 'use yes, no, or the date consent was given (YYYY-MM-DD)' };
  if (!Number.isFinite(at)) return { ok: false, code: 'invalid_consent', message: 'not a real date' };
  if (at > now) return { ok: false, code: 'consent_in_future', message: 'the consent date is in the future' };
  if (consentExpiry(at) <= now) return { ok: false, code: 'consent_expired', message: 'consent given more than 12 months ago has expired: collect it again' };
  return { ok: true, action: 'grant', at };
}

/** Parse and check a contacts CSV. Throws CsvFileError when the file as a whole cannot be read. */
export function parseContactCsv(text: string, options: { now?: number; maxRows?: number } = {}): CsvParseResult {
  const now = options.now ?? Date.now();
  const maxRows = options.maxRows ?? MAX_IMPORT_ROWS;
  let records: { record: string[]; info: { lines: number; empty_lines: number } }[];
  try {
    // Line endings as \n: csv-parse counts a CRLF inside a quoted field as two lines, which would shift row numbers.
    records = parse(text.replace(/\r\n?/g, '\n'), { bom: true, info: true, skip_empty_lines: true, relax_column_count: true, to: maxRows + 2 }) as unknown as typeof records;
  } catch (err) {
    const e = err as { message?: string; lines?: number };
    throw new CsvFileError('invalid_csv', `the CSV cannot be read: ${e.message ?? 'parse error'}`, [{ row: e.lines ?? 1, column: null, code: 'invalid_csv', message: e.message ?? 'parse error' }]);
  }
  const [head, ...data] = records;
  if (!head) throw new CsvFileError('invalid_csv', 'the CSV is empty', [{ row: 1, column: null, code: 'empty', message: 'no header row' }]);
  if (data.length > maxRows) throw new CsvFileError('too_many_rows', `at most ${maxRows} rows per import`, [{ row: 1, column: null, code: 'too_many_rows', message: `at most ${maxRows} rows` }]);
  const columns = readHeader(head.record);

  const rows: CsvContactRow[] = [];
  const errors: CsvRowError[] = [];
  const phones = new Map<string, number>();
  const emails = new Map<string, number>();
  let prevEnd = head.info.lines;
  let prevEmpty = head.info.empty_lines;
  for (const { record, info } of data) {
    const row = prevEnd + 1 + (info.empty_lines - prevEmpty);
    prevEnd = info.lines;
    prevEmpty = info.empty_lines;
    const rowErrors: CsvRowError[] = [];
    const fail = (column: string | null, code: string, message: string) => rowErrors.push({ row, column, code, message });
    if (record.length !== columns.length) fail(null, 'column_count', `the row has ${record.length} fields, the header ${columns.length}`);

    const cells: Partial<Record<FieldColumn, string>> = {};
    const parsed: CsvContactRow = { row, name: '', phone: null, email: null, company: null, source: null, locale: null, tags: null, consents: [] };
    columns.forEach((c, i) => {
      const cell = (record[i] ?? '').trim();
      if (c.kind === 'field') cells[c.name] = cell;
      else if (c.kind === 'consent' && cell !== '') {
        const v = consentCell(cell, now);
        if (v.ok) parsed.consents.push({ channel: c.channel, purpose: c.purpose, action: v.action, at: v.at, cell });
        else fail(c.name, v.code, v.message);
      }
    });
    for (const [column, limit] of Object.entries(LIMITS) as [FieldColumn, number][]) {
      if ((cells[column]?.length ?? 0) > limit) fail(column, 'too_long', `at most ${limit} characters`);
    }
    parsed.name = cells.name ?? '';
    if (!parsed.name) fail('name', 'required', 'the name is required');
    if (cells.phone) {
      const p = normalisePhone(cells.phone);
      if (p.ok) parsed.phone = p.value;
      else fail('phone', p.code, p.message);
    }
    if (cells.email) {
      const e = normaliseEmail(cells.email);
      if (e.ok) parsed.email = e.value;
      else fail('email', e.code, e.message);
    }
    if (!cells.phone && !cells.email) fail(columns.some((c) => c.name === 'phone') ? 'phone' : 'email', 'required', 'a phone or an email is required');
    parsed.company = cells.company || null;
    parsed.source = cells.source || null;
    if (cells.locale) {
      const locale = cells.locale.toLowerCase();
      if (isLocale(locale)) parsed.locale = locale;
      else fail('locale', 'invalid_locale', 'locale is ar or en');
    }
    if (cells.tags !== undefined && cells.tags !== '') {
      const t = checkTags(cells.tags.split(';'));
      if (t.ok) parsed.tags = t.value;
      else fail('tags', t.code, t.message);
    }
    // The same person twice in one file is a mistake to report, not a silent merge.
    if (parsed.phone && phones.has(parsed.phone)) fail('phone', 'duplicate_in_file', `the same phone as row ${phones.get(parsed.phone)}`);
    if (parsed.email && emails.has(parsed.email)) fail('email', 'duplicate_in_file', `the same email as row ${emails.get(parsed.email)}`);
    if (rowErrors.length) {
      errors.push(...rowErrors);
      continue;
    }
    if (parsed.phone) phones.set(parsed.phone, row);
    if (parsed.email) emails.set(parsed.email, row);
    rows.push(parsed);
  }
  return { rows, errors, total: data.length };
}

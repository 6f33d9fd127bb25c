// Reading an enrollment CSV, pure: which contacts to enroll. UTF-8 (a BOM is ignored),
// comma-separated, RFC 4180 quoting, first row = header with at least one of the columns
// contact_id, phone, email (case-insensitive; Arabic names accepted; other columns are ignored,
// so a contacts export can be used as it is). Each row names its contact by the first of
// contact_id, phone, email that is filled; a row naming none, or a phone or email that is not
// one, is reported with its row. Rows are numbered as the file's lines (header = 1), like the
// contacts import.
import { parse } from 'csv-parse/sync';
import { normaliseEmail, normalisePhone } from '../consent/contact-fields.js';

export const MAX_ENROLL_ROWS = 10_000;

/** A contact named by a row: exactly one of contactId, phone (E.164) or email (lower-cased). */
export interface EnrollTarget {
  row?: number;
  contactId?: string;
  phone?: string;
  email?: string;
}

export interface EnrollRowError {
  row: number;
  reason: string;
  message: string;
}

export class EnrollCsvError extends Error {
  override readonly name = 'EnrollCsvError';
  constructor(
    readonly code: 'invalid_csv' | 'too_many_rows',
    message: string,
  ) {
    super(message);
  }
}

type Key = 'contact_id' | 'phone' | 'email';
const ALIASES: Record<string, Key> = {
  contact_id: 'contact_id',
  contactid: 'contact_id',
  contact: 'contact_id',
  id: 'contact_id',
  phone: 'phone',
  mobile: 'phone',
  email: 'email',
  معرف: 'contact_id',
  'معرف جهة الاتصال': 'contact_id',
  الجوال: 'phone',
  الهاتف: 'phone',
  'رقم الجوال': 'phone',
  البريد: 'email',
  'البريد الإلكتروني': 'email',
};

function keyOf(header: string): Key | undefined {
  const text = header.trim();
  return ALIASES[text.toLowerCase().replace(/[\s-]+/g, '_')] ?? ALIASES[text];
}

/** The rows' targets and the rows that name no contact. Throws EnrollCsvError for an unusable file. */
export function parseEnrollCsv(text: string, maxRows = MAX_ENROLL_ROWS): { targets: EnrollTarget[]; errors: EnrollRowError[] } {
  let records: { record: string[]; info: { lines: number; empty_lines: number } }[];
  try {
    records = parse(text.replace(/\r\n?/g, '\n'), { bom: true, info: true, skip_empty_lines: true, relax_column_count: true, to: maxRows + 2 }) as unknown as typeof records;
  } catch (err) {
    throw new EnrollCsvError('invalid_csv', `the CSV cannot be read: ${(err as Error).message}`);
  }
  const [head, ...data] = records;
  if (!head) throw new EnrollCsvError('invalid_csv', 'the CSV is empty');
  if (data.length > maxRows) throw new EnrollCsvError('too_many_rows', `at most ${maxRows} rows per enrollment`);
  const columns = head.record.map(keyOf);
  if (!columns.some((c) => c !== undefined)) throw new EnrollCsvError('invalid_csv', 'the header needs a contact_id, phone or email column');

  const targets: EnrollTarget[] = [];
  const errors: EnrollRowError[] = [];
  let prevEnd = head.info.lines;
  let prevEmpty = head.info.empty_lines;
  for (const { record, info } of data) {
    const row = prevEnd + 1 + (info.empty_lines - prevEmpty);
    prevEnd = info.lines;
    prevEmpty = info.empty_lines;
    const cells: Partial<Record<Key, string>> = {};
    columns.forEach((c, i) => {
      const cell = (record[i] ?? '').trim();
      if (c && cell && cells[c] === undefined) cells[c] = cell;
    });
    if (cells.contact_id) {
      if (cells.contact_id.length > 64) errors.push({ row, reason: 'invalid_contact_id', message: 'a contact id has at most 64 characters' });
      else targets.push({ row, contactId: cells.contact_id });
    } else if (cells.phone) {
      const p = normalisePhone(cells.phone);
      if (p.ok) targets.push({ row, phone: p.value });
      else errors.push({ row, reason: p.code, message: p.message });
    } else if (cells.email) {
      const e = normaliseEmail(cells.email);
      if (e.ok) targets.push({ row, email: e.value });
      else errors.push({ row, reason: e.code, message: e.message });
    } else {
      errors.push({ row, reason: 'missing_contact', message: 'the row has no contact_id, phone or email' });
    }
  }
  return { targets, errors };
}

// Opaque page cursors: any JSON value, base64url. A cursor the API did not issue is a precise
// 400 at /query/cursor, never a 500.
import { ApiError } from '../api-error.js';

export const encodeCursor = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

export function decodeCursor<T>(text: string, check: (v: unknown) => v is T): T {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (check(v)) return v;
  } catch {
    // fall through
  }
  throw new ApiError(400, 'invalid_request', 'cursor is not one this API issued', [{ path: '/query/cursor', code: 'invalid_cursor', message: 'pass the `nextCursor` of the previous page' }]);
}

/** A cursor of `[time, id]`: the keyset of lists ordered newest first. */
export const isTimeIdCursor = (v: unknown): v is [number, string] => Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string';

// Small pieces shared by the auth, users, API-key and tenant routes.
import type { Request } from 'express';
import { Type, type TUnsafe } from '@sinclair/typebox';
import { ApiError } from '../api-error.js';
import type { Auth } from './auth-context.js';
import { MIN_PASSWORD_LENGTH } from './passwords.js';

/** A string enum as plain JSON Schema (`enum`), which validates with one clear error. */
export function stringEnum<T extends string>(values: readonly T[], options: { description?: string } = {}): TUnsafe<T> {
  return Type.Unsafe<T>(Type.String({ enum: [...values], ...options }));
}

export const LOCALES = ['ar', 'en'] as const;
export const LocaleSchema = stringEnum(LOCALES);
export const EmailSchema = Type.String({ format: 'email', maxLength: 320 });
/** A person's or tenant's name: at least one non-space character. */
export const NameSchema = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
export const PASSWORD_MAX_LENGTH = 512;
export const NewPasswordSchema = Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: PASSWORD_MAX_LENGTH, description: `at least ${MIN_PASSWORD_LENGTH} characters` });
/** A password being checked (not set): any length, so a policy change never locks anyone out. */
export const PasswordSchema = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });
export { IdParams } from '../schemas/common.js';

export const passwordTooShort = (password: string): boolean => [...password].length < MIN_PASSWORD_LENGTH;

export function requestIdOf(req: Request): string | null {
  return req.id === undefined || req.id === null ? null : String(req.id);
}

/** The signed-in user's id; API keys are refused (these routes are about a person). */
export function userIdOf(auth: Auth): string {
  if (auth.principal.kind !== 'user') throw new ApiError(403, 'users_only', 'this route is for signed-in users, not API keys');
  return auth.principal.userId;
}

/** Which unique constraint an insert broke ("users.email", a PostgreSQL constraint name…), or null. */
export function uniqueViolation(err: unknown): string | null {
  const e = err as { code?: unknown; message?: unknown; table?: unknown; constraint?: unknown } | null;
  if (!e || typeof e !== 'object') return null;
  // Table and constraint names only: a conflicting value (in PostgreSQL's detail) could contain any word.
  if (e.code === '23505') return [e.table, e.constraint].filter((x) => typeof x === 'string').join(' ');
  if (typeof e.message === 'string' && e.message.includes('UNIQUE constraint failed')) return e.message;
  return null;
}

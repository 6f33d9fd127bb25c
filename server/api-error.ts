// One error shape for every API answer: {error: {code, message, details}} (docs/architecture.md "API errors").
// What domain errors become is said once, in server/http/domain-errors.ts.
import type { FlowError } from '../engine/index.js';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FlowError[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    Object.setPrototypeOf(this, ApiError.prototype);
  }
}

export const notFound = (what = 'resource'): ApiError => new ApiError(404, 'not_found', `${what} not found`);

/** V8's "Maximum call stack size exceeded". */
export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

export function errorBody(e: ApiError): { error: { code: string; message: string; details: FlowError[] } } {
  return { error: { code: e.code, message: e.message, details: e.details } };
}

/** 400 invalid_request listing every problem (`path: message; …`), each in the details. */
export function invalidRequest(problems: FlowError[]): ApiError {
  return new ApiError(400, 'invalid_request', problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
}

// One error shape for every API answer: {error: {code, message, details}} (docs/architecture.md "API errors").
import type { ErrorRequestHandler } from 'express';
import type { FlowError } from '../engine/index.js';
import { FlowInvalidError } from '../engine/index.js';

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

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
  limit?: number;
}

/** Map anything thrown while serving a request to the API's error shape. */
export function toApiError(err: unknown, onUnexpected: (err: unknown) => void): ApiError {
  const parserError = err as BodyParserError;
  if (err instanceof ApiError) return err;
  if (err instanceof FlowInvalidError) return new ApiError(400, 'invalid_flow', err.message, err.errors);
  if (parserError?.type === 'entity.too.large') {
    return new ApiError(413, 'payload_too_large', `request body exceeds ${parserError.limit} bytes`, [{ path: '/body', code: 'too_large', message: `at most ${parserError.limit} bytes` }]);
  }
  if (parserError?.type === 'entity.parse.failed') {
    return new ApiError(400, 'invalid_json', 'request body is not valid JSON', [{ path: '/body', code: 'invalid_json', message: parserError.message ?? 'invalid JSON' }]);
  }
  if (parserError?.status && parserError.status >= 400 && parserError.status < 500) return new ApiError(parserError.status, 'bad_request', parserError.message ?? 'bad request');
  if (isUnstorableText(err)) {
    // PostgreSQL refused a NUL (or another character it cannot store) in a value: the checks of
    // server/http/input-guard.ts should have refused it first; a value from the caller still.
    onUnexpected(err);
    return new ApiError(400, 'invalid_request', 'a value holds a character that cannot be stored (NUL) — قيمة تحوي محرفًا لا يمكن تخزينه', [{ path: '', code: 'control_character', message: 'NUL is not allowed' }]);
  }
  if (isStackOverflow(err)) {
    // Input nested past what some recursive code handles (the depth limit of server/http/input-guard.ts
    // should have refused it first): the caller's input, not a server fault. Still logged.
    onUnexpected(err);
    return new ApiError(400, 'too_deep', 'the request is nested too deeply to process — الطلب متداخل بعمق لا يمكن معالجته', [{ path: '', code: 'too_deep', message: 'nested too deeply' }]);
  }
  onUnexpected(err);
  return new ApiError(500, 'internal', 'internal error');
}

/** PostgreSQL's 22021 (invalid byte sequence: 0x00 in text) and 22P05 (\u0000 in jsonb). */
function isUnstorableText(err: unknown): boolean {
  const e = err as { code?: unknown; original?: { code?: unknown }; parent?: { code?: unknown } } | null;
  const code = e?.code ?? e?.original?.code ?? e?.parent?.code;
  return code === '22021' || code === '22P05';
}

/** V8's "Maximum call stack size exceeded". */
export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

export function errorBody(e: ApiError): { error: { code: string; message: string; details: FlowError[] } } {
  return { error: { code: e.code, message: e.message, details: e.details } };
}

export function errorHandler(log: { error(obj: object, msg?: string): void }): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const e = toApiError(err, (unexpected) => log.error({ err: unexpected, url: req.originalUrl }, 'unhandled error'));
    for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
    res.status(e.status).json(errorBody(e));
  };
}

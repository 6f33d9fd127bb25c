// One mapping from the errors of the domain (engine, db, services) to the API's error shape.
// Route handlers and services just throw; the error middleware (and the webhook and provider
// callback listeners) answer with what this table says. A new domain error gets a row here,
// never a try/catch in a route.
import type { ErrorRequestHandler } from 'express';
import { FlowInvalidError, NodeFailure, ReplayUnavailable, ZatcaFieldError, nodeFailureInfo } from '../../engine/index.js';
import { FlowNotFoundError, RevisionConflictError } from '../../db/flow-repository.js';
import { DuplicateContactError } from '../../db/contacts/contact-repository.js';
import { ConsentChangeRefused } from '../../db/contacts/consent-repository.js';
import { DuplicateCredentialName } from '../../db/credential-repository.js';
import { OutboxResolveRefused } from '../../db/outbox-repository.js';
import { PhoneNumberTaken } from '../../db/whatsapp-repository.js';
import { ApiError, errorBody, isStackOverflow, notFound } from '../api-error.js';
import { ProviderError as ChannelProviderError } from '../channels/provider.js';
import { CsvFileError } from '../consent/csv-import.js';
import { ContactNotFound } from '../contacts/erasure-service.js';
import { CrmRefused } from '../crm/crm-service.js';
import { EnrollCsvError } from '../enrollments/enroll-csv.js';
import { EscalationRefused } from '../escalations/escalation-service.js';
import { EventIdReused } from '../events/event-router.js';

type ErrorClass<E> = abstract new (...args: never[]) => E;
interface Rule<E> {
  type: ErrorClass<E>;
  toApi(err: E): ApiError;
}
const rule = <E>(type: ErrorClass<E>, toApi: (err: E) => ApiError): Rule<E> => ({ type, toApi });

/** The refusals that carry a kind: not_found 404, conflict 409, invalid 400 (or 403 for users_only). */
function refusal(err: { kind: 'not_found' | 'invalid' | 'conflict'; code: string; message: string; path?: string | undefined }): ApiError {
  const status = err.kind === 'not_found' ? 404 : err.kind === 'conflict' ? 409 : err.code === 'users_only' ? 403 : 400;
  return new ApiError(status, err.code, err.message, err.path ? [{ path: err.path, code: err.code, message: err.message }] : []);
}

const tooManyRows = (code: 'invalid_csv' | 'too_many_rows'): number => (code === 'too_many_rows' ? 413 : 400);

// Most specific first: the first row whose class the error is an instance of answers.
const RULES: readonly Rule<never>[] = [
  rule(FlowInvalidError, (e) => new ApiError(400, 'invalid_flow', e.message, e.errors)),
  rule(FlowNotFoundError, () => notFound('flow')),
  rule(RevisionConflictError, (e) =>
    new ApiError(409, 'revision_conflict', e.message, [{ path: e.path, code: 'revision_conflict', message: `the current revision is ${e.revision}` }], { 'X-Flow-Revision': String(e.revision) }),
  ),
  rule(ReplayUnavailable, (e) =>
    e.code === 'history_diverged'
      ? new ApiError(409, 'replay_unavailable', e.message)
      : new ApiError(400, 'invalid_request', `/body/fromStep: ${e.message}`, [{ path: '/body/fromStep', code: e.code, message: e.message }]),
  ),
  rule(DuplicateContactError, (e) =>
    new ApiError(409, 'duplicate_contact', `a contact with this ${e.field} already exists`, [{ path: `/body/${e.field}`, code: 'duplicate', message: `another contact has this ${e.field}` }]),
  ),
  rule(ContactNotFound, () => notFound('contact')),
  rule(ConsentChangeRefused, (e) => {
    if (e.code === 'contact_not_found') return notFound('contact');
    if (e.code === 'contact_erased') return new ApiError(409, 'contact_erased', 'the contact was erased');
    return new ApiError(409, 'renew_not_allowed', e.message, [{ path: '/body/channel', code: 'renew_not_allowed', message: 'only a granted or expired consent can be renewed' }]);
  }),
  rule(CsvFileError, (e) =>
    new ApiError(
      tooManyRows(e.code),
      e.code,
      e.message,
      e.errors.map((r) => ({ path: '/body/csv', code: r.code, message: `row ${r.row}${r.column ? `, column ${r.column}` : ''}: ${r.message}` })),
    ),
  ),
  rule(EnrollCsvError, (e) => new ApiError(tooManyRows(e.code), e.code, e.message, [{ path: '/body/csv', code: e.code, message: e.message }])),
  rule(DuplicateCredentialName, (e) => new ApiError(409, 'name_taken', e.message, [{ path: '/body/name', code: 'name_taken', message: 'choose another name' }])),
  rule(PhoneNumberTaken, (e) =>
    new ApiError(409, 'phone_number_taken', e.message, [{ path: '/body/data/phoneNumberId', code: 'phone_number_taken', message: 'this WhatsApp phone number id is connected elsewhere' }]),
  ),
  rule(EventIdReused, (e) => new ApiError(422, 'event_id_reused', e.message, [{ path: '/body/id', code: 'event_id_reused', message: 'use a new id for a different event' }])),
  rule(OutboxResolveRefused, (e) => new ApiError(409, 'not_uncertain', e.message)),
  rule(ZatcaFieldError, (e) => new ApiError(400, 'invalid_request', e.message, [{ path: `/body/${e.field}`, code: 'too_long', message: e.message }])),
  rule(CrmRefused, refusal),
  rule(EscalationRefused, refusal),
  // A channel provider called while serving a request (a credential's template sync).
  rule(ChannelProviderError, (e) => new ApiError(502, 'provider_failed', e.message, [{ path: '/body/credential', code: e.code, message: e.message }])),
] as readonly Rule<unknown>[] as readonly Rule<never>[];

/** A domain error as an API error, or undefined when it is none the API knows. */
export function domainError(err: unknown): ApiError | undefined {
  for (const r of RULES as readonly Rule<unknown>[]) if (err instanceof (r.type as ErrorClass<unknown>)) return r.toApi(err);
  // A step's failure met while serving a request: its row of NODE_FAILURE_CODES says how.
  if (err instanceof NodeFailure) {
    const status = nodeFailureInfo(err.code)?.http;
    if (status !== undefined) return new ApiError(status, err.code, err.message, err.path ? [{ path: err.path, code: err.code, message: err.message }] : []);
  }
  return undefined;
}

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
  limit?: number;
}

/** Map anything thrown while serving a request to the API's error shape. */
export function toApiError(err: unknown, onUnexpected: (err: unknown) => void): ApiError {
  if (err instanceof ApiError) return err;
  const known = domainError(err);
  if (known) return known;
  const parserError = err as BodyParserError;
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

export function errorHandler(log: { error(obj: object, msg?: string): void }): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const e = toApiError(err, (unexpected) => log.error({ err: unexpected, url: req.originalUrl }, 'unhandled error'));
    for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
    res.status(e.status).json(errorBody(e));
  };
}

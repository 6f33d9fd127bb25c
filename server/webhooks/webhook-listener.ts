// The HTTP side of webhooks, served before Express: webhooks are the hot path (the engine
// benchmark), and Express's router and three body parsers cost about a quarter of the CPU of
// a five-node execution. Bodies are read with raw-body (what Express's parsers use) under the
// same size limit and parsed by content type, exactly as express.json/urlencoded/text did.
import type { IncomingMessage, ServerResponse } from 'node:http';
import querystring from 'node:querystring';
import getRawBody from 'raw-body';
import { ApiError, errorBody, invalidRequest } from '../api-error.js';
import { toApiError } from '../http/domain-errors.js';
import type { AppContext } from '../app-context.js';
import { createWebhookHandler } from './webhook-handler.js';
import { assertJson, controlCharacter, paramAndQueryProblems } from '../http/input-guard.js';

export const HOOKS_PREFIX = '/hooks/';

function parseBody(text: string, contentType: string): unknown {
  if (text === '') return null;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new ApiError(400, 'invalid_json', 'request body is not valid JSON', [{ path: '/body', code: 'invalid_json', message: (err as Error).message }]);
    }
    // Before anything serialises it (idempotency fingerprint, the execution's payload): 400 too_deep.
    assertJson(value, '/body');
    return value;
  }
  // `curl -d '{…}'` without -H labels a JSON body as a form: say so instead of running the
  // flow on a mangled body (the flow would then fail on fields it cannot find).
  if (type === 'application/x-www-form-urlencoded') {
    if (/^\s*[[{]/.test(text)) throw unsupportedMediaType(`the body looks like JSON but its Content-Type is ${type} (curl -d sends that): send Content-Type: application/json`);
    return { ...querystring.parse(text) };
  }
  if (type.startsWith('text/')) return text;
  if (type === '') throw unsupportedMediaType('a body needs a Content-Type: application/json, application/x-www-form-urlencoded or text/*');
  return null;
}

function unsupportedMediaType(message: string): ApiError {
  return new ApiError(415, 'unsupported_media_type', `${message} — حدد نوع المحتوى Content-Type: application/json`, [
    { path: '/headers/content-type', code: 'unsupported_media_type', message },
  ]);
}

/** UTF-8 text of a body, without a leading byte order mark (as raw-body's decoder did). */
function utf8(raw: Buffer): string {
  const text = raw.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A malformed percent-encoding, or a control character (NUL…), names no webhook: 404 before any query. */
function decode(segment: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw new ApiError(404, 'not_found', 'no published flow answers this webhook');
  }
  if (controlCharacter(decoded, 'token')) throw new ApiError(404, 'not_found', 'no published flow answers this webhook');
  return decoded;
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

export function createWebhookListener(ctx: AppContext): (req: IncomingMessage, res: ServerResponse) => void {
  const handle = createWebhookHandler(ctx);
  const limit = ctx.config.bodyLimitBytes;
  return (req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const rest = url.pathname.slice(HOOKS_PREFIX.length);
        const slash = rest.indexOf('/');
        if (slash <= 0 || slash === rest.length - 1) throw new ApiError(404, 'not_found', 'no published flow answers this webhook');
        const tenantSlug = decode(rest.slice(0, slash));
        const path = decode(rest.slice(slash + 1));
        // Under a backlog: refuse before reading the body (503 overloaded, Retry-After).
        await ctx.backpressure.admit();
        const query = { ...querystring.parse(url.search.slice(1)) };
        const controls = paramAndQueryProblems({}, query);
        if (controls.length) throw invalidRequest(controls);
        // Bytes first: a signature covers the body exactly as sent.
        const raw = await getRawBody(req, { limit, length: req.headers['content-length'] });
        const answer = await handle({
          tenantSlug,
          path,
          method: req.method ?? 'GET',
          body: parseBody(utf8(raw), req.headers['content-type'] ?? ''),
          rawBody: raw,
          query,
          headers: req.headers,
        });
        send(res, answer.status, answer.headers, answer.body);
      } catch (err) {
        const e = toApiError(err, (unexpected) => ctx.log.error({ err: unexpected, url: req.url }, 'unhandled webhook error'));
        if (res.headersSent) return void res.destroy();
        send(res, e.status, e.headers, errorBody(e));
      }
    })();
  };
}

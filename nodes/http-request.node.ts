// http.request: calls an HTTP API through ctx.http (SSRF-guarded by the runtime; never the
// global fetch). Output `{ status, headers, body }`; request headers are never stored.
// `credential` names an http-bearer or http-header credential of the tenant: its header is
// added at run time (never stored, and not sent on after a redirect to another origin).
import { Type } from '@sinclair/typebox';
import { CREDENTIAL_NAME_PATTERN, choices, defineNode, ERROR_PORT, Expr, label, NodeFailure, pointer, type FlowError } from '../engine/index.js';
import { OUT_PORT } from './shared/ports.js';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export const MAX_RESPONSE_BYTES = 1024 * 1024;
export const MAX_TIMEOUT_MS = 300_000;

const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE_RE = /^[^\r\n\0]*$/;
const JSON_TYPE_RE = /^application\/(?:[\w.-]+\+)?json(?:\s*;|$)/i;

const params = Type.Object(
  {
    method: Type.Optional(
      Type.Union(
        choices(HTTP_METHODS, {
          GET: ['GET', 'GET (جلب)'],
          POST: ['POST', 'POST (إرسال)'],
          PUT: ['PUT', 'PUT (استبدال)'],
          PATCH: ['PATCH', 'PATCH (تعديل جزئي)'],
          DELETE: ['DELETE', 'DELETE (حذف)'],
          HEAD: ['HEAD', 'HEAD (الترويسات فقط)'],
          OPTIONS: ['OPTIONS', 'OPTIONS (الخيارات المتاحة)'],
        }),
        { default: 'GET', ...label('Method', 'الطريقة') },
      ),
    ),
    url: Expr(Type.String({ pattern: '^https?://', maxLength: 4096, ...label('URL', 'الرابط (URL)', 'http:// or https:// URL', 'رابط يبدأ بـ http:// أو https://') })),
    headers: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Expr(Type.String({ maxLength: 8192 })), {
        default: {},
        ...label('Headers', 'الترويسات', 'Request headers; values may be expressions', 'ترويسات الطلب؛ ويمكن أن تكون القيم تعبيرات'),
      }),
    ),
    body: Type.Optional(
      Type.Unknown(
        label(
          'Body',
          'المحتوى',
          'Request body: an object or array is sent as JSON, a string as it is; values may be expressions',
          'محتوى الطلب: يُرسل الكائن أو المصفوفة بصيغة JSON، والنص كما هو؛ ويمكن أن تكون القيم تعبيرات',
        ),
      ),
    ),
    timeoutMs: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_TIMEOUT_MS,
        default: 10_000,
        ...label('Timeout (ms)', 'المهلة (بالمللي ثانية)', 'Give up after this many milliseconds', 'التوقف بعد هذا العدد من المللي ثانية'),
      }),
    ),
    failOnStatus: Type.Optional(
      Type.Boolean({
        default: true,
        ...label('Fail on error status', 'الفشل عند رمز خطأ', 'Fail the step when the answer is not 2xx', 'إفشال الخطوة عندما لا يكون رمز الاستجابة 2xx'),
      }),
    ),
    credential: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        pattern: CREDENTIAL_NAME_PATTERN,
        'x-credential-types': ['http-bearer', 'http-header'],
        ...label(
          'Credential',
          'بيانات الاعتماد',
          'Name of an http-bearer credential (sets Authorization: Bearer …) or an http-header credential (sets its header)',
          'اسم بيانات اعتماد من نوع http-bearer (تضبط Authorization: Bearer …) أو http-header (تضبط ترويستها)',
        ),
      }),
    ),
  },
  { additionalProperties: false },
);

function headerProblems(headers: Record<string, unknown>): FlowError[] {
  const errors: FlowError[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME_RE.test(name)) {
      errors.push({ path: pointer('headers', name), code: 'invalid_header', message: `"${name}" is not a valid header name` });
    } else if (typeof value === 'string' && !HEADER_VALUE_RE.test(value)) {
      errors.push({ path: pointer('headers', name), code: 'invalid_header', message: `header "${name}" contains a line break or NUL` });
    }
  }
  return errors;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

/** Set `name` to `value`, replacing any spelling of it already in `headers`. */
function setHeader(headers: Record<string, string>, name: string, value: string): void {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name.toLowerCase()) delete headers[k];
  headers[name] = value;
}

/**
 * Apply an http-bearer ({token}) or http-header ({name, value}) credential to `headers`;
 * returns the header names that carry it. Messages name the credential, never its values.
 */
function applyCredential(headers: Record<string, string>, credential: string, data: Record<string, string>): string[] {
  const invalid = (what: string) => new NodeFailure('invalid_credential', `credential "${credential}": ${what}`, { retryable: false, path: '/params/credential' });
  if (typeof data.token === 'string') {
    if (!HEADER_VALUE_RE.test(data.token)) throw invalid('the token contains a line break or NUL');
    setHeader(headers, 'Authorization', `Bearer ${data.token}`);
    return ['Authorization'];
  }
  if (typeof data.name === 'string' && typeof data.value === 'string') {
    if (!HEADER_NAME_RE.test(data.name)) throw invalid('not a valid header name');
    if (!HEADER_VALUE_RE.test(data.value)) throw invalid('the header value contains a line break or NUL');
    setHeader(headers, data.name, data.value);
    return [data.name];
  }
  throw invalid('not an http-bearer or http-header credential');
}

/** The request body as sent, plus the content-type it implies. */
function encodeBody(body: unknown): { text: string; json: boolean } | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return { text: body, json: false };
  return { text: JSON.stringify(body), json: true };
}

function responseHeaders(headers: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  headers.forEach((value, name) => {
    if (name === 'set-cookie') return;
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  });
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) out['set-cookie'] = cookies;
  return out;
}

/** Reads at most MAX_RESPONSE_BYTES of the body; more fails without reading the rest. */
async function readCapped(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_RESPONSE_BYTES) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks));
}

function tooLarge(): NodeFailure {
  return new NodeFailure('response_too_large', `the response body is larger than ${MAX_RESPONSE_BYTES} bytes`, { retryable: false });
}

function parseBody(text: string, contentType: string | null, log: (...args: unknown[]) => void): unknown {
  if (!contentType || !JSON_TYPE_RE.test(contentType)) return text;
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    log(`response says ${contentType} but its body is not JSON; returned as text`);
    return text;
  }
}

function statusFailure(status: number, statusText: string, body: unknown): NodeFailure {
  const retryable = status === 429 || status >= 500;
  const detail = typeof body === 'string' ? body : JSON.stringify(body);
  const snippet = detail && detail.length > 200 ? detail.slice(0, 200) + '…' : detail;
  return new NodeFailure(`http_${status}`, `HTTP ${status}${statusText ? ' ' + statusText : ''}${snippet ? `: ${snippet}` : ''}`, { retryable });
}

function networkFailure(err: unknown): NodeFailure {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const code = e?.cause?.code;
  const message = e?.cause?.message ?? e?.message ?? String(err);
  return new NodeFailure('network_error', code ? `${code}: ${message}` : message, { retryable: true, cause: err });
}

export const httpRequestNode = defineNode({
  type: 'http.request',
  category: 'integration',
  policyClass: 'B',
  sideEffects: true,
  label: { en: 'HTTP request', ar: 'طلب HTTP' },
  description: {
    en: 'Calls an HTTP API and outputs the status, headers and body of the answer. Private network addresses are blocked unless the workspace allows them.',
    ar: 'يستدعي واجهة برمجية عبر HTTP ويُخرج حالة الاستجابة وترويساتها ومحتواها. عناوين الشبكات الخاصة محظورة ما لم تسمح بها مساحة العمل.',
  },
  icon: 'globe',
  params,
  outputs: [OUT_PORT, ERROR_PORT],
  credentials: ['http-bearer', 'http-header'],
  check(p): FlowError[] {
    const errors = headerProblems(p.headers ?? {});
    const method = p.method ?? 'GET';
    if ((method === 'GET' || method === 'HEAD') && p.body !== undefined && p.body !== null) {
      errors.push({ path: '/body', code: 'invalid_value', message: `a ${method} request cannot have a body` });
    }
    return errors;
  },
  async execute(ctx) {
    const p = ctx.params;
    const method = p.method ?? 'GET';
    const timeoutMs = p.timeoutMs ?? 10_000;
    const failOnStatus = p.failOnStatus ?? true;

    let url: URL;
    try {
      url = new URL(p.url);
    } catch {
      throw new NodeFailure('invalid_url', `not a URL: ${p.url}`, { retryable: false, path: '/params/url' });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new NodeFailure('invalid_url', `only http and https URLs are allowed, not ${url.protocol}`, { retryable: false, path: '/params/url' });
    }
    const headerErrors = headerProblems(p.headers ?? {});
    if (headerErrors[0]) throw new NodeFailure('invalid_header', headerErrors[0].message, { retryable: false, path: '/params' + headerErrors[0].path });
    const headers: Record<string, string> = { ...p.headers };
    const body = encodeBody(p.body);
    if (body && (method === 'GET' || method === 'HEAD')) {
      throw new NodeFailure('invalid_params', `a ${method} request cannot have a body`, { retryable: false, path: '/params/body' });
    }
    if (body?.json && !hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json';
    // The credential's header wins over a header of the same name in params.
    const secretHeaders = p.credential ? applyCredential(headers, p.credential, await ctx.credential(p.credential)) : [];

    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    try {
      const response = await ctx.http(url.href, { method, headers, ...(body ? { body: body.text } : {}), signal, ...(secretHeaders.length ? { secretHeaders } : {}) });
      const text = method === 'HEAD' ? '' : await readCapped(response);
      const output = {
        status: response.status,
        headers: responseHeaders(response.headers),
        body: method === 'HEAD' ? null : parseBody(text, response.headers.get('content-type'), ctx.log),
      };
      if (failOnStatus && (response.status < 200 || response.status > 299)) throw statusFailure(response.status, response.statusText, output.body);
      return { port: 'out', output };
    } catch (err) {
      if (err instanceof NodeFailure) throw err;
      if (ctx.signal.aborted) throw err; // cancelled by the runtime: not this node's failure
      if (timeout.aborted) throw new NodeFailure('timeout', `no complete answer from ${url.host} within ${timeoutMs} ms`, { retryable: true, cause: err });
      throw networkFailure(err);
    }
  },
});

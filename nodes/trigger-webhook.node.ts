// trigger.webhook: starts a flow when an HTTP request arrives at /hooks/:tenant/:path. The
// server turns the request into `{ body, query, headers }`; this node passes it on with the
// credentials removed from the headers (the server should already have done so).
import { Type } from '@sinclair/typebox';
import { CREDENTIAL_NAME_PATTERN, defineNode, type FlowError } from '../engine/index.js';
import { OUT_PORT } from './shared/ports.js';
import { isPlainObject } from './shared/values.js';

export type HeaderValue = string | string[] | undefined;

/** Headers that carry credentials or signatures; never stored in an execution. */
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-auth-token',
  'x-tadfuq-signature',
  'x-hub-signature',
  'x-hub-signature-256',
]);

export function isSecretHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_HEADERS.has(lower) || lower.includes('secret') || lower.includes('token');
}

/** A copy of `headers` without credentials (and without undefined values). Pure. */
export function redactHeaders(headers: Record<string, HeaderValue>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || isSecretHeader(name)) continue;
    Object.defineProperty(out, name, { value: Array.isArray(value) ? [...value] : value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export const WEBHOOK_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export const DEFAULT_SIGNATURE_HEADER = 'X-Tadfuq-Signature';
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;
const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";

const params = Type.Object(
  {
    path: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9/_-]{0,199}$',
      description: 'Path after /hooks/<tenant>/, without a leading slash, e.g. "leads/new"',
    }),
    method: Type.Optional(Type.Union(WEBHOOK_METHODS.map((m) => Type.Literal(m)), { default: 'POST', description: 'HTTP method to accept' })),
    respond: Type.Optional(
      Type.Union([Type.Literal('immediately'), Type.Literal('onFinish')], {
        default: 'immediately',
        description: '"immediately": answer 202 when the run is queued; "onFinish": answer with the run result',
      }),
    ),
    signature: Type.Optional(
      Type.Object(
        {
          credential: Type.String({
            minLength: 1,
            maxLength: 100,
            pattern: CREDENTIAL_NAME_PATTERN,
            'x-credential-types': ['webhook-hmac'],
            description: 'Name of the webhook-hmac credential holding the shared secret',
          }),
          header: Type.Optional(
            Type.String({ minLength: 1, maxLength: 100, pattern: HEADER_NAME_PATTERN, default: DEFAULT_SIGNATURE_HEADER, description: 'Header carrying the signature' }),
          ),
          toleranceSeconds: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 86_400, default: DEFAULT_SIGNATURE_TOLERANCE_SECONDS, description: 'Refuse signatures older (or further ahead) than this' }),
          ),
        },
        {
          additionalProperties: false,
          description: `Require an HMAC-SHA256 signature: header "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>"; unsigned, wrongly signed or stale requests are refused with 401 and start nothing`,
        },
      ),
    ),
  },
  { additionalProperties: false },
);

export const triggerWebhookNode = defineNode({
  type: 'trigger.webhook',
  category: 'trigger',
  label: { en: 'Webhook', ar: 'خطاف ويب (Webhook)' },
  description: {
    en:
      'Starts the flow when an HTTP request arrives at the webhook URL; outputs its body, query and headers (credentials removed). ' +
      'Optional signature check: with a webhook-hmac credential, the caller sends the header X-Tadfuq-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>; ' +
      'a missing or wrong signature answers 401 invalid_signature, one older than the tolerance (5 minutes by default) 401 signature_expired, and nothing starts. ' +
      'An Idempotency-Key header (1–200 printable characters) makes retries safe: the same key within 24 hours answers with the first execution instead of starting another; the same key with a different body answers 422.',
    ar:
      'يبدأ التدفق عند وصول طلب HTTP إلى رابط الخطاف، ويُخرج محتوى الطلب ومعاملات الاستعلام والترويسات بعد حذف بيانات الاعتماد. ' +
      'تحقّق اختياري من التوقيع: باستخدام بيانات اعتماد من نوع webhook-hmac يرسل المتصل الترويسة X-Tadfuq-Signature: t=<الوقت بالثواني>,v1=<قيمة HMAC-SHA256 بصيغة hex للنص "<t>.<محتوى الطلب الخام>" بالسر المشترك>؛ ' +
      'التوقيع المفقود أو الخاطئ يُرفض بالرمز 401 invalid_signature، والأقدم من المهلة (5 دقائق افتراضيًا) بالرمز 401 signature_expired، ولا يبدأ شيء. ' +
      'ترويسة Idempotency-Key (من 1 إلى 200 محرف قابل للطباعة) تجعل إعادة المحاولة آمنة: المفتاح نفسه خلال 24 ساعة يُجاب بالتنفيذ الأول بدل بدء تنفيذ آخر، والمفتاح نفسه بمحتوى مختلف يُجاب بالرمز 422.',
  },
  icon: 'webhook',
  params,
  outputs: [OUT_PORT],
  credentials: ['webhook-hmac'],
  check(p): FlowError[] {
    if (p.path.endsWith('/') || p.path.includes('//')) {
      return [{ path: '/path', code: 'invalid_value', message: 'path must not end with "/" or contain "//"' }];
    }
    return [];
  },
  async execute(ctx) {
    const input = ctx.input;
    if (isPlainObject(input) && isPlainObject(input.headers)) {
      return { port: 'out', output: { ...input, headers: redactHeaders(input.headers as Record<string, HeaderValue>) } };
    }
    return { port: 'out', output: input };
  },
});

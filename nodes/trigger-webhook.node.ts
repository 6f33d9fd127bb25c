// trigger.webhook: starts a flow when an HTTP request arrives at /hooks/:tenant/:path. The
// server turns the request into `{ body, query, headers }`; this node passes it on with the
// credentials removed from the headers (the server should already have done so).
import { Type } from '@sinclair/typebox';
import { CREDENTIAL_NAME_PATTERN, choices, defineNode, label, type FlowError, type WebhookBinding } from '../engine/index.js';
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
      ...label('Path', 'المسار', 'Path after /hooks/<tenant>/, without a leading slash, e.g. "leads/new"', 'المسار بعد /hooks/<tenant>/ دون شرطة مائلة في أوله، مثل "leads/new"'),
    }),
    method: Type.Optional(
      Type.Union(
        choices(WEBHOOK_METHODS, {
          GET: ['GET', 'GET (جلب)'],
          POST: ['POST', 'POST (إرسال)'],
          PUT: ['PUT', 'PUT (استبدال)'],
          PATCH: ['PATCH', 'PATCH (تعديل جزئي)'],
          DELETE: ['DELETE', 'DELETE (حذف)'],
        }),
        { default: 'POST', ...label('Method', 'الطريقة', 'HTTP method to accept', 'طريقة HTTP المقبولة') },
      ),
    ),
    respond: Type.Optional(
      Type.Union(choices(['immediately', 'onFinish'] as const, { immediately: ['Immediately', 'فورًا'], onFinish: ['When the run finishes', 'عند انتهاء التشغيل'] }), {
        default: 'immediately',
        ...label(
          'Respond',
          'الرد',
          '"immediately": answer 202 when the run is queued; "onFinish": answer with the run result',
          '«فورًا»: الرد بـ 202 عند إدراج التشغيل في الطابور؛ «عند انتهاء التشغيل»: الرد بنتيجة التشغيل',
        ),
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
            ...label(
              'Credential',
              'بيانات الاعتماد',
              'Name of the webhook-hmac credential holding the shared secret',
              'اسم بيانات اعتماد webhook-hmac التي تحمل السر المشترك',
            ),
          }),
          header: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 100,
              pattern: HEADER_NAME_PATTERN,
              default: DEFAULT_SIGNATURE_HEADER,
              ...label('Header', 'الترويسة', 'Header carrying the signature', 'الترويسة التي تحمل التوقيع'),
            }),
          ),
          toleranceSeconds: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 86_400,
              default: DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
              ...label('Tolerance (seconds)', 'السماحية (بالثواني)', 'Refuse signatures older (or further ahead) than this', 'رفض التواقيع الأقدم من هذه المدة (أو الأبعد منها في المستقبل)'),
            }),
          ),
        },
        {
          additionalProperties: false,
          ...label(
            'Signature',
            'التوقيع',
            `Require an HMAC-SHA256 signature: header "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>"; unsigned, wrongly signed or stale requests are refused with 401 and start nothing`,
            `اشتراط توقيع HMAC-SHA256: الترويسة "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>"؛ وتُرفض الطلبات غير الموقعة أو ذات التوقيع الخاطئ أو القديم بالرمز 401 ولا تبدأ شيئًا`,
          ),
        },
      ),
    ),
  },
  { additionalProperties: false },
);

const DEFAULT_METHOD = params.properties.method.default as (typeof WEBHOOK_METHODS)[number];
const DEFAULT_RESPOND = params.properties.respond.default as 'immediately' | 'onFinish';

/** The route params bind, the schema's defaults applied; lenient (a draft's params may be incomplete). */
export function webhookBinding(raw: unknown): WebhookBinding {
  const p = isPlainObject(raw) ? raw : {};
  const s = isPlainObject(p.signature) ? p.signature : undefined;
  return {
    method: String(p.method ?? DEFAULT_METHOD).toUpperCase(),
    path: String(p.path ?? ''),
    respond: p.respond === 'onFinish' || p.respond === 'immediately' ? p.respond : DEFAULT_RESPOND,
    signature:
      s && typeof s.credential === 'string'
        ? {
            credential: s.credential,
            header: (typeof s.header === 'string' ? s.header : DEFAULT_SIGNATURE_HEADER).toLowerCase(),
            toleranceSeconds: typeof s.toleranceSeconds === 'number' ? s.toleranceSeconds : DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
          }
        : null,
  };
}

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
  webhook: webhookBinding,
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

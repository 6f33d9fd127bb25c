// trigger.webhook: starts a flow when an HTTP request arrives at /hooks/:tenant/:path. The
// server turns the request into `{ body, query, headers }`; this node passes it on with the
// credentials removed from the headers (the server should already have done so).
import { Type } from '@sinclair/typebox';
import { defineNode, type FlowError } from '../engine/index.js';
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
  },
  { additionalProperties: false },
);

export const triggerWebhookNode = defineNode({
  type: 'trigger.webhook',
  category: 'trigger',
  label: { en: 'Webhook', ar: 'خطاف ويب (Webhook)' },
  description: {
    en: 'Starts the flow when an HTTP request arrives at the webhook URL; outputs its body, query and headers (credentials removed).',
    ar: 'يبدأ التدفق عند وصول طلب HTTP إلى رابط الخطاف، ويُخرج محتوى الطلب ومعاملات الاستعلام والترويسات بعد حذف بيانات الاعتماد.',
  },
  icon: 'webhook',
  params,
  outputs: [OUT_PORT],
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

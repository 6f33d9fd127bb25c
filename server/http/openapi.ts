// The OpenAPI 3.1 document, generated from the route declarations the server validates with
// (server/http/route.ts). JSON Schema 2020-12 is OpenAPI 3.1's schema dialect, so TypeBox
// schemas go in as they are; a schema marked with named() (server/schemas/common.ts) becomes one
// entry of components.schemas and every use of it a $ref. Two different schemas under one name
// throw here (one schema per shape), and so does a route whose success is declared as an error.
import { Type, type TSchema } from '@sinclair/typebox';
import { PERMISSIONS } from '../auth/permissions.js';
import { DEFAULT_SIGNATURE_HEADER } from '../../nodes/trigger-webhook.node.js';
import { ErrorBody, SCHEMA_NAME, named } from '../schemas/common.js';
import type { RouteSpec } from './route.js';
import { providerHookPaths } from '../channels/hook-docs.js';

/** TypeBox adds symbol keys and `[Kind]`; a JSON round trip leaves plain JSON Schema. */
const plain = (schema: TSchema): unknown => JSON.parse(JSON.stringify(schema)) as unknown;

/** Collects named schemas while the document is built and replaces them by $ref. */
class Components {
  readonly schemas: Record<string, unknown> = {};
  private readonly texts = new Map<string, string>();

  /** A plain schema with every named sub-schema replaced by its $ref. */
  ref(schema: TSchema): unknown {
    return this.walk(plain(schema));
  }

  private walk(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.walk(v));
    if (value === null || typeof value !== 'object') return value;
    // $id would re-base the $refs around it (and clash when a validator loads two copies).
    const { [SCHEMA_NAME]: name, $id: _id, ...rest } = value as Record<string, unknown>;
    const walked = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, this.walk(v)]));
    if (typeof name !== 'string') return walked;
    // Type.Optional() copies a schema; the copy is the same shape, so compare by content.
    const text = JSON.stringify(walked);
    const seen = this.texts.get(name);
    if (seen !== undefined && seen !== text) throw new Error(`two different schemas are named ${name}: one schema per shape`);
    this.texts.set(name, text);
    this.schemas[name] = walked;
    return { $ref: `#/components/schemas/${name}` };
  }
}

function parameters(schema: TSchema | undefined, where: 'path' | 'query', components: Components): unknown[] {
  if (!schema) return [];
  const s = plain(schema) as { properties?: Record<string, { description?: string; default?: unknown }>; required?: string[] };
  const props = (schema as unknown as { properties?: Record<string, TSchema> }).properties ?? {};
  return Object.entries(s.properties ?? {}).map(([name, prop]) => ({
    name,
    in: where,
    // A parameter with a default may be left out: the server fills it in.
    required: where === 'path' || ((s.required ?? []).includes(name) && prop.default === undefined),
    ...(prop.description ? { description: prop.description } : {}),
    schema: components.ref(props[name]!),
  }));
}

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 0 } } };

export const WebhookAccepted = named(
  'WebhookAccepted',
  Type.Object(
    {
      executionId: Type.String(),
      status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('waiting')], { description: 'queued (respond: immediately); running or waiting (onFinish, not finished in time)' }),
    },
    { additionalProperties: false },
  ),
);
const FlowOutput = named('FlowOutput', Type.Unknown({ description: "The flow's final output: whatever JSON its last step produced (the flow decides its shape)" }));

/** /hooks/{tenant}/{path}: served before the API (server/webhooks/webhook-listener.ts), documented here. */
function webhookPath(components: Components): Record<string, unknown> {
  const executionHeader = { 'X-Execution-Id': { description: 'The execution this request started (or, replayed, the first one)', schema: { type: 'string' } } };
  const replayed = { 'Idempotent-Replayed': { description: '"true" when an Idempotency-Key repeat answered with the first execution', schema: { type: 'string', enum: ['true'] } } };
  const error = (description: string, headers: Record<string, unknown> = {}) => ({ description, headers, content: { 'application/json': { schema: components.ref(ErrorBody) } } });
  const operation = (method: string) => ({
    operationId: `hook${method[0]!.toUpperCase()}${method.slice(1)}`,
    summary: `Start the published flow whose webhook trigger has this path and method ${method.toUpperCase()}`,
    tags: ['webhooks'],
    security: [],
    parameters: [
      { name: 'tenant', in: 'path', required: true, description: 'The tenant slug', schema: { type: 'string' } },
      { name: 'path', in: 'path', required: true, description: 'The trigger’s path (may contain /)', schema: { type: 'string' } },
      { name: 'Idempotency-Key', in: 'header', required: false, description: 'The same key within 24 hours answers with the first execution; with another body, 422', schema: { type: 'string', minLength: 1, maxLength: 200 } },
      { name: DEFAULT_SIGNATURE_HEADER, in: 'header', required: false, description: 'HMAC signature `t=<unix seconds>,v1=<hex>` when the trigger requires one (its header name is configurable)', schema: { type: 'string' } },
    ],
    ...(method === 'get' || method === 'delete' ? {} : { requestBody: { required: false, content: { 'application/json': { schema: {} }, 'application/x-www-form-urlencoded': { schema: {} }, 'text/plain': { schema: { type: 'string' } } } } }),
    responses: {
      200: { description: 'respond: onFinish — the run succeeded; its output', headers: { ...executionHeader, ...replayed }, content: { 'application/json': { schema: components.ref(FlowOutput) } } },
      202: { description: 'respond: immediately — the run is durably queued; onFinish — still running or waiting', headers: { ...executionHeader, ...replayed }, content: { 'application/json': { schema: components.ref(WebhookAccepted) } } },
      400: error('invalid JSON or control characters in the path or query'),
      401: error('invalid_signature or signature_expired (the trigger requires a signature)'),
      404: error('no published (and unpaused) flow answers this webhook'),
      405: error('the path exists with other methods', { Allow: { description: 'The methods this path answers', schema: { type: 'string' } } }),
      413: error('body too large'),
      415: error('unsupported content type'),
      422: error('invalid_payload: the request’s data made a node fail; or an Idempotency-Key reused with another body', executionHeader),
      500: error('execution_failed: the run failed (onFinish)', executionHeader),
    },
  });
  return Object.fromEntries(['get', 'post', 'put', 'patch', 'delete'].map((m) => [m, operation(m)]));
}

export function openApiDocument(routes: readonly RouteSpec[], info: { version: string }): Record<string, unknown> {
  const components = new Components();
  const paths: Record<string, Record<string, unknown>> = {};
  const errorRef = components.ref(ErrorBody);
  for (const r of routes) {
    const path = '/api/v1' + r.path.replace(/:(\w+)/g, '{$1}');
    const where = `${r.method.toUpperCase()} ${r.path}`;
    const status = r.status ?? 200;
    const success = (description: string, schema: TSchema | undefined, code: number, media: Record<string, TSchema> = {}) => {
      if (code === 204) return { description: 'done' };
      if (!schema) throw new Error(`${where}: a ${code} answer needs a response schema`);
      const content = { [r.contentType ?? 'application/json']: schema, ...media };
      return { description, content: Object.fromEntries(Object.entries(content).map(([type, s]) => [type, { schema: components.ref(s) }])) };
    };
    const responses: Record<string, unknown> = { [status]: success('success', r.response, status, r.media) };
    for (const [code, alt] of Object.entries(r.successes ?? {})) responses[code] = success(alt.description, alt.schema, Number(code));
    const err = (description: string, code: number) => ({
      description,
      ...(code === 429 || code === 423 ? { headers: RETRY_AFTER } : {}),
      content: { 'application/json': { schema: errorRef } },
    });
    // Every route refuses control characters in its path and query, whatever it declares.
    responses['400'] = err('invalid request: every problem with its path', 400);
    if (r.access !== 'public') {
      responses['401'] = err('no, bad or expired credentials', 401);
      if (r.access !== 'authenticated') responses['403'] = err(`role lacks ${r.access}`, 403);
    }
    if (r.params) responses['404'] = err('not found in your tenant', 404);
    if (r.body) {
      responses['413'] = err('body too large', 413);
      responses['415'] = err('the body is not sent as application/json', 415);
    }
    for (const [code, description] of Object.entries(r.errors ?? {})) {
      if (Number(code) < 400) throw new Error(`${where}: ${code} is a success; declare it under successes`);
      responses[code] = err(description, Number(code));
    }
    const permission = r.access in PERMISSIONS ? PERMISSIONS[r.access as keyof typeof PERMISSIONS] : undefined;
    (paths[path] ??= {})[r.method] = {
      operationId: `${r.method}${r.path.replace(/[/:]+(\w)/g, (_m, c: string) => c.toUpperCase()).replace(/\W/g, '')}`,
      summary: r.summary,
      tags: [r.tag],
      ...(permission ? { description: `Permission: \`${r.access}\` (${permission.roles.join(', ')})`, 'x-permission': r.access } : {}),
      ...(r.access === 'public' ? { security: [] } : {}),
      parameters: [...parameters(r.params, 'path', components), ...parameters(r.query, 'query', components)],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: components.ref(r.body) } } } } : {}),
      responses,
    };
  }
  // The provider webhooks are served outside /api/v1 (server/channels/callback-router.ts).
  Object.assign(paths, providerHookPaths());
  paths['/hooks/{tenant}/{path}'] = webhookPath(components);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tadfuq API',
      version: info.version,
      description: 'Tadfuq (تدفق) workflow engine API. Errors: {error: {code, message, details: [{path, code, message}]}}. Lists: {items, nextCursor}.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { apiKey: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: components.schemas,
    },
    paths,
  };
}

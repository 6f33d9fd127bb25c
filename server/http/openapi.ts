// The OpenAPI 3.1 document, generated from the route declarations the server validates with
// (server/http/route.ts). JSON Schema 2020-12 is OpenAPI 3.1's schema dialect, so TypeBox
// schemas go in as they are.
import type { TSchema } from '@sinclair/typebox';
import { PERMISSIONS } from '../auth/permissions.js';
import type { RouteSpec } from './route.js';
import { providerHookPaths } from '../channels/hook-docs.js';

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'array', items: { type: 'object', required: ['path', 'code', 'message'], properties: { path: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  },
};

/** TypeBox adds symbol keys and `[Kind]`; a JSON round trip leaves plain JSON Schema. */
const plain = (schema: TSchema): unknown => JSON.parse(JSON.stringify(schema)) as unknown;

function parameters(schema: TSchema | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const s = plain(schema) as { properties?: Record<string, { description?: string }>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, prop]) => ({
    name,
    in: where,
    required: where === 'path' || (s.required ?? []).includes(name),
    ...(prop.description ? { description: prop.description } : {}),
    schema: prop,
  }));
}

export function openApiDocument(routes: readonly RouteSpec[], info: { version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = '/api/v1' + r.path.replace(/:(\w+)/g, '{$1}');
    const status = String(r.status ?? 200);
    const responses: Record<string, unknown> = {
      [status]: status === '204' ? { description: 'done' } : { description: 'success', content: { 'application/json': { schema: r.response ? plain(r.response) : {} } } },
    };
    const err = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
    if (r.params || r.query || r.body) responses['400'] = err('invalid request: every problem with its path');
    if (r.access !== 'public') {
      responses['401'] = err('no, bad or expired credentials');
      if (r.access !== 'authenticated') responses['403'] = err(`role lacks ${r.access}`);
    }
    if (r.params) responses['404'] = err('not found in your tenant');
    if (r.body) responses['413'] = err('body too large');
    for (const [code, description] of Object.entries(r.errors ?? {})) responses[code] = err(description);
    const permission = r.access in PERMISSIONS ? PERMISSIONS[r.access as keyof typeof PERMISSIONS] : undefined;
    (paths[path] ??= {})[r.method] = {
      operationId: `${r.method}${r.path.replace(/[/:]+(\w)/g, (_m, c: string) => c.toUpperCase()).replace(/\W/g, '')}`,
      summary: r.summary,
      tags: [r.tag],
      ...(permission ? { description: `Permission: \`${r.access}\` (${permission.roles.join(', ')})`, 'x-permission': r.access } : {}),
      ...(r.access === 'public' ? { security: [] } : {}),
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: plain(r.body) } } } } : {}),
      responses,
    };
  }
  // The provider webhooks are served outside /api/v1 (server/channels/callback-router.ts).
  Object.assign(paths, providerHookPaths());
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tadfuq API',
      version: info.version,
      description: 'Tadfuq (تدفق) workflow engine API. Errors: {error: {code, message, details: [{path, code, message}]}}.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { apiKey: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: { Error: ERROR_SCHEMA },
    },
    paths,
  };
}

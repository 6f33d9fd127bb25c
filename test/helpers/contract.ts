// Checks API answers against the OpenAPI document the server serves: the status must be one the
// operation declares and the body must match that status's schema, strictly (tests only: every
// object schema that does not say otherwise refuses properties it does not declare, so a route
// cannot answer a field its document leaves out). Hook it on supertest requests with watch().
import Ajv2020Module, { type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { RequestListener, ServerResponse } from 'node:http';
import type request from 'supertest';
import type { AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { openApiDocument } from '../../server/http/openapi.js';
import { apiRoutes } from '../../server/routes/index.js';

const Ajv2020 = (Ajv2020Module as unknown as { default: typeof Ajv2020Module }).default ?? Ajv2020Module;
type Ajv = InstanceType<typeof Ajv2020Module.default>;

type Json = Record<string, unknown>;
interface Operation {
  responses: Record<string, { content?: Record<string, { schema: Json }> }>;
}
export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
}

/** Rewrites component $refs to $defs and closes every object schema that leaves its extra properties open by omission. */
function strict(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strict);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value as Json)) {
    if (k === '$ref' && typeof v === 'string') out[k] = v.replace('#/components/schemas/', '#/$defs/');
    // Property names are data here, not schemas: keep them, walk their schemas.
    else if ((k === 'properties' || k === 'patternProperties' || k === '$defs') && v && typeof v === 'object') out[k] = Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, strict(s)]));
    else out[k] = strict(v);
  }
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined && out.patternProperties === undefined) out.additionalProperties = false;
  return out;
}

export class ContractChecker {
  readonly problems: string[] = [];
  /** "METHOD /path status" of every answer checked, for coverage assertions. */
  readonly seen = new Set<string>();
  private readonly ajv: Ajv;
  private readonly defs: unknown;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: { method: string; template: string; pattern: RegExp }[];

  constructor(private readonly doc: OpenApiDoc) {
    this.ajv = new (Ajv2020 as unknown as new (o: object) => Ajv)({ allErrors: true, strict: false });
    ((addFormats as unknown as { default?: (a: Ajv) => void }).default ?? (addFormats as unknown as (a: Ajv) => void))(this.ajv);
    this.defs = strict(doc.components.schemas);
    this.templates = Object.entries(doc.paths).flatMap(([template, ops]) =>
      Object.keys(ops).map((method) => ({
        method,
        template,
        // {path} of the webhooks may hold slashes; every other parameter is one segment.
        pattern: new RegExp('^' + template.replace(/\{path\}/g, '.+').replace(/\{\w+\}/g, '[^/]+') + '$'),
      })),
    );
  }

  /** The operation a request reached, by its method and URL path. */
  private operation(method: string, url: string): { template: string; op: Operation } | undefined {
    const path = new URL(url, 'http://x').pathname;
    const m = method.toLowerCase();
    // Literal segments win over parameters (/flows/import before /flows/{id}).
    const hits = this.templates.filter((t) => t.method === m && t.pattern.test(path)).sort((a, b) => b.template.replace(/\{\w+\}/g, '').length - a.template.replace(/\{\w+\}/g, '').length);
    const hit = hits[0];
    return hit ? { template: hit.template, op: this.doc.paths[hit.template]![m]! } : undefined;
  }

  /** Check one answer; problems are collected (see assertClean). */
  check(method: string, url: string, status: number, body: unknown, contentType: string | undefined): void {
    const found = this.operation(method, url);
    if (!found) return; // not an API route (health, editor assets): nothing declared
    const key = `${method.toUpperCase()} ${found.template} ${status}`;
    this.seen.add(key);
    const declared = found.op.responses[String(status)];
    if (!declared) {
      this.problems.push(`${key}: status not declared (answered ${JSON.stringify(body).slice(0, 200)})`);
      return;
    }
    const media = (contentType ?? '').split(';')[0]!.trim();
    if (declared.content && media && !/json/.test(media)) {
      if (!declared.content[media]) this.problems.push(`${key}: answered ${media}, declares ${Object.keys(declared.content).join(', ')}`);
      return; // a text answer (CSV): its media type is what the document can say about it
    }
    const schema = declared.content?.['application/json']?.schema;
    if (!schema) {
      if (status !== 204 && body !== undefined && body !== '' && !(typeof body === 'object' && body !== null && Object.keys(body).length === 0)) this.problems.push(`${key}: declares no body but answered one`);
      return;
    }
    if (!/json/.test(contentType ?? '')) {
      this.problems.push(`${key}: declares JSON, answered ${contentType}`);
      return;
    }
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile({ ...(strict(schema) as Json), $defs: this.defs });
      this.validators.set(key, validate);
    }
    if (!validate(body)) {
      const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
      this.problems.push(`${key}: ${errors.join('; ')}`);
    }
  }

  /** Check the answer of a supertest request when it arrives. */
  watch<T extends request.Test>(test: T, method: string, url: string): T {
    test.on('response', (res: { status: number; body: unknown; headers: Record<string, string> }) => this.check(method, url, res.status, res.body, res.headers['content-type']));
    return test;
  }

  /** Problems since the last call, cleared. */
  take(): string[] {
    return this.problems.splice(0, this.problems.length);
  }
}

/**
 * The app with every answer checked against the document as it leaves the server: suites that
 * call request(app) directly are covered without changing a line of theirs.
 */
export function checkedListener(app: RequestListener, checker: ContractChecker): RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    const keep = (chunk: unknown) => {
      if (typeof chunk === 'string' || chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk as string));
    };
    let headType: string | undefined;
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      const headers = args.find((a, i) => i > 0 && a && typeof a === 'object' && !Array.isArray(a)) as Record<string, unknown> | undefined;
      const type = headers && Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
      if (type !== undefined) headType = String(type);
      return writeHead(...args);
    }) as typeof res.writeHead;
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      keep(chunk);
      return write(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'function') keep(chunk);
      return end(chunk, ...rest);
    }) as typeof res.end;
    res.on('finish', () => {
      const type = String(res.getHeader('content-type') ?? headType ?? '');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      if (/json/.test(type)) {
        try {
          body = text === '' ? undefined : (JSON.parse(text) as unknown);
        } catch {
          checker.problems.push(`${req.method} ${req.url} ${res.statusCode}: says JSON, is not`);
          return;
        }
      }
      checker.check(req.method ?? 'GET', req.url ?? '/', res.statusCode, body, type || undefined);
    });
    app(req, res);
  };
}

const checkers = new WeakMap<RequestListener, ContractChecker>();

/** createApp(ctx) with its answers checked against its own OpenAPI document; assertContract(app) reports. */
export function checkedApp(ctx: AppContext): RequestListener {
  const checker = new ContractChecker(openApiDocument(apiRoutes(ctx), { version: 'test' }) as unknown as OpenApiDoc);
  const app = checkedListener(createApp(ctx), checker);
  checkers.set(app, checker);
  return app;
}

/** Throws with every answer of a checkedApp() that its document does not allow (then forgets them). */
export function assertContract(app: RequestListener | undefined): void {
  const problems = app ? (checkers.get(app)?.take() ?? []) : [];
  if (problems.length) throw new Error(`answers outside the OpenAPI document:\n${problems.join('\n')}`);
}

// API routes are declared, not hand-wired: each names its method, path, permission and the
// TypeBox schemas of its params, query, body and answer. From the same declaration the router
// validates the request (every problem at once, as {path, code, message} under /params,
// /query or /body), checks the permission, and the OpenAPI document is generated — so the
// document cannot drift from what the server enforces.
import express, { Router, type Request, type Response } from 'express';
import type { Static, TSchema } from '@sinclair/typebox';
import Ajv2020Module, { type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { schemaErrors } from '../../engine/index.js';
import { ApiError, invalidRequest } from '../api-error.js';
import { allowed, authOf, type Auth } from '../auth/auth-context.js';
import type { Permission } from '../auth/permissions.js';
import { CONTROL_KEYWORD, assertJson, controlCharacter, controlProblem, guardStrings, paramAndQueryProblems, type StringRule } from './input-guard.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** `public`: no credentials (sign-in, the OpenAPI document); `authenticated`: any signed-in role. */
export type Access = Permission | 'public' | 'authenticated';

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
  /** Undefined only on public routes. */
  auth: Auth;
}

export interface RouteSpec<PS extends TSchema = TSchema, QS extends TSchema = TSchema, BS extends TSchema = TSchema> {
  method: HttpMethod;
  /** Express syntax under /api/v1: `/flows/:id`. */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  params?: PS;
  query?: QS;
  body?: BS;
  /** Largest JSON body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /**
   * Schema of a successful answer (documentation; answers are not re-validated at run time, but
   * the contract tests check every answer against it).
   */
  response?: TSchema;
  /** Status of a successful answer (default 200; 204 sends no body). */
  status?: number;
  /** Other media types the success may be written in by the handler, e.g. {'text/csv': Type.String()}. */
  media?: Record<string, TSchema>;
  /** The success's media type when not JSON (the handler writes it). */
  contentType?: string;
  /** Other successes the handler writes itself, e.g. {202: {description, schema}}. */
  successes?: Record<number, { description: string; schema: TSchema }>;
  /** Error answers (4xx/5xx, Error body) worth documenting, e.g. {409: 'version conflict'}. */
  errors?: Record<number, string>;
  /** Return the answer's body; or write to `res` yourself and return undefined. */
  handler(ctx: RouteContext<Static<PS>, Static<QS>, Static<BS>>): Promise<unknown> | unknown;
}

/** Identity with inference: lets a route's handler see its schemas' static types. */
export function route<PS extends TSchema, QS extends TSchema, BS extends TSchema>(spec: RouteSpec<PS, QS, BS>): RouteSpec {
  return spec as unknown as RouteSpec;
}

// ajv and ajv-formats ship CommonJS; under NodeNext their classes sit on `.default`.
const Ajv2020 = (Ajv2020Module as unknown as { default: typeof Ajv2020Module }).default ?? Ajv2020Module;
type Ajv = InstanceType<typeof Ajv2020Module.default>;
const applyFormats = ((addFormats as unknown as { default?: unknown }).default ?? addFormats) as (a: Ajv) => void;
// Bodies are taken as sent; params and query arrive as strings and are coerced to the schema.
const bodyAjv: Ajv = new (Ajv2020 as unknown as new (o: object) => Ajv)({ allErrors: true, useDefaults: true, strict: false });
const stringAjv: Ajv = new (Ajv2020 as unknown as new (o: object) => Ajv)({ allErrors: true, useDefaults: true, coerceTypes: true, strict: false });
applyFormats(bodyAjv);
applyFormats(stringAjv);
// Control characters in a body's string fields (input-guard.ts): the keyword guardStrings() adds.
const controlKeyword = function controlKeyword(this: unknown, rule: StringRule, data: string): boolean {
  const c = controlCharacter(data, rule);
  if (!c) return true;
  (controlKeyword as unknown as { errors: object[] }).errors = [{ keyword: CONTROL_KEYWORD, message: c, params: { character: c } }];
  return false;
};
bodyAjv.addKeyword({ keyword: CONTROL_KEYWORD, type: 'string', schemaType: 'string', errors: true, validate: controlKeyword });

const compiled = new WeakMap<TSchema, ValidateFunction>();
function validator(schema: TSchema, ajv: Ajv): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv === bodyAjv ? ajv.compile(guardStrings(schema) as object) : ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

function check(schema: TSchema | undefined, value: unknown, ajv: Ajv, base: string): { value: unknown; errors: ReturnType<typeof schemaErrors> } {
  if (!schema) return { value, errors: [] };
  const v = validator(schema, ajv);
  if (v(value)) return { value, errors: [] };
  const all = v.errors ?? [];
  const control = all.filter((e) => e.keyword === CONTROL_KEYWORD).map((e) => controlProblem(base + e.instancePath, e.message ?? '\u0000'));
  return { value, errors: [...control, ...schemaErrors(all.filter((e) => e.keyword !== CONTROL_KEYWORD), base)] };
}

const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** Mount the routes on a router (under /api/v1), in declaration order. */
export function mountRoutes(routes: readonly RouteSpec[]): Router {
  const router = Router();
  for (const spec of routes) {
    const parsers = spec.body ? [express.json({ limit: spec.bodyLimit ?? DEFAULT_BODY_LIMIT, strict: false })] : [];
    router[spec.method](spec.path, ...parsers, async (req: Request, res: Response) => {
      let auth: Auth | undefined;
      if (spec.access !== 'public') {
        auth = authOf(res);
        if (spec.access !== 'authenticated' && !allowed(auth, spec.access)) {
          throw new ApiError(403, 'forbidden', `your role (${auth.role}) may not ${spec.access}`);
        }
      }
      // Control characters in path parameters and query values, before anything looks them up.
      const controls = paramAndQueryProblems(req.params, req.query as Record<string, unknown>);
      if (controls.length) throw invalidRequest(controls);
      // Express 5 exposes req.query through a getter; validate a plain copy.
      const params = check(spec.params, { ...req.params }, stringAjv, '/params');
      const query = check(spec.query, { ...(req.query as object) }, stringAjv, '/query');
      if (spec.body && req.body === undefined) {
        throw new ApiError(415, 'unsupported_media_type', 'send the body as application/json', [{ path: '/body', code: 'content_type', message: 'Content-Type must be application/json' }]);
      }
      // Depth and NUL first: ajv, the handler and JSON.stringify must never see a 20,000-deep body.
      if (spec.body) assertJson(req.body, '/body', { refuseNul: true });
      const body = check(spec.body, req.body, bodyAjv, '/body');
      const errors = [...params.errors, ...query.errors, ...body.errors];
      if (errors.length) throw invalidRequest(errors);
      const result = await spec.handler({ params: params.value, query: query.value, body: body.value, req, res, auth: auth as Auth });
      if (res.headersSent) return;
      const status = spec.status ?? 200;
      if (status === 204) res.status(204).end();
      else res.status(status).json(result);
    });
  }
  return router;
}

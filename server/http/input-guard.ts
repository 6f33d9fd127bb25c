// What every request is checked for before any handler, query or serialiser sees it (issue 14):
// JSON nested deeper than MAX_JSON_DEPTH (JSON.stringify, ajv and the stepper recurse, and a
// stack overflow there was a 500), and control characters in path parameters, query values and
// the string fields of bodies (PostgreSQL refuses NUL in text with an error that was a 500).
// The checks are iterative: a 100,000-deep body must not overflow the stack of its checker.
import type { FlowError } from '../../engine/index.js';
import { pointerSegment } from '../../engine/index.js';
import { ApiError } from '../api-error.js';

/**
 * Deepest nesting of arrays and objects accepted in a JSON body (API, webhooks, provider
 * callbacks): `{}` is 1 level, `{"a": []}` 2. Documented in server/README.md "Bad input".
 */
export const MAX_JSON_DEPTH = 64;

/** C0 controls and DEL: never in ids, slugs, tenants, emails, keys, path parameters. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
/** C0 controls but tab, newline and carriage return, and DEL: never in text. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export type StringRule = 'token' | 'text';

/** The control character a string may not hold under the rule, or null when it is clean. */
export function controlCharacter(value: string, rule: StringRule): string | null {
  const m = (rule === 'token' ? CONTROL : CONTROL_IN_TEXT).exec(value);
  return m ? m[0] : null;
}

const codeOf = (c: string): string => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

export function controlProblem(path: string, c: string): FlowError {
  return { path, code: 'control_character', message: `control character ${codeOf(c)} is not allowed here — لا يُسمح هنا بمحرف التحكم ${codeOf(c)}` };
}

/** Property names whose values are looked up or compared as identifiers: no control character at all. */
const LOOKUP_NAME = /^(id|ids|tenant|slug|email|key|cursor|token|refreshToken|role|type|channel|path)$|(Id|Ids|Slug|Email|Key)$/;
export const isLookupName = (name: string): boolean => LOOKUP_NAME.test(name);

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | null;
  key: string | number;
}

function pathOf(frame: Frame, base: string): string {
  const segments: string[] = [];
  for (let f: Frame | null = frame; f && f.parent; f = f.parent) segments.push('/' + pointerSegment(f.key));
  return base + segments.reverse().join('');
}

export interface JsonCheck {
  /** Deepest nesting accepted (default MAX_JSON_DEPTH). */
  maxDepth?: number;
  /** Refuse NUL in every string and key (API bodies; PostgreSQL cannot store it in text columns). */
  refuseNul?: boolean;
}

/**
 * The first problem of a parsed JSON value: nesting deeper than the limit (`too_deep`, at the
 * container that crosses it) or, with refuseNul, a NUL in a string or key. Iterative: an explicit
 * stack, never recursion. Values from JSON.parse hold no cycles.
 */
export function jsonProblem(value: unknown, base: string, options: JsonCheck = {}): FlowError | null {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const stack: Frame[] = [{ value, depth: 0, parent: null, key: '' }];
  while (stack.length) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (typeof v === 'string') {
      if (options.refuseNul && v.includes('\u0000')) return controlProblem(pathOf(frame, base), '\u0000');
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    const depth = frame.depth + 1;
    if (depth > maxDepth) {
      return { path: pathOf(frame, base), code: 'too_deep', message: `nested deeper than ${maxDepth} levels — التداخل أعمق من ${maxDepth} مستوى` };
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth, parent: frame, key: i });
    } else {
      for (const k of Object.keys(v)) {
        const child: Frame = { value: (v as Record<string, unknown>)[k], depth, parent: frame, key: k };
        if (options.refuseNul && k.includes('\u0000')) return controlProblem(pathOf(child, base), '\u0000');
        stack.push(child);
      }
    }
  }
  return null;
}

/** Throw the 400 for jsonProblem's answer (`too_deep` or `control_character`). */
export function assertJson(value: unknown, base: string, options: JsonCheck = {}): void {
  const problem = jsonProblem(value, base, options);
  if (!problem) return;
  if (problem.code === 'too_deep') throw new ApiError(400, 'too_deep', `${problem.path || '/'}: ${problem.message}`, [problem]);
  throw new ApiError(400, 'invalid_request', `${problem.path}: ${problem.message}`, [problem]);
}

/**
 * Control characters in path parameters (none at all) and query values (none in lookup names,
 * none but tab/newline/CR elsewhere), as problems under /params and /query.
 */
export function paramAndQueryProblems(params: Record<string, unknown>, query: Record<string, unknown>): FlowError[] {
  const out: FlowError[] = [];
  for (const [name, value] of Object.entries(params)) {
    const c = typeof value === 'string' ? controlCharacter(value, 'token') : null;
    if (c) out.push(controlProblem(`/params/${pointerSegment(name)}`, c));
  }
  for (const [name, value] of Object.entries(query)) {
    const keyChar = controlCharacter(name, 'token');
    if (keyChar) {
      out.push(controlProblem(`/query/${pointerSegment(name)}`, keyChar));
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      const c = typeof v === 'string' ? controlCharacter(v, isLookupName(name) ? 'token' : 'text') : null;
      if (c) {
        out.push(controlProblem(`/query/${pointerSegment(name)}`, c));
        break;
      }
      const cursor = name === 'cursor' && typeof v === 'string' ? cursorProblem(v) : null;
      if (cursor) {
        out.push(cursor);
        break;
      }
    }
  }
  return out;
}

/**
 * Cursors are base64url JSON this API issued; a forged one carries ids into queries. Refuse one
 * whose decoded strings hold a control character (a NUL was a PostgreSQL 500) or that nests
 * deeper than a cursor ever does; anything else is left to the route's own decoder.
 */
export function cursorProblem(text: string, path = '/query/cursor'): FlowError | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  while (stack.length) {
    const { v, depth } = stack.pop()!;
    if (depth > 4) return { path, code: 'invalid_cursor', message: 'pass the `next` of the previous page' };
    if (typeof v === 'string') {
      if (controlCharacter(v, 'token')) return { path, code: 'invalid_cursor', message: 'pass the `next` of the previous page' };
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (controlCharacter(k, 'token')) return { path, code: 'invalid_cursor', message: 'pass the `next` of the previous page' };
        stack.push({ v: child, depth: depth + 1 });
      }
    }
  }
  return null;
}

type Schema = Record<string, unknown>;

/** The ajv keyword guardStrings() adds to string schemas; its value is the StringRule. */
export const CONTROL_KEYWORD = 'x-tadfuq-control';

/**
 * A copy of a route's body schema in which every string schema carries CONTROL_KEYWORD:
 * `token` for properties named like lookups (isLookupName), strings with a format or a pattern,
 * and items of such arrays; `text` for the others. Free-form parts (no type: Type.Unknown,
 * records of unknown) are left alone: their strings are data, checked for NUL only.
 */
export function guardStrings(schema: unknown): unknown {
  return transform(JSON.parse(JSON.stringify(schema ?? {})) as unknown, false);
}

function transform(node: unknown, lookup: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => transform(n, lookup));
  if (node === null || typeof node !== 'object') return node;
  const s = node as Schema;
  const types = Array.isArray(s.type) ? (s.type as unknown[]) : [s.type];
  if (types.includes('string')) {
    s[CONTROL_KEYWORD] = lookup || typeof s.format === 'string' || typeof s.pattern === 'string' ? 'token' : 'text';
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) if (Array.isArray(s[key])) s[key] = (s[key] as unknown[]).map((b) => transform(b, lookup));
  if (s.items !== undefined) s.items = transform(s.items, lookup);
  if (s.not !== undefined) s.not = transform(s.not, lookup);
  if (s.properties && typeof s.properties === 'object') {
    const props = s.properties as Record<string, unknown>;
    for (const name of Object.keys(props)) props[name] = transform(props[name], isLookupName(name));
  }
  for (const key of ['patternProperties', '$defs', 'definitions'] as const) {
    const map = s[key] as Record<string, unknown> | undefined;
    if (map && typeof map === 'object') for (const name of Object.keys(map)) map[name] = transform(map[name], false);
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object') s.additionalProperties = transform(s.additionalProperties, false);
  return s;
}

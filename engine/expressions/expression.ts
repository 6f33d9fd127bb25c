// Parameter expressions: a string starting with "=" is JSONata, evaluated over the node's
// input item with the run context bound as $trigger, $nodes, $vars, $contact and $now.
import jsonata from 'jsonata';
import type { FlowError } from '../flow/flow-error.js';
import { pointerSegment } from '../flow/flow-error.js';

export interface ExpressionScope {
  input: unknown;
  trigger: unknown;
  /** node id -> { output, port } of its latest run. */
  nodes: Record<string, { output: unknown; port: string }>;
  vars: Record<string, unknown>;
  contact: unknown;
  /** ISO timestamp in Asia/Riyadh. */
  now: string;
  /** The running execution and step (`$execution.id`, `$execution.stepId`): idempotency keys. */
  execution?: { id: string; flowId: string; stepId: string };
}

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  constructor(
    message: string,
    readonly path: string,
    readonly expression: string,
    readonly position?: number,
  ) {
    super(message);
  }
}

export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('=');
}

const MAX_CACHE = 5000;
const compiled = new Map<string, jsonata.Expression>();

/** Parse once, reuse: flows run the same expressions thousands of times. */
function compile(source: string): jsonata.Expression {
  let expr = compiled.get(source);
  if (!expr) {
    expr = jsonata(source);
    if (compiled.size >= MAX_CACHE) compiled.clear();
    compiled.set(source, expr);
  }
  return expr;
}

interface JsonataFailure {
  message?: string;
  position?: number;
  token?: string;
}

function describe(err: unknown): { message: string; position?: number } {
  const e = err as JsonataFailure;
  const message = e?.message ?? String(err);
  return e?.position !== undefined ? { message, position: e.position } : { message };
}

/** Save-time check: every expression under `value` must parse. All problems, not the first. */
export function checkExpressions(value: unknown, basePath: string): FlowError[] {
  const errors: FlowError[] = [];
  walk(value, basePath, (source, path) => {
    try {
      compile(source.slice(1));
    } catch (err) {
      const { message, position } = describe(err);
      errors.push({
        path,
        code: 'expression_syntax',
        message: position !== undefined ? `${message} (at character ${position})` : message,
      });
    }
  });
  return errors;
}

function walk(value: unknown, path: string, visit: (source: string, path: string) => void): void {
  if (isExpression(value)) visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}/${i}`, visit));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walk(v, `${path}/${pointerSegment(k)}`, visit);
  }
}

function hasExpression(value: unknown): boolean {
  if (isExpression(value)) return true;
  if (Array.isArray(value)) return value.some(hasExpression);
  if (value && typeof value === 'object') return Object.values(value).some(hasExpression);
  return false;
}

export async function evaluateExpression(source: string, scope: ExpressionScope, path = ''): Promise<unknown> {
  let expr: jsonata.Expression;
  try {
    expr = compile(source.slice(1));
  } catch (err) {
    const { message, position } = describe(err);
    throw new ExpressionError(`invalid expression: ${message}`, path, source, position);
  }
  try {
    const bindings = {
      trigger: scope.trigger,
      nodes: scope.nodes,
      vars: scope.vars,
      contact: scope.contact,
      now: scope.now,
      execution: scope.execution ?? null,
    };
    const result = await expr.evaluate(scope.input, bindings);
    return normalize(result);
  } catch (err) {
    const { message, position } = describe(err);
    throw new ExpressionError(`expression failed: ${message}`, path, source, position);
  }
}

/** JSONata returns sequences (arrays with a `sequence` flag) and undefined; keep plain JSON. */
function normalize(value: unknown): unknown {
  if (value === undefined) return null;
  if (Array.isArray(value)) return Array.from(value, normalize);
  // Objects JSONata builds have a null prototype and may hold sequences; inputs are left as is.
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

/** Resolve every expression inside params (deeply). Values without expressions are returned as is. */
export async function resolveParams(params: unknown, scope: ExpressionScope, basePath = '/params'): Promise<unknown> {
  if (!hasExpression(params)) return params;
  return resolve(params, scope, basePath);
}

async function resolve(value: unknown, scope: ExpressionScope, path: string): Promise<unknown> {
  if (isExpression(value)) return evaluateExpression(value, scope, path);
  if (Array.isArray(value)) return Promise.all(value.map((v, i) => resolve(v, scope, `${path}/${i}`)));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // defineProperty: a "__proto__" key must stay a plain field, never set the prototype.
      Object.defineProperty(out, k, { value: await resolve(v, scope, `${path}/${pointerSegment(k)}`), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/** Variables whose value comes from the execution's data (the trigger payload and what followed). */
const DATA_VARIABLES = new Set(['', 'trigger', 'nodes', 'contact']);

/**
 * Whether an expression reads the execution's data: a field of its input, `$`, `$trigger`,
 * `$nodes` or `$contact`. One that reads none (`=$number("x")`) fails the same way for any
 * payload; a webhook answers the failure of one that reads data as the caller's mistake.
 */
export function readsData(source: string): boolean {
  if (!isExpression(source)) return false;
  let ast: unknown;
  try {
    ast = compile(source.slice(1)).ast();
  } catch {
    return false;
  }
  const visit = (n: unknown): boolean => {
    if (Array.isArray(n)) return n.some(visit);
    if (!n || typeof n !== 'object') return false;
    const node = n as { type?: unknown; value?: unknown };
    if (node.type === 'name') return true;
    if (node.type === 'variable' && typeof node.value === 'string' && DATA_VARIABLES.has(node.value)) return true;
    return Object.values(n).some(visit);
  };
  return visit(ast);
}

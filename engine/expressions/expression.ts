// Parameter expressions: a string starting with "=" is JSONata, evaluated over the node's
// input item with the run context bound as $trigger, $nodes, $vars, $contact and $now.
// Every evaluation runs under a budget (expression-budget.ts): tenants write these.
import jsonata from 'jsonata';
import type { FlowError } from '../flow/flow-error.js';
import { pointerSegment } from '../flow/flow-error.js';
import {
  DEFAULT_EXPRESSION_LIMITS,
  EvaluationBudget,
  ExpressionLimitError,
  valueSize,
  type ExpressionLimitCode,
  type ExpressionLimits,
} from './expression-budget.js';
import { boundedFunctions, type BoundedFunction } from './bounded-functions.js';
import { compileLinear, linearRegexEngine, RegexLimitError } from './linear-regex.js';

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
  /** The evaluation budget (the tenant's timeout); DEFAULT_EXPRESSION_LIMITS when absent. */
  limits?: ExpressionLimits;
}

export type ExpressionErrorCode = 'expression_error' | ExpressionLimitCode;

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  constructor(
    message: string,
    readonly path: string,
    readonly expression: string,
    readonly position?: number,
    readonly code: ExpressionErrorCode = 'expression_error',
  ) {
    super(message);
  }
}

export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('=');
}

const MAX_CACHE = 5000;
const compiled = new Map<string, jsonata.Expression>();
const armed = new WeakSet<jsonata.Expression>();
const BUDGET_KEY = '__tadfuq_budget';
/** Longer expressions are not written by hand; parsing one is synchronous work on the shared loop. */
export const MAX_EXPRESSION_LENGTH = 20_000;

function tooLong(source: string): string | undefined {
  return source.length > MAX_EXPRESSION_LENGTH ? `expression is ${source.length} characters long (limit ${MAX_EXPRESSION_LENGTH})` : undefined;
}

interface HookEnvironment {
  base: { depth: number; tqBudget?: EvaluationBudget; RegexEngine?: unknown; lookup(name: string): unknown };
}
interface AstNode { type: string; value?: unknown }

function budgetOf(env: HookEnvironment): EvaluationBudget | undefined {
  const base = env.base;
  return (base.tqBudget ??= base.lookup(BUDGET_KEY) as EvaluationBudget | undefined);
}

// Before every node: depth, time, a turn of the event loop now and then; regexes get the
// linear engine with this evaluation's clock; `**` walks its whole input, so it is measured first.
function onEntry(expr: AstNode, input: unknown, env: HookEnvironment): Promise<void> | undefined {
  const budget = budgetOf(env);
  if (!budget) return undefined;
  if (expr.type === 'regex') env.base.RegexEngine = linearRegexEngine(budget.checkTime);
  else if (expr.type === 'descendant') valueSize(input, budget.limits.maxValueSize);
  return budget.enter(env.base.depth);
}

// Node types whose result is new (built by this node), as opposed to a value looked up in the input.
const BUILDS = new Set(['binary', 'unary', 'function', 'apply', 'partial', 'condition', 'block', 'transform']);

function onExit(expr: AstNode, _input: unknown, env: HookEnvironment, result: unknown): void {
  const budget = env.base.tqBudget;
  if (budget && result !== undefined) budget.checkBuilt(result, BUILDS.has(expr.type) && expr.value !== '..');
}

let bounded: BoundedFunction[] | undefined;
let loading: Promise<BoundedFunction[]> | undefined;

/** Parse once, reuse: flows run the same expressions thousands of times. */
function compile(source: string): jsonata.Expression {
  let expr = compiled.get(source);
  if (!expr) {
    // `sequence` bounds ranges ([1..n]) and every sequence JSONata builds.
    expr = jsonata(source, { sequence: DEFAULT_EXPRESSION_LIMITS.maxItems } as jsonata.JsonataOptions);
    if (compiled.size >= MAX_CACHE) compiled.clear();
    compiled.set(source, expr);
  }
  return expr;
}

/** The compiled expression with the budget hooks and the bounded built-ins installed. */
async function compileArmed(source: string): Promise<jsonata.Expression> {
  const expr = compile(source);
  if (!armed.has(expr)) {
    const fns = (bounded ??= await (loading ??= boundedFunctions()));
    expr.assign(Symbol.for('jsonata.__evaluate_entry') as unknown as string, onEntry);
    expr.assign(Symbol.for('jsonata.__evaluate_exit') as unknown as string, onExit);
    for (const f of fns) expr.registerFunction(f.name, f.implementation as never, f.signature);
    armed.add(expr);
  }
  return expr;
}

/** Regex literals must run on the linear engine: refuse the ones it cannot (backreferences, lookarounds). */
function unsupportedRegexes(ast: unknown): string[] {
  const problems: string[] = [];
  const stack: unknown[] = [ast];
  const seen = new Set<object>();
  while (stack.length) {
    const node = stack.pop();
    if (!node || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    if (Array.isArray(node)) stack.push(...(node as unknown[]));
    else {
      const n = node as { type?: string; value?: unknown };
      if (n.type === 'regex' && n.value instanceof RegExp) {
        try {
          compileLinear(n.value.source, n.value.flags);
        } catch (err) {
          problems.push(`/${n.value.source}/: ${(err as Error).message} (backreferences and lookarounds are not supported: they can take exponential time)`);
        }
      }
      for (const [k, v] of Object.entries(n)) if (k !== 'value' || !(v instanceof RegExp)) stack.push(v);
    }
  }
  return problems;
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
    const long = tooLong(source);
    if (long) {
      errors.push({ path, code: 'expression_too_long', message: long });
      return;
    }
    try {
      const regexProblems = unsupportedRegexes(compile(source.slice(1)).ast());
      for (const message of regexProblems) errors.push({ path, code: 'expression_regex', message });
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
  const long = tooLong(source);
  if (long) throw new ExpressionError(long, path, source.slice(0, 200), undefined, 'expression_too_large');
  try {
    expr = await compileArmed(source.slice(1));
  } catch (err) {
    const { message, position } = describe(err);
    throw new ExpressionError(`invalid expression: ${message}`, path, source, position);
  }
  const limits = scope.limits ?? DEFAULT_EXPRESSION_LIMITS;
  try {
    const bindings = {
      trigger: scope.trigger,
      nodes: scope.nodes,
      vars: scope.vars,
      contact: scope.contact,
      now: scope.now,
      execution: scope.execution ?? null,
      [BUDGET_KEY]: new EvaluationBudget(limits),
    };
    const result = await expr.evaluate(scope.input, bindings);
    // Bounded before anything walks it (normalize, JSON.stringify when the step is stored).
    valueSize(result, limits.maxValueSize);
    return normalize(result);
  } catch (err) {
    const limit = limitCode(err);
    if (limit) throw new ExpressionError(`expression stopped: ${(err as Error).message}`, path, source, undefined, limit);
    const { message, position } = describe(err);
    throw new ExpressionError(`expression failed: ${message}`, path, source, position);
  }
}

/** Our limits, and JSONata's own (range and sequence sizes, its stack), as one of our codes. */
function limitCode(err: unknown): ExpressionLimitCode | undefined {
  if (err instanceof ExpressionLimitError) return err.code;
  // $eval wraps what stopped the expression it evaluated.
  const inner = (err as { error?: unknown })?.error;
  if (inner && inner !== err) {
    const code = limitCode(inner);
    if (code) return code;
  }
  if (err instanceof RegexLimitError) return 'expression_too_large';
  const code = (err as { code?: unknown })?.code;
  if (code === 'D2014' || code === 'D2015') return 'expression_too_large';
  if (code === 'D1011') return 'expression_too_deep';
  if (err instanceof RangeError) return /call stack/i.test(err.message) ? 'expression_too_deep' : 'expression_too_large';
  if (code === 'D1012') return 'expression_timeout';
  return undefined;
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

// Save-time syntax check of a code step: parse only, never run anything host-side. The
// source is parsed exactly as the sandbox compiles it (the body of an async function with
// the parameters input, trigger, nodes, vars), so redeclaring a parameter, `await` and
// `return` behave the same, and a stray `}` that would close the function early is refused.
import { parse, type Node } from 'acorn';
import { WRAPPER_PREFIX, WRAPPER_SUFFIX } from './limits.js';

export interface CodeSyntaxError {
  /** Human message including the position, e.g. "Unexpected token (line 3, column 7)". */
  message: string;
  /** 1-based position in the user's source. */
  line: number;
  column: number;
}

/**
 * The syntax the sandbox's V8 understands (Node 20: ES2024). acorn's 'latest' would accept
 * newer syntax (`using` declarations, RegExp modifiers) that then fails only at run time.
 */
const ECMA_VERSION = 2024;

function positionOf(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: Math.min(offset, source.length) - start + 1 };
}

function problem(text: string, at: { line: number; column: number }): CodeSyntaxError {
  return { message: `${text} (line ${at.line}, column ${at.column})`, line: at.line, column: at.column };
}

/** The first syntax error of `source`, or undefined when it compiles. */
export function findSyntaxError(source: string): CodeSyntaxError | undefined {
  if (source.startsWith('=')) {
    return problem('The code cannot be an expression (it starts with "=")', { line: 1, column: 1 });
  }
  const wrapped = WRAPPER_PREFIX + source + WRAPPER_SUFFIX;
  const end = WRAPPER_PREFIX.length + source.length;
  let program: Node & { body?: Node[] };
  try {
    program = parse(wrapped, { ecmaVersion: ECMA_VERSION, sourceType: 'script' }) as Node & { body?: Node[] };
  } catch (err) {
    const e = err as SyntaxError & { pos?: number };
    const pos = typeof e.pos === 'number' ? e.pos : 0;
    const text = (e.message ?? 'Syntax error').replace(/\s*\(\d+:\d+\)$/, '');
    if (pos >= end) return problem(`${text}: the code ends before a bracket, brace, string or comment is closed`, positionOf(source, source.length));
    return problem(text, positionOf(source, Math.max(0, pos - WRAPPER_PREFIX.length)));
  }
  // The wrapper must remain one function expression: `}); other(); (function () {` would not.
  const statement = program.body?.[0] as (Node & { expression?: Node }) | undefined;
  const fn = statement?.expression;
  if (program.body?.length !== 1 || fn?.type !== 'FunctionExpression' || fn.start !== 1 || fn.end !== wrapped.length - 1) {
    const offset = fn && fn.end - 1 >= WRAPPER_PREFIX.length ? fn.end - 1 - WRAPPER_PREFIX.length : 0;
    return problem("Unexpected '}': it closes the code's function early", positionOf(source, offset));
  }
  return undefined;
}

// Runs parse the same sources over and over: remember the answers.
const CACHE_SIZE = 500;
const cache = new Map<string, CodeSyntaxError | null>();

export function findSyntaxErrorCached(source: string): CodeSyntaxError | undefined {
  const hit = cache.get(source);
  if (hit !== undefined) return hit ?? undefined;
  const found = findSyntaxError(source);
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(source, found ?? null);
  return found;
}

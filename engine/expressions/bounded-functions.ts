// Bounded versions of the JSONata built-ins that can do unbounded synchronous work in a single
// call, where the evaluation hooks cannot step in: $pad (any width), $join and $string (output
// far larger than their input when parts are shared), $replace (every match × the replacement),
// $distinct (quadratic), $eval (parses a string built at run time). Each checks its output size
// against the evaluation's budget before doing the work, then calls JSONata's own function.
import jsonata from 'jsonata';
import type { EvaluationBudget} from './expression-budget.js';
import { tooLarge, valueSize } from './expression-budget.js';

interface JsonataFunction {
  implementation: (this: Focus, ...args: unknown[]) => unknown;
  signature?: unknown;
}
/** What JSONata passes as `this` to a built-in. */
interface Focus {
  environment: { base: { tqBudget?: EvaluationBudget } };
}

export interface BoundedFunction {
  name: string;
  signature: string;
  implementation: (this: Focus, ...args: unknown[]) => unknown;
}

async function builtIn(name: string): Promise<JsonataFunction> {
  return (await jsonata(`$${name}`).evaluate(null)) as JsonataFunction;
}

function budgetOf(focus: Focus): EvaluationBudget | undefined {
  return focus.environment?.base?.tqBudget;
}

const SURROGATE = /[\uD800-\uDFFF]/;

function isPrimitive(v: unknown): boolean {
  return v === null || (typeof v !== 'object' && typeof v !== 'function');
}

function countOccurrences(str: string, pattern: string, cap: number): number {
  let n = 0;
  for (let i = str.indexOf(pattern); i !== -1 && n < cap; i = str.indexOf(pattern, i + pattern.length)) n++;
  return n;
}

interface RegexMatch { next(): RegexMatch | undefined | Promise<RegexMatch | undefined> }
type RegexClosure = (str: string) => RegexMatch | undefined | Promise<RegexMatch | undefined>;

async function countMatches(str: string, regex: RegexClosure, cap: number): Promise<number> {
  let n = 0;
  for (let m = await regex(str); m && n < cap; m = await m.next()) n++;
  return n;
}

/** Built once: the originals come from JSONata itself, the wrappers only add the checks. */
export async function boundedFunctions(): Promise<BoundedFunction[]> {
  const [pad, join, string, replace, distinct, evaluate] = await Promise.all(
    ['pad', 'join', 'string', 'replace', 'distinct', 'eval'].map(builtIn),
  ) as [JsonataFunction, JsonataFunction, JsonataFunction, JsonataFunction, JsonataFunction, JsonataFunction];

  return [
    {
      name: 'pad',
      signature: '<s-ns?:s>',
      implementation(str, width, char) {
        const b = budgetOf(this);
        const w = Math.abs(Math.trunc(Number(width)));
        if (b && w > b.limits.maxStringLength) throw tooLarge('a string', w, b.limits.maxStringLength);
        // JSONata pads with Array.join and cuts multi-character padding by code points (an
        // array of every character): seconds for a long pad. Same result with repeat() when
        // neither string has surrogate pairs (counts by code unit are then counts by character).
        if (typeof str === 'string' && (char === undefined || typeof char === 'string') && !SURROGATE.test(str) && !SURROGATE.test(char ?? '')) {
          const fill = char ? char : ' ';
          const padLength = w - str.length;
          if (padLength <= 0) return str;
          const padding = fill.repeat(Math.ceil(padLength / fill.length)).slice(0, padLength);
          return Number(width) > 0 ? str + padding : padding + str;
        }
        return pad.implementation.call(this, str, width, char);
      },
    },
    {
      name: 'join',
      signature: '<a<s>s?:s>',
      implementation(strs, separator) {
        const b = budgetOf(this);
        if (b && Array.isArray(strs)) {
          const sep = typeof separator === 'string' ? separator.length : 0;
          let total = Math.max(0, strs.length - 1) * sep;
          for (const s of strs) total += typeof s === 'string' ? s.length : 0;
          if (total > b.limits.maxStringLength) throw tooLarge('a string', total, b.limits.maxStringLength);
        }
        return join.implementation.call(this, strs, separator);
      },
    },
    {
      name: 'string',
      signature: '<x-b?:s>',
      implementation(arg, prettify) {
        const b = budgetOf(this);
        if (b && arg !== null && typeof arg === 'object') {
          // JSON text is at least the value's size; pretty printing adds indentation per level.
          const size = valueSize(arg, b.limits.maxValueSize) * (prettify ? 4 : 1);
          if (size > b.limits.maxStringLength) throw tooLarge('a string', size, b.limits.maxStringLength);
        }
        return string.implementation.call(this, arg, prettify);
      },
    },
    {
      name: 'replace',
      signature: '<s-(sf)(sf)n?:s>',
      async implementation(str, pattern, replacement, limit) {
        const b = budgetOf(this);
        if (b && typeof str === 'string' && typeof replacement === 'string' && replacement.length > 0) {
          const max = b.limits.maxStringLength;
          // Each substitution is at most the replacement with every $n expanded to the whole input.
          const dollars = replacement.split('$').length - 1;
          const perMatch = replacement.length + dollars * str.length;
          let matches = str.length + 1;
          if (typeof limit === 'number') matches = Math.min(matches, limit);
          if (str.length + matches * perMatch > max) {
            const cap = Math.ceil(max / perMatch) + 1;
            matches = typeof pattern === 'string' ? countOccurrences(str, pattern, cap) : await countMatches(str, pattern as RegexClosure, cap);
            if (typeof limit === 'number') matches = Math.min(matches, limit);
            const bound = str.length + matches * perMatch;
            if (bound > max) throw tooLarge('a string', bound, max);
          }
        }
        return replace.implementation.call(this, str, pattern, replacement, limit);
      },
    },
    {
      name: 'distinct',
      signature: '<x:x>',
      implementation(arr) {
        const b = budgetOf(this);
        if (b && Array.isArray(arr) && arr.length > 1000) {
          // JSONata compares every pair; fine for a few hundred values, not for a hundred thousand.
          if (!arr.every(isPrimitive)) throw tooLarge('a $distinct over objects', arr.length, 1000);
          const seen = new Set<unknown>();
          return arr.filter((v) => (seen.has(v) ? false : (seen.add(v), true)));
        }
        return distinct.implementation.call(this, arr);
      },
    },
    {
      name: 'eval',
      signature: '<sx?:x>',
      implementation(expr, focus) {
        const b = budgetOf(this);
        if (b && typeof expr === 'string' && expr.length > 10_000) throw tooLarge('an $eval expression', expr.length, 10_000);
        return evaluate.implementation.call(this, expr, focus);
      },
    },
  ];
}

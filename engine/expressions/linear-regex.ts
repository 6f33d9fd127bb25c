// JSONata's regex literals (/…/i, /…/m) run on RE2's linear-time engine (re2js, a pure JS port:
// no native build, no WASM heap) instead of V8's backtracking one, so no pattern a tenant writes
// can take exponential time (ReDoS). JSONata accepts any RegExp-like class as `RegexEngine`; it
// calls `new RegexEngine(regexpLiteral)`, sets `lastIndex` and calls `exec(str)`.
// Patterns RE2 cannot run in linear time (backreferences, lookarounds) fail at save time.
import { RE2JS } from 're2js';

const MAX_CACHED = 2000;
const patterns = new Map<string, RE2JS>();

/** JS regex syntax → RE2 syntax for the escapes that differ (\uXXXX, \u{…}, \/). */
export function toRe2Syntax(source: string): string {
  return source.replace(/\\\\|\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})|\\\//g, (all, braced?: string, four?: string) => {
    if (all === '\\\\') return all;
    if (all === '\\/') return '/';
    return `\\x{${braced ?? four}}`;
  });
}

/** Compile (cached): throws RE2JSSyntaxException for patterns RE2 does not support. */
export function compileLinear(source: string, flags: string): RE2JS {
  const key = `${flags}/${source}`;
  let pattern = patterns.get(key);
  if (!pattern) {
    let bits = 0;
    if (flags.includes('i')) bits |= RE2JS.CASE_INSENSITIVE;
    if (flags.includes('m')) bits |= RE2JS.MULTILINE;
    pattern = RE2JS.compile(toRe2Syntax(source), bits);
    if (patterns.size >= MAX_CACHED) patterns.clear();
    patterns.set(key, pattern);
  }
  return pattern;
}

/** Called on every match: lets the evaluation's budget stop a long match loop. */
export type MatchGuard = () => void;

/**
 * Matches one regex may find in one evaluation. JSONata walks matches ($match, $replace, $split)
 * in a loop no hook interrupts, so the loop's length is bounded here (~2 µs per match).
 */
export const MAX_REGEX_MATCHES = 20_000;
/** Longest string a regex runs over: one search is linear but synchronous (~1 ms per 2,000 characters at worst). */
export const MAX_REGEX_INPUT = 100_000;

export class RegexLimitError extends Error {
  override readonly name = 'RegexLimitError';
}

export interface RegExpLike {
  lastIndex: number;
  exec(input: string): RegExpExecArray | null;
}

/** A RegexEngine class for JSONata whose exec() calls `guard` first. */
export function linearRegexEngine(guard?: MatchGuard): new (re: RegExp) => RegExpLike {
  return class LinearRegex implements RegExpLike {
    lastIndex = 0;
    private readonly pattern: RE2JS;
    private matcherFor: string | undefined;
    private matcher: ReturnType<RE2JS['matcher']> | undefined;
    /** Where the last match ended: the next exec from there continues the matcher (find(pos) rescans). */
    private continueAt = -1;
    private matches = 0;

    constructor(re: RegExp) {
      this.pattern = compileLinear(re.source, re.flags);
    }

    exec(input: string): RegExpExecArray | null {
      guard?.();
      if (++this.matches > MAX_REGEX_MATCHES) throw new RegexLimitError(`a regular expression matched more than ${MAX_REGEX_MATCHES} times`);
      if (input.length > MAX_REGEX_INPUT) throw new RegexLimitError(`a regular expression ran over a string of ${input.length} characters (limit ${MAX_REGEX_INPUT})`);
      if (this.lastIndex > input.length) {
        this.lastIndex = 0;
        return null;
      }
      // One matcher per input string: JSONata walks the matches of one string with lastIndex.
      if (this.matcherFor !== input || !this.matcher) {
        this.matcher = this.pattern.matcher(input);
        this.matcherFor = input;
        this.continueAt = -1;
      }
      const m = this.matcher;
      const found = this.lastIndex === this.continueAt && this.lastIndex > 0 ? m.find() : m.find(this.lastIndex);
      if (!found) {
        this.lastIndex = 0;
        this.continueAt = -1;
        return null;
      }
      const groups: string[] = [];
      for (let g = 0; g <= m.groupCount(); g++) groups.push(m.group(g) as string);
      const result = Object.assign(groups, { index: m.start(), input }) as unknown as RegExpExecArray;
      this.lastIndex = m.end();
      // find() after an empty match moves on by itself; JSONata refuses empty matches anyway.
      this.continueAt = m.end() > m.start() ? m.end() : -1;
      return result;
    }
  };
}

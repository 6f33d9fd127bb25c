// Every JSONata evaluation runs under a budget, because every expression is written by a tenant
// and runs on the event loop that serves all tenants. JSONata calls an entry and an exit hook
// around every node it evaluates (`__evaluate_entry` / `__evaluate_exit`); through them the
// budget enforces wall time, nesting depth and the size of what the expression builds, and gives
// the event loop a turn every SLICE_MS so a long evaluation never starves other work (JSONata
// awaits its hooks, but otherwise runs on microtasks, which never let timers or I/O in).
// The few built-ins that do large synchronous work in one call are replaced by bounded versions
// (bounded-functions.ts); regular expressions run on a linear-time engine (linear-regex.ts).

export interface ExpressionLimits {
  /** Wall time of one evaluation. */
  timeoutMs: number;
  /**
   * Nesting of evaluated nodes (a recursive function adds several levels per call). JSONata
   * counts its parallel branches as depth too (every group of a group-by, every item of an array
   * constructor), so a group-by over more than ~2,000 distinct keys needs the code step. Kept
   * low because a stopped recursion unwinds all its levels in one go on the event loop.
   */
  maxDepth: number;
  /** Longest string an expression may build. */
  maxStringLength: number;
  /** Longest array or sequence (also bounds ranges: [1..n]). */
  maxItems: number;
  /** Size of one built value: items + object keys + string characters, shared parts counted each time. */
  maxValueSize: number;
  /** Characters built by one evaluation in total (concatenations and string functions). */
  maxBuiltChars: number;
}

export const DEFAULT_EXPRESSION_LIMITS: Readonly<ExpressionLimits> = Object.freeze({
  timeoutMs: 100,
  maxDepth: 2_000,
  maxStringLength: 200_000,
  maxItems: 10_000,
  maxValueSize: 1_000_000,
  maxBuiltChars: 10_000_000,
});

/** The highest `timeoutMs` a tenant may choose; the server's `TADFUQ_EXPRESSION_TIMEOUT_MAX_MS`. */
export const EXPRESSION_TIMEOUT_CEILING_MS = 1000;

/** Longest stretch an evaluation runs before it lets the event loop turn. */
export const SLICE_MS = 5;

/** Longest gap between two hooks charged to an evaluation (see EvaluationBudget.charge). */
const MAX_CHARGED_GAP_MS = 2;
/** Whatever the charging, an evaluation ends after this many times its budget of wall time. */
const MAX_WALL_FACTOR = 30;

export type ExpressionLimitCode = 'expression_timeout' | 'expression_too_deep' | 'expression_too_large';

export class ExpressionLimitError extends Error {
  override readonly name = 'ExpressionLimitError';
  constructor(
    readonly code: ExpressionLimitCode,
    message: string,
  ) {
    super(message);
  }
}

export function tooLarge(what: string, size: number, limit: number): ExpressionLimitError {
  return new ExpressionLimitError('expression_too_large', `expression builds ${what} of ${size} (limit ${limit})`);
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A JSONata value that is a function (lambda, built-in or regex closure): never walked. */
function isJsonataFunction(value: object): boolean {
  const v = value as { _jsonata_lambda?: unknown; _jsonata_function?: unknown };
  return v._jsonata_lambda === true || v._jsonata_function === true;
}

// Sizes of containers already measured: a value built from shared parts ($a := [...]; [$a, $a])
// is measured in time proportional to its new parts, however large its expansion.
const measured = new WeakMap<object, number>();
const MEMO_MIN_SIZE = 1024;

/**
 * Size of `root` (items + keys + string characters, shared parts counted at each use), without
 * recursion on the stack; throws expression_too_large as soon as it passes `limit`.
 */
export function valueSize(root: unknown, limit: number): number {
  if (typeof root === 'string') return root.length;
  if (root === null || typeof root !== 'object' || isJsonataFunction(root)) return 1;
  const known = measured.get(root);
  if (known !== undefined) {
    if (known > limit) throw tooLarge('a value', known, limit);
    return known;
  }
  interface Frame { obj: object; children: unknown[]; next: number; total: number }
  const open = (obj: object): Frame => {
    if (isJsonataFunction(obj)) return { obj, children: [], next: 0, total: 1 };
    if (Array.isArray(obj)) return { obj, children: obj, next: 0, total: 1 };
    let total = 1;
    const children: unknown[] = [];
    for (const key of Object.keys(obj)) {
      total += key.length;
      children.push((obj as Record<string, unknown>)[key]);
    }
    return { obj, children, next: 0, total };
  };
  const stack: Frame[] = [open(root)];
  let result = 0;
  while (stack.length) {
    const frame = stack[stack.length - 1]!;
    if (frame.next < frame.children.length) {
      const child = frame.children[frame.next++];
      if (typeof child === 'string') frame.total += child.length;
      else if (child === null || typeof child !== 'object') frame.total += 1;
      else {
        const size = measured.get(child);
        if (size !== undefined) frame.total += size;
        else stack.push(open(child));
      }
      if (frame.total > limit) throw tooLarge('a value', frame.total, limit);
      continue;
    }
    stack.pop();
    // Only large parts are remembered: small ones are cheaper to walk again than to keep in a
    // WeakMap (many short-lived WeakMap keys slow every garbage collection).
    if (frame.total >= MEMO_MIN_SIZE) measured.set(frame.obj, frame.total);
    result = frame.total;
    const parent = stack[stack.length - 1];
    if (parent) {
      parent.total += frame.total;
      if (parent.total > limit) throw tooLarge('a value', parent.total, limit);
    }
  }
  return result;
}

/** The running budget of one evaluation, found by the hooks in JSONata's environment. */
export class EvaluationBudget {
  /** Time charged to this evaluation so far (ms). */
  private active = 0;
  /** When the previous hook ran. */
  private last: number;
  private sliceStart: number;
  private built = 0;
  private readonly started: number;

  constructor(readonly limits: ExpressionLimits) {
    const now = performance.now();
    this.started = now;
    this.last = now;
    this.sliceStart = now;
  }

  /**
   * Charges the time since the previous hook, capped at MAX_CHARGED_GAP_MS: a longer gap is
   * other work's time (other executions' promise callbacks between two of ours, the wait for the
   * loop after a yield, the OS running other processes, a GC pause), not this expression's. A
   * busy server must not fail ordinary expressions; a runaway is charged every step it takes.
   */
  private charge(now: number): void {
    this.active += Math.min(now - this.last, MAX_CHARGED_GAP_MS);
    this.last = now;
    if (this.active > this.limits.timeoutMs || now - this.started > this.limits.timeoutMs * MAX_WALL_FACTOR) {
      throw new ExpressionLimitError('expression_timeout', `expression ran longer than ${this.limits.timeoutMs} ms`);
    }
  }

  /** Time check for synchronous loops (regex matches) that cannot yield. */
  readonly checkTime = (): void => this.charge(performance.now());

  /** Called before each node: depth, time, and a turn of the event loop every SLICE_MS. */
  enter(depth: number): Promise<void> | undefined {
    if (depth > this.limits.maxDepth) {
      throw new ExpressionLimitError('expression_too_deep', `expression nests deeper than ${this.limits.maxDepth} levels (unbounded recursion?)`);
    }
    const now = performance.now();
    this.charge(now);
    if (now - this.sliceStart < SLICE_MS) return undefined;
    return yieldToLoop().then(() => {
      this.sliceStart = this.last = performance.now();
    });
  }

  /** Called with each node's result when it builds something new. */
  checkBuilt(result: unknown, counted: boolean): void {
    if (typeof result === 'string') {
      if (result.length > this.limits.maxStringLength) throw tooLarge('a string', result.length, this.limits.maxStringLength);
      if (counted) this.addChars(result.length);
    } else if (result !== null && typeof result === 'object') {
      if (Array.isArray(result) && result.length > this.limits.maxItems) throw tooLarge('a list', result.length, this.limits.maxItems);
      if (counted) valueSize(result, this.limits.maxValueSize);
    }
  }

  addChars(n: number): void {
    this.built += n;
    if (this.built > this.limits.maxBuiltChars) throw tooLarge('strings', this.built, this.limits.maxBuiltChars);
  }
}

/** Resolve the effective limits: a tenant's timeout, clamped to the server's ceiling. */
export function expressionLimits(timeoutMs?: number, ceilingMs = EXPRESSION_TIMEOUT_CEILING_MS): ExpressionLimits {
  const t = timeoutMs ?? DEFAULT_EXPRESSION_LIMITS.timeoutMs;
  return { ...DEFAULT_EXPRESSION_LIMITS, timeoutMs: Math.max(1, Math.min(t, ceilingMs)) };
}

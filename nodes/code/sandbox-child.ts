// A sandbox process: forked by sandbox-pool.ts with an empty environment and a small heap.
// It keeps warm isolated-vm isolates (one pool per memory limit) and keeps each run apart from
// every other run, whatever tenant it belongs to:
// - 'compartment' isolation (the default): each isolate's one realm has SES loaded and
//   lockdown() applied (every intrinsic frozen), and each run evaluates in a NEW Compartment
//   (own global object, evaluator and console). About 0.1 ms of CPU per run instead of the
//   ~0.4 ms a V8 context costs. Sources SES refuses run in a fresh context instead.
// - 'context' isolation: each run in a FRESH V8 CONTEXT of an isolate; contexts are never reused.
// An isolate that hit a limit, was cancelled or misbehaved is disposed and replaced. If V8
// itself breaks (isolated-vm can abort the process on some out-of-memory paths) this process
// dies and the host replaces it: only the runs it held fail.
import { readFileSync } from 'node:fs';
import ivm from 'isolated-vm';
import { BOOTSTRAP_FILENAME, bootstrapSource, type SandboxIsolation } from './sandbox-bootstrap.js';
import { CODE_FILENAME, MEMORY_MB, WRAPPER_LINES, WRAPPER_PREFIX, WRAPPER_SUFFIX } from './limits.js';
import type { HostMessage, RunRequestMessage, RunResultMessage, SandboxError, StatsResultMessage } from './protocol.js';

/** Extra time the isolate gets after its own timeout before this process disposes it. */
const DISPOSE_GRACE_MS = 25;
/** Compiled user scripts kept per isolate (they can run in any of its contexts). */
const SCRIPT_CACHE = 64;
// argv: [maxRssMb, concurrency, isolation, sesSourcePath] from the host.
const maxRssMb = Number(process.argv[2]);
const concurrency = Math.max(1, Math.min(64, Math.trunc(Number(process.argv[3])) || 4));
const isolation: SandboxIsolation = process.argv[4] === 'context' ? 'context' : 'compartment';
const SES_SOURCE = isolation === 'compartment' ? readFileSync(process.argv[5] ?? '', 'utf8') : '';
/**
 * lockdown() options: error stacks kept (positions in the user's code), the override mistake
 * fixed for ordinary code (`obj.toString = …`), locale methods as in a plain realm (Arabic
 * number and date formatting), nothing printed.
 */
const LOCKDOWN = "lockdown({ errorTaming: 'unsafe', stackFiltering: 'verbose', overrideTaming: 'severe', localeTaming: 'unsafe', consoleTaming: 'unsafe', errorTrapping: 'none', unhandledRejectionTrapping: 'none', reporting: 'none' })";
const CONTEXT_BOOTSTRAP = bootstrapSource('context');
const REALM_BOOTSTRAP = bootstrapSource('compartment');
/** Heap added to a compartment isolate's limit for SES and the frozen realm. */
const REALM_HEAP_MB = 2;
/** Sources SES refused (they run in a fresh context), most recent last. */
const contextOnly = new Set<string>();
const CONTEXT_ONLY_KEEP = 256;
/**
 * Isolates warmed at start: in context mode two (one prepares a context while the other runs);
 * a compartment-mode isolate needs no preparing, and each warm one holds ~6 MB at idle.
 */
const WARM_AT_START = isolation === 'compartment' ? 1 : 2;
/** Idle isolates kept per memory limit (enough for the host's runs in flight), and in total. */
const IDLE_PER_LIMIT = Math.max(WARM_AT_START, concurrency);
const IDLE_TOTAL = IDLE_PER_LIMIT + 4;
/** An isolate is retired after this many runs, or when its heap stays above half its limit. */
const RUNS_PER_ISOLATE = 20_000;
const HEAP_CHECK_EVERY = 256;

interface Prepared {
  context: ivm.Context;
  run: ivm.Reference<(fn: unknown, args: string, maxChars: number) => Promise<[string, string, string]>>;
}

type RunSource = ivm.Reference<(source: string, args: string, maxChars: number) => Promise<[string, string, string]>>;

/** The frozen realm of a compartment-mode isolate: its context and its runSource(). */
interface Realm {
  context: ivm.Context;
  runSource: RunSource;
}

class Slot {
  readonly isolate: ivm.Isolate;
  private bootstrapScript: ivm.Script | undefined;
  readonly scripts = new Map<string, ivm.Script>();
  runs = 0;
  prepared: Prepared | undefined;
  preparing: Promise<Prepared | undefined> | undefined;
  /** Compartment mode: the realm, set up off this process's main thread (SES takes ~40 ms). */
  readonly realm: Promise<Realm> | undefined;

  constructor(readonly memoryMb: number) {
    isolatesCreated++;
    this.isolate = new ivm.Isolate({
      // A locked-down realm holds ~1.7 MB more heap than a bare context: the snippet keeps its budget.
      memoryLimit: memoryMb + (isolation === 'compartment' ? REALM_HEAP_MB : 0),
      // V8 lost control of this isolate: nothing in this process can be trusted any more.
      onCatastrophicError: () => process.kill(process.pid, 'SIGKILL'),
    });
    if (isolation === 'compartment') {
      this.realm = this.setUpRealm();
      this.realm.catch(() => undefined); // disposed meanwhile: the run that awaits it reports it
    }
  }

  private async setUpRealm(): Promise<Realm> {
    const context = await this.isolate.createContext();
    const ses = await this.isolate.compileScript(SES_SOURCE, { filename: 'ses.js' });
    await ses.run(context);
    ses.release();
    await context.eval(LOCKDOWN);
    const bootstrap = await this.isolate.compileScript(REALM_BOOTSTRAP, { filename: BOOTSTRAP_FILENAME });
    const runSource = (await bootstrap.run(context, { reference: true })) as RunSource;
    bootstrap.release();
    // One run here compiles what the first Compartment needs (lazily compiled SES code takes
    // tens of ms), so a snippet's short time limit is not spent on it.
    await runSource.apply(undefined, [WRAPPER_PREFIX + 'return [input, console.log("warm")];' + WRAPPER_SUFFIX + SOURCE_URL, '{"input":{"a":[1]}}', 1024], { result: { promise: true, copy: true } });
    return { context, runSource };
  }

  /** The per-context bootstrap, compiled on first use (compartment mode needs it only for sources SES refused). */
  private get bootstrap(): ivm.Script {
    this.bootstrapScript ??= this.isolate.compileScriptSync(CONTEXT_BOOTSTRAP, { filename: BOOTSTRAP_FILENAME });
    return this.bootstrapScript;
  }

  /** A fresh context with the bootstrap run in it, prepared in the background. */
  prepareAsync(): void {
    const preparing = (async (): Promise<Prepared | undefined> => {
      try {
        const context = await this.isolate.createContext();
        const run = (await this.bootstrap.run(context, { reference: true })) as Prepared['run'];
        return { context, run };
      } catch {
        return undefined; // disposed meanwhile; takeContext() notices
      }
    })();
    this.preparing = preparing;
    void preparing.then((prepared) => {
      if (this.preparing !== preparing) return; // taken (or disposed) meanwhile
      this.preparing = undefined;
      this.prepared = prepared;
    });
  }

  async takeContext(): Promise<Prepared> {
    let prepared = this.prepared;
    if (!prepared && this.preparing) prepared = await this.preparing;
    this.prepared = undefined;
    this.preparing = undefined;
    if (prepared) return prepared;
    const context = this.isolate.createContextSync();
    const run = this.bootstrap.runSync(context, { reference: true }) as Prepared['run'];
    return { context, run };
  }

  script(source: string): ivm.Script {
    let script = this.scripts.get(source);
    if (script) {
      this.scripts.delete(source);
    } else {
      script = this.isolate.compileScriptSync(WRAPPER_PREFIX + source + WRAPPER_SUFFIX, { filename: CODE_FILENAME, lineOffset: -WRAPPER_LINES });
      if (this.scripts.size >= SCRIPT_CACHE) {
        const oldest = this.scripts.keys().next().value;
        if (oldest !== undefined) this.scripts.get(oldest)?.release();
        if (oldest !== undefined) this.scripts.delete(oldest);
      }
    }
    this.scripts.set(source, script);
    return script;
  }

  /** Worth keeping after a clean run? Checks the heap now and then. */
  healthy(): boolean {
    if (this.isolate.isDisposed || this.runs >= RUNS_PER_ISOLATE) return false;
    if (this.runs % HEAP_CHECK_EVERY === 0) {
      const heap = this.isolate.getHeapStatisticsSync();
      if (heap.used_heap_size > (this.memoryMb * 1024 * 1024) / 2) return false;
    }
    return true;
  }

  dispose(): void {
    if (!this.isolate.isDisposed) {
      try {
        this.isolate.dispose();
      } catch {
        // already gone
      }
    }
  }
}

const idle = new Map<number, Slot[]>();
let idleCount = 0;
let isolateCount = 0;
let totalRuns = 0;
let isolatesCreated = 0;

/**
 * An idle isolate for this limit: one whose next context is already prepared if possible
 * (contexts take ~0.4 ms to create, so with two isolates one prepares while the other runs).
 */
function acquire(memoryMb: number): Slot {
  const list = idle.get(memoryMb);
  if (list && list.length > 0) {
    let index = list.findIndex((s) => s.prepared !== undefined);
    if (index < 0) index = 0; // the one idle the longest: closest to prepared
    const [slot] = list.splice(index, 1) as [Slot];
    idleCount--;
    return slot;
  }
  isolateCount++;
  return new Slot(memoryMb);
}

function retire(slot: Slot): void {
  slot.dispose();
  isolateCount--;
}

function release(slot: Slot): void {
  let list = idle.get(slot.memoryMb);
  if (!list) idle.set(slot.memoryMb, (list = []));
  if (list.length >= IDLE_PER_LIMIT) return retire(slot);
  if (idleCount >= IDLE_TOTAL) {
    // Make room: drop an idle isolate of the limit with the most idle ones.
    let fullest: Slot[] | undefined;
    for (const l of idle.values()) if (!fullest || l.length > fullest.length) fullest = l;
    const victim = fullest?.shift();
    if (victim) {
      idleCount--;
      retire(victim);
    }
  }
  if (isolation === 'context') slot.prepareAsync();
  list.push(slot);
  idleCount++;
}

/** Replacements for disposed isolates, warmed before anyone waits for them. */
function replenish(memoryMb: number): void {
  setImmediate(() => {
    while ((idle.get(memoryMb)?.length ?? 0) < WARM_AT_START && idleCount < IDLE_TOTAL) {
      try {
        isolateCount++;
        release(new Slot(memoryMb));
      } catch {
        isolateCount--;
        return;
      }
    }
  });
}

/** Names the evaluated source code.js in stacks, as the compiled script is named in context mode. */
const SOURCE_URL = `\n//# sourceURL=${CODE_FILENAME}`;

function rememberContextOnly(source: string): void {
  contextOnly.add(source);
  if (contextOnly.size > CONTEXT_ONLY_KEEP) {
    const oldest = contextOnly.values().next().value;
    if (oldest !== undefined) contextOnly.delete(oldest);
  }
}

interface Active {
  slot: Slot;
  cancelled: boolean;
  timedOut: boolean;
}

const active = new Map<number, Active>();

function position(message: string): { line?: number; column?: number } {
  const m = new RegExp(`${CODE_FILENAME.replace('.', '\\.')}:(\\d+):(\\d+)`).exec(message);
  return m ? { line: Number(m[1]), column: Number(m[2]) } : {};
}

function isSandboxError(value: unknown): value is SandboxError {
  const v = value as SandboxError;
  return typeof v === 'object' && v !== null && typeof v.code === 'string' && typeof v.message === 'string';
}

const USER_CODES = new Set(['code_error', 'code_output_not_json', 'code_output_too_large']);

/** The run's answer from what `run` returned inside the isolate. */
function fromIsolate(id: number, result: unknown, maxOutputBytes: number, lineShift: number): RunResultMessage {
  if (!Array.isArray(result) || result.length !== 3 || !result.every((x) => typeof x === 'string')) {
    return { type: 'result', id, logs: '[]', error: { code: 'code_error', message: 'the code tampered with the sandbox and its result was lost' } };
  }
  const [kind, payload, logs] = result as [string, string, string];
  if (kind === 'ok') {
    if (Buffer.byteLength(payload) > maxOutputBytes) {
      return { type: 'result', id, logs, error: { code: 'code_output_too_large', message: `the output is larger than ${maxOutputBytes} bytes of JSON` } };
    }
    return { type: 'result', id, logs, output: payload };
  }
  let error: SandboxError = { code: 'code_error', message: 'the code failed' };
  try {
    const parsed: unknown = JSON.parse(payload);
    if (isSandboxError(parsed) && USER_CODES.has(parsed.code)) {
      const p = parsed as SandboxError & { name?: unknown };
      const name = typeof p.name === 'string' ? p.name : undefined;
      error = {
        code: p.code,
        message: p.code === 'code_error' && name ? `${name}: ${p.message}` : p.message,
        ...(typeof p.line === 'number' && Number.isInteger(p.line) && p.line - lineShift > 0 ? { line: p.line - lineShift } : {}),
        ...(typeof p.column === 'number' && Number.isInteger(p.column) && p.column > 0 ? { column: p.column } : {}),
      };
    }
  } catch {
    // keep the generic error
  }
  return { type: 'result', id, logs, error };
}

async function execute(msg: RunRequestMessage): Promise<RunResultMessage> {
  const memoryMb = Math.min(Math.max(Math.trunc(msg.memoryMb), MEMORY_MB.min), MEMORY_MB.max);
  const slot = acquire(memoryMb);
  const state: Active = { slot, cancelled: false, timedOut: false };
  active.set(msg.id, state);
  let prepared: Prepared | undefined;
  let fn: ivm.Reference | undefined;
  let keep = false;
  let logs = '[]';
  // Promises that never settle do not count as running time for V8: this timer catches them.
  const expire = (): NodeJS.Timeout =>
    setTimeout(() => {
      state.timedOut = true;
      slot.dispose();
    }, msg.timeoutMs + DISPOSE_GRACE_MS);
  let timer: NodeJS.Timeout | undefined;
  try {
    // A new isolate's realm is set up first (~40 ms on the isolate's thread, which a compile
    // would wait for): the snippet's time starts after it.
    const realm = slot.realm && !contextOnly.has(msg.source) ? await slot.realm : undefined;
    timer = expire();
    let script: ivm.Script;
    try {
      // Compiled (and cached) in both modes: V8's syntax errors carry the position.
      script = slot.script(msg.source);
    } catch (err) {
      keep = true;
      const raw = (err as Error)?.message ?? String(err);
      const message = raw.replace(/\s*\[[^\]]*:\d+:\d+\]\s*$/, ''); // V8 appends "[code.js:1:7]"
      return { type: 'result', id: msg.id, logs, error: { code: 'code_syntax', message, ...position(raw) } };
    }
    let result: unknown;
    let lineShift = 0;
    if (realm) {
      result = await realm.runSource.apply(undefined, [WRAPPER_PREFIX + msg.source + WRAPPER_SUFFIX + SOURCE_URL, msg.args, msg.maxOutputBytes], {
        timeout: msg.timeoutMs,
        result: { promise: true, copy: true },
      });
      lineShift = WRAPPER_LINES; // evaluated as it stands: the wrapper's first line counts
      if (Array.isArray(result) && result[0] === 'rejected') {
        rememberContextOnly(msg.source);
        result = undefined;
      }
    }
    if (result === undefined) {
      prepared = await slot.takeContext();
      fn = script.runSync(prepared.context, { reference: true, timeout: msg.timeoutMs }) as ivm.Reference;
      result = await prepared.run.apply(undefined, [fn.derefInto(), msg.args, msg.maxOutputBytes], {
        timeout: msg.timeoutMs,
        result: { promise: true, copy: true },
      });
      lineShift = 0;
    }
    keep = !state.timedOut && !state.cancelled;
    const answer = fromIsolate(msg.id, result, msg.maxOutputBytes, lineShift);
    logs = answer.logs;
    return answer;
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    if (state.cancelled) return { type: 'result', id: msg.id, logs, error: { code: 'code_cancelled', message: 'the run was cancelled' } };
    if (state.timedOut || /timed out/i.test(message)) {
      return { type: 'result', id: msg.id, logs, error: { code: 'code_timeout', message: `the code did not finish within ${msg.timeoutMs} ms` } };
    }
    if (/memory limit/i.test(message) || (slot.isolate.isDisposed && /dispos/i.test(message))) {
      return { type: 'result', id: msg.id, logs, error: { code: 'code_memory_limit', message: `the code used more than its ${memoryMb} MB memory limit` } };
    }
    if (slot.isolate.isDisposed) return { type: 'result', id: msg.id, logs, error: { code: 'sandbox_error', message } };
    // An exception that escaped `run` itself (a stack overflow while reporting one, say).
    keep = false;
    return { type: 'result', id: msg.id, logs, error: { code: 'code_error', message, ...position(message) } };
  } finally {
    clearTimeout(timer);
    active.delete(msg.id);
    totalRuns++;
    slot.runs++;
    fn?.release();
    if (prepared) {
      prepared.run.release();
      prepared.context.release();
    }
    if (keep && !state.timedOut && !state.cancelled && slot.healthy()) {
      release(slot);
    } else {
      retire(slot);
      replenish(memoryMb);
    }
  }
}

function send(message: RunResultMessage | StatsResultMessage | { type: 'ready' }): void {
  if (!process.connected) return;
  try {
    process.send?.(message);
  } catch {
    // the host went away; 'disconnect' ends this process
  }
}

process.on('message', (message: unknown) => {
  const raw = message as HostMessage;
  switch (raw?.type) {
    case 'run':
      void execute(raw).then(send, (err: unknown) =>
        send({ type: 'result', id: raw.id, logs: '[]', error: { code: 'sandbox_error', message: (err as Error)?.message ?? String(err) } }),
      );
      return;
    case 'cancel': {
      const state = active.get(raw.id);
      if (state) {
        state.cancelled = true;
        state.slot.dispose();
      }
      return;
    }
    case 'stats': {
      const mem = process.memoryUsage();
      send({ type: 'stats', id: raw.id, stats: { pid: process.pid, rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external, isolates: isolateCount, isolatesCreated, runs: totalRuns } });
      return;
    }
  }
});

// The host is gone (or closed the pool): nothing left to do.
process.on('disconnect', () => process.exit(0));

// Backstop for memory the isolates' limits do not count (isolated-vm calls its limit "a
// guideline"): past this resident size the process ends itself and the host replaces it.
if (Number.isFinite(maxRssMb) && maxRssMb > 0) {
  setInterval(() => {
    if (process.memoryUsage.rss() > maxRssMb * 1024 * 1024) process.kill(process.pid, 'SIGKILL');
  }, 100).unref();
}

// Warm the isolates of the default limit (their realms set up) before saying we are ready.
const warming: Promise<unknown>[] = [];
for (let i = 0; i < WARM_AT_START; i++) {
  isolateCount++;
  const slot = new Slot(MEMORY_MB.default);
  if (slot.realm) warming.push(slot.realm.catch(() => undefined));
  release(slot);
}
void Promise.all(warming).then(() => send({ type: 'ready' }));

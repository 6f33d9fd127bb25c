// The supervisor of the sandbox processes. The host never loads isolated-vm: it forks N
// sandbox processes (sandbox-child.ts) with an empty environment, a small heap and
// --no-node-snapshot, hands each run to the least busy one over IPC and watches it:
// - a run that does not answer within timeoutMs + margin gets its process SIGKILLed;
// - a process that dies fails only the runs it held (sandbox_crashed, retryable) and is
//   replaced; the host itself never goes down;
// - cancellation (AbortSignal) answers at once and tells the process to drop the isolate.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import Denque from 'denque';
import { moduleLocation } from '../../engine/module-dir.js';
import type { ChildMessage, RunRequestMessage, SandboxError, SandboxStats } from './protocol.js';
import type { SandboxIsolation } from './sandbox-bootstrap.js';

export type PoolErrorCode = SandboxError['code'] | 'sandbox_crashed';

export interface PoolRunRequest {
  source: string;
  /** JSON text of `{ input, trigger, nodes, vars }`. */
  args: string;
  timeoutMs: number;
  memoryMb: number;
  maxOutputBytes: number;
  signal?: AbortSignal;
}

export interface PoolRunOutcome {
  /** JSON text of the output, when the run succeeded. */
  output?: string;
  error?: { code: PoolErrorCode; message: string; line?: number; column?: number };
  /** JSON text of the console lines. */
  logs: string;
}

export interface SandboxPoolOptions {
  /** Sandbox processes (default: TADFUQ_CODE_SANDBOXES, else 2 with 4+ cores, else 1). */
  processes?: number;
  /** Runs in flight per process; more wait in the host's queue (default 4). */
  concurrency?: number;
  /** How long past a run's timeout the host waits before killing its process (default 1000 ms). */
  watchdogMarginMs?: number;
  /** V8 old-space limit of each sandbox process, MB (default 256). Isolates have their own limits. */
  maxOldSpaceMb?: number;
  /**
   * Resident memory at which a sandbox process kills itself (default 2048 MB): a backstop for
   * memory the isolates' limits do not see. Its runs fail as sandbox_crashed.
   */
  maxRssMb?: number;
  /** Run compiled sandbox processes under Node's permission model (default true; see permissionArgv). */
  permissions?: boolean;
  /**
   * How runs are kept apart inside an isolate (default: TADFUQ_CODE_ISOLATION, else
   * 'compartment'): a new SES Compartment per run in a realm lockdown() froze, or a fresh V8
   * context per run (about 0.4 ms more CPU per run). See nodes/code/README.md.
   */
  isolation?: SandboxIsolation;
}

interface Pending {
  id: number;
  message: RunRequestMessage;
  resolve(outcome: PoolRunOutcome): void;
  settled: boolean;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  watchdog: NodeJS.Timeout | undefined;
  worker: Worker | undefined;
}

interface Worker {
  child: ChildProcess;
  ready: boolean;
  /** Killed by the pool: takes no new runs; a replacement is started at once. */
  dying: boolean;
  dead: boolean;
  inflight: Map<number, Pending>;
  stats: Map<number, (stats: SandboxStats | undefined) => void>;
  stderr: string;
  startedAt: number;
}

const here = moduleLocation(import.meta.url, 'nodes/code');
/** sandbox-child.ts under tsx, sandbox-child.js in dist/ (also from the bundled server). */
const CHILD_ENTRY = path.join(here.dir, 'sandbox-child' + here.ext);
const STDERR_TAIL = 4096;
const MAX_FAILED_STARTS = 3;

let sesSourcePath: string | undefined;
/** SES, read by each sandbox process from the package (never bundled: it runs in the isolates). */
export function sesSource(): string {
  sesSourcePath ??= path.join(path.dirname(createRequire(import.meta.url).resolve('ses/package.json')), 'dist', 'ses.umd.min.js');
  return sesSourcePath;
}

/** TADFUQ_CODE_ISOLATION: compartment (default) or context. */
export function defaultIsolation(env: NodeJS.ProcessEnv = process.env): SandboxIsolation {
  const value = env.TADFUQ_CODE_ISOLATION;
  if (value === undefined || value === '') return 'compartment';
  if (value === 'compartment' || value === 'context') return value;
  throw new Error(`TADFUQ_CODE_ISOLATION must be compartment or context, not ${JSON.stringify(value)}`);
}

function defaultProcesses(): number {
  const fromEnv = Number(process.env.TADFUQ_CODE_SANDBOXES);
  if (Number.isInteger(fromEnv) && fromEnv >= 1 && fromEnv <= 64) return fromEnv;
  return availableParallelism() >= 4 ? 2 : 1;
}

/**
 * Node's permission model for a compiled sandbox process, as defence in depth behind the V8
 * isolate: even code that escaped into the process's own Node realm could not write files,
 * start processes or workers, or read anything but the sandbox's own code and isolated-vm.
 * (Node 20's model does not restrict the network.) A TypeScript entry run through tsx cannot
 * work under it (tsx's loader needs a worker thread), so development runs without it.
 */
function permissionArgv(): string[] {
  const flag = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';
  const require = createRequire(import.meta.url);
  const isolatedVm = path.dirname(require.resolve('isolated-vm/package.json'));
  const readable = [path.join(path.dirname(CHILD_ENTRY), '*'), path.join(isolatedVm, '*'), sesSource()];
  // Node reads the package.json files above the entry to learn the module type.
  for (let dir = path.dirname(CHILD_ENTRY); ; dir = path.dirname(dir)) {
    readable.push(path.join(dir, 'package.json'));
    if (path.dirname(dir) === dir) break;
  }
  return [flag, '--allow-addons', ...readable.map((p) => `--allow-fs-read=${p}`)];
}

function childExecArgv(maxOldSpaceMb: number, permissions: boolean): string[] {
  const argv = ['--no-node-snapshot', `--max-old-space-size=${maxOldSpaceMb}`];
  // From a checkout the entry is TypeScript: load tsx into the child explicitly (never the
  // host's execArgv, which may hold --inspect or other flags the sandbox must not get).
  if (CHILD_ENTRY.endsWith('.ts')) argv.push('--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href);
  else if (permissions) argv.push(...permissionArgv());
  return argv;
}

export class SandboxPool {
  readonly processes: number;
  readonly concurrency: number;
  private readonly watchdogMarginMs: number;
  private readonly maxOldSpaceMb: number;
  private readonly maxRssMb: number;
  private readonly permissions: boolean;
  readonly isolation: SandboxIsolation;
  private readonly workers: (Worker | undefined)[];
  /** Runs waiting for a free slot, oldest first (a deque: under a backlog Array#shift was O(n) per run). */
  private readonly queue = new Denque<Pending>();
  private nextId = 1;
  private failedStarts = 0;
  private respawnTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Runs not answered yet: while there are any, the sandbox processes keep the host alive. */
  private unsettled = 0;
  private readonly killAll = (): void => {
    for (const w of this.workers) if (w && !w.dead) w.child.kill('SIGKILL');
  };

  constructor(options: SandboxPoolOptions = {}) {
    this.processes = Math.max(1, Math.trunc(options.processes ?? defaultProcesses()));
    this.concurrency = Math.max(1, Math.trunc(options.concurrency ?? 4));
    this.watchdogMarginMs = options.watchdogMarginMs ?? 1000;
    this.maxOldSpaceMb = options.maxOldSpaceMb ?? 256;
    this.maxRssMb = options.maxRssMb ?? 2048;
    this.permissions = options.permissions ?? true;
    this.isolation = options.isolation ?? defaultIsolation();
    this.workers = new Array<Worker | undefined>(this.processes).fill(undefined);
    process.once('exit', this.killAll);
  }

  /** Start every sandbox process now and wait until they are ready (otherwise the first run does). */
  async start(): Promise<void> {
    this.ensureWorkers();
    this.unsettled++;
    this.setRefs(true);
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (!w || w.ready || w.dead) return resolve();
            const done = (): void => resolve();
            w.child.once('message', done);
            w.child.once('exit', done);
          }),
      ),
    );
    if (--this.unsettled === 0) this.setRefs(false);
  }

  run(request: PoolRunRequest): Promise<PoolRunOutcome> {
    return new Promise<PoolRunOutcome>((resolve) => {
      const message: RunRequestMessage = {
        type: 'run',
        id: this.nextId++,
        source: request.source,
        args: request.args,
        timeoutMs: request.timeoutMs,
        memoryMb: request.memoryMb,
        maxOutputBytes: request.maxOutputBytes,
      };
      const pending: Pending = { id: message.id, message, resolve, settled: false, signal: request.signal, onAbort: undefined, watchdog: undefined, worker: undefined };
      if (++this.unsettled === 1) this.setRefs(true);
      if (this.closed) return this.settle(pending, crashed('the sandbox pool is closed'));
      if (request.signal?.aborted) return this.settle(pending, cancelled());
      if (request.signal) {
        pending.onAbort = () => this.abort(pending);
        request.signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.queue.push(pending);
      this.pump();
    });
  }

  /** Memory of each live sandbox process (asks them; a process that does not answer is skipped). */
  async stats(): Promise<SandboxStats[]> {
    const live = this.workers.filter((w): w is Worker => !!w && w.ready && !w.dead && !w.dying);
    const answers = await Promise.all(
      live.map(
        (w) =>
          new Promise<SandboxStats | undefined>((resolve) => {
            const id = this.nextId++;
            const timer = setTimeout(() => {
              w.stats.delete(id);
              resolve(undefined);
            }, 2000);
            w.stats.set(id, (s) => {
              clearTimeout(timer);
              resolve(s);
            });
            this.send(w, { type: 'stats', id });
          }),
      ),
    );
    return answers.filter((s): s is SandboxStats => s !== undefined);
  }

  /** Process ids of the live sandbox processes. */
  pids(): number[] {
    return this.workers.flatMap((w) => (w && !w.dead && !w.dying && w.child.pid !== undefined ? [w.child.pid] : []));
  }

  /** Kill every sandbox process; pending and later runs fail with sandbox_crashed. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.respawnTimer);
    process.removeListener('exit', this.killAll);
    this.failQueued(crashed('the sandbox pool is closed'));
    const exits = this.workers.map((w) => {
      if (!w || w.dead) return Promise.resolve();
      return new Promise<void>((resolve) => {
        setRef(w, true);
        w.child.once('exit', () => resolve());
        w.child.kill('SIGKILL');
      });
    });
    await Promise.all(exits);
  }

  private pump(): void {
    while (this.queue.length > 0) {
      this.ensureWorkers();
      let best: Worker | undefined;
      for (const w of this.workers) {
        if (!w || !w.ready || w.dead || w.dying || w.inflight.size >= this.concurrency) continue;
        if (!best || w.inflight.size < best.inflight.size) best = w;
      }
      if (!best) return; // waits for a process to become ready or to finish a run
      const pending = this.queue.shift() as Pending;
      if (!pending.settled) this.dispatch(pending, best); // a cancelled run stays queued until here

    }
  }

  private failQueued(outcome: PoolRunOutcome): void {
    for (let p = this.queue.shift(); p; p = this.queue.shift()) this.settle(p, outcome);
  }

  private dispatch(pending: Pending, worker: Worker): void {
    pending.worker = worker;
    worker.inflight.set(pending.id, pending);
    pending.watchdog = setTimeout(() => {
      // The process did not answer in time although the isolate has its own timeout: it is
      // stuck (or crashed without exiting). Kill it; its other runs fail as crashed.
      this.settle(pending, {
        logs: '[]',
        error: { code: 'code_timeout', message: `the code did not finish within ${pending.message.timeoutMs} ms; its sandbox process was stopped and replaced` },
      });
      this.kill(worker);
    }, pending.message.timeoutMs + this.watchdogMarginMs);
    this.send(worker, pending.message);
  }

  private abort(pending: Pending): void {
    // Still queued: settling it is enough (pump() skips it). Dispatched: tell its process.
    if (pending.worker && !pending.worker.dead) this.send(pending.worker, { type: 'cancel', id: pending.id });
    // Answer now; the process keeps the run (and its watchdog) until it confirms.
    this.settle(pending, cancelled());
  }

  private settle(pending: Pending, outcome: PoolRunOutcome): void {
    if (pending.settled) return;
    pending.settled = true;
    if (--this.unsettled === 0) this.setRefs(false);
    if (pending.onAbort) pending.signal?.removeEventListener('abort', pending.onAbort);
    pending.resolve(outcome);
  }

  private send(worker: Worker, message: object): void {
    try {
      worker.child.send(message, (err) => {
        if (err) this.kill(worker);
      });
    } catch {
      this.kill(worker);
    }
  }

  /** Stop a sandbox process for good; its runs fail when it has exited. */
  private kill(worker: Worker): void {
    if (worker.dead) return;
    worker.dying = true;
    worker.child.kill('SIGKILL');
    this.ensureWorkers();
  }

  /** An idle pool must not keep the host process alive; one with runs waiting must. */
  private setRefs(on: boolean): void {
    for (const w of this.workers) if (w && !w.dead) setRef(w, on);
  }

  private ensureWorkers(): void {
    if (this.closed || this.respawnTimer) return;
    for (let i = 0; i < this.workers.length; i++) {
      const w = this.workers[i];
      if (!w || w.dead || w.dying) this.workers[i] = this.spawn(i);
    }
  }

  private spawn(index: number): Worker {
    const child = fork(CHILD_ENTRY, [String(this.maxRssMb), String(this.concurrency), this.isolation, this.isolation === 'compartment' ? sesSource() : ''], {
      execPath: process.execPath,
      execArgv: childExecArgv(this.maxOldSpaceMb, this.permissions),
      env: {}, // no secrets, no configuration: the sandbox needs nothing from the host
      cwd: path.dirname(CHILD_ENTRY),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // Only strings and numbers cross (protocol.ts): JSON framing costs the host about 50 µs
      // less per run than 'advanced' (v8.Serializer per message); see bench/README.md.
      serialization: 'json',
    });
    const worker: Worker = { child, ready: false, dying: false, dead: false, inflight: new Map(), stats: new Map(), stderr: '', startedAt: Date.now() };
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      worker.stderr = (worker.stderr + chunk).slice(-STDERR_TAIL);
    });
    setRef(worker, this.unsettled > 0);
    child.on('message', (message: unknown) => this.onMessage(worker, message as ChildMessage));
    child.on('error', () => this.kill(worker));
    child.on('exit', (code, signal) => this.onExit(worker, index, code, signal));
    return worker;
  }

  private onMessage(worker: Worker, message: ChildMessage): void {
    switch (message?.type) {
      case 'ready':
        worker.ready = true;
        this.failedStarts = 0;
        this.pump();
        return;
      case 'result': {
        const pending = worker.inflight.get(message.id);
        if (!pending) return;
        worker.inflight.delete(message.id);
        clearTimeout(pending.watchdog);
        const outcome: PoolRunOutcome = { logs: typeof message.logs === 'string' ? message.logs : '[]' };
        if (typeof message.output === 'string') outcome.output = message.output;
        else outcome.error = message.error ?? { code: 'sandbox_error', message: 'the sandbox answered without a result' };
        this.settle(pending, outcome);
        this.pump();
        return;
      }
      case 'stats': {
        const done = worker.stats.get(message.id);
        worker.stats.delete(message.id);
        done?.(message.stats);
        return;
      }
    }
  }

  private onExit(worker: Worker, index: number, code: number | null, signal: NodeJS.Signals | null): void {
    worker.dead = true;
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    for (const pending of worker.inflight.values()) {
      clearTimeout(pending.watchdog);
      this.settle(pending, crashed(`the sandbox process running this code stopped (${how}); it has been replaced`));
    }
    worker.inflight.clear();
    for (const done of worker.stats.values()) done(undefined);
    worker.stats.clear();
    if (this.workers[index] === worker) this.workers[index] = undefined;
    if (this.closed) return;
    if (!worker.ready) {
      // It never started: do not spin. Back off, and after a few tries fail what waits.
      this.failedStarts++;
      if (this.failedStarts >= MAX_FAILED_STARTS) {
        const detail = worker.stderr.trim().split('\n').slice(-3).join(' | ');
        this.failQueued(crashed(`the sandbox process cannot start (${how})${detail ? ': ' + detail : ''}`));
        this.failedStarts = 0;
      }
      const delay = Math.min(5000, 100 * 2 ** this.failedStarts);
      this.respawnTimer = setTimeout(() => {
        this.respawnTimer = undefined;
        this.pump();
      }, delay);
      if (this.unsettled === 0) this.respawnTimer.unref(); // runs waiting keep the host up
      return;
    }
    // Replace it right away so the next run does not pay the start-up.
    this.ensureWorkers();
    this.pump();
  }
}

type Refable = { ref?: () => void; unref?: () => void } | null | undefined;

function setRef(worker: Worker, on: boolean): void {
  const handles: Refable[] = [worker.child, worker.child.channel as Refable, worker.child.stderr as Refable];
  for (const h of handles) {
    if (on) h?.ref?.();
    else h?.unref?.();
  }
}

function crashed(message: string): PoolRunOutcome {
  return { logs: '[]', error: { code: 'sandbox_crashed', message } };
}

function cancelled(): PoolRunOutcome {
  return { logs: '[]', error: { code: 'code_cancelled', message: 'the run was cancelled' } };
}

let shared: SandboxPool | undefined;

/** The process-wide pool the code node and runCode() use unless given another. */
export function defaultSandboxPool(): SandboxPool {
  shared ??= new SandboxPool();
  return shared;
}

/** Replace the process-wide pool (tests, or a server that wants other sizes); closes the old one. */
export async function setDefaultSandboxPool(pool: SandboxPool | undefined): Promise<void> {
  const old = shared;
  shared = pool;
  if (old && old !== pool) await old.close();
}

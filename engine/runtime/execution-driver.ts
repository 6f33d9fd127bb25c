// The part of a runtime that drives executions through the pure stepper, shared by the
// embedded runtime (one process, in-process timers) and the queue runtime (BullMQ workers).
// It commits per segment: a run of pure steps is committed once, when the execution finishes
// or suspends, and a node with side effects is bracketed by commits (its "running" mark
// before, its result after). A crash therefore re-runs at most the uncommitted pure steps and
// the one side-effect step that was in flight. Every commit carries the execution's next
// revision, so two processes can never both advance the same execution.
import { v7 as uuidv7 } from 'uuid';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Flow } from '../flow/flow.schema.js';
import type { NodeRegistry } from '../node-contract/node-registry.js';
import { validateFlow } from '../flow/validate-flow.js';
import { FlowInvalidError } from '../errors/flow-invalid.error.js';
import { advance, initialState, pendingRuns } from '../stepper/stepper.js';
import { indexFlow } from '../stepper/flow-index.js';
import { replayStart, type ReplayPlan } from '../stepper/replay.js';
import { TERMINAL_STATUSES, type StepperEvent, type Advance, type Command, type ExecutionState, type ExecutionStatus, type StepError, type StepRecord } from '../stepper/execution-state.js';
import type { ExecutionMeta, ExecutionWrite, RunStore, StoredExecution, WaitRow } from './run-store.js';
import { runStep, type CredentialResolver, type StepRunnerDeps } from './step-runner.js';
import { createGuardedFetch } from './egress-guard.js';
import { expressionLimits } from '../expressions/expression-budget.js';
import { KeyedLock } from './keyed-lock.js';
import { ExecutionConflict } from '../errors/execution-conflict.error.js';
import { MemoryRateLimiter, type RateLimiter } from './rate-limiter.js';
import type { LlmServiceFactory } from '../llm/types.js';
import type { Outbox } from '../outbox/send-contract.js';
import type { CrmGateway, DocumentGateway, EscalationGateway } from '../node-contract/sales-services.js';

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const silent: Logger = { info() {}, warn() {}, error() {} };

export interface TenantPolicy {
  allowPrivateNetwork: boolean;
  /** Wall time of one expression evaluation (the tenant's setting, already clamped to the server's ceiling). */
  expressionTimeoutMs?: number;
}

/** One finished node run, for metrics. */
export interface StepObservation {
  tenantId: string;
  flowId: string;
  nodeType: string;
  /** succeeded, failed, retrying, waiting */
  status: string;
  durationMs: number;
}

export interface DriverOptions {
  /** Called for every node run (metrics); must not throw. */
  observeStep?: (o: StepObservation) => void;
  store: RunStore;
  registry: NodeRegistry;
  logger?: Logger;
  now?: () => Date;
  tenantPolicy?: (tenantId: string) => TenantPolicy;
  vars?: (tenantId: string) => Record<string, unknown>;
  maxOutputBytes?: number;
  /** Wall-time limit of one node run (default 5 min). */
  stepTimeoutMs?: number;
  /** Send-rate limits (default: in-process; queue mode shares them in Redis). */
  rateLimiter?: RateLimiter;
  /** Tenants' credentials for ctx.credential() (server/runtime-factory.ts); absent = none. */
  credentials?: CredentialResolver;
  /** Builds ctx.llm per step (server/llm/, wired in server/runtime-factory.ts); absent = rules answers only. */
  llm?: LlmServiceFactory;
  /** The outbox behind ctx.send() and ctx.consent() (server/outbox/, wired in server/runtime-factory.ts); absent = sends fail. */
  outbox?: Outbox;
  /**
   * Loads the fields of an execution's subject (a contact id) for `$contact` and ctx.contact:
   * once per drive segment, at its first step, so a resumed execution sees the contact as it is
   * then (an erased one anonymised). Null or absent: `$contact` is null.
   */
  contact?: (tenantId: string, contactId: string) => Promise<unknown>;
  /** The escalation inbox behind ctx.escalations (server/escalations/); absent = none. */
  escalations?: EscalationGateway;
  /** Lead and deal updates behind ctx.crm (server/crm/); absent = none. */
  crm?: CrmGateway;
  /** The document store behind ctx.documents (server/documents/); absent = none. */
  documents?: DocumentGateway;
  /** Called once an execution's end (succeeded, failed, cancelled) is committed; must not throw. */
  onFinished?: (meta: ExecutionMeta, state: Settled) => void | Promise<void>;
  /**
   * At most this many admitted starts (StartRequest.admit) and timer wake-ups are driven at
   * once; more wait for a slot, in order (default: no bound).
   */
  maxDriving?: number;
}

export interface StartRequest {
  tenantId: string;
  flowId: string;
  flowVersion: number;
  flow: Flow;
  /** Id of the trigger node that fired. */
  trigger: string;
  payload: unknown;
  mode: string;
  subject?: string | null;
  executionId?: string;
  /** Commit the new execution before start() resolves (an accepted webhook must survive a crash). */
  durable?: boolean;
  /**
   * Work arriving from outside (a webhook): on a runtime that bounds the executions it drives
   * at once (EmbeddedRuntime's maxDriving), wait for a free slot before accepting, so a burst
   * slows its senders down instead of piling up in memory. Never set from inside a step: a
   * step waiting for a slot its own execution holds would wait for ever.
   */
  admit?: boolean;
  /**
   * Start from an earlier execution's history instead of from the trigger (replay): `of` is
   * that execution's id, `plan` its steps and the step to run again (stepper/replay.ts).
   * `trigger` and `payload` are then ignored. startExecution rejects with ReplayUnavailable,
   * starting nothing, when the history does not lead to the step.
   */
  replay?: { of: string; plan: ReplayPlan };
}

export interface ExecutionResult {
  executionId: string;
  status: ExecutionStatus;
  output: unknown;
  error: StepError | null;
}

interface Pending {
  dirty: boolean;
  steps: Map<string, StepRecord>;
  waits: Map<string, WaitRow>;
  clearWaits: Set<string>;
}

export interface ActiveRun {
  meta: ExecutionMeta;
  flow: Flow;
  state: ExecutionState;
  /** Revision of the last commit (0 before the first). */
  rev: number;
  abort: AbortController;
  cancelRequested: string | null;
  pending: Pending;
  /** The subject's fields, loaded at the segment's first step (DriverOptions.contact). */
  contact?: Promise<unknown>;
  /** StoredExecution.starts as this run writes it (quarantine). */
  starts: number;
  /** This run is counted in `starts`: committed before its first step, or nothing to resume if it dies. */
  startCounted: boolean;
  /**
   * Commit around every step, not only around side effects: set when resuming a segment that
   * was started before and never ended, so a step that takes the process down is named by its
   * `running` mark and the steps before it are not run again.
   */
  careful: boolean;
  /**
   * Steps this careful run found `running` (in flight when a process died). One of them
   * finishing is progress: the segment's count restarts at this run (1).
   */
  suspects?: Set<number>;
}

/**
 * A segment started this many times without reaching a wait or the end (the original run and
 * two retries) is not started again: its execution fails with `crashed_repeatedly`.
 */
export const MAX_SEGMENT_STARTS = 3;

interface Waiter {
  untilTerminal: boolean;
  resolve: (r: ExecutionResult) => void;
  reject: (e: unknown) => void;
}

/** What the server needs of a runtime, embedded or queue. */
export interface Runtime {
  start(): Promise<void>;
  stop(): Promise<void>;
  startExecution(req: StartRequest): Promise<{ executionId: string }>;
  result(executionId: string, untilTerminal?: boolean, timeoutMs?: number): Promise<ExecutionResult>;
  cancel(executionId: string, reason?: string): Promise<boolean>;
  deliverEvent(tenantId: string, event: string, correlation: string, payload: unknown): Promise<number>;
  /** Work accepted and not yet taken up (queue: runnable jobs; embedded: executions being driven). */
  backlog?(): Promise<number>;
}

/** What waiters learn when an execution settles. */
export type Settled = Pick<ExecutionState, 'executionId' | 'status' | 'output' | 'error'>;

const emptyPending = (): Pending => ({ dirty: false, steps: new Map(), waits: new Map(), clearWaits: new Set() });

export abstract class ExecutionDriver {
  protected readonly store: RunStore;
  protected readonly registry: NodeRegistry;
  protected readonly log: Logger;
  protected readonly now: () => Date;
  private readonly deps: StepRunnerDeps;
  protected readonly locks = new KeyedLock();
  private readonly active = new Map<string, ActiveRun>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly flows = new Map<string, Flow>();
  /**
   * Executions this process accepted whose end or wait it has not been told of yet (epoch ms
   * of acceptance). A waiter registered for one of them cannot miss its notice, so result()
   * skips the stored-state check (two statements per webhook answered on finish).
   */
  private readonly unsettled = new Map<string, number>();
  protected stopping = false;
  private readonly observeStep: ((o: StepObservation) => void) | undefined;
  private readonly onFinished: DriverOptions['onFinished'];
  /**
   * Drive slots (DriverOptions.maxDriving): a burst waits at the door instead of thousands of
   * executions being driven at once, each holding its state in memory (bench/README.md, third
   * round: RSS after a 30,000-request burst ~300 MB instead of ~750 MB).
   */
  private readonly driveSlots: LimitFunction | null;

  /** Called once a write is durable: arrange for its waits to fire (timers or delayed jobs). */
  protected abstract afterCommit(write: ExecutionWrite, run: ActiveRun): Promise<void> | void;
  /** A wait was satisfied or cancelled before it fired. */
  protected abstract waitCleared(waitId: string): void;
  /** The lease a commit records (queue mode), or null (embedded). */
  protected abstract lease(): { owner: string; until: number } | null;

  constructor(options: DriverOptions) {
    this.store = options.store;
    this.registry = options.registry;
    this.log = options.logger ?? silent;
    this.now = options.now ?? (() => new Date());
    this.observeStep = options.observeStep;
    this.onFinished = options.onFinished;
    this.driveSlots = options.maxDriving !== undefined && Number.isFinite(options.maxDriving) ? pLimit(Math.max(1, Math.trunc(options.maxDriving))) : null;
    const loadContact = options.contact;
    const policy: (tenantId: string) => TenantPolicy = options.tenantPolicy ?? (() => ({ allowPrivateNetwork: false }));
    const guarded = createGuardedFetch({ allowPrivateNetwork: false });
    const open = createGuardedFetch({ allowPrivateNetwork: true });
    this.deps = {
      registry: this.registry,
      http: (meta) => (policy(meta.tenantId).allowPrivateNetwork ? open : guarded),
      vars: (meta) => options.vars?.(meta.tenantId) ?? {},
      // The policy has already capped the tenant's timeout at the server's ceiling.
      expressionLimits: (meta) => expressionLimits(policy(meta.tenantId).expressionTimeoutMs, Number.POSITIVE_INFINITY),
      contact: (meta) => (loadContact && meta.subject ? this.contactOf(meta, loadContact) : null),
      now: this.now,
      maxOutputBytes: options.maxOutputBytes ?? 1024 * 1024,
      stepTimeoutMs: options.stepTimeoutMs ?? 5 * 60 * 1000,
      rateLimiter: options.rateLimiter ?? new MemoryRateLimiter(),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.llm ? { llm: options.llm } : {}),
      ...(options.outbox ? { outbox: options.outbox } : {}),
      ...(options.escalations ? { escalations: options.escalations } : {}),
      ...(options.crm ? { crm: options.crm } : {}),
      ...(options.documents ? { documents: options.documents } : {}),
    };
  }

  /** The subject's fields for a step of `meta`: loaded once per drive segment (a failed load is retried at the next step). */
  private contactOf(meta: ExecutionMeta, load: (tenantId: string, contactId: string) => Promise<unknown>): Promise<unknown> {
    const run = this.active.get(meta.id);
    const loading = run?.contact ?? load(meta.tenantId, meta.subject!);
    if (run && !run.contact) {
      run.contact = loading;
      loading.catch(() => {
        if (run.contact === loading) delete run.contact;
      });
    }
    return loading;
  }

  /** Drive an execution from its committed state: its ready and interrupted steps. */
  protected async resumeStored(executionId: string, accept: (stored: StoredExecution) => boolean = () => true): Promise<void> {
    await this.locks.run(executionId, async () => {
      const stored = await this.store.loadExecution(executionId);
      if (!stored || TERMINAL_STATUSES.includes(stored.state.status) || !accept(stored)) return;
      const flow = await this.flowFor(stored.meta);
      const run = this.resumedRun(stored, flow);
      if (stored.starts >= MAX_SEGMENT_STARTS) return this.quarantine(run);
      await this.drive(run, pendingRuns(stored.state));
    });
  }

  /** Start an execution. Resolves once it is accepted (committed first when `durable`). */
  async startExecution(req: StartRequest): Promise<{ executionId: string }> {
    // Time-ordered ids (UUIDv7): new executions and their steps append to the B-tree indexes
    // instead of landing on random pages, which is most of the write volume under load.
    const id = req.executionId ?? uuidv7();
    const meta: ExecutionMeta = {
      id,
      tenantId: req.tenantId,
      flowId: req.flowId,
      flowVersion: req.flowVersion,
      subject: req.subject ?? null,
      mode: req.mode,
      ...(req.replay ? { replayOf: req.replay.of } : {}),
    };
    // A replay's first advance is planned before anything is accepted: a plan that cannot be
    // carried out rejects here and starts nothing.
    const seeded = req.replay ? replayStart(req.flow, id, this.now().toISOString(), req.replay.plan) : null;
    this.flows.set(flowKey(meta), req.flow);
    let accepted!: () => void;
    let refused!: (e: unknown) => void;
    const acceptance = new Promise<void>((resolve, reject) => {
      accepted = resolve;
      refused = reject;
    });
    const accept = () =>
      this.locks
        .run(id, async () => {
          const at = seeded ? seeded.state.startedAt : this.now().toISOString();
          const run = this.newRun(meta, req.flow, initialState(id, at), 0);
          // Its first commit (the durable one, if asked) already counts the start: if the process
          // dies before any commit there is nothing to resume.
          run.starts = this.drivesNewExecutions() ? 1 : 0;
          const first = this.apply(run, seeded ?? advance(req.flow, run.state, { type: 'start', trigger: req.trigger, payload: req.payload, at }));
          try {
            if (req.durable) await this.flush(run);
          } catch (err) {
            refused(err);
            throw err;
          }
          this.trackUnsettled(id);
          accepted();
          await this.dispatch(run, first);
        })
        .catch((err) => {
          refused(err);
          this.rejectWaiters(id, err);
          if (err instanceof ExecutionConflict) this.log.info({ executionId: id }, 'execution advanced elsewhere');
          else this.log.error({ err, executionId: id }, 'execution drive failed');
        });
    // Admitted work holds its slot from acceptance to the end of its first drive.
    void (req.admit ? this.inDriveSlot(accept) : accept());
    await acceptance;
    return { executionId: id };
  }

  /**
   * Resolves when the execution finishes, or (unless `untilTerminal`) when it suspends on a
   * wait. Call it right after startExecution.
   */
  result(executionId: string, untilTerminal = false, timeoutMs?: number): Promise<ExecutionResult> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        untilTerminal,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const list = this.waiters.get(executionId) ?? [];
      list.push(waiter);
      this.waiters.set(executionId, list);
      if (timeoutMs !== undefined) {
        // Past the deadline the caller learns it is still running; the waiter is dropped.
        timer = setTimeout(() => {
          const left = (this.waiters.get(executionId) ?? []).filter((w) => w !== waiter);
          if (left.length) this.waiters.set(executionId, left);
          else this.waiters.delete(executionId);
          resolve({ executionId, status: 'running', output: null, error: null });
        }, timeoutMs);
        timer.unref();
      }
      // Accepted here and not settled yet: its notice is still to come, to this waiter.
      if (this.unsettled.has(executionId)) return;
      // It may have settled before the caller asked: once the current drive (if any) is
      // over, look at the stored state, unless that drive already answered.
      void this.locks.run(executionId, async () => {
        if (!this.waiters.get(executionId)?.includes(waiter)) return;
        const stored = await this.store.loadExecution(executionId);
        if (stored) this.notify(stored.state);
      });
    });
  }

  /** Cancel a running or waiting execution. Returns false when it is unknown or already over. */
  async cancel(executionId: string, reason = 'cancelled by request'): Promise<boolean> {
    const running = this.interrupt(executionId, reason);
    // Another process may commit between our read and our write (a worker finishing a step):
    // read again and cancel from there.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.locks.run(executionId, async () => {
          const stored = await this.store.loadExecution(executionId);
          if (!stored || TERMINAL_STATUSES.includes(stored.state.status)) return stored?.state.status === 'cancelled' && !!running;
          const flow = await this.flowFor(stored.meta);
          const run = this.newRun(stored.meta, flow, stored.state, stored.rev);
          const commands = this.apply(run, advance(flow, run.state, { type: 'cancel', at: this.now().toISOString(), reason }));
          await this.drive(run, commands);
          return true;
        });
      } catch (err) {
        if (!(err instanceof ExecutionConflict) || attempt >= 10) throw err;
      }
    }
  }

  /** Abort the in-flight step of an execution this process is driving, if any. */
  protected interrupt(executionId: string, reason: string): boolean {
    const running = this.active.get(executionId);
    if (!running) return false;
    running.cancelRequested = reason;
    running.abort.abort(new Error(reason));
    return true;
  }

  /** Deliver a domain event to the executions waiting for it (wait.event). */
  async deliverEvent(tenantId: string, event: string, correlation: string, payload: unknown): Promise<number> {
    const waits = await this.store.findEventWaits(tenantId, event, correlation);
    for (const wait of waits) {
      await this.resumeWith(wait.executionId, { type: 'eventReceived', seq: wait.seq, payload, at: this.now().toISOString() });
    }
    return waits.length;
  }

  /** A wait came due: resume its execution with timerFired (a no-op if it was already handled). */
  protected async onTimer(wait: Pick<WaitRow, 'id' | 'executionId' | 'seq' | 'dueAt'>): Promise<void> {
    if (this.stopping) return;
    try {
      const due = wait.dueAt ?? undefined;
      const resume = () => this.resumeWith(wait.executionId, { type: 'timerFired', seq: wait.seq, at: this.now().toISOString(), ...(due !== undefined ? { due } : {}) });
      // Thousands of contacts coming due together wake a slot's worth at a time.
      await this.inDriveSlot(resume);
    } catch (err) {
      if (err instanceof ExecutionConflict) return;
      this.log.error({ err, executionId: wait.executionId, waitId: wait.id }, 'timer resume failed');
      // Move it off the head of the due list so one broken execution cannot starve the rest.
      await this.store.postponeWait(wait.id, this.now().getTime() + 60_000).catch(() => undefined);
    }
  }

  protected async resumeWith(executionId: string, event: Parameters<typeof advance>[2]): Promise<void> {
    await this.locks.run(executionId, async () => {
      const stored = await this.store.loadExecution(executionId);
      if (!stored) return;
      const flow = await this.flowFor(stored.meta);
      const run = this.resumedRun(stored, flow);
      if (!TERMINAL_STATUSES.includes(stored.state.status) && stored.starts >= MAX_SEGMENT_STARTS) return this.quarantine(run);
      const commands = this.apply(run, advance(flow, run.state, event));
      await this.drive(run, commands);
    });
  }

  private observe(run: ActiveRun, nodeType: string, event: StepperEvent): void {
    if (!this.observeStep || !('startedAt' in event)) return;
    const status = event.type === 'stepSucceeded' ? 'succeeded' : event.type === 'stepFailed' ? 'failed' : 'waiting';
    this.observeStep({ tenantId: run.meta.tenantId, flowId: run.meta.flowId, nodeType, status, durationMs: Date.parse(event.at) - Date.parse(event.startedAt) });
  }

  /** Run `work` once a drive slot is free (at once without maxDriving); the slot is held until it settles. */
  protected inDriveSlot<T>(work: () => Promise<T>): Promise<T> {
    return this.driveSlots ? this.driveSlots(work) : work();
  }

  /** Executions this process is driving right now (each holds its state in memory), plus admitted work waiting for a slot. */
  protected drivingCount(): number {
    return this.active.size + (this.driveSlots?.pendingCount ?? 0);
  }

  /** Executions this process is driving right now. */
  protected activeIds(): string[] {
    return [...this.active.keys()];
  }

  /** Carry out a newly started execution's first commands (queue producers enqueue instead). */
  protected async dispatch(run: ActiveRun, commands: Command[]): Promise<void> {
    await this.drive(run, commands);
  }

  /** A drive ended with the execution finished or suspended (queue workers also publish it). */
  protected settled(state: Settled): void {
    this.notify(state);
  }

  protected newRun(meta: ExecutionMeta, flow: Flow, state: ExecutionState, rev: number): ActiveRun {
    return { meta, flow, state, rev, abort: new AbortController(), cancelRequested: null, pending: emptyPending(), starts: 0, startCounted: true, careful: false };
  }

  /** A run of a stored execution that is about to be driven: its start is counted before its first step. */
  private resumedRun(stored: StoredExecution, flow: Flow): ActiveRun {
    const run = this.newRun(stored.meta, flow, stored.state, stored.rev);
    run.starts = stored.starts;
    run.startCounted = false;
    run.careful = stored.starts > 0;
    if (run.careful) run.suspects = new Set(stored.state.tokens.filter((t) => t.status === 'running').map((t) => t.seq));
    return run;
  }

  /** Whether startExecution drives what it starts here (a queue producer only enqueues it). */
  protected drivesNewExecutions(): boolean {
    return true;
  }

  /**
   * Give up on an execution whose segment was started MAX_SEGMENT_STARTS times without ending:
   * each time, its process died or hung with a step in flight. Fail it with `crashed_repeatedly`,
   * naming the step its last (careful) start left `running`, so that no restart runs it again.
   */
  private async quarantine(run: ActiveRun): Promise<void> {
    const inFlight = run.state.tokens.find((t) => t.status === 'running') ?? run.state.tokens.find((t) => t.status === 'ready');
    const what = inFlight ? `step "${inFlight.node}"` : 'a step';
    const error: StepError = {
      code: 'crashed_repeatedly',
      message: `${what} was in flight each of the ${run.starts} times its process was killed or stopped responding; the execution is quarantined and will not be resumed`,
      retryable: false,
    };
    this.log.warn({ executionId: run.meta.id, node: inFlight?.node, starts: run.starts }, 'quarantining an execution that keeps killing its process');
    const commands = this.apply(run, advance(run.flow, run.state, { type: 'quarantine', ...(inFlight ? { seq: inFlight.seq } : {}), error, at: this.now().toISOString() }));
    await this.drive(run, commands);
  }

  protected apply(run: ActiveRun, adv: Advance): Command[] {
    run.state = adv.state;
    run.pending.dirty = true;
    for (const step of adv.steps) run.pending.steps.set(step.id, step);
    return adv.commands;
  }

  /** Carry out commands until the execution finishes or suspends, then commit. */
  protected async drive(run: ActiveRun, commands: Command[]): Promise<void> {
    const queue = [...commands];
    // Registered only while driving: a producer that merely commits and enqueues holds nothing.
    this.active.set(run.meta.id, run);
    try {
      while (queue.length > 0 || (run.cancelRequested && !TERMINAL_STATUSES.includes(run.state.status))) {
        if (run.cancelRequested && !TERMINAL_STATUSES.includes(run.state.status)) {
          queue.length = 0;
          queue.push(...this.apply(run, advance(run.flow, run.state, { type: 'cancel', at: this.now().toISOString(), reason: run.cancelRequested })));
        }
        const cmd = queue.shift();
        if (!cmd) break;
        if (cmd.type === 'run') {
          const node = indexFlow(run.flow).find(cmd.node);
          const effectful = !!node && !!this.registry.get(node.type)?.sideEffects;
          // Bracketed by commits: a side effect, or any step of a careful run.
          const bracketed = effectful || run.careful;
          if (!run.startCounted) {
            // Count this start durably before any step runs: a process killed by the step has
            // counted it (quarantine). A bracketed step's running mark carries the count.
            run.starts += 1;
            run.startCounted = true;
            run.pending.dirty = true;
            if (!bracketed) await this.flush(run);
          }
          if (bracketed) {
            this.apply(run, advance(run.flow, run.state, { type: 'stepStarted', seq: cmd.seq, at: this.now().toISOString() }));
            await this.flush(run);
          }
          const event = await runStep(this.deps, { ...run, signal: run.abort.signal }, cmd);
          this.observe(run, node?.type ?? 'unknown', event);
          // A step that failed because we aborted it is cancelled, not failed.
          if (run.cancelRequested && event.type === 'stepFailed') continue;
          // The step in flight at the last crash came back: it was not what kills the process.
          if (run.suspects?.delete(cmd.seq)) run.starts = 1;
          queue.push(...this.apply(run, advance(run.flow, run.state, event)));
          if (bracketed) await this.flush(run);
        } else if (cmd.type === 'sleep' || cmd.type === 'wait') {
          run.pending.clearWaits.delete(cmd.stepId);
          run.pending.waits.set(cmd.stepId, {
            id: cmd.stepId,
            tenantId: run.meta.tenantId,
            executionId: run.meta.id,
            seq: cmd.seq,
            kind: cmd.type === 'sleep' ? 'timer' : 'event',
            dueAt: cmd.type === 'sleep' ? Date.parse(cmd.until) : cmd.timeoutAt ? Date.parse(cmd.timeoutAt) : null,
            event: cmd.type === 'wait' ? cmd.event : null,
            correlation: cmd.type === 'wait' ? cmd.correlation : null,
          });
        } else if (cmd.type === 'clearWait') {
          run.pending.waits.delete(cmd.stepId);
          run.pending.clearWaits.add(cmd.stepId);
          this.waitCleared(cmd.stepId);
        }
      }
      await this.flush(run);
    } finally {
      this.active.delete(run.meta.id);
    }
    if (this.onFinished && TERMINAL_STATUSES.includes(run.state.status)) this.finished(run);
    this.settled(run.state);
  }

  private finished(run: ActiveRun): void {
    const { executionId, status, output, error } = run.state;
    try {
      void Promise.resolve(this.onFinished?.(run.meta, { executionId, status, output, error })).catch((err: unknown) =>
        this.log.error({ err, executionId }, 'onFinished failed'),
      );
    } catch (err) {
      this.log.error({ err, executionId }, 'onFinished failed');
    }
  }

  protected async flush(run: ActiveRun): Promise<void> {
    const p = run.pending;
    if (!p.dirty && p.steps.size === 0 && p.waits.size === 0 && p.clearWaits.size === 0) return;
    run.pending = emptyPending();
    const terminal = TERMINAL_STATUSES.includes(run.state.status);
    const write: ExecutionWrite = {
      meta: run.meta,
      rev: run.rev + 1,
      // Released when the execution ends or suspends: nobody is driving it any more.
      lease: terminal || run.state.status === 'waiting' ? null : this.lease(),
      status: run.state.status,
      // A segment that reached a wait or the end is over: the next one counts from zero.
      starts: terminal || run.state.status === 'waiting' ? 0 : run.starts,
      state: run.state,
      output: run.state.output,
      error: run.state.error,
      steps: [...p.steps.values()],
      waits: [...p.waits.values()],
      clearWaits: [...p.clearWaits],
    };
    await this.store.commit(write);
    run.rev = write.rev;
    await this.afterCommit(write, run);
  }

  /** Executions whose notice may never come here (a lost pub/sub message) are forgotten after this long. */
  private trackUnsettled(id: string): void {
    const now = Date.now();
    this.unsettled.set(id, now);
    if (this.unsettled.size <= 10_000) return;
    for (const [old, at] of this.unsettled) {
      if (now - at < 10 * 60_000 && this.unsettled.size <= 100_000) break;
      this.unsettled.delete(old);
    }
  }

  protected notify(state: Settled): void {
    const terminal = TERMINAL_STATUSES.includes(state.status);
    if (!terminal && state.status !== 'waiting') return;
    this.unsettled.delete(state.executionId);
    const list = this.waiters.get(state.executionId);
    if (!list) return;
    const result: ExecutionResult = { executionId: state.executionId, status: state.status, output: state.output, error: state.error };
    const keep = list.filter((w) => {
      if (terminal || !w.untilTerminal) {
        w.resolve(result);
        return false;
      }
      return true;
    });
    if (keep.length > 0) this.waiters.set(state.executionId, keep);
    else this.waiters.delete(state.executionId);
  }

  private rejectWaiters(executionId: string, err: unknown): void {
    this.unsettled.delete(executionId);
    for (const w of this.waiters.get(executionId) ?? []) w.reject(err);
    this.waiters.delete(executionId);
  }

  protected async flowFor(meta: ExecutionMeta): Promise<Flow> {
    const key = flowKey(meta);
    const cached = this.flows.get(key);
    if (cached) return cached;
    const raw = await this.store.loadFlowVersion(meta.flowId, meta.flowVersion);
    if (!raw) throw new Error(`flow ${meta.flowId} version ${meta.flowVersion} not found`);
    const checked = validateFlow(raw, this.registry);
    if (!checked.ok) throw new FlowInvalidError(checked.errors);
    this.flows.set(key, checked.flow);
    return checked.flow;
  }
}

function flowKey(meta: ExecutionMeta): string {
  return `${meta.flowId}@${meta.flowVersion}`;
}

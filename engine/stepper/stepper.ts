// The pure stepper: advance(flow, state, event) -> { state, commands, steps }.
// No I/O, no clock (time arrives in events), no randomness: the same inputs always give the
// same outputs, which is what lets the runtime persist, crash and resume safely.
import type { Flow } from '../flow/flow.schema.js';
import { indexFlow, type FlowIndex } from './flow-index.js';
import {
  TERMINAL_STATUSES,
  stepIdOf,
  type Advance,
  type Command,
  type ExecutionState,
  type StepError,
  type StepRecord,
  type StepperEvent,
  type Token,
} from './execution-state.js';

/** Types are needed for step records; the stepper asks the caller for node types by id. */
export function initialState(executionId: string, at: string): ExecutionState {
  return {
    executionId,
    status: 'queued',
    nextSeq: 0,
    trigger: null,
    nodes: {},
    tokens: [],
    output: null,
    error: null,
    startedAt: at,
    finishedAt: null,
  };
}

const MAX_BACKOFF_MS = 60 * 60 * 1000;

export function backoffMs(retry: { backoffMs: number; factor?: number }, attempt: number): number {
  const factor = retry.factor ?? 2;
  return Math.min(MAX_BACKOFF_MS, Math.round(retry.backoffMs * factor ** Math.max(0, attempt - 1)));
}

class Step {
  readonly commands: Command[] = [];
  readonly steps: StepRecord[] = [];
  readonly state: ExecutionState;
  readonly index: FlowIndex;

  constructor(
    readonly flow: Flow,
    state: ExecutionState,
  ) {
    this.state = { ...state, tokens: [...state.tokens], nodes: { ...state.nodes } };
    this.index = indexFlow(flow);
  }

  token(seq: number): Token | undefined {
    return this.state.tokens.find((t) => t.seq === seq);
  }

  replace(token: Token): void {
    this.state.tokens = this.state.tokens.map((t) => (t.seq === token.seq ? token : t));
  }

  remove(seq: number): void {
    this.state.tokens = this.state.tokens.filter((t) => t.seq !== seq);
  }

  stepId(seq: number): string {
    return stepIdOf(this.state.executionId, seq);
  }

  record(token: Token, patch: Partial<StepRecord> & Pick<StepRecord, 'status'>): void {
    this.steps.push({
      id: this.stepId(token.seq),
      executionId: this.state.executionId,
      seq: token.seq,
      node: token.node,
      nodeType: this.index.node(token.node).type,
      attempt: token.attempt,
      port: null,
      input: token.input,
      output: null,
      error: null,
      logs: [],
      startedAt: token.startedAt ?? null,
      finishedAt: null,
      ...patch,
    });
  }

  activate(node: string, input: unknown): void {
    const seq = this.state.nextSeq++;
    const token: Token = { seq, node, input, attempt: 1, status: 'ready' };
    this.state.tokens.push(token);
    this.commands.push({ type: 'run', seq, stepId: this.stepId(seq), node, input, attempt: 1 });
  }

  /** A node left by `port`: remember its output, activate what follows, or note a leaf. */
  complete(token: Token, port: string, output: unknown, at: string, logs: string[] = []): void {
    this.remove(token.seq);
    this.record(token, { status: 'succeeded', port, output, logs, finishedAt: at });
    this.state.nodes[token.node] = { output, port };
    const edges = this.index.edgesFrom(token.node, port);
    if (edges.length === 0) this.state.output = output;
    for (const edge of edges) this.activate(edge.to.node, output);
  }

  fail(token: Token, error: StepError, at: string, logs: string[] = []): void {
    const node = this.index.node(token.node);
    const retry = node.retry;
    if (error.retryAfterMs !== undefined && error.retryAfterMs >= 0) {
      const until = new Date(Date.parse(at) + error.retryAfterMs).toISOString();
      this.replace({ ...token, status: 'sleeping', reason: 'retry', until, lastError: error, deferrals: (token.deferrals ?? 0) + 1 });
      this.record(token, { status: 'retrying', error, logs });
      this.commands.push({ type: 'sleep', seq: token.seq, stepId: this.stepId(token.seq), until });
      return;
    }
    const retryable = error.retryable !== false;
    const retriesUsed = token.attempt - 1 - (token.deferrals ?? 0);
    if (retry && retryable && retriesUsed < retry.max) {
      const until = new Date(Date.parse(at) + backoffMs(retry, token.attempt)).toISOString();
      this.replace({ ...token, status: 'sleeping', reason: 'retry', until, lastError: error });
      this.record(token, { status: 'retrying', error, logs });
      this.commands.push({ type: 'sleep', seq: token.seq, stepId: this.stepId(token.seq), until });
      return;
    }
    // Route the failure when the flow asked for it; otherwise the execution fails.
    if (node.onError === 'continue' || this.index.hasEdgesFrom(token.node, 'error')) {
      this.complete(token, 'error', { error: { message: error.message, code: error.code }, input: token.input }, at, logs);
      return;
    }
    this.remove(token.seq);
    this.record(token, { status: 'failed', error, logs, finishedAt: at });
    this.finish('failed', at, { ...error, node: token.node });
  }

  finish(status: 'succeeded' | 'failed' | 'cancelled', at: string, error: StepError | null = null): void {
    for (const t of this.state.tokens) {
      if (t.status === 'sleeping' || t.status === 'waiting') {
        this.commands.push({ type: 'clearWait', seq: t.seq, stepId: this.stepId(t.seq) });
      }
      if (t.status !== 'ready') this.record(t, { status: 'cancelled', finishedAt: at });
    }
    // Runs not yet started are dropped with the tokens.
    this.commands.splice(0, this.commands.length, ...this.commands.filter((c) => c.type !== 'run'));
    this.state.tokens = [];
    this.state.status = status;
    this.state.error = error;
    this.state.finishedAt = at;
    this.commands.push({ type: 'finish', status, output: this.state.output, error });
  }

  settle(at: string): void {
    if (TERMINAL_STATUSES.includes(this.state.status)) return;
    if (this.state.tokens.length === 0) return this.finish('succeeded', at);
    const active = this.state.tokens.some((t) => t.status === 'ready' || t.status === 'running');
    this.state.status = active ? 'running' : 'waiting';
  }
}

/** A step result applies only to a token that is running that very attempt. */
function isCurrentRun(token: Token | undefined, event: { attempt?: number }): token is Token {
  if (!token || (token.status !== 'ready' && token.status !== 'running')) return false;
  return event.attempt === undefined || event.attempt === token.attempt;
}

export function advance(flow: Flow, state: ExecutionState, event: StepperEvent): Advance {
  if (TERMINAL_STATUSES.includes(state.status)) return { state, commands: [], steps: [] };
  const s = new Step(flow, state);

  switch (event.type) {
    case 'start': {
      if (state.nextSeq > 0) return { state, commands: [], steps: [] };
      s.state.trigger = event.payload;
      s.state.startedAt = event.at;
      s.activate(event.trigger, event.payload);
      break;
    }
    case 'stepStarted': {
      const token = s.token(event.seq);
      if (!token || token.status !== 'ready') return { state, commands: [], steps: [] };
      const started = { ...token, status: 'running' as const, startedAt: token.startedAt ?? event.at };
      s.replace(started);
      s.record(started, { status: 'running' });
      break;
    }
    case 'stepSucceeded': {
      const token = s.token(event.seq);
      if (!isCurrentRun(token, event)) return { state, commands: [], steps: [] };
      s.complete({ ...token, startedAt: token.startedAt ?? event.startedAt }, event.port, event.output, event.at, event.logs);
      break;
    }
    case 'stepFailed': {
      const token = s.token(event.seq);
      if (!isCurrentRun(token, event)) return { state, commands: [], steps: [] };
      s.fail({ ...token, startedAt: token.startedAt ?? event.startedAt }, event.error, event.at, event.logs);
      break;
    }
    case 'stepSuspended': {
      const token = s.token(event.seq);
      if (!isCurrentRun(token, event)) return { state, commands: [], steps: [] };
      const base = { ...token, startedAt: token.startedAt ?? event.startedAt };
      const wait = event.wait;
      if ('until' in wait) {
        const next: Token = { ...base, status: 'sleeping', reason: 'delay', until: wait.until, resume: wait.resume };
        s.replace(next);
        s.record(next, { status: 'waiting', logs: event.logs ?? [] });
        s.commands.push({ type: 'sleep', seq: token.seq, stepId: s.stepId(token.seq), until: wait.until });
      } else {
        const next: Token = {
          ...base,
          status: 'waiting',
          reason: 'event',
          event: wait.event,
          correlation: wait.correlation,
          ...(wait.timeoutAt ? { until: wait.timeoutAt } : {}),
          ...(wait.timeoutPort ? { timeoutPort: wait.timeoutPort } : {}),
          ...(wait.port ? { eventPort: wait.port } : {}),
          ...(wait.portFrom ? { eventPortFrom: wait.portFrom } : {}),
          ...(wait.timeoutOutput !== undefined ? { timeoutOutput: wait.timeoutOutput } : {}),
        };
        s.replace(next);
        s.record(next, { status: 'waiting', logs: event.logs ?? [] });
        s.commands.push({
          type: 'wait',
          seq: token.seq,
          stepId: s.stepId(token.seq),
          event: wait.event,
          correlation: wait.correlation,
          ...(wait.timeoutAt ? { timeoutAt: wait.timeoutAt } : {}),
        });
      }
      break;
    }
    case 'timerFired': {
      const token = s.token(event.seq);
      if (!token || (token.status !== 'sleeping' && token.status !== 'waiting')) return { state, commands: [], steps: [] };
      if (event.due !== undefined && (token.until === undefined || Date.parse(token.until) !== event.due)) return { state, commands: [], steps: [] };
      s.commands.push({ type: 'clearWait', seq: token.seq, stepId: s.stepId(token.seq) });
      if (token.reason === 'retry') {
        const attempt = token.attempt + 1;
        const next: Token = {
          seq: token.seq,
          node: token.node,
          input: token.input,
          attempt,
          status: 'ready',
          ...(token.startedAt ? { startedAt: token.startedAt } : {}),
          ...(token.deferrals ? { deferrals: token.deferrals } : {}),
        };
        s.replace(next);
        s.commands.push({ type: 'run', seq: token.seq, stepId: s.stepId(token.seq), node: token.node, input: token.input, attempt });
      } else if (token.reason === 'delay' && token.resume) {
        s.complete(token, token.resume.port, token.resume.output, event.at);
      } else {
        s.complete(token, token.timeoutPort ?? 'timeout', token.timeoutOutput !== undefined ? token.timeoutOutput : token.input, event.at);
      }
      break;
    }
    case 'eventReceived': {
      const token = s.token(event.seq);
      if (!token || token.status !== 'waiting') return { state, commands: [], steps: [] };
      s.commands.push({ type: 'clearWait', seq: token.seq, stepId: s.stepId(token.seq) });
      s.complete(token, portOfEvent(token, event.payload), event.payload, event.at);
      break;
    }
    case 'cancel': {
      s.finish('cancelled', event.at, { code: 'cancelled', message: event.reason ?? 'execution cancelled' });
      break;
    }
    case 'quarantine': {
      const token = event.seq === undefined ? undefined : s.token(event.seq);
      if (!token) {
        s.finish('failed', event.at, event.error);
        break;
      }
      s.remove(token.seq);
      s.record(token, { status: 'failed', error: event.error, finishedAt: event.at });
      s.finish('failed', event.at, { ...event.error, node: token.node });
      break;
    }
  }
  s.settle(event.at);
  return { state: s.state, commands: s.commands, steps: s.steps };
}

/** The port an event wait leaves by: the payload's `eventPortFrom` field when it names one of its ports, else `eventPort` or `out`. */
function portOfEvent(token: Token, payload: unknown): string {
  const from = token.eventPortFrom;
  if (from && payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    const named = (payload as Record<string, unknown>)[from.field];
    if (typeof named === 'string' && from.ports.includes(named)) return named;
  }
  return token.eventPort ?? 'out';
}

/** Runs to (re)issue for an execution loaded from storage: its ready and interrupted tokens. */
export function pendingRuns(state: ExecutionState): Command[] {
  if (TERMINAL_STATUSES.includes(state.status)) return [];
  return state.tokens
    .filter((t) => t.status === 'ready' || t.status === 'running')
    .map((t) => ({ type: 'run', seq: t.seq, stepId: stepIdOf(state.executionId, t.seq), node: t.node, input: t.input, attempt: t.attempt }));
}

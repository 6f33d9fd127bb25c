// The explicit state of one execution. The stepper turns (state, event) into a new state
// plus commands; the runtime persists the state and carries out the commands.
import type { Wait } from '../node-contract/define-node.js';
import type { NodeFailureCode } from '../errors/node-failure-codes.js';

export type ExecutionStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';
export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface StepError {
  message: string;
  /** A row of NODE_FAILURE_CODES (engine/errors/node-failure-codes.ts) or one of its families. */
  code: NodeFailureCode;
  /** The node that failed, when a node failed. */
  node?: string;
  /** Where in the node the problem is, e.g. `/params/url`. */
  path?: string;
  retryable?: boolean;
  /**
   * Run the step again after this long without spending a retry (rate limits, send windows):
   * the work is deferred, never dropped.
   */
  retryAfterMs?: number;
}

/** One pending activation of a node. `seq` is its deterministic step index in the execution. */
export interface Token {
  seq: number;
  node: string;
  input: unknown;
  attempt: number;
  status: 'ready' | 'running' | 'sleeping' | 'waiting';
  startedAt?: string;
  until?: string;
  reason?: 'retry' | 'delay' | 'event';
  resume?: { port: string; output: unknown };
  event?: string;
  correlation?: string;
  timeoutPort?: string;
  /** The port an event wait leaves by when its event arrives (default `out`). */
  eventPort?: string;
  /** Wait.portFrom: the event payload's field naming the port to leave by. */
  eventPortFrom?: { field: string; ports: string[] };
  /** Wait.timeoutOutput: the output at the timeout (default: the input). */
  timeoutOutput?: unknown;
  lastError?: StepError;
  /** Runs deferred by `retryAfterMs`; they do not count against the retry policy. */
  deferrals?: number;
}

export interface ExecutionState {
  executionId: string;
  status: ExecutionStatus;
  nextSeq: number;
  trigger: unknown;
  /** node id -> latest output and port: the `$nodes` of expressions. */
  nodes: Record<string, { output: unknown; port: string }>;
  tokens: Token[];
  output: unknown;
  error: StepError | null;
  startedAt: string;
  finishedAt: string | null;
}

export type StepStatus = 'running' | 'succeeded' | 'failed' | 'retrying' | 'waiting' | 'cancelled';

/** One row of execution_steps: the record of one node activation (all its attempts). */
export interface StepRecord {
  id: string;
  executionId: string;
  seq: number;
  node: string;
  nodeType: string;
  attempt: number;
  status: StepStatus;
  port: string | null;
  input: unknown;
  output: unknown;
  error: StepError | null;
  logs: string[];
  startedAt: string | null;
  finishedAt: string | null;
}

export type StepperEvent =
  | { type: 'start'; trigger: string; payload: unknown; at: string }
  | { type: 'stepStarted'; seq: number; at: string }
  // `attempt` names the run the result belongs to: a late duplicate of an earlier attempt's
  // result (redelivery in queue mode) must not count against the current one.
  | { type: 'stepSucceeded'; seq: number; attempt?: number; port: string; output: unknown; startedAt: string; at: string; logs?: string[] }
  | { type: 'stepFailed'; seq: number; attempt?: number; error: StepError; startedAt: string; at: string; logs?: string[] }
  | { type: 'stepSuspended'; seq: number; attempt?: number; wait: Wait; startedAt: string; at: string; logs?: string[] }
  // `due` (epoch ms) names the wait that fired: a stale or duplicate fire of an earlier wait of
  // the same step (a retry re-arms it) must not start the next attempt early.
  | { type: 'timerFired'; seq: number; at: string; due?: number }
  | { type: 'eventReceived'; seq: number; payload: unknown; at: string }
  | { type: 'cancel'; at: string; reason?: string }
  // The runtime gave up on the execution: its segment was started too often without ending
  // (a step kills or wedges its process). `seq` names the step in flight, when known. The
  // execution fails with `error` whatever the node's onError says: routing the failure would
  // let the flow continue past a step that takes the process down.
  | { type: 'quarantine'; seq?: number; error: StepError; at: string };

export type Command =
  | { type: 'run'; seq: number; stepId: string; node: string; input: unknown; attempt: number }
  | { type: 'sleep'; seq: number; stepId: string; until: string }
  | { type: 'wait'; seq: number; stepId: string; event: string; correlation: string; timeoutAt?: string }
  | { type: 'clearWait'; seq: number; stepId: string }
  | { type: 'finish'; status: 'succeeded' | 'failed' | 'cancelled'; output: unknown; error: StepError | null };

export interface Advance {
  state: ExecutionState;
  commands: Command[];
  steps: StepRecord[];
}

export function stepIdOf(executionId: string, seq: number): string {
  return `${executionId}:${seq}`;
}

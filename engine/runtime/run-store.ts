// The runtime's view of storage. Sequelize lives in db/, which implements this; the engine
// never touches a database directly.
import type { Flow } from '../flow/flow.schema.js';
import type { ExecutionState, ExecutionStatus, StepError, StepRecord } from '../stepper/execution-state.js';

export interface ExecutionMeta {
  id: string;
  tenantId: string;
  flowId: string;
  flowVersion: number;
  /** The contact (lead) the execution runs for, if any. */
  subject: string | null;
  /** What started it: `webhook`, `manual`, `schedule`, `cli`, `event`, `replay`. */
  mode: string;
  /** The execution this one replays (mode `replay`). Written when the execution is created. */
  replayOf?: string | null;
}

export interface StoredExecution {
  meta: ExecutionMeta;
  state: ExecutionState;
  /** Revision of the stored row; every commit writes rev + 1 or fails (optimistic concurrency). */
  rev: number;
  /** Who drives it and until when (queue mode); null when nobody holds it. */
  lease: { owner: string; until: number } | null;
  /** Epoch ms of the last commit. */
  updatedAt: number;
  /**
   * How many times the current segment was started without reaching a wait or the end: 0 while
   * the execution waits, counted durably before a step runs (quarantine, engine/README.md).
   */
  starts: number;
}

/** What the queue reconciler needs of an execution: no state, no steps (one statement). */
export interface ExecutionHead {
  meta: ExecutionMeta;
  status: ExecutionStatus;
  rev: number;
  lease: { owner: string; until: number } | null;
  updatedAt: number;
}

export interface WaitRow {
  /** The step id; a step has at most one wait at a time. */
  id: string;
  tenantId: string;
  executionId: string;
  seq: number;
  kind: 'timer' | 'event';
  /** Epoch milliseconds when the wait is due (timer, or an event wait's timeout). */
  dueAt: number | null;
  event: string | null;
  correlation: string | null;
  /** Filled by dueWaits (queue jobs carry them for limits). */
  flowId?: string;
  flowVersion?: number;
}

/** Everything one segment of an execution writes, committed in one transaction. */
export interface ExecutionWrite {
  meta: ExecutionMeta;
  /** The revision this write creates: 1 for a new execution, else the loaded rev + 1. */
  rev: number;
  /** The process driving the execution and until when (queue mode); null releases it. */
  lease: { owner: string; until: number } | null;
  status: ExecutionStatus;
  /** StoredExecution.starts as of this write (0 when the execution waits or is over). */
  starts: number;
  state: ExecutionState;
  output: unknown;
  error: StepError | null;
  steps: StepRecord[];
  waits: WaitRow[];
  clearWaits: string[];
}

export interface RunStore {
  /**
   * Durably apply the write (grouped with others by the store as it sees fit). Rejects with
   * ExecutionConflict, writing nothing, when the stored rev is not `write.rev - 1`.
   */
  commit(write: ExecutionWrite): Promise<void>;
  loadExecution(id: string): Promise<StoredExecution | null>;
  /**
   * Executions queued or running (a stopped process left them unfinished). With
   * `leaseExpiredBefore`, only those whose lease is absent or expired by then.
   */
  listUnfinished(options?: { leaseExpiredBefore?: number; updatedBefore?: number; limit?: number }): Promise<StoredExecution[]>;
  /**
   * Heads of unfinished executions (queued or running), filtered as listUnfinished, optionally
   * restricted to `ids`: without state or steps, so a backlog of thousands costs one statement.
   */
  unfinishedHeads(options: { leaseExpiredBefore?: number; updatedBefore?: number; limit?: number; ids?: string[] }): Promise<ExecutionHead[]>;
  /** The waits among `ids` that still exist (a fired or cleared wait is deleted). */
  waitsByIds(ids: string[]): Promise<WaitRow[]>;
  /** Timer waits due at or before `before` (epoch ms), oldest first. */
  dueWaits(before: number, limit: number): Promise<WaitRow[]>;
  /** Event waits matching an event name and correlation key. */
  findEventWaits(tenantId: string, event: string, correlation: string): Promise<WaitRow[]>;
  loadFlowVersion(flowId: string, version: number): Promise<Flow | null>;
  /** Push a wait's due time back (its resume keeps failing): it must not block the others. */
  postponeWait(waitId: string, dueAt: number): Promise<void>;
  /** Extend the leases `owner` holds on these executions (queue workers' heartbeat). */
  renewLeases(owner: string, executionIds: string[], until: number): Promise<void>;
}

// Messages between the host (sandbox-pool.ts) and a sandbox process (sandbox-child.ts) over
// the IPC channel of child_process.fork. Only strings and numbers cross: the user's data
// travels as JSON text and is parsed inside the isolate (in) or by the host (out).

/** Failures a sandbox process reports for a run; the host adds the ones it detects itself. */
export type SandboxErrorCode =
  | 'code_syntax'
  | 'code_error'
  | 'code_timeout'
  | 'code_memory_limit'
  | 'code_output_not_json'
  | 'code_output_too_large'
  | 'code_cancelled'
  | 'sandbox_error';

export interface SandboxError {
  code: SandboxErrorCode;
  message: string;
  /** For code_error / code_syntax: position in the user's source (1-based). */
  line?: number;
  column?: number;
}

export interface RunRequestMessage {
  type: 'run';
  id: number;
  source: string;
  /** JSON text of `{ input, trigger, nodes, vars }`. */
  args: string;
  timeoutMs: number;
  memoryMb: number;
  maxOutputBytes: number;
}

export interface CancelMessage {
  type: 'cancel';
  id: number;
}

export interface StatsRequestMessage {
  type: 'stats';
  id: number;
}

export type HostMessage = RunRequestMessage | CancelMessage | StatsRequestMessage;

export interface ReadyMessage {
  type: 'ready';
}

export interface RunResultMessage {
  type: 'result';
  id: number;
  /** JSON text of the output when the run succeeded. */
  output?: string;
  error?: SandboxError;
  /** JSON text of the captured console lines (an array of strings). */
  logs: string;
}

export interface SandboxStats {
  pid: number;
  rss: number;
  heapUsed: number;
  external: number;
  /** Isolates alive now, and created since the process started. */
  isolates: number;
  isolatesCreated: number;
  runs: number;
}

export interface StatsResultMessage {
  type: 'stats';
  id: number;
  stats: SandboxStats;
}

export type ChildMessage = ReadyMessage | RunResultMessage | StatsResultMessage;

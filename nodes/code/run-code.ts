// runCode(): run one snippet in the sandbox with the code step's limits. Used by the code
// node, the `tadfuq code-test` command, and meant for a `POST /api/v1/code/test` endpoint.
// It never throws for anything the snippet does: every failure is a result with a code.
import { findSyntaxErrorCached } from './check-syntax.js';
import { MAX_INPUT_BYTES, MAX_OUTPUT_BYTES, MAX_SOURCE_LENGTH, MEMORY_MB, TIMEOUT_MS } from './limits.js';
import { defaultSandboxPool, type PoolRunOutcome, type SandboxPool } from './sandbox-pool.js';

export interface CodeRunRequest {
  /** The body of an async function receiving input, trigger, nodes, vars. */
  source: string;
  input?: unknown;
  trigger?: unknown;
  nodes?: Record<string, { output: unknown; port: string }>;
  vars?: Record<string, unknown>;
  /** Wall-time limit, 10..30000 (default 1000). */
  timeoutMs?: number;
  /** Isolate memory limit, 8..128 (default 32). */
  memoryMb?: number;
  signal?: AbortSignal;
}

export type CodeErrorCode =
  | 'code_invalid_request'
  | 'code_syntax'
  | 'code_input_not_json'
  | 'code_error'
  | 'code_timeout'
  | 'code_memory_limit'
  | 'code_output_not_json'
  | 'code_output_too_large'
  | 'code_cancelled'
  | 'sandbox_crashed';

export interface CodeRunError {
  code: CodeErrorCode;
  /** Human message; for code_error and code_syntax it ends with "(line L, column C)" when known. */
  message: string;
  /** Only a crashed sandbox is worth retrying: everything else would fail the same way. */
  retryable: boolean;
  line?: number;
  column?: number;
}

export type CodeRunResult =
  | { ok: true; output: unknown; logs: string[]; durationMs: number }
  | { ok: false; error: CodeRunError; logs: string[]; durationMs: number };

export interface RunCodeOptions {
  /** Defaults to the process-wide pool (defaultSandboxPool()). */
  pool?: SandboxPool;
}

function failure(code: CodeErrorCode, message: string, started: number, extra: Partial<CodeRunError> = {}, logs: string[] = []): CodeRunResult {
  return { ok: false, error: { code, message, retryable: code === 'sandbox_crashed', ...extra }, logs, durationMs: elapsed(started) };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

function limit(value: number | undefined, bounds: { min: number; max: number; default: number }, name: string): number | string {
  if (value === undefined) return bounds.default;
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) return `${name} must be an integer from ${bounds.min} to ${bounds.max}`;
  return value;
}

function parseLogs(text: string): string[] {
  try {
    const logs: unknown = JSON.parse(text);
    return Array.isArray(logs) ? logs.filter((l): l is string => typeof l === 'string') : [];
  } catch {
    return [];
  }
}

function withPosition(message: string, line: number | undefined, column: number | undefined): string {
  if (line === undefined || /\(line \d+/.test(message)) return message;
  return `${message} (line ${line}${column !== undefined ? `, column ${column}` : ''})`;
}

function fromOutcome(outcome: PoolRunOutcome, started: number): CodeRunResult {
  const logs = parseLogs(outcome.logs);
  if (outcome.output !== undefined) {
    try {
      return { ok: true, output: JSON.parse(outcome.output) as unknown, logs, durationMs: elapsed(started) };
    } catch {
      return failure('code_output_not_json', 'the output is not valid JSON', started, {}, logs);
    }
  }
  const error = outcome.error ?? { code: 'sandbox_crashed' as const, message: 'the sandbox gave no answer' };
  const code: CodeErrorCode = error.code === 'sandbox_error' ? 'sandbox_crashed' : error.code;
  const position = {
    ...(error.line !== undefined ? { line: error.line } : {}),
    ...(error.column !== undefined ? { column: error.column } : {}),
  };
  return failure(code, withPosition(error.message, error.line, error.column), started, position, logs);
}

export async function runCode(request: CodeRunRequest, options: RunCodeOptions = {}): Promise<CodeRunResult> {
  const started = performance.now();
  if (typeof request.source !== 'string') return failure('code_invalid_request', 'source must be a string', started);
  if (request.source.length > MAX_SOURCE_LENGTH) return failure('code_invalid_request', `source is longer than ${MAX_SOURCE_LENGTH} characters`, started);
  const timeoutMs = limit(request.timeoutMs, TIMEOUT_MS, 'timeoutMs');
  if (typeof timeoutMs === 'string') return failure('code_invalid_request', timeoutMs, started);
  const memoryMb = limit(request.memoryMb, MEMORY_MB, 'memoryMb');
  if (typeof memoryMb === 'string') return failure('code_invalid_request', memoryMb, started);

  const syntax = findSyntaxErrorCached(request.source);
  if (syntax) return failure('code_syntax', syntax.message, started, { line: syntax.line, column: syntax.column });

  let args: string;
  try {
    args = JSON.stringify({
      input: request.input ?? null,
      trigger: request.trigger ?? null,
      nodes: request.nodes ?? {},
      vars: request.vars ?? {},
    });
  } catch (err) {
    return failure('code_input_not_json', `the input cannot be copied into the sandbox as JSON: ${(err as Error).message}`, started);
  }
  if (args.length > MAX_INPUT_BYTES || Buffer.byteLength(args) > MAX_INPUT_BYTES) {
    return failure('code_input_not_json', `the input, trigger, nodes and vars together are larger than ${MAX_INPUT_BYTES} bytes of JSON`, started);
  }

  const pool = options.pool ?? defaultSandboxPool();
  const outcome = await pool.run({
    source: request.source,
    args,
    timeoutMs,
    memoryMb,
    maxOutputBytes: MAX_OUTPUT_BYTES,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  return fromOutcome(outcome, started);
}

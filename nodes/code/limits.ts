// Limits of the code step, shared by the node's params schema, runCode() and the sandbox.

export const TIMEOUT_MS = { min: 10, max: 30_000, default: 1_000 } as const;
export const MEMORY_MB = { min: 8, max: 128, default: 32 } as const;

/** Largest output (serialized JSON, UTF-8 bytes) a run may return. */
export const MAX_OUTPUT_BYTES = 1024 * 1024;
/** Largest source accepted (UTF-16 code units). */
export const MAX_SOURCE_LENGTH = 100_000;
/** Largest input (the serialized input, trigger, nodes and vars together) sent to a sandbox. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

/** Console lines kept per run, and the length of each (the engine keeps 200 lines of 2000). */
export const MAX_LOG_LINES = 200;
export const MAX_LOG_LINE = 2_000;

/** The name user code has in stack traces and error positions. */
export const CODE_FILENAME = 'code.js';

/**
 * The user's source is the body of this function. The prefix ends with a newline, so line 1
 * of the source is line 2 of the wrapper: positions are shifted back by one line.
 */
export const WRAPPER_PREFIX = '(async function (input, trigger, nodes, vars) {\n';
export const WRAPPER_SUFFIX = '\n})';
export const WRAPPER_LINES = 1;

import type { Runtime } from './execution-driver.js';
import type { QueueRuntime } from './queue-runtime.js';

/** Queue mode, told without loading queue-runtime.ts (and BullMQ) where it is not used. */
export function isQueueRuntime(runtime: Runtime | null | undefined): runtime is QueueRuntime {
  return (runtime as { mode?: unknown } | null | undefined)?.mode === 'queue';
}

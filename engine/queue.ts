// Queue mode's entry point: BullMQ and ioredis load only where queue mode runs (the embedded
// default never pays for them in memory or start time). engine/index.ts exports the types.
export { QueueRuntime, QUEUE_NAME, type QueueRuntimeOptions, type QueueJob, type ScheduleSpec } from './runtime/queue-runtime.js';

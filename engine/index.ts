// The engine's public surface. nodes/, db/, server/ import from here only.
export * from './flow/flow.schema.js';
export * from './flow/flow-error.js';
export { validateFlow, schemaErrors, paramsValidator, resolvedParamsValidator, type ValidationResult } from './flow/validate-flow.js';
export { outputPortsOf } from './flow/ports.js';
export * from './expressions/expression.js';
export * from './expressions/expression-budget.js';
export * from './node-contract/define-node.js';
export * from './node-contract/param-text.js';
export type * from './node-contract/sales-services.js';
export { NodeRegistry } from './node-contract/node-registry.js';
export * from './stepper/execution-state.js';
export { advance, initialState, pendingRuns, backoffMs } from './stepper/stepper.js';
export { replayStart, replayStepOf, type HistoryStep, type ReplayPlan } from './stepper/replay.js';
export type * from './runtime/run-store.js';
export { ExecutionDriver, MAX_SEGMENT_STARTS, type Runtime, type StepObservation, type DriverOptions, type ActiveRun, type StartRequest, type ExecutionResult, type Logger, type TenantPolicy } from './runtime/execution-driver.js';
export { EmbeddedRuntime, type EmbeddedRuntimeOptions } from './runtime/embedded-runtime.js';
export { KeyedLock } from './runtime/keyed-lock.js';
export { runStep, toStepError, formatLog, type StepRunnerDeps, type CredentialResolver } from './runtime/step-runner.js';
export {
  createGuardedFetch,
  isPublicAddress,
  literalAddress,
  isLocalhostName,
  hostRefusal,
  checkedLookup,
  egressDispatcher,
  dispatcherFor,
  egressRefusalIn,
  guardedConnect,
  EgressRefused,
  DENY_PRIVATE,
  ALLOW_PRIVATE,
  type EgressPolicy,
  type GuardedConnectOptions,
  type LookupFunction,
  type Resolver,
} from './runtime/egress-guard.js';
export { NodeFailure } from './errors/node-failure.error.js';
export { NODE_FAILURE_CODES, nodeFailureInfo, externalFailureCode, llmFailureCode, type NodeFailureCode, type KnownNodeFailureCode, type ExternalFailureCode, type NodeFailureCodeInfo } from './errors/node-failure-codes.js';
export { FlowInvalidError } from './errors/flow-invalid.error.js';
export { ExecutionConflict } from './errors/execution-conflict.error.js';
export { ReplayUnavailable } from './errors/replay-unavailable.error.js';
export { riyadhIso } from './time/riyadh.js';
// The class itself (and BullMQ with it) is in engine/queue.ts, loaded only in queue mode.
export type { QueueRuntime, QueueRuntimeOptions, QueueJob, ScheduleSpec } from './runtime/queue-runtime.js';
export { isQueueRuntime } from './runtime/runtime-kind.js';
export { MemoryRateLimiter, RedisRateLimiter, RateLimited, type RateLimiter, type RateLimits } from './runtime/rate-limiter.js';
export * from './outbox/index.js';
export * from './llm/index.js';
export * from './consent/consent-rule.js';
export * from './invoicing/zatca-tlv.js';

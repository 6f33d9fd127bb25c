// The engine's public surface. nodes/, db/, server/ import from here only.
export * from './flow/flow.schema.js';
export * from './flow/flow-error.js';
export { validateFlow, schemaErrors, paramsValidator, resolvedParamsValidator, type ValidationResult } from './flow/validate-flow.js';
export { outputPortsOf } from './flow/ports.js';
export * from './expressions/expression.js';
export * from './node-contract/define-node.js';
export { NodeRegistry } from './node-contract/node-registry.js';
export * from './stepper/execution-state.js';
export { advance, initialState, pendingRuns, backoffMs } from './stepper/stepper.js';
export type * from './runtime/run-store.js';
export { EmbeddedRuntime, type EmbeddedRuntimeOptions, type StartRequest, type ExecutionResult, type Logger, type TenantPolicy } from './runtime/embedded-runtime.js';
export { runStep, toStepError, type StepRunnerDeps } from './runtime/step-runner.js';
export { createGuardedFetch, isPublicAddress } from './runtime/guarded-fetch.js';
export { NodeFailure } from './errors/node-failure.error.js';
export { FlowInvalidError } from './errors/flow-invalid.error.js';
export { riyadhIso } from './time/riyadh.js';

// The code step's sandbox: what the node, the CLI and the server use.
export { runCode, type CodeRunRequest, type CodeRunResult, type CodeRunError, type CodeErrorCode, type RunCodeOptions } from './run-code.js';
export { SandboxPool, defaultIsolation, defaultSandboxPool, setDefaultSandboxPool, type SandboxPoolOptions } from './sandbox-pool.js';
export type { SandboxIsolation } from './sandbox-bootstrap.js';
export { findSyntaxError, type CodeSyntaxError } from './check-syntax.js';
export { codeTestCommand, CODE_TEST_USAGE } from './code-test-command.js';
export type { SandboxStats } from './protocol.js';
export * from './limits.js';

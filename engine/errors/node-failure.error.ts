import { nodeFailureInfo, type NodeFailureCode } from './node-failure-codes.js';

/**
 * A node failed in a way it understands. `retryable: false` skips the node's retry policy
 * (bad params, a 4xx answer); when the thrower does not say, the code's row of
 * NODE_FAILURE_CODES decides (a code outside the table: retryable). Anything else thrown by a
 * node is treated as retryable.
 */
export class NodeFailure extends Error {
  override readonly name: string = 'NodeFailure';
  readonly code: NodeFailureCode;
  readonly retryable: boolean;
  readonly path: string | undefined;
  /** Run again after this long without spending a retry (see StepError.retryAfterMs). */
  readonly retryAfterMs: number | undefined;

  constructor(code: NodeFailureCode, message: string, options: { retryable?: boolean; path?: string; cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.retryable = options.retryable ?? nodeFailureInfo(code)?.retryable ?? true;
    this.path = options.path;
    this.retryAfterMs = options.retryAfterMs;
    Object.setPrototypeOf(this, NodeFailure.prototype);
  }
}

/**
 * A node failed in a way it understands. `retryable: false` skips the node's retry policy
 * (bad params, a 4xx answer); anything else thrown by a node is treated as retryable.
 */
export class NodeFailure extends Error {
  override readonly name: string = 'NodeFailure';
  readonly code: string;
  readonly retryable: boolean;
  readonly path: string | undefined;
  /** Run again after this long without spending a retry (see StepError.retryAfterMs). */
  readonly retryAfterMs: number | undefined;

  constructor(code: string, message: string, options: { retryable?: boolean; path?: string; cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.retryable = options.retryable ?? true;
    this.path = options.path;
    this.retryAfterMs = options.retryAfterMs;
    Object.setPrototypeOf(this, NodeFailure.prototype);
  }
}

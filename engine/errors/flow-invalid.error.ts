import type { FlowError } from '../flow/flow-error.js';

/** A flow failed validation; carries every problem with its path. */
export class FlowInvalidError extends Error {
  override readonly name = 'FlowInvalidError';
  constructor(readonly errors: FlowError[]) {
    super(`flow is invalid: ${errors.length} problem(s); first: ${errors[0]?.path || '/'} ${errors[0]?.message ?? ''}`);
    Object.setPrototypeOf(this, FlowInvalidError.prototype);
  }
}

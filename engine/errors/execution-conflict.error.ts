/** Another process advanced the execution first; this writer's segment is discarded. */
export class ExecutionConflict extends Error {
  override readonly name = 'ExecutionConflict';
  constructor(readonly executionIds: string[]) {
    super(`execution advanced elsewhere: ${executionIds.join(', ')}`);
    Object.setPrototypeOf(this, ExecutionConflict.prototype);
  }
}

/**
 * A replay cannot be planned: the named step is unknown (`unknown_step`), there is nothing to
 * replay from (`nothing_to_replay`), or the stored history no longer leads to the step under
 * this flow version (`history_diverged`). Nothing was started.
 */
export class ReplayUnavailable extends Error {
  override readonly name = 'ReplayUnavailable';
  constructor(
    readonly code: 'unknown_step' | 'nothing_to_replay' | 'history_diverged',
    message: string,
  ) {
    super(message);
    Object.setPrototypeOf(this, ReplayUnavailable.prototype);
  }
}

// Group commit: writes that arrive while a transaction is in flight are committed together
// in the next one. Each caller still waits for its own durable commit; under load one
// SQLite transaction carries hundreds of execution segments instead of one.
//
// Adaptive: a batch waits one turn of the event loop (setImmediate) for company only when
// company is coming — when the previous batch carried more than one write, or more writes are
// already queued. A lone writer (c=1) starts its transaction at once instead of paying for an
// event-loop turn of waiting for writers that do not exist; under load the batches form as
// before, from the writes that arrive while a transaction is in flight plus that one turn.
export class GroupCommit<W> {
  private queue: { write: W; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private running = false;
  /** Writes in the last batch: more than one means concurrent writers are around. */
  private lastBatch = 1;

  constructor(
    private readonly writeBatch: (writes: W[]) => Promise<void>,
    private readonly maxBatch = 500,
  ) {}

  commit(write: W): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    // Let the current tick's writers join the first batch, if any are expected.
    if (this.lastBatch > 1 || this.queue.length > 1) await new Promise((r) => setImmediate(r));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.lastBatch = batch.length;
      try {
        await this.writeBatch(batch.map((b) => b.write));
        for (const b of batch) b.resolve();
      } catch (err) {
        if (batch.length === 1) batch[0]!.reject(err);
        else await this.isolate(batch);
      }
    }
    this.running = false;
  }

  /** One bad write must not fail its batch-mates: retry them one by one. */
  private async isolate(batch: { write: W; resolve: () => void; reject: (e: unknown) => void }[]): Promise<void> {
    for (const b of batch) {
      try {
        await this.writeBatch([b.write]);
        b.resolve();
      } catch (err) {
        b.reject(err);
      }
    }
  }
}

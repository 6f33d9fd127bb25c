// The embedded runtime: one process, any RunStore (SQLite by default). Waits fire from
// in-process timers (TimerWheel) fed by a poll of the waits table, so they survive restarts.
import type { ExecutionWrite } from './run-store.js';
import { ExecutionDriver, type DriverOptions } from './execution-driver.js';
import { TimerWheel } from './timer-wheel.js';

export interface EmbeddedRuntimeOptions extends DriverOptions {
  /** How often the store is polled for waits that became due (ms). */
  pollIntervalMs?: number;
}

export class EmbeddedRuntime extends ExecutionDriver {
  private readonly timers: TimerWheel;
  private readonly pollIntervalMs: number;
  private poller: NodeJS.Timeout | null = null;

  constructor(options: EmbeddedRuntimeOptions) {
    super(options);
    this.pollIntervalMs = options.pollIntervalMs ?? 15_000;
    this.timers = new TimerWheel((wait) => void this.onTimer(wait), this.pollIntervalMs * 4, () => this.now().getTime());
  }

  /** Resume what a previous process left unfinished, then start watching for due waits. */
  async start(): Promise<void> {
    this.stopping = false;
    const unfinished = await this.store.listUnfinished();
    if (unfinished.length > 0) this.log.info({ count: unfinished.length }, 'resuming unfinished executions');
    for (const stored of unfinished) {
      // Through the drive slots: a restart after a burst resumes a slot's worth at a time.
      const resume = () => this.resumeStored(stored.meta.id);
      void this.inDriveSlot(resume).catch((err) => this.log.error({ err, executionId: stored.meta.id }, 'resume failed'));
    }
    await this.poll();
    this.poller = setInterval(() => void this.poll(), this.pollIntervalMs);
    this.poller.unref();
  }

  /** Stop timers and let in-flight segments reach their commit. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    this.timers.clear();
    await this.locks.idle();
  }

  /**
   * The backlog the server's backpressure bounds: executions being driven here (each holds its
   * state in memory) plus admitted work waiting for a drive slot.
   */
  async backlog(): Promise<number> {
    return this.drivingCount();
  }

  protected afterCommit(write: ExecutionWrite): void {
    for (const w of write.waits) this.timers.schedule(w);
  }

  protected waitCleared(waitId: string): void {
    this.timers.cancel(waitId);
  }

  protected lease(): null {
    return null;
  }

  private async poll(): Promise<void> {
    if (this.stopping) return;
    try {
      const due = await this.store.dueWaits(this.now().getTime() + this.pollIntervalMs * 2, 1000);
      for (const w of due) this.timers.schedule(w);
    } catch (err) {
      this.log.error({ err }, 'polling waits failed');
    }
  }
}

// Backpressure: while the backlog is past TADFUQ_MAX_BACKLOG, webhooks and POST /events answer
// 503 `overloaded` with Retry-After instead of accepting work that would wait tens of seconds.
// Queue mode counts runnable jobs (waiting for a worker, not future timers); the embedded
// runtime counts the executions it is driving, which it holds in memory.
//
// Between a soft bound and the hard one, a request first waits (up to maxWaitMs) for the
// backlog to drain below the soft bound: a sender that retries at once (a closed loop, a
// webhook relay) is slowed down by the answer's latency instead of spending the server's CPU on
// refusals it ignores. Past the hard bound it is refused at once.
//
// The backlog is sampled, never read per request: at most one measure (one Redis round trip)
// every `refreshMs`, in the background while under the bound. While over it, a stale sample
// is refreshed before refusing (every request shares the one refresh in flight), so work is
// accepted again as soon as the backlog has drained.
import { ApiError } from '../api-error.js';

export interface BackpressureOptions {
  /** The current backlog (null: never overloaded). */
  measure: (() => Promise<number>) | null;
  /** Refuse past this backlog; 0 turns backpressure off. */
  maxBacklog: number;
  /** Past this backlog a request waits for it to drain (default: no waiting). */
  softBacklog?: number;
  /** The longest such wait; after it the request is admitted if under maxBacklog (default 2 s). */
  maxWaitMs?: number;
  refreshMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onError?: (err: unknown) => void;
}

/** Retry-After when the drain rate is unknown (the backlog did not shrink between samples). */
const DEFAULT_RETRY_S = 5;
const MAX_RETRY_S = 60;

export class Backpressure {
  private backlog = 0;
  private sampledAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | null = null;
  /** Jobs per ms the backlog shrank by between the last two samples (0: unknown or growing). */
  private drainPerMs = 0;
  private readonly refreshMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly softBacklog: number;

  constructor(private readonly options: BackpressureOptions) {
    this.refreshMs = options.refreshMs ?? 250;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.softBacklog = Math.min(options.softBacklog ?? Number.POSITIVE_INFINITY, options.maxBacklog);
  }

  get enabled(): boolean {
    return this.options.measure !== null && this.options.maxBacklog > 0;
  }

  /** Resolves when new work may be accepted; rejects with 503 `overloaded` otherwise. */
  async admit(): Promise<void> {
    if (!this.enabled) return;
    const deadline = this.now() + (this.options.maxWaitMs ?? 2000);
    for (;;) {
      const stale = this.now() - this.sampledAt >= this.refreshMs;
      if (stale) {
        const refresh = this.refresh();
        // Under the soft bound the request never waits for Redis; over it, it waits for a fresh look.
        if (this.backlog > this.softBacklog) await refresh;
      }
      if (this.backlog > this.options.maxBacklog) throw this.overloaded();
      if (this.backlog <= this.softBacklog || this.now() >= deadline) return;
      await this.sleep(Math.min(this.refreshMs, Math.max(1, deadline - this.now())));
    }
  }

  private refresh(): Promise<void> {
    this.inFlight ??= (async () => {
      try {
        const n = await this.options.measure!();
        const at = this.now();
        const dt = at - this.sampledAt;
        this.drainPerMs = Number.isFinite(dt) && dt > 0 && n < this.backlog ? (this.backlog - n) / dt : 0;
        this.backlog = n;
        this.sampledAt = at;
      } catch (err) {
        // Unknown backlog: keep the last figure, try again after refreshMs.
        this.sampledAt = this.now();
        this.options.onError?.(err);
      } finally {
        this.inFlight = null;
      }
    })();
    return this.inFlight;
  }

  /** Seconds until the backlog is back under the bound at the last measured drain rate. */
  private retryAfterS(): number {
    if (this.drainPerMs <= 0) return DEFAULT_RETRY_S;
    const s = Math.ceil((this.backlog - this.options.maxBacklog) / this.drainPerMs / 1000);
    return Math.min(MAX_RETRY_S, Math.max(1, s));
  }

  private overloaded(): ApiError {
    const s = this.retryAfterS();
    return new ApiError(
      503,
      'overloaded',
      `too much work is waiting (${this.backlog} executions, more than ${this.options.maxBacklog}): nothing was accepted, retry after ${s} s — النظام مثقل بالعمل المنتظر (${this.backlog} تنفيذًا): لم يُقبل الطلب، أعد المحاولة بعد ${s} ثانية`,
      [],
      { 'Retry-After': String(s) },
    );
  }
}

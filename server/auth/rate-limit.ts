// A fixed-window counter per key (the caller's IP), in memory: enough to blunt password
// guessing and sign-up floods from one address at one API process. Several API processes
// each count on their own (the per-account lockout in the database is the shared defence).
import { ApiError } from '../api-error.js';

export interface RateLimitOptions {
  /** Attempts allowed per window. */
  limit: number;
  windowMs: number;
  /** Most keys remembered; the oldest windows are dropped first (bounded memory under a spray). */
  maxKeys?: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Count one attempt; throws 429 `rate_limited` with Retry-After once the window is full. */
  hit(key: string, message: string): void {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.options.windowMs) {
      this.windows.delete(key);
      w = { start: now, count: 0 };
      this.windows.set(key, w);
      this.evict(now);
    }
    if (w.count >= this.options.limit) {
      const retryAfter = Math.max(1, Math.ceil((w.start + this.options.windowMs - now) / 1000));
      throw new ApiError(429, 'rate_limited', message, [], { 'Retry-After': String(retryAfter) });
    }
    w.count += 1;
  }

  private evict(now: number): void {
    const max = this.options.maxKeys ?? 10_000;
    if (this.windows.size <= max) return;
    for (const [key, w] of this.windows) {
      if (this.windows.size <= max) break;
      // Insertion order is window start order: expired ones first, then the oldest live ones.
      if (now - w.start >= this.options.windowMs || this.windows.size > max) this.windows.delete(key);
    }
  }
}

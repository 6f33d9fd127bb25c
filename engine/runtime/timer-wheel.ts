// In-process timers for due waits. Only waits due within the horizon hold a setTimeout;
// the runtime's poll loop picks up later ones from the store, so a wait of days costs
// nothing in memory and survives restarts (it lives in the waits table).
import type { WaitRow } from './run-store.js';

export class TimerWheel {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly fire: (wait: WaitRow) => void,
    private readonly horizonMs: number,
    private readonly now: () => number,
  ) {}

  schedule(wait: WaitRow): void {
    if (wait.dueAt === null || this.timers.has(wait.id)) return;
    const delay = Math.max(0, wait.dueAt - this.now());
    if (delay > this.horizonMs) return;
    const timer = setTimeout(() => {
      this.timers.delete(wait.id);
      this.fire(wait);
    }, delay);
    this.timers.set(wait.id, timer);
  }

  cancel(id: string): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
  }

  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

// A background pass run every `intervalMs` by the API process (sweeps, announcements): never
// two passes at once, failures logged (not thrown), the timer unref'd so it never keeps the
// process alive. Returns stop().
import type { Logger } from 'pino';

export function startPeriodic(name: string, pass: () => Promise<unknown>, options: { intervalMs: number; log: Logger; runNow?: boolean }): () => void {
  let running = false;
  let stopped = false;
  const run = (): void => {
    if (running || stopped) return;
    running = true;
    void pass()
      .catch((err: unknown) => {
        if (!stopped) options.log.error({ err }, `${name} failed`);
      })
      .finally(() => {
        running = false;
      });
  };
  const timer = setInterval(run, options.intervalMs);
  timer.unref();
  if (options.runNow) run();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

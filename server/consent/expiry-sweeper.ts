// The automatic consent expiry: every `intervalMs` (10 minutes by default) the API process
// marks granted consents past their expiry `expired`, each with an `expire` consent event
// (db/contacts expireDueConsents). The check at send time never relies on it — a consent past
// its expiry is invalid at once (consentDecision) — the sweep makes the status and the audit
// trail say so. Several API processes may sweep at once: each consent expires once.
import type { Logger } from 'pino';
import type { Database } from '../../db/index.js';
import { expireDueConsents } from '../../db/contacts/index.js';

export const CONSENT_SWEEP_INTERVAL_MS = 10 * 60 * 1000;

/** Start sweeping (first run right away); the timer does not keep the process alive. Returns stop(). */
export function startConsentExpirySweeper(deps: { db: Database; log: Logger }, intervalMs = CONSENT_SWEEP_INTERVAL_MS): () => void {
  let running = false;
  let stopped = false;
  const sweep = async (): Promise<void> => {
    if (running || stopped) return;
    running = true;
    try {
      const expired = await expireDueConsents(deps.db, Date.now());
      if (expired) deps.log.info({ expired }, 'consents expired');
    } catch (err) {
      if (!stopped) deps.log.error({ err }, 'consent expiry sweep failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sweep(), intervalMs);
  timer.unref();
  void sweep();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

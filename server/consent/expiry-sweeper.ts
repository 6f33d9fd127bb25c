// The automatic consent expiry: every `intervalMs` (10 minutes by default) the API process
// marks granted consents past their expiry `expired`, each with an `expire` consent event
// (db/contacts expireDueConsents). The check at send time never relies on it — a consent past
// its expiry is invalid at once (consentDecision) — the sweep makes the status and the audit
// trail say so. Several API processes may sweep at once: each consent expires once.
//
// Each sweep also announces consents that expire within EXPIRING_NOTICE_DAYS as the domain
// event `consent.expiring` (subject: the contact; data: channel, purpose, expiresAt), so a
// re-permission flow (the built-in template) asks in time. The event id names the consent and
// its expiry, so each expiry is announced once across sweeps and processes (events are
// idempotent by id); a renewal moves the expiry and is announced again next time.
import type { Logger } from 'pino';
import type { Database } from '../../db/index.js';
import { expireDueConsents } from '../../db/contacts/index.js';
import { startPeriodic } from '../periodic.js';

export const CONSENT_SWEEP_INTERVAL_MS = 10 * 60 * 1000;
export const EXPIRING_NOTICE_DAYS = 30;

/** What announcing needs of the event router (server/events/event-router.ts). */
export interface ExpiringPublisher {
  publish(tenantId: string, input: { id: string; type: string; subject?: string | null; data?: unknown }, source?: 'api' | 'crm' | 'flow'): Promise<unknown>;
}

/** Publish `consent.expiring` for granted consents expiring within the notice period; returns how many were announced (or re-announced, a no-op). */
export async function announceExpiringConsents(db: Database, events: ExpiringPublisher, now: number, noticeDays = EXPIRING_NOTICE_DAYS): Promise<number> {
  const rows = await db.sql.query(
    "SELECT id, tenant_id, contact_id, channel, purpose, expires_at FROM consents WHERE status = 'granted' AND expires_at > $1 AND expires_at <= $2 ORDER BY expires_at LIMIT 1000",
    [now, now + noticeDays * 24 * 3600 * 1000],
  );
  for (const r of rows) {
    const expiresAt = new Date(Number(r.expires_at)).toISOString();
    await events.publish(
      String(r.tenant_id),
      { id: `consent-expiring:${String(r.id)}:${Number(r.expires_at)}`, type: 'consent.expiring', subject: String(r.contact_id), data: { channel: r.channel, purpose: r.purpose, expiresAt } },
      'crm',
    );
  }
  return rows.length;
}

/** Start sweeping (first run right away); the timer does not keep the process alive. Returns stop(). */
export function startConsentExpirySweeper(deps: { db: Database; log: Logger; events?: ExpiringPublisher }, intervalMs = CONSENT_SWEEP_INTERVAL_MS): () => void {
  const sweep = async (): Promise<void> => {
    const expired = await expireDueConsents(deps.db, Date.now());
    if (expired) deps.log.info({ expired }, 'consents expired');
    if (deps.events) await announceExpiringConsents(deps.db, deps.events, Date.now());
  };
  return startPeriodic('consent expiry sweep', sweep, { intervalMs, log: deps.log, runNow: true });
}

// A consent and a consent event as the API answers them (server/schemas/crm.ts).
import type { Static } from '@sinclair/typebox';
import { consentDecision } from '../../engine/consent/consent-rule.js';
import type { Consent, ConsentEvent } from '../../db/contacts/index.js';
import { iso } from '../schemas/common.js';
import type { ConsentView, EventView } from '../schemas/crm.js';

/** A consent, with whether it permits contact at `now` and why not. */
export function consentView(c: Consent, now: number): Static<typeof ConsentView> {
  const decision = consentDecision(c, { channel: c.channel, purpose: c.purpose, at: now });
  return {
    channel: c.channel,
    purpose: c.purpose,
    status: c.status,
    grantedAt: iso(c.grantedAt),
    renewedAt: iso(c.renewedAt),
    withdrawnAt: iso(c.withdrawnAt),
    expiresAt: iso(c.expiresAt),
    source: c.source,
    evidence: c.evidence,
    updatedAt: iso(c.updatedAt)!,
    valid: decision.ok,
    reason: decision.ok ? null : decision.reason,
  };
}

export const eventView = (e: ConsentEvent): Static<typeof EventView> => ({ ...e, at: iso(e.at)! });

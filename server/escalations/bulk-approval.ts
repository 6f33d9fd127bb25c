// Class B: a bulk send above the tenant's threshold needs approval (docs/architecture.md
// "Policy classes"). requiresApproval() is the rule; the enrollments module (POST /enrollments, a bulk
// start of a sending flow for many contacts) applies it before starting anything, and when it
// holds opens a `bulk` escalation with EscalationService.openBulk({key, recipientCount, reason,
// requestedBy, dueAt}) and subscribes with onDecided('bulk', …) to start (approved) or drop
// (rejected) the send. Admins (the default assignee) decide in the same inbox as escalate steps.
import type { TenantSettings } from '../../db/index.js';

/** Recipients above which a send is bulk when the tenant sets no bulkSendThreshold. */
export const DEFAULT_BULK_SEND_THRESHOLD = 100;

/** Whether sending to `recipientCount` recipients needs approval under the tenant's settings. Pure. */
export function requiresApproval(recipientCount: number, settings: Pick<TenantSettings, 'bulkSendThreshold'>): boolean {
  const threshold = settings.bulkSendThreshold ?? DEFAULT_BULK_SEND_THRESHOLD;
  return recipientCount > threshold;
}

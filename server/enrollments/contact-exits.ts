// What must happen to a contact's sequences when the contact replies, opts out, withdraws
// consent or is erased: the enrollments it affects end within seconds (their executions are
// cancelled, the enrollment records its reason). Called by the inbound-message handler, the
// consent routes and erasure; implemented by the enrollments module.
export type ExitReason = 'replied' | 'opted_out' | 'consent_withdrawn' | 'erased';

export interface ContactExits {
  /**
   * End the contact's active enrollments that this reason affects: a reply or an erasure ends
   * all of them; an opt-out or a withdrawal ends those of flows that send on that channel
   * (all of them when the channel is unknown). Returns how many ended. Idempotent.
   */
  exit(tenantId: string, contactId: string, reason: ExitReason, channel?: string): Promise<number>;

  /**
   * An out-of-office reply: pause the contact's active enrollments that a reply would have ended
   * (flows that wait for the reply themselves get it through wait.event instead) and resume
   * them by themselves at `until`. Returns how many were paused.
   */
  pauseUntil?(tenantId: string, contactId: string, until: number): Promise<number>;
}

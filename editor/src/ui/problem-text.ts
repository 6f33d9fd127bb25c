// An API problem ({path, code, message}) as a sentence in the user's language. The API's own
// messages are English; the codes are stable, so the editor translates the ones people meet and
// shows the server's text (wrapped: "Not accepted: …") for the rest.
import type { Problem } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';

const PROBLEM_KEYS: Record<string, MessageKey> = {
  required: 'admin.err.required',
  name_taken: 'admin.err.name_taken',
  already_member: 'admin.err.already_member',
  last_owner: 'admin.err.last_owner',
  owner_required: 'admin.err.owner_required',
  role_too_high: 'admin.err.role_too_high',
  not_in_role: 'admin.err.not_in_role',
  not_held: 'admin.err.not_held',
  forbidden: 'admin.err.forbidden',
  not_found: 'admin.err.not_found',
  invalid_phone: 'contacts2.problem.invalidPhone',
  invalid_email: 'contacts2.problem.invalidEmail',
  invalid_tag: 'contacts2.problem.invalidTag',
  too_many_tags: 'contacts2.problem.tooManyTags',
  owner_not_allowed: 'contacts2.problem.ownerNotAllowed',
  empty_evidence: 'contacts2.problem.emptyEvidence',
  in_future: 'contacts2.problem.inFuture',
  expired: 'contacts2.problem.grantedTooLongAgo',
  renew_not_allowed: 'contacts2.problem.renewNotAllowed',
  flow_not_published: 'contacts2.problem.flowNotPublished',
  flow_paused: 'contacts2.problem.flowPaused',
  no_manual_trigger: 'contacts2.problem.noManualTrigger',
  enrollment_state: 'contacts2.problem.enrollmentState',
  enrollment_ended: 'contacts2.problem.enrollmentEnded',
  pause_failed: 'contacts2.problem.pauseFailed',
  resume_unavailable: 'contacts2.problem.resumeUnavailable',
  contact_erased: 'contacts2.problem.contactErased',
};

export type ProblemLike = Pick<Problem, 'code' | 'message'> & { path?: string };

export function useProblemText(): (problem: ProblemLike) => string {
  const { t } = useI18n();
  return (p) => {
    // A duplicate names its field by path (409 from contacts: the phone or the email is taken).
    if (p.code === 'duplicate' || p.code === 'duplicate_contact') return t(p.path?.endsWith('/email') ? 'contacts2.problem.duplicateEmail' : 'contacts2.problem.duplicatePhone');
    const key = PROBLEM_KEYS[p.code];
    return key ? t(key) : t('admin.err.other', { message: p.message });
  };
}

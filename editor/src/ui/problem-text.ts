// An API problem ({path, code, message}) as a sentence in the user's language. The API's own
// messages are English; the codes are stable, so the editor translates the ones people meet and
// shows the server's text (wrapped: "Not accepted: …") for the rest.
import type { Problem } from '../api/types';
import { useCallback } from 'react';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';

const PROBLEM_KEYS: Record<string, MessageKey> = {
  required: 'admin.err.required',
  duplicate_route: 'llmRouting.err.duplicate_route',
  name_taken: 'admin.err.name_taken',
  already_member: 'admin.err.already_member',
  last_owner: 'admin.err.last_owner',
  owner_required: 'admin.err.owner_required',
  role_too_high: 'admin.err.role_too_high',
  not_in_role: 'admin.err.not_in_role',
  not_held: 'admin.err.not_held',
  forbidden: 'admin.err.forbidden',
  not_found: 'admin.err.not_found',
  address_not_allowed: 'admin.err.address_not_allowed',
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

/** Flow validation codes (engine/flow/validate-flow.ts, nodes' check()) people meet while editing. */
const FLOW_PROBLEM_KEYS: Record<string, MessageKey> = {
  required: 'flowProblem.required',
  unknown_property: 'flowProblem.unknown_property',
  unknown_node_type: 'flowProblem.unknown_node_type',
  unsupported_type_version: 'flowProblem.unsupported_type_version',
  unknown_node: 'flowProblem.unknown_node',
  unknown_port: 'flowProblem.unknown_port',
  duplicate_id: 'flowProblem.duplicate_id',
  no_trigger: 'flowProblem.no_trigger',
  trigger_has_no_input: 'flowProblem.trigger_has_no_input',
  unreachable: 'flowProblem.unreachable',
  cycle: 'flowProblem.cycle',
  expression_syntax: 'flowProblem.expression_syntax',
  invalid_value: 'flowProblem.invalid_value',
  invalid_type: 'flowProblem.invalid_value',
};

/** Codes whose server message carries the detail (a bound, a pattern, a parse error). */
const DETAILED = new Set(['invalid_value', 'invalid_type', 'expression_syntax']);

/**
 * A draft's problem in the user's language: a sentence for the code, and the server's detail
 * after it when the code alone does not say everything ("must be >= 1", "give text or a
 * template"). Unknown codes keep the server's message.
 */
export function useFlowProblemText(): (problem: ProblemLike) => string {
  const { t } = useI18n();
  // Stable per language, so memoised views (the inspector's field errors) follow it.
  return useCallback(
    (p: ProblemLike) => {
      const key = FLOW_PROBLEM_KEYS[p.code];
      if (!key) return p.message;
      const withDetail = DETAILED.has(p.code) || (p.code === 'required' && !/^[\w.$-]+ is required$/.test(p.message));
      return withDetail ? `${t(key)} (${p.message})` : t(key);
    },
    [t],
  );
}

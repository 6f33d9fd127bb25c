// Every code a step can fail with, in one table: what it means, whether a failure with it is
// retried by default (a NodeFailure that says nothing else), and how the API presents it.
// The stepper reads `retryable` (NodeFailure's default); the API reads `http` (a NodeFailure
// escaping a request: server/http/domain-errors.ts) and `payloadFault` (a webhook's 422,
// server/webhooks/caller-fault.ts). The string values are stored in executions and steps:
// never rename one, only add.

export interface NodeFailureCodeInfo {
  /** What went wrong, for whoever reads a failed step. */
  readonly meaning: string;
  /** Whether the node's retry policy applies when the thrower does not say (`retryable`). */
  readonly retryable: boolean;
  /** The HTTP status when such a failure escapes an API request (else 500 internal). */
  readonly http?: number;
  /** A webhook answers 422 invalid_payload when the failing params read the caller's payload. */
  readonly payloadFault?: true;
}

const info = (meaning: string, retryable: boolean, presentation: { http?: number; payloadFault?: true } = {}): NodeFailureCodeInfo => ({ meaning, retryable, ...presentation });

export const NODE_FAILURE_CODES = {
  // The runtime's own (engine/runtime, engine/stepper).
  cancelled: info('the execution was cancelled', false),
  node_error: info('the node threw something that is not a NodeFailure (a bug or an unclassified error)', true),
  unknown_node_type: info('no node type is registered for the step', false),
  crashed_repeatedly: info('the step was in flight each time its process died; the execution is quarantined', false),
  step_timeout: info('the step did not finish within its time limit', true, { http: 504 }),
  timeout: info('an outside call or the step was aborted for taking too long', true, { http: 504 }),
  output_too_large: info('the step output is larger than an execution may store', false),
  invalid_params: info("the node's params (after expressions) do not fit its schema", false, { http: 400, payloadFault: true }),
  expression_error: info('an expression failed to evaluate', false, { http: 400, payloadFault: true }),
  expression_timeout: info('an expression ran past its time budget', false, { http: 400 }),
  expression_too_deep: info('an expression nested past its depth budget', false, { http: 400 }),
  expression_too_large: info('an expression built a value past its size budget', false, { http: 400 }),
  // Credentials (engine/runtime/step-runner.ts, server/runtime-factory.ts, the outbox).
  credential_not_found: info('the step names a credential the workspace does not have', false, { http: 400 }),
  credential_not_allowed: info('the node type may not use the credential named', false, { http: 403 }),
  credential_type_mismatch: info('the credential named is of a type the step does not accept', false, { http: 400 }),
  credential_unreadable: info('the stored credential could not be decrypted', false),
  invalid_credential: info('the credential is missing a field the call needs', false, { http: 400 }),
  // Outbound connections (engine/runtime/egress-guard.ts, http.request).
  address_not_allowed: info('the egress guard refused a private or non-public address', false, { http: 400 }),
  too_many_redirects: info('the remote server redirected too many times', false, { http: 502 }),
  invalid_url: info('the URL is not an http(s) URL', false, { http: 400 }),
  invalid_header: info('a request header is not valid', false, { http: 400 }),
  network_error: info('the connection failed before an answer', true, { http: 502 }),
  response_too_large: info('the remote answer is larger than a step may read', false, { http: 502 }),
  // Sending (nodes/shared/send-node.ts, send.message, the outbox).
  outbox_unavailable: info('this runtime has no outbox (or consent store)', false),
  no_contact: info('there is no contact to send to', false, { http: 400 }),
  no_channel: info('the contact has no address on any channel the step may use', false),
  consent_blocked: info('consent or a suppression blocked the send and the blocked port is not connected', false),
  send_deferred: info('a send window, cap or pacing deferred the send; the step runs again later', true),
  rate_limited: info('a send-rate limit was reached; the step runs again when the window reopens', true, { http: 429 }),
  send_uncertain: info('the provider may or may not have taken the message; it is never sent twice', false),
  awaiting_delivery: info('waiting for the delivery report before leaving the step', true),
  invalid_send_key: info('the send key of a message is malformed', false),
  // CRM (crm.update, server/crm).
  crm_unavailable: info('this runtime has no CRM gateway', false),
  crm_webhook_failed: info("the external CRM webhook failed (5xx, 429, network)", true, { http: 502 }),
  crm_webhook_rejected: info('the external CRM webhook refused the change (4xx)', false, { http: 502 }),
  duplicate_contact: info('another contact already has this address', false, { http: 409 }),
  not_found: info('the record the step names does not exist (or is not visible)', false, { http: 404 }),
  unknown_user: info('the user named is not a member of this workspace', false, { http: 400 }),
  unknown_contact: info('the contact named does not exist', false, { http: 400 }),
  unknown_deal: info('the deal named does not exist', false, { http: 400 }),
  contact_erased: info('the contact was erased', false, { http: 409 }),
  invalid_tag: info('a tag has forbidden characters or length', false, { http: 400 }),
  too_many_tags: info('more tags than a contact may hold', false, { http: 400 }),
  invalid_field: info('a field name or value is not valid', false, { http: 400 }),
  // Escalations (escalate, server/escalations).
  escalations_unavailable: info('this runtime has no escalation inbox', false),
  escalation_cancelled: info('the escalation was cancelled before a decision', false),
  unknown_assignee: info('the assignee is not a member who may decide escalations', false, { http: 400 }),
  payload_too_large: info('the escalation payload is larger than an escalation holds', false, { http: 413 }),
  escalation_timed_out: info('the escalation timed out before a decision', false, { http: 409 }),
  already_decided: info('the escalation was already decided', false, { http: 409 }),
  already_claimed: info('someone else claimed the escalation', false, { http: 409 }),
  users_only: info('only a signed-in user may do this, not an API key', false, { http: 403 }),
  // Events (wait.event).
  no_correlation: info('nothing says which event resumes the wait (no contact, no correlation)', false),
  // LLM (engine/llm, server/llm).
  invalid_llm_request: info('an LLM request without a user message or prompt', false, { http: 400 }),
  invalid_output_schema: info('the output schema does not compile', false, { http: 400 }),
  llm_unavailable: info('no LLM provider answered and there is no rules fallback', true, { http: 503 }),
  llm_unauthorized: info('the LLM provider refused the key (401/403)', false, { http: 502 }),
  llm_bad_request: info('the LLM provider refused the request (4xx)', false, { http: 502 }),
  llm_insecure_base_url: info('an LLM base URL that is not https', false, { http: 400 }),
  // Payments (payment.link, nodes/shared/payment-providers.ts).
  payment_provider_failed: info('the payment provider failed (5xx, 429, bad answer)', true, { http: 502 }),
  payment_provider_refused: info('the payment provider refused the request (4xx)', false, { http: 502 }),
  payment_provider_unreachable: info('the payment provider could not be reached', true, { http: 502 }),
  // Documents (ctx.documents, server/documents/: proposal.pdf's PDFs).
  invalid_document: info('a document without a file name, of a type not stored, or empty', false, { http: 400 }),
  document_too_large: info('a document larger than the store takes', false, { http: 413 }),
  // The code sandbox (nodes/code).
  code_syntax: info('the code does not parse', false),
  code_error: info('the code threw', false),
  code_timeout: info('the code ran past its time limit', false),
  code_memory_limit: info('the code used more than its memory limit', false),
  code_input_not_json: info('the input, trigger or nodes given to the code are not JSON', false),
  code_output_not_json: info('the code returned something that is not JSON', false),
  code_output_too_large: info('the code returned more than its output limit', false),
  code_cancelled: info('the run was cancelled', false),
  code_invalid_request: info('the sandbox refused the run request (limits out of range)', false, { http: 400 }),
  sandbox_error: info('the sandbox failed for a reason of its own', true),
  sandbox_crashed: info('the sandbox process died', true),
} as const satisfies Record<string, NodeFailureCodeInfo>;

export type KnownNodeFailureCode = keyof typeof NODE_FAILURE_CODES;

declare const external: unique symbol;
/**
 * A code chosen outside this table: a channel provider's answer passed on by the outbox
 * (`twilio_30007`, `whatsapp_131026`, …). Made only by externalFailureCode(), so that a
 * misspelt code of our own cannot slip through as a plain string.
 */
export type ExternalFailureCode = string & { readonly [external]: true };
export const externalFailureCode = (code: string): ExternalFailureCode => code as ExternalFailureCode;

/** The code of a refusal met by an LLM provider call (the egress guard's, mostly): `llm_<code>`. */
export const llmFailureCode = (code: NodeFailureCode): NodeFailureCode => `llm_${code}` as NodeFailureCode;

/**
 * What a step can fail with: a code of the table, the HTTP status of a remote answer
 * (http.request: `http_404`), an egress refusal met by an LLM call (`llm_address_not_allowed`),
 * or an external code.
 */
export type NodeFailureCode = KnownNodeFailureCode | `http_${number}` | `llm_${KnownNodeFailureCode}` | ExternalFailureCode;

/** The table's row for a code (the families map to their base: `llm_x` to x, `http_N` to none). */
export function nodeFailureInfo(code: string): NodeFailureCodeInfo | undefined {
  if (Object.hasOwn(NODE_FAILURE_CODES, code)) return NODE_FAILURE_CODES[code as KnownNodeFailureCode];
  if (code.startsWith('llm_') && Object.hasOwn(NODE_FAILURE_CODES, code.slice(4))) return NODE_FAILURE_CODES[code.slice(4) as KnownNodeFailureCode];
  return undefined;
}

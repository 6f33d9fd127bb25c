// Host services the sales nodes reach through their ctx (docs/architecture.md "Node contract"): the
// escalation inbox (`escalate`) and the CRM records (`crm.update`). The server implements the
// gateways (server/escalations/, server/crm/) and threads them into the runtime the way
// credentials are threaded; a node sees them already scoped to its tenant, execution and step.

export type EscalationPriority = 'low' | 'normal' | 'high' | 'urgent';

/** Who reviews an escalation: everyone holding a role, one user, or the next member of a role in turn. */
export type EscalationAssignee = { kind: 'role'; role: string } | { kind: 'user'; userId: string } | { kind: 'round_robin'; role: string };

export interface EscalationOpenRequest {
  assignee: EscalationAssignee;
  reason: string;
  priority: EscalationPriority;
  /** Epoch ms after which the escalation times out (kept from the first run when a step re-runs). */
  dueAt: number;
  /** What the human reviews (e.g. a message draft); JSON. */
  payload: unknown;
}

export interface OpenedEscalation {
  id: string;
  /** open, claimed, approved, rejected, timed_out, cancelled */
  status: string;
  /** The deadline stored with the escalation (the first run's, when the step re-runs). */
  dueAt: number;
  /** False when a re-run step found the row its earlier run created. */
  created: boolean;
  /** Already decided (a re-run step after the decision): leave by this port without waiting. */
  decided?: { port: string; output: unknown };
}

/** ctx.escalations of one step: opening is idempotent per step. */
export interface EscalationAccess {
  open(request: EscalationOpenRequest): Promise<OpenedEscalation>;
}

/** The step a service call comes from. */
export interface StepIdentity {
  tenantId: string;
  executionId: string;
  flowId: string;
  /** `executionId:seq`: the same on every attempt and re-run of the step. */
  stepId: string;
  nodeId: string;
  /** The execution's subject (a contact id), if any. */
  subject: string | null;
}

/** What the host implements (server/escalations/). */
export interface EscalationGateway {
  open(step: StepIdentity, request: EscalationOpenRequest): Promise<OpenedEscalation>;
}

export type CrmTarget = 'contact' | 'deal';

export interface CrmSet {
  score?: number | null;
  tier?: 'hot' | 'warm' | 'cold' | null;
  stage?: string;
  /** A user id (a member of the tenant), or null to clear. */
  owner?: string | null;
  tags?: { add?: string[]; remove?: string[] };
}

export interface CrmUpdateRequest {
  target: CrmTarget;
  id: string;
  set: CrmSet;
}

export interface CrmUpdateResult {
  target: CrmTarget;
  id: string;
  /** Fields this call changed (empty when everything already had the asked values). */
  changes: Record<string, { from: unknown; to: unknown }>;
  /** The record after the change, as the API shows it. */
  record: unknown;
  /** A stable id of this change (the step id): the same on every attempt, an idempotency key for the external CRM. */
  changeId: string;
  /** Domain events emitted (lead.updated, deal.updated, deal.stage_changed). */
  events: string[];
  /** The tenant's external CRM webhook (tenant setting crm.externalWebhook), if set. */
  externalWebhook: { url: string; credential?: string } | null;
}

/** ctx.crm of one step. */
export interface CrmAccess {
  update(request: CrmUpdateRequest): Promise<CrmUpdateResult>;
}

/** What the host implements (server/crm/). */
export interface CrmGateway {
  update(step: StepIdentity, request: CrmUpdateRequest): Promise<CrmUpdateResult>;
}

/** A file a node asks the host to keep (proposal.pdf's PDF). */
export interface DocumentStoreRequest {
  /** Shown and sent as the attachment's name; any script (Arabic included), no path. */
  filename: string;
  contentType: string;
  data: Uint8Array;
}

export interface StoredDocument {
  /** The document's id: what send.email `attachments` and send.whatsapp `document` take. */
  id: string;
  filename: string;
  contentType: string;
  bytes: number;
  /** Hex SHA-256 of the stored bytes. */
  sha256: string;
  /** False when a re-run step found the document its earlier run stored (that one is answered). */
  created: boolean;
}

/** ctx.documents of one step: storing is idempotent per step (one document per step). */
export interface DocumentAccess {
  store(request: DocumentStoreRequest): Promise<StoredDocument>;
}

/** What the host implements (server/documents/). */
export interface DocumentGateway {
  store(step: StepIdentity, request: DocumentStoreRequest): Promise<StoredDocument>;
}

// The escalation inbox: escalate steps (and bulk-send approvals) open escalations here; people
// claim, approve (optionally editing the payload), reject or reassign them. Opening is
// idempotent per step (UNIQUE(tenant, step_id)). Assignment: a role (everyone holding it), a
// user, or round robin over the members holding a role (an atomic counter per role). The
// assignee — or every member of the role — gets an in-app notification (email through the
// outbox is a later step). A decision is one transaction (the row, only from open/claimed, and
// its audit entry); then `escalation.decided` is delivered to the waiting step, whose wait is
// an ordinary engine wait (it survives restarts). The sweep marks escalations past their
// deadline timed_out, those whose execution ended cancelled, and re-delivers decisions a
// stopped process had not delivered.
import { AnalyticsRepository } from '../../db/analytics-repository.js';
import { startPeriodic } from '../periodic.js';
import type { Logger } from 'pino';
import { NodeFailure, type KnownNodeFailureCode, type EscalationGateway, type EscalationOpenRequest, type OpenedEscalation, type Runtime, type StepIdentity } from '../../engine/index.js';
import type { Database } from '../../db/index.js';
import type { Query } from '../../db/sql-executor.js';
import type { AuditRepository } from '../../db/audit-repository.js';
import type { UserRepository } from '../../db/user-repository.js';
import {
  EscalationRepository,
  NotificationRepository,
  PENDING_STATUSES,
  cancelOrphanedEscalations,
  expireDueEscalations,
  undeliveredDecisions,
  type Assignment,
  type Escalation,
  type EscalationKind,
  type Priority,
} from '../../db/escalation-repository.js';
import { ESCALATION_DECIDED_EVENT } from '../../nodes/escalate.node.js';
import { decisionOutput, escalationNotification } from './escalation-views.js';

/** Largest payload (JSON bytes) an escalation holds. */
export const MAX_ESCALATION_PAYLOAD_BYTES = 256 * 1024;
/** Roles that may be assigned escalations (viewers cannot decide). */
export const ASSIGNABLE_ROLES = ['owner', 'admin', 'manager', 'sales_rep'] as const;

/** A refusal of the inbox: not_found (404), conflict (409), invalid (400). */
export class EscalationRefused extends Error {
  override readonly name = 'EscalationRefused';
  constructor(
    readonly kind: 'not_found' | 'conflict' | 'invalid',
    readonly code: KnownNodeFailureCode,
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

/** Who acts: the audit actor, their user id (null for API keys) and role. */
export interface EscalationActor {
  actor: string;
  userId: string | null;
  role: string;
  requestId?: string | null;
}

export type Decision = { kind: 'approve'; edits?: unknown; note?: string } | { kind: 'reject'; note: string };

export type DecidedListener = (escalation: Escalation) => void | Promise<void>;

export interface EscalationServiceDeps {
  db: Database;
  users: UserRepository;
  audit: (tenantId: string) => AuditRepository;
  runtime: () => Runtime;
  log: Logger;
  now?: () => number;
}

/** Managers and above (and viewers, read only) see every escalation; a sales rep only theirs. */
export function seesAll(role: string): boolean {
  return role !== 'sales_rep';
}

/** Whether a member may see (and, with the permission, decide) an escalation. */
export function visibleTo(e: Escalation, who: { userId: string | null; role: string }): boolean {
  if (seesAll(who.role)) return true;
  if (e.assigneeUserId !== null) return who.userId !== null && e.assigneeUserId === who.userId;
  return e.assigneeRole === who.role;
}

interface Assigned {
  assignment: Assignment;
  userId: string | null;
  role: string | null;
}

export class EscalationService {
  private readonly now: () => number;
  private readonly listeners = new Map<EscalationKind, DecidedListener[]>();

  constructor(private readonly deps: EscalationServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  repo(tenantId: string): EscalationRepository {
    return new EscalationRepository(this.deps.db, tenantId);
  }

  notifications(tenantId: string): NotificationRepository {
    return new NotificationRepository(this.deps.db, tenantId);
  }

  /** Be told of decisions on escalations of a kind (`bulk`: the enrollments module releases or drops the send). */
  onDecided(kind: EscalationKind, listener: DecidedListener): void {
    this.listeners.set(kind, [...(this.listeners.get(kind) ?? []), listener]);
  }

  /** Resolve an assignee inside the transaction (round robin takes the next position). */
  private async assign(tenantId: string, assignee: EscalationOpenRequest['assignee'], q: Query): Promise<Assigned> {
    if (assignee.kind === 'user') {
      const member = await this.deps.users.membership(tenantId, assignee.userId);
      if (!member || !(ASSIGNABLE_ROLES as readonly string[]).includes(member.role)) {
        throw new EscalationRefused('invalid', 'unknown_assignee', `${assignee.userId} is not a member of this tenant who may decide escalations`, '/params/assignee/userId');
      }
      return { assignment: 'user', userId: assignee.userId, role: member.role };
    }
    if (assignee.kind === 'round_robin') {
      const members = (await this.deps.users.members(tenantId)).filter((m) => m.role === assignee.role);
      // Nobody holds the role: it stays with the role (managers see it and may reassign it).
      if (members.length === 0) return { assignment: 'round_robin', userId: null, role: assignee.role };
      const position = await this.repo(tenantId).nextRotation(assignee.role, q);
      return { assignment: 'round_robin', userId: members[position % members.length]!.userId, role: assignee.role };
    }
    return { assignment: 'role', userId: null, role: assignee.role };
  }

  /** Notify the assignee, or every member of the role while nobody holds it. */
  private async notify(tenantId: string, e: Escalation, q: Query, kind = 'escalation.assigned'): Promise<void> {
    const recipients = e.assigneeUserId !== null ? [e.assigneeUserId] : (await this.deps.users.members(tenantId)).filter((m) => m.role === e.assigneeRole).map((m) => m.userId);
    const notifications = this.notifications(tenantId);
    for (const userId of recipients) await notifications.create({ userId, ...escalationNotification(e, kind) }, q, this.now());
  }

  /** Open an escalation once per `stepId`: a second call answers the first one's row. */
  async open(
    tenantId: string,
    request: EscalationOpenRequest & { kind: EscalationKind; stepId: string; executionId?: string | null; flowId?: string | null; nodeId?: string | null; contactId?: string | null },
  ): Promise<{ escalation: Escalation; created: boolean }> {
    const size = Buffer.byteLength(JSON.stringify(request.payload ?? null));
    if (size > MAX_ESCALATION_PAYLOAD_BYTES) throw new EscalationRefused('invalid', 'payload_too_large', `the payload is ${size} bytes; an escalation holds at most ${MAX_ESCALATION_PAYLOAD_BYTES}`, '/params/payload');
    let result!: { escalation: Escalation; created: boolean };
    await this.deps.db.sql.transaction(async (q) => {
      const repo = this.repo(tenantId);
      const existing = await repo.byStep(request.stepId, q);
      if (existing) {
        result = { escalation: existing, created: false };
        return;
      }
      const assigned = await this.assign(tenantId, request.assignee, q);
      result = await repo.insert(
        {
          kind: request.kind,
          stepId: request.stepId,
          executionId: request.executionId ?? null,
          flowId: request.flowId ?? null,
          nodeId: request.nodeId ?? null,
          contactId: request.contactId ?? null,
          assignment: assigned.assignment,
          assigneeUserId: assigned.userId,
          assigneeRole: assigned.role,
          reason: request.reason,
          priority: request.priority as Priority,
          payload: request.payload ?? null,
          dueAt: request.dueAt,
        },
        q,
        this.now(),
      );
      if (result.created) await this.notify(tenantId, result.escalation, q);
      // Step analytics: an escalation of the contact counts for its last message in this flow.
      if (result.created && request.contactId) await new AnalyticsRepository(this.deps.db, tenantId).touch(q, request.contactId, 'escalated', this.now(), { flowId: request.flowId ?? null });
    });
    return result;
  }

  /** ctx.escalations for the runtime: refusals become step failures retrying cannot fix. */
  gateway(): EscalationGateway {
    return {
      open: async (step: StepIdentity, request: EscalationOpenRequest): Promise<OpenedEscalation> => {
        try {
          const { escalation: e, created } = await this.open(step.tenantId, {
            ...request,
            kind: 'step',
            stepId: step.stepId,
            executionId: step.executionId,
            flowId: step.flowId,
            nodeId: step.nodeId,
            contactId: step.subject,
          });
          const decided = e.status === 'approved' || e.status === 'rejected' ? { port: e.status, output: decisionOutput(e) } : undefined;
          return { id: e.id, status: e.status, dueAt: e.dueAt ?? request.dueAt, created, ...(decided ? { decided } : {}) };
        } catch (err) {
          if (err instanceof EscalationRefused) throw new NodeFailure(err.code, err.message, { retryable: false, ...(err.path ? { path: err.path } : {}) });
          throw err;
        }
      },
    };
  }

  /** A bulk send above the tenant's threshold waiting for approval (server/escalations/bulk-approval.ts). */
  async openBulk(
    tenantId: string,
    request: { key: string; recipientCount: number; reason: string; payload?: unknown; requestedBy: string; assignee?: EscalationOpenRequest['assignee']; dueAt: number; priority?: Priority },
  ): Promise<{ escalation: Escalation; created: boolean }> {
    return this.open(tenantId, {
      kind: 'bulk',
      stepId: `bulk:${request.key}`,
      assignee: request.assignee ?? { kind: 'role', role: 'admin' },
      reason: request.reason,
      priority: request.priority ?? 'high',
      dueAt: request.dueAt,
      payload: { recipientCount: request.recipientCount, requestedBy: request.requestedBy, ...(request.payload === undefined ? {} : { details: request.payload }) },
    });
  }

  /** The escalation if `who` may see it; not_found otherwise (another tenant's id too). */
  async visible(tenantId: string, id: string, who: { userId: string | null; role: string }): Promise<Escalation> {
    const e = await this.repo(tenantId).byId(id);
    if (!e || !visibleTo(e, who)) throw new EscalationRefused('not_found', 'not_found', 'escalation not found');
    return e;
  }

  /** Lock a pending escalation `who` may see, inside the transaction; refusals say why not. */
  private async lockPending(tenantId: string, id: string, who: EscalationActor, q: Query): Promise<Escalation> {
    const e = await this.repo(tenantId).lock(id, q);
    if (!e || !visibleTo(e, who)) throw new EscalationRefused('not_found', 'not_found', 'escalation not found');
    if (!PENDING_STATUSES.includes(e.status)) throw new EscalationRefused('conflict', 'already_decided', `the escalation is already ${e.status}`);
    return e;
  }

  /** Past its deadline, or its execution ended: record why (committed), then refuse. */
  private async expired(tenantId: string, e: Escalation, q: Query): Promise<'timed_out' | 'cancelled' | null> {
    if (e.dueAt !== null && e.dueAt <= this.now()) return 'timed_out';
    if (e.kind === 'step' && e.executionId) {
      const rows = await q('SELECT status FROM executions WHERE tenant_id = $1 AND id = $2', [tenantId, e.executionId]);
      const status = rows[0] ? String(rows[0].status) : null;
      if (status === null || status === 'succeeded' || status === 'failed' || status === 'cancelled') return 'cancelled';
    }
    return null;
  }

  async claim(tenantId: string, id: string, who: EscalationActor): Promise<Escalation> {
    if (!who.userId) throw new EscalationRefused('invalid', 'users_only', 'an API key cannot claim an escalation');
    let refused: EscalationRefused | null = null;
    await this.deps.db.sql.transaction(async (q) => {
      const e = await this.lockPending(tenantId, id, who, q);
      if (e.status === 'claimed') {
        if (e.claimedBy !== who.userId) refused = new EscalationRefused('conflict', 'already_claimed', 'someone else claimed this escalation');
        return;
      }
      const gone = await this.expired(tenantId, e, q);
      if (gone) {
        await this.repo(tenantId).update(id, { status: gone }, q, this.now());
        refused = new EscalationRefused('conflict', `escalation_${gone}`, `the escalation ${gone === 'timed_out' ? 'timed out' : 'was cancelled'}`);
        return;
      }
      await this.repo(tenantId).update(id, { status: 'claimed', claimedBy: who.userId, claimedAt: this.now(), assigneeUserId: who.userId }, q, this.now());
      await this.deps.audit(tenantId).record({ actor: who.actor, action: 'escalation.claimed', target: `escalation:${id}`, requestId: who.requestId ?? null }, q);
    });
    if (refused) throw refused;
    return (await this.repo(tenantId).byId(id))!;
  }

  /** Approve or reject: one transaction (row + audit), then the waiting step is resumed. A second decision is a conflict. */
  async decide(tenantId: string, id: string, decision: Decision, who: EscalationActor): Promise<Escalation> {
    let refused: EscalationRefused | null = null;
    await this.deps.db.sql.transaction(async (q) => {
      const e = await this.lockPending(tenantId, id, who, q);
      if (e.status === 'claimed' && !seesAll(who.role) && e.claimedBy !== who.userId) throw new EscalationRefused('not_found', 'not_found', 'escalation not found');
      const gone = await this.expired(tenantId, e, q);
      if (gone) {
        await this.repo(tenantId).update(id, { status: gone }, q, this.now());
        refused = new EscalationRefused('conflict', `escalation_${gone}`, `the escalation ${gone === 'timed_out' ? 'timed out' : 'was cancelled'}; it can no longer be decided`);
        return;
      }
      const status = decision.kind === 'approve' ? 'approved' : 'rejected';
      const edits = decision.kind === 'approve' && decision.edits !== undefined ? decision.edits : null;
      await this.repo(tenantId).update(id, { status, decidedBy: who.actor, decidedAt: this.now(), decisionNote: decision.note ?? null, edits }, q, this.now());
      await this.deps.audit(tenantId).record(
        {
          actor: who.actor,
          action: `escalation.${status}`,
          target: `escalation:${id}`,
          details: { kind: e.kind, executionId: e.executionId, edited: edits !== null, note: decision.note ?? null },
          requestId: who.requestId ?? null,
        },
        q,
      );
    });
    if (refused) throw refused;
    const decided = (await this.repo(tenantId).byId(id))!;
    await this.deliver(tenantId, decided);
    return decided;
  }

  /** Resume the step waiting for this decision (a no-op when nothing waits), then tell listeners. */
  private async deliver(tenantId: string, e: Escalation): Promise<void> {
    if (e.kind === 'step') {
      try {
        await this.deps.runtime().deliverEvent(tenantId, ESCALATION_DECIDED_EVENT, e.id, decisionOutput(e));
      } catch (err) {
        // Committed: the sweep delivers it again.
        this.deps.log.error({ err, tenantId, escalationId: e.id }, 'delivering an escalation decision failed');
      }
    }
    for (const listener of this.listeners.get(e.kind) ?? []) {
      try {
        await listener(e);
      } catch (err) {
        this.deps.log.error({ err, tenantId, escalationId: e.id }, 'escalation listener failed');
      }
    }
  }

  /** Hand a pending escalation to a member or a role (back to open; the new assignee is notified). */
  async reassign(tenantId: string, id: string, to: { userId: string } | { role: string }, who: EscalationActor): Promise<Escalation> {
    // Looked up first: another tenant's escalation is 404 whatever the body names.
    await this.visible(tenantId, id, who);
    let assigned: Assigned;
    if ('userId' in to) {
      const member = await this.deps.users.membership(tenantId, to.userId);
      if (!member || !(ASSIGNABLE_ROLES as readonly string[]).includes(member.role)) {
        throw new EscalationRefused('invalid', 'unknown_user', `${to.userId} is not a member who may decide escalations`, '/body/userId');
      }
      assigned = { assignment: 'user', userId: to.userId, role: member.role };
    } else {
      assigned = { assignment: 'role', userId: null, role: to.role };
    }
    await this.deps.db.sql.transaction(async (q) => {
      const e = await this.lockPending(tenantId, id, who, q);
      const repo = this.repo(tenantId);
      await repo.update(id, { status: 'open', assignment: assigned.assignment, assigneeUserId: assigned.userId, assigneeRole: assigned.role, claimedBy: null, claimedAt: null }, q, this.now());
      await this.deps.audit(tenantId).record(
        {
          actor: who.actor,
          action: 'escalation.reassigned',
          target: `escalation:${id}`,
          details: { from: { userId: e.assigneeUserId, role: e.assigneeRole }, to: { userId: assigned.userId, role: assigned.role } },
          requestId: who.requestId ?? null,
        },
        q,
      );
      await this.notify(tenantId, (await repo.byId(id, q))!, q, 'escalation.reassigned');
    });
    return (await this.repo(tenantId).byId(id))!;
  }

  /** Expire, cancel orphans, re-deliver undelivered decisions. */
  async sweep(): Promise<{ timedOut: number; cancelled: number; redelivered: number }> {
    const now = this.now();
    const timedOut = await expireDueEscalations(this.deps.db, now);
    const cancelled = await cancelOrphanedEscalations(this.deps.db, now);
    const pending = await undeliveredDecisions(this.deps.db);
    for (const e of pending) await this.deps.runtime().deliverEvent(e.tenantId, ESCALATION_DECIDED_EVENT, e.id, decisionOutput(e));
    return { timedOut: timedOut.length, cancelled: cancelled.length, redelivered: pending.length };
  }
}

/** Sweep every `intervalMs` (API process). Returns stop(). */
export function startEscalationSweeper(service: EscalationService, log: Logger, intervalMs = 60_000): () => void {
  return startPeriodic('escalation sweep', () => service.sweep(), { intervalMs, log });
}

// Escalations (human approval / hand-off) and members' notifications, tenant-scoped: every
// query names tenant_id, so another tenant's id reads as "not found". One escalation per step
// (UNIQUE(tenant, step_id)): a re-run escalate step finds the row its earlier run created.
// The sweeps at the end read across tenants (a system component, like the schedulers).
import { v7 as uuidv7 } from 'uuid';
import type { Database } from './database.js';
import { parseJsonColumn, type Query, type Row } from './sql-executor.js';

export const ESCALATION_STATUSES = ['open', 'claimed', 'approved', 'rejected', 'timed_out', 'cancelled'] as const;
export type EscalationStatus = (typeof ESCALATION_STATUSES)[number];
/** Statuses a decision, claim or reassignment may start from. */
export const PENDING_STATUSES: readonly EscalationStatus[] = ['open', 'claimed'];
export const ESCALATION_KINDS = ['step', 'bulk'] as const;
export type EscalationKind = (typeof ESCALATION_KINDS)[number];
export const ASSIGNMENTS = ['role', 'user', 'round_robin'] as const;
export type Assignment = (typeof ASSIGNMENTS)[number];
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface Escalation {
  id: string;
  kind: EscalationKind;
  stepId: string;
  executionId: string | null;
  flowId: string | null;
  nodeId: string | null;
  contactId: string | null;
  assignment: Assignment;
  assigneeUserId: string | null;
  assigneeRole: string | null;
  reason: string;
  priority: Priority;
  payload: unknown;
  status: EscalationStatus;
  claimedBy: string | null;
  claimedAt: number | null;
  decidedBy: string | null;
  decidedAt: number | null;
  decisionNote: string | null;
  edits: unknown;
  dueAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export type NewEscalation = Pick<Escalation, 'kind' | 'stepId' | 'executionId' | 'flowId' | 'nodeId' | 'contactId' | 'assignment' | 'assigneeUserId' | 'assigneeRole' | 'reason' | 'priority' | 'payload' | 'dueAt'>;

/** Who may see an escalation besides managers: the assignee, or members of its role while nobody holds it. */
export interface Viewer {
  userId: string | null;
  role: string;
}

export interface EscalationFilter {
  statuses?: readonly EscalationStatus[];
  /** Only what this member may see (sales reps). */
  visibleTo?: Viewer;
  /** Only what is assigned to this member, or to their role while nobody holds it. */
  mine?: Viewer;
  kind?: EscalationKind;
  limit: number;
  /** The id of the previous page's last row (newest first). */
  before?: string;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function escalationOf(r: Row): Escalation {
  return {
    id: String(r.id),
    kind: String(r.kind) as EscalationKind,
    stepId: String(r.step_id),
    executionId: str(r.execution_id),
    flowId: str(r.flow_id),
    nodeId: str(r.node_id),
    contactId: str(r.contact_id),
    assignment: String(r.assignment) as Assignment,
    assigneeUserId: str(r.assignee_user_id),
    assigneeRole: str(r.assignee_role),
    reason: String(r.reason),
    priority: String(r.priority) as Priority,
    payload: parseJsonColumn(r.payload),
    status: String(r.status) as EscalationStatus,
    claimedBy: str(r.claimed_by),
    claimedAt: num(r.claimed_at),
    decidedBy: str(r.decided_by),
    decidedAt: num(r.decided_at),
    decisionNote: str(r.decision_note),
    edits: parseJsonColumn(r.edits),
    dueAt: num(r.due_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** SQL for "this member may see it" with parameters starting at $n. */
function visibility(v: Viewer, args: unknown[]): string {
  args.push(v.userId ?? '\u0000none', v.role);
  const user = `$${args.length - 1}`;
  const role = `$${args.length}`;
  return `(assignee_user_id = ${user} OR (assignee_user_id IS NULL AND assignee_role = ${role}))`;
}

export type EscalationChange = Partial<Pick<Escalation, 'status' | 'assignment' | 'assigneeUserId' | 'assigneeRole' | 'claimedBy' | 'claimedAt' | 'decidedBy' | 'decidedAt' | 'decisionNote' | 'edits'>>;

const CHANGE_COLUMNS: Record<keyof EscalationChange, string> = {
  status: 'status',
  assignment: 'assignment',
  assigneeUserId: 'assignee_user_id',
  assigneeRole: 'assignee_role',
  claimedBy: 'claimed_by',
  claimedAt: 'claimed_at',
  decidedBy: 'decided_by',
  decidedAt: 'decided_at',
  decisionNote: 'decision_note',
  edits: 'edits',
};

export class EscalationRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  private get forUpdate(): string {
    return this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
  }

  async byId(id: string, query?: Query): Promise<Escalation | null> {
    const rows = await (query ?? this.db.sql.query)('SELECT * FROM escalations WHERE tenant_id = $1 AND id = $2', [this.tenantId, id]);
    return rows[0] ? escalationOf(rows[0]) : null;
  }

  async byStep(stepId: string, query?: Query): Promise<Escalation | null> {
    const rows = await (query ?? this.db.sql.query)('SELECT * FROM escalations WHERE tenant_id = $1 AND step_id = $2', [this.tenantId, stepId]);
    return rows[0] ? escalationOf(rows[0]) : null;
  }

  /** Read and lock the row until the transaction ends: decisions on one escalation serialise here. */
  async lock(id: string, query: Query): Promise<Escalation | null> {
    const rows = await query(`SELECT * FROM escalations WHERE tenant_id = $1 AND id = $2${this.forUpdate}`, [this.tenantId, id]);
    return rows[0] ? escalationOf(rows[0]) : null;
  }

  /** Insert unless the step already has one; answers the step's row and whether this call created it. */
  async insert(row: NewEscalation, query: Query, now = Date.now()): Promise<{ escalation: Escalation; created: boolean }> {
    const id = uuidv7();
    const inserted = await query(
      `INSERT INTO escalations (id, tenant_id, kind, step_id, execution_id, flow_id, node_id, contact_id, assignment, assignee_user_id, assignee_role,
                                reason, priority, payload, status, due_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'open', $15, $16, $16)
       ON CONFLICT (tenant_id, step_id) DO NOTHING RETURNING id`,
      [
        id,
        this.tenantId,
        row.kind,
        row.stepId,
        row.executionId,
        row.flowId,
        row.nodeId,
        row.contactId,
        row.assignment,
        row.assigneeUserId,
        row.assigneeRole,
        row.reason,
        row.priority,
        row.payload === undefined ? null : JSON.stringify(row.payload),
        row.dueAt,
        now,
      ],
    );
    const escalation = await this.byStep(row.stepId, query);
    if (!escalation) throw new Error(`escalation of step ${row.stepId} vanished`);
    return { escalation, created: inserted.length > 0 };
  }

  async update(id: string, change: EscalationChange, query: Query, now = Date.now()): Promise<void> {
    const args: unknown[] = [this.tenantId, id, now];
    const set = ['updated_at = $3'];
    for (const [key, column] of Object.entries(CHANGE_COLUMNS) as [keyof EscalationChange, string][]) {
      const value = change[key];
      if (value === undefined) continue;
      args.push(key === 'edits' ? (value === null ? null : JSON.stringify(value)) : value);
      set.push(`${column} = $${args.length}`);
    }
    await query(`UPDATE escalations SET ${set.join(', ')} WHERE tenant_id = $1 AND id = $2`, args);
  }

  /** Newest first. */
  async list(filter: EscalationFilter): Promise<Escalation[]> {
    const args: unknown[] = [this.tenantId];
    const where = ['tenant_id = $1'];
    if (filter.statuses?.length) {
      const marks = filter.statuses.map((s) => {
        args.push(s);
        return `$${args.length}`;
      });
      where.push(`status IN (${marks.join(', ')})`);
    }
    if (filter.kind) {
      args.push(filter.kind);
      where.push(`kind = $${args.length}`);
    }
    if (filter.visibleTo) where.push(visibility(filter.visibleTo, args));
    if (filter.mine) where.push(visibility(filter.mine, args));
    if (filter.before) {
      args.push(filter.before);
      where.push(`id < $${args.length}`);
    }
    args.push(filter.limit);
    const rows = await this.db.sql.query(`SELECT * FROM escalations WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${args.length}`, args);
    return rows.map(escalationOf);
  }

  /** The next round-robin position of `role` (0, 1, 2, …), atomically, inside the caller's transaction. */
  async nextRotation(role: string, query: Query): Promise<number> {
    const rows = await query(
      `INSERT INTO escalation_rotation (tenant_id, role, position) VALUES ($1, $2, 0)
       ON CONFLICT (tenant_id, role) DO UPDATE SET position = escalation_rotation.position + 1
       RETURNING position`,
      [this.tenantId, role],
    );
    return Number(rows[0]?.position ?? 0);
  }
}

/** Escalations of any tenant still pending past their deadline: marked timed_out. Returns them. */
export async function expireDueEscalations(db: Database, now: number): Promise<{ tenantId: string; id: string }[]> {
  let expired: Row[] = [];
  await db.sql.transaction(async (q) => {
    expired = await q(
      `UPDATE escalations SET status = 'timed_out', updated_at = $1
        WHERE status IN ('open', 'claimed') AND due_at IS NOT NULL AND due_at <= $1
        RETURNING tenant_id, id`,
      [now],
    );
  });
  return expired.map((r) => ({ tenantId: String(r.tenant_id), id: String(r.id) }));
}

/** Pending step escalations whose execution ended (cancelled, failed, erased): marked cancelled. */
export async function cancelOrphanedEscalations(db: Database, now: number): Promise<{ tenantId: string; id: string }[]> {
  let cancelled: Row[] = [];
  await db.sql.transaction(async (q) => {
    cancelled = await q(
      `UPDATE escalations SET status = 'cancelled', updated_at = $1
        WHERE status IN ('open', 'claimed') AND kind = 'step' AND execution_id IS NOT NULL
          AND EXISTS (SELECT 1 FROM executions x WHERE x.id = escalations.execution_id AND x.tenant_id = escalations.tenant_id
                      AND x.status IN ('succeeded', 'failed', 'cancelled'))
        RETURNING tenant_id, id`,
      [now],
    );
  });
  return cancelled.map((r) => ({ tenantId: String(r.tenant_id), id: String(r.id) }));
}

/**
 * Decided escalations whose execution still waits for the decision (the process stopped
 * between committing the decision and delivering it): deliver them again.
 */
export async function undeliveredDecisions(db: Database, limit = 100): Promise<(Escalation & { tenantId: string })[]> {
  const rows = await db.sql.query(
    `SELECT e.* FROM escalations e JOIN waits w ON w.tenant_id = e.tenant_id AND w.event = 'escalation.decided' AND w.correlation = e.id
      WHERE e.status IN ('approved', 'rejected') ORDER BY e.decided_at LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({ ...escalationOf(r), tenantId: String(r.tenant_id) }));
}

export interface Notification {
  id: string;
  userId: string;
  kind: string;
  title: { ar: string; en: string };
  body: string | null;
  link: string | null;
  createdAt: number;
  readAt: number | null;
}

export type NewNotification = Pick<Notification, 'userId' | 'kind' | 'title' | 'body' | 'link'>;

function notificationOf(r: Row): Notification {
  return {
    id: String(r.id),
    userId: String(r.user_id),
    kind: String(r.kind),
    title: { ar: String(r.title_ar), en: String(r.title_en) },
    body: str(r.body),
    link: str(r.link),
    createdAt: Number(r.created_at),
    readAt: num(r.read_at),
  };
}

/** A member's in-app notifications (the escalation inbox pings them here). */
export class NotificationRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  async create(n: NewNotification, query: Query, now = Date.now()): Promise<string> {
    const id = uuidv7();
    await query('INSERT INTO notifications (id, tenant_id, user_id, kind, title_ar, title_en, body, link, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
      id,
      this.tenantId,
      n.userId,
      n.kind,
      n.title.ar.slice(0, 300),
      n.title.en.slice(0, 300),
      n.body,
      n.link,
      now,
    ]);
    return id;
  }

  /** Newest first. */
  async list(userId: string, options: { unread?: boolean; limit: number; before?: string }): Promise<Notification[]> {
    const args: unknown[] = [this.tenantId, userId];
    const where = ['tenant_id = $1', 'user_id = $2'];
    if (options.unread) where.push('read_at IS NULL');
    if (options.before) {
      args.push(options.before);
      where.push(`id < $${args.length}`);
    }
    args.push(options.limit);
    const rows = await this.db.sql.query(`SELECT * FROM notifications WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${args.length}`, args);
    return rows.map(notificationOf);
  }

  async unreadCount(userId: string): Promise<number> {
    const rows = await this.db.sql.query('SELECT COUNT(*) AS n FROM notifications WHERE tenant_id = $1 AND user_id = $2 AND read_at IS NULL', [this.tenantId, userId]);
    return Number(rows[0]?.n ?? 0);
  }

  /** Mark one of the user's notifications read (idempotent); null when it is not theirs. */
  async markRead(userId: string, id: string, now = Date.now()): Promise<Notification | null> {
    let row: Row | undefined;
    await this.db.sql.transaction(async (q) => {
      await q('UPDATE notifications SET read_at = $4 WHERE tenant_id = $1 AND user_id = $2 AND id = $3 AND read_at IS NULL', [this.tenantId, userId, id, now]);
      row = (await q('SELECT * FROM notifications WHERE tenant_id = $1 AND user_id = $2 AND id = $3', [this.tenantId, userId, id]))[0];
    });
    return row ? notificationOf(row) : null;
  }
}

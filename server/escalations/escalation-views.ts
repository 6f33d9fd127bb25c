// How escalations look: in API answers (EscalationView), to the waiting step (decisionOutput:
// the approved/rejected port's output) and in members' notifications (Arabic and English).
import { Type, type Static } from '@sinclair/typebox';
import { riyadhIso } from '../../engine/index.js';
import type { Escalation, Notification, Priority } from '../../db/escalation-repository.js';
import { Nullable, Timestamp, iso, named } from '../schemas/common.js';
import { EscalationView } from '../schemas/escalations.js';

export { EscalationView };

export function escalationView(e: Escalation): EscalationView {
  return {
    id: e.id,
    kind: e.kind,
    status: e.status,
    priority: e.priority,
    reason: e.reason,
    payload: e.payload,
    assignment: e.assignment,
    assignee: { userId: e.assigneeUserId, role: e.assigneeRole },
    executionId: e.executionId,
    flowId: e.flowId,
    nodeId: e.nodeId,
    contactId: e.contactId,
    claimedBy: e.claimedBy,
    claimedAt: iso(e.claimedAt),
    decidedBy: e.decidedBy,
    decidedAt: iso(e.decidedAt),
    note: e.decisionNote,
    edits: e.edits,
    dueAt: iso(e.dueAt),
    dueAtRiyadh: e.dueAt === null ? null : riyadhIso(new Date(e.dueAt)),
    createdAt: iso(e.createdAt)!,
    updatedAt: iso(e.updatedAt)!,
  };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The payload after the reviewer's edits: objects merge field by field (edits win); anything else is replaced. Pure. */
export function applyEdits(payload: unknown, edits: unknown): unknown {
  if (edits === null || edits === undefined) return payload;
  if (isPlainObject(payload) && isPlainObject(edits)) return { ...payload, ...edits };
  return edits;
}

/** `user:<id>` → the user id (what a flow can use, e.g. as an owner); API keys stay `apikey:<id>`. */
export function deciderOf(actor: string | null): string | null {
  if (actor === null) return null;
  return actor.startsWith('user:') ? actor.slice('user:'.length) : actor;
}

/** What the waiting escalate step leaves with (the event payload of escalation.decided). */
export function decisionOutput(e: Escalation): Record<string, unknown> {
  const common = { escalationId: e.id, decidedBy: deciderOf(e.decidedBy), decidedAt: iso(e.decidedAt), note: e.decisionNote };
  if (e.status === 'approved') return { decision: 'approved', ...common, payload: applyEdits(e.payload, e.edits), edited: e.edits !== null && e.edits !== undefined };
  return { decision: 'rejected', ...common, payload: e.payload };
}

const PRIORITY_LABELS: Record<Priority, { ar: string; en: string }> = {
  low: { ar: 'منخفضة', en: 'low' },
  normal: { ar: 'عادية', en: 'normal' },
  high: { ar: 'عالية', en: 'high' },
  urgent: { ar: 'عاجلة', en: 'urgent' },
};

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The in-app notification of an assignment or a reassignment. */
export function escalationNotification(e: Escalation, kind: string): Pick<Notification, 'kind' | 'title' | 'body' | 'link'> {
  const p = PRIORITY_LABELS[e.priority];
  const reason = clip(e.reason, 200);
  const again = kind === 'escalation.reassigned';
  return {
    kind,
    title: {
      ar: `${again ? 'أُحيل إليك تصعيد' : 'تصعيد جديد'} (أولوية ${p.ar}): ${reason}`,
      en: `${again ? 'Escalation reassigned to you' : 'New escalation'} (${p.en} priority): ${reason}`,
    },
    body: e.reason,
    link: `/escalations/${e.id}`,
  };
}

export const NotificationView = named(
  'Notification',
  Type.Object(
    {
      id: Type.String(),
      kind: Type.String(),
      title: Type.Object({ ar: Type.String(), en: Type.String() }, { additionalProperties: false }),
      body: Nullable(Type.String()),
      link: Nullable(Type.String()),
      createdAt: Timestamp,
      readAt: Nullable(Timestamp),
    },
    { additionalProperties: false },
  ),
);

export function notificationView(n: Notification): Static<typeof NotificationView> {
  return { id: n.id, kind: n.kind, title: n.title, body: n.body, link: n.link, createdAt: iso(n.createdAt)!, readAt: iso(n.readAt) };
}

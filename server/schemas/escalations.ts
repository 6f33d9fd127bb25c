// An escalation (the inbox's item) as the API answers it; server/escalations/escalation-views.ts
// builds it, the editor imports its type.
import { Type, type Static } from '@sinclair/typebox';
import { ASSIGNMENTS, ESCALATION_KINDS, ESCALATION_STATUSES, PRIORITIES } from '../../db/escalation-repository.js';
import { Nullable, Timestamp, named } from './common.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

export const EscalationView = named(
  'Escalation',
  Type.Object(
    {
      id: Type.String(),
      kind: literals(ESCALATION_KINDS),
      status: literals(ESCALATION_STATUSES),
      priority: literals(PRIORITIES),
      reason: Type.String(),
      payload: Type.Unknown({ description: 'what the reviewer looks at (e.g. a message draft)' }),
      assignment: literals(ASSIGNMENTS),
      assignee: Type.Object({ userId: Nullable(Type.String()), role: Nullable(Type.String()) }, { additionalProperties: false }),
      executionId: Nullable(Type.String()),
      flowId: Nullable(Type.String()),
      nodeId: Nullable(Type.String()),
      contactId: Nullable(Type.String()),
      claimedBy: Nullable(Type.String()),
      claimedAt: Nullable(Timestamp),
      decidedBy: Nullable(Type.String({ description: 'user:<id> or apikey:<id>' })),
      decidedAt: Nullable(Timestamp),
      note: Nullable(Type.String()),
      edits: Type.Unknown(),
      dueAt: Nullable(Timestamp),
      dueAtRiyadh: Nullable(Type.String()),
      createdAt: Timestamp,
      updatedAt: Timestamp,
    },
    { additionalProperties: false },
  ),
);
export type EscalationView = Static<typeof EscalationView>;

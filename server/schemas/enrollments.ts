// Enrollments as the API answers them, and their states: one list for the database
// (db/enrollment-repository.ts), the API's schemas and the editor's types.
import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp, named } from './common.js';

export const ENROLLMENT_STATES = ['active', 'paused', 'replied', 'opted_out', 'completed', 'failed', 'cancelled'] as const;
export const EnrollmentStateSchema = named('EnrollmentState', Type.Union(ENROLLMENT_STATES.map((s) => Type.Literal(s))));
export type EnrollmentState = Static<typeof EnrollmentStateSchema>;

export const EnrollmentSchema = named(
  'Enrollment',
  Type.Object(
    {
      id: Type.String(),
      flowId: Type.String(),
      flowVersion: Type.Integer(),
      contactId: Type.String(),
      state: EnrollmentStateSchema,
      executionId: Nullable(Type.String({ description: 'the execution carrying it now (the last one once ended)' })),
      currentNode: Nullable(Type.String({ description: 'active: the node its execution is at; paused: the node it resumes from; ended: where it ended' })),
      pendingNodes: Type.Array(Type.String(), { description: 'active: every node its execution has pending (parallel branches)' }),
      allowReentry: Type.Boolean(),
      enrolledBy: Type.String(),
      enrolledAt: Timestamp,
      endedAt: Nullable(Timestamp),
      endReason: Nullable(Type.String({ description: 'unenrolled, replied, opted_out[:channel], consent_withdrawn[:channel], erased, execution_succeeded, execution_failed, execution_cancelled, …' })),
      updatedAt: Timestamp,
    },
    { additionalProperties: false },
  ),
);

export const HistorySchema = named(
  'EnrollmentHistoryEntry',
  Type.Object(
    {
      id: Type.String(),
      at: Timestamp,
      fromState: Nullable(EnrollmentStateSchema),
      toState: EnrollmentStateSchema,
      reason: Nullable(Type.String()),
      actor: Type.String(),
      executionId: Nullable(Type.String()),
      node: Nullable(Type.String()),
    },
    { additionalProperties: false },
  ),
);

export const EnrollmentDetail = Type.Composite([EnrollmentSchema, Type.Object({ history: Type.Array(HistorySchema, { description: 'oldest first' }) })], { additionalProperties: false });

export const EnrollAnswer = Type.Object(
  {
    flowId: Type.String(),
    flowVersion: Type.Integer(),
    enrolled: Type.Array(
      Type.Object(
        { enrollmentId: Type.String(), contactId: Type.String(), executionId: Type.String(), row: Type.Optional(Type.Integer({ description: 'CSV line' })) },
        { additionalProperties: false },
      ),
    ),
    skipped: Type.Array(
      Type.Object(
        {
          contactId: Type.Optional(Type.String()),
          row: Type.Optional(Type.Integer({ description: 'CSV line (header = 1)' })),
          reason: Type.String({ description: 'not_found, erased, already_enrolled, duplicate, start_failed; CSV: invalid_phone, invalid_email, invalid_contact_id, missing_contact' }),
          message: Type.String(),
          enrollmentId: Type.Optional(Type.String({ description: 'already_enrolled: the enrollment the contact is in' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type Enrollment = Static<typeof EnrollmentSchema>;
export type EnrollmentHistoryEntry = Static<typeof HistorySchema>;
export type EnrollmentDetail = Static<typeof EnrollmentDetail>;
export type EnrollAnswer = Static<typeof EnrollAnswer>;

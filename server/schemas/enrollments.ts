// An enrollment's states: one list for the database (db/enrollment-repository.ts), the API's
// schema and the editor's type.
import { Type, type Static } from '@sinclair/typebox';
import { named } from './common.js';

export const ENROLLMENT_STATES = ['active', 'paused', 'replied', 'opted_out', 'completed', 'failed', 'cancelled'] as const;
export const EnrollmentStateSchema = named('EnrollmentState', Type.Union(ENROLLMENT_STATES.map((s) => Type.Literal(s))));
export type EnrollmentState = Static<typeof EnrollmentStateSchema>;

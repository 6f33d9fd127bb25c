// Executions and their steps as the API shows them (GET /executions, /executions/:id, test
// runs). db/execution-repository.ts builds these views; its types come from here.
import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp, named } from './common.js';

export const EXECUTION_STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'] as const;
export const ExecutionStatus = named('ExecutionStatus', Type.Union(EXECUTION_STATUSES.map((s) => Type.Literal(s))));

export const StepError = named(
  'StepError',
  Type.Object(
    {
      code: Type.String(),
      message: Type.String(),
      node: Type.Optional(Type.String()),
      path: Type.Optional(Type.String()),
      retryable: Type.Optional(Type.Boolean()),
      retryAfterMs: Type.Optional(Type.Integer()),
    },
    { additionalProperties: false },
  ),
);

export const Step = named(
  'Step',
  Type.Object(
    {
      id: Type.String({ description: '<executionId>:<seq>' }),
      seq: Type.Integer(),
      node: Type.String(),
      type: Type.String(),
      attempt: Type.Integer(),
      status: Type.String(),
      port: Nullable(Type.String()),
      input: Type.Unknown({ description: 'What the node read (JSON)' }),
      output: Type.Unknown({ description: 'What the node produced (JSON)' }),
      error: Nullable(StepError),
      logs: Type.Array(Type.String()),
      startedAt: Nullable(Timestamp),
      finishedAt: Nullable(Timestamp),
      durationMs: Nullable(Type.Integer()),
    },
    { additionalProperties: false },
  ),
);
export type StepView = Static<typeof Step>;

const executionFields = {
  id: Type.String(),
  flowId: Type.String(),
  flowVersion: Type.Integer(),
  status: ExecutionStatus,
  mode: Type.String({ description: 'webhook, manual, schedule, replay, test, …' }),
  subject: Nullable(Type.String({ description: 'the contact (lead) id' })),
  startedAt: Timestamp,
  finishedAt: Nullable(Timestamp),
  durationMs: Nullable(Type.Integer()),
  replayOf: Nullable(Type.String({ description: 'the execution this one replays' })),
};

/** An execution in a list: no steps, no output, the error summarised. */
export const ExecutionSummary = named(
  'ExecutionSummary',
  Type.Object(
    { ...executionFields, error: Nullable(Type.Object({ code: Type.String(), message: Type.String(), node: Nullable(Type.String()) }, { additionalProperties: false })) },
    { additionalProperties: false },
  ),
);
export type ExecutionSummary = Static<typeof ExecutionSummary>;

export const Execution = named(
  'Execution',
  Type.Object(
    { ...executionFields, output: Type.Unknown({ description: "The flow's final output (JSON)" }), error: Nullable(StepError), steps: Type.Array(Step) },
    { additionalProperties: false },
  ),
);
export type ExecutionView = Static<typeof Execution>;

export const TestRunResult = named(
  'TestRunResult',
  Type.Object(
    {
      executionId: Type.String(),
      flowVersion: Type.Integer({ description: 'The test snapshot (negative)' }),
      status: Type.String({ description: '200: succeeded | failed | cancelled; 202: queued | running | waiting' }),
      output: Type.Unknown(),
      error: Nullable(StepError),
      steps: Type.Array(Step, { description: 'Each step as GET /executions/:id shows it' }),
    },
    { additionalProperties: false },
  ),
);

// Shapes of the platform routes: the audit log, the node-type registry and the code sandbox.
import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp, named } from './common.js';

export const AuditEntry = named(
  'AuditEntry',
  Type.Object(
    {
      id: Type.String(),
      actor: Type.String({ description: 'user:<id>, apikey:<id> or system' }),
      action: Type.String({ description: 'e.g. flow.publish, credential.create, user.role' }),
      target: Nullable(Type.String()),
      details: Type.Unknown({ description: 'Metadata of the action (never a secret); its shape depends on the action' }),
      requestId: Nullable(Type.String()),
      at: Timestamp,
    },
    { additionalProperties: false },
  ),
);
export type AuditEntry = Static<typeof AuditEntry>;

export const Localized = named('Localized', Type.Object({ en: Type.String(), ar: Type.String() }, { additionalProperties: false }));
export const PortSpec = named('PortSpec', Type.Object({ port: Type.String(), label: Localized }, { additionalProperties: false }));

export const NodeType = named(
  'NodeType',
  Type.Object(
    {
      type: Type.String(),
      version: Type.Integer(),
      category: Type.Union(['trigger', 'logic', 'data', 'time', 'sales', 'integration', 'flow'].map((c) => Type.Literal(c))),
      policyClass: Type.Union([Type.Literal('A'), Type.Literal('B')]),
      sideEffects: Type.Boolean(),
      trigger: Type.Boolean(),
      label: Localized,
      description: Localized,
      icon: Type.String(),
      params: Type.Record(Type.String(), Type.Unknown(), { description: "JSON Schema of the node's params (with x-label-ar/x-label-en annotations)" }),
      outputs: Nullable(Type.Array(PortSpec, { description: 'null when the ports depend on params (dynamicOutputs)' })),
      dynamicOutputs: Type.Boolean(),
      credentials: Type.Array(Type.String(), { description: 'Credential types the node can use' }),
    },
    { additionalProperties: false },
  ),
);
export type NodeType = Static<typeof NodeType>;

const CodeLogs = Type.Array(Type.String());
export const CodeRunResult = named(
  'CodeRunResult',
  Type.Union([
    Type.Object({ ok: Type.Literal(true), output: Type.Unknown({ description: 'What the snippet returned (JSON)' }), logs: CodeLogs, durationMs: Type.Number() }, { additionalProperties: false }),
    Type.Object(
      {
        ok: Type.Literal(false),
        error: Type.Object(
          {
            code: Type.String({ description: 'code_syntax, code_error, code_timeout, code_memory_limit, code_output_not_json, …' }),
            message: Type.String(),
            retryable: Type.Boolean(),
            line: Type.Optional(Type.Integer()),
            column: Type.Optional(Type.Integer()),
          },
          { additionalProperties: false },
        ),
        logs: CodeLogs,
        durationMs: Type.Number(),
      },
      { additionalProperties: false },
    ),
  ]),
);

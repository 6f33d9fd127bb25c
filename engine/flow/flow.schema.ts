// The stored flow format (docs/flow-format.md): one TypeBox value per shape, so the
// TypeScript type, the ajv validator and the OpenAPI document share one source.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * Names these shapes carry into the API's OpenAPI document: one component each, used by $ref
 * (server/schemas/common.ts reads the same key; the engine cannot import the server).
 */
const name = (n: string) => ({ 'x-schema-name': n });

export const NodeId = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$', description: 'Stable node id; also the step name' });

export const Position = Type.Object({ x: Type.Number(), y: Type.Number() }, { additionalProperties: false });

export const RetryPolicy = Type.Object(
  {
    max: Type.Integer({ minimum: 0, maximum: 20, description: 'Extra attempts after the first' }),
    backoffMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 1000 }),
    factor: Type.Optional(Type.Number({ minimum: 1, maximum: 10, default: 2 })),
  },
  { additionalProperties: false },
);
export type RetryPolicy = Static<typeof RetryPolicy>;

export const OnError = Type.Union([Type.Literal('fail'), Type.Literal('continue')]);
export type OnError = Static<typeof OnError>;

export const FlowNode = Type.Object(
  {
    id: NodeId,
    type: Type.String({ minLength: 1, maxLength: 100 }),
    typeVersion: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
    label: Type.Optional(Type.String({ maxLength: 200 })),
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    position: Type.Optional(Position),
    retry: Type.Optional(RetryPolicy),
    onError: Type.Optional(OnError),
    meta: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false, ...name('FlowNode') },
);
export type FlowNode = Static<typeof FlowNode>;

export const PortRef = Type.Object(
  { node: Type.String({ minLength: 1 }), port: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false, ...name('PortRef') },
);

export const FlowEdge = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100 }), from: PortRef, to: PortRef },
  { additionalProperties: false, ...name('FlowEdge') },
);
export type FlowEdge = Static<typeof FlowEdge>;

export const FlowSettings = Type.Object(
  {
    timezone: Type.Optional(Type.String({ default: 'Asia/Riyadh' })),
    sendWindow: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    errorFlowId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    /** Enrollments: a contact may be enrolled again while it is still in the flow (default false). */
    allowReentry: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type FlowSettings = Static<typeof FlowSettings>;

export const Flow = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
    nodes: Type.Array(FlowNode, { maxItems: 1000 }),
    edges: Type.Array(FlowEdge, { maxItems: 5000 }),
    settings: Type.Optional(FlowSettings),
    meta: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false, $id: 'https://tadfuq.dev/schemas/flow.json', ...name('FlowDefinition') },
);
export type Flow = Static<typeof Flow>;

/**
 * A draft as stored: the flow envelope (a name, nodes[] and edges[] of objects) in any state of
 * completeness. Its fields are those of Flow when present; validateFlow() reports the rest.
 */
export const FlowDraft = Type.Object(
  {
    schemaVersion: Type.Optional(Type.Unknown()),
    name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
    nodes: Type.Array(Type.Object({ id: Type.Optional(Type.Unknown()), type: Type.Optional(Type.Unknown()) }, { additionalProperties: true, description: 'A node, maybe incomplete (see FlowNode)' }), { maxItems: 1000 }),
    edges: Type.Array(Type.Object({}, { additionalProperties: true, description: 'An edge, maybe incomplete (see FlowEdge)' }), { maxItems: 5000 }),
  },
  { additionalProperties: true, description: 'The flow document being edited (any state of completeness)', ...name('FlowDraft') },
);
export type FlowDraft = Static<typeof FlowDraft>;

/** A parameter value that is a JSONata expression: a string starting with "=". */
export const ExpressionString = Type.String({ pattern: '^=', description: 'JSONata expression (starts with "=")' });

/** A parameter that may be given literally or as an expression. */
export function Expr<T extends TSchema>(schema: T) {
  return Type.Union([schema, ExpressionString]);
}

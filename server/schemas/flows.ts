// Flows, versions and publish requests as the API shows them. The flow document itself is the
// engine's (engine/flow/flow.schema.ts): FlowDefinition for published versions, FlowDraft for
// the draft being edited.
import { Type, type Static } from '@sinclair/typebox';
import { Flow as FlowDefinition, FlowDraft } from '../../engine/flow/flow.schema.js';
import { Nullable, Problem, Timestamp, named } from './common.js';

export { FlowDefinition, FlowDraft };

/** A publish request's states (db/publish-request-repository.ts stores them). */
export const PUBLISH_REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'superseded', 'cancelled'] as const;
export type PublishRequestStatus = (typeof PUBLISH_REQUEST_STATUSES)[number];

export const FLOW_STATUSES = ['draft', 'published', 'paused'] as const;
export const FlowStatus = named('FlowStatus', Type.Union(FLOW_STATUSES.map((s) => Type.Literal(s))));
export type FlowStatus = Static<typeof FlowStatus>;

export const NodeRef = named('NodeRef', Type.Object({ id: Type.String(), type: Type.String() }, { additionalProperties: false }));

/** RFC 6902 operation (fast-json-patch's compare() output). */
export const JsonPatchOperation = named(
  'JsonPatchOperation',
  Type.Object(
    {
      op: Type.Union(['add', 'remove', 'replace', 'move', 'copy', 'test'].map((o) => Type.Literal(o))),
      path: Type.String(),
      value: Type.Optional(Type.Unknown()),
      from: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
);

const Origin = Nullable(Type.Record(Type.String(), Type.Unknown(), { description: "{kind: 'publish' | 'rollback' | 'approval', …}" }));

export const FlowSummary = named(
  'FlowSummary',
  Type.Object(
    {
      id: Type.String(),
      name: Type.String(),
      status: FlowStatus,
      publishedVersion: Nullable(Type.Integer()),
      revision: Type.Integer(),
      updatedAt: Timestamp,
      lastRunAt: Nullable(Timestamp),
      runs7d: Type.Integer({ description: 'Executions started in the last 7 days (test runs excluded)' }),
      failed7d: Type.Integer(),
      errorRate7d: Nullable(Type.Number({ minimum: 0, maximum: 1, description: 'failed7d / runs7d; null without runs' })),
    },
    { additionalProperties: false },
  ),
);
export type FlowSummary = Static<typeof FlowSummary>;

export const FlowDetail = named(
  'Flow',
  Type.Object(
    {
      id: Type.String(),
      name: Type.String(),
      status: FlowStatus,
      publishedVersion: Nullable(Type.Integer()),
      revision: Type.Integer({ description: 'Send it back with the next draft save' }),
      draft: FlowDraft,
      sampleInput: Type.Unknown({ description: 'Pinned input of test runs (JSON), or null' }),
      problems: Type.Array(Problem, { description: 'Everything that keeps the draft from being published' }),
      classBNodes: Type.Array(NodeRef, { description: 'Nodes that make publishing need flows.publish.classB' }),
      unpublishedChanges: Type.Boolean(),
      createdAt: Timestamp,
      updatedAt: Timestamp,
    },
    { additionalProperties: false },
  ),
);
export type FlowDetail = Static<typeof FlowDetail>;

const versionFields = { flowId: Type.String(), version: Type.Integer(), createdAt: Timestamp, createdBy: Nullable(Type.String()), origin: Origin };
export const VersionMeta = named('FlowVersionMeta', Type.Object(versionFields, { additionalProperties: false }));
export const VersionDetail = named('FlowVersion', Type.Object({ ...versionFields, definition: FlowDefinition }, { additionalProperties: false }));

const requestFields = {
  id: Type.String(),
  flowId: Type.String(),
  flowName: Type.String(),
  status: Type.Union(PUBLISH_REQUEST_STATUSES.map((s) => Type.Literal(s))),
  revision: Type.Integer({ description: 'Draft revision requested' }),
  classBNodes: Type.Array(NodeRef),
  requestedBy: Type.String(),
  requestedAt: Timestamp,
  decidedBy: Nullable(Type.String()),
  decidedAt: Nullable(Timestamp),
  reason: Nullable(Type.String()),
  version: Nullable(Type.Integer({ description: 'Version the approval published' })),
};
export const PublishRequestSummary = named('PublishRequest', Type.Object(requestFields, { additionalProperties: false }));
export const PublishRequestDetail = named(
  'PublishRequestDetail',
  Type.Object(
    {
      ...requestFields,
      definition: FlowDefinition,
      patch: Type.Array(JsonPatchOperation, { description: 'RFC 6902 JSON Patch from the published version (or an empty flow) to the requested snapshot' }),
    },
    { additionalProperties: false },
  ),
);

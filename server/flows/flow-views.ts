// A flow's versions and publish requests as the API answers them (server/schemas/flows.ts).
import jsonpatch from 'fast-json-patch';
import type { NodeRegistry } from '../../engine/index.js';
import { classBNodes, type VersionRecord } from '../../db/flow-repository.js';
import type { PublishRequest } from '../../db/publish-request-repository.js';
import { iso } from '../schemas/common.js';

export function versionMeta(v: Omit<VersionRecord, 'definition'>) {
  return { flowId: v.flowId, version: v.version, createdAt: iso(v.createdAt), createdBy: v.createdBy, origin: v.origin };
}

/** A publish request, with the Class B nodes of its snapshot. */
export function requestView(r: PublishRequest, registry: NodeRegistry) {
  return {
    id: r.id,
    flowId: r.flowId,
    flowName: r.flowName,
    status: r.status,
    revision: r.revision,
    classBNodes: classBNodes(r.definition, registry),
    requestedBy: r.requestedBy,
    requestedAt: iso(r.requestedAt),
    decidedBy: r.decidedBy,
    decidedAt: iso(r.decidedAt),
    reason: r.reason,
    version: r.version,
  };
}

/** RFC 6902 JSON Patch from one document to another. */
export const flowDiff = (from: unknown, to: unknown): unknown[] => jsonpatch.compare((from ?? {}) as object, (to ?? {}) as object);

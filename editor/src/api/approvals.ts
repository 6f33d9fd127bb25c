// Publish requests (a manager's publish of a flow with Class B nodes waits for an admin) and
// version diffs: the shapes of server/routes/flows.ts and the calls the pages make.
import { api } from './client';
import type { FlowDetail, FlowDoc, FlowVersion } from './types';

export const REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'superseded', 'cancelled'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export interface PublishRequest {
  id: string;
  flowId: string;
  flowName: string;
  status: RequestStatus;
  /** Draft revision the snapshot was taken from. */
  revision: number;
  classBNodes: { id: string; type: string }[];
  /** "user:<id>" or "apikey:<id>". */
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
  /** The version an approval published. */
  version: number | null;
}

export interface PublishRequestDetail extends PublishRequest {
  definition: FlowDoc;
  /** RFC 6902 patch from the published version (or an empty flow) to the snapshot. */
  patch: PatchOp[];
}

export interface VersionDetail extends FlowVersion { definition: FlowDoc }

export interface PatchOp { op: string; path: string; value?: unknown; from?: string }

/** A version number or the draft. */
export type VersionRef = number | 'draft';

export interface Member { id: string; name: string; email: string }

const enc = encodeURIComponent;

export function listPublishRequests(filter: { status?: RequestStatus | 'all'; flowId?: string; limit?: number } = {}): Promise<PublishRequest[]> {
  const q = new URLSearchParams({ status: filter.status ?? 'pending', limit: String(filter.limit ?? 100) });
  if (filter.flowId) q.set('flowId', filter.flowId);
  return api.get<{ items: PublishRequest[] }>(`/publish-requests?${q}`).then((r) => r.items);
}

export const getPublishRequest = (id: string) => api.get<PublishRequestDetail>(`/publish-requests/${enc(id)}`);

export const approvePublishRequest = (id: string) => api.post<{ request: PublishRequest; version: FlowVersion }>(`/publish-requests/${enc(id)}/approve`);

export const rejectPublishRequest = (id: string, reason: string) => api.post<{ request: PublishRequest }>(`/publish-requests/${enc(id)}/reject`, { reason });

export const getVersion = (flowId: string, version: number) => api.get<VersionDetail>(`/flows/${enc(flowId)}/versions/${version}`);

export const getFlow = (flowId: string) => api.get<FlowDetail>(`/flows/${enc(flowId)}`);

export function getDiff(flowId: string, from: VersionRef, to: VersionRef): Promise<{ from: VersionRef; to: VersionRef; patch: PatchOp[] }> {
  const q = new URLSearchParams({ from: String(from), to: String(to) });
  return api.get(`/flows/${enc(flowId)}/diff?${q}`);
}

/** Members' names by actor ("user:<id>"), for who may list users (users.read). */
export async function memberNames(): Promise<Map<string, string>> {
  const { items } = await api.get<{ items: Member[] }>('/users');
  return new Map(items.map((m) => [`user:${m.id}`, m.name || m.email]));
}

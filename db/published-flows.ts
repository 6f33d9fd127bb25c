// Cross-tenant read for the scheduler: the published version of every flow that has a node
// of the given type. Only the scheduler (a system component) may read across tenants. Paused
// and deleted flows have none.
import type { Flow } from '../engine/index.js';
import type { Database } from './database.js';

export interface PublishedFlowRow {
  tenantId: string;
  flowId: string;
  version: number;
  flow: Flow;
}

export async function publishedFlowsWithNode(db: Database, nodeType: string): Promise<PublishedFlowRow[]> {
  const rows = await db.sql.query(
    `SELECT f.tenant_id, f.id, v.version, v.definition
       FROM flows f JOIN flow_versions v ON v.flow_id = f.id AND v.version = f.published_version
      WHERE f.status = 'published' AND f.deleted_at IS NULL AND v.definition LIKE $1`,
    [`%"type":"${nodeType}"%`],
  );
  return rows
    .map((r) => ({ tenantId: String(r.tenant_id), flowId: String(r.id), version: Number(r.version), flow: JSON.parse(String(r.definition)) as Flow }))
    .filter((r) => r.flow.nodes.some((n) => n.type === nodeType));
}

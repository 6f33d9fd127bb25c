// GET /node-types once per tenant and session (the palette and forms of every page use it).
import { api } from './client';
import type { NodeTypeInfo } from './types';

const cache = new Map<string, Promise<NodeTypeInfo[]>>();

export function loadNodeTypes(tenantId: string): Promise<NodeTypeInfo[]> {
  let p = cache.get(tenantId);
  if (!p) {
    p = api.get<{ items: NodeTypeInfo[] }>('/node-types').then((r) => r.items);
    p.catch(() => cache.delete(tenantId));
    cache.set(tenantId, p);
  }
  return p;
}

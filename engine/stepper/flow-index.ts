import type { Flow, FlowEdge, FlowNode } from '../flow/flow.schema.js';

/** Lookups the stepper needs, computed once per (immutable) flow version. */
export interface FlowIndex {
  node(id: string): FlowNode;
  /** The node with this id, if the flow has one. */
  find(id: string): FlowNode | undefined;
  /** Edges leaving `node` by `port`, in document order (which is the run order). */
  edgesFrom(node: string, port: string): FlowEdge[];
  hasEdgesFrom(node: string, port: string): boolean;
}

const cache = new WeakMap<Flow, FlowIndex>();

export function indexFlow(flow: Flow): FlowIndex {
  let index = cache.get(flow);
  if (index) return index;
  const nodes = new Map(flow.nodes.map((n) => [n.id, n]));
  const out = new Map<string, FlowEdge[]>();
  for (const e of flow.edges) {
    const key = `${e.from.node}\u0000${e.from.port}`;
    const list = out.get(key) ?? [];
    list.push(e);
    out.set(key, list);
  }
  index = {
    node(id) {
      const n = nodes.get(id);
      if (!n) throw new Error(`flow has no node "${id}"`);
      return n;
    },
    find: (id) => nodes.get(id),
    edgesFrom: (node, port) => out.get(`${node}\u0000${port}`) ?? [],
    hasEdgesFrom: (node, port) => (out.get(`${node}\u0000${port}`)?.length ?? 0) > 0,
  };
  cache.set(flow, index);
  return index;
}

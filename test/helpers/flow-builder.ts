// Build test flows in a line or three.
//   chain('t.trigger', 't.pass', 't.pass')                       n1 -> n2 -> n3
//   flowOf({ n1: 't.trigger', n2: { type: 't.branch' }, n3: 't.pass' }, ['n1 -> n2', 'n2:b -> n3'])
import type { Flow, FlowEdge, FlowNode } from '../../engine/index.js';
import { validateFlow } from '../../engine/index.js';
import { fakeRegistry } from './fake-nodes.js';

/** A node given by its type alone, or by its type plus any other node fields. */
export type NodeSpec = string | (Partial<FlowNode> & { type: string });

function toNode(id: string, spec: NodeSpec): FlowNode {
  return typeof spec === 'string' ? { id, type: spec } : { id, ...spec };
}

/** `'n1 -> n2'` (port out), `'n1:b -> n2'`; the target port is always `in`. */
export function edge(id: string, spec: string): FlowEdge {
  const m = /^\s*([^:\s]+)(?::(\S+))?\s*->\s*([^:\s]+)(?::(\S+))?\s*$/.exec(spec);
  if (!m) throw new Error(`bad edge spec: ${spec}`);
  return { id, from: { node: m[1]!, port: m[2] ?? 'out' }, to: { node: m[3]!, port: m[4] ?? 'in' } };
}

/** Nodes keyed by id (in insertion order) and edges as `'from[:port] -> to[:port]'`, ids e1, e2, … */
export function flowOf(nodes: Record<string, NodeSpec>, edges: string[] = [], extra: Partial<Flow> = {}): Flow {
  return {
    schemaVersion: 1,
    name: 'test flow',
    nodes: Object.entries(nodes).map(([id, spec]) => toNode(id, spec)),
    edges: edges.map((spec, i) => edge(`e${i + 1}`, spec)),
    ...extra,
  };
}

/** A straight line n1 -> n2 -> … through port `out`. */
export function chain(...specs: NodeSpec[]): Flow {
  const nodes: Record<string, NodeSpec> = {};
  specs.forEach((spec, i) => (nodes[`n${i + 1}`] = spec));
  const edges = specs.slice(1).map((_, i) => `n${i + 1} -> n${i + 2}`);
  return flowOf(nodes, edges);
}

/** Validate against the fake registry and return the normalised flow (defaults filled in); throws when invalid. */
export function valid(flow: Flow): Flow {
  const result = validateFlow(flow, fakeRegistry());
  if (!result.ok) throw new Error(`test flow is invalid: ${JSON.stringify(result.errors, null, 2)}`);
  return result.flow;
}

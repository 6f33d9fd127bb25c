// Structural checks of the node graph: unique ids, edges to existing nodes and ports,
// at least one trigger, no cycles, every non-trigger node reachable from a trigger.
import type { Flow, FlowNode } from './flow.schema.js';
import type { FlowError } from './flow-error.js';
import { pointer } from './flow-error.js';
import type { NodeRegistry } from '../node-contract/node-registry.js';
import { outputPortsOf } from './ports.js';

export function checkGraph(flow: Flow, registry: NodeRegistry): FlowError[] {
  const errors: FlowError[] = [];
  const nodes: FlowNode[] = Array.isArray(flow.nodes) ? flow.nodes.filter((n) => n && typeof n === 'object') : [];
  const edges = Array.isArray(flow.edges) ? flow.edges : [];

  const byId = new Map<string, FlowNode>();
  const allNodes: FlowNode[] = Array.isArray(flow.nodes) ? flow.nodes : [];
  allNodes.forEach((node, i) => {
    if (!node || typeof node.id !== 'string') return;
    if (byId.has(node.id)) errors.push({ path: pointer('nodes', i, 'id'), code: 'duplicate_id', message: `node id "${node.id}" is used more than once` });
    else byId.set(node.id, node);
  });

  const triggers = nodes.filter((n) => registry.get(n.type)?.trigger);
  if (nodes.length > 0 && triggers.length === 0) {
    errors.push({ path: '/nodes', code: 'no_trigger', message: 'a flow needs at least one trigger node' });
  } else if (nodes.length === 0) {
    errors.push({ path: '/nodes', code: 'no_trigger', message: 'a flow needs at least one trigger node' });
  }

  const edgeIds = new Set<string>();
  const adjacency = new Map<string, { to: string; edgeIndex: number }[]>();
  edges.forEach((edge, i) => {
    if (!edge || typeof edge !== 'object') return;
    if (typeof edge.id === 'string') {
      if (edgeIds.has(edge.id)) errors.push({ path: pointer('edges', i, 'id'), code: 'duplicate_id', message: `edge id "${edge.id}" is used more than once` });
      edgeIds.add(edge.id);
    }
    const from = edge.from && byId.get(edge.from.node);
    const to = edge.to && byId.get(edge.to.node);
    let ok = true;
    if (!from) {
      errors.push({ path: pointer('edges', i, 'from', 'node'), code: 'unknown_node', message: `edge starts at unknown node "${edge.from?.node}"` });
      ok = false;
    } else {
      const nodeType = registry.get(from.type);
      if (nodeType) {
        const ports = outputPortsOf(from, nodeType);
        if (!ports.includes(edge.from.port)) {
          errors.push({
            path: pointer('edges', i, 'from', 'port'),
            code: 'unknown_port',
            message: `node "${from.id}" (${from.type}) has no output port "${edge.from.port}"; ports: ${ports.join(', ') || 'none'}`,
          });
          ok = false;
        }
      }
    }
    if (!to) {
      errors.push({ path: pointer('edges', i, 'to', 'node'), code: 'unknown_node', message: `edge ends at unknown node "${edge.to?.node}"` });
      ok = false;
    } else {
      if (registry.get(to.type)?.trigger) {
        errors.push({ path: pointer('edges', i, 'to', 'node'), code: 'trigger_has_no_input', message: `trigger "${to.id}" cannot receive an edge` });
        ok = false;
      }
      if (edge.to.port !== 'in') {
        errors.push({ path: pointer('edges', i, 'to', 'port'), code: 'unknown_port', message: `node "${to.id}" has one input port, "in"` });
        ok = false;
      }
    }
    if (ok && from && to) {
      const list = adjacency.get(from.id) ?? [];
      list.push({ to: to.id, edgeIndex: i });
      adjacency.set(from.id, list);
    }
  });

  errors.push(...findCycles(byId, adjacency));

  const reachable = new Set<string>();
  const queue = triggers.map((t) => t.id);
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (reachable.has(id)) continue;
    reachable.add(id);
    for (const next of adjacency.get(id) ?? []) queue.push(next.to);
  }
  if (triggers.length > 0) {
    allNodes.forEach((node, i) => {
      if (!node || typeof node.id !== 'string' || byId.get(node.id) !== node) return;
      if (!reachable.has(node.id)) errors.push({ path: pointer('nodes', i), code: 'unreachable', message: `node "${node.id}" cannot be reached from any trigger` });
    });
  }
  return errors;
}

/** Depth-first search; every edge that closes a cycle is reported once, with the cycle it closes. */
function findCycles(byId: Map<string, FlowNode>, adjacency: Map<string, { to: string; edgeIndex: number }[]>): FlowError[] {
  const errors: FlowError[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const { to, edgeIndex } of adjacency.get(id) ?? []) {
      const s = state.get(to);
      if (s === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(to)), to];
        errors.push({ path: pointer('edges', edgeIndex), code: 'cycle', message: `edge closes a cycle: ${cycle.join(' → ')}` });
      } else if (s === undefined) visit(to);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of byId.keys()) if (!state.has(id)) visit(id);
  return errors;
}

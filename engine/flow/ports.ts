import type { FlowNode } from './flow.schema.js';
import type { NodeType } from '../node-contract/define-node.js';
import { portsOf } from '../node-contract/define-node.js';

/** The output ports a node offers: its type's ports, plus `error` when failures are routed. */
export function outputPortsOf(node: FlowNode, nodeType: NodeType): string[] {
  const ports = portsOf(nodeType, node.params ?? {}).map((p) => p.port);
  if (node.onError === 'continue' && !ports.includes('error')) ports.push('error');
  return ports;
}

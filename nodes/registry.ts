// The core node types, in palette order, and the registry the runtimes and the API are built with.
import type { TSchema } from '@sinclair/typebox';
import { NodeRegistry, type NodeType } from '../engine/index.js';
import { triggerManualNode } from './trigger-manual.node.js';
import { triggerWebhookNode } from './trigger-webhook.node.js';
import { triggerScheduleNode } from './trigger-schedule.node.js';
import { logicIfNode } from './logic-if.node.js';
import { logicSwitchNode } from './logic-switch.node.js';
import { dataSetNode } from './data-set.node.js';
import { timeDelayNode } from './time-delay.node.js';
import { httpRequestNode } from './http-request.node.js';

/**
 * A node type with its params type erased, as the registry stores it. Needed because
 * NodeType<S>'s `outputs` and `check` are function-typed properties (checked
 * contravariantly), so NodeType<TObject<...>> is not assignable to NodeType<TSchema>.
 */
export function erased<S extends TSchema>(nodeType: NodeType<S>): NodeType {
  return nodeType as unknown as NodeType;
}

export const coreNodes: readonly NodeType[] = [
  erased(triggerManualNode),
  erased(triggerWebhookNode),
  erased(triggerScheduleNode),
  erased(logicIfNode),
  erased(logicSwitchNode),
  erased(dataSetNode),
  erased(timeDelayNode),
  erased(httpRequestNode),
];

/** A fresh registry holding every core node type. */
export function createRegistry(): NodeRegistry {
  return new NodeRegistry([...coreNodes]);
}

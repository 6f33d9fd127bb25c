// The core node types, in palette order, and the registry the runtimes and the API are built with.
import { NodeRegistry, type NodeType } from '../engine/index.js';
import { triggerManualNode } from './trigger-manual.node.js';
import { triggerWebhookNode } from './trigger-webhook.node.js';
import { triggerScheduleNode } from './trigger-schedule.node.js';
import { logicIfNode } from './logic-if.node.js';
import { logicSwitchNode } from './logic-switch.node.js';
import { dataSetNode } from './data-set.node.js';
import { timeDelayNode } from './time-delay.node.js';
import { httpRequestNode } from './http-request.node.js';
import { codeNode } from './code.node.js';

export const coreNodes: readonly NodeType[] = [
  triggerManualNode,
  triggerWebhookNode,
  triggerScheduleNode,
  logicIfNode,
  logicSwitchNode,
  dataSetNode,
  timeDelayNode,
  httpRequestNode,
  codeNode,
];

/** A fresh registry holding every core node type. */
export function createRegistry(): NodeRegistry {
  return new NodeRegistry([...coreNodes]);
}

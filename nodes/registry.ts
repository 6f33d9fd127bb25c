// The core node types, in palette order, and the registry the runtimes and the API are built with.
import { NodeRegistry, type NodeType } from '../engine/index.js';
import { triggerManualNode } from './trigger-manual.node.js';
import { triggerWebhookNode } from './trigger-webhook.node.js';
import { triggerScheduleNode } from './trigger-schedule.node.js';
import { triggerEventNode } from './trigger-event.node.js';
import { logicIfNode } from './logic-if.node.js';
import { logicSwitchNode } from './logic-switch.node.js';
import { dataSetNode } from './data-set.node.js';
import { timeDelayNode } from './time-delay.node.js';
import { waitEventNode } from './wait-event.node.js';
import { httpRequestNode } from './http-request.node.js';
import { codeNode } from './code.node.js';
import { aiScoreNode } from './ai-score.node.js';
import { aiAgentNode } from './ai-agent.node.js';
import { consentCheckNode } from './consent-check.node.js';
import { sendWhatsappNode } from './send-whatsapp.node.js';
import { sendSmsNode } from './send-sms.node.js';
import { sendEmailNode } from './send-email.node.js';
import { sendMessageNode } from './send-message.node.js';
import { replyClassifyNode } from './reply-classify.node.js';
import { escalateNode } from './escalate.node.js';
import { crmUpdateNode } from './crm-update.node.js';
import { paymentLinkNode } from './payment-link.node.js';
import { proposalPdfNode } from './proposal-pdf.node.js';

export const coreNodes: readonly NodeType[] = [
  triggerManualNode,
  triggerWebhookNode,
  triggerScheduleNode,
  triggerEventNode,
  logicIfNode,
  logicSwitchNode,
  dataSetNode,
  timeDelayNode,
  waitEventNode,
  replyClassifyNode,
  httpRequestNode,
  codeNode,
  aiScoreNode,
  aiAgentNode,
  consentCheckNode,
  sendWhatsappNode,
  sendSmsNode,
  sendEmailNode,
  sendMessageNode,
  escalateNode,
  crmUpdateNode,
  paymentLinkNode,
  proposalPdfNode,
];

/** A fresh registry holding every core node type. */
export function createRegistry(): NodeRegistry {
  return new NodeRegistry([...coreNodes]);
}

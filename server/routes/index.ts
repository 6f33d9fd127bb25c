// Every /api/v1 route, in one list: the router mounts it and the OpenAPI document is made
// from it (so both always agree).
import type { AppContext } from '../app-context.js';
import type { RouteSpec } from '../http/route.js';
import { authRoutes } from './auth.js';
import { userRoutes } from './users.js';
import { roleRoutes } from './roles.js';
import { apiKeyRoutes } from './api-keys.js';
import { tenantRoutes } from './tenant.js';
import { flowRoutes } from './flows.js';
import { publishRequestRoutes } from './publish-requests.js';
import { executionRoutes } from './executions.js';
import { templateRoutes } from './templates.js';
import { credentialRoutes } from './credentials.js';
import { auditRoutes } from './audit.js';
import { contactRoutes } from './contacts.js';
import { contactConsentRoutes } from './contact-consents.js';
import { contactRightsRoutes } from './contact-rights.js';
import { enrollmentRoutes } from './enrollments.js';
import { conversationRoutes } from './conversations.js';
import { nodeTypeRoutes } from './node-types.js';
import { codeTestRoutes } from './code-test.js';
import { sendPolicyRoutes } from './send-policy.js';
import { llmUsageRoutes } from './llm-usage.js';
import { escalationRoutes } from './escalations.js';
import { eventRoutes } from './events.js';
import { dealRoutes } from './deals.js';
import { meetingRoutes } from './meetings.js';
import { outboxRoutes } from './outbox.js';
import { analyticsRoutes } from './analytics.js';
import { paymentRoutes } from './payments.js';
import { invoicingRoutes } from './invoicing.js';
import { whatsappRoutes } from './whatsapp.js';
import { documentRoutes } from './documents.js';

export function apiRoutes(ctx: AppContext): RouteSpec[] {
  return [
    ...authRoutes(ctx),
    ...userRoutes(ctx),
    ...roleRoutes(ctx),
    ...apiKeyRoutes(ctx),
    ...tenantRoutes(ctx),
    ...flowRoutes(ctx),
    ...publishRequestRoutes(ctx),
    ...executionRoutes(ctx),
    ...templateRoutes(ctx),
    ...credentialRoutes(ctx),
    ...auditRoutes(ctx),
    ...contactConsentRoutes(ctx),
    ...contactRoutes(ctx),
    ...contactRightsRoutes(ctx),
    ...enrollmentRoutes(ctx),
    ...conversationRoutes(ctx),
    ...nodeTypeRoutes(ctx),
    ...codeTestRoutes(),
    ...sendPolicyRoutes(ctx),
    ...llmUsageRoutes(ctx),
    ...escalationRoutes(ctx),
    ...eventRoutes(ctx),
    ...dealRoutes(ctx),
    ...meetingRoutes(ctx),
    ...outboxRoutes(ctx),
    ...analyticsRoutes(ctx),
    ...paymentRoutes(ctx),
    ...invoicingRoutes(ctx),
    ...whatsappRoutes(ctx),
    ...documentRoutes(ctx),
  ];
}

// Reply intelligence for inbound messages (server/channels/inbound.ts): the tenant's LLM chain
// (the `classification` routes, Groq → OpenAI by default, its keys, its `llm.external` policy and masking, usage rows) classifies each
// reply; engine/llm/reply-classifier.ts's rules answer when no provider does. The call goes
// through the tenant's egress guard like every step's.
import { classifyReply, createGuardedFetch, type LlmServiceFactory } from '../../engine/index.js';
import type { TenantSettings } from '../../db/tenant-repository.js';
import type { ReplyClassifier } from './inbound.js';

export function createReplyClassifier(deps: { llm: LlmServiceFactory; settings: (tenantId: string) => TenantSettings | undefined }): ReplyClassifier {
  return {
    async classify(tenantId, text, now, messageId) {
      const llm = deps.llm({
        tenantId,
        executionId: `inbound:${messageId}`.slice(0, 64),
        flowId: 'inbound',
        stepId: `inbound:${messageId}`.slice(0, 100),
        nodeType: 'reply.classify',
        http: createGuardedFetch({ allowPrivateNetwork: deps.settings(tenantId)?.allowPrivateNetwork === true }),
      });
      const r = await classifyReply(llm, text, { now });
      return { class: r.class, returnDate: r.returnDate, by: r.by };
    },
  };
}

// POST /hooks/:tenant/:path — starts the published flow whose webhook trigger has that path.
// respond "immediately": 202 {executionId} once the execution is durably accepted.
// respond "onFinish": the flow's final output when it finishes (202 when it suspends on a wait).
// Transport-free: webhook-listener.ts feeds it from the HTTP request.
import { redactHeaders } from '../../nodes/trigger-webhook.node.js';
import { ApiError } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { TtlCache } from '../ttl-cache.js';
import type { Tenant, WebhookRoute } from '../../db/index.js';
import type { Flow } from '../../engine/index.js';

export interface HookRequest {
  tenantSlug: string;
  path: string;
  method: string;
  body: unknown;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

export interface HookResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const noSuchHook = (): ApiError => new ApiError(404, 'not_found', 'no published flow answers this webhook');

export function createWebhookHandler(ctx: AppContext): (req: HookRequest) => Promise<HookResponse> {
  const tenants = new TtlCache<Tenant | null>(5_000);
  const routes = new TtlCache<WebhookRoute | null>(2_000);
  const flows = new TtlCache<Flow | null>(60 * 60 * 1000);

  return async (req) => {
    const slug = req.tenantSlug;
    const tenant = await tenants.get(slug, () => ctx.tenants.bySlug(slug));
    if (!tenant) throw noSuchHook();
    ctx.tenantSettings.set(tenant.id, tenant.settings);
    const path = req.path.replace(/^\/+|\/+$/g, '');
    const method = req.method.toUpperCase();
    const repo = ctx.flows(tenant.id);
    const route = await routes.get(`${tenant.id} ${method} ${path}`, () => repo.webhookRoute(method, path));
    if (!route) {
      const allowed = await repo.webhookMethods(path);
      if (allowed.length) throw new ApiError(405, 'method_not_allowed', `this webhook answers ${allowed.join(', ')}`, [], { Allow: allowed.join(', ') });
      throw noSuchHook();
    }
    const flow = await flows.get(`${route.flowId}@${route.version}`, () => repo.version(route.flowId, route.version));
    if (!flow) throw noSuchHook();

    const payload = { body: req.body ?? null, query: req.query, headers: redactHeaders(req.headers) };
    const durable = route.respond === 'immediately';
    const { executionId } = await ctx.runtime.startExecution({
      tenantId: tenant.id,
      flowId: route.flowId,
      flowVersion: route.version,
      flow,
      trigger: route.nodeId,
      payload,
      mode: 'webhook',
      durable,
    });
    const headers = { 'X-Execution-Id': executionId };
    if (durable) return { status: 202, headers, body: { executionId, status: 'queued' } };
    const result = await ctx.runtime.result(executionId, false, ctx.config.webhookWaitMs);
    if (result.status === 'succeeded') return { status: 200, headers, body: result.output ?? null };
    // Suspended on a wait, or still running at the deadline: the caller polls the execution.
    if (result.status === 'waiting' || result.status === 'running') return { status: 202, headers, body: { executionId, status: result.status } };
    const error = result.error;
    return {
      status: 500,
      headers,
      body: {
        error: {
          code: 'execution_failed',
          message: error?.message ?? `execution ${result.status}`,
          details: error?.node ? [{ path: `/nodes/${error.node}${error.path ?? ''}`, code: error.code, message: error.message }] : [],
          executionId,
        },
      },
    };
  };
}

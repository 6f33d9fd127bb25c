// POST /hooks/:tenant/:path — starts the published flow whose webhook trigger has that path.
// respond "immediately": 202 {executionId} once the execution is durably accepted.
// respond "onFinish": the flow's final output when it finishes (202 when it suspends on a wait).
import express, { Router, type Request } from 'express';
import { redactHeaders } from '../../nodes/trigger-webhook.node.js';
import { ApiError } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { TtlCache } from '../ttl-cache.js';
import type { Tenant, WebhookRoute } from '../../db/index.js';
import type { Flow } from '../../engine/index.js';

const noSuchHook = (): ApiError => new ApiError(404, 'not_found', 'no published flow answers this webhook');

function hookPath(req: Request): string {
  const raw = (req.params as { path?: string | string[] }).path;
  return (Array.isArray(raw) ? raw.join('/') : String(raw ?? '')).replace(/^\/+|\/+$/g, '');
}

export function hooksRouter(ctx: AppContext): Router {
  const router = Router();
  const tenants = new TtlCache<Tenant | null>(5_000);
  const routes = new TtlCache<WebhookRoute | null>(2_000);
  const flows = new TtlCache<Flow | null>(60 * 60 * 1000);
  const limit = ctx.config.bodyLimitBytes;

  router.use(express.json({ limit, type: ['application/json', 'application/*+json'] }));
  router.use(express.urlencoded({ limit, extended: false }));
  router.use(express.text({ limit, type: 'text/*' }));

  router.all('/:tenant/*path', async (req, res) => {
    const slug = String(req.params.tenant);
    const tenant = await tenants.get(slug, () => ctx.tenants.bySlug(slug));
    if (!tenant) throw noSuchHook();
    ctx.tenantSettings.set(tenant.id, tenant.settings);
    const path = hookPath(req);
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

    const payload = {
      body: req.body ?? null,
      query: req.query,
      headers: redactHeaders(req.headers),
    };
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
    res.setHeader('X-Execution-Id', executionId);
    if (durable) {
      res.status(202).json({ executionId, status: 'queued' });
      return;
    }
    const result = await ctx.runtime.result(executionId);
    if (result.status === 'succeeded') res.status(200).json(result.output ?? null);
    else if (result.status === 'waiting') res.status(202).json({ executionId, status: 'waiting' });
    else {
      const error = result.error;
      res.status(500).json({
        error: {
          code: 'execution_failed',
          message: error?.message ?? `execution ${result.status}`,
          details: error?.node ? [{ path: `/nodes/${error.node}${error.path ?? ''}`, code: error.code, message: error.message }] : [],
          executionId,
        },
      });
    }
  });
  return router;
}

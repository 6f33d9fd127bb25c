// POST /hooks/:tenant/:path — starts the published flow whose webhook trigger has that path.
// respond "immediately": 202 {executionId} once the execution is durably accepted.
// respond "onFinish": the flow's final output when it finishes (202 when it suspends on a wait).
// Transport-free: webhook-listener.ts feeds it from the HTTP request.
//
// Security (server/README.md "Webhook security"): a trigger with `signature` refuses requests
// without a valid, fresh HMAC signature (401, nothing started); an Idempotency-Key header makes
// a retried request answer with the first one's execution. Whether a route needs a signature
// is read once per flow version from its definition (cached with it), so routes without a
// signature and requests without a key cost no extra query.
import { redactHeaders } from '../../nodes/trigger-webhook.node.js';
import { ApiError } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { TtlCache } from '../ttl-cache.js';
import type { Tenant, WebhookRoute } from '../../db/index.js';
import type { Flow, NodeRegistry, WebhookBinding } from '../../engine/index.js';
import { verifyWebhookSignature } from './webhook-signature.js';
import { isCallerFault } from './caller-fault.js';
import { WebhookIdempotency, idempotencyKeyOf, requestFingerprint, type Claim } from './webhook-idempotency.js';

export interface HookRequest {
  tenantSlug: string;
  path: string;
  method: string;
  body: unknown;
  /** The body exactly as received (signatures are computed over it). */
  rawBody: Buffer;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

export interface HookResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** A trigger's signature requirement, as its node type reads its params (defaults applied; header lower case). */
type SignatureRule = NonNullable<WebhookBinding['signature']>;

/** A published flow version, with what its webhook triggers require (read once, cached). */
interface HookPlan {
  flow: Flow;
  /** By trigger node id; absent = no signature. */
  signatures: Map<string, SignatureRule>;
}

const noSuchHook = (): ApiError => new ApiError(404, 'not_found', 'no published flow answers this webhook');
const invalidSignature = (): ApiError => new ApiError(401, 'invalid_signature', 'missing or invalid webhook signature');

function planOf(flow: Flow, registry: NodeRegistry): HookPlan {
  const signatures = new Map<string, SignatureRule>();
  for (const node of flow.nodes) {
    const signature = registry.get(node.type)?.webhook?.(node.params)?.signature;
    if (signature) signatures.set(node.id, signature);
  }
  return { flow, signatures };
}

export function createWebhookHandler(ctx: AppContext): (req: HookRequest) => Promise<HookResponse> {
  const tenants = new TtlCache<Tenant | null>(5_000);
  const routes = new TtlCache<WebhookRoute | null>(2_000);
  const plans = new TtlCache<HookPlan | null>(60 * 60 * 1000);
  const idempotency = new WebhookIdempotency(ctx.db, (err) => ctx.log.error({ err }, 'pruning webhook idempotency keys failed'));

  async function verify(tenant: Tenant, rule: SignatureRule, req: HookRequest): Promise<void> {
    let secret: unknown;
    try {
      const credential = await ctx.credentials(tenant.id).reveal(rule.credential, { by: 'name' });
      if (credential?.type === 'webhook-hmac') secret = credential.data.secret;
    } catch (err) {
      ctx.log.error({ err, tenantId: tenant.id, credential: rule.credential }, 'webhook signing credential cannot be read');
    }
    if (typeof secret !== 'string' || secret === '') {
      // The caller learns nothing about the configuration; the operator finds it in the log.
      ctx.log.warn({ tenantId: tenant.id, path: req.path, credential: rule.credential }, 'webhook signing credential missing or not of type webhook-hmac: request refused');
      throw invalidSignature();
    }
    const check = verifyWebhookSignature(req.headers[rule.header], secret, req.rawBody, Date.now(), rule.toleranceSeconds);
    if (check === 'invalid') throw invalidSignature();
    if (check === 'expired') throw new ApiError(401, 'signature_expired', `webhook signature timestamp is more than ${rule.toleranceSeconds} seconds from now`);
  }

  /** The answer for an execution, the same for the request that started it and for its repeats. */
  async function answer(flow: Flow, executionId: string, durable: boolean, replayed: boolean): Promise<HookResponse> {
    const headers: Record<string, string> = { 'X-Execution-Id': executionId, ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}) };
    if (durable) return { status: 202, headers, body: { executionId, status: 'queued' } };
    const result = await ctx.runtime.result(executionId, false, ctx.config.webhookWaitMs);
    if (result.status === 'succeeded') return { status: 200, headers, body: result.output ?? null };
    // Suspended on a wait, or still running at the deadline: the caller polls the execution.
    if (result.status === 'waiting' || result.status === 'running') return { status: 202, headers, body: { executionId, status: result.status } };
    const error = result.error;
    const details = error?.node ? [{ path: `/nodes/${error.node}${error.path ?? ''}`, code: error.code, message: error.message }] : [];
    if (isCallerFault(flow, error)) {
      // The request's data made an expression (or the params it computes) fail: the caller's mistake.
      return {
        status: 422,
        headers,
        body: {
          error: {
            code: 'invalid_payload',
            message: `the request's data made node "${error!.node}" fail (see details; compare the body with what the flow reads) — بيانات الطلب لا تناسب ما يقرؤه التدفق`,
            details,
            executionId,
          },
        },
      };
    }
    return {
      status: 500,
      headers,
      body: {
        error: {
          code: 'execution_failed',
          message: error?.message ?? `execution ${result.status}`,
          details,
          executionId,
        },
      },
    };
  }

  return async (req) => {
    const slug = req.tenantSlug;
    const tenant = await tenants.get(slug, () => ctx.tenants.bySlug(slug));
    if (!tenant) throw noSuchHook();
    // A tenant created by another process since start: learn its settings (the SSRF policy).
    // Never overwrite a known entry with this cache's copy, which may be older than a change
    // this process just made (settings changes set the map; other processes' arrive by refresh).
    if (!ctx.tenantSettings.has(tenant.id)) ctx.tenantSettings.set(tenant.id, tenant.settings);
    const path = req.path.replace(/^\/+|\/+$/g, '');
    const method = req.method.toUpperCase();
    const repo = ctx.flows(tenant.id);
    const route = await routes.get(`${tenant.id} ${method} ${path}`, () => repo.webhookRoute(method, path));
    if (!route) {
      const allowed = await repo.webhookMethods(path);
      if (allowed.length) throw new ApiError(405, 'method_not_allowed', `this webhook answers ${allowed.join(', ')}`, [], { Allow: allowed.join(', ') });
      throw noSuchHook();
    }
    const plan = await plans.get(`${route.flowId}@${route.version}`, async () => {
      const flow = await repo.version(route.flowId, route.version);
      return flow ? planOf(flow, ctx.registry) : null;
    });
    if (!plan) throw noSuchHook();

    const signature = plan.signatures.get(route.nodeId);
    if (signature) await verify(tenant, signature, req);
    const key = idempotencyKeyOf(req.headers);

    const durable = route.respond === 'immediately';
    const start = (executionId?: string) => {
      let headers = redactHeaders(req.headers);
      // A custom signature header is not in redactHeaders' list: drop it too.
      if (signature && signature.header in headers) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k !== signature.header));
      return ctx.runtime.startExecution({
        tenantId: tenant.id,
        flowId: route.flowId,
        flowVersion: route.version,
        flow: plan.flow,
        trigger: route.nodeId,
        payload: { body: req.body ?? null, query: req.query, headers },
        mode: 'webhook',
        // A burst waits for drive slots (embedded runtime) instead of piling up in memory.
        admit: true,
        // With a key, commit before answering also for onFinish: repeats wait for the row.
        durable: durable || key !== null,
        ...(executionId ? { executionId } : {}),
      });
    };

    if (key === null) {
      const { executionId } = await start();
      return answer(plan.flow, executionId, durable, false);
    }
    const claim: Claim = await idempotency.claim(tenant.id, route.flowId, key, requestFingerprint(req.query, req.rawBody));
    if (claim.start) {
      try {
        await start(claim.executionId);
      } catch (err) {
        await idempotency.release(claim, tenant.id, route.flowId).catch((e: unknown) => ctx.log.error({ err: e }, 'releasing an idempotency key failed'));
        throw err;
      }
    }
    return answer(plan.flow, claim.executionId, durable, !claim.start);
  };
}

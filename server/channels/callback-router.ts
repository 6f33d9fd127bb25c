// The HTTP side of provider callbacks (URLs and checks: callbacks.ts), served before Express
// like the flow webhooks (createApp sends every /hooks/providers/ request here). Public: the
// provider authenticates with a secret in the URL (UltraMsg) or a signature (Twilio).
//
// Answers: 200 quickly once the event is handled — also when it is ignored (an unknown message
// id, an event type we do not track, another instance's event) so the provider does not retry
// it; 404 for an unknown tenant or a wrong UltraMsg secret; 401 for a bad Twilio signature;
// 500 when handling failed (the provider retries; every step is idempotent). A repeated event
// (same id and type) is processed once: its key is claimed in provider_events before handling
// and released if handling fails.
import type { IncomingMessage, ServerResponse } from 'node:http';
import querystring from 'node:querystring';
import getRawBody from 'raw-body';
import { ApiError, errorBody } from '../api-error.js';
import { toApiError } from '../http/domain-errors.js';
import type { AppContext } from '../app-context.js';
import { outboxDeliverySink } from '../../db/outbox-repository.js';
import { PROVIDER_EVENT_RETENTION_MS, ProviderEventLog } from '../../db/inbound-message-repository.js';
import type { Tenant } from '../../db/tenant-repository.js';
import type { DeliveryStatusSink, DeliveryUpdate } from './provider.js';
import { EMPTY_TWIML, PROVIDER_HOOKS_PREFIX, interpretTwilioInbound, interpretTwilioStatus, interpretUltraMsgEvent, sameSecret, twilioParams } from './callbacks.js';
import { handleInbound, type InboundOutcome } from './inbound.js';
import { sameInstance } from './ultramsg.js';
import { assertJson, controlCharacter } from '../http/input-guard.js';
import { loadTwilio } from './twilio.js';
import { WhatsAppNumberRepository } from '../../db/whatsapp-repository.js';
import { TenantRepository } from '../../db/tenant-repository.js';
import { interpretSmsReport } from './saudi-sms.js';
import { WHATSAPP_HOOK_PATH, interpretWhatsAppWebhook, validSignature, verificationChallenge } from './whatsapp-webhook.js';

export { PROVIDER_HOOKS_PREFIX };

export interface CallbackRouterOptions {
  /** Where delivery updates go (default: the outbox, outbound_messages). */
  sink?: DeliveryStatusSink;
  now?: () => number;
}

interface Answer {
  status: number;
  body: unknown;
  /** Sent as is with this content type instead of JSON (TwiML). */
  raw?: { type: string; text: string };
}

const notFound = (): ApiError => new ApiError(404, 'not_found', 'no provider callback answers this URL');

function decode(segment: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw notFound();
  }
  if (controlCharacter(decoded, 'token')) throw notFound();
  return decoded;
}

function send(res: ServerResponse, answer: Answer): void {
  const text = answer.raw ? answer.raw.text : JSON.stringify(answer.body);
  const type = answer.raw ? answer.raw.type : 'application/json; charset=utf-8';
  res.writeHead(answer.status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'invalid_json', 'request body is not valid JSON');
  }
  assertJson(value, '/body'); // 400 too_deep (server/http/input-guard.ts)
  return value;
}

/** Form or JSON body (UltraMsg posts JSON; Twilio posts form fields). */
function parseBody(raw: Buffer, contentType: string): unknown {
  const text = raw.toString('utf8').replace(/^\uFEFF/, '');
  if (text === '') return {};
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return { ...querystring.parse(text) };
  return parseJson(text);
}

export function createProviderCallbackListener(ctx: AppContext, options: CallbackRouterOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const sink = options.sink ?? outboxDeliverySink(ctx.db);
  const now = options.now ?? Date.now;
  const events = new ProviderEventLog(ctx.db);
  let lastPrune = 0;

  /** Forget processed events older than the retention, at most once an hour per process. */
  function maybePrune(): void {
    const t = now();
    if (t - lastPrune < 3_600_000) return;
    lastPrune = t;
    void events.prune(t - PROVIDER_EVENT_RETENTION_MS).catch((err) => ctx.log.warn({ err }, 'pruning provider events failed'));
  }

  /**
   * Run `fn` once per event key: false (and nothing run) when the key was claimed before. The
   * claim is released when `fn` fails or returns false (not handled: e.g. a delivery report that
   * beat the outbox recording the provider's id), so a redelivery is processed.
   */
  async function once(tenantId: string, provider: string, key: string, fn: () => Promise<boolean>): Promise<boolean> {
    if (!(await events.claim(tenantId, provider, key, now()))) return false;
    let keep = false;
    try {
      keep = await fn();
    } finally {
      if (!keep) await events.release(tenantId, provider, key).catch((err) => ctx.log.warn({ err }, 'releasing a provider event failed'));
    }
    return true;
  }

  async function tenantOf(slug: string): Promise<Tenant> {
    const tenant = await ctx.tenants.bySlug(slug);
    if (!tenant) throw notFound();
    return tenant;
  }

  /** Credentials of a type, decrypted (callback checks need their secrets). */
  async function revealed(tenantId: string, type: string): Promise<{ id: string; name: string; data: Record<string, unknown> }[]> {
    const repo = ctx.credentials(tenantId);
    const out: { id: string; name: string; data: Record<string, unknown> }[] = [];
    for (const meta of await repo.list()) {
      if (meta.type !== type) continue;
      try {
        const c = await repo.reveal(meta.id, { by: 'id' });
        if (c) out.push({ id: c.id, name: c.name, data: c.data });
      } catch (err) {
        // Sealed under another master key, or tampered with: it authenticates nothing.
        ctx.log.error({ err, credential: meta.name }, 'a provider credential cannot be decrypted');
      }
    }
    return out;
  }

  async function deliver(update: DeliveryUpdate): Promise<'applied' | 'unknown_message'> {
    return (await sink.applyDelivery(update)) ? 'applied' : 'unknown_message';
  }

  const inboundAnswer = (o: InboundOutcome) => ({ result: o.duplicate ? 'duplicate' : 'stored', contact: o.contactId !== null, optOut: o.optOut !== null });

  async function ultramsg(tenantSlug: string, secret: string, parse: () => unknown): Promise<Answer> {
    const tenant = await tenantOf(tenantSlug);
    const credential = (await revealed(tenant.id, 'ultramsg')).find((c) => typeof c.data.webhookSecret === 'string' && sameSecret(secret, c.data.webhookSecret));
    if (!credential) throw notFound();
    const body = parse();
    const event = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    if (!sameInstance(event.instanceId, credential.data.instanceId)) {
      ctx.log.warn({ tenant: tenant.slug, credential: credential.name }, 'ultramsg callback for another instance ignored');
      return { status: 200, body: { result: 'ignored', reason: 'instance_mismatch' } };
    }
    const action = interpretUltraMsgEvent(body, now());
    if (action.kind === 'ignore') return { status: 200, body: { result: 'ignored', reason: action.reason } };
    let result: unknown = { result: 'duplicate' };
    await once(tenant.id, 'ultramsg', action.dedupKey, async () => {
      if (action.kind === 'delivery') {
        const applied = await deliver({ tenantId: tenant.id, provider: 'ultramsg', providerMessageId: action.providerMessageId, status: action.status, at: now() });
        result = { result: applied };
        return applied === 'applied';
      }
      const outcome = await handleInbound(
        ctx,
        { tenantId: tenant.id, provider: 'ultramsg', channel: 'whatsapp', from: action.from, to: action.to, body: action.body, providerMessageId: action.providerMessageId, receivedAt: action.receivedAt },
        tenant.settings,
      );
      result = inboundAnswer(outcome);
      return true;
    });
    return { status: 200, body: result };
  }

  const numbers = new WhatsAppNumberRepository(ctx.db);
  const tenantsById = new TenantRepository(ctx.db);

  /**
   * The deployment's one WhatsApp Cloud API webhook: the signature over the raw body first,
   * then every change routed by its phone_number_id to the tenant owning the number.
   */
  async function whatsappCloud(req: IncomingMessage, url: URL): Promise<Answer> {
    const { whatsappAppSecret, whatsappVerifyToken } = ctx.config;
    if (req.method === 'GET') {
      const challenge = verificationChallenge(url.searchParams, whatsappVerifyToken);
      if (challenge === null) throw new ApiError(403, 'verification_failed', 'hub.mode must be subscribe and hub.verify_token the configured verify token');
      return { status: 200, body: null, raw: { type: 'text/plain; charset=utf-8', text: challenge } };
    }
    if (req.method !== 'POST') throw new ApiError(405, 'method_not_allowed', 'the WhatsApp webhook takes GET (verification) and POST (events)', [], { Allow: 'GET, POST' });
    if (!whatsappAppSecret) throw notFound();
    const raw = await getRawBody(req, { limit: ctx.config.bodyLimitBytes, length: req.headers['content-length'] });
    if (!validSignature(raw, req.headers['x-hub-signature-256'], whatsappAppSecret)) {
      ctx.log.warn('whatsapp webhook with a missing or bad X-Hub-Signature-256 refused');
      throw new ApiError(401, 'invalid_signature', 'the X-Hub-Signature-256 does not match');
    }
    maybePrune();
    const { events, ignored } = interpretWhatsAppWebhook(parseBody(raw, 'application/json'), now());
    const counts = { stored: 0, applied: 0, duplicate: 0, unknown_message: 0, unknown_number: 0, ignored };
    const owners = new Map<string, Awaited<ReturnType<typeof numbers.ownerOf>>>();
    for (const event of events) {
      if (!owners.has(event.phoneNumberId)) owners.set(event.phoneNumberId, await numbers.ownerOf(event.phoneNumberId));
      const owner = owners.get(event.phoneNumberId);
      if (!owner) {
        counts.unknown_number++;
        continue;
      }
      const claimed = await once(owner.tenantId, 'whatsapp-cloud', event.dedupKey, async () => {
        if (event.kind === 'delivery') {
          const applied = await deliver({ tenantId: owner.tenantId, provider: 'whatsapp-cloud', providerMessageId: event.providerMessageId, status: event.status, at: now(), ...(event.error ? { error: event.error } : {}) });
          counts[applied]++;
          return applied === 'applied';
        }
        const tenant = await tenantsById.byId(owner.tenantId);
        if (!tenant) return false;
        const outcome = await handleInbound(
          ctx,
          { tenantId: tenant.id, provider: 'whatsapp-cloud', channel: 'whatsapp', from: event.from, to: event.phoneNumberId, body: event.body, providerMessageId: event.providerMessageId, receivedAt: event.receivedAt },
          tenant.settings,
        );
        if (outcome.duplicate) counts.duplicate++;
        else counts.stored++;
        return true;
      });
      if (!claimed) counts.duplicate++;
    }
    return { status: 200, body: { result: 'handled', ...counts } };
  }

  /** Unifonic / Taqnyat delivery reports: the URL's secret names the credential (like UltraMsg). */
  async function saudiSms(provider: 'unifonic' | 'taqnyat', tenantSlug: string, secret: string, parse: () => unknown): Promise<Answer> {
    const tenant = await tenantOf(tenantSlug);
    const credential = (await revealed(tenant.id, provider)).find((c) => typeof c.data.webhookSecret === 'string' && sameSecret(secret, c.data.webhookSecret));
    if (!credential) throw notFound();
    const action = interpretSmsReport(provider, parse());
    if (action.kind === 'ignore') return { status: 200, body: { result: 'ignored', reason: action.reason } };
    let result: unknown = { result: 'duplicate' };
    await once(tenant.id, provider, action.dedupKey, async () => {
      const applied = await deliver({ tenantId: tenant.id, provider, providerMessageId: action.providerMessageId, status: action.status, at: now(), ...(action.error ? { error: action.error } : {}) });
      result = { result: applied };
      return applied === 'applied';
    });
    return { status: 200, body: result };
  }

  /** The URL Twilio requested: the public base URL (or the request's host) and the path and query as received. */
  function requestUrl(req: IncomingMessage): string {
    if (ctx.config.publicUrl) return `${ctx.config.publicUrl}${req.url ?? '/'}`;
    const forwarded = req.headers['x-forwarded-proto'];
    const proto = (typeof forwarded === 'string' && forwarded.split(',')[0]!.trim()) || ((req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http');
    return `${proto}://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
  }

  async function twilioCallback(req: IncomingMessage, tenantSlug: string, kind: string, body: unknown): Promise<Answer> {
    if (kind !== 'status' && kind !== 'inbound') throw notFound();
    const tenant = await tenantOf(tenantSlug);
    const form = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const params = twilioParams(form);
    const signature = req.headers['x-twilio-signature'];
    const url = requestUrl(req);
    const accounts = (await revealed(tenant.id, 'twilio')).filter((c) => c.data.accountSid === params.AccountSid && typeof c.data.authToken === 'string');
    const twilio = await loadTwilio();
    const valid = typeof signature === 'string' && accounts.some((c) => twilio.validateRequest(String(c.data.authToken), signature, url, form));
    if (!valid) {
      ctx.log.warn({ tenant: tenant.slug, kind }, 'twilio callback with a missing or bad signature refused');
      throw new ApiError(401, 'invalid_signature', 'the X-Twilio-Signature does not match');
    }
    if (kind === 'status') {
      const action = interpretTwilioStatus(params);
      if (action.kind === 'ignore') return { status: 200, body: { result: 'ignored', reason: action.reason } };
      let result: unknown = { result: 'duplicate' };
      await once(tenant.id, 'twilio', action.dedupKey, async () => {
        const applied = await deliver({ tenantId: tenant.id, provider: 'twilio', providerMessageId: action.providerMessageId, status: action.status, at: now(), ...(action.error ? { error: action.error } : {}) });
        result = { result: applied };
        return applied === 'applied';
      });
      return { status: 200, body: result };
    }
    const action = interpretTwilioInbound(params);
    if (action.kind === 'inbound') {
      // Twilio retries by MessageSid; inbound_messages' unique key keeps it once.
      await handleInbound(
        ctx,
        { tenantId: tenant.id, provider: 'twilio', channel: action.channel, from: action.from, to: action.to, body: action.body, providerMessageId: action.providerMessageId, receivedAt: now() },
        tenant.settings,
      );
    }
    // No auto-reply (see inbound.ts): an empty TwiML answer.
    return { status: 200, body: null, raw: { type: 'text/xml; charset=utf-8', text: EMPTY_TWIML } };
  }

  async function route(req: IncomingMessage): Promise<Answer> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === WHATSAPP_HOOK_PATH) return whatsappCloud(req, url);
    const parts = url.pathname.slice(PROVIDER_HOOKS_PREFIX.length).split('/');
    if (parts.length !== 3 || parts.some((p) => p === '')) throw notFound();
    const [provider, slug, last] = parts.map(decode) as [string, string, string];
    if (provider !== 'ultramsg' && provider !== 'twilio' && provider !== 'unifonic' && provider !== 'taqnyat') throw notFound();
    if (req.method !== 'POST') throw new ApiError(405, 'method_not_allowed', 'provider callbacks are POST requests', [], { Allow: 'POST' });
    const raw = await getRawBody(req, { limit: ctx.config.bodyLimitBytes, length: req.headers['content-length'] });
    const parse = () => parseBody(raw, req.headers['content-type'] ?? '');
    maybePrune();
    // UltraMsg's (and the Saudi SMS providers') body is read only once the URL's secret is known good.
    if (provider === 'unifonic' || provider === 'taqnyat') return saudiSms(provider, slug, last, parse);
    return provider === 'ultramsg' ? ultramsg(slug, last, parse) : twilioCallback(req, slug, last, parse());
  }

  return (req, res) => {
    void (async () => {
      try {
        send(res, await route(req));
      } catch (err) {
        const e = toApiError(err, (unexpected) => ctx.log.error({ err: unexpected, path: req.url?.split('/').slice(0, 5).join('/') }, 'provider callback failed'));
        if (res.headersSent) return void res.destroy();
        for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
        send(res, { status: e.status, body: errorBody(e) });
      }
    })();
  };
}

/** createApp's dispatch: /hooks/providers/ to the provider callbacks, other requests to `next`. */
export function withProviderCallbacks(
  ctx: AppContext,
  next: (req: IncomingMessage, res: ServerResponse) => void,
  options: CallbackRouterOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const callbacks = createProviderCallbackListener(ctx, options);
  return (req, res) => (req.url?.startsWith(PROVIDER_HOOKS_PREFIX) ? callbacks(req, res) : next(req, res));
}

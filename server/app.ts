import type { RequestListener } from 'node:http';
import { randomUUID } from 'node:crypto';
import express from 'express';
import helmet from 'helmet';
import cors from 'cors';
import { pinoHttp } from 'pino-http';
import type { AppContext } from './app-context.js';
import { ApiError } from './api-error.js';
import { errorHandler } from './http/domain-errors.js';
import { HOOKS_PREFIX, createWebhookListener } from './webhooks/webhook-listener.js';
import { withProviderCallbacks } from './channels/callback-router.js';
import { authenticate } from './auth/authenticate.js';
import { mountRoutes } from './http/route.js';
import { apiDocsRouter } from './http/api-docs.js';
import { editorStatic } from './http/editor-static.js';
import { apiRoutes } from './routes/index.js';
import { version } from './version.js';
import { metricsRefusal } from './metrics.js';
import { controlCharacter, controlProblem } from './http/input-guard.js';

const REQUEST_ID = /^[\w.-]{1,64}$/;

/** The whole HTTP surface: webhooks first (the hot path, see webhook-listener.ts), then Express. */
export function createApp(ctx: AppContext): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(helmet());
  // Cross-origin callers only when configured (the editor is served from the same origin).
  if (ctx.config.corsOrigins.length) app.use(cors({ origin: ctx.config.corsOrigins, exposedHeaders: ['X-Request-Id'] }));
  app.use(
    pinoHttp({
      logger: ctx.log,
      // A caller's X-Request-Id is kept when well formed, so one id follows a request across systems.
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'debug'),
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Readiness (load balancers): 503 with a reason while the event loop lags past
  // TADFUQ_READY_MAX_LAG_MS over the last seconds, or the database does not answer.
  // /healthz stays a pure liveness probe.
  app.get('/readyz', async (_req, res) => {
    const lagMs = ctx.metrics.loop.lagMs();
    const maxLagMs = ctx.config.readyMaxLagMs;
    if (maxLagMs > 0 && lagMs > maxLagMs) {
      res.status(503).json({ status: 'not_ready', reason: 'event_loop_lag', message: `the event loop lagged ${lagMs} ms (more than ${maxLagMs} ms) in the last seconds — تأخرت حلقة الأحداث ${lagMs} ms`, lagMs, maxLagMs });
      return;
    }
    try {
      await ctx.db.sql.query('SELECT 1');
    } catch (err) {
      ctx.log.error({ err }, 'readiness: the database does not answer');
      res.status(503).json({ status: 'not_ready', reason: 'database', message: 'the database does not answer — قاعدة البيانات لا تستجيب' });
      return;
    }
    res.json({ status: 'ready', database: ctx.db.dialect });
  });

  // Private: bearer token (TADFUQ_METRICS_TOKEN) or, without one, loopback clients only.
  app.get('/metrics', async (req, res) => {
    const refusal = metricsRefusal(req, ctx.config.metricsToken);
    if (refusal) throw refusal;
    res.setHeader('Content-Type', ctx.metrics.registry.contentType);
    res.send(await ctx.metrics.registry.metrics());
  });

  const routes = apiRoutes(ctx);
  app.use('/api/v1', apiDocsRouter(routes, version));
  app.use('/api/v1', authenticate(ctx), mountRoutes(routes));
  // Paths no API route matched (API routes check their own parameters, with precise pointers):
  // a control character in the path is the caller's mistake, 400 before anything reads the disk.
  app.use((req, _res, next) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(req.path);
    } catch {
      return next(new ApiError(400, 'invalid_path', 'the path is not valid percent-encoding', [{ path: '/path', code: 'invalid_path', message: 'malformed percent-encoding' }]));
    }
    const c = controlCharacter(decoded, 'token');
    if (c) return next(new ApiError(400, 'invalid_request', 'the path holds a control character', [controlProblem('/path', c)]));
    next();
  });
  app.use(editorStatic());
  app.use((req, _res, next) => next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(ctx.log));
  const hooks = withProviderCallbacks(ctx, createWebhookListener(ctx)); // /hooks/providers/: server/channels/callback-router.ts
  return (req, res) => (req.url?.startsWith(HOOKS_PREFIX) ? hooks(req, res) : app(req, res));
}

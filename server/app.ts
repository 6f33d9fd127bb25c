import type { RequestListener } from 'node:http';
import express from 'express';
import type { AppContext } from './app-context.js';
import { ApiError, errorHandler } from './api-error.js';
import { HOOKS_PREFIX, createWebhookListener } from './webhooks/webhook-listener.js';
import { executionsRouter } from './routes/executions.js';
import { nodeTypesRouter } from './routes/node-types.js';
import { codeTestRouter } from './routes/code-test.js';
import { tenantContext } from './tenant-context.js';

/** The whole HTTP surface: webhooks first (the hot path, see webhook-listener.ts), then Express. */
export function createApp(ctx: AppContext): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    await ctx.db.sql.query('SELECT 1');
    res.json({ status: 'ready', database: ctx.db.dialect });
  });

  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', ctx.metrics.registry.contentType);
    res.send(await ctx.metrics.registry.metrics());
  });

  app.use('/api/v1', tenantContext(ctx));
  app.use('/api/v1/executions', executionsRouter(ctx));
  app.use('/api/v1/node-types', nodeTypesRouter(ctx));
  app.use('/api/v1/code/test', codeTestRouter());
  app.use((req, _res, next) => next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(ctx.log));
  const hooks = createWebhookListener(ctx);
  return (req, res) => (req.url?.startsWith(HOOKS_PREFIX) ? hooks(req, res) : app(req, res));
}

import express, { type Express } from 'express';
import type { AppContext } from './app-context.js';
import { ApiError, errorHandler } from './api-error.js';
import { hooksRouter } from './routes/hooks.js';
import { executionsRouter } from './routes/executions.js';
import { nodeTypesRouter } from './routes/node-types.js';
import { tenantContext } from './tenant-context.js';

export function createApp(ctx: AppContext): Express {
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

  app.use('/hooks', hooksRouter(ctx));
  app.use('/api/v1', tenantContext(ctx));
  app.use('/api/v1/executions', executionsRouter(ctx));
  app.use('/api/v1/node-types', nodeTypesRouter(ctx));
  app.use((req, _res, next) => next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(ctx.log));
  return app;
}

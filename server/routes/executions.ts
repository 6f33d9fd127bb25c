// GET /api/v1/executions/:id — the execution with its steps, ports, outputs, errors and timings.
import { Router } from 'express';
import { notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { tenantOf } from '../tenant-context.js';

export function executionsRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/:id', async (req, res) => {
    const tenant = tenantOf(res);
    const execution = await ctx.executions(tenant.id).get(String(req.params.id));
    if (!execution) throw notFound('execution');
    res.json(execution);
  });
  return router;
}

// Executions of the caller's tenant: detail with steps (list, cancel, replay and pruning join
// here). Another tenant's execution id answers 404.
import { Type } from '@sinclair/typebox';
import { notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { route, type RouteSpec } from '../http/route.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

export function executionRoutes(ctx: AppContext): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/executions/:id',
      summary: 'An execution with its steps, ports, outputs, errors and timings',
      tag: 'executions',
      access: 'executions.read',
      params: IdParams,
      async handler({ params, auth }) {
        const execution = await ctx.executions(auth.tenant.id).get(params.id);
        if (!execution) throw notFound('execution');
        return execution;
      },
    }),
  ];
}

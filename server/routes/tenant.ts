// Routes: the tenant and its settings.
import type { AppContext } from '../app-context.js';
import type { RouteSpec } from '../http/route.js';

export function tenantRoutes(_ctx: AppContext): RouteSpec[] {
  return [];
}

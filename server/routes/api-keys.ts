// Routes: API keys for machines.
import type { AppContext } from '../app-context.js';
import type { RouteSpec } from '../http/route.js';

export function apiKeyRoutes(_ctx: AppContext): RouteSpec[] {
  return [];
}

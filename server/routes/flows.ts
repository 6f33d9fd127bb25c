// Routes: flows, drafts, versions, publish requests, test runs.
import type { AppContext } from '../app-context.js';
import type { RouteSpec } from '../http/route.js';

export function flowRoutes(_ctx: AppContext): RouteSpec[] {
  return [];
}

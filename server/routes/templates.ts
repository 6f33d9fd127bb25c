// Routes: template export and import.
import type { AppContext } from '../app-context.js';
import type { RouteSpec } from '../http/route.js';

export function templateRoutes(_ctx: AppContext): RouteSpec[] {
  return [];
}

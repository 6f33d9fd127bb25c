// Routes: contacts and their consents.
import type { AppContext } from '../app-context.js';
import type { RouteSpec } from '../http/route.js';

export function contactRoutes(_ctx: AppContext): RouteSpec[] {
  return [];
}

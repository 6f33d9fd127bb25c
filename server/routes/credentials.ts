// Routes: write-only credentials.
import type { AppContext } from '../app-context.js';
import type { RouteSpec } from '../http/route.js';

export function credentialRoutes(_ctx: AppContext): RouteSpec[] {
  return [];
}

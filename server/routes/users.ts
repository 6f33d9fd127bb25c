// Routes: users, roles and invitations of the tenant.
import type { AppContext } from '../app-context.js';
import type { RouteSpec } from '../http/route.js';

export function userRoutes(_ctx: AppContext): RouteSpec[] {
  return [];
}

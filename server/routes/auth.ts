// Routes: sign-up, login, refresh, logout, me, tenant switch, invitations (accept).
import type { AppContext } from '../app-context.js';
import type { RouteSpec } from '../http/route.js';

export function authRoutes(_ctx: AppContext): RouteSpec[] {
  return [];
}

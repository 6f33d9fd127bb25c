// Who is calling: set on res.locals.auth by the authenticate middleware (JWT access token or
// API key), read by the router's permission check and by handlers for tenant scoping.
import type { Response } from 'express';
import type { Tenant } from '../../db/index.js';
import { ApiError } from '../api-error.js';
import { can, type Permission, type Role } from './permissions.js';

export type Principal =
  | { kind: 'user'; userId: string; email: string }
  | { kind: 'apiKey'; keyId: string; name: string };

export interface Auth {
  tenant: Tenant;
  role: Role;
  principal: Principal;
  /** An API key's scopes: it may use only these permissions (and only those its role allows). */
  scopes?: readonly Permission[];
}

/**
 * The owner an API key with a per-owner role (sales_rep) is limited to: it owns nothing, so
 * nothing matches. Not a user id (those are UUIDs), and storable by PostgreSQL (no NUL: a NUL
 * here made every such list a 500 there).
 */
export const NO_OWNER = 'no-owner:api-key';

export function authOf(res: Response): Auth {
  const auth = res.locals.auth as Auth | undefined;
  if (!auth) throw new ApiError(401, 'unauthenticated', 'sign in or send an API key', [], { 'WWW-Authenticate': 'Bearer' });
  return auth;
}

export function allowed(auth: Auth, permission: Permission): boolean {
  return can(auth.role, permission) && (!auth.scopes || auth.scopes.includes(permission));
}

/** The actor as the audit log records it: `user:<id>` or `apikey:<id>`. */
export function actorOf(auth: Auth): string {
  return auth.principal.kind === 'user' ? `user:${auth.principal.userId}` : `apikey:${auth.principal.keyId}`;
}

// Shapes of the admin routes (server/routes/credentials.ts, users.ts, api-keys.ts): credentials
// (metadata only: the API never answers a secret), members, invitations and API keys.
import type { JsonSchema, Problem, Role, Text } from './types';
import { ApiError } from './client';

export interface CredentialField { name: string; required: boolean; secret: boolean }

export interface CredentialType {
  type: string;
  label: Text;
  description: Text;
  /** JSON Schema of the data; `writeOnly` marks the secret fields. */
  schema: JsonSchema;
  fields: CredentialField[];
}

export interface Credential {
  id: string;
  name: string;
  type: string;
  /** Names of the data fields that are set (never their values). */
  fields: string[];
  /** `user:<id>` or `apikey:<id>`. */
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface Member { id: string; email: string; name: string; locale: 'ar' | 'en'; role: Role; joinedAt: string }

export type InvitationStatus = 'pending' | 'accepted' | 'expired' | 'revoked';

export interface Invitation {
  id: string;
  email: string;
  role: Role;
  status: InvitationStatus;
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
  acceptedAt: string | null;
}

/** POST /users/invitations answers the token once (`tdf_inv_…`, for POST /auth/invitations/accept). */
export interface NewInvitation extends Invitation { token: string }

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  scopes: string[];
  prefix: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** POST /api-keys answers the key once (`tdf_key_…`). */
export interface NewApiKey extends ApiKey { key: string }

export const ROLES: readonly Role[] = ['owner', 'admin', 'manager', 'sales_rep', 'viewer'];

/** Lower is more powerful (the server's roleRank). */
export const roleRank = (role: Role): number => ROLES.indexOf(role);

/** Roles a caller may give a member or an invitation: owner only by an owner. */
export const grantableRoles = (caller: Role | undefined): Role[] => (caller === 'owner' ? [...ROLES] : ROLES.filter((r) => r !== 'owner'));

/** Roles an API key may have: never owner, never above the caller's. */
export const keyRoles = (caller: Role | undefined): Role[] => ROLES.filter((r) => r !== 'owner' && caller !== undefined && roleRank(r) >= roleRank(caller));

/** An API error's problems keyed by JSON pointer (`/body/name`, `/body/data/token`); other errors under ''. */
export function problemsByPath(err: unknown): Record<string, Problem> {
  const out: Record<string, Problem> = {};
  if (err instanceof ApiError && err.details.length) {
    for (const d of err.details) out[d.path] ??= d;
  } else {
    const e = err as Error;
    out[''] = { path: '', code: err instanceof ApiError ? err.code : 'error', message: e?.message ?? String(err) };
  }
  return out;
}

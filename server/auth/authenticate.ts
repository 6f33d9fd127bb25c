// Resolves the caller of an /api/v1 request: `Authorization: Bearer <access JWT>` for people,
// `X-API-Key: tdf_key_…` (or `Authorization: Bearer tdf_key_…`) for machines. No credentials
// leaves the request anonymous (public routes still answer; the router refuses the others
// with 401); bad or expired credentials are a 401 at once, whatever the route.
import type { RequestHandler } from 'express';
import jwt from 'jsonwebtoken';
import type { AppContext } from '../app-context.js';
import { ApiError } from '../api-error.js';
import type { Auth } from './auth-context.js';
import { isRole, PERMISSIONS, type Permission } from './permissions.js';

const unauthorized = (code: string, message: string): ApiError => new ApiError(401, code, message, [], { 'WWW-Authenticate': `Bearer error="invalid_token"` });

export function authenticate(ctx: AppContext): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (header && !bearer) throw unauthorized('invalid_authorization', 'Authorization must be "Bearer <token>"');
    const apiKey = req.get('x-api-key') ?? (bearer?.startsWith('tdf_key_') ? bearer : undefined);
    if (apiKey) res.locals.auth = await apiKeyAuth(ctx, apiKey);
    else if (bearer) res.locals.auth = await tokenAuth(ctx, bearer);
    next();
  };
}

async function tokenAuth(ctx: AppContext, token: string): Promise<Auth> {
  let claims;
  try {
    claims = ctx.tokens.verifyAccess(token);
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError) throw unauthorized('token_expired', 'the access token has expired: refresh it');
    throw unauthorized('invalid_token', 'the access token is not valid');
  }
  const [membership, tenant] = await Promise.all([ctx.users.membership(claims.tid, claims.sub), ctx.tenants.byId(claims.tid)]);
  // A removed member, or a deleted tenant, holds a token that no longer opens anything.
  if (!membership || !tenant || !isRole(membership.role)) throw unauthorized('invalid_token', 'the access token no longer grants access');
  return { tenant, role: membership.role, principal: { kind: 'user', userId: membership.userId, email: membership.email } };
}

async function apiKeyAuth(ctx: AppContext, key: string): Promise<Auth> {
  const rows = await ctx.db.sql.query('SELECT id, tenant_id, name, role, scopes, revoked_at FROM api_keys WHERE key_hash = $1', [ctx.tokens.hashOpaque(key)]);
  const row = rows[0];
  if (!row || row.revoked_at !== null || !isRole(row.role)) throw unauthorized('invalid_api_key', 'the API key is not valid or was revoked');
  const tenant = await ctx.tenants.byId(String(row.tenant_id));
  if (!tenant) throw unauthorized('invalid_api_key', 'the API key is not valid or was revoked');
  const scopes = (JSON.parse(String(row.scopes)) as string[]).filter((s): s is Permission => s in PERMISSIONS);
  // Best effort: "last used" is informational and must not slow or fail the request.
  void ctx.db.sql.transaction(async (q) => void (await q('UPDATE api_keys SET last_used_at = $1 WHERE id = $2', [Date.now(), row.id]))).catch(() => undefined);
  return { tenant, role: row.role, principal: { kind: 'apiKey', keyId: String(row.id), name: String(row.name) }, scopes };
}

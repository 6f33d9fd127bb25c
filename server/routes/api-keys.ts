// Routes: API keys for machines. A key acts with a role (never owner, never above its
// creator's) narrowed to explicit scopes (permissions of that role). The key is shown once,
// stored as a keyed hash; revoking it refuses it on the very next request (401).
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { ApiError, notFound, invalidRequest } from '../api-error.js';
import { route, type RouteSpec } from '../http/route.js';
import { actorOf, allowed } from '../auth/auth-context.js';
import { PERMISSIONS, ROLES, can, roleRank, type Permission, type Role } from '../auth/permissions.js';
import { IdParams, requestIdOf, stringEnum } from '../auth/route-helpers.js';
import { RoleSchema } from '../auth/session.js';
import type { ApiKeyRecord } from '../../db/api-key-repository.js';
import { iso } from '../schemas/common.js';

const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];
const KEY_ROLES = ROLES.filter((r) => r !== 'owner');
/** Characters of the key kept (with `tdf_key_`) to recognise it in lists. */
const PREFIX_CHARS = 6;

const ApiKeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  scopes: Type.Array(Type.String()),
  prefix: Type.String({ description: 'the start of the key, e.g. `tdf_key_Ab12Cd`' }),
  createdBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const CreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
    role: stringEnum(KEY_ROLES, { description: 'not owner, and not above your own role' }),
    scopes: Type.Array(stringEnum(PERMISSION_NAMES), { minItems: 1, uniqueItems: true, description: 'permissions the key may use: a subset of its role’s' }),
  },
  { additionalProperties: false },
);


const keyView = (k: ApiKeyRecord) => ({
  id: k.id,
  name: k.name,
  role: k.role,
  scopes: k.scopes,
  prefix: k.prefix,
  createdBy: k.createdBy,
  createdAt: new Date(k.createdAt).toISOString(),
  lastUsedAt: iso(k.lastUsedAt),
  revokedAt: iso(k.revokedAt),
});

export function apiKeyRoutes(ctx: AppContext): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/api-keys',
      summary: 'Create an API key (the key is answered once: store it)',
      tag: 'api-keys',
      access: 'apikeys.manage',
      body: CreateBody,
      status: 201,
      response: Type.Composite([ApiKeySchema, Type.Object({ key: Type.String({ description: '`tdf_key_…`: send as `X-API-Key` or `Authorization: Bearer`' }) })]),
      errors: { 403: 'role_too_high: a key may not have a role above yours, nor a scope you lack' },
      async handler({ body, auth, req }) {
        const role = body.role as Role;
        if (roleRank(role) < roleRank(auth.role)) throw new ApiError(403, 'role_too_high', `a key may not have a role above yours (${auth.role})`, [{ path: '/body/role', code: 'role_too_high', message: `at most ${auth.role}` }]);
        const scopes = body.scopes as Permission[];
        const notInRole = scopes.flatMap((s, i) => (can(role, s) ? [] : [{ path: `/body/scopes/${i}`, code: 'not_in_role', message: `the role ${role} does not have ${s}` }]));
        if (notInRole.length) throw invalidRequest(notInRole);
        // A key creating keys (with apikeys.manage) hands on only the scopes it holds.
        const notHeld = scopes.flatMap((s, i) => (allowed(auth, s) ? [] : [{ path: `/body/scopes/${i}`, code: 'not_held', message: `you do not have ${s}` }]));
        if (notHeld.length) throw new ApiError(403, 'role_too_high', 'a key may not have a scope you lack', notHeld);

        const key = ctx.tokens.newOpaque('tdf_key');
        const prefix = key.slice(0, 'tdf_key_'.length + PREFIX_CHARS);
        const repo = ctx.apiKeys(auth.tenant.id);
        let created: ApiKeyRecord | undefined;
        await ctx.db.sql.transaction(async (q) => {
          created = await repo.create({ name: body.name.trim(), role, scopes, prefix, keyHash: ctx.tokens.hashOpaque(key), createdBy: actorOf(auth) }, q);
          await ctx.audit(auth.tenant.id).record({ actor: actorOf(auth), action: 'apikey.created', target: `apikey:${created.id}`, details: { name: created.name, role, scopes, prefix }, requestId: requestIdOf(req) }, q);
        });
        if (!created) throw new Error('API key not created');
        return { ...keyView(created), key };
      },
    }),

    route({
      method: 'get',
      path: '/api-keys',
      summary: 'API keys of the tenant, newest first (never the key: its prefix and when it was last used)',
      tag: 'api-keys',
      access: 'apikeys.manage',
      query: Type.Object({ includeRevoked: Type.Boolean({ default: false }) }, { additionalProperties: false }),
      response: Type.Object({ items: Type.Array(ApiKeySchema) }),
      async handler({ query, auth }) {
        return { items: (await ctx.apiKeys(auth.tenant.id).list({ includeRevoked: query.includeRevoked })).map(keyView) };
      },
    }),

    route({
      method: 'delete',
      path: '/api-keys/:id',
      summary: 'Revoke an API key (refused from the next request on)',
      tag: 'api-keys',
      access: 'apikeys.manage',
      params: IdParams,
      status: 204,
      async handler({ params, auth, req }) {
        const repo = ctx.apiKeys(auth.tenant.id);
        const key = await repo.byId(params.id);
        if (!key) throw notFound('API key');
        await ctx.db.sql.transaction(async (q) => {
          if (!(await repo.revoke(key.id, q))) return; // already revoked: idempotent
          await ctx.audit(auth.tenant.id).record({ actor: actorOf(auth), action: 'apikey.revoked', target: `apikey:${key.id}`, details: { name: key.name, prefix: key.prefix }, requestId: requestIdOf(req) }, q);
        });
      },
    }),
  ];
}

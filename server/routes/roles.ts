// GET /api/v1/roles — the roles and the permission table (server/auth/permissions.ts) with each
// permission's label in Arabic and English: what the editor shows when an admin picks an API
// key's scopes or explains a role. The table is no secret: any signed-in member may read it.
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { route, type RouteSpec } from '../http/route.js';
import { PERMISSIONS, ROLES, type Permission } from '../auth/permissions.js';

const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));
const PermissionView = Type.Object(
  { id: Type.String(), roles: Type.Array(Role), label: Type.Object({ en: Type.String(), ar: Type.String() }, { additionalProperties: false }) },
  { additionalProperties: false },
);

export function roleRoutes(_ctx: AppContext): RouteSpec[] {
  const permissions = (Object.keys(PERMISSIONS) as Permission[]).map((id) => ({ id, roles: [...PERMISSIONS[id].roles], label: { en: PERMISSIONS[id].en, ar: PERMISSIONS[id].ar } }));
  return [
    route({
      method: 'get',
      path: '/roles',
      summary: 'The roles, and every permission with the roles that hold it and its label (ar/en)',
      tag: 'users',
      access: 'authenticated',
      response: Type.Object({ roles: Type.Array(Role), permissions: Type.Array(PermissionView) }, { additionalProperties: false }),
      handler: () => ({ roles: [...ROLES], permissions }),
    }),
  ];
}

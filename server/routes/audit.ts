// GET /api/v1/audit — the tenant's audit log of administrative actions, newest first.
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { route, type RouteSpec } from '../http/route.js';
import { Nullable } from '../schemas/common.js';
import { AuditEntry } from '../schemas/platform.js';

const AuditQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    cursor: Type.Optional(Type.String({ format: 'date-time', description: 'the `nextCursor` of the previous page' })),
    before: Type.Optional(Type.String({ format: 'date-time', description: 'older name of `cursor`' })),
  },
  { additionalProperties: false },
);

export function auditRoutes(ctx: AppContext): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/audit',
      summary: 'Audit log (who published, imported, changed a role, read secret metadata…)',
      tag: 'audit',
      access: 'audit.read',
      query: AuditQuery,
      response: Type.Object({ items: Type.Array(AuditEntry), nextCursor: Nullable(Type.String({ format: 'date-time', description: 'Pass it as `cursor` for the next page' })) }, { additionalProperties: false }),
      async handler({ query, auth }) {
        const items = await ctx.audit(auth.tenant.id).list({
          limit: query.limit,
          ...(query.action ? { action: query.action } : {}),
          ...((query.cursor ?? query.before) ? { before: Date.parse((query.cursor ?? query.before)!) } : {}),
        });
        const last = items.at(-1);
        return { items, nextCursor: items.length === query.limit && last ? last.at : null };
      },
    }),
  ];
}

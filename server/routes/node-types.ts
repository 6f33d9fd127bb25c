// GET /api/v1/node-types — the registry, for the editor's palette and inspector forms:
// labels in Arabic and English, icon, category, params JSON Schema and output ports.
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { route, type RouteSpec } from '../http/route.js';
import { NodeType } from '../schemas/platform.js';

export function nodeTypeRoutes(ctx: AppContext): RouteSpec[] {
  const items = ctx.registry.list().map((t) => ({
    type: t.type,
    version: t.version,
    category: t.category,
    policyClass: t.policyClass,
    sideEffects: t.sideEffects,
    trigger: t.trigger,
    label: t.label,
    description: t.description,
    icon: t.icon,
    params: JSON.parse(JSON.stringify(t.params)) as unknown,
    // Ports that depend on params (logic.switch) are computed by the editor from them.
    outputs: typeof t.outputs === 'function' ? null : t.outputs,
    dynamicOutputs: typeof t.outputs === 'function',
    credentials: t.credentials ?? [],
  }));
  return [
    route({
      method: 'get',
      path: '/node-types',
      summary: 'Node types with labels (ar/en), params schema and ports',
      tag: 'nodes',
      access: 'nodes.read',
      response: Type.Object({ items: Type.Array(NodeType) }, { additionalProperties: false }),
      handler: () => ({ items }),
    }),
  ];
}

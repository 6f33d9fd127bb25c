// GET /api/v1/node-types — the registry, for the editor's palette and inspector forms:
// labels in Arabic and English, icon, category, params JSON Schema and output ports.
import { Router } from 'express';
import type { AppContext } from '../app-context.js';

export function nodeTypesRouter(ctx: AppContext): Router {
  const router = Router();
  const body = ctx.registry.list().map((t) => ({
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
  router.get('/', (_req, res) => {
    res.json({ items: body });
  });
  return router;
}

// Shared by the template tests: the core registry plus a node type that takes a credential
// (like http.request once it names one), and a small template builder.
import { Type } from '@sinclair/typebox';
import { defineNode, type Flow, type NodeRegistry } from '../../engine/index.js';
import { createRegistry } from '../../nodes/registry.js';
import type { TemplateDoc } from '../../server/templates/index.js';

export const credNode = defineNode({
  type: 'test.authed',
  category: 'integration',
  label: { en: 'Authed call', ar: 'استدعاء موثّق' },
  description: { en: 'Test node taking a credential', ar: 'عقدة اختبار تأخذ بيانات اعتماد' },
  icon: 'key',
  params: Type.Object(
    { credential: Type.Optional(Type.String({ minLength: 1 })), url: Type.Optional(Type.String()), headers: Type.Optional(Type.Record(Type.String(), Type.String())) },
    { additionalProperties: false },
  ),
  outputs: [{ port: 'out', label: { en: 'Out', ar: 'خرج' } }],
  credentials: ['http-bearer', 'http-header'],
  async execute(ctx) {
    return { port: 'out', output: ctx.input };
  },
});

/** Core nodes plus `test.authed` (a fresh registry each call), unless the core already has one by that name. */
export function templateRegistry(): NodeRegistry {
  const registry = createRegistry();
  if (!registry.get(credNode.type)) registry.register(credNode);
  return registry;
}

export function webhookFlow(name: string, path: string, extraNodes: Flow['nodes'] = []): Flow {
  const nodes: Flow['nodes'] = [{ id: 'hook', type: 'trigger.webhook', params: { path, method: 'POST', respond: 'immediately' } }, ...extraNodes];
  return {
    schemaVersion: 1,
    name,
    nodes,
    edges: extraNodes.map((n, i) => ({ id: `e${i + 1}`, from: { node: i === 0 ? 'hook' : extraNodes[i - 1]!.id, port: 'out' }, to: { node: n.id, port: 'in' } })),
  };
}

export function template(overrides: Partial<TemplateDoc['manifest']>, flows: TemplateDoc['flows']): TemplateDoc {
  return {
    tadfuqTemplate: 1,
    manifest: {
      id: 'test-template',
      name: { en: 'Test template', ar: 'قالب اختبار' },
      description: { en: 'For tests', ar: 'للاختبارات' },
      version: '1.2.3',
      credentials: [],
      variables: [],
      ...overrides,
    },
    flows,
  };
}

// What an import remembers on the flows it creates, so that exporting them again gives back
// the template (placeholders and refs, not the values and names chosen at import):
// - flow `meta.template`: the template id, version and flow key, the variables and values it
//   was imported with, and which tenant credential each ref was mapped to;
// - node `meta.templateParams`: param pointer -> the string with placeholders it came from.
// Export restores a placeholder only where the param still holds what the import put there.
// Pure: no I/O.
import type { Flow, FlowNode } from '../../engine/index.js';
import type { CredentialRequirement, VariableDeclaration, VariableValue } from './template-format.js';

export const ORIGIN_META_KEY = 'template';
export const PARAMS_META_KEY = 'templateParams';

export interface TemplateOrigin {
  id: string;
  version: string;
  key: string;
  variables: VariableDeclaration[];
  values: Record<string, VariableValue>;
  credentials: (CredentialRequirement & { name: string })[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The origin recorded on a flow, when it is well formed (anything else is ignored). */
export function originOf(flow: Pick<Flow, 'meta'>): TemplateOrigin | null {
  const o = flow.meta?.[ORIGIN_META_KEY];
  if (!isObject(o)) return null;
  if (typeof o.id !== 'string' || typeof o.version !== 'string' || typeof o.key !== 'string') return null;
  if (!Array.isArray(o.variables) || !isObject(o.values) || !Array.isArray(o.credentials)) return null;
  const variables = o.variables.filter((v): v is VariableDeclaration => isObject(v) && typeof v.name === 'string' && isObject(v.label));
  const credentials = o.credentials.filter(
    (c): c is CredentialRequirement & { name: string } => isObject(c) && typeof c.ref === 'string' && typeof c.type === 'string' && typeof c.name === 'string' && isObject(c.label),
  );
  const values = Object.fromEntries(
    Object.entries(o.values).filter((e): e is [string, VariableValue] => typeof e[1] === 'string' || typeof e[1] === 'number' || typeof e[1] === 'boolean'),
  );
  return { id: o.id, version: o.version, key: o.key, variables, values, credentials };
}

/** param pointer -> source string recorded on a node. */
export function paramSourcesOf(node: Pick<FlowNode, 'meta'>): Record<string, string> {
  const p = node.meta?.[PARAMS_META_KEY];
  if (!isObject(p)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Remove `key` from a flow's or node's meta, and the meta itself when it is left empty (in place). */
export function dropMeta(holder: { meta?: Record<string, unknown> }, key: string): void {
  if (!holder.meta) return;
  delete holder.meta[key];
  if (Object.keys(holder.meta).length === 0) delete holder.meta;
}

// Which node params name a credential: a param whose schema carries `x-credential-types` (the
// credential types it accepts; http.request `credential`, trigger.webhook `signature.credential`)
// holds the name of one of the tenant's credentials. A node type that declares `credentials`
// without annotating a param is read as taking the name in `credential`. In a template these
// params hold the manifest's ref instead. Pure: no I/O.
import { pointerSegment, type FlowNode, type NodeRegistry, type NodeType } from '../../engine/index.js';
import { getAt } from './variables.js';

export const CREDENTIAL_PARAM = 'credential';

export interface CredentialParam {
  /** JSON pointer relative to the node's params. */
  pointer: string;
  accepts: string[];
}

interface SchemaLike {
  'x-credential-types'?: unknown;
  properties?: Record<string, SchemaLike>;
  anyOf?: SchemaLike[];
  oneOf?: SchemaLike[];
}

const cache = new WeakMap<NodeType, CredentialParam[]>();

/** The credential params of a node type (cached). */
export function credentialParamsOf(nodeType: NodeType): CredentialParam[] {
  const cached = cache.get(nodeType);
  if (cached) return cached;
  const found: CredentialParam[] = [];
  const walk = (schema: SchemaLike | undefined, at: string): void => {
    if (!schema || typeof schema !== 'object') return;
    const types = schema['x-credential-types'];
    if (Array.isArray(types) && types.every((t) => typeof t === 'string')) {
      if (!found.some((f) => f.pointer === at)) found.push({ pointer: at, accepts: types as string[] });
      return;
    }
    for (const [k, v] of Object.entries(schema.properties ?? {})) walk(v, `${at}/${pointerSegment(k)}`);
    for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) walk(branch, at);
  };
  walk(nodeType.params as SchemaLike, '');
  if (!found.length && nodeType.credentials?.length) found.push({ pointer: `/${CREDENTIAL_PARAM}`, accepts: [...nodeType.credentials] });
  cache.set(nodeType, found);
  return found;
}

export interface CredentialUse {
  nodeIndex: number;
  /** JSON pointer relative to the node's params. */
  pointer: string;
  value: unknown;
  /** Credential types the param accepts. */
  accepts: string[];
}

/** Every credential param set in `nodes` (malformed nodes are skipped). */
export function credentialUses(nodes: readonly FlowNode[], registry: NodeRegistry): CredentialUse[] {
  const uses: CredentialUse[] = [];
  nodes.forEach((node, nodeIndex) => {
    if (!node || typeof node !== 'object' || typeof node.type !== 'string') return;
    const nodeType = registry.get(node.type);
    if (!nodeType || !node.params || typeof node.params !== 'object') return;
    for (const param of credentialParamsOf(nodeType)) {
      const value = getAt(node.params, param.pointer);
      if (value === undefined || value === null || value === '') continue;
      uses.push({ nodeIndex, pointer: param.pointer, value, accepts: param.accepts });
    }
  });
  return uses;
}

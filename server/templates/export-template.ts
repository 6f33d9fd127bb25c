// Export: flows of a tenant -> a template file. Credential names become manifest refs with
// their types; placeholders recorded at import come back; a literal secret anywhere in the
// params refuses the whole export (every path listed). Pure: no I/O, no clock.
import { isExpression, pointer, type Flow, type FlowError, type NodeRegistry } from '../../engine/index.js';
import { credentialUses } from './node-credentials.js';
import { dropMeta, originOf, paramSourcesOf, ORIGIN_META_KEY, PARAMS_META_KEY } from './origin.js';
import { literalSecrets } from './secrets.js';
import { REF_PATTERN, TEMPLATE_FORMAT, TEMPLATE_ID_PATTERN, type CredentialRequirement, type Localized, type TemplateDoc, type VariableDeclaration, type VariableValue } from './template-format.js';
import { getAt, jsonEqual, placeholderNames, setAt, substitute } from './variables.js';

export interface ExportInput {
  /** In the order they go into the template. */
  flows: { flowId: string; definition: Flow }[];
  manifest: { id?: string; name: Localized; description: Localized; version?: string };
  /** The tenant's credentials (metadata only). */
  credentials: readonly { name: string; type: string }[];
  registry: NodeRegistry;
  now: Date;
}

export type ExportResult = { ok: true; template: TemplateDoc } | { ok: false; errors: FlowError[] };

const REF_RE = new RegExp(REF_PATTERN);

/** A lower-case ASCII slug of `text` (may be empty: Arabic-only text has no ASCII letters). */
export function slug(text: string, max = 60): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '');
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  taken.add(name);
  return name;
}

export function exportTemplate(input: ExportInput): ExportResult {
  const errors: FlowError[] = [];
  const tenantCredentials = new Map(input.credentials.map((c) => [c.name, c]));
  /** tenant credential name -> its requirement in the manifest. */
  const refOfName = new Map<string, CredentialRequirement>();
  const refsTaken = new Set<string>();
  /** Variables in the manifest: the first flow restoring a placeholder claims its name and value. */
  const claimed = new Map<string, { declaration: VariableDeclaration; value: VariableValue; order: [number, number] }>();
  const origins: (ReturnType<typeof originOf>)[] = [];
  const keysTaken = new Set<string>();
  const flows: TemplateDoc['flows'] = [];

  input.flows.forEach(({ definition }, i) => {
    const base = pointer('flows', i, 'definition');
    const def = structuredClone(definition);
    const origin = originOf(def);
    origins.push(origin);
    dropMeta(def, ORIGIN_META_KEY);

    def.nodes.forEach((node) => {
      const sources = paramSourcesOf(node);
      dropMeta(node, PARAMS_META_KEY);
      if (!origin || !node.params) return;
      for (const [at, source] of Object.entries(sources)) {
        const names = placeholderNames(source);
        const declarations = names.map((n) => origin.variables.find((v) => v.name === n));
        if (declarations.some((d) => !d) || names.some((n) => !Object.hasOwn(origin.values, n))) continue;
        // Another flow of this export claimed the name with another value: keep this one literal.
        if (names.some((n) => claimed.has(n) && !jsonEqual(claimed.get(n)!.value, origin.values[n]))) continue;
        if (!jsonEqual(getAt(node.params, at), substitute(source, origin.values))) continue; // edited since import
        setAt(node.params, at, source);
        names.forEach((n, k) => {
          if (!claimed.has(n)) claimed.set(n, { declaration: declarations[k]!, value: origin.values[n]!, order: [i, origin.variables.indexOf(declarations[k]!)] });
        });
      }
    });

    for (const use of credentialUses(def.nodes, input.registry)) {
      const path = base + pointer('nodes', use.nodeIndex, 'params') + use.pointer;
      const name = use.value;
      if (typeof name !== 'string' || isExpression(name)) {
        errors.push({ path, code: 'dynamic_credential', message: 'choose the credential by name: an expression cannot be exported' });
        continue;
      }
      const credential = tenantCredentials.get(name);
      if (!credential) {
        errors.push({ path, code: 'unknown_credential', message: `credential "${name}" does not exist any more: choose another on this node` });
        continue;
      }
      let requirement = refOfName.get(name);
      if (!requirement) {
        const remembered = origin?.credentials.find((c) => c.name === name && c.type === credential.type);
        const wanted = remembered?.ref ?? (slug(name, 50) || credential.type.replace(/[^A-Za-z0-9_-]/g, '-'));
        const ref = uniqueName(REF_RE.test(wanted) ? wanted : `cred-${wanted}`.slice(0, 60), refsTaken);
        requirement = { ref, type: credential.type, label: remembered?.label ?? { en: name, ar: name } };
        refOfName.set(name, requirement);
      }
      setAt(def.nodes[use.nodeIndex]!.params, use.pointer, requirement.ref);
    }

    def.nodes.forEach((node, j) => errors.push(...literalSecrets(node.params ?? {}, base + pointer('nodes', j, 'params'))));

    const wantedKey = origin?.key && REF_RE.test(origin.key) ? origin.key : slug(def.name, 50);
    const key = uniqueName(REF_RE.test(wantedKey) ? wantedKey : `flow-${i + 1}`, keysTaken);
    flows.push({ key, definition: def });
  });

  if (errors.length) return { ok: false, errors };
  // Flows that all came from one template export as that template (unless told otherwise).
  const common = origins.every((o) => o && o.id === origins[0]?.id && o.version === origins[0]?.version) ? origins[0] : null;
  const wantedId = input.manifest.id ?? common?.id ?? slug(input.manifest.name.en);
  const variables = [...claimed.values()].sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1]).map((c) => c.declaration);
  return {
    ok: true,
    template: {
      tadfuqTemplate: TEMPLATE_FORMAT,
      manifest: {
        id: new RegExp(TEMPLATE_ID_PATTERN).test(wantedId) ? wantedId : 'template',
        name: input.manifest.name,
        description: input.manifest.description,
        version: input.manifest.version ?? common?.version ?? '1.0.0',
        credentials: [...refOfName.values()],
        variables,
        exportedAt: input.now.toISOString(),
      },
      flows,
    },
  };
}

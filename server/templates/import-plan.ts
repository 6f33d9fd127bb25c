// Import planning: a template + the importer's choices (ref -> tenant credential name,
// variable values) -> the flow definitions to save, or every problem at once with its path.
// Pure: the tenant's credentials come in as data, and webhook paths already taken are checked
// afterwards by webhookConflicts() once the caller has looked them up.
import { pointer, validateFlow, type Flow, type FlowError, type NodeRegistry } from '../../engine/index.js';
import { credentialUses } from './node-credentials.js';
import { dropMeta, ORIGIN_META_KEY, PARAMS_META_KEY, type TemplateOrigin } from './origin.js';
import { templateShapeErrors, usableParts, type CredentialRequirement, type Manifest, type TemplateDoc, type VariableDeclaration, type VariableValue } from './template-format.js';
import { placeholderSites, setAt, substitute } from './variables.js';

export interface ImportInput {
  template: unknown;
  /** Manifest ref -> name of one of the tenant's credentials. */
  credentials: Readonly<Record<string, string>>;
  variables: Readonly<Record<string, VariableValue>>;
  registry: NodeRegistry;
  /** The tenant's credentials (metadata only). */
  tenantCredentials: readonly { name: string; type: string }[];
  /** JSON pointers problems are reported under (defaults: /body/template, /body/credentials, /body/variables). */
  paths?: { template?: string; credentials?: string; variables?: string };
}

export interface PlannedWebhook {
  method: string;
  path: string;
  /** Where a conflict on this path is reported (the variable it came from, or the node param). */
  errorPaths: string[];
}

export interface ImportPlan {
  /** Set when the template's schema check passed. */
  manifest: Manifest | null;
  /** The definitions to save, in template order; complete only when `errors` is empty. */
  flows: { key: string; definition: Flow }[];
  webhooks: PlannedWebhook[];
  errors: FlowError[];
}

const isBlank = (v: unknown): boolean => v === undefined || (typeof v === 'string' && v.trim() === '');

/** `error` moved from a param filled from variables onto those variables (the importer fixes values, not the template). */
function blame(names: readonly string[], variablesPath: string, error: FlowError, where: string): FlowError[] {
  return names.map((n) => ({ path: variablesPath + pointer(n), code: error.code, message: `${error.message} (the value lands in ${where})` }));
}

export function planImport(input: ImportInput): ImportPlan {
  const P = { template: '/body/template', credentials: '/body/credentials', variables: '/body/variables', ...input.paths };
  const errors: FlowError[] = [...templateShapeErrors(input.template, P.template)];
  const manifest = errors.length === 0 ? (input.template as TemplateDoc).manifest : null;
  const parts = usableParts(input.template);
  const tenantCredentials = new Map(input.tenantCredentials.map((c) => [c.name, c]));

  // Variables: the value given, else the default, else "" (a required one must be given).
  const declared = new Map<string, VariableDeclaration>(parts.variables.map((v) => [v.name, v]));
  const values: Record<string, VariableValue> = Object.create(null) as Record<string, VariableValue>;
  const missing = new Set<string>();
  for (const v of parts.variables) {
    const given = Object.hasOwn(input.variables, v.name) ? input.variables[v.name] : undefined;
    if (v.required && isBlank(given)) {
      missing.add(v.name);
      errors.push({ path: P.variables + pointer(v.name), code: 'required', message: `give a value for "${v.label.en}"` });
    }
    if (given !== undefined && v.default !== undefined && typeof given !== typeof v.default) {
      errors.push({ path: P.variables + pointer(v.name), code: 'invalid_type', message: `"${v.label.en}" takes a ${typeof v.default} (like its default ${JSON.stringify(v.default)})` });
    }
    values[v.name] = given ?? v.default ?? '';
  }
  for (const name of Object.keys(input.variables)) {
    if (!declared.has(name)) errors.push({ path: P.variables + pointer(name), code: 'unknown_variable', message: `the template has no variable "${name}"` });
  }

  // Credentials: every ref mapped to an existing credential of its type.
  const requirements = new Map<string, CredentialRequirement>(parts.credentials.map((c) => [c.ref, c]));
  const mapped = new Map<string, string>();
  for (const c of parts.credentials) {
    const path = P.credentials + pointer(c.ref);
    const name = Object.hasOwn(input.credentials, c.ref) ? input.credentials[c.ref] : undefined;
    const credential = name === undefined ? undefined : tenantCredentials.get(name);
    if (name === undefined) errors.push({ path, code: 'required', message: `choose one of your "${c.type}" credentials for "${c.label.en}"` });
    else if (!credential) errors.push({ path, code: 'unknown_credential', message: `you have no credential named "${name}"` });
    else if (credential.type !== c.type) errors.push({ path, code: 'credential_type_mismatch', message: `"${name}" is a ${credential.type} credential; "${c.label.en}" needs ${c.type}` });
    else mapped.set(c.ref, name);
  }
  for (const ref of Object.keys(input.credentials)) {
    if (!requirements.has(ref)) errors.push({ path: P.credentials + pointer(ref), code: 'unknown_credential_ref', message: `the template needs no credential "${ref}"` });
  }

  const flows: ImportPlan['flows'] = [];
  const webhooks: PlannedWebhook[] = [];
  for (const part of parts.flows) {
    const base = P.template + pointer('flows', part.index, 'definition');
    const def = structuredClone(part.definition) as Flow;
    const nodes = Array.isArray(def.nodes) ? def.nodes : [];
    if (def.meta && typeof def.meta === 'object') dropMeta(def, ORIGIN_META_KEY);
    /** Absolute param pointer (in the flow) -> variables its value came from. */
    const filled = new Map<string, string[]>();
    const usedVariables = new Set<string>();

    nodes.forEach((node, j) => {
      if (!node || typeof node !== 'object' || !node.params || typeof node.params !== 'object') return;
      if (node.meta && typeof node.meta === 'object') dropMeta(node, PARAMS_META_KEY);
      const sources: Record<string, string> = {};
      for (const site of placeholderSites(node.params)) {
        const at = pointer('nodes', j, 'params') + site.pointer;
        const unknown = site.names.filter((n) => !declared.has(n));
        for (const n of unknown) errors.push({ path: base + at, code: 'unknown_variable', message: `{{${n}}} is not a variable of the template's manifest` });
        if (unknown.length) continue;
        setAt(node.params, site.pointer, substitute(site.source, values));
        sources[site.pointer] = site.source;
        filled.set(at, site.names);
        site.names.forEach((n) => usedVariables.add(n));
      }
      if (Object.keys(sources).length) node.meta = { ...node.meta, [PARAMS_META_KEY]: sources };
    });

    const usedCredentials = new Set<string>();
    for (const use of credentialUses(nodes, input.registry)) {
      const path = base + pointer('nodes', use.nodeIndex, 'params') + use.pointer;
      const requirement = typeof use.value === 'string' ? requirements.get(use.value) : undefined;
      if (!requirement) {
        errors.push({ path, code: 'undeclared_credential_ref', message: `${JSON.stringify(use.value)} is not a credential ref of the template's manifest` });
        continue;
      }
      if (!use.accepts.includes(requirement.type)) {
        errors.push({ path, code: 'credential_type_not_accepted', message: `this param takes ${use.accepts.join(' or ')} credentials, not ${requirement.type}` });
        continue;
      }
      usedCredentials.add(requirement.ref);
      const name = mapped.get(requirement.ref);
      if (name !== undefined) setAt(nodes[use.nodeIndex]!.params, use.pointer, name);
    }

    const checked = validateFlow(def, input.registry);
    for (const e of checked.errors) {
      const source = [...filled.keys()].find((at) => e.path === at || e.path.startsWith(at + '/'));
      // A missing required value already has its error; what the empty value breaks is noise.
      if (source) errors.push(...blame(filled.get(source)!.filter((n) => !missing.has(n)), P.variables, e, `${base}${e.path}`));
      else errors.push({ ...e, path: base + e.path });
    }

    nodes.forEach((node, j) => {
      const binding = node && typeof node === 'object' && typeof node.type === 'string' ? input.registry.get(node.type)?.webhook?.(node.params) : undefined;
      if (!binding || typeof (node.params as { path?: unknown } | undefined)?.path !== 'string') return;
      const at = pointer('nodes', j, 'params', 'path');
      const names = filled.get(at);
      webhooks.push({
        method: binding.method,
        path: binding.path,
        errorPaths: names ? names.map((n) => P.variables + pointer(n)) : [base + at],
      });
    });

    if (checked.ok && manifest) {
      const origin: TemplateOrigin = {
        id: manifest.id,
        version: manifest.version,
        key: part.key,
        variables: parts.variables.filter((v) => usedVariables.has(v.name)),
        values: Object.fromEntries([...usedVariables].map((n) => [n, values[n]!])),
        credentials: parts.credentials.filter((c) => usedCredentials.has(c.ref) && mapped.has(c.ref)).map((c) => ({ ...c, name: mapped.get(c.ref)! })),
      };
      checked.flow.meta = { ...checked.flow.meta, [ORIGIN_META_KEY]: origin };
      flows.push({ key: part.key, definition: checked.flow });
    }
  }

  // Two flows of the template answering the same webhook.
  const seen = new Set<string>();
  for (const w of webhooks) {
    const key = `${w.method} ${w.path}`;
    if (seen.has(key)) errors.push(...w.errorPaths.map((path) => ({ path, code: 'duplicate_webhook_path', message: `two flows of the template answer ${w.method} /${w.path}` })));
    seen.add(key);
  }
  return { manifest, flows, webhooks, errors: dedupe(errors) };
}

/** Problems for the planned webhook paths another flow of the tenant already answers. */
export function webhookConflicts(webhooks: readonly PlannedWebhook[], isTaken: (method: string, path: string) => boolean): FlowError[] {
  return dedupe(
    webhooks
      .filter((w) => isTaken(w.method, w.path))
      .flatMap((w) => w.errorPaths.map((path) => ({ path, code: 'webhook_path_taken', message: `${w.method} /${w.path} already starts another flow of yours: choose another path` }))),
  );
}

function dedupe(errors: FlowError[]): FlowError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}\u0000${e.code}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

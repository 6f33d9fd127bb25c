// Save-time and load-time validation of a flow: the envelope schema, each node's params
// schema, expressions and the graph checks. Every problem is reported, not only the first.
import Ajv2020Module, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { Flow } from './flow.schema.js';
import type { FlowError } from './flow-error.js';
import { pointer } from './flow-error.js';
import { checkGraph } from './graph-checks.js';
import type { NodeRegistry } from '../node-contract/node-registry.js';
import type { NodeType } from '../node-contract/define-node.js';
import { checkExpressions } from '../expressions/expression.js';
import { closestName } from './closest-name.js';

export type ValidationResult = { ok: true; flow: Flow; errors: [] } | { ok: false; errors: FlowError[] };

// ajv and ajv-formats ship CommonJS; under NodeNext their classes sit on `.default`.
const Ajv2020 = (Ajv2020Module as unknown as { default: typeof Ajv2020Module }).default ?? Ajv2020Module;
type Ajv = InstanceType<typeof Ajv2020Module.default>;
const ajv: Ajv = new (Ajv2020 as unknown as new (o: object) => Ajv)({ allErrors: true, useDefaults: true, strict: false, verbose: true });
const applyFormats = ((addFormats as unknown as { default?: unknown }).default ?? addFormats) as (a: Ajv) => void;
applyFormats(ajv);

// At run time params are checked again after expressions resolve; that check must never
// write defaults into the (shared, immutable) flow, so it uses an instance without useDefaults.
const strictAjv: Ajv = new (Ajv2020 as unknown as new (o: object) => Ajv)({ allErrors: true, useDefaults: false, strict: false });
applyFormats(strictAjv);
const resolvedValidators = new WeakMap<NodeType, ValidateFunction>();

/** Validator for params after expression resolution: reports, never mutates. */
export function resolvedParamsValidator(nodeType: NodeType): ValidateFunction {
  const cached = resolvedValidators.get(nodeType);
  if (cached) return cached;
  const v = strictAjv.compile(nodeType.params);
  resolvedValidators.set(nodeType, v);
  return v;
}

const validateEnvelope = ajv.compile(Flow);
const paramValidators = new WeakMap<NodeType, ValidateFunction>();

export function paramsValidator(nodeType: NodeType): ValidateFunction {
  const cached = paramValidators.get(nodeType);
  if (cached) return cached;
  const v = ajv.compile(nodeType.params);
  paramValidators.set(nodeType, v);
  return v;
}

/** Turn ajv's errors into ours, under `basePath`, dropping the noise of expression unions. */
export function schemaErrors(errors: ErrorObject[] | null | undefined, basePath = ''): FlowError[] {
  if (!errors) return [];
  const unionPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath);
  const inUnion = (e: ErrorObject): boolean => e.keyword !== 'anyOf' && e.schemaPath.includes('/anyOf/') && unionPaths.some((p) => e.instancePath.startsWith(p));
  const out: FlowError[] = [];
  for (const e of errors) {
    if (inUnion(e)) continue;
    if (e.keyword === 'anyOf') {
      // The value had a branch's type but broke its constraints (a number below its minimum):
      // say that, rather than "must be number or an expression".
      const specific = errors.filter(
        (b) => inUnion(b) && b.instancePath.startsWith(e.instancePath) && b.keyword !== 'type' && !(b.keyword === 'pattern' && (b.params as { pattern?: string }).pattern === '^='),
      );
      if (specific.length > 0) {
        out.push(...specific.map((b) => toFlowError(b, basePath)));
        continue;
      }
    }
    out.push(toFlowError(e, basePath));
  }
  return dedupe(out);
}

function toFlowError(e: ErrorObject, basePath: string): FlowError {
  const path = basePath + e.instancePath;
  switch (e.keyword) {
    case 'required': {
      const prop = (e.params as { missingProperty: string }).missingProperty;
      return { path: path + pointer(prop), code: 'required', message: `${prop} is required` };
    }
    case 'additionalProperties': {
      const prop = (e.params as { additionalProperty: string }).additionalProperty;
      return { path: path + pointer(prop), code: 'unknown_property', message: `unknown property "${prop}"` };
    }
    case 'anyOf': {
      const branches = (e.parentSchema as { anyOf?: { pattern?: string; type?: string }[] })?.anyOf ?? [];
      const isExpr = branches.some((b) => b.pattern === '^=');
      const types = branches.filter((b) => b.pattern !== '^=').map((b) => b.type ?? 'value');
      return {
        path,
        code: 'invalid_value',
        message: isExpr ? `must be ${types.join(' or ')} or an expression starting with "="` : 'does not match any allowed shape',
      };
    }
    default:
      return { path, code: e.keyword === 'type' ? 'invalid_type' : 'invalid_value', message: e.message ?? 'invalid value' };
  }
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

/**
 * Validate a flow document. On success returns a normalised copy (defaults filled in);
 * the input is never mutated.
 */
export function validateFlow(doc: unknown, registry: NodeRegistry): ValidationResult {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return { ok: false, errors: [{ path: '', code: 'invalid_type', message: 'a flow must be a JSON object' }] };
  }
  const flow = structuredClone(doc) as Flow;
  const errors: FlowError[] = [];
  if (!validateEnvelope(flow)) errors.push(...schemaErrors(validateEnvelope.errors));

  const nodes = Array.isArray(flow.nodes) ? flow.nodes : [];
  nodes.forEach((node, i) => {
    if (!node || typeof node !== 'object' || typeof node.type !== 'string') return;
    const nodeType = registry.get(node.type);
    if (!nodeType) {
      const guess = closestName(node.type, registry.list().map((t) => t.type));
      const hint = guess ? `; did you mean "${guess}"?` : '';
      errors.push({ path: pointer('nodes', i, 'type'), code: 'unknown_node_type', message: `unknown node type "${node.type}"${hint}` });
      return;
    }
    if ((node.typeVersion ?? 1) > nodeType.version) {
      errors.push({
        path: pointer('nodes', i, 'typeVersion'),
        code: 'unsupported_type_version',
        message: `${node.type} supports up to version ${nodeType.version}`,
      });
    }
    if (node.params === undefined) node.params = {};
    const base = pointer('nodes', i, 'params');
    const validate = paramsValidator(nodeType);
    if (!validate(node.params)) errors.push(...schemaErrors(validate.errors, base));
    else if (nodeType.check) errors.push(...nodeType.check(node.params as never).map((e) => ({ ...e, path: base + e.path })));
    errors.push(...checkExpressions(node.params, base));
  });

  errors.push(...checkGraph(flow, registry));
  if (errors.length > 0) return { ok: false, errors: dedupe(errors) };
  return { ok: true, flow, errors: [] };
}

// Node params schemas (TypeBox JSON Schema from GET /node-types) -> what @rjsf renders well:
// - anyOf of consts becomes an enum (a select);
// - "literal or expression" (anyOf with a `pattern: "^="` branch) and untyped params become an
//   expression field (an "fx" toggle between the literal form and a JSONata expression);
// - maps (patternProperties "^(.*)$": header names, data.set fields) become a key/value editor;
// - `x-editor: code` becomes a monospace text area.
// The server validates the draft on every save; its problems are shown on the fields
// (extraErrors), so the form itself never compiles a validator (the page's CSP forbids eval).
import type { RJSFSchema, UiSchema } from '@rjsf/utils';
import type { JsonSchema } from '../api/types';

export interface PreparedForm {
  schema: RJSFSchema;
  uiSchema: UiSchema;
}

type S = JsonSchema & {
  type?: string;
  anyOf?: S[];
  properties?: Record<string, S>;
  patternProperties?: Record<string, S>;
  items?: S;
  const?: unknown;
  pattern?: string;
  default?: unknown;
  description?: string;
};

const isExprBranch = (s: S) => s.pattern === '^=' && (s.type === 'string' || s.type === undefined);

function carry(from: S): RJSFSchema {
  const out: Record<string, unknown> = {};
  if (from.description !== undefined) out.description = from.description;
  if (from.default !== undefined) out.default = from.default;
  if (from.title !== undefined) out.title = from.title;
  if (from.examples !== undefined) out.examples = from.examples;
  return out as RJSFSchema;
}

export function prepare(schema: S): PreparedForm {
  if (schema.anyOf) {
    const branches = schema.anyOf;
    if (branches.length > 0 && branches.every((b) => b.const !== undefined)) {
      const values = branches.map((b) => b.const);
      return { schema: { ...carry(schema), type: typeof values[0] === 'number' ? 'number' : 'string', enum: values as string[] } as RJSFSchema, uiSchema: placeholder(schema) };
    }
    const literals = branches.filter((b) => !isExprBranch(b));
    const hasExpr = literals.length < branches.length;
    if (literals.length === 1) {
      const inner = prepare({ ...literals[0], ...(carry(schema) as S), description: schema.description ?? literals[0]!.description });
      return hasExpr ? asExpression(inner) : inner;
    }
    return asExpression({ schema: { ...carry(schema) }, uiSchema: {} });
  }
  if (schema['x-editor'] === 'code') {
    return { schema: stripCustom(schema), uiSchema: { 'ui:widget': 'textarea', 'ui:options': { rows: 10 }, 'ui:classNames': 'code-field' } };
  }
  if (schema.type === undefined && !schema.properties && !schema.enum) {
    return asExpression({ schema: { ...carry(schema) }, uiSchema: {} });
  }
  if (schema.type === 'object' && schema.patternProperties && !schema.properties) {
    const valueSchema = Object.values(schema.patternProperties)[0] ?? {};
    const stringsOnly = valueSchema.type === 'string' || (valueSchema.anyOf ?? []).every((b) => b.type === 'string');
    return { schema: { ...carry(schema), type: 'object' } as RJSFSchema, uiSchema: { 'ui:field': 'keyValue', 'ui:options': { stringsOnly } } };
  }
  if (schema.type === 'object' && schema.properties) {
    const properties: Record<string, RJSFSchema> = {};
    const uiSchema: UiSchema = {};
    for (const [key, prop] of Object.entries(schema.properties)) {
      const p = prepare(prop);
      properties[key] = p.schema;
      if (Object.keys(p.uiSchema).length) uiSchema[key] = p.uiSchema;
    }
    const out: RJSFSchema = { ...stripCustom(schema), properties };
    delete out.additionalProperties;
    return { schema: out, uiSchema };
  }
  if (schema.type === 'array' && schema.items) {
    const items = prepare(schema.items);
    return { schema: { ...stripCustom(schema), items: items.schema }, uiSchema: Object.keys(items.uiSchema).length ? { items: items.uiSchema } : {} };
  }
  return { schema: stripCustom(schema), uiSchema: placeholder(schema) };
}

/**
 * Defaults are not written into params (opening a node must not change the draft); a scalar's
 * default shows as the placeholder instead, and a boolean's as the checkbox's state (form/widgets.tsx).
 */
function placeholder(schema: S): UiSchema {
  const d = schema.default;
  return d !== undefined && d !== null && typeof d !== 'object' && typeof d !== 'boolean' ? { 'ui:placeholder': String(d) } : {};
}

function asExpression(inner: PreparedForm): PreparedForm {
  const literal = inner.schema.type === undefined && !inner.schema.enum ? 'json' : 'schema';
  return { schema: inner.schema, uiSchema: { ...inner.uiSchema, 'ui:field': 'expression', 'ui:options': { literal, innerUi: inner.uiSchema } } };
}

function stripCustom(schema: S): RJSFSchema {
  const out: RJSFSchema = {};
  for (const [k, v] of Object.entries(schema)) if (!k.startsWith('x-') && k !== 'patternProperties') (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Server problems (paths under /nodes/<i>/params) as an rjsf error schema on the fields. */
export function problemsToErrorSchema(messages: { path: string; message: string }[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const { path, message } of messages) {
    const m = /^\/nodes\/\d+\/params(\/.*)?$/.exec(path);
    if (!m) continue;
    const segments = (m[1] ?? '').split('/').filter(Boolean).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let cursor = root;
    for (const seg of segments) cursor = (cursor[seg] ??= {}) as Record<string, unknown>;
    const list = (cursor.__errors ??= []) as string[];
    list.push(message);
  }
  return root;
}

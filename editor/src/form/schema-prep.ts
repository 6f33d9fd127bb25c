// Node params schemas (TypeBox JSON Schema from GET /node-types) -> what @rjsf renders well:
// - titles and descriptions in the user's language: `title`/`description` are English, `x-ar`
//   holds the Arabic (engine/node-contract/param-text.ts); for "literal or expression" params
//   the text may sit on the value schema inside, which the field then carries;
// - anyOf of consts becomes a select (`enum` with `ui:enumNames`: the options' titles; option values are the values);
// - anyOf of objects (escalate's assignee) becomes rjsf's variant picker: localized variant
//   titles, the discriminating const (`kind`) hidden and filled in by rjsf (form/variant-field.tsx);
// - "literal or expression" (anyOf with a `pattern: "^="` branch) and untyped params become an
//   expression field (an "fx" toggle between the literal form and a JSONata expression);
// - maps (patternProperties "^(.*)$": header names, data.set fields) become a key/value editor;
// - `x-credential-types` becomes a select of the tenant's credentials (form/credential-field.tsx);
// - `x-editor: code` becomes a monospace text area.
// The server validates the draft on every save; its problems are shown on the fields
// (extraErrors), so the form itself never compiles a validator (the page's CSP forbids eval).
import type { RJSFSchema, UiSchema } from '@rjsf/utils';
import type { JsonSchema, Locale } from '../api/types';

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
  title?: string;
  description?: string;
  'x-ar'?: { title?: string; description?: string };
  'x-credential-types'?: string[];
};

const isExprBranch = (s: S) => s.pattern === '^=' && (s.type === 'string' || s.type === undefined);
const isObjectBranch = (s: S) => s.type === 'object' && s.properties !== undefined;

/** Keywords whose values are schemas (or maps or lists of them); everything else is copied as it is. */
const SCHEMA_MAPS = ['properties', 'patternProperties'] as const;
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf'] as const;

/** The schema with `title`/`description` in `locale` (English when a text has no Arabic) and no `x-ar`, at every depth. */
export function localize(schema: S, locale: Locale): S {
  const { 'x-ar': ar, ...rest } = schema;
  const out: S = { ...rest };
  if (locale === 'ar' && ar?.title) out.title = ar.title;
  if (locale === 'ar' && ar?.description) out.description = ar.description;
  for (const key of SCHEMA_MAPS) {
    const map = schema[key] as Record<string, S> | undefined;
    if (map) out[key] = Object.fromEntries(Object.entries(map).map(([k, v]) => [k, localize(v, locale)]));
  }
  for (const key of SCHEMA_LISTS) {
    const list = schema[key] as S[] | undefined;
    if (Array.isArray(list)) out[key] = list.map((v) => localize(v, locale));
  }
  if (schema.items && typeof schema.items === 'object') out.items = localize(schema.items, locale);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') out.additionalProperties = localize(schema.additionalProperties as S, locale);
  return out;
}

function carry(from: S): RJSFSchema {
  const out: Record<string, unknown> = {};
  if (from.description !== undefined) out.description = from.description;
  if (from.default !== undefined) out.default = from.default;
  if (from.title !== undefined) out.title = from.title;
  if (from.examples !== undefined) out.examples = from.examples;
  return out as RJSFSchema;
}

/** The form for a node's params schema, its text in `locale`. */
export function prepare(schema: S, locale: Locale): PreparedForm {
  return prepareLocalized(localize(schema, locale));
}

function prepareLocalized(schema: S): PreparedForm {
  if (schema.anyOf) {
    const branches = schema.anyOf;
    if (branches.length > 0 && branches.every((b) => b.const !== undefined)) {
      // enum + ui:enumNames rather than oneOf [{const, title}]: rjsf renders both as a select with
      // titles, but a oneOf sends every default computation through the validator (the CSP's eval).
      const values = branches.map((b) => b.const);
      const enumNames = branches.map((b) => b.title ?? String(b.const));
      const type = typeof values[0] === 'number' ? 'number' : 'string';
      // An unset select shows its default's title in the empty option (not the first option, as if chosen).
      const { default: fallback, ...text } = carry(schema);
      const ui: UiSchema = { 'ui:options': { enumNames, optionValueFormat: 'realValue' } };
      if (fallback !== undefined) ui['ui:placeholder'] = enumNames[values.indexOf(fallback)] ?? String(fallback);
      return { schema: { ...text, type, enum: values } as RJSFSchema, uiSchema: ui };
    }
    const literals = branches.filter((b) => !isExprBranch(b));
    const hasExpr = literals.length < branches.length;
    if (literals.length === 1) {
      const inner = prepareLocalized({ ...literals[0], ...(carry(schema) as S), description: schema.description ?? literals[0]!.description });
      return hasExpr ? asExpression(inner) : inner;
    }
    if (!hasExpr && literals.length > 1 && literals.every(isObjectBranch)) return variants(schema, literals);
    return asExpression({ schema: { ...carry(schema) }, uiSchema: {} });
  }
  if (schema['x-credential-types']) {
    return { schema: stripCustom(schema), uiSchema: { 'ui:field': 'credential', 'ui:options': { credentialTypes: schema['x-credential-types'] } } };
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
      const p = prepareLocalized(prop);
      properties[key] = p.schema;
      if (Object.keys(p.uiSchema).length) uiSchema[key] = p.uiSchema;
    }
    const out: RJSFSchema = { ...stripCustom(schema), properties };
    delete out.additionalProperties;
    return { schema: out, uiSchema };
  }
  if (schema.type === 'array' && schema.items) {
    const items = prepareLocalized(schema.items);
    return { schema: { ...stripCustom(schema), items: items.schema }, uiSchema: Object.keys(items.uiSchema).length ? { items: items.uiSchema } : {} };
  }
  return { schema: stripCustom(schema), uiSchema: placeholder(schema) };
}

/** The property every object branch pins with a `const` (e.g. `kind`), if there is one. */
function discriminatorOf(branches: S[]): string | undefined {
  const keys = Object.keys(branches[0]?.properties ?? {});
  return keys.find((k) => branches.every((b) => b.properties?.[k]?.const !== undefined));
}

/**
 * A union of objects: rjsf's variant picker (anyOf), each variant titled, its fields prepared,
 * and the discriminating const hidden (rjsf writes it when a variant is picked). The value
 * stays the plain object the node expects, e.g. {kind: 'round_robin', role: 'manager'}.
 */
function variants(schema: S, branches: S[]): PreparedForm {
  const discriminator = discriminatorOf(branches);
  const prepared = branches.map((b) => prepareLocalized(b));
  const anyOf = prepared.map((p, i) => ({ ...p.schema, title: branches[i]!.title ?? p.schema.title }));
  const optionUi = prepared.map((p) => ({ ...p.uiSchema, 'ui:label': false, ...(discriminator ? { [discriminator]: { 'ui:widget': 'hidden' } } : {}) }));
  const out = { ...carry(schema), anyOf, ...(discriminator ? { discriminator: { propertyName: discriminator } } : {}) } as RJSFSchema;
  return { schema: out, uiSchema: { anyOf: optionUi, 'ui:widget': 'variantSelect' } };
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

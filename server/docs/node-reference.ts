// docs/nodes.md, generated from the node types themselves (`npm run docs:nodes`; a test keeps
// the file equal to this output): for each type its English and Arabic labels and
// descriptions, ports, credentials and every parameter with its type, default, labels and
// examples, and a minimal node to copy into a flow.
import type { TSchema } from '@sinclair/typebox';
import type { NodeType } from '../../engine/index.js';
import { coreNodes } from '../../nodes/registry.js';

type Schema = TSchema & {
  type?: string | string[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: boolean | Schema;
  patternProperties?: Record<string, Schema>;
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  default?: unknown;
  examples?: unknown[];
  title?: string;
  description?: string;
  minimum?: number;
  maximum?: number;
  'x-ar'?: { title?: string; description?: string };
};

const CATEGORY: Record<string, string> = {
  trigger: 'Triggers — المشغلات',
  logic: 'Logic — المنطق',
  data: 'Data — البيانات',
  time: 'Time — الوقت',
  flow: 'Flow — التدفق',
  integration: 'Integrations — التكاملات',
  sales: 'Sales — المبيعات',
};

const isExpressionSchema = (s: Schema): boolean => s.type === 'string' && s.pattern === '^=';
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (v: unknown): string => '`' + (typeof v === 'string' ? v : JSON.stringify(v)).replace(/`/g, 'ˋ') + '`';

/** A short type for a schema: `string`, `integer 1–86400`, one of `a`/`b`, `… or expression`. */
function typeOf(s: Schema): string {
  if (s.anyOf) {
    const expr = s.anyOf.some(isExpressionSchema);
    const rest = s.anyOf.filter((x) => !isExpressionSchema(x));
    if (rest.length && rest.every((x) => x.const !== undefined)) return `one of ${rest.map((x) => code(x.const)).join(', ')}${expr ? ', or an expression' : ''}`;
    const inner = rest.map(typeOf).join(' or ');
    return expr ? `${inner} or expression` : inner;
  }
  if (s.const !== undefined) return code(s.const);
  if (s.enum) return `one of ${s.enum.map(code).join(', ')}`;
  if (isExpressionSchema(s)) return 'expression';
  const t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'any');
  if (t === 'array') return `array of ${s.items ? typeOf(s.items) : 'any'}`;
  if (t === 'object' && !s.properties) {
    const values = typeof s.additionalProperties === 'object' ? s.additionalProperties : Object.values(s.patternProperties ?? {})[0];
    return values ? `map of ${typeOf(values)}` : 'object';
  }
  if ((t === 'integer' || t === 'number') && (s.minimum !== undefined || s.maximum !== undefined)) return `${t} ${s.minimum ?? ''}–${s.maximum ?? ''}`;
  return t;
}

interface Row {
  path: string;
  schema: Schema;
  required: boolean;
}

/** Params and their nested object fields, depth first (`template.name`). */
function rows(schema: Schema, prefix = ''): Row[] {
  const out: Row[] = [];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const path = prefix + name;
    out.push({ path, schema: child, required: (schema.required ?? []).includes(name) });
    const object = child.properties ? child : child.anyOf?.find((x) => x.properties);
    if (object) out.push(...rows(object, `${path}.`));
  }
  return out;
}

/** A value a minimal example can use for a required param. */
function sample(s: Schema): unknown {
  if (s.examples?.length) return s.examples[0];
  if (s.default !== undefined) return s.default;
  if (s.anyOf) return sample(s.anyOf.find((x) => !isExpressionSchema(x)) ?? s.anyOf[0]!);
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  if (s.properties) {
    return Object.fromEntries(
      Object.entries(s.properties)
        .filter(([k]) => (s.required ?? []).includes(k))
        .map(([k, v]) => [k, sample(v)]),
    );
  }
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  if (t === 'integer' || t === 'number') return s.minimum ?? 1;
  if (t === 'boolean') return true;
  if (t === 'array') return [];
  if (t === 'object') return {};
  return '…';
}

function ports(nodeType: NodeType): string {
  if (typeof nodeType.outputs === 'function') return 'one port per case (`cases[].port`), then `default`';
  return nodeType.outputs.map((p) => `${code(p.port)} (${p.label.en} — ${p.label.ar})`).join(', ');
}

function section(nodeType: NodeType): string {
  const params = nodeType.params as Schema;
  const lines = [
    `### \`${nodeType.type}\` — ${nodeType.label.en} · ${nodeType.label.ar}`,
    '',
    nodeType.description.en,
    '',
    `<div dir="rtl">${nodeType.description.ar}</div>`,
    '',
    `- input: ${nodeType.trigger ? 'none (a trigger starts the execution)' : '`in`'}`,
    `- outputs: ${ports(nodeType)}`,
    `- policy class ${nodeType.policyClass}${nodeType.policyClass === 'B' ? ' (publishing needs an admin)' : ''}; ${nodeType.sideEffects ? 'side effects: committed before and after it runs' : 'pure: no side effects'}`,
  ];
  if (nodeType.credentials?.length) lines.push(`- credentials: ${nodeType.credentials.map(code).join(', ')}`);
  lines.push('');
  const table = rows(params);
  if (table.length) {
    lines.push('| param | type | required | default | English | العربية | examples |', '|---|---|:-:|---|---|---|---|');
    for (const r of table) {
      const en = [r.schema.title, r.schema.description].filter(Boolean).join(': ');
      const ar = [r.schema['x-ar']?.title, r.schema['x-ar']?.description].filter(Boolean).join(': ');
      const examples = (r.schema.examples ?? r.schema.anyOf?.find((x) => x.examples)?.examples ?? []).map(code).join(', ');
      lines.push(
        `| \`${r.path}\` | ${cell(typeOf(r.schema))} | ${r.required ? '✓' : ''} | ${r.schema.default !== undefined ? cell(code(r.schema.default)) : ''} | ${cell(en)} | ${cell(ar)} | ${cell(examples)} |`,
      );
    }
    lines.push('');
  } else {
    lines.push('No params.', '');
  }
  const example = { id: nodeType.type.replace(/\W+/g, '_'), type: nodeType.type, params: sample({ ...params, examples: undefined } as Schema) };
  lines.push('```json', JSON.stringify(example), '```', '');
  return lines.join('\n');
}

export function nodeReferenceMarkdown(types: readonly NodeType[] = coreNodes): string {
  const out = [
    '# Node reference — مرجع العقد',
    '',
    '<!-- Generated from the node types in nodes/ by `npm run docs:nodes`; do not edit by hand (test/server/docs-nodes.test.ts keeps it current). -->',
    '',
    'Every node type a flow can use, as `GET /api/v1/node-types` also reports it. Params may be',
    'given as expressions (a string starting with `=`, see [flow-format.md](flow-format.md)) where the',
    'type says so. The JSON under each type is a minimal node with its required params.',
    '',
  ];
  const categories = [...new Set(types.map((t) => t.category))];
  for (const category of categories) {
    out.push(`## ${CATEGORY[category] ?? category}`, '');
    for (const t of types.filter((x) => x.category === category)) out.push(section(t));
  }
  return out.join('\n').replace(/\n+$/, '\n');
}

// logic.switch: routes the input to the port of the first case whose condition holds, or to
// `default`. Its output ports are the case ports plus `default`.
import { Type, type Static } from '@sinclair/typebox';
import { defineNode, label, pointer, type FlowError, type PortSpec } from '../engine/index.js';
import { isConditionSource, isTruthy } from './shared/values.js';

export const CASE_PORT_PATTERN = '^[a-z][a-z0-9_-]{0,31}$';
const CASE_PORT_RE = new RegExp(CASE_PORT_PATTERN);
const RESERVED_PORTS = new Set(['default', 'error']);

export const DEFAULT_PORT: PortSpec = { port: 'default', label: { en: 'Default', ar: 'افتراضي' } };

const Case = Type.Object(
  {
    port: Type.String({ pattern: CASE_PORT_PATTERN, ...label('Port', 'المخرج', 'Output port name, e.g. "hot"', 'اسم منفذ الخروج، مثل "hot"') }),
    condition: Type.Unknown(label('Condition', 'الشرط', 'true/false, or an expression starting with "="', 'true/false، أو تعبير يبدأ بـ "="')),
  },
  { additionalProperties: false, ...label('Case', 'حالة') },
);

const params = Type.Object(
  {
    cases: Type.Array(Case, { minItems: 1, maxItems: 64, ...label('Cases', 'الحالات', 'Tested in order; the first true case wins', 'تُختبر بالترتيب؛ وتُعتمد أول حالة يتحقق شرطها') }),
  },
  { additionalProperties: false },
);

type Params = Static<typeof params>;

function switchPorts(p: Params): PortSpec[] {
  const ports: PortSpec[] = [];
  const seen = new Set<string>();
  for (const c of Array.isArray(p.cases) ? p.cases : []) {
    if (!c || typeof c.port !== 'string' || seen.has(c.port) || RESERVED_PORTS.has(c.port)) continue;
    seen.add(c.port);
    ports.push({ port: c.port, label: { en: c.port, ar: c.port } });
  }
  ports.push(DEFAULT_PORT);
  return ports;
}

export const logicSwitchNode = defineNode({
  type: 'logic.switch',
  category: 'logic',
  label: { en: 'Switch', ar: 'تفرّع متعدد' },
  description: {
    en: 'Sends the item to the port of the first case whose condition is true, otherwise to "default".',
    ar: 'يوجّه العنصر إلى منفذ أول حالة يتحقق شرطها، وإلا إلى المنفذ «افتراضي».',
  },
  icon: 'split',
  params,
  outputs: switchPorts,
  check(p): FlowError[] {
    const errors: FlowError[] = [];
    const seen = new Set<string>();
    p.cases.forEach((c, i) => {
      const path = pointer('cases', i, 'port');
      if (RESERVED_PORTS.has(c.port)) {
        errors.push({ path, code: 'reserved_port', message: `"${c.port}" is reserved; choose another port name` });
      } else if (!CASE_PORT_RE.test(c.port)) {
        errors.push({ path, code: 'invalid_port', message: 'port names are lowercase letters, digits, "_" and "-", starting with a letter (at most 32)' });
      } else if (seen.has(c.port)) {
        errors.push({ path, code: 'duplicate_port', message: `port "${c.port}" is used by an earlier case` });
      }
      seen.add(c.port);
      if (!isConditionSource(c.condition)) {
        errors.push({ path: pointer('cases', i, 'condition'), code: 'invalid_value', message: 'condition must be true, false or an expression starting with "="' });
      }
    });
    return errors;
  },
  async execute(ctx) {
    const match = ctx.params.cases.find((c) => isTruthy(c.condition));
    return { port: match ? match.port : DEFAULT_PORT.port, output: ctx.input };
  },
});

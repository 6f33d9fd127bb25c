// data.set: sets fields on the item. Names with dots set nested paths ("lead.tier"), merging
// into existing objects; the input and the params are never mutated.
import { Type } from '@sinclair/typebox';
import { defineNode, label, NodeFailure, pointer, type FlowError } from '../engine/index.js';
import { OUT_PORT } from './shared/ports.js';
import { isPlainObject } from './shared/values.js';

/** Path segments that would reach an object's prototype (prototype pollution). */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

/** Why a field name cannot be used, or null. */
export function fieldNameProblem(name: string): string | null {
  const segments = name.split('.');
  if (segments.some((s) => s === '')) return `field "${name}" has an empty path segment`;
  const bad = segments.find((s) => FORBIDDEN_SEGMENTS.has(s));
  if (bad) return `field "${name}" uses the forbidden segment "${bad}"`;
  return null;
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * `base` with `fields` applied (dotted names are paths). Objects along a path are copied
 * before they are written, so nothing reachable from the arguments is changed. Pure.
 */
export function setFields(base: Record<string, unknown>, fields: Record<string, unknown>): Record<string, unknown> {
  const owned = new WeakSet<object>();
  const root: Record<string, unknown> = { ...base };
  owned.add(root);
  for (const [name, value] of Object.entries(fields)) {
    const problem = fieldNameProblem(name);
    if (problem) throw new NodeFailure('invalid_field', problem, { retryable: false, path: '/params' + pointer('fields', name) });
    const segments = name.split('.');
    const last = segments.pop() as string;
    let target = root;
    for (const segment of segments) {
      const existing = Object.hasOwn(target, segment) ? target[segment] : undefined;
      let next: Record<string, unknown>;
      if (isPlainObject(existing) && owned.has(existing)) next = existing;
      else {
        next = isPlainObject(existing) ? { ...existing } : {};
        owned.add(next);
        define(target, segment, next);
      }
      target = next;
    }
    define(target, last, value);
  }
  return root;
}

const params = Type.Object(
  {
    fields: Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Type.Unknown(), {
      ...label(
        'Fields',
        'الحقول',
        'Field name (dots for nested paths, e.g. "lead.tier") to a value or an expression starting with "="',
        'اسم الحقل (بنقاط للمسارات المتداخلة، مثل "lead.tier") وقيمته، أو تعبير يبدأ بـ "="',
      ),
      examples: [{ 'lead.tier': 'A', score: '=score + 10' }],
    }),
    keepInput: Type.Optional(
      Type.Boolean({
        default: true,
        ...label('Keep input', 'الإبقاء على المدخلات', 'Start from the input item (when it is an object) instead of an empty object', 'البدء من عنصر الإدخال (إن كان كائنًا) بدلًا من كائن فارغ'),
      }),
    ),
  },
  { additionalProperties: false },
);

export const dataSetNode = defineNode({
  type: 'data.set',
  category: 'data',
  label: { en: 'Set fields', ar: 'تعيين الحقول' },
  description: {
    en: 'Sets or adds fields on the item, from fixed values or expressions; dotted names set nested fields.',
    ar: 'يعيّن حقولًا في العنصر أو يضيفها من قيم ثابتة أو تعبيرات؛ والأسماء المفصولة بنقاط تعيّن حقولًا متداخلة.',
  },
  icon: 'pen-line',
  params,
  outputs: [OUT_PORT],
  check(p): FlowError[] {
    const errors: FlowError[] = [];
    for (const name of Object.keys(p.fields)) {
      const problem = fieldNameProblem(name);
      if (problem) errors.push({ path: pointer('fields', name), code: 'invalid_field', message: problem });
    }
    return errors;
  },
  async execute(ctx) {
    const keepInput = ctx.params.keepInput ?? true;
    const base = keepInput && isPlainObject(ctx.input) ? ctx.input : {};
    return { port: 'out', output: setFields(base, ctx.params.fields) };
  },
});

// The smallest value a JSON Schema accepts, for tests that must reach a handler (a request
// refused by validation proves nothing about what the handler would do). Covers what our route
// schemas use; anything it cannot satisfy is reported by the caller's ajv check.
type Schema = Record<string, unknown>;

export function minimalSample(schema: unknown): unknown {
  const s = (schema ?? {}) as Schema;
  if ('default' in s) return structuredClone(s.default);
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key] as unknown[] | undefined;
    if (options?.length) return minimalSample(options[0]);
  }
  if (Array.isArray(s.allOf)) return Object.assign({}, ...s.allOf.map((x) => minimalSample(x) as object));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      return stringSample(s);
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : 1;
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 0;
      return Array.from({ length: min }, () => minimalSample(s.items));
    }
    case 'object':
    case undefined: {
      if (!s.properties && type === undefined) return {};
      const out: Record<string, unknown> = {};
      const props = (s.properties ?? {}) as Record<string, unknown>;
      for (const name of (s.required as string[] | undefined) ?? []) out[name] = minimalSample(props[name]);
      // minProperties beyond the required ones: add optional properties, or free-form keys.
      const minProps = typeof s.minProperties === 'number' ? s.minProperties : 0;
      for (const name of Object.keys(props)) if (Object.keys(out).length < minProps && !(name in out)) out[name] = minimalSample(props[name]);
      for (let i = 0; Object.keys(out).length < minProps; i++) out[`note${i}`] = 'sample';
      return out;
    }
    default:
      return null;
  }
}

function stringSample(s: Schema): string {
  switch (s.format) {
    case 'email':
      return 'someone@example.test';
    case 'date-time':
      return '2026-01-01T00:00:00.000Z';
    case 'date':
      return '2026-01-01';
    case 'uri':
      return 'https://example.test/';
    case 'uuid':
      return '00000000-0000-7000-8000-000000000000';
    default: {
      const min = typeof s.minLength === 'number' ? s.minLength : 1;
      return 'sample-value-xyz'.padEnd(min, 'x').slice(0, typeof s.maxLength === 'number' ? Math.max(min, Math.min(16, s.maxLength)) : 16);
    }
  }
}

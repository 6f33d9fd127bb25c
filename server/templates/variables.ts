// Template variables: `{{name}}` placeholders in node params, replaced by values at import.
// A string that is exactly one placeholder takes the value with its type (a number stays a
// number); inside an expression ("=…") a placeholder becomes a JSONata literal (strings are
// quoted, so a value cannot inject code); inside other text it becomes the value's text.
// Pure: no I/O.
import { isExpression, pointerSegment } from '../../engine/index.js';
import type { VariableValue } from './template-format.js';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

/** Names of the variables `text` uses, in order of first use. */
export function placeholderNames(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) if (!names.includes(m[1]!)) names.push(m[1]!);
  return names;
}

export function hasPlaceholder(text: string): boolean {
  return placeholderNames(text).length > 0;
}

/** `text` with its placeholders replaced (see the file comment); unknown names are left as they are. */
export function substitute(text: string, values: Readonly<Record<string, VariableValue>>): unknown {
  const whole = WHOLE.exec(text);
  if (whole && Object.hasOwn(values, whole[1]!)) return values[whole[1]!];
  const expression = isExpression(text);
  return text.replace(PLACEHOLDER, (match, name: string) => {
    if (!Object.hasOwn(values, name)) return match;
    const value = values[name]!;
    return expression ? JSON.stringify(value) : String(value);
  });
}

export interface PlaceholderSite {
  /** JSON pointer of the string, relative to the params object. */
  pointer: string;
  source: string;
  names: string[];
}

/** Every string under `params` that holds a placeholder (object keys are not looked at). */
export function placeholderSites(params: unknown): PlaceholderSite[] {
  const sites: PlaceholderSite[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      const names = placeholderNames(value);
      if (names.length) sites.push({ pointer: path, source: value, names });
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${path}/${i}`));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, `${path}/${pointerSegment(k)}`);
    }
  };
  walk(params, '');
  return sites;
}

function segments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value at `pointer` under `root`, or undefined. */
export function getAt(root: unknown, pointer: string): unknown {
  let cur = root;
  for (const s of segments(pointer)) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, s)) return undefined;
    cur = (cur as Record<string, unknown>)[s];
  }
  return cur;
}

/** Replace the value at an existing `pointer` under `root` (in place); false when the path is missing. */
export function setAt(root: unknown, pointer: string, value: unknown): boolean {
  const segs = segments(pointer);
  const last = segs.pop();
  if (last === undefined) return false;
  const parent = getAt(root, segs.length ? '/' + segs.map(pointerSegment).join('/') : '');
  if (parent === null || typeof parent !== 'object' || !Object.hasOwn(parent, last)) return false;
  Object.defineProperty(parent, last, { value, enumerable: true, writable: true, configurable: true });
  return true;
}

/** Deep equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b as object, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

// Small pure helpers over JSON values, shared by node types.
import { isExpression } from '../../engine/index.js';

/** A plain object: `{}` or `Object.create(null)`, not an array, a Date or a class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The truthiness of conditions (logic.if, logic.switch): booleans as they are; null,
 * undefined, 0, NaN, '', [] and {} are false; everything else is true.
 */
export function isTruthy(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === null || value === undefined) return false;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string') return value !== '';
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** What a condition may be when saved: a boolean or an expression (its result may be anything). */
export function isConditionSource(value: unknown): boolean {
  return typeof value === 'boolean' || isExpression(value);
}

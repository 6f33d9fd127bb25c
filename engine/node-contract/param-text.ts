// Bilingual text of node params, kept in the params JSON Schema itself so shared params
// (purpose, contact, credential) carry it everywhere they are used:
//   title, description            English (standard JSON Schema keywords)
//   'x-ar': {title, description}  Arabic
// Every object property has a title in both languages, and a description in both when it has
// one; so do the literal branches of a union (select options) and its object branches (the
// variants of e.g. escalate's assignee). For `Expr(…)` params the text sits on the value
// schema inside (`Expr(Type.String({ …label(…) }))`) or on the union itself. The editor shows
// the user's language; nodes/registry.test.ts checks that nothing is missing.
import { Type, type TLiteral } from '@sinclair/typebox';

export interface ParamText {
  title: string;
  description?: string;
  'x-ar': { title: string; description?: string };
}

/** Schema options giving a param (or a union branch) its English and Arabic title and description. */
export function label(en: string, ar: string): ParamText;
export function label(en: string, ar: string, descriptionEn: string, descriptionAr: string): ParamText;
export function label(en: string, ar: string, descriptionEn?: string, descriptionAr?: string): ParamText {
  if (descriptionEn === undefined) return { title: en, 'x-ar': { title: ar } };
  return { title: en, description: descriptionEn, 'x-ar': { title: ar, description: descriptionAr } };
}

/** Literal schemas for a select, each with its English and Arabic title: `Type.Union(choices(['a', 'b'], {a: ['A', 'أ'], …}))`. */
export function choices<T extends string>(values: readonly T[], text: { readonly [K in T]: readonly [en: string, ar: string] }): TLiteral<T>[] {
  return values.map((value) => Type.Literal(value, label(text[value][0], text[value][1])));
}

// Structured answers: the instruction that asks for JSON, parsing a model's answer, checking it
// against the caller's JSON Schema (ajv, 2020-12), and the message that asks for one repair.
// Pure (ajv compiles in-process; compiled validators are cached per schema object).
import Ajv2020Module, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { JsonSchema, LlmLocale } from './types.js';

const Ajv2020 = (Ajv2020Module as unknown as { default: typeof Ajv2020Module }).default ?? Ajv2020Module;
type Ajv = InstanceType<typeof Ajv2020Module.default>;
const ajv: Ajv = new (Ajv2020 as unknown as new (o: object) => Ajv)({ allErrors: true, strict: false, validateFormats: false });

const bySchema = new WeakMap<object, ValidateFunction>();
const byText = new Map<string, ValidateFunction>();
const MAX_TEXT_CACHE = 500;

export class SchemaCompileError extends Error {
  override readonly name = 'SchemaCompileError';
}

/** A validator for `schema` (cached per object, and per JSON text for schemas built per call). */
export function compileSchema(schema: JsonSchema): ValidateFunction {
  const hit = bySchema.get(schema);
  if (hit) return hit;
  const text = JSON.stringify(schema);
  let validate = byText.get(text);
  if (!validate) {
    try {
      validate = ajv.compile(structuredClone(schema));
    } catch (err) {
      throw new SchemaCompileError(`outputSchema is not a valid JSON Schema: ${(err as Error).message}`);
    }
    if (byText.size >= MAX_TEXT_CACHE) byText.clear();
    byText.set(text, validate);
  }
  bySchema.set(schema, validate);
  return validate;
}

/** Why `schema` cannot be used as an outputSchema, or null. */
export function schemaProblem(schema: unknown): string | null {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return 'outputSchema must be a JSON Schema object';
  try {
    compileSchema(schema as JsonSchema);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Readable validation errors: "/score: must be <= 100", at most `max` of them. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined, max = 10): string[] {
  return (errors ?? []).slice(0, max).map((e) => {
    const where = e.instancePath || '/';
    const extra = e.keyword === 'required' ? ` (${String((e.params as { missingProperty?: string }).missingProperty)})` : e.keyword === 'enum' ? ` (${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)})` : '';
    return `${where}: ${e.message ?? e.keyword}${extra}`;
  });
}

export type JsonCheck = { ok: true; value: unknown } | { ok: false; errors: string[] };

/** Remove a Markdown code fence some models wrap JSON in (```json … ```). */
export function stripFence(text: string): string {
  const t = text.trim();
  const m = /^```(?:json|JSON)?\s*\n?([\s\S]*?)\n?```$/.exec(t);
  return m ? m[1]!.trim() : t;
}

/** Parse an answer as JSON; `transform` (placeholder restore) runs before validation. */
export function checkJsonAnswer(content: string, validate: ValidateFunction, transform: (v: unknown) => unknown = (v) => v): JsonCheck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stripFence(content));
  } catch (err) {
    return { ok: false, errors: [`not valid JSON: ${(err as Error).message}`] };
  }
  const value = transform(parsed);
  if (!validate(value)) return { ok: false, errors: describeErrors(validate.errors) };
  return { ok: true, value };
}

/** Appended to the system prompt of a structured call (JSON mode needs the word "JSON"). */
export function jsonInstruction(schema: JsonSchema, locale: LlmLocale = 'en'): string {
  const text = JSON.stringify(schema);
  return locale === 'ar'
    ? `أجب بكائن JSON واحد فقط، دون أي نص قبله أو بعده، مطابق لمخطط JSON التالي:\n${text}`
    : `Answer with one JSON object only, no text before or after it, matching this JSON Schema:\n${text}`;
}

/** Placeholders note, added when personal data was masked. */
export function placeholderInstruction(locale: LlmLocale = 'en'): string {
  return locale === 'ar'
    ? 'بعض البيانات الشخصية مستبدلة برموز مثل [NAME_1] و[PHONE_1] و[EMAIL_1]؛ انسخ هذه الرموز كما هي عند الحاجة إليها ولا تخمّن قيمها.'
    : 'Some personal data is replaced by placeholders such as [NAME_1], [PHONE_1] and [EMAIL_1]; copy them exactly where you need them and never guess their values.';
}

/** The user message of the one repair retry: what was wrong, and a request for corrected JSON. */
export function repairMessage(errors: readonly string[], locale: LlmLocale = 'en'): string {
  const list = errors.map((e) => `- ${e}`).join('\n');
  return locale === 'ar'
    ? `إجابتك السابقة لا تطابق المخطط المطلوب:\n${list}\nأعد الإجابة بكائن JSON واحد مصحَّح فقط.`
    : `Your previous answer does not match the required schema:\n${list}\nReply with the corrected JSON object only.`;
}

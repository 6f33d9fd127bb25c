// Building blocks every API schema uses, written once: nullable values, ids, timestamps, the
// error body and the one pagination shape. A schema that names a shape crossing the API is
// wrapped in named(): the OpenAPI document (server/http/openapi.ts) lists it once under
// components.schemas and every use becomes a $ref, so a generated client gets one type per shape.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** The key named() sets; a JSON Schema annotation ajv ignores (strict: false). */
export const SCHEMA_NAME = 'x-schema-name';

/** Mark a schema as the one named component for its shape. */
export function named<T extends TSchema>(name: string, schema: T): T {
  (schema as Record<string, unknown>)[SCHEMA_NAME] = name;
  return schema;
}

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Id = Type.String({ minLength: 1, maxLength: 64 });
export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });
export type IdParams = Static<typeof IdParams>;

export const Timestamp = Type.String({ format: 'date-time' });

/** Epoch milliseconds as the API shows them (ISO 8601, UTC); null stays null. */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export const Problem = named('Problem', Type.Object({ path: Type.String(), code: Type.String(), message: Type.String() }, { additionalProperties: false }));
export type Problem = Static<typeof Problem>;

export const ErrorBody = named(
  'Error',
  Type.Object(
    {
      error: Type.Object(
        {
          code: Type.String(),
          message: Type.String(),
          details: Type.Array(Problem),
          executionId: Type.Optional(Type.String({ description: 'Webhooks: the execution that failed' })),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
);
export type ErrorBody = Static<typeof ErrorBody>;

/** The cursor of the next page (pass it back as `cursor`), null on the last page. */
export const NextCursor = Nullable(Type.String({ description: 'Pass it as `cursor` for the next page; null on the last page' }));

/** The one pagination shape: {items, nextCursor}. */
export function Page<T extends TSchema>(items: T, extra: Record<string, TSchema> = {}) {
  return Type.Object({ items: Type.Array(items), nextCursor: NextCursor, ...extra }, { additionalProperties: false });
}

/** Query parameters of a paginated list. */
export function pageQuery(max = 200, byDefault = 50) {
  return {
    limit: Type.Integer({ minimum: 1, maximum: max, default: byDefault }),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
  };
}

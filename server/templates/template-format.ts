// The template file format (README.md here): a manifest (id, bilingual name and description,
// semver, the credentials it needs by type, its variables) and one or more flow definitions.
// One TypeBox value per shape: the TypeScript types, the ajv validator and the OpenAPI document
// share it. Flow definitions are checked by the engine's validateFlow, not by this schema, so a
// problem in a flow is reported once, with the engine's codes.
import { Type, type Static } from '@sinclair/typebox';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { schemaErrors, type FlowError } from '../../engine/index.js';

export const TEMPLATE_FORMAT = 1;

export const Localized = Type.Object(
  { en: Type.String({ minLength: 1, maxLength: 1000 }), ar: Type.String({ minLength: 1, maxLength: 1000 }) },
  { additionalProperties: false, description: 'Text in English and Arabic' },
);
export type Localized = Static<typeof Localized>;

export const TEMPLATE_ID_PATTERN = '^[a-z0-9][a-z0-9._-]{0,99}$';
export const REF_PATTERN = '^[A-Za-z][A-Za-z0-9_-]{0,63}$';
// Not names that reach an object's prototype when used as keys.
export const VARIABLE_NAME_PATTERN = '^(?!(?:__proto__|constructor|prototype)$)[A-Za-z_][A-Za-z0-9_]{0,63}$';
// Semantic Versioning 2.0.0 (numeric parts without leading zeros, optional pre-release and build).
export const SEMVER_PATTERN = '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$';

export const TemplateId = Type.String({ pattern: TEMPLATE_ID_PATTERN, description: 'Lower-case id, e.g. "lead-routing"' });
export const SemVer = Type.String({ pattern: SEMVER_PATTERN, description: 'Semantic version, e.g. "1.0.0"' });

export const VariableValue = Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Boolean()]);
export type VariableValue = Static<typeof VariableValue>;

export const CredentialRequirement = Type.Object(
  {
    ref: Type.String({ pattern: REF_PATTERN, description: 'What node params name instead of a tenant credential' }),
    type: Type.String({ minLength: 1, maxLength: 100, description: 'Credential type, e.g. "http-bearer"' }),
    label: Localized,
  },
  { additionalProperties: false },
);
export type CredentialRequirement = Static<typeof CredentialRequirement>;

export const VariableDeclaration = Type.Object(
  {
    name: Type.String({ pattern: VARIABLE_NAME_PATTERN, description: 'Written {{name}} in node params' }),
    label: Localized,
    default: Type.Optional(VariableValue),
    required: Type.Optional(Type.Boolean({ description: 'The importer must give a value (a default only pre-fills the form)' })),
  },
  { additionalProperties: false },
);
export type VariableDeclaration = Static<typeof VariableDeclaration>;

export const Manifest = Type.Object(
  {
    id: TemplateId,
    name: Localized,
    description: Localized,
    version: SemVer,
    credentials: Type.Array(CredentialRequirement, { maxItems: 100 }),
    variables: Type.Array(VariableDeclaration, { maxItems: 100 }),
    exportedAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type Manifest = Static<typeof Manifest>;

export const TemplateFlow = Type.Object(
  {
    key: Type.String({ pattern: REF_PATTERN, description: 'Stable name of this flow inside the template' }),
    definition: Type.Unknown({ description: 'A flow (schemaVersion 1); credential params hold manifest refs, params may hold {{variable}} placeholders' }),
  },
  { additionalProperties: false },
);

export const Template = Type.Object(
  {
    tadfuqTemplate: Type.Literal(TEMPLATE_FORMAT),
    manifest: Manifest,
    flows: Type.Array(TemplateFlow, { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);
export interface TemplateFlowDoc {
  key: string;
  /** A flow document; typed loosely because it is validated by validateFlow, not this schema. */
  definition: unknown;
}
export interface TemplateDoc {
  tadfuqTemplate: typeof TEMPLATE_FORMAT;
  manifest: Manifest;
  flows: TemplateFlowDoc[];
}

// ajv and ajv-formats ship CommonJS; under NodeNext their classes sit on `.default`.
const Ajv2020 = (Ajv2020Module as unknown as { default: typeof Ajv2020Module }).default ?? Ajv2020Module;
type Ajv = InstanceType<typeof Ajv2020Module.default>;
const applyFormats = ((addFormats as unknown as { default?: unknown }).default ?? addFormats) as (a: Ajv) => void;
let ajv: Ajv | undefined;
/**
 * A validator compiled on first use: compiling the template schemas (and ajv's 2020 meta
 * schema) took about a tenth of the server's start-up, for an API most requests never touch.
 */
function lazyValidator(schema: object): () => ValidateFunction {
  let compiled: ValidateFunction | undefined;
  return () => {
    if (!ajv) {
      ajv = new (Ajv2020 as unknown as new (o: object) => Ajv)({ allErrors: true, strict: false });
      applyFormats(ajv);
    }
    compiled ??= ajv.compile(schema);
    return compiled;
  };
}
const validateShape = lazyValidator(Template);

/**
 * Check a document against the template schema (not the flows inside: see validateFlow), plus
 * what a schema cannot say: refs, variable names and flow keys are unique. Every problem, under
 * `basePath`; the document is not modified.
 */
export function templateShapeErrors(doc: unknown, basePath = ''): FlowError[] {
  const validate = validateShape();
  if (!validate(doc)) return schemaErrors(validate.errors, basePath);
  const t = doc as unknown as TemplateDoc;
  const errors: FlowError[] = [];
  const unique = <T>(items: readonly T[], key: (x: T) => string, path: (i: number) => string, what: string): void => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const k = key(item);
      if (seen.has(k)) errors.push({ path: basePath + path(i), code: 'duplicate', message: `${what} "${k}" appears twice` });
      seen.add(k);
    });
  };
  unique(t.manifest.credentials, (c) => c.ref, (i) => `/manifest/credentials/${i}/ref`, 'credential ref');
  unique(t.manifest.variables, (v) => v.name, (i) => `/manifest/variables/${i}/name`, 'variable');
  unique(t.flows, (f) => f.key, (i) => `/flows/${i}/key`, 'flow key');
  return errors;
}

export function isTemplateDoc(doc: unknown): doc is TemplateDoc {
  return templateShapeErrors(doc).length === 0;
}

const validateCredential = lazyValidator(CredentialRequirement);
const validateVariable = lazyValidator(VariableDeclaration);

/**
 * The parts of a (possibly invalid) template that are individually well formed, so an import
 * can still judge the credentials, variables and flows of a template whose schema check failed
 * and report every problem at once.
 */
export function usableParts(doc: unknown): { credentials: CredentialRequirement[]; variables: VariableDeclaration[]; flows: { index: number; key: string; definition: unknown }[] } {
  const t = (doc !== null && typeof doc === 'object' ? doc : {}) as { manifest?: { credentials?: unknown; variables?: unknown }; flows?: unknown };
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const credentials = list(t.manifest?.credentials).filter((c): c is CredentialRequirement => validateCredential()(c));
  const variables = list(t.manifest?.variables).filter((v): v is VariableDeclaration => validateVariable()(v));
  const flows = list(t.flows).flatMap((f, index) => {
    const flow = f as { key?: unknown; definition?: unknown } | null;
    if (flow === null || typeof flow !== 'object' || flow.definition === null || typeof flow.definition !== 'object') return [];
    return [{ index, key: typeof flow.key === 'string' ? flow.key : `flow-${index + 1}`, definition: flow.definition }];
  });
  return { credentials, variables, flows };
}

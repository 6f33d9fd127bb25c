// Routes: write-only credentials. A credential's data is validated against its type's schema,
// sealed (AES-256-GCM, bound to its row) and never given back: answers, errors and audit
// entries carry metadata only (id, name, type, the names of the fields that are set). Reading
// metadata is audited too. Steps use credentials by name (ctx.credential); reading secrets
// through the API is Class C: no route does it, for any role.
import { Type } from '@sinclair/typebox';
import { CREDENTIAL_NAME_PATTERN } from '../../engine/index.js';
import type { CredentialMeta } from '../../db/credential-repository.js';
import { ApiError, notFound, invalidRequest } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { actorOf } from '../auth/auth-context.js';
import { route, type RouteSpec } from '../http/route.js';
import { CREDENTIAL_TYPES, CREDENTIAL_TYPE_NAMES, checkCredentialData, credentialFields, credentialType, egressProblems } from '../security/credential-types.js';
import { IdParams, named } from '../schemas/common.js';
import { requestIdOf } from '../auth/route-helpers.js';

const Localized = Type.Object({ en: Type.String(), ar: Type.String() }, { additionalProperties: false });

const CredentialName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: CREDENTIAL_NAME_PATTERN,
  description: 'Unique in the tenant; steps refer to the credential by it. Letters, digits, space, "_", "." and "-"',
});

const CredentialTypeName = Type.Union(
  CREDENTIAL_TYPE_NAMES.map((t) => Type.Literal(t)),
  { description: 'See GET /credential-types' },
);

const CredentialData = Type.Record(Type.String(), Type.Unknown(), {
  description: "The secret fields, as the type's schema (GET /credential-types) says; write-only",
  writeOnly: true,
});

const Credential = named(
  'Credential',
  Type.Object(
    {
      id: Type.String(),
      name: Type.String(),
      type: Type.String(),
      fields: Type.Array(Type.String(), { description: 'Names of the data fields that are set (never their values)' }),
      createdBy: Type.String(),
      createdAt: Type.String({ format: 'date-time' }),
      updatedAt: Type.String({ format: 'date-time' }),
    },
    { additionalProperties: false },
  ),
);

const CredentialList = Type.Object({ items: Type.Array(Credential) }, { additionalProperties: false });

const CredentialTypeList = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          type: Type.String(),
          label: Localized,
          description: Localized,
          schema: Type.Unknown({ description: 'JSON Schema of the data; writeOnly marks secret fields' }),
          fields: Type.Array(Type.Object({ name: Type.String(), required: Type.Boolean(), secret: Type.Boolean() }, { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const CreateBody = Type.Object({ name: CredentialName, type: CredentialTypeName, data: CredentialData }, { additionalProperties: false });
const ReplaceBody = Type.Object({ data: CredentialData }, { additionalProperties: false });

/**
 * 400 with every problem of `data` under /body/data (paths and messages, never values): its
 * schema, then connection targets on private addresses the tenant does not allow.
 */
async function checkData(ctx: AppContext, tenantId: string, type: string, data: unknown): Promise<void> {
  let errors = checkCredentialData(type, data, '/body/data');
  if (!errors.length) {
    const allowPrivateNetwork = (await ctx.tenants.byId(tenantId))?.settings.allowPrivateNetwork === true;
    errors = egressProblems(type, data, '/body/data', { allowPrivateNetwork });
  }
  if (errors.length) throw invalidRequest(errors);
}

/** What the audit log keeps of a credential: never data. */
const auditDetails = (c: CredentialMeta) => ({ name: c.name, type: c.type, fields: c.fields });

export function credentialRoutes(ctx: AppContext): RouteSpec[] {
  const types = {
    items: CREDENTIAL_TYPES.map((t) => ({
      type: t.type,
      label: t.label,
      description: t.description,
      schema: JSON.parse(JSON.stringify(t.schema)) as unknown,
      fields: credentialFields(t),
    })),
  };
  return [
    route({
      method: 'get',
      path: '/credential-types',
      summary: 'Credential types with labels (ar/en) and the schema of their data (the editor’s forms)',
      tag: 'credentials',
      access: 'credentials.read',
      response: CredentialTypeList,
      handler: () => types,
    }),
    route({
      method: 'get',
      path: '/credentials',
      summary: 'The tenant’s credentials: metadata only, never secrets (audited)',
      tag: 'credentials',
      access: 'credentials.read',
      response: CredentialList,
      async handler({ auth, req }) {
        const items = await ctx.credentials(auth.tenant.id).list();
        await ctx.audit(auth.tenant.id).record({ actor: actorOf(auth), action: 'credentials.list', details: { count: items.length }, requestId: requestIdOf(req) });
        return { items };
      },
    }),
    route({
      method: 'get',
      path: '/credentials/:id',
      summary: 'One credential’s metadata, never its secret (audited)',
      tag: 'credentials',
      access: 'credentials.read',
      params: IdParams,
      response: Credential,
      errors: { 404: 'no such credential in this tenant' },
      async handler({ params, auth, req }) {
        const credential = await ctx.credentials(auth.tenant.id).get(params.id);
        if (!credential) throw notFound('credential');
        await ctx.audit(auth.tenant.id).record({ actor: actorOf(auth), action: 'credentials.read', target: `credential:${credential.id}`, details: { name: credential.name, type: credential.type }, requestId: requestIdOf(req) });
        return credential;
      },
    }),
    route({
      method: 'post',
      path: '/credentials',
      summary: 'Store a credential (encrypted at rest); answers its metadata',
      tag: 'credentials',
      access: 'credentials.write',
      body: CreateBody,
      bodyLimit: 64 * 1024,
      status: 201,
      response: Credential,
      errors: { 409: 'the tenant already has a credential with this name, or the WhatsApp phone number id is connected elsewhere' },
      async handler({ body, auth, req }) {
        if (!credentialType(body.type)) throw new ApiError(400, 'invalid_request', `unknown credential type "${body.type}"`, [{ path: '/body/type', code: 'invalid_value', message: 'unknown credential type' }]);
        await checkData(ctx, auth.tenant.id, body.type, body.data);
        const repo = ctx.credentials(auth.tenant.id);
        let created!: CredentialMeta;
        await ctx.db.sql.transaction(async (q) => {
          created = await repo.create({ name: body.name, type: body.type, data: body.data, createdBy: actorOf(auth) }, q);
          await ctx.audit(auth.tenant.id).record({ actor: actorOf(auth), action: 'credentials.create', target: `credential:${created.id}`, details: auditDetails(created), requestId: requestIdOf(req) }, q);
        });
        return created;
      },
    }),
    route({
      method: 'put',
      path: '/credentials/:id',
      summary: 'Replace a credential’s data (its name and type stay)',
      tag: 'credentials',
      access: 'credentials.write',
      params: IdParams,
      body: ReplaceBody,
      bodyLimit: 64 * 1024,
      response: Credential,
      errors: { 404: 'no such credential in this tenant', 409: 'the WhatsApp phone number id is connected elsewhere' },
      async handler({ params, body, auth, req }) {
        const repo = ctx.credentials(auth.tenant.id);
        const current = await repo.get(params.id);
        if (!current) throw notFound('credential');
        await checkData(ctx, auth.tenant.id, current.type, body.data);
        let replaced = null as CredentialMeta | null;
        await ctx.db.sql.transaction(async (q) => {
          replaced = await repo.replace(params.id, body.data, q);
          if (replaced) await ctx.audit(auth.tenant.id).record({ actor: actorOf(auth), action: 'credentials.replace', target: `credential:${replaced.id}`, details: auditDetails(replaced), requestId: requestIdOf(req) }, q);
        });
        if (!replaced) throw notFound('credential'); // deleted meanwhile
        return replaced;
      },
    }),
    route({
      method: 'delete',
      path: '/credentials/:id',
      summary: 'Delete a credential (steps naming it then fail with credential_not_found)',
      tag: 'credentials',
      access: 'credentials.write',
      params: IdParams,
      status: 204,
      response: Type.Null({ description: 'no body' }),
      errors: { 404: 'no such credential in this tenant' },
      async handler({ params, auth, req }) {
        let deleted = null as CredentialMeta | null;
        await ctx.db.sql.transaction(async (q) => {
          deleted = await ctx.credentials(auth.tenant.id).delete(params.id, q);
          if (deleted) await ctx.audit(auth.tenant.id).record({ actor: actorOf(auth), action: 'credentials.delete', target: `credential:${deleted.id}`, details: auditDetails(deleted), requestId: requestIdOf(req) }, q);
        });
        if (!deleted) throw notFound('credential');
        return undefined;
      },
    }),
  ];
}

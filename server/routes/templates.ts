// Routes: flow templates. Export flows of the tenant as a template file, import a template
// (every problem reported before anything is written; all flows and the audit entry in one
// transaction), and the gallery of built-in templates (seeds/templates). The logic is in
// server/templates/ (pure); this file does the reading, writing and permissions.
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { FlowInvalidError, pointer, validateFlow, type Flow, type FlowError } from '../../engine/index.js';
import { classBNodes } from '../../db/flow-repository.js';
import { ApiError, notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { actorOf, allowed, type Auth } from '../auth/auth-context.js';
import { requestIdOf } from '../auth/route-helpers.js';
import { route, type RouteSpec } from '../http/route.js';
import {
  exportTemplate,
  loadGallery,
  planImport,
  summarize,
  webhookConflicts,
  CredentialRequirement,
  Localized,
  SemVer,
  Template,
  TemplateId,
  VariableDeclaration,
  VariableValue,
  type Gallery,
  type TemplateDoc,
} from '../templates/index.js';

const ExportBody = Type.Object(
  {
    flowIds: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 50, uniqueItems: true }),
    manifest: Type.Object(
      {
        id: Type.Optional(TemplateId),
        name: Localized,
        description: Localized,
        version: Type.Optional(SemVer),
      },
      { additionalProperties: false },
    ),
    source: Type.Optional(Type.Union([Type.Literal('published'), Type.Literal('draft')], { default: 'published', description: 'Export the latest published version (default) or the draft' })),
  },
  { additionalProperties: false },
);

const ImportChoices = {
  credentials: Type.Optional(Type.Record(Type.String(), Type.String({ minLength: 1, maxLength: 200 }), { default: {}, description: 'Manifest ref -> the name of one of your credentials of that type' })),
  variables: Type.Optional(Type.Record(Type.String(), VariableValue, { default: {}, description: 'Variable name -> value (else its default)' })),
  publish: Type.Optional(Type.Boolean({ default: false, description: 'Publish the flows (default: save them as drafts)' })),
};

const ImportBody = Type.Object(
  { template: Type.Unknown({ description: 'A template file ({tadfuqTemplate: 1, manifest, flows}); checked with every problem reported' }), ...ImportChoices },
  { additionalProperties: false },
);
const GalleryImportBody = Type.Object(ImportChoices, { additionalProperties: false });

const ImportAnswer = Type.Object(
  {
    template: Type.Object({ id: Type.String(), version: Type.String() }, { additionalProperties: false }),
    flows: Type.Array(
      Type.Object(
        {
          key: Type.String(),
          flowId: Type.String(),
          name: Type.String(),
          status: Type.Union([Type.Literal('draft'), Type.Literal('published')]),
          version: Type.Optional(Type.Integer({ description: 'The published version (when published)' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const Summary = Type.Object(
  {
    id: Type.String(),
    name: Localized,
    description: Localized,
    version: Type.String(),
    credentials: Type.Array(CredentialRequirement),
    variables: Type.Array(VariableDeclaration),
    nodeTypes: Type.Array(Type.String()),
    flows: Type.Array(Type.Object({ key: Type.String(), name: Type.String() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

const GalleryParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });

/** The tenant's credentials: metadata only (name and type), never their data. */
async function tenantCredentials(ctx: AppContext, tenantId: string): Promise<{ name: string; type: string }[]> {
  return (await ctx.credentials(tenantId).list()).map((c) => ({ name: c.name, type: c.type }));
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

export function templateRoutes(ctx: AppContext): RouteSpec[] {
  let gallery: Promise<Gallery> | undefined;
  const builtins = (): Promise<Gallery> => {
    gallery ??= loadGallery().then((g) => {
      for (const p of g.problems) ctx.log.error({ file: p.file, errors: p.errors }, 'built-in template skipped');
      return g;
    });
    return gallery;
  };
  const builtin = async (id: string): Promise<TemplateDoc> => {
    const t = (await builtins()).templates.find((x) => x.manifest.id === id);
    if (!t) throw notFound('template');
    return t;
  };

  async function importTemplate(
    auth: Auth,
    requestId: string | null,
    input: { template: unknown; credentials: Record<string, string>; variables: Record<string, string | number | boolean>; publish: boolean },
    templatePath: string,
  ) {
    const tenantId = auth.tenant.id;
    const repo = ctx.flows(tenantId);
    const plan = planImport({
      template: input.template,
      credentials: input.credentials,
      variables: input.variables,
      registry: ctx.registry,
      tenantCredentials: await tenantCredentials(ctx, tenantId),
      paths: { template: templatePath },
    });
    const taken = new Set<string>();
    for (const w of plan.webhooks) {
      const probe = { nodes: [{ id: 'probe', type: 'trigger.webhook', params: { path: w.path, method: w.method } }] };
      if ((await repo.webhookProblems(probe, '')).some((e) => e.code === 'webhook_path_taken')) taken.add(`${w.method} ${w.path}`);
    }
    const errors = [...plan.errors, ...webhookConflicts(plan.webhooks, (method, path) => taken.has(`${method} ${path}`))];
    if (errors.length || !plan.manifest) {
      throw new ApiError(400, 'invalid_template', `the template cannot be imported: ${plural(errors.length, 'problem')}`, errors);
    }
    const manifest = plan.manifest;

    // Publishing needs the publish permissions too (an API key may hold templates.import only).
    const needs = !input.publish ? 'flows.write' : plan.flows.some((f) => classBNodes(f.definition, ctx.registry).length) ? 'flows.publish.classB' : 'flows.publish';
    if (!allowed(auth, needs)) throw new ApiError(403, 'forbidden', `your role (${auth.role}) may not ${needs}`);

    const actor = actorOf(auth);
    const created: { key: string; flowId: string; name: string; status: 'draft' | 'published'; version?: number }[] = [];
    let current = 0;
    try {
      await repo.publishTransaction(async (q) => {
        for (const [i, f] of plan.flows.entries()) {
          current = i;
          if (input.publish) {
            const published = await repo.publishIn(q, randomUUID(), f.definition, {
              create: true,
              replaceDraft: true,
              createdBy: actor,
              origin: { kind: 'import', templateId: manifest.id, templateVersion: manifest.version },
            });
            created.push({ key: f.key, flowId: published.flowId, name: f.definition.name, status: 'published', version: published.version });
          } else {
            const draft = await repo.create(f.definition as unknown as { name: string } & Record<string, unknown>, {}, q);
            created.push({ key: f.key, flowId: draft.id, name: draft.name, status: 'draft' });
          }
        }
        await ctx.audit(tenantId).record(
          {
            actor,
            action: 'template.import',
            target: `template:${manifest.id}`,
            details: {
              templateId: manifest.id,
              version: manifest.version,
              publish: input.publish,
              flows: created.map(({ key, flowId, version }) => ({ key, flowId, ...(version !== undefined ? { version } : {}) })),
              credentials: input.credentials,
              variables: Object.keys(input.variables).sort(),
            },
            requestId,
          },
          q,
        );
      });
    } catch (err) {
      // Another request took a webhook path between the check and the write: nothing was saved.
      if (err instanceof FlowInvalidError) {
        const base = `${templatePath}${pointer('flows', plan.flows.length ? current : 0, 'definition')}`;
        throw new ApiError(400, 'invalid_template', 'the template cannot be imported', err.errors.map((e) => ({ ...e, path: base + e.path })));
      }
      throw err;
    }
    if (input.publish) await ctx.scheduler.reload().catch((err: unknown) => ctx.log.error({ err }, 'schedule reload after import failed'));
    return { template: { id: manifest.id, version: manifest.version }, flows: created };
  }

  return [
    route({
      method: 'post',
      path: '/templates/export',
      summary: 'Export flows as a template file (credential refs, never secrets)',
      tag: 'templates',
      access: 'templates.export',
      body: ExportBody,
      response: Template,
      errors: { 404: 'a flow is not in your tenant', 409: 'a flow has no published version', 422: 'a flow holds a literal secret or an unknown credential (every path listed)' },
      async handler({ body, auth, req, res }) {
        const tenantId = auth.tenant.id;
        const repo = ctx.flows(tenantId);
        const source = body.source ?? 'published';
        const flows: { flowId: string; definition: Flow }[] = [];
        const invalid: FlowError[] = [];
        for (const [i, flowId] of body.flowIds.entries()) {
          const record = await repo.get(flowId);
          if (!record) throw notFound(`flow ${flowId}`);
          if (source === 'published') {
            if (record.publishedVersion === null) throw new ApiError(409, 'not_published', `flow ${flowId} has no published version: export its draft with source "draft"`);
            const definition = await repo.version(flowId, record.publishedVersion);
            if (!definition) throw notFound(`flow ${flowId}`);
            flows.push({ flowId, definition });
          } else {
            const checked = validateFlow(record.draft, ctx.registry);
            if (checked.ok) flows.push({ flowId, definition: checked.flow });
            else invalid.push(...checked.errors.map((e) => ({ ...e, path: pointer('flows', i, 'definition') + e.path })));
          }
        }
        if (invalid.length) throw new ApiError(422, 'export_refused', 'a draft is not a valid flow: fix it before exporting', invalid);
        const result = exportTemplate({ flows, manifest: body.manifest, credentials: await tenantCredentials(ctx, tenantId), registry: ctx.registry, now: new Date() });
        if (!result.ok) {
          throw new ApiError(422, 'export_refused', `the export would not be usable or would leak secrets: ${plural(result.errors.length, 'problem')}`, result.errors);
        }
        const { manifest } = result.template;
        await ctx.audit(tenantId).record({
          actor: actorOf(auth),
          action: 'template.export',
          target: `template:${manifest.id}`,
          details: { templateId: manifest.id, version: manifest.version, source, flowIds: body.flowIds, credentials: manifest.credentials.map((c) => ({ ref: c.ref, type: c.type })) },
          requestId: requestIdOf(req),
        });
        res.setHeader('Content-Disposition', `attachment; filename="${manifest.id}-${manifest.version}.tadfuq.json"`);
        return result.template;
      },
    }),
    route({
      method: 'post',
      path: '/templates/import',
      summary: 'Import a template file: every problem reported at once, nothing written unless all is well',
      tag: 'templates',
      access: 'templates.import',
      body: ImportBody,
      bodyLimit: 5 * 1024 * 1024,
      status: 201,
      response: ImportAnswer,
      errors: { 400: 'invalid_template: every problem of the template and of your choices, with paths' },
      async handler({ body, auth, req }) {
        return importTemplate(
          auth,
          requestIdOf(req),
          { template: body.template, credentials: body.credentials ?? {}, variables: body.variables ?? {}, publish: body.publish ?? false },
          '/body/template',
        );
      },
    }),
    route({
      method: 'get',
      path: '/templates',
      summary: 'The built-in template gallery',
      tag: 'templates',
      access: 'flows.read',
      response: Type.Object({ items: Type.Array(Summary) }, { additionalProperties: false }),
      async handler() {
        return { items: (await builtins()).templates.map(summarize) };
      },
    }),
    route({
      method: 'get',
      path: '/templates/:id',
      summary: 'One built-in template: its summary and the template file',
      tag: 'templates',
      access: 'flows.read',
      params: GalleryParams,
      response: Type.Composite([Summary, Type.Object({ template: Template })], { additionalProperties: false }),
      async handler({ params }) {
        const t = await builtin(params.id);
        return { ...summarize(t), template: t };
      },
    }),
    route({
      method: 'post',
      path: '/templates/:id/import',
      summary: 'Import a built-in template (same choices as POST /templates/import)',
      tag: 'templates',
      access: 'templates.import',
      params: GalleryParams,
      body: GalleryImportBody,
      status: 201,
      response: ImportAnswer,
      errors: { 400: 'invalid_template: every problem of your choices, with paths' },
      async handler({ params, body, auth, req }) {
        const template = await builtin(params.id);
        return importTemplate(
          auth,
          requestIdOf(req),
          { template, credentials: body.credentials ?? {}, variables: body.variables ?? {}, publish: body.publish ?? false },
          '/template',
        );
      },
    }),
  ];
}

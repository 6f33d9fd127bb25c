// LLM usage and settings of the tenant.
// - GET /llm-usage: tokens and estimated cost (integer micro-USD, and the same as a decimal
//   dollar string) per tenant, per provider and model, per task and per execution, optionally
//   in a time range or for one execution (with its rows). Rows are written by ctx.llm.
// - GET /llm-settings, PUT /llm-settings: the provider chain's tenant settings (cross-border
//   policy, credentials, models per task, timeout). PUT replaces them (omitted = default),
//   checks that named credentials exist with the right type, and is audited.
// - GET /llm-routing, PUT /llm-routing: the routing table per task class and the task → class
//   mapping (engine/llm/routing.ts). PUT (owner, admin) replaces them (a class omitted keeps
//   its default routes), refuses a route listed twice in a class, and is audited.
import { Type } from '@sinclair/typebox';
import {
  DEFAULT_EXTERNAL_POLICY,
  DEFAULT_ROUTING,
  DEFAULT_TASK_CLASSES,
  DEFAULT_TIMEOUT_MS,
  EXTERNAL_POLICIES,
  LLM_PROVIDERS,
  PRICES_AS_OF,
  TASK_CLASSES,
  effectiveRouting,
  formatMicroUsd,
  routingProblems,
  type LlmRoutingSettings,
  type LlmSettings,
} from '../../engine/index.js';
import type { UsageTotals } from '../../db/llm-usage-repository.js';
import { notFound, invalidRequest } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import type { Request } from 'express';
import { actorOf, type Auth } from '../auth/auth-context.js';
import { requestIdOf, stringEnum } from '../auth/route-helpers.js';
import { route, type RouteSpec } from '../http/route.js';
import type { TenantSettings } from '../../db/tenant-repository.js';
import { CREDENTIAL_SETTING, DEFAULT_MODELS } from '../llm/llm-service.js';

const UsageQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time', description: 'from this time (inclusive)' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'until this time (exclusive)' })),
    executionId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'only this execution (its rows are listed too)' })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'executions listed, the most recent first' }),
  },
  { additionalProperties: false },
);

const Totals = {
  calls: Type.Integer({ description: 'billed provider calls' }),
  promptTokens: Type.Integer(),
  completionTokens: Type.Integer(),
  costMicroUsd: Type.Integer({ description: 'estimated cost, integer micro-USD (1 = 0.000001 USD)' }),
  costUsd: Type.String({ description: 'the same as a decimal dollar string, e.g. "0.001234"' }),
};

const UsageView = Type.Object(
  {
    totals: Type.Object(Totals),
    byModel: Type.Array(Type.Object({ provider: Type.String(), model: Type.String(), ...Totals })),
    byTask: Type.Array(Type.Object({ task: Type.String(), ...Totals })),
    byTaskClass: Type.Array(Type.Object({ taskClass: Type.String({ description: 'classification, sales_copy, research, code, fallback; "unclassified" for calls made before routing' }), ...Totals })),
    pricesAsOf: Type.String({ description: 'the date the price table was read (costs are estimates at those list prices)' }),
    executions: Type.Array(Type.Object({ executionId: Type.String(), firstAt: Type.String({ format: 'date-time' }), lastAt: Type.String({ format: 'date-time' }), ...Totals })),
    rows: Type.Optional(
      Type.Array(
        Type.Object({
          stepId: Type.Union([Type.String(), Type.Null()]),
          provider: Type.String(),
          model: Type.String(),
          task: Type.String(),
          taskClass: Type.Union([Type.String(), Type.Null()]),
          promptTokens: Type.Integer(),
          completionTokens: Type.Integer(),
          costMicroUsd: Type.Integer(),
          at: Type.String({ format: 'date-time' }),
        }),
        { description: 'with executionId: each billed call' },
      ),
    ),
  },
  { additionalProperties: false },
);

const withUsd = <T extends UsageTotals>(t: T) => ({ ...t, costUsd: formatMicroUsd(t.costMicroUsd) });

const CredentialName = Type.String({ minLength: 1, maxLength: 100, description: 'name of a credential of the tenant' });
const ModelName = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]*$' });

const SettingsBody = Type.Object(
  {
    external: Type.Optional(
      stringEnum(EXTERNAL_POLICIES, {
        description: `PDPL cross-border policy: "masked" (default: phones, e-mails and names replaced before the call), "allowed" (sent as is), "off" (no provider is called; rules only)`,
      }),
    ),
    groqCredential: Type.Optional(CredentialName),
    openaiCredential: Type.Optional(CredentialName),
    anthropicCredential: Type.Optional(CredentialName),
    geminiCredential: Type.Optional(CredentialName),
    deepseekCredential: Type.Optional(CredentialName),
    models: Type.Optional(
      Type.Record(
        Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z_]+(?::[a-z_]+)?$' }),
        Type.Union([ModelName, Type.Object(Object.fromEntries(LLM_PROVIDERS.map((p) => [p, Type.Optional(ModelName)])), { additionalProperties: false })]),
        { description: 'model per task ("score", "agent", "agent:deal_advisor") overriding the routing table’s model for that provider: a string is the Groq model, or {groq, openai, anthropic, gemini, deepseek}' },
      ),
    ),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 120_000, description: `per-call timeout (default ${DEFAULT_TIMEOUT_MS})` })),
  },
  { additionalProperties: false },
);

const SettingsView = Type.Object(
  {
    settings: SettingsBody,
    defaults: Type.Object({ external: Type.String(), timeoutMs: Type.Integer(), models: Type.Record(Type.String(), Type.Record(Type.String(), Type.String())) }),
  },
  { additionalProperties: false },
);

const DEFAULTS = { external: DEFAULT_EXTERNAL_POLICY, timeoutMs: DEFAULT_TIMEOUT_MS, models: DEFAULT_MODELS as Record<string, Record<string, string>> };

export function llmUsageRoutes(ctx: AppContext): RouteSpec[] {
  async function settingsOf(auth: Auth): Promise<TenantSettings> {
    const tenant = await ctx.tenants.byId(auth.tenant.id);
    if (!tenant) throw notFound('tenant');
    return tenant.settings;
  }

  /** Replace one tenant setting with its audit entry (from → to; nothing written when unchanged); the runtime's copy follows. */
  async function replaceSetting<K extends 'llm' | 'llmRouting'>(auth: Auth, req: Request, key: K, value: NonNullable<TenantSettings[K]>, action: string): Promise<void> {
    let settings: TenantSettings | undefined;
    await ctx.db.sql.transaction(async (q) => {
      const tenant = await ctx.tenants.lockedForUpdate(auth.tenant.id, q);
      if (!tenant) throw notFound('tenant');
      const before = tenant.settings;
      settings = { ...before, [key]: value };
      if (JSON.stringify(before[key] ?? {}) === JSON.stringify(value)) return;
      await ctx.tenants.update(auth.tenant.id, { settings }, q);
      await ctx.audit(auth.tenant.id).record({ actor: actorOf(auth), action, target: `tenant:${auth.tenant.id}`, details: { from: before[key] ?? {}, to: value }, requestId: requestIdOf(req) }, q);
    });
    if (settings) ctx.tenantSettings.set(auth.tenant.id, settings);
  }

  return [
    route({
      method: 'get',
      path: '/llm-usage',
      summary: 'LLM tokens and estimated cost per tenant, model, task and execution',
      tag: 'ai',
      access: 'ai.usage.read',
      query: UsageQuery,
      response: UsageView,
      async handler({ query, auth }) {
        const repo = ctx.llmUsage(auth.tenant.id);
        const filter = {
          ...(query.from ? { from: Date.parse(query.from) } : {}),
          ...(query.to ? { to: Date.parse(query.to) } : {}),
          ...(query.executionId ? { executionId: query.executionId } : {}),
        };
        const [totals, byModel, byTask, byTaskClass, executions] = await Promise.all([
          repo.totals(filter),
          repo.byModel(filter),
          repo.byTask(filter),
          repo.byTaskClass(filter),
          repo.byExecution(filter, query.limit),
        ]);
        const rows = query.executionId ? await repo.rowsOf(query.executionId) : undefined;
        return {
          totals: withUsd(totals),
          byModel: byModel.map(withUsd),
          byTask: byTask.map(withUsd),
          byTaskClass: byTaskClass.map(withUsd),
          pricesAsOf: PRICES_AS_OF,
          executions: executions.map((e) => ({ ...withUsd(e), firstAt: new Date(e.firstAt).toISOString(), lastAt: new Date(e.lastAt).toISOString() })),
          ...(rows
            ? {
                rows: rows
                  .filter((r) => (filter.from === undefined || r.at >= filter.from) && (filter.to === undefined || r.at < filter.to))
                  .map((r) => ({ stepId: r.stepId, provider: r.provider, model: r.model, task: r.task, taskClass: r.taskClass, promptTokens: r.promptTokens, completionTokens: r.completionTokens, costMicroUsd: r.costMicroUsd, at: new Date(r.at).toISOString() })),
              }
            : {}),
        };
      },
    }),

    route({
      method: 'get',
      path: '/llm-settings',
      summary: 'The LLM provider chain settings (cross-border policy, credentials, models, timeout) and their defaults',
      tag: 'ai',
      access: 'tenant.read',
      response: SettingsView,
      async handler({ auth }) {
        return { settings: (await settingsOf(auth)).llm ?? {}, defaults: DEFAULTS };
      },
    }),

    route({
      method: 'put',
      path: '/llm-settings',
      summary: 'Replace the LLM provider chain settings (owner only; omitted fields take their defaults)',
      tag: 'ai',
      access: 'tenant.update',
      body: SettingsBody,
      response: SettingsView,
      errors: { 400: 'a named credential does not exist or is not of the provider’s type' },
      async handler({ body, auth, req }) {
        const llm = body as LlmSettings;
        const problems: { path: string; code: string; message: string }[] = [];
        const credentials = ctx.credentials(auth.tenant.id);
        for (const type of LLM_PROVIDERS) {
          const field = CREDENTIAL_SETTING[type];
          const name = llm[field];
          if (typeof name !== 'string') continue;
          if (name === undefined) continue;
          const found = await credentials.byName(name);
          if (!found) problems.push({ path: `/body/${field}`, code: 'credential_not_found', message: `no credential named "${name}"` });
          else if (found.type !== type) problems.push({ path: `/body/${field}`, code: 'credential_type_mismatch', message: `credential "${name}" is of type ${found.type}, not ${type}` });
        }
        if (problems.length) throw invalidRequest(problems);
        await replaceSetting(auth, req, 'llm', llm, 'tenant.llm_settings_updated');
        return { settings: llm, defaults: DEFAULTS };
      },
    }),

    route({
      method: 'get',
      path: '/llm-routing',
      summary: 'The LLM routing table (provider and model per task class), the task → class mapping, their defaults and the table in force',
      tag: 'ai',
      access: 'tenant.read',
      response: RoutingView,
      async handler({ auth }) {
        return routingView((await settingsOf(auth)).llmRouting ?? {});
      },
    }),

    route({
      method: 'put',
      path: '/llm-routing',
      summary: 'Replace the LLM routing table and task classes (owner, admin; a class omitted keeps its default routes)',
      tag: 'ai',
      access: 'ai.routing.manage',
      body: RoutingBody,
      response: RoutingView,
      errors: { 400: 'a route is listed twice in a class' },
      async handler({ body, auth, req }) {
        const routing = body as LlmRoutingSettings;
        const problems = routingProblems(routing, '/body');
        if (problems.length) throw invalidRequest(problems);
        await replaceSetting(auth, req, 'llmRouting', routing, 'tenant.llm_routing_updated');
        return routingView(routing);
      },
    }),
  ];
}

const Route = Type.Object(
  { provider: stringEnum(LLM_PROVIDERS, { description: 'groq, openai, anthropic (Claude), gemini (Google) or deepseek' }), model: ModelName },
  { additionalProperties: false },
);
const Routes = Type.Array(Route, { minItems: 1, maxItems: 8, description: 'tried in order; then the fallback class’s routes, then the rules' });
const TaskClassSchema = stringEnum(TASK_CLASSES);
const RoutesByClass = Type.Object(Object.fromEntries(TASK_CLASSES.map((c) => [c, Type.Optional(Routes)])), { additionalProperties: false });

const RoutingBody = Type.Object(
  {
    routes: Type.Optional(RoutesByClass),
    taskClasses: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z_]+(?::[a-z_]+)?$' }), TaskClassSchema, {
        description: 'task label ("score", "reply", "agent", "agent:deal_advisor") → task class; the full task before its prefix, the tenant’s before the defaults',
      }),
    ),
  },
  { additionalProperties: false },
);

const FullTable = Type.Object(Object.fromEntries(TASK_CLASSES.map((c) => [c, Type.Array(Route)])));

const RoutingView = Type.Object(
  {
    settings: RoutingBody,
    defaults: Type.Object({ routes: FullTable, taskClasses: Type.Record(Type.String(), Type.String()) }),
    effective: Type.Object({ routes: FullTable }),
    taskClasses: Type.Array(Type.String(), { description: 'the task classes, in order' }),
    providers: Type.Array(Type.String(), { description: 'the providers a route may name' }),
  },
  { additionalProperties: false },
);

function routingView(settings: LlmRoutingSettings) {
  return {
    settings,
    defaults: { routes: DEFAULT_ROUTING as unknown as Record<string, { provider: string; model: string }[]>, taskClasses: DEFAULT_TASK_CLASSES },
    effective: { routes: effectiveRouting(settings) as unknown as Record<string, { provider: string; model: string }[]> },
    taskClasses: [...TASK_CLASSES],
    providers: [...LLM_PROVIDERS],
  };
}

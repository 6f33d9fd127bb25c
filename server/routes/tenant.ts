// Routes: the tenant and its settings. PATCH merges: a setting given replaces the stored
// value, `null` removes it (back to the default), a setting left out stays. The in-process
// settings map (read synchronously by the runtime, e.g. the SSRF policy) is updated at once;
// other processes pick the change up on their periodic refresh.
import { Type, type TSchema } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { ApiError, notFound } from '../api-error.js';
import { route, type RouteSpec } from '../http/route.js';
import { actorOf } from '../auth/auth-context.js';
import { LOCALES, NameSchema, requestIdOf, stringEnum } from '../auth/route-helpers.js';
import type { TenantSettings } from '../../db/tenant-repository.js';
import { hostRefusal } from '../../engine/index.js';
import { PRIVATE_TARGET_MESSAGE } from '../security/credential-types.js';

const nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

const SettingsFields = {
  locale: stringEnum(LOCALES, { description: 'default language of the tenant' }),
  timezone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Asia/Riyadh' }),
  allowPrivateNetwork: Type.Boolean({
    description: 'let outbound connections (http.request, the CRM webhook, LLM and messaging-provider base URLs, SMTP hosts) reach private, loopback and link-local addresses',
  }),
  retentionDays: Type.Integer({ minimum: 1, maximum: 3650, description: 'days executions are kept' }),
  expressionTimeoutMs: Type.Integer({
    minimum: 10,
    maximum: 60_000,
    description: 'wall time of one expression evaluation in ms (default 100); the server caps it at TADFUQ_EXPRESSION_TIMEOUT_MAX_MS (default 1000)',
  }),
  bulkSendThreshold: Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'recipients above which a send needs approval (Class B)' }),
  optOutWords: Type.Array(Type.String({ minLength: 1, maxLength: 60, pattern: '[\\p{L}\\p{N}]' }), {
    maxItems: 50,
    description: 'extra words that make an inbound reply an opt-out, added to the defaults (STOP, إلغاء, إيقاف…; matched on the whole message, case, diacritics and alef forms ignored)',
  }),
  crm: Type.Object(
    {
      externalWebhook: Type.Optional(
        Type.Object(
          {
            url: Type.String({ pattern: '^https?://', maxLength: 2000, description: 'crm.update POSTs every change here (SSRF-guarded like http.request)' }),
            credential: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'name of an http-bearer, http-header or webhook-hmac credential (HMAC: X-Tadfuq-Signature)' })),
          },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false, description: 'the external CRM Tadfuq works beside' },
  ),
};

const SettingsSchema = Type.Object({
  locale: Type.Optional(SettingsFields.locale),
  timezone: Type.Optional(SettingsFields.timezone),
  allowPrivateNetwork: Type.Optional(SettingsFields.allowPrivateNetwork),
  retentionDays: Type.Optional(SettingsFields.retentionDays),
  expressionTimeoutMs: Type.Optional(SettingsFields.expressionTimeoutMs),
  bulkSendThreshold: Type.Optional(SettingsFields.bulkSendThreshold),
  optOutWords: Type.Optional(SettingsFields.optOutWords),
  crm: Type.Optional(SettingsFields.crm),
});

const SettingsPatch = Type.Object(
  {
    locale: nullable(SettingsFields.locale),
    timezone: nullable(SettingsFields.timezone),
    allowPrivateNetwork: nullable(SettingsFields.allowPrivateNetwork),
    retentionDays: nullable(SettingsFields.retentionDays),
    expressionTimeoutMs: nullable(SettingsFields.expressionTimeoutMs),
    bulkSendThreshold: nullable(SettingsFields.bulkSendThreshold),
    optOutWords: nullable(SettingsFields.optOutWords),
    crm: nullable(SettingsFields.crm),
  },
  { additionalProperties: false },
);

const TenantSchema = Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String(), settings: SettingsSchema });

const SETTING_KEYS = Object.keys(SettingsFields) as (keyof typeof SettingsFields)[];

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function tenantRoutes(ctx: AppContext): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/tenant',
      summary: 'The tenant you act in and its settings',
      tag: 'tenant',
      access: 'tenant.read',
      response: TenantSchema,
      async handler({ auth }) {
        const tenant = await ctx.tenants.byId(auth.tenant.id);
        if (!tenant) throw notFound('tenant');
        return { id: tenant.id, slug: tenant.slug, name: tenant.name, settings: tenant.settings };
      },
    }),

    route({
      method: 'patch',
      path: '/tenant',
      summary: 'Rename the tenant or change its settings (owner only; null resets a setting)',
      tag: 'tenant',
      access: 'tenant.update',
      body: Type.Object({ name: Type.Optional(NameSchema), settings: Type.Optional(SettingsPatch) }, { additionalProperties: false, minProperties: 1 }),
      response: TenantSchema,
      async handler({ body, auth, req }) {
        if (typeof body.settings?.timezone === 'string' && !validTimezone(body.settings.timezone)) {
          throw new ApiError(400, 'invalid_request', '/body/settings/timezone: not an IANA time zone', [{ path: '/body/settings/timezone', code: 'invalid_value', message: 'not an IANA time zone (e.g. Asia/Riyadh)' }]);
        }
        let result: { name: string; settings: TenantSettings } | undefined;
        await ctx.db.sql.transaction(async (q) => {
          const row = await ctx.tenants.lockedForUpdate(auth.tenant.id, q);
          if (!row) throw notFound('tenant');
          const before = row.settings;
          const settings: Record<string, unknown> = { ...before };
          const changes: Record<string, { from: unknown; to: unknown }> = {};
          for (const key of SETTING_KEYS) {
            const value = body.settings?.[key];
            if (value === undefined) continue;
            if (value === null) delete settings[key];
            else settings[key] = value;
            if (before[key] !== settings[key]) changes[key] = { from: before[key] ?? null, to: settings[key] ?? null };
          }
          // A CRM webhook on a literal private address is refused when set, unless the settings
          // (as they will be) allow private networks; the connection-time guard is the real check.
          const hookUrl = body.settings?.crm?.externalWebhook?.url;
          if (hookUrl !== undefined) {
            let host = '';
            try {
              host = new URL(hookUrl).hostname;
            } catch {
              throw new ApiError(400, 'invalid_request', '/body/settings/crm/externalWebhook/url: not a URL', [{ path: '/body/settings/crm/externalWebhook/url', code: 'invalid_value', message: 'not a URL' }]);
            }
            if (hostRefusal(host, { allowPrivateNetwork: settings.allowPrivateNetwork === true })) {
              const path = '/body/settings/crm/externalWebhook/url';
              throw new ApiError(400, 'invalid_request', `${path}: ${PRIVATE_TARGET_MESSAGE}`, [{ path, code: 'address_not_allowed', message: PRIVATE_TARGET_MESSAGE }]);
            }
          }
          const name = body.name?.trim() ?? String(row.name);
          if (name !== row.name) changes.name = { from: row.name, to: name };
          result = { name, settings: settings as TenantSettings };
          if (!Object.keys(changes).length) return;
          await ctx.tenants.update(auth.tenant.id, { name, settings: settings as TenantSettings }, q);
          await ctx.audit(auth.tenant.id).record({ actor: actorOf(auth), action: 'tenant.updated', target: `tenant:${auth.tenant.id}`, details: { changes }, requestId: requestIdOf(req) }, q);
        });
        if (!result) throw new Error('tenant update finished without a result');
        ctx.tenantSettings.set(auth.tenant.id, result.settings);
        return { id: auth.tenant.id, slug: auth.tenant.slug, name: result.name, settings: result.settings };
      },
    }),
  ];
}

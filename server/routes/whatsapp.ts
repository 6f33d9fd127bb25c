// Routes: the tenant's WhatsApp Cloud API message templates. Sync reads them from Meta (the
// WhatsApp Business Account of a `whatsapp-cloud` credential, every page) and replaces the
// stored list; the list gives name, language, status (APPROVED, PENDING, REJECTED…) and
// category (marketing, utility, authentication), which prices a template send in the outbox.
import { Type } from '@sinclair/typebox';
import { CREDENTIAL_NAME_PATTERN } from '../../engine/index.js';
import { ApiError } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { route, type RouteSpec } from '../http/route.js';
import { fetchTemplates } from '../channels/whatsapp-cloud.js';

const Template = Type.Object(
  {
    credentialId: Type.String(),
    name: Type.String(),
    language: Type.String(),
    templateId: Type.Union([Type.String(), Type.Null()]),
    status: Type.String({ description: 'as Meta names it: APPROVED, PENDING, REJECTED, PAUSED, DISABLED…' }),
    category: Type.String({ description: 'marketing, utility or authentication' }),
    body: Type.Union([Type.String(), Type.Null()], { description: 'the BODY component’s text with its {{placeholders}}' }),
    syncedAt: Type.Integer({ description: 'epoch ms' }),
  },
  { additionalProperties: false },
);

const SyncBody = Type.Object(
  { credential: Type.String({ minLength: 1, maxLength: 100, pattern: CREDENTIAL_NAME_PATTERN, description: 'the name of a whatsapp-cloud credential with businessAccountId' }) },
  { additionalProperties: false },
);

export function whatsappRoutes(ctx: AppContext): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/channels/whatsapp/templates',
      summary: 'The WhatsApp Cloud API message templates as last synced (name, language, status, category)',
      tag: 'channels',
      access: 'credentials.read',
      response: Type.Object({ items: Type.Array(Template) }, { additionalProperties: false }),
      async handler({ auth }) {
        return { items: await ctx.whatsappTemplates(auth.tenant.id).list() };
      },
    }),
    route({
      method: 'post',
      path: '/channels/whatsapp/templates/sync',
      summary: 'Read the templates of a whatsapp-cloud credential’s WhatsApp Business Account from Meta and replace the stored list',
      tag: 'channels',
      access: 'credentials.write',
      body: SyncBody,
      response: Type.Object({ count: Type.Integer(), items: Type.Array(Template) }, { additionalProperties: false }),
      errors: { 404: 'no whatsapp-cloud credential by that name', 422: 'the credential has no businessAccountId', 502: 'Meta refused or could not be reached (the message says why)' },
      async handler({ body, auth }) {
        const repo = ctx.credentials(auth.tenant.id);
        const found = await repo.reveal(body.credential, { by: 'name' }).catch(() => null);
        if (!found || found.type !== 'whatsapp-cloud') {
          throw new ApiError(404, 'not_found', `no whatsapp-cloud credential named "${body.credential}"`, [{ path: '/body/credential', code: 'not_found', message: 'no whatsapp-cloud credential by that name' }]);
        }
        const data = Object.fromEntries(Object.entries(found.data).map(([k, v]) => [k, String(v)]));
        if (!data.businessAccountId) {
          throw new ApiError(422, 'business_account_missing', 'the credential has no businessAccountId (the WhatsApp Business Account id) to read templates from', [{ path: '/body/credential', code: 'business_account_missing', message: 'add businessAccountId to the credential' }]);
        }
        const tenant = await ctx.tenants.byId(auth.tenant.id);
        const templates = await fetchTemplates(data, AbortSignal.timeout(60_000), { allowPrivateNetwork: tenant?.settings.allowPrivateNetwork === true });
        const store = ctx.whatsappTemplates(auth.tenant.id);
        await store.replaceAll(found.id, templates.map((t) => ({ name: t.name, language: t.language, templateId: t.id, status: t.status, category: t.category, body: t.body })), Date.now());
        const items = await store.list(found.id);
        return { count: items.length, items };
      },
    }),
  ];
}

// Contacts (leads), tenant-scoped: another tenant's contact answers 404, and so does another
// rep's contact to a sales rep (sales reps see and change only the contacts they own). PATCH is
// the data subject's right to correction. Consents: contact-consents.ts; import, export and
// erasure: contact-rights.ts; the workflows: server/contacts/.
import { Type, type Static } from '@sinclair/typebox';
import { ApiError, invalidRequest } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { NO_OWNER, actorOf, type Auth } from '../auth/auth-context.js';
import { requestIdOf } from '../auth/route-helpers.js';
import { route, type RouteSpec } from '../http/route.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import type { ContactFields } from '../../db/contacts/index.js';
import { CHANNELS, PURPOSES } from '../../engine/consent/consent-rule.js';
import { MAX_TAGS, TAG_PATTERN, checkTags, normaliseEmail, normalisePhone } from '../consent/contact-fields.js';
import { contactView } from '../crm/crm-views.js';
import { ownScope } from '../crm/crm-api.js';
import { ContactService, type Actor } from '../contacts/contact-service.js';
import { consentView } from '../contacts/consent-views.js';
import { IdParams, Nullable, Timestamp } from '../schemas/common.js';
import { ContactDetail, ContactView, LocaleSchema, TierSchema } from '../schemas/crm.js';

const Tag = Type.String({ pattern: TAG_PATTERN, description: '1–64 characters; no quotes, backslashes, commas or semicolons' });

const editable = {
  phone: Type.String({ minLength: 1, maxLength: 40, description: 'any common format; stored as E.164 (local numbers read as Saudi)' }),
  email: Type.String({ minLength: 3, maxLength: 320, description: 'stored lower-cased' }),
  company: Type.String({ maxLength: 200 }),
  source: Type.String({ maxLength: 100, description: 'where the lead came from (web form, exhibition…)' }),
  ownerId: Type.String({ minLength: 1, maxLength: 64, description: 'the user who owns the contact' }),
  score: Type.Integer({ minimum: 0, maximum: 100 }),
  tier: TierSchema,
  lastInboundAt: Timestamp,
};

const ContactBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    phone: Type.Optional(editable.phone),
    email: Type.Optional(editable.email),
    locale: Type.Optional(LocaleSchema),
    company: Type.Optional(editable.company),
    source: Type.Optional(editable.source),
    ownerId: Type.Optional(editable.ownerId),
    score: Type.Optional(editable.score),
    tier: Type.Optional(editable.tier),
    tags: Type.Optional(Type.Array(Tag, { maxItems: MAX_TAGS })),
    attributes: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { maxProperties: 100 })),
    lastInboundAt: Type.Optional(editable.lastInboundAt),
  },
  { additionalProperties: false },
);

const ContactPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    phone: Type.Optional(Nullable(editable.phone)),
    email: Type.Optional(Nullable(editable.email)),
    locale: Type.Optional(LocaleSchema),
    company: Type.Optional(Nullable(editable.company)),
    source: Type.Optional(Nullable(editable.source)),
    ownerId: Type.Optional(Nullable(editable.ownerId)),
    score: Type.Optional(Nullable(editable.score)),
    tier: Type.Optional(Nullable(editable.tier)),
    tags: Type.Optional(Type.Array(Tag, { maxItems: MAX_TAGS })),
    attributes: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { maxProperties: 100 })),
    lastInboundAt: Type.Optional(Nullable(editable.lastInboundAt)),
  },
  { additionalProperties: false, description: 'only the fields sent change; null clears a field' },
);

const ListQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'part of the name, phone or email' })),
    tag: Type.Optional(Tag),
    tier: Type.Optional(TierSchema),
    owner: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'a user id, or `me`' })),
    consent: Type.Optional(Type.String({ pattern: `^(${CHANNELS.join('|')}):(${PURPOSES.join('|')})$`, description: 'only contacts with a valid consent, e.g. whatsapp:marketing' })),
    includeErased: Type.Optional(Type.Boolean({ default: false })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the `nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);

const isContactCursor = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 64;

type FieldProblem = { path: string; code: string; message: string };

/** Normalise phone, email and tags of a create or patch body; every problem at once. */
function normalised(body: Partial<Static<typeof ContactPatch>>, problems: FieldProblem[]): ContactFields {
  const out: ContactFields = {};
  if (body.name !== undefined) {
    const name = body.name.trim();
    if (!name) problems.push({ path: '/body/name', code: 'required', message: 'the name is required' });
    out.name = name;
  }
  if (body.phone !== undefined) {
    if (body.phone === null) out.phone = null;
    else {
      const p = normalisePhone(body.phone);
      if (p.ok) out.phone = p.value;
      else problems.push({ path: '/body/phone', code: p.code, message: p.message });
    }
  }
  if (body.email !== undefined) {
    if (body.email === null) out.email = null;
    else {
      const e = normaliseEmail(body.email);
      if (e.ok) out.email = e.value;
      else problems.push({ path: '/body/email', code: e.code, message: e.message });
    }
  }
  if (body.tags !== undefined) {
    const t = checkTags(body.tags);
    if (t.ok) out.tags = t.value;
    else problems.push({ path: '/body/tags', code: t.code, message: t.message });
  }
  if (body.locale !== undefined) out.locale = body.locale;
  if (body.company !== undefined) out.company = body.company === null ? null : body.company.trim() || null;
  if (body.source !== undefined) out.source = body.source === null ? null : body.source.trim() || null;
  if (body.score !== undefined) out.score = body.score;
  if (body.tier !== undefined) out.tier = body.tier;
  if (body.attributes !== undefined) out.attributes = body.attributes;
  if (body.lastInboundAt !== undefined) out.lastInboundAt = body.lastInboundAt === null ? null : Date.parse(body.lastInboundAt);
  return out;
}

const by = (auth: Auth, req: Parameters<typeof requestIdOf>[0]): Actor => ({ actor: actorOf(auth), requestId: requestIdOf(req) });

export function contactRoutes(ctx: AppContext): RouteSpec[] {
  const service = new ContactService(ctx);

  async function checkOwner(auth: Auth, ownerId: string | null | undefined, problems: FieldProblem[]): Promise<void> {
    if (ownerId === undefined || ownerId === null) return;
    const own = ownScope(auth);
    if (own !== null) {
      if (ownerId !== own) throw new ApiError(403, 'owner_not_allowed', 'a sales rep cannot give a contact to someone else', [{ path: '/body/ownerId', code: 'owner_not_allowed', message: 'only managers assign contacts to others' }]);
      return;
    }
    if (!(await ctx.users.membership(auth.tenant.id, ownerId))) problems.push({ path: '/body/ownerId', code: 'unknown_user', message: 'not a member of this tenant' });
  }

  return [
    route({
      method: 'post',
      path: '/contacts',
      summary: 'Create a contact (phone normalised to E.164; phone and email unique in the tenant)',
      tag: 'contacts',
      access: 'contacts.write',
      body: ContactBody,
      response: ContactView,
      status: 201,
      errors: { 409: 'a contact with this phone or email exists' },
      async handler({ body, auth, req }) {
        const problems: FieldProblem[] = [];
        const fields = normalised(body, problems);
        if (!fields.phone && !fields.email && body.phone === undefined && body.email === undefined) {
          problems.push({ path: '/body/phone', code: 'required', message: 'a phone or an email is required' });
        }
        const own = ownScope(auth);
        if (own !== null && auth.principal.kind !== 'user') throw new ApiError(403, 'owner_not_allowed', 'a sales_rep API key owns no contacts: create contacts with a manager’s key');
        await checkOwner(auth, body.ownerId, problems);
        if (problems.length) throw invalidRequest(problems);
        if (own !== null) fields.ownerId = own;
        else if (body.ownerId !== undefined) fields.ownerId = body.ownerId;
        return contactView(await service.create(auth.tenant.id, { ...fields, name: fields.name! }, by(auth, req)));
      },
    }),
    route({
      method: 'get',
      path: '/contacts',
      summary: 'Contacts, newest first (a sales rep sees only their own); search, tag, tier, owner and consent filters',
      tag: 'contacts',
      access: 'contacts.read',
      query: ListQuery,
      response: Type.Object({ items: Type.Array(ContactView), nextCursor: Nullable(Type.String()) }, { additionalProperties: false }),
      async handler({ query, auth }) {
        const own = ownScope(auth);
        const owner = query.owner === 'me' ? (auth.principal.kind === 'user' ? auth.principal.userId : NO_OWNER) : query.owner;
        let consent: { channel: string; purpose: string; at: number } | undefined;
        if (query.consent) {
          const [channel, purpose] = query.consent.split(':') as [string, string];
          consent = { channel, purpose, at: Date.now() };
        }
        const after = query.cursor ? decodeCursor(query.cursor, isContactCursor) : undefined;
        const page = await ctx.contacts(auth.tenant.id).list({
          limit: query.limit,
          ...(query.q ? { q: query.q } : {}),
          ...(query.tag ? { tag: query.tag } : {}),
          ...(query.tier ? { tier: query.tier } : {}),
          ...(own !== null ? { ownerId: own } : owner ? { ownerId: owner } : {}),
          ...(consent ? { consent } : {}),
          ...(query.includeErased ? { includeErased: true } : {}),
          ...(after ? { after } : {}),
        });
        // A sales rep asking for another owner's contacts gets none (never someone else's).
        const items = own !== null && owner && owner !== own ? [] : page.items;
        return { items: items.map(contactView), nextCursor: page.next && items.length ? encodeCursor(page.next) : null };
      },
    }),
    route({
      method: 'get',
      path: '/contacts/:id',
      summary: 'A contact with its consents and whether each permits contact now',
      tag: 'contacts',
      access: 'contacts.read',
      params: IdParams,
      response: ContactDetail,
      async handler({ params, auth }) {
        const contact = await service.visible(auth, params.id);
        const now = Date.now();
        const consents = await ctx.consents(auth.tenant.id).list(contact.id);
        return { ...contactView(contact), consents: consents.map((c) => consentView(c, now)) };
      },
    }),
    route({
      method: 'patch',
      path: '/contacts/:id',
      summary: 'Correct a contact (data subject right to correction); null clears a field',
      tag: 'contacts',
      access: 'contacts.write',
      params: IdParams,
      body: ContactPatch,
      response: ContactView,
      errors: { 409: 'duplicate phone or email, or an erased contact' },
      async handler({ params, body, auth, req }) {
        const contact = await service.visible(auth, params.id);
        if (contact.erasedAt !== null) throw new ApiError(409, 'contact_erased', 'an erased contact cannot be changed');
        const problems: FieldProblem[] = [];
        const fields = normalised(body, problems);
        if (body.ownerId !== undefined) {
          if (body.ownerId === null && ownScope(auth) !== null) throw new ApiError(403, 'owner_not_allowed', 'a sales rep cannot give a contact away', [{ path: '/body/ownerId', code: 'owner_not_allowed', message: 'only managers reassign contacts' }]);
          await checkOwner(auth, body.ownerId, problems);
          fields.ownerId = body.ownerId;
        }
        const phone = fields.phone === undefined ? contact.phone : fields.phone;
        const email = fields.email === undefined ? contact.email : fields.email;
        if (!phone && !email) problems.push({ path: '/body/phone', code: 'required', message: 'a contact keeps a phone or an email' });
        if (problems.length) throw invalidRequest(problems);
        return contactView(await service.correct(auth.tenant.id, contact, fields, by(auth, req)));
      },
    }),
  ];
}

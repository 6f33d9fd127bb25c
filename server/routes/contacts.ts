// Contacts (leads) and their PDPL consents, tenant-scoped: another tenant's contact answers
// 404, and so does another rep's contact to a sales rep (sales reps see and change only the
// contacts they own). Data subject rights: GET …/export (access), PATCH (correction),
// POST …/erase (erasure: server/contacts/erasure-service.ts — anonymise the contact, redact
// every stored value holding its phone, email or name, withdraw its consents, keep the shape
// of the consent trail and the audit entry). Consent changes go through
// ConsentRepository, which writes each change's consent event in the same transaction.
import { Type, type Static } from '@sinclair/typebox';
import { ApiError, notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { NO_OWNER, actorOf, type Auth } from '../auth/auth-context.js';
import { route, type RouteSpec } from '../http/route.js';
import { SubjectData, importContacts, type Consent, type ConsentEvent, type Contact, type ContactFields, type ImportConsent, type ImportContact } from '../../db/contacts/index.js';
import {
  CHANNELS,
  CHANNEL_LABELS,
  CONSENT_EVENT_TYPES,
  CONSENT_SOURCES,
  CONSENT_STATUS_LABELS,
  CONSENT_VALIDITY_MONTHS,
  DECISION_REASON_LABELS,
  PURPOSES,
  PURPOSE_LABELS,
  consentDecision,
  consentExpiry,
  type Channel,
  type Purpose,
} from '../../engine/consent/consent-rule.js';
import { MAX_TAGS, TAG_PATTERN, checkTags, normaliseEmail, normalisePhone } from '../consent/contact-fields.js';
import { contactView } from '../crm/crm-views.js';
import { ErasureService } from '../contacts/erasure-service.js';
import { MAX_IMPORT_ROWS, parseContactCsv, type CsvRowError } from '../consent/csv-import.js';
import { IdParams, Nullable, Timestamp, iso } from '../schemas/common.js';
import { ChannelSchema, ConsentView, ContactDetail, ContactView, EventView, LocaleSchema, PurposeSchema, TierSchema } from '../schemas/crm.js';

const SourceSchema = Type.Union(CONSENT_SOURCES.map((s) => Type.Literal(s)));
const Tag = Type.String({ pattern: TAG_PATTERN, description: '1–64 characters; no quotes, backslashes, commas or semicolons' });
const Label = Type.Object({ en: Type.String(), ar: Type.String() }, { additionalProperties: false });


const Evidence = Type.Object(
  {
    formUrl: Type.Optional(Type.String({ maxLength: 2000 })),
    ip: Type.Optional(Type.String({ maxLength: 64 })),
    userAgent: Type.Optional(Type.String({ maxLength: 500 })),
    messageId: Type.Optional(Type.String({ maxLength: 200 })),
    text: Type.Optional(Type.String({ maxLength: 5000, description: 'the wording the contact agreed to' })),
    documentUrl: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: true, maxProperties: 30, description: 'proof of consent: form URL, IP, message id, the text shown… (kept in the consent trail); at least one entry' },
);

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




const ConsentChangeAnswer = Type.Object({ consent: Nullable(ConsentView), event: Nullable(EventView) }, { additionalProperties: false });

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

const EventsQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the `nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);

const ChannelPurpose = { channel: ChannelSchema, purpose: PurposeSchema };
const GrantBody = Type.Object(
  {
    ...ChannelPurpose,
    source: SourceSchema,
    evidence: Evidence,
    grantedAt: Type.Optional(Type.String({ format: 'date-time', description: 'when the contact gave consent (default now; not in the future, not over 12 months ago)' })),
  },
  { additionalProperties: false },
);
const WithdrawBody = Type.Object(
  { ...ChannelPurpose, source: Type.Optional(SourceSchema), reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);
const RenewBody = Type.Object({ ...ChannelPurpose, source: Type.Optional(SourceSchema), evidence: Type.Optional(Evidence) }, { additionalProperties: false });

const IMPORT_BODY_LIMIT = 5 * 1024 * 1024;
const ImportBody = Type.Object(
  {
    csv: Type.String({ minLength: 1, description: `UTF-8 CSV text (BOM tolerated), header row first, at most ${MAX_IMPORT_ROWS} rows` }),
    defaultConsent: Type.Optional(
      Type.Object(
        { ...ChannelPurpose, source: Type.Optional(SourceSchema), evidence: Evidence },
        { additionalProperties: false, description: 'granted for every saved row without its own value in that consent column' },
      ),
    ),
    announce: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'publish lead.created for each contact the import creates, so flows that start on new leads run for them (off by default: an import of existing customers should not start a welcome sequence; every send still checks consent)',
      }),
    ),
  },
  { additionalProperties: false },
);
const ImportAnswer = Type.Object(
  {
    created: Type.Integer(),
    updated: Type.Integer(),
    failed: Type.Integer({ description: 'rows skipped because of errors' }),
    errors: Type.Array(Type.Object({ row: Type.Integer(), column: Nullable(Type.String()), code: Type.String(), message: Type.String() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

const ExportAnswer = Type.Object(
  {
    exportedAt: Timestamp,
    contact: ContactView,
    consents: Type.Array(ConsentView),
    consentEvents: Type.Array(EventView, { description: 'oldest first' }),
    executions: Type.Array(Type.Unknown(), { description: 'executions whose subject is the contact, with their steps' }),
    auditEntries: Type.Array(Type.Unknown(), { description: 'audit log entries about the contact' }),
    records: Type.Record(Type.String(), Type.Array(Type.Unknown()), {
      description: 'the contact’s rows in every other table, by table: outbound and inbound messages, enrollments and their history, escalations, deals, meetings, domain events',
    }),
  },
  { additionalProperties: false },
);

const EraseAnswer = Type.Object(
  {
    contact: ContactView,
    alreadyErased: Type.Boolean(),
    consentsWithdrawn: Type.Integer(),
    executions: Type.Object(
      {
        cancelled: Type.Integer({ description: 'running or waiting executions cancelled' }),
        redacted: Type.Integer(),
        steps: Type.Integer(),
        pending: Type.Integer({ description: 'executions still running (erase again to redact them)' }),
      },
      { additionalProperties: false },
    ),
    sweep: Type.Object(
      {
        rows: Type.Integer({ description: 'rows where a value holding the phone (any spelling), the email or the name was replaced by a keyed hash' }),
        tables: Type.Record(Type.String(), Type.Integer(), { description: 'those rows by table' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const Vocabulary = Type.Object(
  {
    channels: Type.Array(Type.Object({ id: Type.String(), label: Label }, { additionalProperties: false })),
    purposes: Type.Array(Type.Object({ id: Type.String(), label: Label }, { additionalProperties: false })),
    statuses: Type.Array(Type.Object({ id: Type.String(), label: Label }, { additionalProperties: false })),
    reasons: Type.Array(Type.Object({ id: Type.String(), label: Label }, { additionalProperties: false })),
    sources: Type.Array(Type.String()),
    validityMonths: Type.Integer(),
  },
  { additionalProperties: false },
);


function consentView(c: Consent, now: number): Static<typeof ConsentView> {
  const decision = consentDecision(c, { channel: c.channel, purpose: c.purpose, at: now });
  return {
    channel: c.channel,
    purpose: c.purpose,
    status: c.status,
    grantedAt: iso(c.grantedAt),
    renewedAt: iso(c.renewedAt),
    withdrawnAt: iso(c.withdrawnAt),
    expiresAt: iso(c.expiresAt),
    source: c.source,
    evidence: c.evidence,
    updatedAt: iso(c.updatedAt)!,
    valid: decision.ok,
    reason: decision.ok ? null : decision.reason,
  };
}

const eventView = (e: ConsentEvent): Static<typeof EventView> => ({ ...e, at: iso(e.at)! });

const requestIdOf = (req: { id?: unknown }): string | null => (req.id === undefined || req.id === null ? null : String(req.id));

/** The owner a sales rep is limited to: their user id (an API key with the role owns nothing). */
function ownScope(auth: Auth): string | null {
  if (auth.role !== 'sales_rep') return null;
  return auth.principal.kind === 'user' ? auth.principal.userId : NO_OWNER;
}

const encodeCursor = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
function decodeCursor<T>(text: string, check: (v: unknown) => v is T): T {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (check(v)) return v;
  } catch {
    // fall through
  }
  throw new ApiError(400, 'invalid_request', 'cursor is not one this API issued', [{ path: '/query/cursor', code: 'invalid_cursor', message: 'pass the `nextCursor` of the previous page' }]);
}

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

function invalid(problems: FieldProblem[]): ApiError {
  return new ApiError(400, 'invalid_request', problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
}

export function contactRoutes(ctx: AppContext): RouteSpec[] {
  const erasure = new ErasureService(ctx);
  /** The contact if the caller may see it: same tenant, and a sales rep's own. */
  async function visibleContact(auth: Auth, id: string): Promise<Contact> {
    const contact = await ctx.contacts(auth.tenant.id).byId(id);
    const own = ownScope(auth);
    if (!contact || (own !== null && contact.ownerId !== own)) throw notFound('contact');
    return contact;
  }

  async function checkOwner(auth: Auth, ownerId: string | null | undefined, problems: FieldProblem[]): Promise<void> {
    if (ownerId === undefined || ownerId === null) return;
    const own = ownScope(auth);
    if (own !== null) {
      if (ownerId !== own) throw new ApiError(403, 'owner_not_allowed', 'a sales rep cannot give a contact to someone else', [{ path: '/body/ownerId', code: 'owner_not_allowed', message: 'only managers assign contacts to others' }]);
      return;
    }
    if (!(await ctx.users.membership(auth.tenant.id, ownerId))) problems.push({ path: '/body/ownerId', code: 'unknown_user', message: 'not a member of this tenant' });
  }

  async function consentChange(
    auth: Auth,
    contactId: string,
    type: 'grant' | 'renew' | 'withdraw',
    body: { channel: Channel; purpose: Purpose; source?: string; evidence?: unknown; reason?: string; grantedAt?: string },
    requestId: string | null,
  ): Promise<Static<typeof ConsentChangeAnswer>> {
    await visibleContact(auth, contactId);
    // Checked here, after the contact is found, so an unknown id answers 404 whatever the body.
    if (body.evidence !== undefined && Object.keys(body.evidence as object).length === 0) throw invalid([{ path: '/body/evidence', code: 'empty_evidence', message: 'say what proves the consent (form URL, message id, the text shown…)' }]);
    const now = Date.now();
    let effectiveAt = now;
    if (type === 'grant' && body.grantedAt !== undefined) {
      effectiveAt = Date.parse(body.grantedAt);
      if (effectiveAt > now + 60_000) throw invalid([{ path: '/body/grantedAt', code: 'in_future', message: 'consent cannot be given in the future' }]);
      if (consentExpiry(effectiveAt) <= now) throw invalid([{ path: '/body/grantedAt', code: 'expired', message: 'consent given more than 12 months ago has expired' }]);
      effectiveAt = Math.min(effectiveAt, now);
    }
    const details: Record<string, unknown> = { requestId };
    if (body.reason !== undefined) details.reason = body.reason;
    const { consent, event } = await ctx.consents(auth.tenant.id).change(contactId, body.channel, body.purpose, type, {
      actor: actorOf(auth),
      source: body.source ?? (type === 'grant' ? null : 'api'),
      evidence: body.evidence,
      details,
      at: now,
      effectiveAt,
    });
    return { consent: consent ? consentView(consent, now) : null, event: event ? eventView(event) : null };
  }

  return [
    route({
      method: 'get',
      path: '/consent-vocabulary',
      summary: 'Consent channels, purposes, statuses, refusal reasons and sources, with Arabic and English labels',
      tag: 'contacts',
      access: 'contacts.read',
      response: Vocabulary,
      handler() {
        const entries = (labels: Record<string, { en: string; ar: string }>) => Object.entries(labels).map(([id, label]) => ({ id, label }));
        return {
          channels: entries(CHANNEL_LABELS),
          purposes: entries(PURPOSE_LABELS),
          statuses: entries(CONSENT_STATUS_LABELS),
          reasons: entries(DECISION_REASON_LABELS),
          sources: [...CONSENT_SOURCES],
          validityMonths: CONSENT_VALIDITY_MONTHS,
        };
      },
    }),
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
      async handler({ body, auth }) {
        const problems: FieldProblem[] = [];
        const fields = normalised(body, problems);
        if (!fields.phone && !fields.email && body.phone === undefined && body.email === undefined) {
          problems.push({ path: '/body/phone', code: 'required', message: 'a phone or an email is required' });
        }
        const own = ownScope(auth);
        if (own !== null && auth.principal.kind !== 'user') throw new ApiError(403, 'owner_not_allowed', 'a sales_rep API key owns no contacts: create contacts with a manager’s key');
        await checkOwner(auth, body.ownerId, problems);
        if (problems.length) throw invalid(problems);
        if (own !== null) fields.ownerId = own;
        else if (body.ownerId !== undefined) fields.ownerId = body.ownerId;
        const contact = await ctx.contacts(auth.tenant.id).create({ ...fields, name: fields.name! });
        // lead.created starts the flows listening for new leads (server/crm/, trigger.event).
        await ctx.crm.leadCreated(auth.tenant.id, contact, { actor: actorOf(auth) });
        return contactView(contact);
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
        const after = query.cursor ? decodeCursor(query.cursor, (v): v is string => typeof v === 'string' && v.length > 0 && v.length <= 64) : undefined;
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
      method: 'post',
      path: '/contacts/import',
      summary: 'Import contacts and consents from CSV ({csv}); invalid rows are skipped and reported with row and column',
      tag: 'contacts',
      access: 'contacts.import',
      body: ImportBody,
      bodyLimit: IMPORT_BODY_LIMIT,
      response: ImportAnswer,
      errors: { 413: `more than ${MAX_IMPORT_ROWS} rows, or a body over 5 MiB` },
      async handler({ body, auth, req }) {
        const now = Date.now();
        if (body.defaultConsent && Object.keys(body.defaultConsent.evidence).length === 0) {
          throw invalid([{ path: '/body/defaultConsent/evidence', code: 'empty_evidence', message: 'say what proves the consent (the signed forms, the campaign…)' }]);
        }
        const parsed = parseContactCsv(body.csv, { now });
        const actor = actorOf(auth);
        const importId = requestIdOf(req);
        const d = body.defaultConsent;
        const rows: ImportContact[] = parsed.rows.map((r) => {
          const consents: ImportConsent[] = r.consents.map((c) => ({
            channel: c.channel,
            purpose: c.purpose,
            action: c.action,
            effectiveAt: c.at,
            source: 'import',
            evidence: { importedBy: actor, importId, row: r.row, cell: c.cell },
            details: { importId, row: r.row },
          }));
          if (d && !consents.some((c) => c.channel === d.channel && c.purpose === d.purpose)) {
            consents.push({ channel: d.channel, purpose: d.purpose, action: 'grant', effectiveAt: now, source: d.source ?? 'import', evidence: { ...d.evidence, importId, row: r.row }, details: { importId, row: r.row, defaultConsent: true } });
          }
          return { row: r.row, name: r.name, phone: r.phone, email: r.email, company: r.company, source: r.source, locale: r.locale, tags: r.tags, consents };
        });
        const saved = await importContacts(ctx.db, auth.tenant.id, rows, { actor, now });
        const { created, updated } = saved;
        if (body.announce) {
          // After the import committed: flows start for contacts that exist. One at a time, in row order.
          const contacts = ctx.contacts(auth.tenant.id);
          for (const id of saved.createdIds) {
            const contact = await contacts.byId(id);
            if (contact) await ctx.crm.leadCreated(auth.tenant.id, contact, { actor });
          }
        }
        const errors: CsvRowError[] = [...parsed.errors, ...saved.errors];
        errors.sort((a, b) => a.row - b.row);
        const failed = new Set(errors.map((e) => e.row)).size;
        await ctx.audit(auth.tenant.id).record({ actor, action: 'contacts.import', target: null, details: { rows: parsed.total, created, updated, failed, announced: body.announce ? created : 0, defaultConsent: body.defaultConsent ? `${body.defaultConsent.channel}:${body.defaultConsent.purpose}` : null }, requestId: importId });
        return { created, updated, failed, errors };
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
        const contact = await visibleContact(auth, params.id);
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
        const contact = await visibleContact(auth, params.id);
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
        if (problems.length) throw invalid(problems);
        const changed = Object.keys(fields);
        let result: Contact | null = null;
        await ctx.db.sql.transaction(async (q) => {
          result = await ctx.contacts(auth.tenant.id).update(contact.id, fields, q);
          // The audit entry names the corrected fields, never their values.
          if (changed.length) await ctx.audit(auth.tenant.id).record({ actor: actorOf(auth), action: 'contact.update', target: contact.id, details: { fields: changed }, requestId: requestIdOf(req) }, q);
        });
        if (!result) throw notFound('contact');
        // lead.updated lets flows react to corrections (server/crm/, trigger.event).
        if (changed.length) await ctx.crm.leadUpdated(auth.tenant.id, result, changed, { actor: actorOf(auth) });
        return contactView(result);
      },
    }),
    route({
      method: 'get',
      path: '/contacts/:id/export',
      summary: 'Everything held about a contact (data subject access request): contact, consents, consent trail, executions and their steps, audit entries',
      tag: 'contacts',
      access: 'contacts.export',
      params: IdParams,
      response: ExportAnswer,
      async handler({ params, auth, req }) {
        const contact = await visibleContact(auth, params.id);
        const tenantId = auth.tenant.id;
        const now = Date.now();
        const subject = new SubjectData(ctx.db, tenantId);
        const [consents, events, executionIds, auditEntries, records] = await Promise.all([
          ctx.consents(tenantId).list(contact.id),
          ctx.consents(tenantId).events(contact.id, { chronological: true }),
          subject.executionIds(contact.id),
          subject.auditEntries(contact.id),
          subject.relatedRecords(contact.id),
        ]);
        const executions = [];
        for (const id of executionIds) {
          const execution = await ctx.executions(tenantId).get(id);
          if (execution) executions.push(execution);
        }
        await ctx.audit(tenantId).record({ actor: actorOf(auth), action: 'contact.export', target: contact.id, details: { executions: executions.length, consentEvents: events.length }, requestId: requestIdOf(req) });
        return {
          exportedAt: new Date(now).toISOString(),
          contact: contactView(contact),
          consents: consents.map((c) => consentView(c, now)),
          consentEvents: events.map(eventView),
          executions,
          auditEntries,
          records,
        };
      },
    }),
    route({
      method: 'post',
      path: '/contacts/:id/erase',
      summary: 'Erase a contact: anonymise it, withdraw its consents, cancel its executions and redact their stored data; the consent trail and the audit entry are kept',
      tag: 'contacts',
      access: 'contacts.erase',
      params: IdParams,
      response: EraseAnswer,
      async handler({ params, auth, req }) {
        const contact = await visibleContact(auth, params.id);
        const outcome = await erasure.erase(auth.tenant.id, contact, { actor: actorOf(auth), requestId: requestIdOf(req) });
        const after = await ctx.contacts(auth.tenant.id).byId(contact.id);
        return { contact: contactView(after!), ...outcome };
      },
    }),
    route({
      method: 'get',
      path: '/contacts/:id/consents',
      summary: 'A contact’s consents and whether each permits contact now',
      tag: 'contacts',
      access: 'contacts.read',
      params: IdParams,
      response: Type.Object({ items: Type.Array(ConsentView) }, { additionalProperties: false }),
      async handler({ params, auth }) {
        const contact = await visibleContact(auth, params.id);
        const now = Date.now();
        return { items: (await ctx.consents(auth.tenant.id).list(contact.id)).map((c) => consentView(c, now)) };
      },
    }),
    route({
      method: 'get',
      path: '/contacts/:id/consent-events',
      summary: 'A contact’s consent trail (grants, renewals, withdrawals, expiries, blocked sends, erasure), newest first',
      tag: 'contacts',
      access: 'contacts.read',
      params: IdParams,
      query: EventsQuery,
      response: Type.Object({ items: Type.Array(EventView), nextCursor: Nullable(Type.String()) }, { additionalProperties: false }),
      async handler({ params, query, auth }) {
        const contact = await visibleContact(auth, params.id);
        const before = query.cursor
          ? decodeCursor(query.cursor, (v): v is [number, string] => Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string')
          : undefined;
        const events = await ctx.consents(auth.tenant.id).events(contact.id, { limit: query.limit, ...(before ? { before: { at: before[0], id: before[1] } } : {}) });
        const last = events.at(-1);
        return { items: events.map(eventView), nextCursor: events.length === query.limit && last ? encodeCursor([last.at, last.id]) : null };
      },
    }),
    route({
      method: 'get',
      path: '/consent-events',
      summary: 'The tenant’s consent trail across contacts (grants, renewals, withdrawals, expiries, blocked sends, erasures), newest first; a sales rep sees its own contacts’ events',
      tag: 'contacts',
      access: 'contacts.read',
      query: Type.Object(
        {
          ...EventsQuery.properties,
          type: Type.Optional(Type.Union(CONSENT_EVENT_TYPES.map((t) => Type.Literal(t)))),
        },
        { additionalProperties: false },
      ),
      response: Type.Object({ items: Type.Array(EventView), nextCursor: Nullable(Type.String()) }, { additionalProperties: false }),
      async handler({ query, auth }) {
        const before = query.cursor
          ? decodeCursor(query.cursor, (v): v is [number, string] => Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string')
          : undefined;
        const own = ownScope(auth);
        const events = await ctx.consents(auth.tenant.id).tenantEvents({
          limit: query.limit,
          ...(before ? { before: { at: before[0], id: before[1] } } : {}),
          ...(own !== null ? { ownerId: own } : {}),
          ...(query.type ? { type: query.type } : {}),
        });
        const last = events.at(-1);
        return { items: events.map(eventView), nextCursor: events.length === query.limit && last ? encodeCursor([last.at, last.id]) : null };
      },
    }),
    route({
      method: 'post',
      path: '/contacts/:id/consents/grant',
      summary: 'Record consent for a channel and purpose, with its source and evidence (valid 12 months)',
      tag: 'contacts',
      access: 'consent.manage',
      params: IdParams,
      body: GrantBody,
      response: ConsentChangeAnswer,
      errors: { 409: 'the contact was erased' },
      handler: ({ params, body, auth, req }) => consentChange(auth, params.id, 'grant', body, requestIdOf(req)),
    }),
    route({
      method: 'post',
      path: '/contacts/:id/consents/withdraw',
      summary: 'Withdraw consent for a channel and purpose (recorded even when none was given; repeating it changes nothing)',
      tag: 'contacts',
      access: 'consent.manage',
      params: IdParams,
      body: WithdrawBody,
      response: ConsentChangeAnswer,
      async handler({ params, body, auth, req }) {
        const answer = await consentChange(auth, params.id, 'withdraw', body, requestIdOf(req));
        // The contact's sequences that send on this channel end now (server/enrollments/).
        await ctx.contactExits.exit(auth.tenant.id, params.id, 'consent_withdrawn', body.channel);
        return answer;
      },
    }),
    route({
      method: 'post',
      path: '/contacts/:id/consents/renew',
      summary: 'Renew a granted or expired consent: valid 12 months from now',
      tag: 'contacts',
      access: 'consent.manage',
      params: IdParams,
      body: RenewBody,
      response: ConsentChangeAnswer,
      errors: { 409: 'the consent is withdrawn or missing (grant it instead), or the contact was erased' },
      handler: ({ params, body, auth, req }) => consentChange(auth, params.id, 'renew', body, requestIdOf(req)),
    }),
  ];
}

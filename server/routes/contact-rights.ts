// Data subject rights and bulk work on contacts: import from CSV (server/contacts/contact-import.ts),
// GET …/export (the right of access, server/contacts/contact-export.ts) and POST …/erase (the
// right to erasure, server/contacts/erasure-service.ts — anonymise the contact, redact every
// stored value holding its phone, email or name, withdraw its consents, keep the shape of the
// consent trail and the audit entry). The routes check access and delegate.
import { Type } from '@sinclair/typebox';
import { invalidRequest } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { actorOf, type Auth } from '../auth/auth-context.js';
import { requestIdOf } from '../auth/route-helpers.js';
import { route, type RouteSpec } from '../http/route.js';
import { MAX_IMPORT_ROWS } from '../consent/csv-import.js';
import { contactView } from '../crm/crm-views.js';
import { ContactService, type Actor } from '../contacts/contact-service.js';
import { importContactCsv } from '../contacts/contact-import.js';
import { exportContact } from '../contacts/contact-export.js';
import { ErasureService } from '../contacts/erasure-service.js';
import { IdParams, Nullable, Timestamp } from '../schemas/common.js';
import { ChannelSchema, ConsentSourceSchema, ConsentView, ContactView, EventView, Evidence, PurposeSchema } from '../schemas/crm.js';

const ChannelPurpose = { channel: ChannelSchema, purpose: PurposeSchema };
const SourceSchema = ConsentSourceSchema;

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

const by = (auth: Auth, req: Parameters<typeof requestIdOf>[0]): Actor => ({ actor: actorOf(auth), requestId: requestIdOf(req) });

export function contactRightsRoutes(ctx: AppContext): RouteSpec[] {
  const service = new ContactService(ctx);
  const erasure = new ErasureService(ctx);
  return [
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
        if (body.defaultConsent && Object.keys(body.defaultConsent.evidence).length === 0) {
          throw invalidRequest([{ path: '/body/defaultConsent/evidence', code: 'empty_evidence', message: 'say what proves the consent (the signed forms, the campaign…)' }]);
        }
        return importContactCsv(ctx, auth.tenant.id, body, by(auth, req));
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
        const contact = await service.visible(auth, params.id);
        return exportContact(ctx, auth.tenant.id, contact, by(auth, req));
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
        const contact = await service.visible(auth, params.id);
        const outcome = await erasure.erase(auth.tenant.id, contact, by(auth, req));
        const after = await ctx.contacts(auth.tenant.id).byId(contact.id);
        return { contact: contactView(after!), ...outcome };
      },
    }),
  ];
}

// Contacts, consents and enrollments over the HTTP API (server/routes/contacts.ts and
// server/routes/enrollments.ts): the shapes the contacts pages read and the calls they make.
import { api, ApiError } from './client';
import type { Static } from '@sinclair/typebox';
import type { EnrollAnswer, Enrollment, EnrollmentDetail, EnrollmentHistoryEntry, EnrollmentState } from '../../../server/schemas/enrollments.js';
import type { ConsentVocabulary as ConsentVocabularySchema, Evidence as EvidenceSchema } from '../../../server/schemas/crm.js';
import type { Consent, ConsentEvent, Contact, ContactDetail, FlowSummary, Locale, Problem } from './types';

/** The API's own shapes (server/schemas/crm.ts, type-only). */
export type ConsentRow = Consent;
export type ConsentHistoryEvent = ConsentEvent;
export type ContactFull = Contact;
export type ContactFullDetail = ContactDetail;

/** The body of POST /contacts; PATCH /contacts/:id takes the same fields, null clears one. */
export interface ContactFields {
  name: string;
  phone?: string | null;
  email?: string | null;
  company?: string | null;
  source?: string | null;
  locale?: Locale;
  tags?: string[];
}

export interface GrantBody { channel: string; purpose: string; source: string; evidence: Evidence; grantedAt?: string }
export interface WithdrawBody { channel: string; purpose: string; source?: string; reason?: string }
export interface RenewBody { channel: string; purpose: string; source?: string; evidence?: Evidence }
export interface ConsentChangeAnswer { consent: ConsentRow | null; event: ConsentHistoryEvent | null }

export type { EnrollAnswer, Enrollment, EnrollmentDetail, EnrollmentHistoryEntry, EnrollmentState };
/** GET /consent-vocabulary: channels, purposes, statuses, refusal reasons and sources. */
export type ConsentVocabulary = Static<typeof ConsentVocabularySchema>;
export type VocabularyEntry = ConsentVocabulary['channels'][number];
/** Proof of consent: at least one entry (the API refuses an empty object). */
export type Evidence = Static<typeof EvidenceSchema>;

/** The actions POST /enrollments/:id/{action} takes. */
export type EnrollmentAction = 'pause' | 'resume' | 'unenroll';

export interface Member { id: string; name: string; email: string }

const contactPath = (id: string) => `/contacts/${encodeURIComponent(id)}`;

export const contactsApi = {
  vocabulary: () => api.get<ConsentVocabulary>('/consent-vocabulary'),
  create: (body: ContactFields) => api.post<ContactFull>('/contacts', body),
  correct: (id: string, body: Partial<ContactFields>) => api.patch<ContactFull>(contactPath(id), body),
  detail: (id: string) => api.get<ContactFullDetail>(contactPath(id)),
  consentEvents: (id: string) => api.get<{ items: ConsentHistoryEvent[]; nextCursor: string | null }>(`${contactPath(id)}/consent-events`),
  grant: (id: string, body: GrantBody) => api.post<ConsentChangeAnswer>(`${contactPath(id)}/consents/grant`, body),
  withdraw: (id: string, body: WithdrawBody) => api.post<ConsentChangeAnswer>(`${contactPath(id)}/consents/withdraw`, body),
  renew: (id: string, body: RenewBody) => api.post<ConsentChangeAnswer>(`${contactPath(id)}/consents/renew`, body),
  enrollments: (id: string) => api.get<{ items: Enrollment[] }>(`${contactPath(id)}/enrollments`),
  enrollment: (id: string) => api.get<EnrollmentDetail>(`/enrollments/${encodeURIComponent(id)}`),
  enroll: (flowId: string, contactIds: string[]) => api.post<EnrollAnswer>('/enrollments', { flowId, contactIds }),
  changeEnrollment: (id: string, action: EnrollmentAction) => api.post<EnrollmentDetail>(`/enrollments/${encodeURIComponent(id)}/${action}`),
  flows: () => api.get<{ items: FlowSummary[]; nextCursor: string | null }>('/flows?limit=200'),
  members: () => api.get<{ items: Member[] }>('/users'),
};

/**
 * An API error's problems by the body field they are about (`/body/phone` → `phone`,
 * `/body/evidence/text` → `evidence`), the first problem of each field; `''` holds the rest.
 */
export function problemsByField(err: unknown): Record<string, Problem> {
  const out: Record<string, Problem> = {};
  if (!(err instanceof ApiError)) return out;
  for (const p of err.details) {
    const m = /^\/body\/([^/]+)/.exec(p.path);
    const field = m?.[1] ?? '';
    out[field] ??= p;
  }
  return out;
}

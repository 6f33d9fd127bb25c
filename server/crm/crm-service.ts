// The CRM records the agents act on: deals and meetings (created, changed and removed by the
// API) and the lead fields flows change (crm.update). Every change commits in one transaction
// with its audit entry and its domain events (deal.created, deal.updated, deal.stage_changed,
// deal.deleted, meeting.scheduled, meeting.updated, meeting.cancelled, lead.updated); after
// the commit the events are routed through the same EventRouter as POST /events, so they start
// flows with trigger.event. (An event whose routing failed is routed again by the sweep.)
import type { Logger } from 'pino';
import { NodeFailure, type KnownNodeFailureCode, type CrmGateway, type CrmSet, type CrmUpdateRequest, type CrmUpdateResult, type StepIdentity } from '../../engine/index.js';
import type { Database, TenantRepository } from '../../db/index.js';
import type { Query } from '../../db/sql-executor.js';
import type { AuditRepository } from '../../db/audit-repository.js';
import type { UserRepository } from '../../db/user-repository.js';
import { DuplicateContactError, type Contact, type ContactFields, type ContactRepository } from '../../db/contacts/index.js';
import type { DomainEvent } from '../../db/domain-event-repository.js';
import { DEAL_STAGES, DealRepository, type Deal, type DealFields, type DealStage } from '../../db/deal-repository.js';
import { MeetingRepository, type Meeting, type MeetingFields } from '../../db/meeting-repository.js';
import { checkTags, TIERS } from '../consent/contact-fields.js';
import type { EventRouter } from '../events/event-router.js';
import { contactSnapshot, dealView, meetingView } from './crm-views.js';

/** A change the CRM refuses: `not_found` (404), `invalid` (400, with the field's path) or `conflict` (409). */
export class CrmRefused extends Error {
  override readonly name = 'CrmRefused';
  constructor(
    readonly kind: 'not_found' | 'invalid' | 'conflict',
    readonly code: KnownNodeFailureCode,
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

export type Changes = Record<string, { from: unknown; to: unknown }>;

/** Who changes: the audit actor (`user:<id>`, `apikey:<id>`, `execution:<id>`) and the request id. */
export interface Actor {
  actor: string;
  requestId?: string | null;
}

export interface CrmServiceDeps {
  db: Database;
  events: EventRouter;
  users: UserRepository;
  tenants: TenantRepository;
  contacts: (tenantId: string) => ContactRepository;
  audit: (tenantId: string) => AuditRepository;
  log: Logger;
}

function diff<T extends object>(before: T, after: T, fields: readonly (keyof T)[]): Changes {
  const changes: Changes = {};
  for (const f of fields) {
    const a = before[f];
    const b = after[f];
    if (JSON.stringify(a) !== JSON.stringify(b)) changes[String(f)] = { from: a ?? null, to: b ?? null };
  }
  return changes;
}

const DEAL_FIELDS: readonly (keyof Deal)[] = ['contactId', 'company', 'title', 'stage', 'valueSar', 'probability', 'expectedCloseDate', 'ownerId'];
const MEETING_FIELDS: readonly (keyof Meeting)[] = ['contactId', 'dealId', 'title', 'startsAt', 'durationMinutes', 'location', 'notes', 'ownerId'];
const CONTACT_FIELDS: readonly (keyof Contact)[] = ['score', 'tier', 'ownerId', 'tags'];

export class CrmService {
  constructor(private readonly deps: CrmServiceDeps) {}

  deals(tenantId: string): DealRepository {
    return new DealRepository(this.deps.db, tenantId);
  }

  meetings(tenantId: string): MeetingRepository {
    return new MeetingRepository(this.deps.db, tenantId);
  }

  /** Run `fn` in one transaction with an event collector; route the events after the commit. */
  private async changing<T>(tenantId: string, fn: (q: Query, emit: (type: string, subject: string | null, data: Record<string, unknown>) => Promise<void>) => Promise<T>): Promise<{ result: T; events: DomainEvent[] }> {
    const events: DomainEvent[] = [];
    let result!: T;
    await this.deps.db.sql.transaction(async (q) => {
      events.length = 0;
      result = await fn(q, async (type, subject, data) => {
        events.push(await this.deps.events.store(tenantId, q, { type, subject, data }, 'crm'));
      });
    });
    await this.deps.events.dispatch(tenantId, events);
    return { result, events };
  }

  /** Fails unless `userId` is a member of the tenant. */
  async checkMember(tenantId: string, userId: string | null | undefined, path: string): Promise<void> {
    if (userId === undefined || userId === null) return;
    if (!(await this.deps.users.membership(tenantId, userId))) throw new CrmRefused('invalid', 'unknown_user', `${userId} is not a member of this tenant`, path);
  }

  /** Fails unless the contact exists (not erased) in the tenant. */
  async checkContact(tenantId: string, contactId: string | null | undefined, path: string, query?: Query): Promise<void> {
    if (contactId === undefined || contactId === null) return;
    const contact = await this.deps.contacts(tenantId).byId(contactId, query);
    if (!contact || contact.erasedAt !== null) throw new CrmRefused('invalid', 'unknown_contact', `no contact ${contactId}`, path);
  }

  async createDeal(tenantId: string, fields: DealFields & { title: string; stage: DealStage }, by: Actor): Promise<Deal> {
    await this.checkMember(tenantId, fields.ownerId, '/body/ownerId');
    await this.checkContact(tenantId, fields.contactId, '/body/contactId');
    const { result } = await this.changing(tenantId, async (q, emit) => {
      const deal = await this.deals(tenantId).create(fields, q);
      await emit('deal.created', deal.contactId, { deal: dealView(deal), actor: by.actor });
      await this.deps.audit(tenantId).record({ actor: by.actor, action: 'deal.created', target: `deal:${deal.id}`, details: { stage: deal.stage, valueSar: deal.valueSar }, requestId: by.requestId ?? null }, q);
      return deal;
    });
    return result;
  }

  /** Change a deal; `guard` sees the locked deal first (scope checks). Emits deal.updated, and deal.stage_changed {from, to} when the stage moved. */
  async updateDeal(tenantId: string, id: string, fields: DealFields, by: Actor, guard: (deal: Deal) => void = () => undefined): Promise<{ deal: Deal; changes: Changes; events: string[] }> {
    const { result, events } = await this.changing(tenantId, async (q, emit) => {
      const changed = await this.changeDeal(tenantId, q, id, fields, by, emit, guard);
      if (Object.keys(changed.changes).length === 0) throw new Unchanged(changed.deal);
      return changed;
    }).catch((err: unknown) => {
      if (err instanceof Unchanged) return { result: { deal: err.record as Deal, changes: {} }, events: [] as DomainEvent[] };
      throw err;
    });
    return { ...result, events: events.map((e) => e.type) };
  }

  /**
   * A deal change inside the caller's transaction (updateDeal, and payments moving a deal to
   * won together with their own event): the events go to `emit`, to be routed after the commit.
   * No changes: nothing emitted or audited.
   */
  async changeDeal(
    tenantId: string,
    q: Query,
    id: string,
    fields: DealFields,
    by: Actor,
    emit: (type: string, subject: string | null, data: Record<string, unknown>) => Promise<void>,
    guard: (deal: Deal) => void = () => undefined,
  ): Promise<{ deal: Deal; changes: Changes }> {
    const repo = this.deals(tenantId);
    const before = await repo.lock(id, q);
    if (!before) throw new CrmRefused('not_found', 'not_found', 'deal not found');
    guard(before);
    // After the lookup: another tenant's (or rep's) deal is 404 whatever the body says.
    await this.checkMember(tenantId, fields.ownerId, '/body/ownerId');
    await this.checkContact(tenantId, fields.contactId, '/body/contactId', q);
    const after = (await repo.update(id, fields, q))!;
    const changes = diff(before, after, DEAL_FIELDS);
    if (Object.keys(changes).length === 0) return { deal: before, changes };
    await emit('deal.updated', after.contactId, { deal: dealView(after), changes, actor: by.actor });
    if (changes.stage) await emit('deal.stage_changed', after.contactId, { deal: dealView(after), from: before.stage, to: after.stage, actor: by.actor });
    await this.deps.audit(tenantId).record({ actor: by.actor, action: 'deal.updated', target: `deal:${id}`, details: { changes }, requestId: by.requestId ?? null }, q);
    return { deal: after, changes };
  }

  async deleteDeal(tenantId: string, id: string, by: Actor, guard: (deal: Deal) => void = () => undefined): Promise<Deal> {
    const { result } = await this.changing(tenantId, async (q, emit) => {
      const repo = this.deals(tenantId);
      const before = await repo.lock(id, q);
      if (!before) throw new CrmRefused('not_found', 'not_found', 'deal not found');
      guard(before);
      const deleted = (await repo.softDelete(id, q))!;
      await emit('deal.deleted', deleted.contactId, { deal: dealView(deleted), actor: by.actor });
      await this.deps.audit(tenantId).record({ actor: by.actor, action: 'deal.deleted', target: `deal:${id}`, requestId: by.requestId ?? null }, q);
      return deleted;
    });
    return result;
  }

  async createMeeting(tenantId: string, fields: MeetingFields & { contactId: string; startsAt: number; durationMinutes: number }, by: Actor): Promise<Meeting> {
    await this.checkMember(tenantId, fields.ownerId, '/body/ownerId');
    await this.checkContact(tenantId, fields.contactId, '/body/contactId');
    if (fields.dealId && !(await this.deals(tenantId).byId(fields.dealId))) throw new CrmRefused('invalid', 'unknown_deal', `no deal ${fields.dealId}`, '/body/dealId');
    const { result } = await this.changing(tenantId, async (q, emit) => {
      const meeting = await this.meetings(tenantId).create(fields, q);
      await emit('meeting.scheduled', meeting.contactId, { meeting: meetingView(meeting), actor: by.actor });
      await this.deps.audit(tenantId).record({ actor: by.actor, action: 'meeting.scheduled', target: `meeting:${meeting.id}`, requestId: by.requestId ?? null }, q);
      return meeting;
    });
    return result;
  }

  async updateMeeting(tenantId: string, id: string, fields: MeetingFields, by: Actor, guard: (m: Meeting) => void = () => undefined): Promise<{ meeting: Meeting; changes: Changes }> {
    const { result } = await this.changing(tenantId, async (q, emit) => {
      const repo = this.meetings(tenantId);
      const before = await repo.lock(id, q);
      if (!before) throw new CrmRefused('not_found', 'not_found', 'meeting not found');
      guard(before);
      // After the lookup: another tenant's (or rep's) meeting is 404 whatever the body says.
      await this.checkMember(tenantId, fields.ownerId, '/body/ownerId');
      await this.checkContact(tenantId, fields.contactId, '/body/contactId', q);
      if (fields.dealId && !(await this.deals(tenantId).byId(fields.dealId, q))) throw new CrmRefused('invalid', 'unknown_deal', `no deal ${fields.dealId}`, '/body/dealId');
      const after = (await repo.update(id, fields, q))!;
      const changes = diff(before, after, MEETING_FIELDS);
      if (Object.keys(changes).length === 0) throw new Unchanged(before);
      await emit('meeting.updated', after.contactId, { meeting: meetingView(after), changes, actor: by.actor });
      await this.deps.audit(tenantId).record({ actor: by.actor, action: 'meeting.updated', target: `meeting:${id}`, details: { changes }, requestId: by.requestId ?? null }, q);
      return { meeting: after, changes };
    }).catch((err: unknown) => {
      if (err instanceof Unchanged) return { result: { meeting: err.record as Meeting, changes: {} }, events: [] };
      throw err;
    });
    return result;
  }

  async cancelMeeting(tenantId: string, id: string, by: Actor, guard: (m: Meeting) => void = () => undefined): Promise<Meeting> {
    const { result } = await this.changing(tenantId, async (q, emit) => {
      const repo = this.meetings(tenantId);
      const before = await repo.lock(id, q);
      if (!before) throw new CrmRefused('not_found', 'not_found', 'meeting not found');
      guard(before);
      const cancelled = (await repo.softDelete(id, q))!;
      await emit('meeting.cancelled', cancelled.contactId, { meeting: meetingView(cancelled), actor: by.actor });
      await this.deps.audit(tenantId).record({ actor: by.actor, action: 'meeting.cancelled', target: `meeting:${id}`, requestId: by.requestId ?? null }, q);
      return cancelled;
    });
    return result;
  }

  /**
   * A new lead (POST /contacts): publishes lead.created with the contact in its data (id
   * `lead.created:<contact id>`, so it starts each listening flow once). Never fails the caller:
   * the contact exists either way; a failure is logged.
   */
  async leadCreated(tenantId: string, contact: Contact, by: Actor): Promise<void> {
    try {
      await this.deps.events.publish(tenantId, { id: `lead.created:${contact.id}`, type: 'lead.created', subject: contact.id, data: { contact: contactSnapshot(contact), actor: by.actor } }, 'crm');
    } catch (err) {
      this.deps.log.error({ err, tenantId, contactId: contact.id }, 'publishing lead.created failed');
    }
  }

  /**
   * A lead corrected through the API (PATCH /contacts/:id): publishes lead.updated with the
   * contact and the names of the changed fields (id `lead.updated:<contact id>:<updated at>`,
   * one event per change). Never fails the caller: the correction is saved either way.
   */
  async leadUpdated(tenantId: string, contact: Contact, fields: string[], by: Actor): Promise<void> {
    try {
      await this.deps.events.publish(
        tenantId,
        { id: `lead.updated:${contact.id}:${contact.updatedAt}`, type: 'lead.updated', subject: contact.id, data: { contact: contactSnapshot(contact), fields, actor: by.actor } },
        'crm',
      );
    } catch (err) {
      this.deps.log.error({ err, tenantId, contactId: contact.id }, 'publishing lead.updated failed');
    }
  }

  /** Lead fields from a flow (crm.update): score, tier, owner, tags added/removed. Emits lead.updated. */
  async updateContact(tenantId: string, id: string, set: CrmSet, by: Actor): Promise<{ contact: Contact; changes: Changes; events: string[] }> {
    const fields = await this.contactFields(tenantId, set);
    const { result, events } = await this.changing(tenantId, async (q, emit) => {
      const repo = this.deps.contacts(tenantId);
      const before = await repo.lock(id, q);
      if (!before) throw new CrmRefused('not_found', 'not_found', `contact ${id} not found`);
      if (before.erasedAt !== null) throw new CrmRefused('conflict', 'contact_erased', `contact ${id} was erased`);
      const wanted: ContactFields = { ...fields };
      if (set.tags) {
        const remove = new Set(set.tags.remove ?? []);
        const tags = [...before.tags.filter((t) => !remove.has(t)), ...(set.tags.add ?? []).filter((t) => !remove.has(t))];
        const checked = checkTags([...new Set(tags)]);
        if (!checked.ok) throw new CrmRefused('invalid', checked.code, checked.message, '/params/set/tags');
        wanted.tags = checked.value;
      }
      const after = (await repo.update(id, wanted, q))!;
      const changes = diff(before, after, CONTACT_FIELDS);
      if (Object.keys(changes).length === 0) throw new Unchanged(before);
      await emit('lead.updated', id, { contact: contactSnapshot(after), changes, actor: by.actor });
      await this.deps.audit(tenantId).record({ actor: by.actor, action: 'contact.updated', target: `contact:${id}`, details: { changes }, requestId: by.requestId ?? null }, q);
      return { contact: after, changes };
    }).catch((err: unknown) => {
      if (err instanceof Unchanged) return { result: { contact: err.record as Contact, changes: {} }, events: [] as DomainEvent[] };
      throw err;
    });
    return { ...result, events: events.map((e) => e.type) };
  }

  /** Validate the contact part of a crm.update `set` (it arrives from expressions: anything). */
  private async contactFields(tenantId: string, set: CrmSet): Promise<ContactFields> {
    const out: ContactFields = {};
    if (set.stage !== undefined) throw new CrmRefused('invalid', 'invalid_params', 'a contact has no stage', '/params/set/stage');
    if (set.score !== undefined) {
      if (set.score !== null && !(Number.isInteger(set.score) && set.score >= 0 && set.score <= 100)) throw new CrmRefused('invalid', 'invalid_params', 'score must be an integer 0–100 or null', '/params/set/score');
      out.score = set.score;
    }
    if (set.tier !== undefined) {
      if (set.tier !== null && !(TIERS as readonly unknown[]).includes(set.tier)) throw new CrmRefused('invalid', 'invalid_params', 'tier must be hot, warm, cold or null', '/params/set/tier');
      out.tier = set.tier;
    }
    if (set.owner !== undefined) {
      await this.checkMember(tenantId, set.owner, '/params/set/owner');
      out.ownerId = set.owner;
    }
    for (const key of ['add', 'remove'] as const) {
      const list = set.tags?.[key];
      if (list !== undefined && !(Array.isArray(list) && list.every((t) => typeof t === 'string'))) throw new CrmRefused('invalid', 'invalid_params', `tags.${key} must be a list of tags`, `/params/set/tags/${key}`);
    }
    return out;
  }

  /** Deal part of a crm.update `set`: stage and owner only. */
  private dealFields(set: CrmSet): DealFields {
    for (const key of ['score', 'tier', 'tags'] as const) {
      if (set[key] !== undefined) throw new CrmRefused('invalid', 'invalid_params', `a deal has no ${key}`, `/params/set/${key}`);
    }
    const out: DealFields = {};
    if (set.stage !== undefined) {
      if (!(DEAL_STAGES as readonly string[]).includes(set.stage)) throw new CrmRefused('invalid', 'invalid_params', `stage must be one of ${DEAL_STAGES.join(', ')}`, '/params/set/stage');
      out.stage = set.stage as DealStage;
    }
    if (set.owner !== undefined) out.ownerId = set.owner;
    return out;
  }

  /** The tenant's external CRM webhook (tenant setting crm.externalWebhook), read fresh. */
  async externalWebhook(tenantId: string): Promise<{ url: string; credential?: string } | null> {
    const tenant = await this.deps.tenants.byId(tenantId);
    const hook = tenant?.settings.crm?.externalWebhook;
    return hook?.url ? { url: hook.url, ...(hook.credential ? { credential: hook.credential } : {}) } : null;
  }

  /** ctx.crm for the runtime: CRM refusals become step failures that retrying cannot fix. */
  gateway(): CrmGateway {
    return {
      update: async (step: StepIdentity, request: CrmUpdateRequest): Promise<CrmUpdateResult> => {
        const by: Actor = { actor: `execution:${step.executionId}` };
        try {
          let changes: Changes;
          let record: unknown;
          let events: string[];
          if (request.target === 'contact') {
            const r = await this.updateContact(step.tenantId, request.id, request.set, by);
            ({ changes, events } = r);
            record = contactSnapshot(r.contact);
          } else {
            const fields = this.dealFields(request.set);
            await this.checkMember(step.tenantId, fields.ownerId, '/params/set/owner');
            const r = await this.updateDeal(step.tenantId, request.id, fields, by);
            ({ changes, events } = r);
            record = dealView(r.deal);
          }
          return { target: request.target, id: request.id, changeId: step.stepId, changes, record, events, externalWebhook: await this.externalWebhook(step.tenantId) };
        } catch (err) {
          if (err instanceof CrmRefused) throw new NodeFailure(err.code, err.message, { retryable: false, ...(err.path ? { path: err.path.replace('/body/', '/params/set/') } : {}) });
          if (err instanceof DuplicateContactError) throw new NodeFailure('duplicate_contact', err.message, { retryable: false });
          throw err;
        }
      },
    };
  }
}

/** Thrown inside a change's transaction when nothing changed: rolls it back (no event, no audit entry). */
class Unchanged extends Error {
  constructor(readonly record: unknown) {
    super('unchanged');
  }
}

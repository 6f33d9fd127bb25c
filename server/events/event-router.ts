// Event routing: a domain event (POST /api/v1/events, or the CRM services in-process) is stored
// once per (tenant, event id), then every published flow with a trigger.event node for its type
// whose filter holds is started with the event as its payload and the event's subject (a
// contact id) as the execution's subject. Execution ids are UUIDv5 of (tenant, event id, flow,
// node): starting again — a replayed event id, a retry after a crash, two identical requests at
// once — conflicts with the execution already there and starts nothing new. Events with a
// subject also resume wait.event steps waiting for that event about that contact.
import { startPeriodic } from '../periodic.js';
import { createHash } from 'node:crypto';
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import type { Logger } from 'pino';
import { ExecutionConflict, type Runtime } from '../../engine/index.js';
import type { Database } from '../../db/index.js';
import type { Query } from '../../db/sql-executor.js';
import type { ContactRepository } from '../../db/contacts/index.js';
import { DomainEventRepository, publishedEventFlows, unroutedEvents, type DomainEvent, type EventSource, type StartedExecution } from '../../db/domain-event-repository.js';
import { eventMatches } from '../../nodes/trigger-event.node.js';
import { contactSnapshot } from '../crm/crm-views.js';

/** Namespace of the deterministic execution ids of event-started executions (UUIDv5). */
export const EVENT_EXECUTION_NAMESPACE = '8f1c7e52-3b7a-5c1e-9a40-6d2b1f0c7e11';
/** Events of these types are never delivered to waits from outside: escalate's decisions come only from the inbox. */
export const RESERVED_EVENT_PREFIXES = ['escalation.'];

export interface EventInput {
  /** The publisher's id for the event: publishing it again starts nothing new. */
  id: string;
  type: string;
  /** The contact the event is about, if any. */
  subject?: string | null;
  data?: unknown;
}

export interface PublishResult {
  eventId: string;
  duplicate: boolean;
  started: StartedExecution[];
  /** wait.event steps resumed by this event (first publication only). */
  resumed: number;
}

/** The same id with a different type, subject or data. */
export class EventIdReused extends Error {
  override readonly name = 'EventIdReused';
  constructor(readonly eventId: string) {
    super(`event id ${eventId} was already used for a different event`);
  }
}

export function executionIdFor(tenantId: string, eventId: string, flowId: string, nodeId: string): string {
  return uuidv5(JSON.stringify([tenantId, eventId, flowId, nodeId]), EVENT_EXECUTION_NAMESPACE);
}

/** JSON with object keys sorted: the same data hashes the same whatever order its keys came in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function eventFingerprint(type: string, subject: string | null, data: unknown): string {
  return createHash('sha256').update(canonical([type, subject, data ?? null])).digest('hex');
}

export interface EventRouterDeps {
  db: Database;
  runtime: () => Runtime;
  contacts: (tenantId: string) => ContactRepository;
  log: Logger;
  now?: () => Date;
}

export class EventRouter {
  private readonly now: () => Date;

  constructor(private readonly deps: EventRouterDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  private events(tenantId: string): DomainEventRepository {
    return new DomainEventRepository(this.deps.db, tenantId);
  }

  /** Store and route an event from outside (POST /events). EventIdReused when the id names another event. */
  async publish(tenantId: string, input: EventInput, source: EventSource = 'api'): Promise<PublishResult> {
    const subject = input.subject ?? null;
    const fingerprint = eventFingerprint(input.type, subject, input.data);
    const { event, created } = await this.events(tenantId).insert({ id: input.id, type: input.type, subject, data: input.data ?? null, source, fingerprint }, undefined, this.now().getTime());
    if (!created) {
      if (event.fingerprint !== fingerprint) throw new EventIdReused(input.id);
      // Routed already: answer as the first time. Not yet (a crash, or the first request is
      // still routing): route again — the deterministic execution ids make that safe.
      if (event.routedAt !== null && event.started) return { eventId: event.id, duplicate: true, started: event.started, resumed: 0 };
      return { eventId: event.id, duplicate: true, started: await this.route(tenantId, event), resumed: 0 };
    }
    // Waits that exist when the event arrives get it first; a flow the event starts never
    // receives the event that started it (its wait.event would resume on it at once).
    const resumed = await this.resumeWaits(tenantId, event);
    const started = await this.route(tenantId, event);
    return { eventId: event.id, duplicate: false, started, resumed };
  }

  /**
   * Store an event inside the caller's transaction (a CRM change and its event commit
   * together); call dispatch() with it after the commit.
   */
  async store(tenantId: string, query: Query, input: Omit<EventInput, 'id'> & { id?: string }, source: EventSource): Promise<DomainEvent> {
    const id = input.id ?? uuidv7();
    const subject = input.subject ?? null;
    const { event } = await this.events(tenantId).insert({ id, type: input.type, subject, data: input.data ?? null, source, fingerprint: eventFingerprint(input.type, subject, input.data) }, query, this.now().getTime());
    return event;
  }

  /** Route events stored with store(), after their transaction committed. Failures are logged: the sweep routes them again. */
  async dispatch(tenantId: string, events: readonly DomainEvent[]): Promise<void> {
    for (const event of events) {
      try {
        await this.resumeWaits(tenantId, event);
        await this.route(tenantId, event);
      } catch (err) {
        this.deps.log.error({ err, tenantId, eventId: event.id, type: event.type }, 'event routing failed (the sweep retries it)');
      }
    }
  }

  /** What a flow started by the event receives as its trigger payload. */
  async payloadOf(tenantId: string, event: DomainEvent): Promise<Record<string, unknown> & { type: string }> {
    const contact = event.subject ? await this.deps.contacts(tenantId).byId(event.subject) : null;
    return {
      id: event.id,
      type: event.type,
      subject: event.subject,
      data: event.data,
      contact: contact && contact.erasedAt === null ? contactSnapshot(contact) : null,
      receivedAt: new Date(event.receivedAt).toISOString(),
      source: event.source,
    };
  }

  /** Start every matching flow (idempotently) and record what started. */
  async route(tenantId: string, event: DomainEvent): Promise<StartedExecution[]> {
    const payload = await this.payloadOf(tenantId, event);
    const started: StartedExecution[] = [];
    for (const { flowId, version, flow } of await publishedEventFlows(this.deps.db, tenantId)) {
      for (const node of flow.nodes) {
        if (node.type !== 'trigger.event') continue;
        const params = (node.params ?? {}) as { event: string; filter?: unknown };
        // A filter that fails (an error, or a hostile expression stopped by its budget) does not match; say why.
        const onFilterError = (e: { code: string; message: string; path: string }): void =>
          this.deps.log.warn({ tenantId, flowId, nodeId: node.id, eventId: event.id, code: e.code, path: e.path, err: e.message }, 'event filter failed');
        if (!(await eventMatches(params, payload, this.now(), onFilterError))) continue;
        const executionId = executionIdFor(tenantId, event.id, flowId, node.id);
        started.push({ flowId, nodeId: node.id, executionId });
        // Already there (a replay): leave it be. A start racing another one conflicts below.
        if (await this.executionExists(tenantId, executionId)) continue;
        try {
          await this.deps.runtime().startExecution({ tenantId, flowId, flowVersion: version, flow, trigger: node.id, payload, mode: 'event', subject: event.subject, executionId, durable: true });
        } catch (err) {
          // Started before (a replay or a concurrent identical request): the same execution.
          if (!(err instanceof ExecutionConflict)) throw err;
        }
      }
    }
    await this.events(tenantId).markRouted(event.id, started, this.now().getTime());
    return started;
  }

  private async executionExists(tenantId: string, executionId: string): Promise<boolean> {
    return (await this.deps.db.sql.query('SELECT 1 AS x FROM executions WHERE tenant_id = $1 AND id = $2', [tenantId, executionId])).length > 0;
  }

  /** Resume wait.event steps waiting for this event about its subject (correlation = the contact id). */
  private async resumeWaits(tenantId: string, event: DomainEvent): Promise<number> {
    if (!event.subject || RESERVED_EVENT_PREFIXES.some((p) => event.type.startsWith(p))) return 0;
    const payload = await this.payloadOf(tenantId, event);
    return this.deps.runtime().deliverEvent(tenantId, event.type, event.subject, payload);
  }

  /** Route events whose routing never finished (stored more than `graceMs` ago); their waits were not resumed either. */
  async sweep(graceMs = 60_000): Promise<number> {
    const pending = await unroutedEvents(this.deps.db, this.now().getTime() - graceMs);
    for (const event of pending) {
      try {
        await this.resumeWaits(event.tenantId, event);
        await this.route(event.tenantId, event);
      } catch (err) {
        this.deps.log.error({ err, tenantId: event.tenantId, eventId: event.id }, 'event routing failed');
      }
    }
    return pending.length;
  }
}

/** Route unrouted events every `intervalMs` (API process). Returns stop(). */
export function startEventSweeper(router: EventRouter, log: Logger, intervalMs = 60_000): () => void {
  return startPeriodic('event sweep', () => router.sweep(), { intervalMs, log });
}

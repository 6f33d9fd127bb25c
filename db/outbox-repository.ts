// The outbox table (migration 010): one row per message a step asked to send, keyed by
// (tenant_id, step_id). Tenant-scoped like every repository: another tenant's message id reads
// as "not found". The send logic (consent, windows, providers) is server/outbox/outbox-service.ts;
// this file only stores. It also applies providers' delivery callbacks (DeliveryStatusSink).
import { v7 as uuidv7 } from 'uuid';
import type { Database } from './database.js';
import { parseJsonColumn, type Query, type Row } from './sql-executor.js';
import type { DeliveryStatusSink, DeliveryUpdate } from '../engine/outbox/send-contract.js';
import { AnalyticsRepository } from './analytics-repository.js';

export const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'delivered', 'read', 'failed', 'blocked', 'uncertain', 'deferred'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** Statuses that mean the provider took the message. */
export const SENT_STATUSES: readonly OutboxStatus[] = ['sent', 'delivered', 'read'];
/** Statuses a daily cap counts (reserved for sending today, or gone): not failed, blocked or deferred. */
export const COUNTED_STATUSES: readonly OutboxStatus[] = ['pending', 'sending', 'sent', 'delivered', 'read', 'uncertain'];

export interface OutboxTemplate {
  name: string;
  language?: string;
  variables?: Record<string, string>;
}

export interface OutboxError {
  code: string;
  message: string;
  /** The reason in Arabic, where the outbox explains a refusal to a person (e.g. a closed WhatsApp window). */
  messageAr?: string;
  retryable?: boolean;
}

export interface OutboxResolution {
  outcome: 'sent' | 'not_sent';
  note: string;
  by: string;
  at: number;
}

export interface OutboxMessage {
  id: string;
  executionId: string | null;
  flowId: string | null;
  nodeId: string | null;
  stepId: string;
  contactId: string;
  channel: string;
  purpose: string;
  to: string | null;
  provider: string | null;
  credentialName: string | null;
  template: OutboxTemplate | null;
  text: string | null;
  subject: string | null;
  html: string | null;
  status: OutboxStatus;
  blockedReason: string | null;
  providerMessageId: string | null;
  error: OutboxError | null;
  resolution: OutboxResolution | null;
  attempts: number;
  deferredUntil: number | null;
  reservedAt: number | null;
  createdAt: number;
  updatedAt: number;
  sentAt: number | null;
  deliveredAt: number | null;
  readAt: number | null;
  redactedAt: number | null;
  /** The sender (`<channel>:<credential>` or `<channel>:sandbox`) the message was paced on, when the policy paces it. */
  senderKey: string | null;
  /** The slot reserved for it by the sender's pacing (a re-run never reserves a second one). */
  senderSlotAt: number | null;
  /** The pricing category the cost estimate used (WhatsApp Cloud API: marketing, utility, authentication, service). */
  costCategory: string | null;
  /** The estimated cost in halalas (integer), null when unknown. */
  costHalalas: number | null;
  /** Ids of the stored documents the message carries (migration 025), null when none. */
  attachments: string[] | null;
}

/** What a new or re-decided row holds (the rest is derived). */
export type OutboxWrite = Pick<
  OutboxMessage,
  'executionId' | 'flowId' | 'nodeId' | 'stepId' | 'contactId' | 'channel' | 'purpose' | 'to' | 'provider' | 'credentialName' | 'template' | 'text' | 'subject' | 'html' | 'status'
> &
  Partial<Pick<OutboxMessage, 'blockedReason' | 'error' | 'deferredUntil' | 'reservedAt' | 'attachments'>> & {
    /** A step of a published flow version: counted in the step analytics (not a column here). */
    analytics?: { flowVersion: number; variant: string } | undefined;
  };

export interface OutboxFilter {
  contactId?: string;
  status?: OutboxStatus;
  channel?: string;
  executionId?: string;
  /** Only messages to contacts this user owns (a sales rep's view). */
  ownerId?: string;
  limit: number;
  /** The id of the previous page's last message (lists are newest first). */
  before?: string;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const jsonText = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

export function outboxMessageOf(r: Row): OutboxMessage {
  return {
    id: String(r.id),
    executionId: str(r.execution_id),
    flowId: str(r.flow_id),
    nodeId: str(r.node_id),
    stepId: String(r.step_id),
    contactId: String(r.contact_id),
    channel: String(r.channel),
    purpose: String(r.purpose),
    to: str(r.to_address),
    provider: str(r.provider),
    credentialName: str(r.credential_name),
    template: parseJsonColumn(r.template) as OutboxTemplate | null,
    text: str(r.text),
    subject: str(r.subject),
    html: str(r.html),
    status: String(r.status) as OutboxStatus,
    blockedReason: str(r.blocked_reason),
    providerMessageId: str(r.provider_message_id),
    error: parseJsonColumn(r.error) as OutboxError | null,
    resolution: parseJsonColumn(r.resolution) as OutboxResolution | null,
    attempts: Number(r.attempts ?? 0),
    deferredUntil: num(r.deferred_until),
    reservedAt: num(r.reserved_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    sentAt: num(r.sent_at),
    deliveredAt: num(r.delivered_at),
    readAt: num(r.read_at),
    redactedAt: num(r.redacted_at),
    senderKey: str(r.sender_key),
    senderSlotAt: num(r.sender_slot_at),
    costCategory: str(r.cost_category),
    costHalalas: num(r.cost_halalas),
    attachments: parseJsonColumn(r.attachments ?? null) as string[] | null,
  };
}

/** What replaces a redacted template's variables and a redacted text (erasure). */
export const REDACTED = 'contact_erased';

/** Delivery progress: a callback never moves a message back (read stays read). */
const PROGRESS: Partial<Record<OutboxStatus, number>> = { sending: 0, uncertain: 0, sent: 1, delivered: 2, read: 3 };

export class OutboxRepository implements DeliveryStatusSink {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  private get forUpdate(): string {
    return this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
  }

  async get(id: string, query?: Query): Promise<OutboxMessage | null> {
    const rows = await (query ?? this.db.sql.query)('SELECT * FROM outbound_messages WHERE tenant_id = $1 AND id = $2', [this.tenantId, id]);
    return rows[0] ? outboxMessageOf(rows[0]) : null;
  }

  /** The row of a step (the outbox key), locked until the transaction ends on PostgreSQL when `lock`. */
  async byStep(stepId: string, query?: Query, lock = false): Promise<OutboxMessage | null> {
    const rows = await (query ?? this.db.sql.query)(`SELECT * FROM outbound_messages WHERE tenant_id = $1 AND step_id = $2${lock ? this.forUpdate : ''}`, [this.tenantId, stepId]);
    return rows[0] ? outboxMessageOf(rows[0]) : null;
  }

  /** Newest first, keyset-paginated on the (time-ordered) id. */
  async list(filter: OutboxFilter): Promise<OutboxMessage[]> {
    const where = ['tenant_id = $1'];
    const args: unknown[] = [this.tenantId];
    const add = (column: string, value: unknown, op = '='): void => {
      args.push(value);
      where.push(`${column} ${op} $${args.length}`);
    };
    if (filter.contactId !== undefined) add('contact_id', filter.contactId);
    if (filter.status !== undefined) add('status', filter.status);
    if (filter.channel !== undefined) add('channel', filter.channel);
    if (filter.executionId !== undefined) add('execution_id', filter.executionId);
    if (filter.before !== undefined) add('id', filter.before, '<');
    if (filter.ownerId !== undefined) {
      args.push(filter.ownerId);
      where.push(`contact_id IN (SELECT id FROM contacts WHERE tenant_id = $1 AND owner_id = $${args.length})`);
    }
    args.push(filter.limit);
    const rows = await this.db.sql.query(`SELECT * FROM outbound_messages WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${args.length}`, args);
    return rows.map(outboxMessageOf);
  }

  /** A contact's messages, newest first by when they were sent (else created), keyset-paginated on (that time, id). */
  async forContact(contactId: string, options: { limit: number; before?: { at: number; id: string } }): Promise<OutboxMessage[]> {
    const at = 'COALESCE(sent_at, created_at)';
    const args: unknown[] = [this.tenantId, contactId];
    let where = 'tenant_id = $1 AND contact_id = $2';
    if (options.before) {
      args.push(options.before.at, options.before.id);
      where += ` AND (${at} < $3 OR (${at} = $3 AND id < $4))`;
    }
    args.push(options.limit);
    const rows = await this.db.sql.query(`SELECT * FROM outbound_messages WHERE ${where} ORDER BY ${at} DESC, id DESC LIMIT $${args.length}`, args);
    return rows.map(outboxMessageOf);
  }

  /**
   * Write a step's row: insert it, or (the step ran again) replace its decision in place,
   * keeping its id, creation time and attempt count. Call inside the transaction that decided.
   */
  async save(w: OutboxWrite, query: Query, now: number, existing: OutboxMessage | null): Promise<OutboxMessage> {
    const values = [
      w.to,
      w.provider,
      w.credentialName,
      jsonText(w.template),
      w.text,
      w.subject,
      w.html,
      w.status,
      w.blockedReason ?? null,
      jsonText(w.error),
      w.deferredUntil ?? null,
      w.reservedAt ?? null,
      now,
      w.attachments?.length ? JSON.stringify(w.attachments) : null,
    ];
    if (existing) {
      await query(
        `UPDATE outbound_messages SET to_address = $3, provider = $4, credential_name = $5, template = $6, text = $7, subject = $8, html = $9, status = $10,
           blocked_reason = $11, error = $12, deferred_until = $13, reserved_at = $14, updated_at = $15, attachments = $16
         WHERE tenant_id = $1 AND id = $2`,
        [this.tenantId, existing.id, ...values],
      );
      return this.tracked(w, (await this.get(existing.id, query))!, query, now, false);
    }
    const id = uuidv7();
    await query(
      `INSERT INTO outbound_messages (id, tenant_id, execution_id, flow_id, node_id, step_id, contact_id, channel, purpose,
         to_address, provider, credential_name, template, text, subject, html, status, blocked_reason, error, deferred_until, reserved_at, created_at, attachments, updated_at, attempts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $22, 0)`,
      [id, this.tenantId, w.executionId, w.flowId, w.nodeId, w.stepId, w.contactId, w.channel, w.purpose, ...values],
    );
    return this.tracked(w, (await this.get(id, query))!, query, now, true);
  }

  private get analytics(): AnalyticsRepository {
    return new AnalyticsRepository(this.db, this.tenantId);
  }

  /** Count a decision in the step analytics (same transaction) when the write is a flow step's. */
  private async tracked(w: OutboxWrite, row: OutboxMessage, query: Query, now: number, isNew: boolean): Promise<OutboxMessage> {
    if (w.analytics && row.flowId && row.nodeId) {
      await this.analytics.decided(
        query,
        { messageId: row.id, flowId: row.flowId, flowVersion: w.analytics.flowVersion, nodeId: row.nodeId, variant: w.analytics.variant, channel: row.channel, contactId: row.contactId, executionId: row.executionId },
        { status: row.status, reason: row.status === 'blocked' ? row.blockedReason : (row.error?.code ?? null) },
        now,
        isNew,
      );
    }
    return row;
  }

  /**
   * pending → sending, counting the attempt: committed right before the provider is called.
   * False when the row is no longer pending (another process got there first): then the
   * provider must not be called.
   */
  /** Record a message's cost estimate (inside the decide transaction). */
  async setCost(id: string, category: string, halalas: number, query: Query): Promise<void> {
    await query('UPDATE outbound_messages SET cost_category = $3, cost_halalas = $4 WHERE tenant_id = $1 AND id = $2', [this.tenantId, id, category, halalas]);
  }

  /** Record the sender slot reserved for a message (inside the decide transaction). */
  async setSenderSlot(id: string, senderKey: string, slotAt: number, query: Query): Promise<void> {
    await query('UPDATE outbound_messages SET sender_key = $3, sender_slot_at = $4 WHERE tenant_id = $1 AND id = $2', [this.tenantId, id, senderKey, slotAt]);
  }

  async markSending(id: string, now: number, provider: { name: string; credentialName: string | null }): Promise<boolean> {
    const rows = await this.transaction((q) =>
      q(
        `UPDATE outbound_messages SET status = 'sending', attempts = attempts + 1, provider = $3, credential_name = $4, error = NULL, updated_at = $5
         WHERE tenant_id = $1 AND id = $2 AND status = 'pending' RETURNING id`,
        [this.tenantId, id, provider.name, provider.credentialName, now],
      ),
    );
    return rows.length === 1;
  }

  /**
   * The provider took the message. Also from `uncertain` (the step gave up waiting, e.g. a
   * timeout, and the answer came later): the provider's word settles it, unless a person
   * already resolved the message.
   */
  async markSent(id: string, now: number, providerMessageId: string | null): Promise<void> {
    await this.transaction(async (q) => {
      const rows = await q(
        `UPDATE outbound_messages SET status = 'sent', provider_message_id = $3, sent_at = $4, updated_at = $4
         WHERE tenant_id = $1 AND id = $2 AND (status = 'sending' OR (status = 'uncertain' AND resolution IS NULL)) RETURNING id, provider, cost_halalas`,
        [this.tenantId, id, providerMessageId, now],
      );
      if (rows.length === 1) {
        const r = rows[0]!;
        await this.analytics.sent(q, id, now, { provider: r.provider === null || r.provider === undefined ? null : String(r.provider), costHalalas: num(r.cost_halalas) });
      }
    });
  }

  /** The provider certainly did not take it (a definite refusal). */
  async markFailed(id: string, now: number, error: OutboxError): Promise<void> {
    await this.transaction(async (q) => {
      const rows = await q(`UPDATE outbound_messages SET status = 'failed', error = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND status = 'sending' RETURNING id`, [
        this.tenantId,
        id,
        JSON.stringify(error),
        now,
      ]);
      if (rows.length === 1) await this.analytics.failed(q, id, now, error.code);
    });
  }

  /** The provider may or may not have taken it: a person decides (POST /outbox/:id/resolve). */
  async markUncertain(id: string, now: number, error: OutboxError, query?: Query): Promise<boolean> {
    const run = (q: Query) =>
      q(`UPDATE outbound_messages SET status = 'uncertain', error = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND status = 'sending' RETURNING id`, [
        this.tenantId,
        id,
        JSON.stringify(error),
        now,
      ]);
    const rows = query ? await run(query) : await this.transaction(run);
    return rows.length === 1;
  }

  /**
   * A person's answer for an uncertain message: `sent` (it reached the contact) or `not_sent`
   * (it did not: status failed, code not_sent). Null when the tenant has no such message;
   * throws OutboxResolveRefused when it is not uncertain.
   */
  async resolve(id: string, resolution: OutboxResolution, query: Query): Promise<{ before: OutboxMessage; after: OutboxMessage } | null> {
    const before = await this.get(id, query);
    if (!before) return null;
    if (before.status !== 'uncertain') throw new OutboxResolveRefused(before.status);
    const sent = resolution.outcome === 'sent';
    const rows = await query(
      `UPDATE outbound_messages SET status = $3, resolution = $4, error = $5, sent_at = $6, updated_at = $7
       WHERE tenant_id = $1 AND id = $2 AND status = 'uncertain' RETURNING id`,
      [
        this.tenantId,
        id,
        sent ? 'sent' : 'failed',
        JSON.stringify(resolution),
        sent ? JSON.stringify(before.error) : JSON.stringify({ code: 'not_sent', message: 'resolved as not sent', retryable: false }),
        sent ? resolution.at : null,
        resolution.at,
      ],
    );
    if (rows.length !== 1) throw new OutboxResolveRefused(before.status);
    if (sent) await this.analytics.sent(query, id, resolution.at);
    else await this.analytics.failed(query, id, resolution.at, 'not_sent');
    return { before, after: (await this.get(id, query))! };
  }

  /**
   * Messages reserved or gone today (the local day [from, to)) for the daily caps: the
   * contact's and the tenant's on `channel`, leaving out the step's own row.
   */
  async countDay(contactId: string, channel: string, from: number, to: number, exceptStep: string, query?: Query): Promise<{ contact: number; tenant: number }> {
    const q = query ?? this.db.sql.query;
    const statuses = COUNTED_STATUSES.map((s) => `'${s}'`).join(', ');
    const base = `tenant_id = $1 AND channel = $2 AND reserved_at >= $3 AND reserved_at < $4 AND step_id <> $5 AND status IN (${statuses})`;
    const [c] = await q(`SELECT COUNT(*) AS n FROM outbound_messages WHERE ${base} AND contact_id = $6`, [this.tenantId, channel, from, to, exceptStep, contactId]);
    const [t] = await q(`SELECT COUNT(*) AS n FROM outbound_messages WHERE ${base}`, [this.tenantId, channel, from, to, exceptStep]);
    return { contact: Number(c?.n ?? 0), tenant: Number(t?.n ?? 0) };
  }

  /**
   * Erasure: clear the address and the content (text, subject, HTML, template variables) of
   * every message to the contact, keeping what proves what happened (channel, purpose, status,
   * provider ids, times). Idempotent. Returns how many rows were redacted now.
   */
  async redactContact(contactId: string, query?: Query, now = Date.now()): Promise<number> {
    const run = async (q: Query): Promise<number> => {
      const rows = await q('SELECT id, template FROM outbound_messages WHERE tenant_id = $1 AND contact_id = $2 AND redacted_at IS NULL', [this.tenantId, contactId]);
      for (const r of rows) {
        const template = parseJsonColumn(r.template) as OutboxTemplate | null;
        const kept = template ? JSON.stringify({ name: template.name, ...(template.language ? { language: template.language } : {}), redacted: REDACTED }) : null;
        await q('UPDATE outbound_messages SET to_address = NULL, text = NULL, subject = NULL, html = NULL, template = $3, redacted_at = $4, updated_at = $4 WHERE tenant_id = $1 AND id = $2', [
          this.tenantId,
          r.id,
          kept,
          now,
        ]);
      }
      return rows.length;
    };
    return query ? run(query) : this.transaction(run);
  }

  /**
   * A provider's delivery news (DeliveryStatusSink): moves the message named by the provider's
   * id forward (sent → delivered → read; failed only before delivery). False when this tenant
   * has no message with that provider id. Idempotent: the same callback twice changes nothing more.
   */
  async applyDelivery(update: DeliveryUpdate): Promise<boolean> {
    if (update.tenantId !== this.tenantId) return false;
    return this.transaction(async (q) => {
      const rows = await q(`SELECT * FROM outbound_messages WHERE tenant_id = $1 AND provider = $2 AND provider_message_id = $3${this.forUpdate}`, [
        this.tenantId,
        update.provider,
        update.providerMessageId,
      ]);
      const row = rows[0] ? outboxMessageOf(rows[0]) : null;
      if (!row) return false;
      const at = update.at;
      const current = PROGRESS[row.status];
      if (update.status === 'failed') {
        if (row.status === 'sent' || row.status === 'sending' || row.status === 'uncertain') {
          const error = JSON.stringify(update.error ?? { code: 'delivery_failed', message: 'the provider reported the message failed' });
          await q(`UPDATE outbound_messages SET status = 'failed', error = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2`, [this.tenantId, row.id, error, at]);
          await this.analytics.failed(q, row.id, at, update.error?.code ?? 'delivery_failed');
        }
        return true;
      }
      const next = PROGRESS[update.status]!;
      if (current === undefined || next <= current) return true;
      const sets = ['status = $3', 'updated_at = $4'];
      if (row.sentAt === null) sets.push('sent_at = $4');
      if (update.status !== 'sent' && row.deliveredAt === null) sets.push('delivered_at = $4');
      if (update.status === 'read') sets.push('read_at = $4');
      await q(`UPDATE outbound_messages SET ${sets.join(', ')} WHERE tenant_id = $1 AND id = $2`, [this.tenantId, row.id, update.status, at]);
      await this.analytics.delivery(q, row.id, update.status, at);
      return true;
    });
  }

  private transaction<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    return this.db.sql.transaction(fn);
  }
}

/** The sink the provider callback routes use: dispatches each update to its tenant's outbox. */
export function outboxDeliverySink(db: Database): DeliveryStatusSink {
  return { applyDelivery: (update) => new OutboxRepository(db, update.tenantId).applyDelivery(update) };
}

export class OutboxResolveRefused extends Error {
  override readonly name = 'OutboxResolveRefused';
  constructor(readonly status: OutboxStatus) {
    super(`only an uncertain message can be resolved; this one is ${status}`);
    Object.setPrototypeOf(this, OutboxResolveRefused.prototype);
  }
}

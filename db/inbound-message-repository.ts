// Inbound messages of one tenant (migration 011), and the log of provider callback events
// already processed. Tenant-scoped like every repository. The handling (contact lookup,
// opt-out, events) is server/channels/inbound.ts; this file only stores.
import { v7 as uuidv7 } from 'uuid';
import type { Database } from './database.js';
import type { Query, Row } from './sql-executor.js';

export interface InboundMessage {
  id: string;
  contactId: string | null;
  channel: string;
  from: string | null;
  to: string | null;
  body: string | null;
  provider: string;
  providerMessageId: string;
  /** The normalised opt-out word, when the message was an opt-out. */
  optOut: string | null;
  receivedAt: number;
  createdAt: number;
  processedAt: number | null;
  redactedAt: number | null;
  /** Reply intelligence: the class, the out-of-office return (epoch ms) and who classified it. */
  replyClass: string | null;
  replyReturnAt: number | null;
  replyClassifier: string | null;
}

export interface NewInboundMessage {
  contactId: string | null;
  channel: string;
  from: string;
  to: string | null;
  body: string;
  provider: string;
  providerMessageId: string;
  optOut: string | null;
  receivedAt: number;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function inboundMessageOf(r: Row): InboundMessage {
  return {
    id: String(r.id),
    contactId: str(r.contact_id),
    channel: String(r.channel),
    from: str(r.from_address),
    to: str(r.to_address),
    body: str(r.body),
    provider: String(r.provider),
    providerMessageId: String(r.provider_message_id),
    optOut: str(r.opt_out),
    receivedAt: Number(r.received_at),
    createdAt: Number(r.created_at),
    processedAt: num(r.processed_at),
    redactedAt: num(r.redacted_at),
    replyClass: str(r.reply_class),
    replyReturnAt: num(r.reply_return_at),
    replyClassifier: str(r.reply_classifier),
  };
}

/** Longest body stored (a WhatsApp message is at most 65,536 characters; SMS far less). */
export const MAX_INBOUND_BODY = 65_536;

export class InboundMessageRepository {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  async byProviderId(provider: string, providerMessageId: string, query?: Query): Promise<InboundMessage | null> {
    const rows = await (query ?? this.db.sql.query)('SELECT * FROM inbound_messages WHERE tenant_id = $1 AND provider = $2 AND provider_message_id = $3', [this.tenantId, provider, providerMessageId]);
    return rows[0] ? inboundMessageOf(rows[0]) : null;
  }

  /**
   * Store a message unless this tenant already has the provider's message id. `created` says
   * whether this call stored it (false: a redelivery; `message` is the stored one).
   */
  async record(m: NewInboundMessage, query: Query, now = Date.now()): Promise<{ message: InboundMessage; created: boolean }> {
    const id = uuidv7();
    const inserted = await query(
      `INSERT INTO inbound_messages (id, tenant_id, contact_id, channel, from_address, to_address, body, provider, provider_message_id, opt_out, received_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (tenant_id, provider, provider_message_id) DO NOTHING RETURNING id`,
      [id, this.tenantId, m.contactId, m.channel, m.from, m.to, m.body.slice(0, MAX_INBOUND_BODY), m.provider, m.providerMessageId, m.optOut, m.receivedAt, now],
    );
    const message = await this.byProviderId(m.provider, m.providerMessageId, query);
    return { message: message!, created: inserted.length > 0 };
  }

  /** The side effects of the message ran (events delivered, enrollments ended). */
  async get(id: string): Promise<InboundMessage | null> {
    const rows = await this.db.sql.query('SELECT * FROM inbound_messages WHERE tenant_id = $1 AND id = $2', [this.tenantId, id]);
    return rows[0] ? inboundMessageOf(rows[0]) : null;
  }

  /** Store the reply's class (reply intelligence) with the message, for routing and analytics. */
  async setReplyClass(id: string, replyClass: string, returnAt: number | null, classifier: string): Promise<void> {
    // A write: through the writer's transaction (query() is the read connection on SQLite).
    await this.db.sql.transaction(async (q) => {
      await q('UPDATE inbound_messages SET reply_class = $3, reply_return_at = $4, reply_classifier = $5 WHERE tenant_id = $1 AND id = $2', [
        this.tenantId,
        id,
        replyClass.slice(0, 32),
        returnAt,
        classifier.slice(0, 32),
      ]);
    });
  }

  async markProcessed(id: string, at = Date.now()): Promise<void> {
    await this.db.sql.transaction(async (q) => {
      await q('UPDATE inbound_messages SET processed_at = $3 WHERE tenant_id = $1 AND id = $2 AND processed_at IS NULL', [this.tenantId, id, at]);
    });
  }

  /** A contact's messages, newest first; `before` is the (receivedAt, id) of the previous page's last one. */
  async forContact(contactId: string, options: { limit: number; before?: { at: number; id: string } }): Promise<InboundMessage[]> {
    const args: unknown[] = [this.tenantId, contactId];
    let where = 'tenant_id = $1 AND contact_id = $2';
    if (options.before) {
      args.push(options.before.at, options.before.id);
      where += ' AND (received_at < $3 OR (received_at = $3 AND id < $4))';
    }
    args.push(options.limit);
    const rows = await this.db.sql.query(`SELECT * FROM inbound_messages WHERE ${where} ORDER BY received_at DESC, id DESC LIMIT $${args.length}`, args);
    return rows.map(inboundMessageOf);
  }

  /** Erasure: clear the sender and the text of a contact's messages (the rows stay, anonymous). Returns how many. */
  async redactContact(contactId: string, query?: Query, now = Date.now()): Promise<number> {
    const run = async (q: Query): Promise<number> =>
      (await q('UPDATE inbound_messages SET from_address = NULL, body = NULL, redacted_at = $3 WHERE tenant_id = $1 AND contact_id = $2 AND redacted_at IS NULL RETURNING id', [this.tenantId, contactId, now])).length;
    if (query) return run(query);
    let n = 0;
    await this.db.sql.transaction(async (q) => {
      n = await run(q);
    });
    return n;
  }
}

/** How long a processed callback event is remembered (providers retry within minutes). */
export const PROVIDER_EVENT_RETENTION_MS = 7 * 86_400_000;

/** The provider callback events already processed (deduplication of repeated webhooks). */
export class ProviderEventLog {
  constructor(private readonly db: Database) {}

  /** Claim an event: true the first time (process it), false when it was seen before. */
  async claim(tenantId: string, provider: string, key: string, at = Date.now()): Promise<boolean> {
    let claimed = false;
    await this.db.sql.transaction(async (q) => {
      const rows = await q('INSERT INTO provider_events (tenant_id, provider, event_key, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, provider, event_key) DO NOTHING RETURNING event_key', [
        tenantId,
        provider,
        key.slice(0, 300),
        at,
      ]);
      claimed = rows.length > 0;
    });
    return claimed;
  }

  /** Forget a claim whose processing failed, so the provider's retry is processed. */
  async release(tenantId: string, provider: string, key: string): Promise<void> {
    await this.db.sql.transaction(async (q) => {
      await q('DELETE FROM provider_events WHERE tenant_id = $1 AND provider = $2 AND event_key = $3', [tenantId, provider, key.slice(0, 300)]);
    });
  }

  /** Drop events received before `before`; returns how many. */
  async prune(before: number): Promise<number> {
    let n = 0;
    await this.db.sql.transaction(async (q) => {
      n = (await q('DELETE FROM provider_events WHERE received_at < $1 RETURNING event_key', [before])).length;
    });
    return n;
  }
}

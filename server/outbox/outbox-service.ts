// The outbox: the only way a flow sends a message (engine Outbox, behind ctx.send()). Consent
// is checked at send time, the tenant's send windows and daily caps apply, the message is
// recorded before the provider is called, and a step that runs again never sends twice.
// The semantics are in server/outbox/README.md; in short:
//
//   decide (one transaction) → pending (committed) → rate limit → sending (committed)
//   → provider.send → sent / failed / uncertain
//
// A crash after `pending` re-runs the step, which finds the row pending and sends (the provider
// was never called). A crash after `sending` leaves a row that may or may not have reached the
// provider: the re-run marks it `uncertain` and fails the step with send_uncertain; a person
// resolves it (POST /api/v1/outbox/:id/resolve). It is never sent again.
import type { Logger } from 'pino';
import {
  NodeFailure,
  NoSendOpeningError,
  isValidTimeZone,
  localDayStart,
  nextSendOpening,
  planSenderSlot,
  senderLimitsOf,
  type SendPolicy,
  type SenderLimits,
  nextLocalDayStart,
  planSend,
  type Outbox,
  type SendHooks,
  type SendOrigin,
  type SendRequest,
  type SendResult,
  type EgressPolicy,
} from '../../engine/index.js';
import type { Database } from '../../db/database.js';
import type { Query } from '../../db/sql-executor.js';
import { ConsentRepository, ContactRepository, type Contact } from '../../db/contacts/index.js';
import { OutboxRepository, SENT_STATUSES, type OutboxError, type OutboxMessage, type OutboxWrite } from '../../db/outbox-repository.js';
import { SendPolicyRepository } from '../../db/send-policy-repository.js';
import type { CredentialRepository } from '../../db/credential-repository.js';
import { CHANNELS as CONSENT_CHANNELS, PURPOSES, type Channel, type Purpose } from '../../engine/consent/consent-rule.js';
import { normaliseEmail, normalisePhone } from '../consent/contact-fields.js';
import { ProviderError, type ChannelProvider, type OutboundAttachment, type OutboundMessage } from '../channels/provider.js';
import { DocumentRepository } from '../../db/document-repository.js';
import type { ProviderEntry, ProviderRegistry } from './provider-registry.js';
import { providerCallbackUrl } from '../channels/callbacks.js';
import { TenantRepository } from '../../db/tenant-repository.js';
import { SenderUsageRepository } from '../../db/sender-usage-repository.js';
import { AnalyticsRepository } from '../../db/analytics-repository.js';
import { VariantPicker, applyVariant } from '../analytics/variants.js';
import { WhatsAppTemplateRepository } from '../../db/whatsapp-repository.js';
import { estimateWhatsAppCost, type CostEstimate } from '../channels/whatsapp-pricing.js';

type SendChannel = SendRequest['channel'];
const SEND_CHANNELS: readonly SendChannel[] = ['whatsapp', 'sms', 'email'];

/** WhatsApp's customer-service window: free text only within 24 hours of the contact's last message. */
export const WHATSAPP_SESSION_MS = 24 * 60 * 60 * 1000;

/** Whether the contact wrote within the last 24 hours (a clock far ahead does not count). */
export function whatsappWindowOpen(lastInboundAt: number | null, at: number): boolean {
  return lastInboundAt !== null && at - lastInboundAt < WHATSAPP_SESSION_MS && lastInboundAt <= at + 60_000;
}

/** The reason a free-text WhatsApp send outside the window is blocked (both languages). */
export const WINDOW_CLOSED = {
  code: 'whatsapp_window_closed',
  message: 'WhatsApp free text is allowed only within 24 hours of the contact’s last message; the node names no fallback template, so nothing was sent',
  messageAr: 'لا يُسمح بالنص الحر في واتساب إلا خلال 24 ساعة من آخر رسالة من جهة الاتصال؛ ولم تحدّد الخطوة قالبًا بديلًا، فلم يُرسَل شيء',
} as const;

/** Who a blocked send's consent event names as the actor. */
export const OUTBOX_ACTOR = 'system:outbox';

/**
 * Test hook: `TADFUQ_TEST_CRASH_AT=after_pending|after_provider_call` makes the process kill
 * itself (SIGKILL) at that point of the first send, so the crash tests can prove at-most-once
 * sending across a real crash. Read here only; never set it outside tests.
 */
export type CrashPoint = 'after_pending' | 'after_provider_call';
const CRASH_ENV = 'TADFUQ_TEST_CRASH_AT';

/** A send outside its window or over a daily cap: the step runs again at `until` (no retry spent). */
export class SendDeferred extends NodeFailure {
  override readonly name = 'SendDeferred';
  constructor(
    readonly until: Date,
    readonly reason: string,
    now: Date,
  ) {
    super('send_deferred', `send deferred until ${until.toISOString()} (${reason})`, { retryable: true, retryAfterMs: Math.max(0, until.getTime() - now.getTime()) });
    Object.setPrototypeOf(this, SendDeferred.prototype);
  }
}

export interface OutboxServiceOptions {
  db: Database;
  providers: ProviderRegistry;
  credentials(tenantId: string): CredentialRepository;
  now?: () => Date;
  log?: Pick<Logger, 'warn' | 'info' | 'error'>;
  /** TADFUQ_PUBLIC_URL: Twilio sends get a per-message statusCallback to /hooks/providers/twilio/<slug>/status. */
  publicUrl?: string | undefined;
  /** Defaults to process.env.TADFUQ_TEST_CRASH_AT (tests only). */
  crashAt?: CrashPoint | null;
  /** The jitter's random source (tests pass a fixed one). */
  random?: () => number;
  /**
   * The tenant's egress policy for provider connections (base URLs, SMTP hosts). Default: the
   * tenant's `allowPrivateNetwork` setting, read fresh from the database for every real send.
   */
  egress?: (tenantId: string) => Promise<EgressPolicy>;
}

interface ResolvedProvider {
  entry: ProviderEntry;
  credentialName: string | null;
  data: Record<string, string>;
}

type Decision =
  | { kind: 'done'; result: SendResult }
  | { kind: 'defer'; until: Date; reason: string }
  | { kind: 'send'; row: OutboxMessage; provider: ResolvedProvider };

const isSendChannel = (c: unknown): c is SendChannel => typeof c === 'string' && (SEND_CHANNELS as readonly string[]).includes(c);
const isPurpose = (p: unknown): p is Purpose => typeof p === 'string' && (PURPOSES as readonly string[]).includes(p);

function stringData(data: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) {
    if (v === undefined || v === null) continue;
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/** At most this many documents per message, and this many bytes together. */
export const MAX_ATTACHMENTS = 10;
export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;

/** A rotation key (SendRequest.key): a second outbox key within the step. */
const SEND_KEY = /^[a-z0-9_-]{1,32}$/;

/** The contact's own time zone (`attributes.timezone`, IANA), when known and valid. */
export function contactTimeZone(contact: Pick<Contact, 'attributes'>): string | null {
  const tz = contact.attributes?.timezone ?? contact.attributes?.timeZone;
  return typeof tz === 'string' && tz.length <= 64 && isValidTimeZone(tz) ? tz : null;
}

/** Whether the limits pace anything (the defaults do not: no state is kept then). */
const paces = (l: SenderLimits): boolean => l.dailyCap !== null || l.rampUp !== null || l.minGapSeconds > 0 || l.spread || l.jitterSeconds > 0;

/** The result a stored row stands for (a step that runs again answers from its row). A keyed (rotation) row that failed is final. */
function resultOf(row: OutboxMessage, keyed = false): SendResult | null {
  if ((SENT_STATUSES as readonly string[]).includes(row.status)) {
    return {
      status: 'sent',
      messageId: row.id,
      provider: row.provider ?? 'unknown',
      providerMessageId: row.providerMessageId,
      to: row.to ?? '',
      delivery: row.status as 'sent' | 'delivered' | 'read',
      sentAt: row.sentAt,
      deliveredAt: row.deliveredAt ?? (row.status === 'read' ? row.readAt : null),
    };
  }
  if (row.status === 'blocked') return { status: 'blocked', messageId: row.id, reason: row.blockedReason ?? 'blocked' };
  if (row.status === 'uncertain') return uncertain(row.id);
  if (row.status === 'failed' && (keyed || !row.error?.retryable)) {
    return { status: 'failed', messageId: row.id, code: row.error?.code ?? 'send_failed', message: row.error?.message ?? 'the send failed' };
  }
  return null;
}

const uncertain = (messageId: string): SendResult => ({
  status: 'failed',
  messageId,
  code: 'send_uncertain',
  message: 'the provider may or may not have taken this message (the process stopped or the answer was lost); it will not be sent again — resolve it in the outbox',
});

export class OutboxService implements Outbox {
  readonly providers: ProviderRegistry;
  private readonly db: Database;
  private readonly now: () => Date;
  private readonly log: OutboxServiceOptions['log'];
  private readonly credentials: (tenantId: string) => CredentialRepository;
  private readonly crashAt: CrashPoint | null;
  private readonly publicUrl: string | undefined;
  private readonly slugs = new Map<string, string>();
  private readonly egress: (tenantId: string) => Promise<EgressPolicy>;
  private readonly random: () => number;
  private readonly variants: VariantPicker;

  constructor(options: OutboxServiceOptions) {
    this.db = options.db;
    this.variants = new VariantPicker(options.db, () => this.now().getTime());
    this.providers = options.providers;
    this.credentials = options.credentials;
    this.now = options.now ?? (() => new Date());
    this.log = options.log;
    this.publicUrl = options.publicUrl;
    this.random = options.random ?? Math.random;
    this.egress =
      options.egress ??
      (async (tenantId) => ({ allowPrivateNetwork: (await new TenantRepository(this.db).byId(tenantId))?.settings.allowPrivateNetwork === true }));
    const env = process.env[CRASH_ENV];
    this.crashAt = options.crashAt !== undefined ? options.crashAt : env === 'after_pending' || env === 'after_provider_call' ? env : null;
  }

  repository(tenantId: string): OutboxRepository {
    return new OutboxRepository(this.db, tenantId);
  }

  /** Consent for (contact, channel, purpose) now: an unknown contact is `no_contact`, an erased one `erased`. */
  async consent(tenantId: string, contactId: string, channel: Channel, purpose: string): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (!(CONSENT_CHANNELS as readonly string[]).includes(channel)) return { ok: false, reason: 'wrong_channel' };
    if (!isPurpose(purpose)) return { ok: false, reason: 'wrong_purpose' };
    const contact = await new ContactRepository(this.db, tenantId).byId(contactId);
    if (!contact) return { ok: false, reason: 'no_contact' };
    if (contact.erasedAt !== null) return { ok: false, reason: 'erased' };
    return new ConsentRepository(this.db, tenantId).check(contactId, channel, purpose, this.now().getTime());
  }

  async send(stepOrigin: SendOrigin, asked: SendRequest, signal: AbortSignal, hooks: SendHooks = {}): Promise<SendResult> {
    const keyed = asked.key !== undefined;
    if (keyed && (typeof asked.key !== 'string' || !SEND_KEY.test(asked.key))) {
      throw new NodeFailure('invalid_send_key', 'key must be 1–32 characters a–z, 0–9, _ or -', { retryable: false });
    }
    // One row per (step, key): the rotation's channels each have their own exactly-once key.
    const origin: SendOrigin = keyed ? { ...stepOrigin, stepId: `${stepOrigin.stepId}:${asked.key}` } : stepOrigin;
    const repo = this.repository(origin.tenantId);
    // A step that ran before answers from its row, without deciding anything again.
    const known = await repo.byStep(origin.stepId);
    if (known) {
      const settled = await this.settledResult(repo, known, keyed);
      if (settled) return settled;
    }
    // A/B variants: the step's earlier pick (a deferred step decided again), the winner, or the
    // contact's deterministic assignment; its content replaces the request's.
    const previous = known ? ((await new AnalyticsRepository(this.db, origin.tenantId).sendOf(known.id))?.variant ?? null) : null;
    const variant = await this.variants.pick(origin, asked, previous || null);
    const request = variant ? applyVariant(asked, variant) : asked;
    const track = origin.flowVersion !== undefined ? { flowVersion: origin.flowVersion, variant: variant?.id ?? '' } : undefined;
    const now = this.now();
    const provider = await this.resolveProvider(origin.tenantId, request).catch((err: unknown): OutboxError => {
      if (err instanceof NodeFailure) return { code: err.code, message: err.message };
      throw err;
    });
    const { policy, holidays } = await new SendPolicyRepository(this.db, origin.tenantId).load();
    let decision!: Decision;
    await this.db.sql.transaction(async (q) => {
      decision = await this.decide(q, repo, origin, request, now, provider, { policy, holidays }, keyed, track);
    });
    if (decision.kind === 'done') return decision.result;
    if (decision.kind === 'defer') throw new SendDeferred(decision.until, decision.reason, now);
    return this.deliver(repo, decision.row, decision.provider, signal, hooks);
  }

  /** What a row already decided, if anything: `sending` (a crashed attempt) becomes `uncertain`. */
  private async settledResult(repo: OutboxRepository, row: OutboxMessage, keyed = false): Promise<SendResult | null> {
    if (row.status === 'sending') {
      const error = { code: 'send_uncertain', message: 'the process stopped (or gave up) after calling the provider and before its answer was recorded' };
      if (await repo.markUncertain(row.id, this.now().getTime(), error)) {
        this.log?.warn({ messageId: row.id, stepId: row.stepId }, 'outbox: a send was interrupted after the provider call; marked uncertain (a person resolves it)');
      }
      const again = await repo.get(row.id);
      return again ? (resultOf(again, keyed) ?? uncertain(row.id)) : uncertain(row.id);
    }
    return resultOf(row, keyed);
  }

  private async decide(
    q: Query,
    repo: OutboxRepository,
    origin: SendOrigin,
    req: SendRequest,
    now: Date,
    provider: ResolvedProvider | OutboxError,
    send: Awaited<ReturnType<SendPolicyRepository['load']>>,
    keyed = false,
    track?: OutboxWrite['analytics'],
  ): Promise<Decision> {
    const at = now.getTime();
    // Re-read under the transaction (locked on PostgreSQL): another attempt may have moved it.
    const existing = await repo.byStep(origin.stepId, q, true);
    if (existing) {
      if (existing.status === 'sending') return { kind: 'done', result: uncertain(existing.id) };
      const settled = resultOf(existing, keyed);
      if (settled) return { kind: 'done', result: settled };
    }
    const base: OutboxWrite = {
      executionId: origin.executionId,
      flowId: origin.flowId,
      nodeId: origin.nodeId,
      stepId: origin.stepId,
      contactId: String(req.contactId ?? ''),
      channel: String(req.channel),
      purpose: String(req.purpose),
      to: null,
      provider: 'entry' in provider ? provider.entry.provider.name : null,
      credentialName: 'entry' in provider ? provider.credentialName : null,
      template: req.template ?? null,
      text: req.text ?? null,
      subject: req.subject ?? null,
      html: req.html ?? null,
      status: 'pending',
      analytics: track,
    };
    const fail = async (error: OutboxError, write: Partial<OutboxWrite> = {}): Promise<Decision> => {
      const row = await repo.save({ ...base, ...write, status: 'failed', error }, q, at, existing);
      return { kind: 'done', result: { status: 'failed', messageId: row.id, code: error.code, message: error.message } };
    };
    // The request itself (nodes validate their params; the contract is checked again here).
    if (!isSendChannel(req.channel)) return fail({ code: 'invalid_channel', message: `channel must be one of ${SEND_CHANNELS.join(', ')}` }, { channel: String(req.channel).slice(0, 16) });
    if (!isPurpose(req.purpose)) return fail({ code: 'invalid_purpose', message: `purpose must be one of ${PURPOSES.join(', ')}` }, { purpose: String(req.purpose).slice(0, 32) });
    if (typeof req.contactId !== 'string' || req.contactId === '' || req.contactId.length > 64) {
      return fail({ code: 'invalid_contact', message: 'contactId must be a contact id (1–64 characters)' }, { contactId: String(req.contactId ?? '').slice(0, 64) });
    }
    const channel = req.channel;
    const purpose = req.purpose;
    // Stored documents the message carries (ids); what they hold is checked with the message below.
    const attachments: unknown = req.attachments ?? [];
    if (!Array.isArray(attachments) || attachments.length > MAX_ATTACHMENTS || attachments.some((a) => typeof a !== 'string' || a === '' || a.length > 64)) {
      return fail({ code: 'invalid_attachments', message: `attachments is a list of at most ${MAX_ATTACHMENTS} document ids` });
    }
    const documentIds = [...new Set(attachments as string[])];
    if (documentIds.length > 0 && channel === 'sms') return fail({ code: 'attachments_unsupported', message: 'an SMS cannot carry a document; send a link in the text instead' });
    if (documentIds.length > 1 && channel === 'whatsapp') return fail({ code: 'invalid_attachments', message: 'a WhatsApp message carries one document' });
    if (documentIds.length > 0) base.attachments = documentIds;

    const block = async (reason: string, details: Record<string, unknown> = {}, write: Partial<OutboxWrite> = {}): Promise<Decision> => {
      const row = await repo.save({ ...base, ...write, status: 'blocked', blockedReason: reason }, q, at, existing);
      // The refused send is evidence too: the consent trail records it with the blocked row.
      await new ConsentRepository(this.db, origin.tenantId).recordBlockedSend(
        {
          contactId: req.contactId,
          channel,
          purpose,
          reason,
          actor: OUTBOX_ACTOR,
          details: { messageId: row.id, executionId: origin.executionId, flowId: origin.flowId, nodeId: origin.nodeId, stepId: origin.stepId, ...details },
          at,
        },
        q,
      );
      return { kind: 'done', result: { status: 'blocked', messageId: row.id, reason } };
    };

    // A refusal that is not about consent (a closed WhatsApp window, a provider rule): blocked
    // with the reason in both languages, without a consent-trail entry.
    // A refusal that is not about consent (the WhatsApp window, promotional SMS rules) is still a
    // blocked send: the consent trail records it like every other one, with its reason.
    const refuse = (why: { code: string; message: string; messageAr: string }): Promise<Decision> =>
      block(why.code, {}, { error: { code: why.code, message: why.message, messageAr: why.messageAr } });

    // Consent, with the contact's row locked (consent changes and erasure lock it too).
    const contacts = new ContactRepository(this.db, origin.tenantId);
    const contact = await contacts.lock(req.contactId, q);
    if (!contact) return block('no_contact');
    if (contact.erasedAt !== null) return block('erased');
    const consents = new ConsentRepository(this.db, origin.tenantId);
    const decision = await consents.check(contact.id, channel, purpose, at, q);
    if (!decision.ok) return block(decision.reason);

    // The address: the request's, else the contact's own for the channel.
    const own = channel === 'email' ? contact.email : contact.phone;
    let to = own;
    if (req.to !== undefined && req.to !== null && req.to !== '') {
      const normal = channel === 'email' ? normaliseEmail(String(req.to)) : normalisePhone(String(req.to));
      if (!normal.ok) return fail({ code: 'invalid_address', message: `to: ${normal.message}` });
      to = normal.value;
    }
    if (!to) return block('no_address');
    base.to = to;
    // Another contact's address needs that contact's consent too: `to` never reaches around consent.
    if (to !== own) {
      const holders = (await contacts.matching(channel === 'email' ? null : to, channel === 'email' ? to : null, q)).filter((c: Contact) => c.id !== contact.id);
      for (const holder of holders) {
        if (holder.erasedAt !== null) return block('recipient_erased', { recipientContactId: holder.id });
        const theirs = await consents.check(holder.id, channel, purpose, at, q);
        if (!theirs.ok) return block(`recipient_${theirs.reason}`, { recipientContactId: holder.id });
      }
    }

    // The message itself.
    const text = typeof req.text === 'string' && req.text !== '' ? req.text : null;
    if (channel === 'whatsapp' && !text && !req.template && documentIds.length === 0) return fail({ code: 'invalid_message', message: 'a WhatsApp message needs text, a template or a document' });
    if (channel === 'sms' && !text) return fail({ code: 'invalid_message', message: 'an SMS needs text' });
    if (channel === 'email' && (!req.subject || (!text && !req.html))) return fail({ code: 'invalid_message', message: 'an email needs a subject and text or html' });
    if (documentIds.length > 0) {
      const documents = new DocumentRepository(this.db, origin.tenantId);
      let total = 0;
      for (const id of documentIds) {
        const doc = await documents.get(id, q);
        if (!doc || doc.erasedAt !== null) return fail({ code: 'attachment_not_found', message: `no document ${id} (attachments name stored documents, e.g. proposal.pdf's documentId)` });
        // A document about another contact (their proposal names them) is not sent to this one.
        if (doc.contactId !== null && doc.contactId !== contact.id) return fail({ code: 'attachment_of_another_contact', message: `document ${id} belongs to another contact` });
        total += doc.bytes;
      }
      if (total > MAX_ATTACHMENT_BYTES) return fail({ code: 'attachments_too_large', message: `the attachments together are at most ${MAX_ATTACHMENT_BYTES} bytes` });
    }
    // WhatsApp free text only inside the 24-hour customer service window since the contact last
    // wrote: outside it the node's fallback template goes instead, or the send is blocked.
    const windowOpen = channel === 'whatsapp' && whatsappWindowOpen(contact.lastInboundAt, at);
    if (channel === 'whatsapp' && !req.template && !windowOpen) {
      if (!req.fallbackTemplate) return refuse(WINDOW_CLOSED);
      base.template = req.fallbackTemplate;
      base.text = null;
    }
    if (!('entry' in provider)) return fail(provider);
    if (documentIds.length > 0 && provider.entry.provider.attachments !== true) {
      return fail({ code: 'attachments_unsupported', message: `${provider.entry.provider.name} cannot send documents (use the WhatsApp Cloud API or SMTP, or send a link)` });
    }
    // The provider's own rules (Saudi promotional SMS: -AD sender, promotional hours).
    const rule = provider.entry.provider.policy?.({ channel, purpose }, provider.data, now) ?? { action: 'send' as const };
    if (rule.action === 'refuse') return refuse(rule);
    if (rule.action === 'defer') {
      await repo.save({ ...base, status: 'deferred', deferredUntil: rule.until.getTime(), error: { code: 'send_deferred', message: rule.reason } }, q, at, existing);
      return { kind: 'defer', until: rule.until, reason: rule.reason };
    }
    const cost = provider.entry.provider.name === 'whatsapp-cloud' ? await this.whatsappCost(origin.tenantId, base.template, purpose, windowOpen, q) : null;

    // Send windows in the recipient's time zone when known (attributes.timezone), else the
    // policy's (Riyadh by default); daily caps count the tenant's local day. Over them:
    // deferred, never dropped.
    const tz = send.policy.timezone;
    const recipientTz = contactTimeZone(contact);
    const windowPolicy: SendPolicy = recipientTz && recipientTz !== tz ? { ...send.policy, timezone: recipientTz } : send.policy;
    if (this.db.dialect === 'postgres') await q('SELECT pg_advisory_xact_lock(hashtext($1))', [`outbox:${origin.tenantId}:${channel}`]);
    const counts = await repo.countDay(contact.id, channel, localDayStart(now, tz).getTime(), nextLocalDayStart(now, tz).getTime(), origin.stepId, q);
    let plan;
    try {
      plan = planSend(windowPolicy, send.holidays, channel, now, { sentTodayForContact: counts.contact, sentTodayForTenant: counts.tenant });
      // The window is the recipient's; the caps' day stays the tenant's.
      if (plan.action === 'defer' && plan.reason !== 'outside_window' && windowPolicy !== send.policy) {
        plan = { ...plan, until: nextSendOpening(windowPolicy, send.holidays, channel, nextLocalDayStart(now, tz)) };
      }
    } catch (err) {
      if (err instanceof NoSendOpeningError) return fail({ code: 'no_send_opening', message: err.message });
      throw err;
    }
    if (plan.action === 'defer') {
      await repo.save({ ...base, status: 'deferred', deferredUntil: plan.until.getTime(), error: { code: 'send_deferred', message: plan.reason } }, q, at, existing);
      return { kind: 'defer', until: plan.until, reason: plan.reason };
    }
    // Per-sender pacing (daily cap, ramp-up, gap, spreading): one slot per message, kept on its row.
    const senderName = provider.credentialName ?? 'sandbox';
    const limits = senderLimitsOf(send.policy, channel, senderName);
    let slot: { key: string; at: number } | null = null;
    if (existing && existing.senderSlotAt !== null && existing.senderKey !== null) {
      slot = { key: existing.senderKey, at: existing.senderSlotAt };
    } else if (paces(limits)) {
      const key = `${channel}:${senderName}`;
      const usage = new SenderUsageRepository(this.db, origin.tenantId);
      if (this.db.dialect === 'postgres') await q('SELECT pg_advisory_xact_lock(hashtext($1))', [`sender:${origin.tenantId}:${key}`]);
      let planned;
      try {
        planned = planSenderSlot({ limits, state: await usage.load(key, q, true), policy: windowPolicy, holidays: send.holidays, channel, dayTimezone: tz, now, random: this.random });
      } catch (err) {
        if (err instanceof NoSendOpeningError) return fail({ code: 'no_send_opening', message: err.message });
        throw err;
      }
      await usage.save(key, planned.state, q, at);
      slot = { key, at: planned.at.getTime() };
    }
    if (slot && slot.at > at) {
      const row = await repo.save({ ...base, status: 'deferred', deferredUntil: slot.at, error: { code: 'send_deferred', message: 'sender_pacing' } }, q, at, existing);
      await repo.setSenderSlot(row.id, slot.key, slot.at, q);
      return { kind: 'defer', until: new Date(slot.at), reason: 'sender_pacing' };
    }
    const row = await repo.save({ ...base, status: 'pending', reservedAt: at }, q, at, existing);
    if (slot && (existing?.senderSlotAt ?? null) === null) await repo.setSenderSlot(row.id, slot.key, slot.at, q);
    if (cost) await repo.setCost(row.id, cost.category, cost.halalas, q);
    return { kind: 'send', row, provider };
  }

  /** pending → (rate limit) → sending → provider → sent / failed / uncertain. */
  private async deliver(repo: OutboxRepository, row: OutboxMessage, resolved: ResolvedProvider, signal: AbortSignal, hooks: SendHooks): Promise<SendResult> {
    const { entry, credentialName, data } = resolved;
    const provider: ChannelProvider = entry.provider;
    // Per provider account; over it the step is deferred (RateLimited) and the row stays pending.
    const limits = { ...entry.rate, ...numberField(data, 'perSecond'), ...numberField(data, 'perDay') };
    if (hooks.rateLimit && (limits.perSecond !== undefined || limits.perDay !== undefined)) {
      await hooks.rateLimit(`${row.channel}:${provider.name}:${entry.account(data)}`, limits);
    }
    // Read before the row is marked sending: a failed read leaves the row pending (safe to retry).
    const egress: EgressPolicy = provider.credentialType === null ? { allowPrivateNetwork: false } : await this.egress(repo.tenantId);
    // The documents' bytes, read before the row is marked sending too (a failed read leaves it pending).
    const files = row.attachments?.length ? await this.attachmentsOf(repo.tenantId, row.attachments) : null;
    await this.crash('after_pending');
    if (!(await repo.markSending(row.id, this.now().getTime(), { name: provider.name, credentialName }))) {
      // Another attempt took the row meanwhile: never call the provider a second time.
      const current = await repo.get(row.id);
      return (current && (await this.settledResult(repo, current))) ?? uncertain(row.id);
    }
    if (files && 'missing' in files) {
      // Erased since the decision: the provider is never called.
      const error = { code: 'attachment_not_found', message: `document ${files.missing} is gone (its contact was erased)` };
      await repo.markFailed(row.id, this.now().getTime(), error);
      return { status: 'failed', messageId: row.id, ...error };
    }
    const message: OutboundMessage = {
      channel: row.channel as SendChannel,
      to: row.to!,
      purpose: row.purpose,
      referenceId: row.id,
      ...(row.text !== null ? { text: row.text } : {}),
      ...(row.subject !== null ? { subject: row.subject } : {}),
      ...(row.html !== null ? { html: row.html } : {}),
      ...(row.template ? { template: row.template } : {}),
      ...(files ? { attachments: files.files } : {}),
    };
    const callback = await this.statusCallbackUrl(repo.tenantId, provider.name);
    if (callback) message.statusCallbackUrl = callback;
    let answer;
    try {
      answer = await provider.send(message, data, signal, egress);
    } catch (err) {
      const now = this.now().getTime();
      if (err instanceof ProviderError && err.definite) {
        const error = { code: err.code, message: err.message, ...(err.retryable ? { retryable: true } : {}) };
        await repo.markFailed(row.id, now, error);
        return { status: 'failed', messageId: row.id, code: err.code, message: err.message, ...(err.retryable ? { retryable: true } : {}) };
      }
      // Not definite (a timeout after the request was written, a reset, anything unexpected):
      // the message may have gone out. Never again: a person resolves it.
      const code = err instanceof ProviderError ? err.code : 'provider_exception';
      const detail = err instanceof Error ? err.message : String(err);
      await repo.markUncertain(row.id, now, { code: 'send_uncertain', message: `${code}: ${detail}`.slice(0, 1000) });
      this.log?.warn({ messageId: row.id, stepId: row.stepId, provider: provider.name, code }, 'outbox: the provider call ended without a definite answer; marked uncertain');
      return uncertain(row.id);
    }
    await this.crash('after_provider_call');
    const sentAt = this.now().getTime();
    await repo.markSent(row.id, sentAt, answer.providerMessageId);
    return { status: 'sent', messageId: row.id, provider: provider.name, providerMessageId: answer.providerMessageId, to: row.to!, delivery: 'sent', sentAt, deliveredAt: null };
  }

  /**
   * The provider for a send: the named credential's (its type must send the channel), else the
   * tenant's first credential of a type that sends the channel (in registration order of the
   * providers, then by name), else the sandbox. Failures are NodeFailures naming the credential.
   */
  private async resolveProvider(tenantId: string, req: SendRequest): Promise<ResolvedProvider> {
    const channel = req.channel;
    const repo = this.credentials(tenantId);
    let name: string | null = null;
    if (req.credential) {
      const meta = await repo.byName(req.credential);
      if (!meta) throw new NodeFailure('credential_not_found', `no credential named "${req.credential}"`, { retryable: false });
      if (!isSendChannel(channel) || !this.providers.forCredentialType(meta.type, channel)) {
        throw new NodeFailure('credential_type_mismatch', `credential "${req.credential}" is of type ${meta.type}, which cannot send ${String(channel)}`, { retryable: false });
      }
      name = meta.name;
    } else if (isSendChannel(channel)) {
      const types = this.providers.credentialTypes(channel);
      if (types.length > 0) {
        const candidates = (await repo.list()).filter((c) => types.includes(c.type));
        candidates.sort((a, b) => types.indexOf(a.type) - types.indexOf(b.type) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        name = candidates[0]?.name ?? null;
      }
    }
    if (name === null) return { entry: this.providers.entry('sandbox')!, credentialName: null, data: {} };
    let found;
    try {
      found = await repo.reveal(name, { by: 'name' });
    } catch {
      throw new NodeFailure('credential_unreadable', `credential "${name}" cannot be decrypted (was the secret key changed?)`, { retryable: false });
    }
    const entry = found && isSendChannel(channel) ? this.providers.forCredentialType(found.type, channel) : undefined;
    if (!found || !entry) throw new NodeFailure('credential_not_found', `no credential named "${name}"`, { retryable: false });
    return { entry, credentialName: found.name, data: stringData(found.data) };
  }

  /** The stored documents of a message, with their bytes; the first one gone (erased) is named instead. */
  private async attachmentsOf(tenantId: string, ids: string[]): Promise<{ files: OutboundAttachment[] } | { missing: string }> {
    const documents = new DocumentRepository(this.db, tenantId);
    const files: OutboundAttachment[] = [];
    for (const id of ids) {
      const found = await documents.content(id);
      if (!found?.data) return { missing: id };
      files.push({ documentId: id, filename: found.meta.filename, contentType: found.meta.contentType, data: found.data, sha256: found.meta.sha256 });
    }
    return { files };
  }

  /** The cost estimate of a WhatsApp Cloud API message (the template's synced category prices it). */
  private async whatsappCost(tenantId: string, template: OutboxWrite['template'], purpose: string, windowOpen: boolean, q: Query): Promise<CostEstimate> {
    const category = template ? await new WhatsAppTemplateRepository(this.db, tenantId).categoryOf(template.name, template.language, q) : null;
    return estimateWhatsAppCost({ template: template !== null, templateCategory: category, purpose, windowOpen });
  }

  /** Where Twilio reports this message's delivery, when the server's public URL is known. */
  private async statusCallbackUrl(tenantId: string, provider: string): Promise<string | undefined> {
    if (!this.publicUrl || provider !== 'twilio') return undefined;
    let slug = this.slugs.get(tenantId);
    if (!slug) {
      const tenant = await new TenantRepository(this.db).byId(tenantId);
      if (!tenant) return undefined;
      slug = tenant.slug;
      this.slugs.set(tenantId, slug);
    }
    return providerCallbackUrl(this.publicUrl, slug, 'twilio-status');
  }

  private async crash(point: CrashPoint): Promise<void> {
    if (this.crashAt !== point) return;
    this.log?.error({ point }, `outbox: ${CRASH_ENV}=${point}: killing this process (test hook)`);
    process.kill(process.pid, 'SIGKILL');
    await new Promise(() => undefined); // never continues
  }
}

function numberField(data: Record<string, string>, key: 'perSecond' | 'perDay'): { perSecond?: number; perDay?: number } {
  const n = Number(data[key]);
  return data[key] !== undefined && Number.isInteger(n) && n > 0 ? { [key]: n } : {};
}

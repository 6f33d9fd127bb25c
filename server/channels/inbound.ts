// An inbound message (a contact's reply on WhatsApp or SMS, from a provider webhook) and what
// it sets off:
//
// 1. In ONE transaction: find the tenant's contact holding the sender's phone (E.164), store
//    the message in inbound_messages (once per provider message id: a redelivered webhook
//    stores nothing twice), move the contact's last-inbound time forward (the WhatsApp 24-hour
//    window), and — when the text is an opt-out ("STOP", "إلغاء الاشتراك", … see
//    opt-out-words.ts) — withdraw the contact's consent for that channel for EVERY purpose
//    (source `opt_out_reply`, the message id and text as evidence in the consent trail) and write
//    an audit entry.
// 2. After the commit: end the contact's enrollments (contactExits: `opted_out` for the channel
//    first when it opted out, then `replied`), and deliver the domain event `message.received`
//    (correlation: the contact id) to the executions waiting for it (wait.event), payload
//    {channel, body, at, messageId, provider, optOut}.
// 3. Mark the message processed. If step 2 fails the webhook answers 500 and the provider's
//    retry runs step 2 again (every part of it is idempotent); the message is not stored twice.
//
// No auto-reply is sent, to an opt-out or anything else: a confirmation would itself be a
// message the contact did not consent to (and WhatsApp/Twilio show their own notices where they
// must). Messages from numbers that match no contact are stored (contact null) and start nothing.
import type { AppContext } from '../app-context.js';
import { InboundMessageRepository } from '../../db/inbound-message-repository.js';
import { AnalyticsRepository } from '../../db/analytics-repository.js';
import { PURPOSES, type Channel } from '../../engine/consent/consent-rule.js';
import { normalisePhone } from '../consent/contact-fields.js';
import { detectOptOut, optOutWordSet } from './opt-out-words.js';
import type { TenantSettings } from '../../db/tenant-repository.js';
import { classifyReplyByRules, DEFAULT_TIMEZONE, startOfLocalDate, type ReplyClassification } from '../../engine/index.js';

/** An out-of-office reply without a return date pauses the contact's sequences this long. */
export const DEFAULT_AWAY_MS = 7 * 86_400_000;

/** Reply intelligence for inbound messages: the LLM chain with the rules as fallback (server/channels/reply-intelligence.ts). */
export interface ReplyClassifier {
  classify(tenantId: string, text: string, now: Date, messageId: string): Promise<ReplyClassification>;
}

export const MESSAGE_RECEIVED_EVENT = 'message.received';
export const OPT_OUT_SOURCE = 'opt_out_reply';

export type InboundChannel = 'whatsapp' | 'sms';

export interface InboundInput {
  tenantId: string;
  provider: 'ultramsg' | 'twilio' | 'whatsapp-cloud' | 'unifonic' | 'taqnyat';
  channel: InboundChannel;
  /** The sender as the provider names it: `+9665…`, `whatsapp:+9665…`, `9665…@c.us`. */
  from: string;
  /** Our number or instance the message was sent to. */
  to: string | null;
  body: string;
  providerMessageId: string;
  /** When the provider received it (epoch ms). */
  receivedAt: number;
}

export interface InboundOutcome {
  messageId: string;
  contactId: string | null;
  /** The provider delivered this message before (nothing stored again). */
  duplicate: boolean;
  /** The normalised opt-out word, when the message is an opt-out. */
  optOut: string | null;
  consentsWithdrawn: number;
  /** Executions resumed by the message.received event. */
  resumed: number;
  /** Enrollments ended (opted_out + replied). */
  exited: number;
  /** The reply's class (stored with the message) and, out of office, when the contact is back. */
  replyClass: string | null;
  returnAt: number | null;
  /** Enrollments paused until the return date (out of office). */
  paused: number;
}

export type InboundContext = Pick<AppContext, 'db' | 'log' | 'runtime' | 'contacts' | 'consents' | 'audit' | 'contactExits'> & { replies?: ReplyClassifier };

/** The sender's phone in E.164, or null (a group, a malformed address). */
export function senderPhone(raw: string): string | null {
  let s = raw.trim().replace(/^whatsapp:/i, '');
  if (/@g\.us$|@broadcast$|@newsletter$/i.test(s)) return null;
  s = s.replace(/@(c\.us|s\.whatsapp\.net)$/i, '');
  // Providers give international numbers, often without the `+` (UltraMsg: 9665…@c.us); a
  // leading 0 is a national number (read as Saudi).
  if (/^[1-9]\d{7,14}$/.test(s)) s = `+${s}`;
  const p = normalisePhone(s);
  return p.ok ? p.value : null;
}

export async function handleInbound(ctx: InboundContext, input: InboundInput, settings: TenantSettings = {}): Promise<InboundOutcome> {
  const { tenantId } = input;
  const repo = new InboundMessageRepository(ctx.db, tenantId);
  const phone = senderPhone(input.from);
  const optOut = detectOptOut(input.body, optOutWordSet((settings as { optOutWords?: string[] }).optOutWords));
  const consentChannel: Channel = input.channel;
  let outcome!: InboundOutcome;
  let processed = false;

  await ctx.db.sql.transaction(async (q) => {
    const contact = phone ? ((await ctx.contacts(tenantId).matching(phone, null, q)).find((c) => c.phone === phone && c.erasedAt === null) ?? null) : null;
    const { message, created } = await repo.record(
      { contactId: contact?.id ?? null, channel: input.channel, from: phone ?? input.from.slice(0, 320), to: input.to?.slice(0, 320) ?? null, body: input.body, provider: input.provider, providerMessageId: input.providerMessageId, optOut, receivedAt: input.receivedAt },
      q,
    );
    outcome = {
      messageId: message.id,
      contactId: message.contactId,
      duplicate: !created,
      optOut: message.optOut,
      consentsWithdrawn: 0,
      resumed: 0,
      exited: 0,
      replyClass: message.replyClass,
      returnAt: message.replyReturnAt,
      paused: 0,
    };
    processed = message.processedAt !== null;
    if (!created || !contact) return;

    if (contact.lastInboundAt === null || contact.lastInboundAt < input.receivedAt) {
      await ctx.contacts(tenantId).update(contact.id, { lastInboundAt: input.receivedAt }, q);
    }
    // Step analytics: the contact's last message (any channel) was replied to, or opted out of
    // on this channel; an opt-out is counted as an opt-out, not as a reply.
    const analytics = new AnalyticsRepository(ctx.db, tenantId);
    if (optOut) await analytics.touch(q, contact.id, 'opted_out', input.receivedAt, { channel: input.channel });
    else await analytics.touch(q, contact.id, 'replied', input.receivedAt);
    if (!optOut) return;
    const actor = `contact:${contact.id}`;
    const evidence = { messageId: message.id, providerMessageId: input.providerMessageId, provider: input.provider, text: input.body.slice(0, 1000) };
    for (const purpose of PURPOSES) {
      const { event } = await ctx.consents(tenantId).change(contact.id, consentChannel, purpose, 'withdraw', { actor, source: OPT_OUT_SOURCE, evidence, details: { reason: 'opt_out_reply', word: optOut, evidence }, at: Date.now() }, q);
      if (event) outcome.consentsWithdrawn++;
    }
    await ctx.audit(tenantId).record(
      { actor, action: 'contact.opt_out', target: contact.id, details: { channel: input.channel, provider: input.provider, messageId: message.id, word: optOut, consentsWithdrawn: outcome.consentsWithdrawn } },
      q,
    );
  });

  // A redelivery of a message whose side effects already ran: nothing more to do.
  if (outcome.duplicate && processed) return outcome;
  const contactId = outcome.contactId;
  if (contactId) {
    const at = new Date(input.receivedAt).toISOString();
    // Reply intelligence: classified once (a redelivery reuses the stored class), kept with the message.
    if (outcome.replyClass === null) {
      const reply = await classifyInbound(ctx, input, outcome);
      outcome.replyClass = reply.class;
      outcome.returnAt =
        reply.class === 'out_of_office' ? (reply.returnDate ? startOfLocalDate(reply.returnDate, DEFAULT_TIMEZONE).getTime() + 9 * 3_600_000 : input.receivedAt + DEFAULT_AWAY_MS) : null;
      await repo.setReplyClass(outcome.messageId, reply.class, outcome.returnAt, reply.by);
    }
    if (outcome.optOut) outcome.exited += await ctx.contactExits.exit(tenantId, contactId, 'opted_out', input.channel);
    outcome.resumed = await ctx.runtime.deliverEvent(tenantId, MESSAGE_RECEIVED_EVENT, contactId, {
      channel: input.channel,
      body: input.body,
      at,
      messageId: outcome.messageId,
      provider: input.provider,
      optOut: outcome.optOut !== null,
      replyClass: outcome.replyClass,
      returnDate: outcome.returnAt !== null ? new Date(outcome.returnAt).toISOString().slice(0, 10) : null,
      returnAt: outcome.returnAt !== null ? new Date(outcome.returnAt).toISOString() : null,
    });
    // Out of office is not an answer: the sequences pause until the contact is back instead of ending.
    if (outcome.replyClass === 'out_of_office' && outcome.returnAt !== null && ctx.contactExits.pauseUntil) {
      outcome.paused = await ctx.contactExits.pauseUntil(tenantId, contactId, outcome.returnAt);
    } else {
      outcome.exited += await ctx.contactExits.exit(tenantId, contactId, 'replied', input.channel);
    }
  }
  await repo.markProcessed(outcome.messageId);
  return outcome;
}

/** The class of an inbound reply: an opt-out is `unsubscribe`; else the LLM chain (rules when it fails). */
async function classifyInbound(ctx: InboundContext, input: InboundInput, outcome: InboundOutcome): Promise<ReplyClassification> {
  const now = new Date(input.receivedAt);
  if (outcome.optOut) return { class: 'unsubscribe', returnDate: null, by: 'opt_out' };
  if (ctx.replies) {
    try {
      return await ctx.replies.classify(input.tenantId, input.body, now, outcome.messageId);
    } catch (err) {
      ctx.log.warn({ err, messageId: outcome.messageId }, 'reply classification failed; the rules classify it');
    }
  }
  return classifyReplyByRules(input.body, now);
}

// The one way a flow sends a message: ctx.send(). The engine only knows this contract; the
// server implements it (server/outbox/) with consent, windows, caps, the outbox table and the
// channel providers. Nodes never talk to a provider themselves, so no node, code step or
// template can bypass the consent check.
import type { Channel } from './send-policy.js';

export type SendChannel = Exclude<Channel, 'call'>;

export interface SendRequest {
  channel: SendChannel;
  /** The contact the message is for: consent is checked for this contact. */
  contactId: string;
  /** Consent purpose (marketing, service, transactional). */
  purpose: string;
  /** Address override (E.164 phone or email); default: the contact's own for the channel. */
  to?: string;
  /** A provider-approved template (WhatsApp outside the 24-hour window needs one). */
  template?: { name: string; language?: string; variables?: Record<string, string> };
  /** Free text (WhatsApp only inside the 24-hour window since the contact's last message). */
  text?: string;
  /**
   * WhatsApp: the approved template to send instead of `text` when the 24-hour customer service
   * window is closed (no message from the contact in the last 24 hours). Absent: such a send is
   * blocked with the reason `whatsapp_window_closed`.
   */
  fallbackTemplate?: { name: string; language?: string; variables?: Record<string, string> };
  /** Email subject. */
  subject?: string;
  /** Email HTML body (sent as the HTML alternative of `text`). */
  html?: string;
  /**
   * Stored documents (ids from ctx.documents, e.g. proposal.pdf's `documentId`) the message
   * carries: email attachments (at most 10), or WhatsApp's one document (a document message with
   * `text` as its caption; with a template, the template's DOCUMENT header). SMS and providers
   * that cannot send files fail with `attachments_unsupported`; a document about another contact
   * with `attachment_of_another_contact`.
   */
  attachments?: string[];
  /** Name of the tenant credential of the provider to use; absent: the tenant's default for the channel (or the sandbox). */
  credential?: string;
  /**
   * A second outbox key within the step (`[a-z0-9_-]{1,32}`, e.g. the channel): a step that
   * sends on several channels (send.message's rotation) has one row per key, each exactly
   * once. A keyed row that failed is final: it is never decided again (the step moved on).
   */
  key?: string;
  /**
   * A/B variants (server/analytics/README.md): the outbox picks one per contact and flow
   * version — deterministically, by a hash of contact, flow, version and node, weighted — and
   * sends its content in place of the request's own (fields a variant leaves out are the
   * request's). The pick is recorded with the message and split out in the step analytics.
   */
  variants?: SendVariant[];
  /** Send the winning variant to everyone once the comparison is sure enough (see SendAbTest). */
  abTest?: SendAbTest;
}

export interface SendVariant {
  /** 1–32 letters, digits, `_` or `-`; unique within the node. */
  id: string;
  /** Relative share (default 1). */
  weight?: number;
  text?: string;
  template?: { name: string; language?: string; variables?: Record<string, string> };
  subject?: string;
  html?: string;
}

export interface SendAbTest {
  /** Once a variant beats every other on reply rate with this confidence, send it to the rest. */
  sendWinner: boolean;
  /** Messages sent per variant before a winner may be declared (default 100). */
  minSample?: number;
  /** Required confidence, 0.5–0.999 (default 0.95): 1 − the two-proportion z-test's p-value. */
  confidence?: number;
}

export type SendResult =
  | {
      status: 'sent';
      messageId: string;
      provider: string;
      providerMessageId: string | null;
      to: string;
      /** Delivery as last reported by the provider (sent, delivered, read). */
      delivery?: 'sent' | 'delivered' | 'read';
      /** When the provider took it, and when it reported it delivered (epoch ms). */
      sentAt?: number | null;
      deliveredAt?: number | null;
    }
  | { status: 'blocked'; messageId: string; reason: string }
  | {
      status: 'failed';
      messageId: string;
      code: string;
      message: string;
      /** The provider certainly did not take it and a later attempt may succeed: the step may retry (its retry policy). */
      retryable?: boolean;
    };

/** What the step runner lends the outbox for one send. */
export interface SendHooks {
  /** ctx.rateLimit of the sending step: throws a deferral when the provider account is over its rate. */
  rateLimit?(key: string, limits: { perSecond?: number; perDay?: number }): Promise<void>;
}

/** Which step is sending: the outbox key is (execution, step), so a re-run step never sends twice. */
export interface SendOrigin {
  tenantId: string;
  executionId: string;
  flowId: string;
  nodeId: string;
  /** The step's deterministic id (`<execution>:<seq>`): the same for every attempt and redelivery. */
  stepId: string;
  /** The published version the execution runs (step analytics and variant assignment are per version). */
  flowVersion?: number;
}

export interface Outbox {
  /**
   * Check consent at send time, apply send windows and caps (throwing a deferral the runtime
   * turns into a later retry), record the message, call the provider once, record its answer.
   */
  send(origin: SendOrigin, request: SendRequest, signal: AbortSignal, hooks?: SendHooks): Promise<SendResult>;
  /** Consent for (contact, channel, purpose) right now, without sending. */
  consent(tenantId: string, contactId: string, channel: Channel, purpose: string): Promise<{ ok: true } | { ok: false; reason: string }>;
}

/** Delivery news from a provider's callback, applied to the outbox row it names. */
export interface DeliveryUpdate {
  tenantId: string;
  provider: 'ultramsg' | 'twilio' | 'whatsapp-cloud' | 'unifonic' | 'taqnyat' | 'smtp' | 'sandbox';
  providerMessageId: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  at: number;
  error?: { code: string; message: string };
}

/** Implemented by the outbox repository; called by the provider callback routes. */
export interface DeliveryStatusSink {
  /** Returns false when no outbox row has that provider id (the callback is then ignored, 200). Idempotent. */
  applyDelivery(update: DeliveryUpdate): Promise<boolean>;
}

// What the outbox asks of a messaging provider (UltraMsg, Twilio, SMTP, or the sandbox that
// records instead of sending). One call per message; the outbox owns consent, idempotency and
// bookkeeping, a provider only speaks its protocol.
import type { SendChannel } from '../../engine/outbox/send-contract.js';
import type { EgressPolicy } from '../../engine/index.js';

/** A stored document a message carries (OutboundMessage.attachments), loaded by the outbox. */
export interface OutboundAttachment {
  documentId: string;
  filename: string;
  contentType: string;
  data: Buffer;
  /** Hex SHA-256 of `data`. */
  sha256: string;
}

export interface OutboundMessage {
  channel: SendChannel;
  /** E.164 phone for whatsapp/sms, an email address for email. */
  to: string;
  text?: string;
  subject?: string;
  /** Email only: the HTML alternative of `text`. */
  html?: string;
  template?: { name: string; language?: string; variables?: Record<string, string> };
  /** The consent purpose (marketing, service, transactional): the Saudi SMS providers pick the sender name by it. */
  purpose?: string;
  /** The outbox message id: passed to providers that accept a client reference (UltraMsg referenceId, email Message-ID). */
  referenceId: string;
  /**
   * Where the provider should report this message's delivery (Twilio's per-message
   * `statusCallback`): the outbox sets it from providerCallbackUrl() (server/channels/callbacks.ts)
   * when TADFUQ_PUBLIC_URL is configured. Absent: the provider account's own setting applies.
   */
  statusCallbackUrl?: string;
  /**
   * Stored documents to send (SendRequest.attachments): email attachments; WhatsApp's one
   * document. Only given to providers whose `attachments` is true (the outbox refuses the rest).
   */
  attachments?: OutboundAttachment[];
}

export interface ProviderSendResult {
  providerMessageId: string;
  /** What the provider said at once; delivery callbacks move it on (delivered, read, failed). */
  status: 'queued' | 'sent';
}

/**
 * A provider refused or could not be reached. `definite`: the provider certainly did not take
 * the message (a 4xx, a refused connection before the request was written) — safe to mark
 * failed or retry. Not definite (a timeout after the request was sent, a reset mid-answer):
 * the message may have gone out, so the outbox marks it uncertain and never re-sends it.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly code: string,
    message: string,
    readonly definite: boolean,
    readonly retryable: boolean,
  ) {
    super(message);
    Object.setPrototypeOf(this, ProviderError.prototype);
  }
}

export type ProviderName = 'ultramsg' | 'twilio' | 'whatsapp-cloud' | 'unifonic' | 'taqnyat' | 'smtp' | 'sandbox';

/** What a provider's own rules say about a send before it is written `pending` (see `policy`). */
export type ProviderPolicyDecision =
  | { action: 'send' }
  | { action: 'refuse'; code: string; message: string; messageAr: string }
  | { action: 'defer'; until: Date; reason: string };

export interface ChannelProvider {
  readonly name: ProviderName;
  readonly channels: readonly SendChannel[];
  /** The credential type (server/security/credential-types.ts) it sends with; null for the sandbox. */
  readonly credentialType: string | null;
  /** Whether it sends stored documents (OutboundMessage.attachments); absent: a send with attachments fails with attachments_unsupported. */
  readonly attachments?: boolean;
  /**
   * `egress` is the tenant's egress policy (allowPrivateNetwork): every connection the provider
   * opens goes through the egress guard with it (engine/runtime/egress-guard.ts), so a
   * credential's baseUrl or SMTP host cannot reach private addresses the tenant does not allow.
   */
  send(message: OutboundMessage, credential: Record<string, string>, signal: AbortSignal, egress: EgressPolicy): Promise<ProviderSendResult>;
  /**
   * The provider's own rules for a send (e.g. Saudi promotional SMS: an `-AD` sender and
   * promotional hours), asked by the outbox when it decides, before anything is written
   * `pending`: refuse (the row is blocked with the reason) or defer (the step sleeps).
   */
  policy?(send: { channel: SendChannel; purpose: string }, credential: Record<string, string>, now: Date): ProviderPolicyDecision;
}

// Delivery updates are an outbox concept (the outbox repository in db/ applies them).
export type { DeliveryUpdate, DeliveryStatusSink } from '../../engine/outbox/send-contract.js';

// The embedded "sandbox outbox" (docs/architecture.md "Sends and the outbox"): the provider a tenant's sends use
// when it has no provider credential for the channel. It records instead of sending — nothing
// leaves the machine. The message's outbox row (provider `sandbox`, status `sent`) is the record
// a user sees (GET /api/v1/outbox); the process also keeps the latest few in memory for tests
// and debugging. Every consent, window, cap and idempotency rule applies exactly as for a real
// provider: only the last hop is replaced.
import type { SendChannel } from '../../engine/index.js';
import type { ChannelProvider, OutboundMessage, ProviderSendResult } from '../channels/provider.js';

export interface SandboxRecord {
  message: OutboundMessage;
  providerMessageId: string;
  at: number;
}

/** How many recorded messages the process keeps in memory (oldest dropped first). */
export const SANDBOX_MEMORY = 500;

export class SandboxProvider implements ChannelProvider {
  readonly name = 'sandbox' as const;
  readonly channels: readonly SendChannel[] = ['whatsapp', 'sms', 'email'];
  readonly credentialType = null;
  /** Records the documents a message carries (their ids, names, sizes and hashes; not the bytes). */
  readonly attachments = true;
  private readonly kept: SandboxRecord[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  async send(message: OutboundMessage, _credential: Record<string, string>, signal: AbortSignal): Promise<ProviderSendResult> {
    signal.throwIfAborted();
    // Deterministic: the same outbox message always gets the same sandbox id.
    const providerMessageId = `sandbox-${message.referenceId}`;
    const { attachments, ...rest } = message;
    const kept: OutboundMessage = structuredClone(rest);
    if (attachments) kept.attachments = attachments.map((a) => ({ ...a, data: Buffer.alloc(0) }));
    this.kept.push({ message: kept, providerMessageId, at: this.now() });
    if (this.kept.length > SANDBOX_MEMORY) this.kept.splice(0, this.kept.length - SANDBOX_MEMORY);
    return { providerMessageId, status: 'sent' };
  }

  /** The messages recorded by this process, oldest first (at most SANDBOX_MEMORY). */
  recorded(): readonly SandboxRecord[] {
    return this.kept;
  }
}

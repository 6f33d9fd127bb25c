// Which ChannelProvider sends a message: the provider of the tenant credential's type (one
// credential type → one provider), or the sandbox when the tenant has no credential for the
// channel. Each provider also says how fast one provider account may send (the outbox counts
// every send against `<channel>:<provider>:<account>` with ctx.rateLimit before calling it).
//
// REGISTRATION POINT: a new provider is one line in createProviderRegistry() below
// (`registry.register(provider, { rate, account })`).
import { createHash } from 'node:crypto';
import type { RateLimits, SendChannel } from '../../engine/index.js';
import type { ChannelProvider } from '../channels/provider.js';
import { ultramsgProvider } from '../channels/ultramsg.js';
import { twilioProvider } from '../channels/twilio.js';
import { smtpProvider } from '../channels/smtp.js';
import { whatsappCloudProvider } from '../channels/whatsapp-cloud.js';
import { unifonicProvider } from '../channels/unifonic.js';
import { taqnyatProvider } from '../channels/taqnyat.js';
import { SandboxProvider } from './sandbox-provider.js';

export interface ProviderEntry {
  provider: ChannelProvider;
  /** Default send rate of one provider account; a credential's own `perSecond` / `perDay` fields win. */
  rate: RateLimits;
  /** The provider account a credential names (the rate limit key): UltraMsg instance, Twilio account, SMTP server + user. */
  account(credential: Record<string, string>): string;
}

export class ProviderRegistry {
  private readonly byName = new Map<string, ProviderEntry>();
  private readonly byType = new Map<string, ProviderEntry>();

  constructor(readonly sandbox: ChannelProvider = new SandboxProvider()) {
    this.register(sandbox, { rate: {}, account: () => 'sandbox' });
  }

  /** Add or replace a provider (by name; a real provider also by its credential type). */
  register(provider: ChannelProvider, options: { rate?: RateLimits; account?: (credential: Record<string, string>) => string } = {}): this {
    const entry: ProviderEntry = { provider, rate: options.rate ?? {}, account: options.account ?? (() => 'default') };
    const previous = this.byName.get(provider.name);
    if (previous?.provider.credentialType) this.byType.delete(previous.provider.credentialType);
    this.byName.set(provider.name, entry);
    if (provider.credentialType) this.byType.set(provider.credentialType, entry);
    if (provider.name === 'sandbox') (this as { sandbox: ChannelProvider }).sandbox = provider;
    return this;
  }

  entry(name: string): ProviderEntry | undefined {
    return this.byName.get(name);
  }

  /** The provider that sends `channel` with credentials of `type`, if any. */
  forCredentialType(type: string, channel: SendChannel): ProviderEntry | undefined {
    const entry = this.byType.get(type);
    return entry && entry.provider.channels.includes(channel) ? entry : undefined;
  }

  /** Credential types some registered provider sends `channel` with. */
  credentialTypes(channel: SendChannel): string[] {
    return [...this.byType.entries()].filter(([, e]) => e.provider.channels.includes(channel)).map(([type]) => type);
  }

  list(): ProviderEntry[] {
    return [...this.byName.values()];
  }
}

/** The providers of a process: the sandbox plus every real channel provider. */
export function createProviderRegistry(options: { sandbox?: ChannelProvider } = {}): ProviderRegistry {
  const registry = new ProviderRegistry(options.sandbox ?? new SandboxProvider());
  // UltraMsg: WhatsApp through an instance; its API is comfortable with a few messages a second.
  registry.register(ultramsgProvider, { rate: { perSecond: 5 }, account: (c) => c.instanceId ?? 'default' });
  // Twilio: SMS and WhatsApp per account (its own queue smooths bursts; stay well under its limits).
  registry.register(twilioProvider, { rate: { perSecond: 10 }, account: (c) => c.accountSid ?? 'default' });
  // WhatsApp Cloud API: per phone number (Meta's default throughput is 80 messages a second; stay well under it).
  registry.register(whatsappCloudProvider, { rate: { perSecond: 20 }, account: (c) => c.phoneNumberId ?? 'default' });
  // Unifonic and Taqnyat: Saudi SMS per account (after Twilio: a tenant with both keeps Twilio as
  // its SMS default unless a step names the credential). The AppSid is a secret: keyed by its hash.
  registry.register(unifonicProvider, { rate: { perSecond: 10 }, account: (c) => (c.appSid ? createHash('sha256').update(c.appSid).digest('hex').slice(0, 16) : 'default') });
  registry.register(taqnyatProvider, { rate: { perSecond: 10 }, account: (c) => c.sender ?? 'default' });
  // SMTP: one mail server sign-in.
  registry.register(smtpProvider, { rate: { perSecond: 10 }, account: (c) => `${c.host ?? ''}:${c.user ?? ''}` });
  return registry;
}

// Fixtures of the outbox suites: a provider that records every message it receives (and can
// fail or stall on demand), contacts with consents made through the real repositories, and an
// OutboxService on a test database with a clock the test moves.
import { randomBytes } from 'node:crypto';
import type { ChannelProvider, OutboundMessage, ProviderSendResult } from '../../server/channels/provider.js';
import type { SendChannel } from '../../engine/index.js';
import { OutboxService } from '../../server/outbox/outbox-service.js';
import { ProviderRegistry } from '../../server/outbox/provider-registry.js';
import { CredentialRepository } from '../../db/credential-repository.js';
import { SecretBox } from '../../server/security/secret-box.js';
import { ConsentRepository, ContactRepository, type Contact } from '../../db/contacts/index.js';
import type { Database } from '../../db/index.js';
import type { Channel, Purpose } from '../../engine/consent/consent-rule.js';

export interface Received {
  message: OutboundMessage;
  credential: Record<string, string>;
}

type Behaviour = (message: OutboundMessage) => ProviderSendResult | Promise<ProviderSendResult>;

/** Counts every message that reaches it; `behave` queues answers (throw a ProviderError, stall…). */
export class RecordingProvider implements ChannelProvider {
  readonly received: Received[] = [];
  private readonly queue: Behaviour[] = [];

  constructor(
    readonly name: ChannelProvider['name'] = 'sandbox',
    readonly channels: readonly SendChannel[] = ['whatsapp', 'sms', 'email'],
    readonly credentialType: string | null = null,
  ) {}

  behave(...behaviours: Behaviour[]): this {
    this.queue.push(...behaviours);
    return this;
  }

  async send(message: OutboundMessage, credential: Record<string, string>): Promise<ProviderSendResult> {
    this.received.push({ message: structuredClone(message), credential: { ...credential } });
    const next = this.queue.shift();
    if (next) return next(message);
    return { providerMessageId: `${this.name}-${message.referenceId}`, status: 'sent' };
  }

  /** How many messages with this outbox id reached the provider. */
  count(referenceId: string): number {
    return this.received.filter((r) => r.message.referenceId === referenceId).length;
  }
}

export const EVIDENCE = { formUrl: 'https://acme.sa/ar/contact', text: 'أوافق على تلقي الرسائل' };

export async function contact(db: Database, tenantId: string, fields: { name?: string; phone?: string | null; email?: string | null; lastInboundAt?: number | null } = {}): Promise<Contact> {
  const n = randomBytes(3).readUIntBE(0, 3) % 10_000_000;
  return new ContactRepository(db, tenantId).create({
    name: fields.name ?? 'عميل تجريبي',
    phone: fields.phone === undefined ? `+9665${String(n).padStart(8, '0')}` : fields.phone,
    email: fields.email === undefined ? `lead-${n}-${randomBytes(2).toString('hex')}@example.test` : fields.email,
    ...(fields.lastInboundAt !== undefined ? { lastInboundAt: fields.lastInboundAt } : {}),
  });
}

export function grant(db: Database, tenantId: string, contactId: string, channel: Channel, purpose: Purpose, at: number) {
  return new ConsentRepository(db, tenantId).grant(contactId, channel, purpose, { actor: 'test', source: 'web_form', evidence: EVIDENCE, at });
}

export function withdraw(db: Database, tenantId: string, contactId: string, channel: Channel, purpose: Purpose, at: number) {
  return new ConsentRepository(db, tenantId).withdraw(contactId, channel, purpose, { actor: 'test', at });
}

export interface OutboxRig {
  service: OutboxService;
  sandbox: RecordingProvider;
  providers: ProviderRegistry;
  box: SecretBox;
  credentials(tenantId: string): CredentialRepository;
}

/** An outbox whose sandbox records; `now` is read on every call. */
export function outboxRig(db: Database, now: () => Date): OutboxRig {
  const sandbox = new RecordingProvider();
  const providers = new ProviderRegistry(sandbox);
  const box = SecretBox.forCredentials(randomBytes(32));
  const credentials = (tenantId: string) => new CredentialRepository(db, box, tenantId);
  const service = new OutboxService({ db, providers, credentials, now, crashAt: null });
  return { service, sandbox, providers, box, credentials };
}

/** A step of an execution as the runtime names it (the outbox key). */
export function origin(tenantId: string, executionId = `x-${randomBytes(4).toString('hex')}`, seq = 1) {
  return { tenantId, executionId, flowId: 'f1', nodeId: 'send', stepId: `${executionId}:${seq}` };
}

/** A send policy open every day and hour (suites that are not about windows). */
export const ALWAYS_OPEN = {
  channels: {
    whatsapp: { respectBusinessHours: false, allowedHours: null },
    sms: { respectBusinessHours: false, allowedHours: null },
    email: { respectBusinessHours: false, allowedHours: null },
    call: { respectBusinessHours: false, allowedHours: null },
  },
  caps: { perContactPerDay: { whatsapp: null, sms: null, email: null, call: null }, perTenantPerDay: { whatsapp: null, sms: null, email: null, call: null } },
};

// The provider registry (credential type → provider, the sandbox as the default) and the
// sandbox provider itself (records, sends nothing, deterministic ids).
import { expect } from 'chai';
import { createProviderRegistry, ProviderRegistry } from '../../server/outbox/provider-registry.js';
import { SANDBOX_MEMORY, SandboxProvider } from '../../server/outbox/sandbox-provider.js';
import { RecordingProvider } from './outbox-fixtures.js';

describe('outbox provider registry and sandbox', () => {
  it('registers the sandbox and the real channel providers by credential type and channel', () => {
    const registry = createProviderRegistry();
    expect(registry.list().map((e) => e.provider.name)).to.deep.equal(['sandbox', 'ultramsg', 'twilio', 'whatsapp-cloud', 'unifonic', 'taqnyat', 'smtp']);
    expect(registry.credentialTypes('whatsapp')).to.deep.equal(['ultramsg', 'twilio', 'whatsapp-cloud']);
    expect(registry.credentialTypes('sms')).to.deep.equal(['twilio', 'unifonic', 'taqnyat']);
    expect(registry.credentialTypes('email')).to.deep.equal(['smtp']);
    expect(registry.forCredentialType('twilio', 'sms')?.provider.name).to.equal('twilio');
    expect(registry.forCredentialType('ultramsg', 'sms')).to.equal(undefined);
    expect(registry.forCredentialType('http-bearer', 'email')).to.equal(undefined);
    expect(registry.entry('ultramsg')!.account({ instanceId: 'instance9', token: 't' })).to.equal('instance9');
    expect(registry.entry('smtp')!.account({ host: 'smtp.example.test', user: 'u' })).to.equal('smtp.example.test:u');
    expect(registry.sandbox).to.be.instanceOf(SandboxProvider);
  });

  it('replaces a provider by name (tests swap the sandbox for a recorder)', () => {
    const registry = new ProviderRegistry();
    const recorder = new RecordingProvider();
    registry.register(recorder);
    expect(registry.sandbox).to.equal(recorder);
    expect(registry.entry('sandbox')!.provider).to.equal(recorder);
    const fakeTwilio = new RecordingProvider('twilio', ['sms'], 'twilio');
    registry.register(fakeTwilio).register(new RecordingProvider('twilio', ['sms'], 'twilio-2'));
    expect(registry.forCredentialType('twilio', 'sms')).to.equal(undefined);
    expect(registry.forCredentialType('twilio-2', 'sms')?.provider.name).to.equal('twilio');
  });

  it('the sandbox records instead of sending, with an id derived from the outbox id, and keeps a bounded memory', async () => {
    const sandbox = new SandboxProvider(() => 42);
    const answer = await sandbox.send({ channel: 'sms', to: '+966500000001', text: 'مرحبا', referenceId: 'm-1' }, {}, new AbortController().signal);
    expect(answer).to.deep.equal({ providerMessageId: 'sandbox-m-1', status: 'sent' });
    expect(sandbox.recorded()).to.deep.equal([{ message: { channel: 'sms', to: '+966500000001', text: 'مرحبا', referenceId: 'm-1' }, providerMessageId: 'sandbox-m-1', at: 42 }]);
    for (let i = 0; i < SANDBOX_MEMORY + 5; i++) await sandbox.send({ channel: 'email', to: 'a@b.test', subject: 's', text: 't', referenceId: `r${i}` }, {}, new AbortController().signal);
    expect(sandbox.recorded()).to.have.length(SANDBOX_MEMORY);
    expect(sandbox.recorded()[0]!.message.referenceId).to.equal('r5');
    const aborted = new AbortController();
    aborted.abort();
    const err = await sandbox.send({ channel: 'sms', to: '+966500000001', text: 'x', referenceId: 'm-2' }, {}, aborted.signal).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(Error);
  });
});

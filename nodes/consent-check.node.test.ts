import { expect } from 'chai';
import type { Outbox } from '../engine/index.js';
import { consentCheckNode } from './consent-check.node.js';
import { checkParams, failureOf, portOutput, runNode } from './testing/run-node.js';

/** Consent as a table: `${contact}:${channel}:${purpose}` → reason (absent: granted). */
function fakeOutbox(refusals: Record<string, string>): Outbox & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async send() {
      throw new Error('consent.check never sends');
    },
    async consent(_tenant, contactId, channel, purpose) {
      const key = `${contactId}:${channel}:${purpose}`;
      asked.push(key);
      const reason = refusals[key];
      return reason ? { ok: false, reason } : { ok: true };
    },
  };
}

describe('consent.check', () => {
  it('is a pure sales node with granted/missing ports, bilingual', () => {
    expect(consentCheckNode).to.include({ type: 'consent.check', category: 'sales', policyClass: 'A', sideEffects: false });
    expect((consentCheckNode.outputs as { port: string; label: { ar: string } }[]).map((p) => p.port)).to.deep.equal(['granted', 'missing']);
    expect(consentCheckNode.description.ar).to.match(/[\u0600-\u06FF]/);
  });

  it('validates channel and purpose', () => {
    expect(checkParams(consentCheckNode, { channel: 'whatsapp', purpose: 'marketing' })).to.deep.equal([]);
    expect(checkParams(consentCheckNode, { channel: 'call', purpose: 'service', contactId: '=$trigger.id' })).to.deep.equal([]);
    expect(checkParams(consentCheckNode, { channel: 'fax', purpose: 'marketing' }).map((e) => e.path)).to.include('/channel');
    expect(checkParams(consentCheckNode, { channel: 'sms' }).map((e) => e.path)).to.include('/purpose');
  });

  it('leaves by granted for the execution’s contact, passing the input on', async () => {
    const outbox = fakeOutbox({});
    const { result } = await runNode(consentCheckNode, { params: { channel: 'sms', purpose: 'service' }, input: { a: 1 }, subject: 'c1', outbox });
    expect(outbox.asked).to.deep.equal(['c1:sms:service']);
    expect(portOutput(result)).to.deep.equal({ port: 'granted', output: { granted: true, reason: null, contactId: 'c1', channel: 'sms', purpose: 'service', input: { a: 1 } } });
  });

  it('leaves by missing with the reason; contactId may come from an expression', async () => {
    const outbox = fakeOutbox({ 'c9:whatsapp:marketing': 'withdrawn' });
    const { result } = await runNode(consentCheckNode, { params: { channel: 'whatsapp', purpose: 'marketing', contactId: '=who' }, input: { who: 'c9' }, subject: 'c1', outbox });
    expect(portOutput(result)).to.deep.include({ port: 'missing' });
    expect(portOutput(result).output).to.deep.include({ granted: false, reason: 'withdrawn', contactId: 'c9' });
  });

  it('is missing (no_contact) when the execution has no contact, and fails without an outbox', async () => {
    const { result } = await runNode(consentCheckNode, { params: { channel: 'email', purpose: 'marketing' }, outbox: fakeOutbox({}) });
    expect(portOutput(result).output).to.deep.include({ granted: false, reason: 'no_contact', contactId: null });
    expect((await failureOf(runNode(consentCheckNode, { params: { channel: 'email', purpose: 'marketing' }, subject: 'c1' }))).code).to.equal('outbox_unavailable');
  });
});

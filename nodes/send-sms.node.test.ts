import { expect } from 'chai';
import type { Outbox, SendRequest, SendResult } from '../engine/index.js';
import { sendSmsNode } from './send-sms.node.js';
import { checkParams, failureOf, portOutput, runNode } from './testing/run-node.js';

function fakeOutbox(answer: (req: SendRequest) => SendResult): Outbox & { requests: SendRequest[] } {
  const requests: SendRequest[] = [];
  return {
    requests,
    async send(_origin, request) {
      requests.push(request);
      return answer(request);
    },
    async consent() {
      return { ok: true };
    },
  };
}

describe('send.sms', () => {
  it('is a Class B, side-effecting sales node sending with Twilio', () => {
    expect(sendSmsNode).to.include({ type: 'send.sms', category: 'sales', policyClass: 'B', sideEffects: true });
    expect(sendSmsNode.credentials).to.deep.equal(['unifonic', 'taqnyat', 'twilio']);
    expect((sendSmsNode.outputs as { port: string }[]).map((p) => p.port)).to.deep.equal(['sent', 'blocked', 'error']);
  });

  it('requires purpose and text; refuses unknown params', () => {
    expect(checkParams(sendSmsNode, { purpose: 'service' }).map((e) => e.path)).to.include('/text');
    expect(checkParams(sendSmsNode, { purpose: 'service', text: 'hi' })).to.deep.equal([]);
    expect(checkParams(sendSmsNode, { purpose: 'service', text: 'hi', html: '<b>' }).length).to.be.greaterThan(0);
  });

  it('sends an SMS for the execution’s contact and leaves by sent', async () => {
    const outbox = fakeOutbox((r) => ({ status: 'sent', messageId: 'm1', provider: 'twilio', providerMessageId: 'SM1', to: r.to ?? '+966500000002' }));
    const { result } = await runNode(sendSmsNode, { params: { purpose: 'transactional', text: '="رمزك " & code', credential: 'Twilio main' }, input: { code: '1234' }, subject: 'c7', outbox });
    expect(outbox.requests).to.deep.equal([{ channel: 'sms', purpose: 'transactional', text: 'رمزك 1234', credential: 'Twilio main', contactId: 'c7' }]);
    expect(portOutput(result).port).to.equal('sent');
    expect(portOutput(result).output).to.deep.include({ provider: 'twilio', providerMessageId: 'SM1', to: '+966500000002' });
  });

  it('routes blocked, and fails with consent_blocked when blocked is not connected', async () => {
    const outbox = fakeOutbox(() => ({ status: 'blocked', messageId: 'm2', reason: 'no_address' }));
    const { result } = await runNode(sendSmsNode, { params: { purpose: 'service', text: 'x' }, subject: 'c1', outbox });
    expect(portOutput(result)).to.deep.include({ port: 'blocked' });
    const err = await failureOf(runNode(sendSmsNode, { params: { purpose: 'service', text: 'x' }, subject: 'c1', outbox, connectedPorts: ['sent', 'error'] }));
    expect(err.code).to.equal('consent_blocked');
  });

  it('fails with the outbox’s code (send_uncertain is never retried)', async () => {
    const outbox = fakeOutbox(() => ({ status: 'failed', messageId: 'm3', code: 'send_uncertain', message: 'maybe sent' }));
    const err = await failureOf(runNode(sendSmsNode, { params: { purpose: 'service', text: 'x' }, subject: 'c1', outbox }));
    expect(err).to.include({ code: 'send_uncertain', retryable: false });
  });
});

import { expect } from 'chai';
import type { Outbox, SendRequest, SendResult } from '../engine/index.js';
import { sendEmailNode } from './send-email.node.js';
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

describe('send.email', () => {
  it('is a Class B, side-effecting sales node sending with SMTP', () => {
    expect(sendEmailNode).to.include({ type: 'send.email', category: 'sales', policyClass: 'B', sideEffects: true });
    expect(sendEmailNode.credentials).to.deep.equal(['smtp']);
  });

  it('needs a subject and text or html', () => {
    expect(checkParams(sendEmailNode, { purpose: 'marketing', text: 'x' }).map((e) => e.path)).to.include('/subject');
    expect(checkParams(sendEmailNode, { purpose: 'marketing', subject: 's' })).to.deep.equal([{ path: '/text', code: 'required', message: 'give text, html or both' }]);
    expect(checkParams(sendEmailNode, { purpose: 'marketing', subject: 's', html: '<p>x</p>' })).to.deep.equal([]);
  });

  it('sends subject, text and html to the contact (or the `to` override) and leaves by sent', async () => {
    const outbox = fakeOutbox((r) => ({ status: 'sent', messageId: 'm1', provider: 'smtp', providerMessageId: '<m1@x>', to: r.to ?? 'lead@example.test' }));
    const { result } = await runNode(sendEmailNode, {
      params: { purpose: 'marketing', subject: '="عرض " & company', text: 'نص', html: '<p>نص</p>', to: 'Other@Example.test' },
      input: { company: 'Acme' },
      subject: 'c3',
      outbox,
    });
    expect(outbox.requests).to.deep.equal([{ channel: 'email', purpose: 'marketing', subject: 'عرض Acme', text: 'نص', html: '<p>نص</p>', to: 'Other@Example.test', contactId: 'c3' }]);
    expect(portOutput(result)).to.deep.include({ port: 'sent' });
  });

  it('routes blocked and failures like the other send nodes', async () => {
    const blocked = fakeOutbox(() => ({ status: 'blocked', messageId: 'm2', reason: 'wrong_purpose' }));
    expect(portOutput((await runNode(sendEmailNode, { params: { purpose: 'marketing', subject: 's', text: 't' }, subject: 'c1', outbox: blocked })).result)).to.deep.include({
      port: 'blocked',
    });
    const failed = fakeOutbox(() => ({ status: 'failed', messageId: 'm3', code: 'auth_failed', message: 'refused' }));
    expect((await failureOf(runNode(sendEmailNode, { params: { purpose: 'marketing', subject: 's', text: 't' }, subject: 'c1', outbox: failed }))).code).to.equal('auth_failed');
  });

  it('passes attachments (stored document ids, from expressions) to the outbox', async () => {
    const outbox = fakeOutbox((r) => ({ status: 'sent', messageId: 'm4', provider: 'smtp', providerMessageId: '<m4@x>', to: r.to ?? 'lead@example.test' }));
    const nodes = { proposal: { port: 'out', output: { documentId: 'doc-7', filename: 'proposal-Q-7.pdf' } } };
    await runNode(sendEmailNode, { params: { purpose: 'transactional', subject: 's', text: 't', attachments: ['=$nodes.proposal.output.documentId', 'doc-8'] }, nodes, subject: 'c1', outbox });
    expect(outbox.requests[0]!.attachments).to.deep.equal(['doc-7', 'doc-8']);
    // The whole list as one expression.
    await runNode(sendEmailNode, { params: { purpose: 'transactional', subject: 's', text: 't', attachments: '=[$nodes.proposal.output.documentId]' }, nodes, subject: 'c1', outbox });
    expect(outbox.requests[1]!.attachments).to.deep.equal(['doc-7']);
    expect(checkParams(sendEmailNode, { purpose: 'marketing', subject: 's', text: 't', attachments: Array.from({ length: 11 }, (_, i) => `d${i}`) }).map((e) => e.path)).to.include('/attachments');
    // An expression that finds no document fails the step with the param's path, before anything is sent.
    const missing = await failureOf(runNode(sendEmailNode, { params: { purpose: 'transactional', subject: 's', text: 't', attachments: ['=$nodes.proposal.output.nothing'] }, nodes, subject: 'c1', outbox }));
    expect(missing.path ?? '').to.match(/^\/params\/attachments/);
    expect(outbox.requests).to.have.length(2);
  });
});

import { expect } from 'chai';
import type { Outbox, SendOrigin, SendRequest, SendResult } from '../engine/index.js';
import { sendWhatsappNode } from './send-whatsapp.node.js';
import { checkParams, failureOf, portOutput, runNode } from './testing/run-node.js';

/** An outbox that answers what the test says and remembers what it was asked. */
function fakeOutbox(answer: (req: SendRequest) => SendResult | Promise<SendResult>): Outbox & { calls: { origin: SendOrigin; request: SendRequest }[] } {
  const calls: { origin: SendOrigin; request: SendRequest }[] = [];
  return {
    calls,
    async send(origin, request) {
      calls.push({ origin, request });
      return answer(request);
    },
    async consent() {
      return { ok: true };
    },
  };
}

const sent = (req: SendRequest): SendResult => ({ status: 'sent', messageId: 'm1', provider: 'sandbox', providerMessageId: 'sandbox-m1', to: req.to ?? '+966500000001' });

describe('send.whatsapp', () => {
  it('is a Class B, side-effecting sales node with sent/blocked/error ports and WhatsApp credentials', () => {
    expect(sendWhatsappNode).to.include({ type: 'send.whatsapp', category: 'sales', policyClass: 'B', sideEffects: true });
    expect((sendWhatsappNode.outputs as { port: string }[]).map((p) => p.port)).to.deep.equal(['sent', 'blocked', 'error']);
    expect(sendWhatsappNode.credentials).to.deep.equal(['whatsapp-cloud', 'ultramsg', 'twilio']);
    expect(sendWhatsappNode.label.ar).to.match(/[\u0600-\u06FF]/);
  });

  it('needs a purpose and text or a template', () => {
    expect(checkParams(sendWhatsappNode, { text: 'hi' }).map((e) => e.path)).to.include('/purpose');
    expect(checkParams(sendWhatsappNode, { purpose: 'marketing' })).to.deep.equal([{ path: '/text', code: 'required', message: 'give text, a template or a document' }]);
    expect(checkParams(sendWhatsappNode, { purpose: 'marketing', text: 'hi' })).to.deep.equal([]);
    expect(checkParams(sendWhatsappNode, { purpose: 'marketing', template: { name: 'welcome' } })).to.deep.equal([]);
    expect(checkParams(sendWhatsappNode, { purpose: 'spam', text: 'hi' }).map((e) => e.path)).to.include('/purpose');
  });

  it('sends to the execution’s contact by default, with the rendered text, and leaves by sent', async () => {
    const outbox = fakeOutbox(sent);
    const { result } = await runNode(sendWhatsappNode, {
      params: { purpose: 'marketing', text: '="مرحبا " & name' },
      input: { name: 'سارة' },
      subject: 'contact-1',
      outbox,
    });
    expect(outbox.calls).to.have.length(1);
    expect(outbox.calls[0]!.request).to.deep.equal({ channel: 'whatsapp', purpose: 'marketing', text: 'مرحبا سارة', contactId: 'contact-1' });
    expect(outbox.calls[0]!.origin.stepId).to.equal('exec-test:1');
    const { port, output } = portOutput(result);
    expect(port).to.equal('sent');
    expect(output).to.deep.include({ messageId: 'm1', status: 'sent', provider: 'sandbox', contactId: 'contact-1', channel: 'whatsapp' });
  });

  it('passes the fallback template for a closed 24-hour window (variables rendered) and leaves by blocked when the outbox blocks', async () => {
    const outbox = fakeOutbox(() => ({ status: 'blocked', messageId: 'm4', reason: 'whatsapp_window_closed' }));
    const { result } = await runNode(sendWhatsappNode, {
      params: { purpose: 'marketing', text: 'مرحبا', fallbackTemplate: { name: 'follow_up', language: 'ar', variables: { '1': '=name' } } },
      input: { name: 'سارة' },
      subject: 'contact-1',
      outbox,
      connectedPorts: ['sent', 'blocked'],
    });
    expect(outbox.calls[0]!.request).to.deep.include({ text: 'مرحبا', fallbackTemplate: { name: 'follow_up', language: 'ar', variables: { '1': 'سارة' } } });
    expect(portOutput(result).port).to.equal('blocked');
    expect(checkParams(sendWhatsappNode, { purpose: 'marketing', text: 'x', fallbackTemplate: { name: 'a', extra: 1 } }).map((e) => e.path)).to.include('/fallbackTemplate/extra');
  });

  it('takes contactId, to, credential and a template from params (expressions allowed)', async () => {
    const outbox = fakeOutbox(sent);
    await runNode(sendWhatsappNode, {
      params: { purpose: 'service', template: { name: 'follow_up', language: 'ar', variables: { name: '=name' } }, contactId: '=cid', to: '+966511111111', credential: 'Main WhatsApp' },
      input: { name: 'نورة', cid: 'contact-9' },
      subject: 'contact-1',
      outbox,
    });
    expect(outbox.calls[0]!.request).to.deep.equal({
      channel: 'whatsapp',
      purpose: 'service',
      template: { name: 'follow_up', language: 'ar', variables: { name: 'نورة' } },
      to: '+966511111111',
      credential: 'Main WhatsApp',
      contactId: 'contact-9',
    });
  });

  it('leaves by blocked when the outbox refuses and the port is connected', async () => {
    const outbox = fakeOutbox(() => ({ status: 'blocked', messageId: 'm2', reason: 'withdrawn' }));
    const { result } = await runNode(sendWhatsappNode, { params: { purpose: 'marketing', text: 'x' }, subject: 'c1', outbox, connectedPorts: ['sent', 'blocked'] });
    expect(portOutput(result)).to.deep.equal({ port: 'blocked', output: { messageId: 'm2', channel: 'whatsapp', purpose: 'marketing', contactId: 'c1', status: 'blocked', reason: 'withdrawn' } });
  });

  it('fails the step with consent_blocked when nothing is connected to blocked', async () => {
    const outbox = fakeOutbox(() => ({ status: 'blocked', messageId: 'm2', reason: 'missing' }));
    const err = await failureOf(runNode(sendWhatsappNode, { params: { purpose: 'marketing', text: 'x' }, subject: 'c1', outbox, connectedPorts: ['sent'] }));
    expect(err.code).to.equal('consent_blocked');
    expect(err.retryable).to.equal(false);
    expect(err.message).to.contain('missing');
  });

  it('turns a failed send into a failure with its code; retryable only when the outbox says so', async () => {
    let err = await failureOf(
      runNode(sendWhatsappNode, { params: { purpose: 'marketing', text: 'x' }, subject: 'c1', outbox: fakeOutbox(() => ({ status: 'failed', messageId: 'm3', code: 'whatsapp_session_closed', message: 'closed' })) }),
    );
    expect(err).to.include({ code: 'whatsapp_session_closed', retryable: false });
    err = await failureOf(
      runNode(sendWhatsappNode, { params: { purpose: 'marketing', text: 'x' }, subject: 'c1', outbox: fakeOutbox(() => ({ status: 'failed', messageId: 'm3', code: 'rate_limited', message: 'slow', retryable: true })) }),
    );
    expect(err).to.include({ code: 'rate_limited', retryable: true });
  });

  it('fails without a contact, and without an outbox', async () => {
    expect((await failureOf(runNode(sendWhatsappNode, { params: { purpose: 'marketing', text: 'x' }, outbox: fakeOutbox(sent) }))).code).to.equal('no_contact');
    expect((await failureOf(runNode(sendWhatsappNode, { params: { purpose: 'marketing', text: 'x' }, subject: 'c1' }))).code).to.equal('outbox_unavailable');
  });

  it('lets a deferral through untouched (the runtime re-runs the step later)', async () => {
    const deferral = Object.assign(new Error('deferred'), { code: 'send_deferred' });
    const outbox = fakeOutbox(() => {
      throw deferral;
    });
    const thrown = await runNode(sendWhatsappNode, { params: { purpose: 'marketing', text: 'x' }, subject: 'c1', outbox }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(thrown).to.equal(deferral);
  });

  it('sends a stored document with its caption (document param), alone or with a template', async () => {
    const outbox = fakeOutbox(sent);
    const nodes = { proposal: { port: 'out', output: { documentId: 'doc-7' } } };
    expect(checkParams(sendWhatsappNode, { purpose: 'transactional', document: { documentId: 'doc-7' } })).to.deep.equal([]);
    expect(checkParams(sendWhatsappNode, { purpose: 'transactional' })).to.deep.equal([{ path: '/text', code: 'required', message: 'give text, a template or a document' }]);
    await runNode(sendWhatsappNode, { params: { purpose: 'transactional', document: { documentId: '=$nodes.proposal.output.documentId', caption: '="عرض السعر " & number' } }, input: { number: 'Q-7' }, nodes, subject: 'c1', outbox });
    expect(outbox.calls[0]!.request).to.deep.include({ channel: 'whatsapp', attachments: ['doc-7'], text: 'عرض السعر Q-7' });
    await runNode(sendWhatsappNode, { params: { purpose: 'transactional', text: 'مرفق العرض', template: { name: 'proposal_ready' }, document: { documentId: 'doc-7' } }, nodes, subject: 'c1', outbox });
    expect(outbox.calls[1]!.request).to.deep.include({ attachments: ['doc-7'], text: 'مرفق العرض', template: { name: 'proposal_ready', language: 'ar' } });
  });
});

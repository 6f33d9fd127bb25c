import { expect } from 'chai';
import { replyClassifyNode } from './reply-classify.node.js';
import { portOutput, runNode } from './testing/run-node.js';

/** Wednesday 2026-03-04 10:00 in Riyadh. */
const NOW = new Date('2026-03-04T07:00:00.000Z');

describe('reply.classify', () => {
  it('has a port per reply class', () => {
    expect((replyClassifyNode.outputs as { port: string }[]).map((p) => p.port)).to.deep.equal(['interested', 'not_now', 'out_of_office', 'wrong_person', 'unsubscribe', 'question', 'other']);
  });

  it('reply.classify routes by class without a provider, and uses the class stored with the received message', async () => {
    const { result } = await runNode(replyClassifyNode, { input: { body: 'في إجازة حتى ١٥/٣', channel: 'whatsapp' }, now: NOW });
    expect(portOutput(result).port).to.equal('out_of_office');
    expect(portOutput(result).output).to.deep.include({ returnDate: '2026-03-15', returnAt: '2026-03-15T06:00:00.000Z', by: 'rules' });
    const stored = await runNode(replyClassifyNode, { input: { body: 'whatever', replyClass: 'wrong_person', returnDate: null }, now: NOW });
    expect(portOutput(stored.result)).to.deep.include({ port: 'wrong_person' });
    expect(portOutput(stored.result).output).to.deep.include({ by: 'stored' });
    const explicit = await runNode(replyClassifyNode, { params: { text: 'unsubscribe' }, input: { replyClass: 'interested' }, now: NOW });
    expect(portOutput(explicit.result).port).to.equal('unsubscribe');
  });
});

// "Did you mean …?" for a mistyped node type: the suggestion in validation messages.
import { expect } from 'chai';
import { closestName, editDistance } from '../../engine/flow/closest-name.js';
import { validateFlow } from '../../engine/index.js';
import { createRegistry } from '../../nodes/registry.js';

describe('engine: closest node type for a typo', () => {
  const registry = createRegistry();
  const types = registry.list().map((t) => t.type);

  it('measures edit distance', () => {
    expect(editDistance('kitten', 'sitting')).to.equal(3);
    expect(editDistance('', 'abc')).to.equal(3);
    expect(editDistance('send.sms', 'send.sms')).to.equal(0);
  });

  it('suggests the registered type nearest a typo, and nothing for an unrelated word', () => {
    expect(closestName('send.whatsap', types)).to.equal('send.whatsapp');
    expect(closestName('sned.whatsapp', types)).to.equal('send.whatsapp');
    expect(closestName('Logic.If', types)).to.equal('logic.if');
    expect(closestName('trigger.webhok', types)).to.equal('trigger.webhook');
    expect(closestName('billing.invoice', types)).to.equal(undefined);
  });

  it('validation says "did you mean" in the unknown_node_type message', () => {
    const result = validateFlow(
      {
        schemaVersion: 1,
        name: 'typo',
        nodes: [
          { id: 'start', type: 'trigger.manual' },
          { id: 'say', type: 'send.whatsap', params: { purpose: 'marketing', text: 'hi' } },
        ],
        edges: [{ id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'say', port: 'in' } }],
      },
      registry,
    );
    expect(result.ok).to.equal(false);
    const error = result.errors.find((e) => e.code === 'unknown_node_type');
    expect(error).to.include({ path: '/nodes/1/type' });
    expect(error!.message).to.equal('unknown node type "send.whatsap"; did you mean "send.whatsapp"?');
  });
});

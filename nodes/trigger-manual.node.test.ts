import { expect } from 'chai';
import { triggerManualNode } from './trigger-manual.node.js';
import { checkParams, portOutput, runNode, validateParams } from './testing/run-node.js';

describe('trigger.manual', () => {
  it('is a trigger with one "out" port and labels in both languages', () => {
    expect(triggerManualNode.type).to.equal('trigger.manual');
    expect(triggerManualNode.trigger).to.equal(true);
    expect(triggerManualNode.outputs).to.deep.equal([{ port: 'out', label: { en: 'Output', ar: 'المخرج' } }]);
    expect(triggerManualNode.label.ar).to.match(/[\u0600-\u06FF]/);
    expect(triggerManualNode.description.ar).to.match(/[\u0600-\u06FF]/);
  });

  it('accepts empty params and refuses unknown ones', () => {
    expect(validateParams(triggerManualNode, {})).to.deep.equal({ ok: true, params: {} });
    expect(checkParams(triggerManualNode, { foo: 1 })).to.deep.equal([{ path: '/foo', code: 'unknown_property', message: 'unknown property "foo"' }]);
  });

  it('outputs the input payload on "out"', async () => {
    const input = { contact: { name: 'سارة', phone: '+966500000000' } };
    const { result } = await runNode(triggerManualNode, { input });
    expect(portOutput(result)).to.deep.equal({ port: 'out', output: input });
  });
});

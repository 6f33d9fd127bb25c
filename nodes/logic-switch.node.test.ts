import { expect } from 'chai';
import { portsOf } from '../engine/index.js';
import { logicSwitchNode } from './logic-switch.node.js';
import { checkParams, portOutput, runNode } from './testing/run-node.js';

const cases = [
  { port: 'hot', condition: '=score >= 80' },
  { port: 'warm', condition: '=score >= 50' },
];

describe('logic.switch', () => {
  it('offers each case port plus "default"', () => {
    const ports = portsOf(logicSwitchNode, { cases }).map((p) => p.port);
    expect(ports).to.deep.equal(['hot', 'warm', 'default']);
    expect(portsOf(logicSwitchNode, {}).map((p) => p.port)).to.deep.equal(['default']);
  });

  it('requires at least one case', () => {
    expect(checkParams(logicSwitchNode, {})[0]).to.include({ path: '/cases', code: 'required' });
    expect(checkParams(logicSwitchNode, { cases: [] })[0]?.path).to.equal('/cases');
    expect(checkParams(logicSwitchNode, { cases })).to.deep.equal([]);
  });

  it('check() refuses duplicate, reserved and malformed ports and non-boolean literal conditions', () => {
    const errors = logicSwitchNode.check!({
      cases: [
        { port: 'hot', condition: true },
        { port: 'hot', condition: '=x' },
        { port: 'default', condition: true },
        { port: 'error', condition: true },
        { port: 'Bad Port', condition: true },
        { port: 'cold', condition: 'yes' },
      ],
    });
    expect(errors.map((e) => [e.path, e.code])).to.deep.equal([
      ['/cases/1/port', 'duplicate_port'],
      ['/cases/2/port', 'reserved_port'],
      ['/cases/3/port', 'reserved_port'],
      ['/cases/4/port', 'invalid_port'],
      ['/cases/5/condition', 'invalid_value'],
    ]);
  });

  it('the schema refuses malformed port names too', () => {
    expect(checkParams(logicSwitchNode, { cases: [{ port: '9lives', condition: true }] })[0]?.path).to.equal('/cases/0/port');
  });

  it('leaves by the first truthy case, else by "default"; output is the input', async () => {
    const expectations: [number, string][] = [
      [95, 'hot'],
      [60, 'warm'],
      [10, 'default'],
    ];
    for (const [score, port] of expectations) {
      const input = { score };
      const { result } = await runNode(logicSwitchNode, { params: { cases }, input });
      expect(portOutput(result)).to.deep.equal({ port, output: input });
    }
  });

  it('uses the same truthiness as logic.if', async () => {
    const params = {
      cases: [
        { port: 'a', condition: '=[]' },
        { port: 'b', condition: '=""' },
        { port: 'c', condition: '=tags' },
      ],
    };
    const { result } = await runNode(logicSwitchNode, { params, input: { tags: ['vip'] } });
    expect(portOutput(result).port).to.equal('c');
  });
});

import { expect } from 'chai';
import { logicIfNode } from './logic-if.node.js';
import { isTruthy } from './shared/values.js';
import { checkParams, portOutput, runNode } from './testing/run-node.js';

describe('logic.if', () => {
  it('has "true" and "false" ports', () => {
    expect((logicIfNode.outputs as { port: string }[]).map((p) => p.port)).to.deep.equal(['true', 'false']);
  });

  it('requires a condition that is a boolean or an expression', () => {
    expect(checkParams(logicIfNode, {})).to.deep.equal([{ path: '/condition', code: 'required', message: 'condition is required' }]);
    for (const condition of [true, false, '=score > 50']) expect(checkParams(logicIfNode, { condition })).to.deep.equal([]);
    for (const condition of ['yes', 1, null, { a: 1 }]) {
      expect(checkParams(logicIfNode, { condition }), JSON.stringify(condition)).to.deep.equal([
        { path: '/condition', code: 'invalid_value', message: 'condition must be true, false or an expression starting with "="' },
      ]);
    }
  });

  it('applies the truthiness rules', () => {
    for (const v of [false, null, undefined, 0, NaN, '', [], {}]) expect(isTruthy(v), String(v)).to.equal(false);
    for (const v of [true, 1, -1, 'x', 'false', '0', [0], { a: null }]) expect(isTruthy(v), JSON.stringify(v)).to.equal(true);
  });

  it('routes by a resolved value and outputs the input unchanged', async () => {
    const input = { score: 80 };
    const cases: [unknown, string][] = [
      [true, 'true'],
      [false, 'false'],
      ['=score > 50', 'true'],
      ['=score > 90', 'false'],
      ['=missing', 'false'],
      ['=[]', 'false'],
      ['="hot"', 'true'],
      ['=0', 'false'],
    ];
    for (const [condition, port] of cases) {
      const { result } = await runNode(logicIfNode, { params: { condition }, input });
      expect(portOutput(result), String(condition)).to.deep.equal({ port, output: input });
    }
  });
});

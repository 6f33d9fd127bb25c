import { expect } from 'chai';
import { dataSetNode, setFields } from './data-set.node.js';
import { checkParams, failureOf, portOutput, runNode, validateParams } from './testing/run-node.js';

describe('data.set', () => {
  it('defaults keepInput to true and requires fields', () => {
    expect(validateParams(dataSetNode, { fields: {} })).to.deep.equal({ ok: true, params: { fields: {}, keepInput: true } });
    expect(checkParams(dataSetNode, {})[0]).to.include({ path: '/fields', code: 'required' });
  });

  it('merges fields into the input', async () => {
    const input = { name: 'Ahmed', score: 10 };
    const { result } = await runNode(dataSetNode, { params: { fields: { score: '=score + 5', stage: 'qualified' } }, input });
    expect(portOutput(result)).to.deep.equal({ port: 'out', output: { name: 'Ahmed', score: 15, stage: 'qualified' } });
  });

  it('starts from an empty object when keepInput is false or the input is not an object', async () => {
    const fields = { a: 1 };
    for (const [input, keepInput] of [
      [{ b: 2 }, false],
      [[1, 2], true],
      ['text', true],
      [null, true],
    ] as const) {
      const { result } = await runNode(dataSetNode, { params: { fields, keepInput }, input });
      expect(portOutput(result).output, JSON.stringify(input)).to.deep.equal({ a: 1 });
    }
  });

  it('sets nested paths, merging into existing objects without mutating the input', async () => {
    const input = { lead: { name: 'Noura', tags: ['a'] }, other: { x: 1 } };
    const snapshot = structuredClone(input);
    const { result } = await runNode(dataSetNode, {
      params: { fields: { 'lead.tier': 'A', 'lead.score.value': 90, 'lead.score.source': 'ai', 'meta.by': 'flow' } },
      input,
    });
    const output = portOutput(result).output as typeof input & { lead: Record<string, unknown> };
    expect(output).to.deep.equal({
      lead: { name: 'Noura', tags: ['a'], tier: 'A', score: { value: 90, source: 'ai' } },
      other: { x: 1 },
      meta: { by: 'flow' },
    });
    expect(input).to.deep.equal(snapshot);
    expect(output.lead).to.not.equal(input.lead);
    expect(output.other).to.equal(input.other);
  });

  it('replaces non-object values along a path and never mutates values from params', () => {
    const value = { a: 1 };
    const fields = { obj: value, 'obj.b': 2, 'n.x': 1 };
    const out = setFields({ n: 5 }, fields);
    expect(out).to.deep.equal({ obj: { a: 1, b: 2 }, n: { x: 1 } });
    expect(value).to.deep.equal({ a: 1 });
  });

  it('refuses prototype pollution (__proto__, prototype, constructor) with a non-retryable invalid_field', async () => {
    const attempts: Record<string, unknown>[] = [
      JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>,
      { '__proto__.polluted': true },
      { 'a.__proto__.polluted': true },
      { 'constructor.prototype.polluted': true },
      { constructor: 1 },
      { 'x.prototype': 1 },
    ];
    for (const fields of attempts) {
      const failure = await failureOf(runNode(dataSetNode, { params: { fields }, input: { a: {} } }));
      expect(failure.code, JSON.stringify(Object.keys(fields))).to.equal('invalid_field');
      expect(failure.retryable).to.equal(false);
      expect(failure.path).to.match(/^\/params\/fields\//);
    }
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    expect((Object.prototype as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('check() reports forbidden and empty path segments', () => {
    const fields = JSON.parse('{"__proto__": 1, "a..b": 2, "ok.path": 3, "constructor": 4}') as Record<string, unknown>;
    expect(checkParams(dataSetNode, { fields }).map((e) => [e.path, e.code])).to.deep.equal([
      ['/fields/__proto__', 'invalid_field'],
      ['/fields/a..b', 'invalid_field'],
      ['/fields/constructor', 'invalid_field'],
    ]);
  });
});

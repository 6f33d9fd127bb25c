import { expect } from 'chai';
import { MAX_DELAY_SECONDS, timeDelayNode } from './time-delay.node.js';
import { checkParams, failureOf, FIXED_NOW, runNode } from './testing/run-node.js';

const input = { lead: 7 };

describe('time.delay', () => {
  it('has no defaults and needs exactly one of seconds or until', () => {
    const oneOf = [{ path: '', code: 'invalid_value', message: 'give exactly one of "seconds" or "until"' }];
    expect(checkParams(timeDelayNode, {})).to.deep.equal(oneOf);
    expect(checkParams(timeDelayNode, { seconds: 5, until: '2026-03-02T00:00:00Z' })).to.deep.equal(oneOf);
    expect(checkParams(timeDelayNode, { seconds: 5 })).to.deep.equal([]);
    expect(checkParams(timeDelayNode, { until: '2026-03-02T00:00:00+03:00' })).to.deep.equal([]);
    expect(checkParams(timeDelayNode, { seconds: '=$vars.wait' })).to.deep.equal([]);
  });

  it('bounds seconds to 0..366 days and wants a date-time for until', () => {
    expect(checkParams(timeDelayNode, { seconds: -1 })[0]?.path).to.equal('/seconds');
    expect(checkParams(timeDelayNode, { seconds: MAX_DELAY_SECONDS + 1 })[0]?.path).to.equal('/seconds');
    expect(checkParams(timeDelayNode, { seconds: MAX_DELAY_SECONDS })).to.deep.equal([]);
    expect(checkParams(timeDelayNode, { until: 'tomorrow' })[0]?.path).to.equal('/until');
  });

  it('waits `seconds` from ctx.now() and resumes on "out" with the input', async () => {
    const { result } = await runNode(timeDelayNode, { params: { seconds: 90 }, input });
    expect(result).to.deep.equal({
      wait: { until: new Date(FIXED_NOW.getTime() + 90_000).toISOString(), resume: { port: 'out', output: input } },
    });
  });

  it('waits until a date-time (any offset), returned in UTC', async () => {
    const { result } = await runNode(timeDelayNode, { params: { until: '2026-03-02T09:00:00+03:00' }, input });
    expect(result).to.deep.equal({ wait: { until: '2026-03-02T06:00:00.000Z', resume: { port: 'out', output: input } } });
  });

  it('accepts expressions', async () => {
    const { result } = await runNode(timeDelayNode, { params: { seconds: '=wait * 60' }, input: { wait: 2 } });
    expect('wait' in result && result.wait).to.deep.include({ until: '2026-03-01T09:02:00.000Z' });
  });

  it('continues at once, without suspending, when until is in the past or seconds is 0', async () => {
    expect((await runNode(timeDelayNode, { params: { until: '2020-01-01T00:00:00Z' }, input })).result).to.deep.equal({ port: 'out', output: input });
    expect((await runNode(timeDelayNode, { params: { until: FIXED_NOW.toISOString() }, input })).result).to.deep.equal({ port: 'out', output: input });
    expect((await runNode(timeDelayNode, { params: { seconds: 0 }, input })).result).to.deep.equal({ port: 'out', output: input });
  });

  it('fails without retry when both or neither are given at run time', async () => {
    const failure = await failureOf(runNode(timeDelayNode, { params: {}, input }));
    expect(failure.code).to.equal('invalid_params');
    expect(failure.retryable).to.equal(false);
  });
});

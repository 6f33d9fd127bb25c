import { expect } from 'chai';
import { nextFireTimes, triggerScheduleNode } from './trigger-schedule.node.js';
import { checkParams, portOutput, runNode, validateParams } from './testing/run-node.js';

describe('trigger.schedule', () => {
  it('defaults the time zone to Asia/Riyadh', () => {
    expect(validateParams(triggerScheduleNode, { cron: '0 9 * * 0-4' })).to.deep.equal({
      ok: true,
      params: { cron: '0 9 * * 0-4', timezone: 'Asia/Riyadh' },
    });
  });

  it('accepts valid expressions and time zones', () => {
    for (const cron of ['0 9 * * 0-4', '*/15 * * * *', '0 0 1 * *', '@daily', '30 0 9 * * *']) {
      expect(checkParams(triggerScheduleNode, { cron }), cron).to.deep.equal([]);
    }
    expect(checkParams(triggerScheduleNode, { cron: '0 9 * * *', timezone: 'Europe/London' })).to.deep.equal([]);
  });

  it('reports an invalid cron expression at /cron', () => {
    for (const cron of ['61 * * * *', 'not a cron', '* * * * * * *', '*/0 * * * *', '   ']) {
      const errors = checkParams(triggerScheduleNode, { cron });
      expect(errors, cron).to.have.length(1);
      expect(errors[0]).to.include({ path: '/cron', code: 'invalid_cron' });
    }
    expect(checkParams(triggerScheduleNode, { cron: '' })[0]?.path).to.equal('/cron');
  });

  it('reports an unknown time zone at /timezone', () => {
    const errors = checkParams(triggerScheduleNode, { cron: '0 9 * * *', timezone: 'Mars/Olympus' });
    expect(errors).to.have.length(1);
    expect(errors[0]).to.include({ path: '/timezone', code: 'invalid_timezone' });
    const both = checkParams(triggerScheduleNode, { cron: 'nope', timezone: 'Mars/Olympus' }).map((e) => e.code);
    expect(both).to.have.members(['invalid_timezone', 'invalid_cron']);
  });

  it('nextFireTimes reads the expression in the time zone and returns UTC instants after `from`', () => {
    // 09:00 Sun–Thu in Riyadh (UTC+3) is 06:00 UTC. 2026-03-05 is a Thursday.
    const from = new Date('2026-03-05T06:00:00.000Z');
    const times = nextFireTimes('0 9 * * 0-4', 'Asia/Riyadh', from, 3).map((d) => d.toISOString());
    expect(times).to.deep.equal(['2026-03-08T06:00:00.000Z', '2026-03-09T06:00:00.000Z', '2026-03-10T06:00:00.000Z']);
    expect(nextFireTimes('0 9 * * *', 'UTC', from, 1).map((d) => d.toISOString())).to.deep.equal(['2026-03-05T09:00:00.000Z']);
    expect(nextFireTimes('0 9 * * *', 'UTC', from, 0)).to.deep.equal([]);
  });

  it('nextFireTimes throws on bad input', () => {
    expect(() => nextFireTimes('nope', 'Asia/Riyadh', new Date(), 1)).to.throw(/invalid cron/);
    expect(() => nextFireTimes('0 9 * * *', 'Mars/Olympus', new Date(), 1)).to.throw(/time zone/);
    expect(() => nextFireTimes('0 9 * * *', 'UTC', new Date(), -1)).to.throw(RangeError);
  });

  it('outputs the scheduler payload on "out"', async () => {
    const input = { firedAt: '2026-03-01T06:00:00.000Z' };
    const { result } = await runNode(triggerScheduleNode, { params: { cron: '0 9 * * *' }, input });
    expect(portOutput(result)).to.deep.equal({ port: 'out', output: input });
  });
});

import { expect } from 'chai';
import type { Advance, Command, ExecutionState, Flow, StepError, StepperEvent } from '../../engine/index.js';
import { advance, backoffMs, externalFailureCode, initialState, pendingRuns } from '../../engine/index.js';
import { deepFreeze } from '../helpers/deep-freeze.js';
import { chain, flowOf, valid } from '../helpers/flow-builder.js';

const EXEC = 'exec-1';
const T0 = Date.parse('2025-01-05T06:00:00.000Z');
/** ISO time `s` seconds after T0. */
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const plusMs = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();

/**
 * advance() with its inputs deep-frozen, so any mutation of the state, the flow or the event
 * throws. Also checks that the result does not share the (frozen) input state object unless
 * nothing happened.
 */
function step(flow: Flow, state: ExecutionState, event: StepperEvent): Advance {
  deepFreeze(state);
  deepFreeze(flow);
  deepFreeze(event);
  const before = structuredClone(state);
  const result = advance(flow, state, event);
  expect(state, 'advance must not mutate its input state').to.deep.equal(before);
  return result;
}

function start(flow: Flow, payload: unknown = { lead: 'L1' }, trigger = 'n1'): Advance {
  return step(flow, initialState(EXEC, at(0)), { type: 'start', trigger, payload, at: at(0) });
}

const ok = (seq: number, port: string, output: unknown, t = seq + 1): StepperEvent => ({ type: 'stepSucceeded', seq, port, output, startedAt: at(t), at: at(t) });
const failed = (seq: number, error: StepError, t = seq + 1): StepperEvent => ({ type: 'stepFailed', seq, error, startedAt: at(t), at: at(t) });
const boom: StepError = { code: externalFailureCode('boom'), message: 'it broke', retryable: true };

/** Apply events in order, returning the last result. */
function run(flow: Flow, events: StepperEvent[], from?: Advance): Advance {
  let result = from ?? start(flow);
  for (const e of events) result = step(flow, result.state, e);
  return result;
}

type RunCommand = Extract<Command, { type: 'run' }>;
const runsOf = (commands: Command[]): RunCommand[] => commands.filter((c): c is RunCommand => c.type === 'run');

function expectNoOp(flow: Flow, state: ExecutionState, event: StepperEvent): void {
  const result = step(flow, state, event);
  expect(result.state, `${event.type} should be a no-op`).to.equal(state);
  expect(result.commands).to.deep.equal([]);
  expect(result.steps).to.deep.equal([]);
}

describe('stepper', () => {
  describe('initialState', () => {
    it('is queued with nothing run yet', () => {
      expect(initialState('x', at(0))).to.deep.equal({
        executionId: 'x',
        status: 'queued',
        nextSeq: 0,
        trigger: null,
        nodes: {},
        tokens: [],
        output: null,
        error: null,
        startedAt: at(0),
        finishedAt: null,
      });
    });
  });

  describe('start', () => {
    it('emits a run of the trigger with stepId `${execId}:0`', () => {
      const flow = valid(chain('t.trigger', 't.pass'));
      const { state, commands, steps } = start(flow, { phone: '+966500000000' });
      expect(commands).to.deep.equal([{ type: 'run', seq: 0, stepId: 'exec-1:0', node: 'n1', input: { phone: '+966500000000' }, attempt: 1 }]);
      expect(steps).to.deep.equal([]);
      expect(state).to.deep.include({ status: 'running', nextSeq: 1, trigger: { phone: '+966500000000' }, startedAt: at(0) });
      expect(state.tokens).to.deep.equal([{ seq: 0, node: 'n1', input: { phone: '+966500000000' }, attempt: 1, status: 'ready' }]);
    });

    it('starts from the trigger that fired when there are several', () => {
      const flow = valid(flowOf({ a: 't.trigger', b: 't.trigger', c: 't.pass' }, ['a -> c', 'b -> c']));
      const { commands } = start(flow, 1, 'b');
      expect(commands).to.deep.equal([{ type: 'run', seq: 0, stepId: 'exec-1:0', node: 'b', input: 1, attempt: 1 }]);
    });

    it('is a no-op when delivered again', () => {
      const flow = valid(chain('t.trigger'));
      const first = start(flow);
      expectNoOp(flow, first.state, { type: 'start', trigger: 'n1', payload: 'again', at: at(5) });
    });
  });

  describe('success', () => {
    it('records the output and activates successors in edge order with increasing seq', () => {
      const flow = valid(flowOf({ n1: 't.trigger', n2: 't.pass', n3: 't.pass', n4: 't.pass' }, ['n1 -> n4', 'n1 -> n2', 'n1 -> n3']));
      const { state, commands, steps } = run(flow, [ok(0, 'out', { v: 1 })]);
      expect(commands).to.deep.equal([
        { type: 'run', seq: 1, stepId: 'exec-1:1', node: 'n4', input: { v: 1 }, attempt: 1 },
        { type: 'run', seq: 2, stepId: 'exec-1:2', node: 'n2', input: { v: 1 }, attempt: 1 },
        { type: 'run', seq: 3, stepId: 'exec-1:3', node: 'n3', input: { v: 1 }, attempt: 1 },
      ]);
      expect(state.nextSeq).to.equal(4);
      expect(state.nodes).to.deep.equal({ n1: { output: { v: 1 }, port: 'out' } });
      expect(state.tokens.map((t) => [t.seq, t.node, t.status])).to.deep.equal([
        [1, 'n4', 'ready'],
        [2, 'n2', 'ready'],
        [3, 'n3', 'ready'],
      ]);
      expect(state.status).to.equal('running');
      expect(steps).to.deep.equal([
        {
          id: 'exec-1:0',
          executionId: EXEC,
          seq: 0,
          node: 'n1',
          nodeType: 't.trigger',
          attempt: 1,
          status: 'succeeded',
          port: 'out',
          input: { lead: 'L1' },
          output: { v: 1 },
          error: null,
          logs: [],
          startedAt: at(1),
          finishedAt: at(1),
        },
      ]);
    });

    it('follows only the edges of the port taken', () => {
      const flow = valid(flowOf({ n1: 't.trigger', n2: 't.branch', n3: 't.pass', n4: 't.pass', n5: 't.pass' }, ['n1 -> n2', 'n2:a -> n3', 'n2:b -> n4', 'n2:a -> n5']));
      const viaA = run(flow, [ok(0, 'out', 'x'), ok(1, 'a', 'y')]);
      expect(runsOf(viaA.commands).map((c) => c.node)).to.deep.equal(['n3', 'n5']);
      const viaB = run(flow, [ok(0, 'out', 'x'), ok(1, 'b', 'y')]);
      expect(runsOf(viaB.commands).map((c) => [c.node, c.seq])).to.deep.equal([['n4', 2]]);
    });

    it('activates a fan-in node once per arriving edge', () => {
      const flow = valid(flowOf({ n1: 't.trigger', n2: 't.pass', n3: 't.pass', n4: 't.pass' }, ['n1 -> n2', 'n1 -> n3', 'n2 -> n4', 'n3 -> n4']));
      const r = run(flow, [ok(0, 'out', 0), ok(1, 'out', 'from n2'), ok(2, 'out', 'from n3')]);
      expect(r.state.tokens.map((t) => [t.seq, t.node, t.input])).to.deep.equal([
        [3, 'n4', 'from n2'],
        [4, 'n4', 'from n3'],
      ]);
    });

    it('makes the output of a leaf the execution output, and finishes when no tokens are left', () => {
      const flow = valid(chain('t.trigger', 't.pass'));
      const mid = run(flow, [ok(0, 'out', 'a')]);
      expect(mid.state.status).to.equal('running');
      expect(mid.state.output).to.equal(null);
      const end = step(flow, mid.state, ok(1, 'out', { done: 'نعم' }, 7));
      expect(end.state).to.deep.include({ status: 'succeeded', output: { done: 'نعم' }, error: null, finishedAt: at(7), tokens: [] });
      expect(end.commands).to.deep.equal([{ type: 'finish', status: 'succeeded', output: { done: 'نعم' }, error: null }]);
    });

    it('treats a port with no edges as a leaf', () => {
      const flow = valid(flowOf({ n1: 't.trigger', n2: 't.branch', n3: 't.pass' }, ['n1 -> n2', 'n2:a -> n3']));
      const end = run(flow, [ok(0, 'out', 1), ok(1, 'b', 'left by b')]);
      expect(end.state.status).to.equal('succeeded');
      expect(end.state.output).to.equal('left by b');
    });

    it('waits for every branch before finishing; the last leaf gives the output', () => {
      const flow = valid(flowOf({ n1: 't.trigger', n2: 't.pass', n3: 't.pass' }, ['n1 -> n2', 'n1 -> n3']));
      const one = run(flow, [ok(0, 'out', 0), ok(2, 'out', 'n3 done')]);
      expect(one.state.status).to.equal('running');
      expect(one.state.output).to.equal('n3 done');
      const two = step(flow, one.state, ok(1, 'out', 'n2 done'));
      expect(two.state.status).to.equal('succeeded');
      expect(two.state.output).to.equal('n2 done');
    });

    it('succeeds a trigger-only flow after one step', () => {
      const flow = valid(chain('t.trigger'));
      const end = run(flow, [ok(0, 'out', { x: 1 })]);
      expect(end.state.status).to.equal('succeeded');
      expect(end.commands).to.deep.equal([{ type: 'finish', status: 'succeeded', output: { x: 1 }, error: null }]);
    });
  });

  describe('stepStarted', () => {
    it('marks a ready token running, keeps the first start time, and is idempotent', () => {
      const flow = valid(chain('t.trigger', 't.pass'));
      const started = step(flow, start(flow).state, { type: 'stepStarted', seq: 0, at: at(3) });
      expect(started.commands).to.deep.equal([]);
      expect(started.state.tokens[0]).to.include({ status: 'running', startedAt: at(3) });
      expect(started.steps).to.have.length(1);
      expect(started.steps[0]).to.include({ id: 'exec-1:0', status: 'running', startedAt: at(3) });
      expectNoOp(flow, started.state, { type: 'stepStarted', seq: 0, at: at(4) });
      const done = step(flow, started.state, ok(0, 'out', 1, 9));
      expect(done.steps[0]).to.include({ startedAt: at(3), finishedAt: at(9) });
    });
  });

  describe('backoffMs', () => {
    it('grows by factor (default 2) per attempt, from backoffMs', () => {
      expect([1, 2, 3, 4].map((a) => backoffMs({ backoffMs: 1000 }, a))).to.deep.equal([1000, 2000, 4000, 8000]);
      expect([1, 2, 3].map((a) => backoffMs({ backoffMs: 500, factor: 3 }, a))).to.deep.equal([500, 1500, 4500]);
      expect([1, 2, 3].map((a) => backoffMs({ backoffMs: 1000, factor: 1 }, a))).to.deep.equal([1000, 1000, 1000]);
    });

    it('rounds to whole milliseconds', () => {
      expect(backoffMs({ backoffMs: 333, factor: 1.5 }, 2)).to.equal(500);
      expect(backoffMs({ backoffMs: 1, factor: 1.1 }, 3)).to.equal(1);
    });

    it('treats attempt 0 (or less) as the first attempt', () => {
      expect(backoffMs({ backoffMs: 1000 }, 0)).to.equal(1000);
      expect(backoffMs({ backoffMs: 1000 }, -3)).to.equal(1000);
    });

    it('is capped at one hour', () => {
      expect(backoffMs({ backoffMs: 3_600_000, factor: 10 }, 5)).to.equal(3_600_000);
      expect(backoffMs({ backoffMs: 1000, factor: 10 }, 20)).to.equal(3_600_000);
    });

    it('is zero for backoffMs 0', () => {
      expect(backoffMs({ backoffMs: 0 }, 4)).to.equal(0);
    });
  });

  describe('failure and retries', () => {
    const retrying = () => valid(chain('t.trigger', { type: 't.flaky', retry: { max: 2, backoffMs: 1000, factor: 3 } }, 't.pass'));

    it('puts the step to sleep with the backoff, then runs attempt 2 when the timer fires', () => {
      const flow = retrying();
      const failedOnce = run(flow, [ok(0, 'out', 'in'), failed(1, boom, 10)]);
      const until = plusMs(at(10), 1000);
      expect(failedOnce.commands).to.deep.equal([{ type: 'sleep', seq: 1, stepId: 'exec-1:1', until }]);
      expect(failedOnce.state.status).to.equal('waiting');
      expect(failedOnce.state.tokens).to.deep.equal([
        { seq: 1, node: 'n2', input: 'in', attempt: 1, status: 'sleeping', startedAt: at(10), reason: 'retry', until, lastError: boom },
      ]);
      expect(failedOnce.steps).to.have.length(1);
      expect(failedOnce.steps[0]).to.deep.include({ id: 'exec-1:1', status: 'retrying', attempt: 1, error: boom, finishedAt: null });

      const woken = step(flow, failedOnce.state, { type: 'timerFired', seq: 1, at: until });
      expect(woken.commands).to.deep.equal([
        { type: 'clearWait', seq: 1, stepId: 'exec-1:1' },
        { type: 'run', seq: 1, stepId: 'exec-1:1', node: 'n2', input: 'in', attempt: 2 },
      ]);
      expect(woken.state.status).to.equal('running');
      expect(woken.state.tokens).to.deep.equal([{ seq: 1, node: 'n2', input: 'in', attempt: 2, status: 'ready', startedAt: at(10) }]);
      expect(pendingRuns(woken.state)).to.deep.equal([{ type: 'run', seq: 1, stepId: 'exec-1:1', node: 'n2', input: 'in', attempt: 2 }]);
    });

    it('multiplies the backoff by factor on each further attempt', () => {
      const flow = retrying();
      const first = run(flow, [ok(0, 'out', 'in'), failed(1, boom, 10), { type: 'timerFired', seq: 1, at: at(11) }]);
      const second = step(flow, first.state, failed(1, boom, 20));
      expect(second.commands).to.deep.equal([{ type: 'sleep', seq: 1, stepId: 'exec-1:1', until: plusMs(at(20), 3000) }]);
      expect(second.steps[0]).to.include({ status: 'retrying', attempt: 2 });
    });

    it('succeeds on a later attempt and carries on', () => {
      const flow = retrying();
      const r = run(flow, [ok(0, 'out', 'in'), failed(1, boom, 10), { type: 'timerFired', seq: 1, at: at(11) }, ok(1, 'out', { attempt: 2 }, 12)]);
      expect(r.commands).to.deep.equal([{ type: 'run', seq: 2, stepId: 'exec-1:2', node: 'n3', input: { attempt: 2 }, attempt: 1 }]);
      expect(r.steps[0]).to.include({ status: 'succeeded', attempt: 2 });
    });

    it('fails the execution when retries are exhausted, naming the node', () => {
      const flow = retrying();
      const r = run(flow, [
        ok(0, 'out', 'in'),
        failed(1, boom, 10),
        { type: 'timerFired', seq: 1, at: at(11) },
        failed(1, boom, 20),
        { type: 'timerFired', seq: 1, at: at(23) },
        failed(1, { ...boom, message: 'third time' }, 30),
      ]);
      const error = { code: 'boom', message: 'third time', retryable: true, node: 'n2' };
      expect(r.state).to.deep.include({ status: 'failed', error, finishedAt: at(30), tokens: [] });
      expect(r.commands).to.deep.equal([{ type: 'finish', status: 'failed', output: null, error }]);
      expect(r.steps).to.have.length(1);
      expect(r.steps[0]).to.deep.include({ status: 'failed', attempt: 3, finishedAt: at(30) });
    });

    it('fails at once without a retry policy', () => {
      const flow = valid(chain('t.trigger', 't.fail', 't.pass'));
      const r = run(flow, [ok(0, 'out', 'in'), failed(1, boom)]);
      expect(r.state.status).to.equal('failed');
      expect(r.state.error).to.deep.equal({ ...boom, node: 'n2' });
    });

    it('fails at once with retry.max 0', () => {
      const flow = valid(chain('t.trigger', { type: 't.fail', retry: { max: 0, backoffMs: 10 } }));
      expect(run(flow, [ok(0, 'out', 'in'), failed(1, boom)]).state.status).to.equal('failed');
    });

    it('skips the retry policy for retryable: false', () => {
      const flow = retrying();
      const r = run(flow, [ok(0, 'out', 'in'), failed(1, { code: externalFailureCode('bad_request'), message: '400', retryable: false })]);
      expect(r.state.status).to.equal('failed');
      expect(r.state.error).to.deep.equal({ code: externalFailureCode('bad_request'), message: '400', retryable: false, node: 'n2' });
      expect(r.commands.map((c) => c.type)).to.deep.equal(['finish']);
    });

    it('retries errors that do not say whether they are retryable', () => {
      const flow = retrying();
      const r = run(flow, [ok(0, 'out', 'in'), failed(1, { code: externalFailureCode('x'), message: 'y' })]);
      expect(r.commands.map((c) => c.type)).to.deep.equal(['sleep']);
    });

    it('cancels the other branches when one fails: clears their waits and drops their runs', () => {
      const flow = valid(flowOf({ n1: 't.trigger', n2: 't.fail', n3: { type: 't.delay', params: { seconds: 100 } }, n4: 't.pass' }, ['n1 -> n3', 'n1 -> n4', 'n1 -> n2']));
      // n3 (seq 1) sleeps; n4 (seq 2) is ready; n2 (seq 3) fails.
      const r = run(flow, [
        ok(0, 'out', 'in'),
        { type: 'stepSuspended', seq: 1, wait: { until: at(100), resume: { port: 'out', output: 'late' } }, startedAt: at(2), at: at(2) },
        failed(3, boom, 4),
      ]);
      expect(r.state.status).to.equal('failed');
      expect(r.commands).to.deep.equal([
        { type: 'clearWait', seq: 1, stepId: 'exec-1:1' },
        { type: 'finish', status: 'failed', output: null, error: { ...boom, node: 'n2' } },
      ]);
      expect(r.steps.map((s) => [s.seq, s.status])).to.deep.equal([
        [3, 'failed'],
        [1, 'cancelled'],
      ]);
      expect(pendingRuns(r.state)).to.deep.equal([]);
    });
  });

  describe("onError: 'continue'", () => {
    it('leaves by the error port with { error: { message, code }, input }', () => {
      const flow = valid(flowOf({ n1: 't.trigger', n2: { type: 't.fail', onError: 'continue' }, n3: 't.pass', n4: 't.pass' }, ['n1 -> n2', 'n2:error -> n3', 'n2 -> n4']));
      const r = run(flow, [ok(0, 'out', { lead: 'ليلى' }), failed(1, { code: externalFailureCode('boom'), message: 'it broke', retryable: false, path: '/params/x' })]);
      const output = { error: { message: 'it broke', code: 'boom' }, input: { lead: 'ليلى' } };
      expect(r.commands).to.deep.equal([{ type: 'run', seq: 2, stepId: 'exec-1:2', node: 'n3', input: output, attempt: 1 }]);
      expect(r.state.nodes.n2).to.deep.equal({ output, port: 'error' });
      expect(r.state.status).to.equal('running');
      expect(r.steps[0]).to.deep.include({ status: 'succeeded', port: 'error', output });
    });

    it('retries first and routes only when retries are exhausted', () => {
      const flow = valid(flowOf({ n1: 't.trigger', n2: { type: 't.fail', onError: 'continue', retry: { max: 1, backoffMs: 50 } }, n3: 't.pass' }, ['n1 -> n2', 'n2:error -> n3']));
      const once = run(flow, [ok(0, 'out', 'in'), failed(1, boom, 5)]);
      expect(once.commands).to.deep.equal([{ type: 'sleep', seq: 1, stepId: 'exec-1:1', until: plusMs(at(5), 50) }]);
      const routed = run(flow, [{ type: 'timerFired', seq: 1, at: at(6) }, failed(1, boom, 7)], once);
      expect(runsOf(routed.commands).map((c) => c.node)).to.deep.equal(['n3']);
    });

    it('succeeds with the error object as output when nothing is wired to the error port', () => {
      const flow = valid(chain('t.trigger', { type: 't.fail', onError: 'continue' }));
      const r = run(flow, [ok(0, 'out', 'in'), failed(1, boom)]);
      expect(r.state.status).to.equal('succeeded');
      expect(r.state.output).to.deep.equal({ error: { message: 'it broke', code: 'boom' }, input: 'in' });
    });

    it("also routes a failure of a type that declares an 'error' port wired in the flow", () => {
      const flow = valid(flowOf({ n1: 't.trigger', n2: { type: 't.send', params: { to: 'a', body: 'b' } }, n3: 't.pass' }, ['n1 -> n2', 'n2:error -> n3']));
      const r = run(flow, [ok(0, 'out', 'in'), failed(1, boom)]);
      expect(runsOf(r.commands).map((c) => c.node)).to.deep.equal(['n3']);
    });
  });

  describe('suspension', () => {
    const delayed = () => valid(chain('t.trigger', { type: 't.delay', params: { seconds: 60 } }, 't.pass'));

    it('sleeps until the time given, then leaves by the resume port with the resume output', () => {
      const flow = delayed();
      const until = at(3600);
      const suspended = run(flow, [ok(0, 'out', 'in'), { type: 'stepSuspended', seq: 1, wait: { until, resume: { port: 'out', output: { resumed: true } } }, startedAt: at(2), at: at(2), logs: ['sleeping'] }]);
      expect(suspended.state.status).to.equal('waiting');
      expect(suspended.commands).to.deep.equal([{ type: 'sleep', seq: 1, stepId: 'exec-1:1', until }]);
      expect(suspended.state.tokens[0]).to.deep.include({ status: 'sleeping', reason: 'delay', until, resume: { port: 'out', output: { resumed: true } } });
      expect(suspended.steps[0]).to.deep.include({ status: 'waiting', logs: ['sleeping'] });
      expect(pendingRuns(suspended.state)).to.deep.equal([]);

      const resumed = step(flow, suspended.state, { type: 'timerFired', seq: 1, at: until });
      expect(resumed.commands).to.deep.equal([
        { type: 'clearWait', seq: 1, stepId: 'exec-1:1' },
        { type: 'run', seq: 2, stepId: 'exec-1:2', node: 'n3', input: { resumed: true }, attempt: 1 },
      ]);
      expect(resumed.state.status).to.equal('running');
      expect(resumed.state.nodes.n2).to.deep.equal({ output: { resumed: true }, port: 'out' });
      expect(resumed.steps[0]).to.deep.include({ status: 'succeeded', finishedAt: until });
    });

    it('stays running while another branch is still runnable', () => {
      const flow = valid(flowOf({ n1: 't.trigger', n2: { type: 't.delay', params: { seconds: 1 } }, n3: 't.pass' }, ['n1 -> n2', 'n1 -> n3']));
      const r = run(flow, [ok(0, 'out', 'in'), { type: 'stepSuspended', seq: 1, wait: { until: at(99), resume: { port: 'out', output: 1 } }, startedAt: at(2), at: at(2) }]);
      expect(r.state.status).to.equal('running');
    });

    const waiting = () => valid(flowOf({ n1: 't.trigger', n2: { type: 't.wait', params: { event: 'reply', correlation: '=$trigger.phone' } }, n3: 't.pass', n4: 't.pass' }, ['n1 -> n2', 'n2 -> n3', 'n2:timeout -> n4']));
    const waitFor = (timeout: boolean): StepperEvent => ({
      type: 'stepSuspended',
      seq: 1,
      wait: { event: 'whatsapp.reply', correlation: '+966500000000', ...(timeout ? { timeoutAt: at(500), timeoutPort: 'timeout' } : {}) },
      startedAt: at(2),
      at: at(2),
    });

    it('waits for an event, then leaves by out with the event payload', () => {
      const flow = waiting();
      const w = run(flow, [ok(0, 'out', 'in'), waitFor(true)]);
      expect(w.state.status).to.equal('waiting');
      expect(w.commands).to.deep.equal([{ type: 'wait', seq: 1, stepId: 'exec-1:1', event: 'whatsapp.reply', correlation: '+966500000000', timeoutAt: at(500) }]);
      expect(w.state.tokens[0]).to.deep.include({ status: 'waiting', reason: 'event', event: 'whatsapp.reply', correlation: '+966500000000', until: at(500), timeoutPort: 'timeout' });

      const got = step(flow, w.state, { type: 'eventReceived', seq: 1, payload: { text: 'نعم، مهتم' }, at: at(30) });
      expect(got.commands).to.deep.equal([
        { type: 'clearWait', seq: 1, stepId: 'exec-1:1' },
        { type: 'run', seq: 2, stepId: 'exec-1:2', node: 'n3', input: { text: 'نعم، مهتم' }, attempt: 1 },
      ]);
      expect(got.state.nodes.n2).to.deep.equal({ output: { text: 'نعم، مهتم' }, port: 'out' });
    });

    it('emits a wait without timeoutAt when there is no timeout', () => {
      const w = run(waiting(), [ok(0, 'out', 'in'), waitFor(false)]);
      expect(w.commands).to.deep.equal([{ type: 'wait', seq: 1, stepId: 'exec-1:1', event: 'whatsapp.reply', correlation: '+966500000000' }]);
      expect(w.state.tokens[0]).to.not.have.any.keys('until', 'timeoutPort');
    });

    it('leaves by the timeout port with its input when the timeout timer fires', () => {
      const flow = waiting();
      const w = run(flow, [ok(0, 'out', { lead: 1 }), waitFor(true)]);
      const timedOut = step(flow, w.state, { type: 'timerFired', seq: 1, at: at(500) });
      expect(timedOut.commands).to.deep.equal([
        { type: 'clearWait', seq: 1, stepId: 'exec-1:1' },
        { type: 'run', seq: 2, stepId: 'exec-1:2', node: 'n4', input: { lead: 1 }, attempt: 1 },
      ]);
      expect(timedOut.state.nodes.n2).to.deep.equal({ output: { lead: 1 }, port: 'timeout' });
      // The event arriving afterwards changes nothing.
      expectNoOp(flow, timedOut.state, { type: 'eventReceived', seq: 1, payload: 'late', at: at(501) });
    });

    it("uses the 'timeout' port when the wait names none", () => {
      const flow = waiting();
      const w = run(flow, [
        ok(0, 'out', 'in'),
        { type: 'stepSuspended', seq: 1, wait: { event: 'e', correlation: 'c', timeoutAt: at(9) }, startedAt: at(2), at: at(2) },
        { type: 'timerFired', seq: 1, at: at(9) },
      ]);
      expect(w.state.nodes.n2!.port).to.equal('timeout');
    });

    it('ignores an event for a step that is sleeping, and a timer for a step that is ready', () => {
      const flow = delayed();
      const s = run(flow, [ok(0, 'out', 'in'), { type: 'stepSuspended', seq: 1, wait: { until: at(60), resume: { port: 'out', output: 1 } }, startedAt: at(2), at: at(2) }]);
      expectNoOp(flow, s.state, { type: 'eventReceived', seq: 1, payload: 'x', at: at(3) });
      expectNoOp(flow, s.state, ok(1, 'out', 'x'));
      expectNoOp(flow, s.state, failed(1, boom));
      const ready = start(flow);
      expectNoOp(flow, ready.state, { type: 'timerFired', seq: 0, at: at(3) });
      expectNoOp(flow, ready.state, { type: 'eventReceived', seq: 0, payload: 'x', at: at(3) });
    });
  });

  describe('cancel', () => {
    it('cancels a waiting execution, clearing the waits of sleeping and waiting steps', () => {
      const flow = valid(
        flowOf(
          { n1: 't.trigger', n2: { type: 't.delay', params: { seconds: 5 } }, n3: { type: 't.wait', params: { event: 'e', correlation: 'c' } }, n4: 't.pass' },
          ['n1 -> n2', 'n1 -> n3', 'n1 -> n4'],
        ),
      );
      const w = run(flow, [
        ok(0, 'out', 'in'),
        { type: 'stepSuspended', seq: 1, wait: { until: at(99), resume: { port: 'out', output: 1 } }, startedAt: at(2), at: at(2) },
        { type: 'stepSuspended', seq: 2, wait: { event: 'e', correlation: 'c' }, startedAt: at(2), at: at(2) },
        { type: 'stepStarted', seq: 3, at: at(3) },
      ]);
      const c = step(flow, w.state, { type: 'cancel', at: at(10), reason: 'lead unsubscribed' });
      const error = { code: 'cancelled', message: 'lead unsubscribed' };
      expect(c.commands).to.deep.equal([
        { type: 'clearWait', seq: 1, stepId: 'exec-1:1' },
        { type: 'clearWait', seq: 2, stepId: 'exec-1:2' },
        { type: 'finish', status: 'cancelled', output: null, error },
      ]);
      expect(c.state).to.deep.include({ status: 'cancelled', error, finishedAt: at(10), tokens: [] });
      expect(c.steps.map((s) => [s.seq, s.status])).to.deep.equal([
        [1, 'cancelled'],
        [2, 'cancelled'],
        [3, 'cancelled'],
      ]);
      expect(pendingRuns(c.state)).to.deep.equal([]);
    });

    it('cancels an execution that never started, with a default reason', () => {
      const flow = valid(chain('t.trigger'));
      const c = step(flow, initialState(EXEC, at(0)), { type: 'cancel', at: at(1) });
      expect(c.state.status).to.equal('cancelled');
      expect(c.commands).to.deep.equal([{ type: 'finish', status: 'cancelled', output: null, error: { code: 'cancelled', message: 'execution cancelled' } }]);
    });

    it('drops ready tokens without a step record', () => {
      const flow = valid(chain('t.trigger', 't.pass'));
      const c = step(flow, start(flow).state, { type: 'cancel', at: at(1) });
      expect(c.steps).to.deep.equal([]);
      expect(runsOf(c.commands)).to.deep.equal([]);
    });
  });

  describe('quarantine', () => {
    const crashed: StepError = { code: 'crashed_repeatedly', message: 'in flight each time', retryable: false };

    it('fails the step in flight and the execution, naming the node, and clears the other waits', () => {
      const flow = valid(
        flowOf({ n1: 't.trigger', n2: { type: 't.delay', params: { seconds: 5 } }, n3: { type: 't.pass', onError: 'continue' } }, ['n1 -> n2', 'n1 -> n3']),
      );
      const w = run(flow, [ok(0, 'out', 'in'), { type: 'stepSuspended', seq: 1, wait: { until: at(99), resume: { port: 'out', output: 1 } }, startedAt: at(2), at: at(2) }, { type: 'stepStarted', seq: 2, at: at(3) }]);
      const q = step(flow, w.state, { type: 'quarantine', seq: 2, error: crashed, at: at(10) });
      // onError "continue" is not honoured: the execution must not carry on past the step.
      expect(q.state).to.deep.include({ status: 'failed', error: { ...crashed, node: 'n3' }, finishedAt: at(10), tokens: [] });
      expect(q.steps.map((s) => [s.seq, s.node, s.status, s.error?.code ?? null])).to.deep.equal([
        [2, 'n3', 'failed', 'crashed_repeatedly'],
        [1, 'n2', 'cancelled', null],
      ]);
      expect(q.commands).to.deep.equal([
        { type: 'clearWait', seq: 1, stepId: 'exec-1:1' },
        { type: 'finish', status: 'failed', output: null, error: { ...crashed, node: 'n3' } },
      ]);
    });

    it('fails the execution without a node when no step is named, and is ignored once it is over', () => {
      const flow = valid(chain('t.trigger', 't.pass'));
      const q = step(flow, start(flow).state, { type: 'quarantine', error: crashed, at: at(1) });
      expect(q.state).to.deep.include({ status: 'failed', error: crashed });
      expect(step(flow, q.state, { type: 'quarantine', error: crashed, at: at(2) }).state).to.equal(q.state);
    });
  });

  describe('redelivery and unknown steps', () => {
    it('ignores events for a seq that does not exist', () => {
      const flow = valid(chain('t.trigger', 't.pass'));
      const s = start(flow).state;
      for (const e of [
        ok(7, 'out', 1),
        failed(7, boom),
        { type: 'stepStarted', seq: 7, at: at(1) },
        { type: 'stepSuspended', seq: 7, wait: { until: at(5), resume: { port: 'out', output: 1 } }, startedAt: at(1), at: at(1) },
        { type: 'timerFired', seq: 7, at: at(1) },
        { type: 'eventReceived', seq: 7, payload: 1, at: at(1) },
      ] satisfies StepperEvent[]) {
        expectNoOp(flow, s, e);
      }
    });

    it('ignores a redelivered success', () => {
      const flow = valid(chain('t.trigger', 't.pass', 't.pass'));
      const once = run(flow, [ok(0, 'out', 'a')]);
      expectNoOp(flow, once.state, ok(0, 'out', 'a'));
      expectNoOp(flow, once.state, ok(0, 'out', 'different'));
      expectNoOp(flow, once.state, failed(0, boom));
    });

    it('ignores a stale fire of an earlier wait of the same step (a retry must keep its backoff)', () => {
      const flow = valid(chain('t.trigger', { type: 't.flaky', retry: { max: 5, backoffMs: 600_000 } }));
      let r = run(flow, [ok(0, 'out', 'a'), failed(1, boom, 2)]);
      const firstDue = Date.parse(r.state.tokens[0]!.until!);
      r = step(flow, r.state, { type: 'timerFired', seq: 1, at: at(700), due: firstDue });
      r = step(flow, r.state, failed(1, boom, 701));
      const secondDue = Date.parse(r.state.tokens[0]!.until!);
      expect(secondDue).to.be.greaterThan(firstDue);
      // The first wait fires again (poll, reconciler): nothing may run before the second is due.
      expectNoOp(flow, r.state, { type: 'timerFired', seq: 1, at: at(702), due: firstDue });
      const woken = step(flow, r.state, { type: 'timerFired', seq: 1, at: at(2000), due: secondDue });
      expect(woken.commands.map((c) => c.type)).to.include('run');
    });

    it('defers a step by retryAfterMs without spending its retries (rate limits)', () => {
      const flow = valid(chain('t.trigger', { type: 't.flaky', retry: { max: 1, backoffMs: 10 } }));
      const deferred: StepError = { code: 'rate_limited', message: 'later', retryable: true, retryAfterMs: 5000 };
      let r = run(flow, [ok(0, 'out', 'a')]);
      for (let i = 0; i < 3; i++) {
        r = step(flow, r.state, failed(1, deferred, 2 + i * 10));
        const sleep = r.commands.find((c) => c.type === 'sleep');
        expect(sleep, `deferral ${i + 1}`).to.include({ until: plusMs(at(2 + i * 10), 5000) });
        r = step(flow, r.state, { type: 'timerFired', seq: 1, at: at(8 + i * 10) });
      }
      // Three deferrals later the one real retry is still there...
      r = step(flow, r.state, failed(1, boom, 40));
      expect(r.state.status).to.equal('waiting');
      r = step(flow, r.state, { type: 'timerFired', seq: 1, at: at(41) });
      // ...and once spent, the next failure fails the execution.
      r = step(flow, r.state, failed(1, boom, 42));
      expect(r.state.status).to.equal('failed');
    });

    it("ignores a late duplicate of an earlier attempt's result once the retry runs", () => {
      const flow = valid(chain('t.trigger', { type: 't.flaky', retry: { max: 3, backoffMs: 10 } }));
      const failedAttempt = (attempt: number, t: number): StepperEvent => ({ type: 'stepFailed', seq: 1, attempt, error: boom, startedAt: at(t), at: at(t) });
      const sleeping = run(flow, [ok(0, 'out', 'a'), failedAttempt(1, 2)]);
      const woken = step(flow, sleeping.state, { type: 'timerFired', seq: 1, at: at(3) });
      expect(woken.state.tokens[0]).to.include({ attempt: 2, status: 'ready' });
      // attempt 1's failure delivered again must not use up attempt 2
      expectNoOp(flow, woken.state, failedAttempt(1, 4));
      const done = step(flow, woken.state, { type: 'stepSucceeded', seq: 1, attempt: 2, port: 'out', output: 'b', startedAt: at(4), at: at(4) });
      expect(done.state.status).to.equal('succeeded');
    });

    it('ignores a redelivered failure while the step sleeps, and a redelivered timer', () => {
      const flow = valid(chain('t.trigger', { type: 't.flaky', retry: { max: 3, backoffMs: 10 } }));
      const sleeping = run(flow, [ok(0, 'out', 'a'), failed(1, boom, 2)]);
      expectNoOp(flow, sleeping.state, failed(1, boom, 2));
      const woken = step(flow, sleeping.state, { type: 'timerFired', seq: 1, at: at(3) });
      expectNoOp(flow, woken.state, { type: 'timerFired', seq: 1, at: at(3) });
    });

    it('ignores a redelivered event and a redelivered timer after resuming', () => {
      const flow = valid(flowOf({ n1: 't.trigger', n2: { type: 't.wait', params: { event: 'e', correlation: 'c' } }, n3: 't.pass' }, ['n1 -> n2', 'n2 -> n3']));
      const w = run(flow, [ok(0, 'out', 'a'), { type: 'stepSuspended', seq: 1, wait: { event: 'e', correlation: 'c' }, startedAt: at(2), at: at(2) }]);
      expectNoOp(flow, w.state, { type: 'stepSuspended', seq: 1, wait: { event: 'e', correlation: 'c' }, startedAt: at(2), at: at(2) });
      const got = step(flow, w.state, { type: 'eventReceived', seq: 1, payload: 'p', at: at(4) });
      expectNoOp(flow, got.state, { type: 'eventReceived', seq: 1, payload: 'p', at: at(4) });
      expectNoOp(flow, got.state, { type: 'timerFired', seq: 1, at: at(5) });
    });

    for (const status of ['succeeded', 'failed', 'cancelled'] as const) {
      it(`ignores every event once the execution has ${status}`, () => {
        const flow = valid(flowOf({ n1: 't.trigger', n2: { type: 't.fail' } }, ['n1 -> n2']));
        const base = start(flow);
        const terminal =
          status === 'succeeded'
            ? run(valid(chain('t.trigger')), [ok(0, 'out', 1)])
            : status === 'failed'
              ? run(flow, [ok(0, 'out', 1), failed(1, boom)], base)
              : step(flow, base.state, { type: 'cancel', at: at(1) });
        expect(terminal.state.status).to.equal(status);
        for (const e of [
          { type: 'start', trigger: 'n1', payload: 1, at: at(9) },
          ok(0, 'out', 1),
          ok(1, 'out', 1),
          failed(1, boom),
          { type: 'stepStarted', seq: 1, at: at(9) },
          { type: 'timerFired', seq: 1, at: at(9) },
          { type: 'eventReceived', seq: 1, payload: 1, at: at(9) },
          { type: 'cancel', at: at(9) },
        ] satisfies StepperEvent[]) {
          expectNoOp(flow, terminal.state, e);
        }
        expect(pendingRuns(terminal.state)).to.deep.equal([]);
      });
    }
  });

  describe('purity', () => {
    it('never mutates the state, flow or event it is given, across a whole execution', () => {
      // step() deep-freezes every input and compares it with a structured clone; this walks
      // through every kind of event in one execution.
      const flow = valid(
        flowOf(
          {
            n1: 't.trigger',
            n2: { type: 't.flaky', retry: { max: 1, backoffMs: 10 } },
            n3: { type: 't.delay', params: { seconds: 1 } },
            n4: { type: 't.wait', params: { event: 'e', correlation: 'c' } },
            n5: { type: 't.fail', onError: 'continue' },
            n6: 't.pass',
          },
          ['n1 -> n2', 'n2 -> n3', 'n3 -> n4', 'n4 -> n5', 'n5:error -> n6'],
        ),
      );
      const end = run(flow, [
        { type: 'stepStarted', seq: 0, at: at(1) },
        ok(0, 'out', { a: [1, { b: 2 }] }),
        failed(1, boom, 2),
        { type: 'timerFired', seq: 1, at: at(3) },
        ok(1, 'out', { c: 3 }, 4),
        { type: 'stepSuspended', seq: 2, wait: { until: at(6), resume: { port: 'out', output: { d: 4 } } }, startedAt: at(5), at: at(5) },
        { type: 'timerFired', seq: 2, at: at(6) },
        { type: 'stepSuspended', seq: 3, wait: { event: 'e', correlation: 'c', timeoutAt: at(99) }, startedAt: at(7), at: at(7) },
        { type: 'eventReceived', seq: 3, payload: { e: 5 }, at: at(8) },
        failed(4, boom, 9),
        ok(5, 'out', 'final', 10),
      ]);
      expect(end.state.status).to.equal('succeeded');
      expect(end.state.output).to.equal('final');
      expect(Object.keys(end.state.nodes)).to.have.members(['n1', 'n2', 'n3', 'n4', 'n5', 'n6']);
    });

    it('gives the same result for the same inputs', () => {
      const flow = valid(chain('t.trigger', 't.pass'));
      const a = run(flow, [ok(0, 'out', { x: 1 })]);
      const b = run(flow, [ok(0, 'out', { x: 1 })]);
      expect(a).to.deep.equal(b);
    });
  });

  describe('pendingRuns', () => {
    it('returns the ready and running tokens, with their attempts, in seq order', () => {
      const flow = valid(flowOf({ n1: 't.trigger', n2: 't.pass', n3: { type: 't.delay', params: { seconds: 1 } }, n4: { type: 't.flaky', retry: { max: 2, backoffMs: 10 } } }, ['n1 -> n2', 'n1 -> n3', 'n1 -> n4']));
      const r = run(flow, [
        ok(0, 'out', 'in'),
        { type: 'stepStarted', seq: 1, at: at(2) },
        { type: 'stepSuspended', seq: 2, wait: { until: at(9), resume: { port: 'out', output: 1 } }, startedAt: at(2), at: at(2) },
        failed(3, boom, 2),
        { type: 'timerFired', seq: 3, at: at(3) },
      ]);
      expect(pendingRuns(r.state)).to.deep.equal([
        { type: 'run', seq: 1, stepId: 'exec-1:1', node: 'n2', input: 'in', attempt: 1 },
        { type: 'run', seq: 3, stepId: 'exec-1:3', node: 'n4', input: 'in', attempt: 2 },
      ]);
    });

    it('is empty for a queued execution and for one that only waits', () => {
      expect(pendingRuns(initialState(EXEC, at(0)))).to.deep.equal([]);
      const flow = valid(chain('t.trigger', { type: 't.delay', params: { seconds: 1 } }));
      const r = run(flow, [ok(0, 'out', 'in'), { type: 'stepSuspended', seq: 1, wait: { until: at(9), resume: { port: 'out', output: 1 } }, startedAt: at(2), at: at(2) }]);
      expect(pendingRuns(r.state)).to.deep.equal([]);
    });

    it('survives a JSON round trip of the state', () => {
      const flow = valid(flowOf({ n1: 't.trigger', n2: 't.pass', n3: 't.pass' }, ['n1 -> n2', 'n1 -> n3']));
      const r = run(flow, [ok(0, 'out', { x: 'س' }), { type: 'stepStarted', seq: 2, at: at(3) }]);
      const reloaded = JSON.parse(JSON.stringify(r.state)) as ExecutionState;
      expect(pendingRuns(reloaded)).to.deep.equal(pendingRuns(r.state));
      expect(runsOf(pendingRuns(reloaded)).map((c) => c.seq)).to.deep.equal([1, 2]);
    });
  });
});

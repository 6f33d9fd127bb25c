// Replay planning (stepper/replay.ts): the history of an execution, fed back through the pure
// stepper, gives the first state of its replay. Originals here are produced by the stepper
// itself, so the step records are exactly what the runtime would have stored.
import { expect } from 'chai';
import type { Advance, Flow, HistoryStep, StepRecord, StepperEvent } from '../../engine/index.js';
import { ReplayUnavailable, advance, externalFailureCode, initialState, replayStart, replayStepOf } from '../../engine/index.js';
import { deepFreeze } from '../helpers/deep-freeze.js';
import { chain, flowOf, valid } from '../helpers/flow-builder.js';

const ORIG = 'orig-1';
const NEW = 'replay-1';
const T0 = Date.parse('2025-01-05T06:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const NOW = at(1000);

const ok = (seq: number, output: unknown, t: number, port = 'out'): StepperEvent => ({ type: 'stepSucceeded', seq, port, output, startedAt: at(t), at: at(t) });
const fail = (seq: number, t: number): StepperEvent => ({ type: 'stepFailed', seq, error: { code: externalFailureCode('boom'), message: 'it broke', retryable: false }, startedAt: at(t), at: at(t) });

/** Run an original execution through the stepper; its history is the last record of each step. */
function original(flow: Flow, payload: unknown, events: StepperEvent[]): { history: HistoryStep[]; last: Advance } {
  let adv = advance(flow, initialState(ORIG, at(0)), { type: 'start', trigger: 'n1', payload, at: at(0) });
  const records = new Map<number, StepRecord>();
  for (const e of events) {
    adv = advance(flow, adv.state, e);
    for (const r of adv.steps) records.set(r.seq, r);
  }
  return { history: [...records.values()], last: adv };
}

function plan(flow: Flow, history: HistoryStep[], fromSeq: number, input?: unknown): Advance {
  deepFreeze(history);
  deepFreeze(flow);
  return replayStart(flow, NEW, NOW, { steps: history, fromSeq, input });
}

const runs = (a: Advance): { seq: number; node: string; input: unknown; stepId: string }[] =>
  a.commands.flatMap((c) => (c.type === 'run' ? [{ seq: c.seq, node: c.node, input: c.input, stepId: c.stepId }] : []));

describe('replay planning', () => {
  // n1 (trigger) -> n2 -> n3 -> n4; n3 fails.
  const line = valid(chain('t.trigger', 't.pass', 't.pass', 't.pass'));
  const failedLine = () => original(line, { lead: 'L1' }, [ok(0, { lead: 'L1' }, 1), ok(1, { lead: 'L1', scored: 7 }, 2), fail(2, 3)]);

  it('a failed line: reuses the steps before the failed one and runs it again with the same input', () => {
    const { history, last } = failedLine();
    expect(last.state.status).to.equal('failed');
    const seq = replayStepOf(ORIG, history);
    expect(seq).to.equal(2);
    const a = plan(line, history, seq);
    expect(a.state).to.include({ executionId: NEW, status: 'running', nextSeq: 3, startedAt: NOW, error: null, finishedAt: null });
    expect(a.state.trigger).to.deep.equal({ lead: 'L1' });
    expect(a.state.nodes).to.deep.equal({ n1: { output: { lead: 'L1' }, port: 'out' }, n2: { output: { lead: 'L1', scored: 7 }, port: 'out' } });
    expect(runs(a)).to.deep.equal([{ seq: 2, node: 'n3', input: { lead: 'L1', scored: 7 }, stepId: `${NEW}:2` }]);
    // The reused steps are committed under the new execution, as they were.
    expect(a.steps.map((s) => [s.id, s.node, s.status, s.port, s.output, s.finishedAt])).to.deep.equal([
      [`${NEW}:0`, 'n1', 'succeeded', 'out', { lead: 'L1' }, at(1)],
      [`${NEW}:1`, 'n2', 'succeeded', 'out', { lead: 'L1', scored: 7 }, at(2)],
    ]);
  });

  it('an edited input replaces the replayed step’s input only', () => {
    const { history } = failedLine();
    const a = plan(line, history, 2, { lead: 'L1', scored: 9 });
    expect(runs(a)).to.deep.equal([{ seq: 2, node: 'n3', input: { lead: 'L1', scored: 9 }, stepId: `${NEW}:2` }]);
    expect(a.state.nodes.n2?.output).to.deep.equal({ lead: 'L1', scored: 7 });
    expect(a.state.trigger).to.deep.equal({ lead: 'L1' });
  });

  it('null is an edited input, not "the same input"', () => {
    const { history } = failedLine();
    expect(runs(plan(line, history, 2, null))[0]?.input).to.equal(null);
  });

  it('from an earlier step (by node id or step id): later steps run again', () => {
    const { history } = failedLine();
    for (const from of ['n2', `${ORIG}:1`]) {
      const seq = replayStepOf(ORIG, history, from);
      expect(seq, from).to.equal(1);
      const a = plan(line, history, seq);
      expect(Object.keys(a.state.nodes)).to.deep.equal(['n1']);
      expect(runs(a).map((r) => r.node)).to.deep.equal(['n2']);
    }
  });

  it('from the trigger with an edited payload: nothing is reused and the trigger is the new payload', () => {
    const { history } = failedLine();
    const a = plan(line, history, 0, { lead: 'L2' });
    expect(a.steps).to.deep.equal([]);
    expect(a.state.trigger).to.deep.equal({ lead: 'L2' });
    expect(runs(a)).to.deep.equal([{ seq: 0, node: 'n1', input: { lead: 'L2' }, stepId: `${NEW}:0` }]);
  });

  it('a fan-out: the sibling the failure dropped runs too', () => {
    const fan = valid(flowOf({ n1: 't.trigger', a: 't.pass', b: 't.pass' }, ['n1 -> a', 'n1 -> b']));
    const { history } = original(fan, { x: 1 }, [ok(0, { x: 1 }, 1), fail(1, 2)]);
    expect(history.map((s) => s.node)).to.deep.equal(['n1', 'a']); // b never ran
    const a = plan(fan, history, replayStepOf(ORIG, history));
    expect(runs(a).map((r) => [r.seq, r.node])).to.deep.equal([
      [1, 'a'],
      [2, 'b'],
    ]);
  });

  it('follows completion order, not step order: a delay that finished late keeps its later activations', () => {
    // n1 -> d -> e and n1 -> p -> q. d (seq 1) sleeps; p (2) and q (3) finish first; then d
    // resumes, which activates e as seq 4; e fails.
    const f = valid(flowOf({ n1: 't.trigger', d: 't.pass', e: 't.pass', p: 't.pass', q: 't.pass' }, ['n1 -> d', 'n1 -> p', 'd -> e', 'p -> q']));
    const { history, last } = original(f, {}, [
      ok(0, {}, 1),
      { type: 'stepSuspended', seq: 1, wait: { until: at(100), resume: { port: 'out', output: { slept: true } } }, startedAt: at(2), at: at(2) },
      ok(2, { p: 1 }, 3),
      ok(3, { q: 1 }, 4),
      { type: 'timerFired', seq: 1, at: at(100) },
      fail(4, 101),
    ]);
    expect(last.state.status).to.equal('failed');
    expect(history.find((s) => s.seq === 4)?.node).to.equal('e');
    const a = plan(f, history, replayStepOf(ORIG, history));
    expect(runs(a)).to.deep.equal([{ seq: 4, node: 'e', input: { slept: true }, stepId: `${NEW}:4` }]);
    expect(Object.keys(a.state.nodes).sort()).to.deep.equal(['d', 'n1', 'p', 'q']);
    // The delay is reused as finished: no new sleep.
    expect(a.commands.every((c) => c.type === 'run')).to.equal(true);
  });

  it('a cancelled execution replays from the step the cancellation interrupted', () => {
    const f = valid(chain('t.trigger', 't.pass', 't.pass'));
    const { history, last } = original(f, {}, [
      ok(0, {}, 1),
      { type: 'stepSuspended', seq: 1, wait: { until: at(100), resume: { port: 'out', output: { woke: true } } }, startedAt: at(2), at: at(2) },
      { type: 'cancel', at: at(3) },
    ]);
    expect(last.state.status).to.equal('cancelled');
    const seq = replayStepOf(ORIG, history);
    expect(seq).to.equal(1);
    expect(runs(plan(f, history, seq)).map((r) => r.node)).to.deep.equal(['n2']);
  });

  it('refuses what it cannot plan, naming why', () => {
    const { history } = failedLine();
    const code = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        expect(err).to.be.instanceOf(ReplayUnavailable);
        return (err as ReplayUnavailable).code;
      }
      throw new Error('expected ReplayUnavailable');
    };
    expect(code(() => replayStepOf(ORIG, history, 'nope'))).to.equal('unknown_step');
    expect(code(() => replayStepOf(ORIG, history, 'n4'))).to.equal('unknown_step'); // never ran
    expect(code(() => replayStepOf(ORIG, history, 'other-exec:1'))).to.equal('unknown_step');
    const succeeded = original(line, {}, [ok(0, {}, 1), ok(1, {}, 2), ok(2, {}, 3), ok(3, {}, 4)]);
    expect(succeeded.last.state.status).to.equal('succeeded');
    expect(code(() => replayStepOf(ORIG, succeeded.history))).to.equal('nothing_to_replay');
    expect(code(() => plan(line, history, 7))).to.equal('unknown_step');
    // A flow version whose graph does not produce this history (x now sits between n1 and n2).
    const other = valid(flowOf({ n1: 't.trigger', n2: 't.pass', x: 't.pass', n3: 't.pass' }, ['n1 -> x', 'x -> n2', 'n2 -> n3']));
    expect(code(() => plan(other, history, 2))).to.equal('history_diverged');
  });

  it('is pure: the same history plans the same replay and the inputs are left untouched', () => {
    const { history } = failedLine();
    const copy = structuredClone(history);
    const a = plan(line, history, 2, { edited: true });
    const b = replayStart(line, NEW, NOW, { steps: copy, fromSeq: 2, input: { edited: true } });
    expect(a).to.deep.equal(b);
    expect(history).to.deep.equal(copy);
  });
});

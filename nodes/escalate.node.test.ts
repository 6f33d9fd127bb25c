import { expect } from 'chai';
import { advance, initialState, validateFlow, type EscalationAccess, type EscalationOpenRequest, type Flow, type OpenedEscalation } from '../engine/index.js';
import { ESCALATION_DECIDED_EVENT, escalateNode } from './escalate.node.js';
import { createRegistry } from './registry.js';
import { checkParams, failureOf, FIXED_NOW, portOutput, runNode } from './testing/run-node.js';

/** A fake inbox: records what was opened and answers `answer` (default: a new open escalation). */
function inbox(answer: Partial<OpenedEscalation> = {}): EscalationAccess & { opened: EscalationOpenRequest[] } {
  const opened: EscalationOpenRequest[] = [];
  return {
    opened,
    async open(request) {
      opened.push(request);
      return { id: 'esc-1', status: 'open', dueAt: request.dueAt, created: true, ...answer };
    },
  };
}

const base = { assignee: { kind: 'role', role: 'manager' }, reason: 'Hot lead needs a human' };

describe('escalate', () => {
  it('checks params: assignee kinds, reason, priority, timeout bounds', () => {
    expect(checkParams(escalateNode, base)).to.deep.equal([]);
    expect(checkParams(escalateNode, { ...base, assignee: { kind: 'user', userId: '=$trigger.contact.ownerId' } })).to.deep.equal([]);
    expect(checkParams(escalateNode, { ...base, assignee: { kind: 'round_robin', role: 'sales_rep' }, priority: 'urgent', timeoutHours: 0.5 })).to.deep.equal([]);
    expect(checkParams(escalateNode, { ...base, assignee: { kind: 'role', role: 'viewer' } })).to.not.deep.equal([]);
    expect(checkParams(escalateNode, { ...base, priority: 'asap' })).to.not.deep.equal([]);
    expect(checkParams(escalateNode, { ...base, timeoutHours: 0 })).to.not.deep.equal([]);
    expect(checkParams(escalateNode, { ...base, reason: '   ' })).to.deep.equal([{ path: '/reason', code: 'invalid_value', message: 'say why a person must look' }]);
    expect(checkParams(escalateNode, { assignee: base.assignee })).to.not.deep.equal([]);
  });

  it('opens an escalation (defaults: normal priority, 24 hours, the input as payload) and waits for its decision', async () => {
    const esc = inbox();
    const input = { name: 'سارة', score: 92 };
    const { result } = await runNode(escalateNode, { params: base, input, escalations: esc });
    const dueAt = FIXED_NOW.getTime() + 24 * 3_600_000;
    expect(esc.opened).to.deep.equal([{ assignee: { kind: 'role', role: 'manager' }, reason: 'Hot lead needs a human', priority: 'normal', dueAt, payload: input }]);
    expect(result).to.deep.equal({
      wait: {
        event: ESCALATION_DECIDED_EVENT,
        correlation: 'esc-1',
        timeoutAt: new Date(dueAt).toISOString(),
        timeoutPort: 'timeout',
        portFrom: { field: 'decision', ports: ['approved', 'rejected'] },
        timeoutOutput: { decision: 'timed_out', escalationId: 'esc-1', dueAt: new Date(dueAt).toISOString() },
      },
    });
  });

  it('resolves expressions in the reason, the assignee and the payload', async () => {
    const esc = inbox();
    await runNode(escalateNode, {
      params: { assignee: { kind: 'user', userId: '=owner' }, reason: '="Hot lead: " & name', priority: '=score > 90 ? "urgent" : "high"', timeoutHours: '=2', payload: '={"message": "مرحبا " & name}' },
      input: { name: 'Noura', owner: 'u-7', score: 95 },
      escalations: esc,
    });
    expect(esc.opened[0]).to.deep.equal({
      assignee: { kind: 'user', userId: 'u-7' },
      reason: 'Hot lead: Noura',
      priority: 'urgent',
      dueAt: FIXED_NOW.getTime() + 2 * 3_600_000,
      payload: { message: 'مرحبا Noura' },
    });
  });

  it('keeps the first run’s deadline when the step runs again, and leaves at once when already decided or timed out', async () => {
    const firstDue = FIXED_NOW.getTime() + 1000;
    const again = await runNode(escalateNode, { params: base, escalations: inbox({ created: false, dueAt: firstDue }) });
    expect('wait' in again.result && again.result.wait).to.deep.include({ timeoutAt: new Date(firstDue).toISOString() });
    const decided = { port: 'approved', output: { decision: 'approved', escalationId: 'esc-1', payload: { ok: true } } };
    expect(portOutput((await runNode(escalateNode, { params: base, escalations: inbox({ status: 'approved', decided }) })).result)).to.deep.equal(decided);
    const timedOut = portOutput((await runNode(escalateNode, { params: base, escalations: inbox({ status: 'timed_out' }) })).result);
    expect(timedOut.port).to.equal('timeout');
    const cancelled = await failureOf(runNode(escalateNode, { params: base, escalations: inbox({ status: 'cancelled' }) }));
    expect(cancelled.code).to.equal('escalation_cancelled');
  });

  it('fails without retry when the runtime has no inbox or the reason is empty', async () => {
    expect((await failureOf(runNode(escalateNode, { params: base }))).code).to.equal('escalations_unavailable');
    const empty = await failureOf(runNode(escalateNode, { params: { ...base, reason: '=""' }, escalations: inbox() }));
    expect([empty.code, empty.retryable]).to.deep.equal(['invalid_params', false]);
  });

  describe('its wait in the stepper', () => {
    const flow = (): Flow => {
      const checked = validateFlow(
        {
          schemaVersion: 1,
          name: 'escalation',
          nodes: [
            { id: 'start', type: 'trigger.manual' },
            { id: 'ask', type: 'escalate', params: base },
            { id: 'yes', type: 'data.set', params: { fields: { result: 'approved' } } },
            { id: 'no', type: 'data.set', params: { fields: { result: 'rejected' } } },
            { id: 'late', type: 'data.set', params: { fields: { result: 'timeout' } } },
          ],
          edges: [
            { id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'ask', port: 'in' } },
            { id: 'e2', from: { node: 'ask', port: 'approved' }, to: { node: 'yes', port: 'in' } },
            { id: 'e3', from: { node: 'ask', port: 'rejected' }, to: { node: 'no', port: 'in' } },
            { id: 'e4', from: { node: 'ask', port: 'timeout' }, to: { node: 'late', port: 'in' } },
          ],
        },
        createRegistry(),
      );
      if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
      return checked.flow;
    };

    /** Start, run the trigger, suspend the escalate step on its wait: the state and the escalate step's seq. */
    async function suspended(f: Flow) {
      const at = FIXED_NOW.toISOString();
      let s = advance(f, initialState('x', at), { type: 'start', trigger: 'start', payload: { n: 1 }, at });
      s = advance(f, s.state, { type: 'stepSucceeded', seq: 0, port: 'out', output: { n: 1 }, startedAt: at, at });
      const { result } = await runNode(escalateNode, { params: base, input: { n: 1 }, escalations: inbox() });
      if (!('wait' in result)) throw new Error('expected a wait');
      s = advance(f, s.state, { type: 'stepSuspended', seq: 1, wait: result.wait, startedAt: at, at });
      expect(s.commands.filter((c) => c.type === 'wait')).to.have.length(1).and.to.satisfy((w: { event: string; correlation: string }[]) => w[0]!.event === ESCALATION_DECIDED_EVENT && w[0]!.correlation === 'esc-1');
      return s.state;
    }

    it('leaves by the port the decision names, with the decision as output', async () => {
      const f = flow();
      const state = await suspended(f);
      const decision = { decision: 'approved', escalationId: 'esc-1', payload: { message: 'edited' }, edited: true };
      const next = advance(f, state, { type: 'eventReceived', seq: 1, payload: decision, at: FIXED_NOW.toISOString() });
      expect(next.state.nodes.ask).to.deep.equal({ output: decision, port: 'approved' });
      expect(next.commands.find((c) => c.type === 'run')).to.include({ node: 'yes' });
      const rejected = advance(f, state, { type: 'eventReceived', seq: 1, payload: { decision: 'rejected', note: 'no' }, at: FIXED_NOW.toISOString() });
      expect(rejected.state.nodes.ask?.port).to.equal('rejected');
    });

    it('leaves by "timeout" with the timeout output when the deadline passes', async () => {
      const f = flow();
      const state = await suspended(f);
      const next = advance(f, state, { type: 'timerFired', seq: 1, at: FIXED_NOW.toISOString() });
      expect(next.state.nodes.ask?.port).to.equal('timeout');
      expect(next.state.nodes.ask?.output).to.deep.include({ decision: 'timed_out', escalationId: 'esc-1' });
    });
  });
});

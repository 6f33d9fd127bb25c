import { expect } from 'chai';
import { advance, createGuardedFetch, initialState, runStep, validateFlow, type Advance, type ExecutionMeta, type Flow, type StepRunnerDeps } from '../engine/index.js';
import { createRegistry } from './registry.js';
import { MAX_DELAY_SECONDS } from './time-delay.node.js';
import { MESSAGE_RECEIVED, waitEventNode } from './wait-event.node.js';
import { checkParams, failureOf, FIXED_NOW, runNode } from './testing/run-node.js';

const input = { lead: 7 };
const contact = { id: 'contact-1', name: 'سارة' };

describe('wait.event', () => {
  it('defaults to message.received, no timeout, correlated by the contact', async () => {
    expect(checkParams(waitEventNode, {})).to.deep.equal([]);
    const { result, params } = await runNode(waitEventNode, { params: {}, input, contact });
    expect(params.event).to.equal(MESSAGE_RECEIVED);
    expect(result).to.deep.equal({ wait: { event: MESSAGE_RECEIVED, correlation: 'contact-1', port: 'received' } });
  });

  it('has ports received and timeout with Arabic labels', () => {
    const outputs = waitEventNode.outputs as { port: string; label: { ar: string } }[];
    expect(outputs.map((o) => o.port)).to.deep.equal(['received', 'timeout']);
    for (const o of outputs) expect(o.label.ar).to.match(/[\u0600-\u06FF]/);
    expect(waitEventNode).to.include({ category: 'time', policyClass: 'A', sideEffects: false });
  });

  it('times out `timeoutSeconds` after ctx.now() on the timeout port', async () => {
    const { result } = await runNode(waitEventNode, { params: { event: 'meeting.booked', timeoutSeconds: 90 }, input, contact });
    expect(result).to.deep.equal({
      wait: {
        event: 'meeting.booked',
        correlation: 'contact-1',
        port: 'received',
        timeoutAt: new Date(FIXED_NOW.getTime() + 90_000).toISOString(),
        timeoutPort: 'timeout',
      },
    });
  });

  it('takes timeout and correlation from expressions', async () => {
    const { result } = await runNode(waitEventNode, { params: { timeoutSeconds: '=days * 86400', correlation: '="deal:" & deal' }, input: { days: 2, deal: 'D-9' }, contact });
    expect('wait' in result && result.wait).to.deep.include({ correlation: 'deal:D-9', timeoutAt: new Date(FIXED_NOW.getTime() + 2 * 86_400_000).toISOString() });
  });

  it('rejects bad event names and timeouts at save time', () => {
    expect(checkParams(waitEventNode, { event: '' })[0]?.path).to.equal('/event');
    expect(checkParams(waitEventNode, { event: 'has space' })[0]?.path).to.equal('/event');
    expect(checkParams(waitEventNode, { timeoutSeconds: 0 })[0]?.path).to.equal('/timeoutSeconds');
    expect(checkParams(waitEventNode, { timeoutSeconds: MAX_DELAY_SECONDS + 1 })[0]?.path).to.equal('/timeoutSeconds');
    expect(checkParams(waitEventNode, { other: 1 })[0]?.code).to.be.a('string');
    expect(checkParams(waitEventNode, { event: 'deal.stage_changed', timeoutSeconds: MAX_DELAY_SECONDS })).to.deep.equal([]);
  });

  it('fails without retry when there is neither a contact nor a correlation', async () => {
    const failure = await failureOf(runNode(waitEventNode, { params: {}, input }));
    expect(failure.code).to.equal('no_correlation');
    expect(failure.retryable).to.equal(false);
    expect(failure.path).to.equal('/params/correlation');
  });

  describe('through the stepper', () => {
    const doc = {
      schemaVersion: 1,
      name: 'reply or not',
      nodes: [
        { id: 'start', type: 'trigger.manual', params: {} },
        { id: 'wait', type: 'wait.event', params: { timeoutSeconds: 60 } },
        { id: 'replied', type: 'data.set', params: { fields: { outcome: 'replied', text: '=text' }, keepInput: false } },
        { id: 'silent', type: 'data.set', params: { fields: { outcome: 'silent' } } },
      ],
      edges: [
        { id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'wait', port: 'in' } },
        { id: 'e2', from: { node: 'wait', port: 'received' }, to: { node: 'replied', port: 'in' } },
        { id: 'e3', from: { node: 'wait', port: 'timeout' }, to: { node: 'silent', port: 'in' } },
      ],
    };
    const registry = createRegistry();
    const checked = validateFlow(doc, registry);
    if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
    const flow: Flow = checked.flow;
    const meta: ExecutionMeta = { id: 'x1', tenantId: 't1', flowId: 'f1', flowVersion: 1, subject: 'contact-1', mode: 'manual' };
    const deps: StepRunnerDeps = {
      registry,
      http: () => createGuardedFetch({ allowPrivateNetwork: false }),
      vars: () => ({}),
      contact: () => null,
      now: () => FIXED_NOW,
      maxOutputBytes: 1024 * 1024,
      stepTimeoutMs: 10_000,
    };
    const at = FIXED_NOW.toISOString();

    /** Run the ready steps until the execution suspends or ends. */
    async function settle(adv: Advance): Promise<Advance> {
      let current = adv;
      let runs = current.commands.filter((c) => c.type === 'run');
      while (runs.length) {
        const cmd = runs.shift()!;
        const event = await runStep(deps, { meta, flow, state: current.state, signal: new AbortController().signal }, cmd as never);
        current = advance(flow, current.state, event);
        runs = [...runs, ...current.commands.filter((c) => c.type === 'run')];
      }
      return current;
    }

    async function suspended(): Promise<Advance> {
      const adv = await settle(advance(flow, initialState('x1', at), { type: 'start', trigger: 'start', payload: input, at }));
      expect(adv.state.status).to.equal('waiting');
      const waitCmd = adv.commands.find((c) => c.type === 'wait');
      // The execution's subject is the correlation when the node names none.
      expect(waitCmd).to.deep.include({ event: MESSAGE_RECEIVED, correlation: 'contact-1', timeoutAt: new Date(FIXED_NOW.getTime() + 60_000).toISOString() });
      return adv;
    }

    it('continues on received with the event payload when the event arrives', async () => {
      const waiting = await suspended();
      const seq = waiting.state.tokens[0]!.seq;
      const done = await settle(advance(flow, waiting.state, { type: 'eventReceived', seq, payload: { text: 'نعم، مهتم' }, at }));
      expect(done.state.status).to.equal('succeeded');
      expect(done.state.nodes.wait).to.deep.equal({ port: 'received', output: { text: 'نعم، مهتم' } });
      expect(done.state.output).to.deep.equal({ outcome: 'replied', text: 'نعم، مهتم' });
    });

    it('continues on timeout with its input when the timeout fires first (a late event changes nothing)', async () => {
      const waiting = await suspended();
      const token = waiting.state.tokens[0]!;
      const done = await settle(advance(flow, waiting.state, { type: 'timerFired', seq: token.seq, at, due: Date.parse(token.until!) }));
      expect(done.state.nodes.wait).to.deep.equal({ port: 'timeout', output: input });
      expect(done.state.output).to.deep.equal({ ...input, outcome: 'silent' });
      const late = advance(flow, done.state, { type: 'eventReceived', seq: token.seq, payload: { text: 'late' }, at });
      expect(late.commands).to.deep.equal([]);
      expect(late.state).to.equal(done.state);
    });
  });
});

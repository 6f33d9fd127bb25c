import { expect } from 'chai';
import type { Flow, FlowError } from '../../engine/index.js';
import { outputPortsOf, validateFlow } from '../../engine/index.js';
import { checkGraph } from '../../engine/flow/graph-checks.js';
import { fakeRegistry } from '../helpers/fake-nodes.js';
import { chain, flowOf } from '../helpers/flow-builder.js';

const registry = fakeRegistry();

/** All problems of a flow, as [path, code] pairs (messages checked separately). */
function problems(flow: Flow): [string, string][] {
  const result = validateFlow(flow, registry);
  return result.ok ? [] : result.errors.map((e) => [e.path, e.code]);
}

function only(flow: Flow, code: string): FlowError[] {
  const result = validateFlow(flow, registry);
  expect(result.ok, 'expected the flow to be invalid').to.equal(false);
  const errors = result.ok ? [] : result.errors;
  expect(errors.map((e) => e.code), JSON.stringify(errors)).to.satisfy((codes: string[]) => codes.every((c) => c === code));
  return errors;
}

describe('graph checks', () => {
  it('accepts a straight chain, a fan-out and a fan-in', () => {
    expect(problems(chain('t.trigger', 't.pass', 't.pass'))).to.deep.equal([]);
    expect(problems(flowOf({ n1: 't.trigger', n2: 't.pass', n3: 't.pass', n4: 't.pass' }, ['n1 -> n2', 'n1 -> n3', 'n2 -> n4', 'n3 -> n4']))).to.deep.equal([]);
  });

  it('accepts several triggers feeding one node', () => {
    expect(problems(flowOf({ a: 't.trigger', b: 't.trigger', c: 't.pass' }, ['a -> c', 'b -> c']))).to.deep.equal([]);
  });

  describe('ids', () => {
    it('reports a duplicate node id at the second occurrence', () => {
      const flow = chain('t.trigger', 't.pass', 't.pass');
      flow.nodes[2]!.id = 'n2';
      flow.edges = flow.edges.slice(0, 1);
      const [e] = only(flow, 'duplicate_id');
      expect(e).to.deep.equal({ path: '/nodes/2/id', code: 'duplicate_id', message: 'node id "n2" is used more than once' });
    });

    it('reports a duplicate edge id at the second occurrence', () => {
      const flow = chain('t.trigger', 't.pass', 't.pass');
      flow.edges[1]!.id = 'e1';
      const [e] = only(flow, 'duplicate_id');
      expect(e).to.deep.equal({ path: '/edges/1/id', code: 'duplicate_id', message: 'edge id "e1" is used more than once' });
    });

    it('reports each extra duplicate', () => {
      const flow = flowOf({ n1: 't.trigger', n2: 't.pass' }, ['n1 -> n2', 'n1 -> n2', 'n1 -> n2']);
      flow.edges.forEach((e) => (e.id = 'same'));
      expect(problems(flow)).to.deep.equal([
        ['/edges/1/id', 'duplicate_id'],
        ['/edges/2/id', 'duplicate_id'],
      ]);
    });
  });

  describe('edges', () => {
    it('reports an edge from an unknown node', () => {
      const flow = flowOf({ n1: 't.trigger', n2: 't.pass' }, ['n1 -> n2', 'ghost -> n2']);
      const [e] = only(flow, 'unknown_node');
      expect(e!.path).to.equal('/edges/1/from/node');
      expect(e!.message).to.contain('"ghost"');
    });

    it('reports an edge to an unknown node', () => {
      const flow = flowOf({ n1: 't.trigger', n2: 't.pass' }, ['n1 -> n2', 'n2 -> ghost']);
      const [e] = only(flow, 'unknown_node');
      expect(e!.path).to.equal('/edges/1/to/node');
      expect(e!.message).to.contain('"ghost"');
    });

    it('reports an unknown output port, listing the ports there are', () => {
      const flow = flowOf({ n1: 't.trigger', n2: 't.branch', n3: 't.pass' }, ['n1 -> n2', 'n2:c -> n3', 'n2:a -> n3']);
      const [e] = only(flow, 'unknown_port');
      expect(e!.path).to.equal('/edges/1/from/port');
      expect(e!.message).to.equal('node "n2" (t.branch) has no output port "c"; ports: a, b');
    });

    it('does not check ports of a node whose type is unknown (that is reported once, on the node)', () => {
      const flow = flowOf({ n1: 't.trigger', n2: 't.nope', n3: 't.pass' }, ['n1 -> n2', 'n2:whatever -> n3']);
      expect(problems(flow)).to.deep.equal([['/nodes/1/type', 'unknown_node_type']]);
    });

    it('reports an edge into a trigger', () => {
      const flow = flowOf({ n1: 't.trigger', n2: 't.pass', n3: 't.trigger' }, ['n1 -> n2', 'n2 -> n3']);
      const [e] = only(flow, 'trigger_has_no_input');
      expect(e).to.deep.equal({ path: '/edges/1/to/node', code: 'trigger_has_no_input', message: 'trigger "n3" cannot receive an edge' });
    });

    it('reports a target port other than "in"', () => {
      const flow = flowOf({ n1: 't.trigger', n2: 't.pass' }, ['n1 -> n2:input']);
      expect(problems(flow)).to.deep.include(['/edges/0/to/port', 'unknown_port']);
      const result = validateFlow(flow, registry);
      const e = result.ok ? undefined : result.errors.find((x) => x.path === '/edges/0/to/port');
      expect(e!.message).to.equal('node "n2" has one input port, "in"');
    });

    it('does not use a bad edge for reachability', () => {
      // n2 is only reached through the edge with the bad port, so it is unreachable too.
      const flow = flowOf({ n1: 't.trigger', n2: 't.pass' }, ['n1:nope -> n2']);
      expect(problems(flow)).to.deep.equal([
        ['/edges/0/from/port', 'unknown_port'],
        ['/nodes/1', 'unreachable'],
      ]);
    });
  });

  describe('triggers', () => {
    it('reports a flow without a trigger', () => {
      const flow = chain('t.pass', 't.pass');
      expect(problems(flow)).to.deep.equal([['/nodes', 'no_trigger']]);
    });

    it('reports a flow with no nodes at all', () => {
      const [e] = only(flowOf({}), 'no_trigger');
      expect(e).to.deep.equal({ path: '/nodes', code: 'no_trigger', message: 'a flow needs at least one trigger node' });
    });
  });

  describe('cycles', () => {
    it('reports a cycle at the edge that closes it, showing the cycle', () => {
      const flow = flowOf({ n1: 't.trigger', n2: 't.pass', n3: 't.pass', n4: 't.pass' }, ['n1 -> n2', 'n2 -> n3', 'n3 -> n4', 'n4 -> n2']);
      const [e] = only(flow, 'cycle');
      expect(e).to.deep.equal({ path: '/edges/3', code: 'cycle', message: 'edge closes a cycle: n2 → n3 → n4 → n2' });
    });

    it('reports a self-loop', () => {
      const flow = flowOf({ n1: 't.trigger', n2: 't.pass' }, ['n1 -> n2', 'n2 -> n2']);
      const [e] = only(flow, 'cycle');
      expect(e).to.deep.equal({ path: '/edges/1', code: 'cycle', message: 'edge closes a cycle: n2 → n2' });
    });

    it('reports two separate cycles separately', () => {
      const flow = flowOf(
        { n1: 't.trigger', n2: 't.branch', n3: 't.pass', n4: 't.pass' },
        ['n1 -> n2', 'n2:a -> n3', 'n3 -> n2', 'n2:b -> n4', 'n4 -> n4'],
      );
      expect(problems(flow)).to.have.deep.members([
        ['/edges/2', 'cycle'],
        ['/edges/4', 'cycle'],
      ]);
    });

    it('reports a cycle that no trigger reaches, and its nodes as unreachable', () => {
      const flow = flowOf({ n1: 't.trigger', n2: 't.pass', n3: 't.pass' }, ['n2 -> n3', 'n3 -> n2']);
      expect(problems(flow)).to.have.deep.members([
        ['/edges/1', 'cycle'],
        ['/nodes/1', 'unreachable'],
        ['/nodes/2', 'unreachable'],
      ]);
    });

    it('does not mistake a diamond for a cycle', () => {
      const flow = flowOf({ n1: 't.trigger', n2: 't.branch', n3: 't.pass', n4: 't.pass' }, ['n1 -> n2', 'n2:a -> n3', 'n2:b -> n4', 'n3 -> n4']);
      expect(problems(flow)).to.deep.equal([]);
    });
  });

  describe('reachability', () => {
    it('reports a node no trigger reaches', () => {
      const flow = flowOf({ n1: 't.trigger', n2: 't.pass', n3: 't.pass', n4: 't.pass' }, ['n1 -> n2', 'n3 -> n4']);
      const errors = only(flow, 'unreachable');
      expect(errors).to.deep.equal([
        { path: '/nodes/2', code: 'unreachable', message: 'node "n3" cannot be reached from any trigger' },
        { path: '/nodes/3', code: 'unreachable', message: 'node "n4" cannot be reached from any trigger' },
      ]);
    });

    it('counts reachability through any port of a branching node', () => {
      const flow = flowOf({ n1: 't.trigger', n2: 't.branch', n3: 't.pass', n4: 't.pass' }, ['n1 -> n2', 'n2:b -> n3', 'n3 -> n4']);
      expect(problems(flow)).to.deep.equal([]);
    });

    it('reports unreachable nodes once per node even when ids are duplicated', () => {
      const flow = flowOf({ n1: 't.trigger', n2: 't.pass' });
      flow.nodes.push({ id: 'n2', type: 't.pass' });
      expect(problems(flow)).to.have.deep.members([
        ['/nodes/2/id', 'duplicate_id'],
        ['/nodes/1', 'unreachable'],
      ]);
    });
  });

  describe('the error port', () => {
    it('is refused when the node neither continues on error nor declares it', () => {
      const flow = flowOf({ n1: 't.trigger', n2: 't.fail', n3: 't.pass' }, ['n1 -> n2', 'n2:error -> n3']);
      const result = validateFlow(flow, registry);
      expect(result.ok ? [] : result.errors).to.deep.equal([
        { path: '/edges/1/from/port', code: 'unknown_port', message: 'node "n2" (t.fail) has no output port "error"; ports: out' },
        { path: '/nodes/2', code: 'unreachable', message: 'node "n3" cannot be reached from any trigger' },
      ]);
    });

    it("is refused with onError 'fail'", () => {
      const flow = flowOf({ n1: 't.trigger', n2: { type: 't.fail', onError: 'fail' }, n3: 't.pass' }, ['n1 -> n2', 'n2:error -> n3']);
      expect(problems(flow)).to.deep.include(['/edges/1/from/port', 'unknown_port']);
    });

    it("is allowed with onError 'continue'", () => {
      const flow = flowOf({ n1: 't.trigger', n2: { type: 't.fail', onError: 'continue' }, n3: 't.pass' }, ['n1 -> n2', 'n2:error -> n3']);
      expect(problems(flow)).to.deep.equal([]);
    });

    it('is allowed when the type declares it', () => {
      const flow = flowOf({ n1: 't.trigger', n2: { type: 't.send', params: { to: 'x', body: 'y' } }, n3: 't.pass' }, ['n1 -> n2', 'n2:error -> n3']);
      expect(problems(flow)).to.deep.equal([]);
    });

    it("is listed once by outputPortsOf when declared and onError is 'continue'", () => {
      const send = registry.get('t.send')!;
      expect(outputPortsOf({ id: 'x', type: 't.send', onError: 'continue' }, send)).to.deep.equal(['sent', 'blocked', 'error']);
      expect(outputPortsOf({ id: 'x', type: 't.pass', onError: 'continue' }, registry.get('t.pass')!)).to.deep.equal(['out', 'error']);
      expect(outputPortsOf({ id: 'x', type: 't.pass' }, registry.get('t.pass')!)).to.deep.equal(['out']);
    });
  });

  describe('dynamic ports (outputs from params)', () => {
    const sw = (cases: string[], ports: string[]): Flow =>
      flowOf(
        { n1: 't.trigger', n2: { type: 't.switch', params: { value: '=$.tier', cases } }, n3: 't.pass' },
        ['n1 -> n2', ...ports.map((p) => `n2:${p} -> n3`)],
      );

    it('accepts ports named by the params', () => {
      expect(problems(sw(['gold', 'silver'], ['gold', 'silver', 'default']))).to.deep.equal([]);
    });

    it('refuses a port the params do not name, listing the ones they do', () => {
      const errors = only(sw(['gold'], ['gold', 'silver']), 'unknown_port');
      expect(errors).to.have.length(1);
      expect(errors[0]!.path).to.equal('/edges/2/from/port');
      expect(errors[0]!.message).to.contain('ports: gold, default');
    });

    it('works for Arabic port names', () => {
      expect(problems(sw(['ذهبي', 'فضي'], ['ذهبي', 'فضي']))).to.deep.equal([]);
    });

    it('treats an outputs() that throws as having no ports', () => {
      // checkGraph on its own (no params validation), with params the function cannot read.
      const flow = flowOf({ n1: 't.trigger', n2: { type: 't.switch', params: { value: 'x', cases: 5 as never } }, n3: 't.pass' }, ['n1 -> n2', 'n2:a -> n3']);
      const errors = checkGraph(flow, registry);
      expect(errors.find((e) => e.path === '/edges/1/from/port')?.message).to.contain('ports: none');
    });
  });
});

// Property tests of the pure stepper on random valid DAG flows, driven by a deterministic fake
// executor: every run command is answered by stepStarted + stepSucceeded, branch nodes leave by
// the port chosen for them by the generator.
import { expect } from 'chai';
import fc from 'fast-check';
import type { Command, ExecutionState, Flow, StepperEvent } from '../../engine/index.js';
import { advance, initialState, pendingRuns, validateFlow } from '../../engine/index.js';
import { fakeRegistry } from '../helpers/fake-nodes.js';

const registry = fakeRegistry();
const NUM_RUNS = 150;
const T0 = Date.parse('2025-01-05T06:00:00.000Z');
const at = (tick: number): string => new Date(T0 + tick * 1000).toISOString();

type Port = 'a' | 'b';
type RunCommand = Extract<Command, { type: 'run' }>;

interface Dag {
  n: number;
  /** isBranch[i]: node i is a t.branch (ports a/b); otherwise t.pass (port out). Node 0 is the trigger. */
  isBranch: boolean[];
  /** The port the executor takes when branch node i runs. */
  choice: Port[];
  edges: { from: number; port: string; to: number }[];
}

/** Node ids are n0..n{n-1}; n0 is the trigger. */
const id = (i: number): string => `n${i}`;

/**
 * Random DAG: n nodes (2..15), edges only from lower to higher index (acyclic), every node
 * i > 0 has a parent below it (reachable), plus up to 8 extra edges, in a random order.
 */
const dagArb: fc.Arbitrary<Dag> = fc.integer({ min: 2, max: 15 }).chain((n) =>
  fc
    .record({
      isBranch: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      choice: fc.array(fc.constantFrom<Port>('a', 'b'), { minLength: n, maxLength: n }),
      parents: fc.array(fc.tuple(fc.nat(), fc.constantFrom<Port>('a', 'b')), { minLength: n - 1, maxLength: n - 1 }),
      extra: fc.array(fc.tuple(fc.nat({ max: n - 1 }), fc.nat({ max: n - 1 }), fc.constantFrom<Port>('a', 'b')), { maxLength: 8 }),
      order: fc.array(fc.nat(), { minLength: n + 8, maxLength: n + 8 }),
    })
    .map(({ isBranch, choice, parents, extra, order }) => {
      isBranch[0] = false;
      const portOf = (from: number, p: Port): string => (isBranch[from] ? p : 'out');
      const edges: Dag['edges'] = [];
      const seen = new Set<string>();
      const add = (from: number, to: number, p: Port): void => {
        const e = { from, port: portOf(from, p), to };
        const key = `${e.from}:${e.port}:${e.to}`;
        if (from >= to || seen.has(key)) return;
        seen.add(key);
        edges.push(e);
      };
      parents.forEach(([raw, p], k) => add(raw % (k + 1), k + 1, p));
      for (const [x, y, p] of extra) add(Math.min(x, y), Math.max(x, y), p);
      // A random but stable edge order (document order is run order).
      const sorted = edges.map((e, i) => ({ e, key: order[i] ?? 0, i })).sort((p, q) => p.key - q.key || p.i - q.i);
      return { n, isBranch, choice, edges: sorted.map((x) => x.e) };
    }),
);

function toFlow(dag: Dag): Flow {
  return {
    schemaVersion: 1,
    name: 'random dag',
    nodes: Array.from({ length: dag.n }, (_, i) => ({ id: id(i), type: i === 0 ? 't.trigger' : dag.isBranch[i] ? 't.branch' : 't.pass' })),
    edges: dag.edges.map((e, i) => ({ id: `e${i + 1}`, from: { node: id(e.from), port: e.port }, to: { node: id(e.to), port: 'in' } })),
  };
}

const takenPort = (dag: Dag, i: number): string => (dag.isBranch[i] ? dag.choice[i]! : 'out');

/** How many times each node must run: paths from the trigger along taken ports. */
function expectedRuns(dag: Dag): number[] {
  const runs = Array.from({ length: dag.n }, (_, i) => (i === 0 ? 1 : 0));
  for (let i = 0; i < dag.n; i++) {
    for (const e of dag.edges) if (e.from === i && e.port === takenPort(dag, i)) runs[e.to]! += runs[i]!;
  }
  return runs;
}

interface SimOptions {
  execId: string;
  /** Serialise the state (JSON) after this many events and resume from pendingRuns(). */
  crashAfter?: number;
  /** Cancel after this many events. */
  cancelAfter?: number;
  /** Redelivery checks: after each event, deliver it again and one earlier event chosen by these numbers. */
  redeliver?: number[];
}

interface SimResult {
  state: ExecutionState;
  events: StepperEvent[];
  commands: Command[];
  runs: RunCommand[];
}

function simulate(dag: Dag, flow: Flow, opts: SimOptions): SimResult {
  const limit = 2 * expectedRuns(dag).reduce((a, b) => a + b, 0) + 10;
  const nodeIndex = (node: string): number => Number(node.slice(1));
  let state = initialState(opts.execId, at(0));
  const events: StepperEvent[] = [];
  const commands: Command[] = [];
  const runs: RunCommand[] = [];
  const queue: RunCommand[] = [];

  const apply = (event: StepperEvent): void => {
    const result = advance(flow, state, event);
    state = result.state;
    events.push(event);
    commands.push(...result.commands);
    for (const c of result.commands) {
      if (c.type !== 'run') continue;
      runs.push(c);
      queue.push(c);
    }
    if (opts.redeliver) {
      // (e) idempotence: the same event again, and some earlier event, change nothing.
      const k = opts.redeliver[events.length % opts.redeliver.length]! % events.length;
      for (const again of [event, events[k]!]) {
        const dup = advance(flow, state, again);
        expect(dup.commands, `redelivered ${again.type}`).to.deep.equal([]);
        expect(dup.steps).to.deep.equal([]);
        expect(dup.state).to.deep.equal(state);
      }
    }
  };

  /** After an event: crash and resume, or cancel, when it is time. Returns true when the in-flight run is void. */
  const interrupt = (): boolean => {
    if (events.length === opts.crashAfter) {
      state = JSON.parse(JSON.stringify(state)) as ExecutionState;
      queue.splice(0, queue.length, ...(pendingRuns(state) as RunCommand[]));
      return true;
    }
    if (events.length === opts.cancelAfter) {
      apply({ type: 'cancel', at: at(10_000), reason: 'test' });
      queue.length = 0;
      return true;
    }
    return false;
  };

  apply({ type: 'start', trigger: 'n0', payload: { lead: 'عميل' }, at: at(0) });
  interrupt();
  while (queue.length > 0) {
    expect(events.length, 'too many events: the execution does not terminate').to.be.at.most(limit);
    const cmd = queue.shift()!;
    apply({ type: 'stepStarted', seq: cmd.seq, at: at(2 * cmd.seq + 1) });
    if (interrupt()) continue;
    const from = (cmd.input as { node?: string } | null)?.node ?? null;
    const output = { node: cmd.node, seq: cmd.seq, from };
    apply({ type: 'stepSucceeded', seq: cmd.seq, port: takenPort(dag, nodeIndex(cmd.node)), output, startedAt: at(2 * cmd.seq + 1), at: at(2 * cmd.seq + 2) });
    interrupt();
  }
  return { state, events, commands, runs };
}

const execIdArb = fc.oneof(fc.uuid(), fc.constantFrom('exec-1', 'تنفيذ-٧'));

describe('stepper properties (random DAG flows)', () => {
  it('generates valid flows', () => {
    fc.assert(
      fc.property(dagArb, (dag) => {
        const result = validateFlow(toFlow(dag), registry);
        expect(result.ok, JSON.stringify(result.errors)).to.equal(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(a) always terminates with succeeded, after exactly one start plus two events per activation', () => {
    fc.assert(
      fc.property(dagArb, execIdArb, (dag, execId) => {
        const { state, events, commands } = simulate(dag, toFlow(dag), { execId });
        const total = expectedRuns(dag).reduce((a, b) => a + b, 0);
        expect(state.status).to.equal('succeeded');
        expect(state.tokens).to.deep.equal([]);
        expect(pendingRuns(state)).to.deep.equal([]);
        expect(events).to.have.length(1 + 2 * total);
        expect(commands.filter((c) => c.type === 'finish')).to.deep.equal([{ type: 'finish', status: 'succeeded', output: state.output, error: null }]);
        expect(commands.at(-1)!.type).to.equal('finish');
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(b) every seq is unique, consecutive from 0, and stepIds are `${execId}:${seq}`', () => {
    fc.assert(
      fc.property(dagArb, execIdArb, (dag, execId) => {
        const { state, runs } = simulate(dag, toFlow(dag), { execId });
        const seqs = runs.map((r) => r.seq);
        expect(seqs).to.deep.equal([...seqs.keys()]);
        expect(state.nextSeq).to.equal(runs.length);
        for (const r of runs) expect(r.stepId).to.equal(`${execId}:${r.seq}`);
        for (const r of runs) expect(r.attempt).to.equal(1);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(c) is deterministic: the same flow and choices give equal final states and the same commands', () => {
    fc.assert(
      fc.property(dagArb, execIdArb, (dag, execId) => {
        const one = simulate(dag, toFlow(dag), { execId });
        const two = simulate(dag, toFlow(dag), { execId });
        expect(two.state).to.deep.equal(one.state);
        expect(two.commands).to.deep.equal(one.commands);
        expect(two.events).to.deep.equal(one.events);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(d) runs exactly the nodes reachable through taken ports, once per path', () => {
    fc.assert(
      fc.property(dagArb, (dag) => {
        const { state, runs } = simulate(dag, toFlow(dag), { execId: 'x' });
        const expected = expectedRuns(dag);
        const actual = Array.from({ length: dag.n }, (_, i) => runs.filter((r) => r.node === id(i)).length);
        expect(actual).to.deep.equal(expected);
        // Every run but the trigger's was fed by a taken edge from the node that produced its input.
        for (const r of runs.slice(1)) {
          const from = Number((r.input as { node: string }).node.slice(1));
          const to = Number(r.node.slice(1));
          expect(dag.edges.some((e) => e.from === from && e.to === to && e.port === takenPort(dag, from))).to.equal(true);
        }
        expect(Object.keys(state.nodes).sort()).to.deep.equal(expected.flatMap((k, i) => (k > 0 ? [id(i)] : [])).sort());
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(e) redelivering any event (just now or earlier) changes nothing', () => {
    fc.assert(
      fc.property(dagArb, fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), (dag, redeliver) => {
        const plain = simulate(dag, toFlow(dag), { execId: 'x' });
        const checked = simulate(dag, toFlow(dag), { execId: 'x', redeliver });
        expect(checked.state).to.deep.equal(plain.state);
        // And once it is over, every event of the run is a no-op.
        const flow = toFlow(dag);
        for (const e of plain.events) expect(advance(flow, plain.state, e).state).to.equal(plain.state);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(f) crash anywhere, reload the state from JSON, resume from pendingRuns: same outcome', () => {
    fc.assert(
      fc.property(dagArb, fc.nat(), execIdArb, (dag, k, execId) => {
        const flow = toFlow(dag);
        const uninterrupted = simulate(dag, flow, { execId });
        const crashAfter = 1 + (k % uninterrupted.events.length);
        const resumed = simulate(dag, flow, { execId, crashAfter });
        expect(resumed.state).to.deep.equal(uninterrupted.state);
        // The same activations happened (a step in flight at the crash is re-issued, not duplicated).
        const key = (r: RunCommand): string => `${r.stepId}|${r.node}|${JSON.stringify(r.input)}`;
        expect([...new Set(resumed.runs.map(key))].sort()).to.deep.equal(uninterrupted.runs.map(key).sort());
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(g) a cancel at any point ends the execution: cancelled, nothing pending, nothing more runs', () => {
    fc.assert(
      fc.property(dagArb, fc.nat(), (dag, k) => {
        const flow = toFlow(dag);
        const full = simulate(dag, flow, { execId: 'x' });
        const cancelAfter = 1 + (k % (full.events.length - 1));
        const cancelled = simulate(dag, flow, { execId: 'x', cancelAfter });
        expect(cancelled.state.status).to.equal('cancelled');
        expect(pendingRuns(cancelled.state)).to.deep.equal([]);
        expect(cancelled.events.at(-1)!.type).to.equal('cancel');
        expect(cancelled.commands.at(-1)).to.deep.include({ type: 'finish', status: 'cancelled' });
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

import { expect } from 'chai';
import type { Flow, FlowError } from '../../engine/index.js';
import { validateFlow } from '../../engine/index.js';
import { fakeRegistry } from '../helpers/fake-nodes.js';
import { chain, flowOf } from '../helpers/flow-builder.js';

const registry = fakeRegistry();

function errorsOf(doc: unknown): FlowError[] {
  const result = validateFlow(doc, registry);
  expect(result.ok, 'expected the flow to be invalid').to.equal(false);
  for (const e of result.errors) {
    expect(e).to.have.all.keys('path', 'code', 'message');
    expect(e.path).to.be.a('string');
    expect(e.code).to.be.a('string').with.length.greaterThan(0);
    expect(e.message).to.be.a('string').with.length.greaterThan(0);
  }
  return result.errors;
}

function expectError(errors: FlowError[], path: string, code: string): FlowError {
  const found = errors.find((e) => e.path === path && e.code === code);
  expect(found, `expected ${code} at ${path}; got ${JSON.stringify(errors)}`).to.not.equal(undefined);
  return found!;
}

/** A raw (loosely typed) copy of a flow, for breaking it in ways the type forbids. */
function raw(flow: Flow): Record<string, unknown> & { nodes: Record<string, unknown>[]; edges: Record<string, unknown>[] } {
  return structuredClone(flow) as never;
}

describe('validateFlow', () => {
  describe('envelope schema', () => {
    for (const doc of [null, 42, 'flow', [], true]) {
      it(`rejects a non-object document: ${JSON.stringify(doc)}`, () => {
        expect(errorsOf(doc)).to.deep.equal([{ path: '', code: 'invalid_type', message: 'a flow must be a JSON object' }]);
      });
    }

    it('reports a missing name', () => {
      const doc = raw(chain('t.trigger'));
      delete doc.name;
      const e = expectError(errorsOf(doc), '/name', 'required');
      expect(e.message).to.contain('name');
    });

    it('reports an empty name', () => {
      expectError(errorsOf({ ...chain('t.trigger'), name: '' }), '/name', 'invalid_value');
    });

    it('reports a wrong schemaVersion', () => {
      expectError(errorsOf({ ...chain('t.trigger'), schemaVersion: 2 }), '/schemaVersion', 'invalid_value');
    });

    it('reports missing nodes and edges arrays', () => {
      const errors = errorsOf({ schemaVersion: 1, name: 'x' });
      expectError(errors, '/nodes', 'required');
      expectError(errors, '/edges', 'required');
    });

    it('reports an unknown top-level property', () => {
      const e = expectError(errorsOf({ ...chain('t.trigger'), colour: 'red' }), '/colour', 'unknown_property');
      expect(e.message).to.contain('colour');
    });

    it('reports an unknown property on a node and on an edge', () => {
      const doc = raw(chain('t.trigger', 't.pass'));
      doc.nodes[1]!.colour = 'red';
      doc.edges[0]!.weight = 3;
      const errors = errorsOf(doc);
      expectError(errors, '/nodes/1/colour', 'unknown_property');
      expectError(errors, '/edges/0/weight', 'unknown_property');
    });

    for (const id of ['1abc', 'has space', '', 'a'.repeat(65), 'n/1', 'ن١']) {
      it(`reports a bad node id ${JSON.stringify(id)}`, () => {
        const doc = raw(chain('t.trigger'));
        doc.nodes[0]!.id = id;
        expectError(errorsOf(doc), '/nodes/0/id', 'invalid_value');
      });
    }

    it('accepts node ids with letters, digits, _ and -, up to 64 characters', () => {
      for (const id of ['a', 'N_1', 'send-whatsapp-2', 'a'.repeat(64)]) {
        const result = validateFlow(flowOf({ [id]: 't.trigger' }), registry);
        expect(result.ok, id).to.equal(true);
      }
    });

    it('reports a bad retry policy at each offending field', () => {
      const doc = raw(chain('t.trigger', { type: 't.pass', retry: { max: 21, backoffMs: -1, factor: 0.5 } }));
      const errors = errorsOf(doc);
      expectError(errors, '/nodes/1/retry/max', 'invalid_value');
      expectError(errors, '/nodes/1/retry/backoffMs', 'invalid_value');
      expectError(errors, '/nodes/1/retry/factor', 'invalid_value');
    });

    it('reports a retry policy of the wrong shape', () => {
      const doc = raw(chain('t.trigger', 't.pass'));
      doc.nodes[1]!.retry = { max: 'three', tries: 2 };
      const errors = errorsOf(doc);
      expectError(errors, '/nodes/1/retry/max', 'invalid_type');
      expectError(errors, '/nodes/1/retry/tries', 'unknown_property');
    });

    it('reports a bad onError value', () => {
      const doc = raw(chain('t.trigger', 't.pass'));
      doc.nodes[1]!.onError = 'ignore';
      expectError(errorsOf(doc), '/nodes/1/onError', 'invalid_value');
    });

    it('reports nodes and edges that are not objects', () => {
      const errors = errorsOf({ schemaVersion: 1, name: 'x', nodes: [{ id: 'n1', type: 't.trigger' }, 7], edges: ['n1->n2'] });
      expectError(errors, '/nodes/1', 'invalid_type');
      expectError(errors, '/edges/0', 'invalid_type');
    });

    // Found by these tests: checkGraph called `.forEach` on whatever `nodes` was, so a
    // non-array `nodes` crashed validation (TypeError) instead of being reported.
    for (const nodes of [{}, 'n1', 3, null]) {
      it(`reports (does not crash on) nodes = ${JSON.stringify(nodes)}`, () => {
        const errors = errorsOf({ schemaVersion: 1, name: 'x', nodes, edges: [] });
        expectError(errors, '/nodes', 'invalid_type');
      });
    }

    it('reports (does not crash on) edges that are not an array', () => {
      expectError(errorsOf({ ...chain('t.trigger'), edges: { e1: {} } }), '/edges', 'invalid_type');
    });
  });

  describe('node types and params', () => {
    it('reports an unknown node type at /nodes/i/type', () => {
      const e = expectError(errorsOf(chain('t.trigger', 't.nope')), '/nodes/1/type', 'unknown_node_type');
      expect(e.message).to.contain('t.nope');
    });

    it('reports a typeVersion newer than the type supports', () => {
      const e = expectError(errorsOf(chain('t.trigger', { type: 't.versioned', typeVersion: 3 })), '/nodes/1/typeVersion', 'unsupported_type_version');
      expect(e.message).to.contain('2');
    });

    it('accepts every typeVersion up to the type version', () => {
      expect(validateFlow(chain('t.trigger', { type: 't.versioned', typeVersion: 1 }), registry).ok).to.equal(true);
      expect(validateFlow(chain('t.trigger', { type: 't.versioned', typeVersion: 2 }), registry).ok).to.equal(true);
    });

    it('names the broken constraint when a literal has the right type (not "must be number or an expression")', () => {
      const errors = errorsOf(chain('t.trigger', { type: 't.delay', params: { seconds: -1 } }));
      expect(errors).to.deep.equal([{ path: '/nodes/1/params/seconds', code: 'invalid_value', message: 'must be >= 0' }]);
    });

    it('reports a missing required param at /nodes/i/params/<name>', () => {
      const errors = errorsOf(chain('t.trigger', { type: 't.delay', params: {} }));
      expect(errors).to.deep.equal([{ path: '/nodes/1/params/seconds', code: 'required', message: 'seconds is required' }]);
    });

    it('reports a param of the wrong type once, mentioning that an expression is allowed', () => {
      const errors = errorsOf(chain('t.trigger', { type: 't.delay', params: { seconds: true } }));
      expect(errors).to.have.length(1);
      expect(errors[0]).to.include({ path: '/nodes/1/params/seconds', code: 'invalid_value' });
      // Found by these tests: ajv only hands `parentSchema` to errors with `verbose: true`, so
      // this expression-aware message was dead code ("does not match any allowed shape").
      expect(errors[0]!.message).to.equal('must be number or an expression starting with "="');
    });

    it('reports a string param that is neither a number nor an expression', () => {
      expectError(errorsOf(chain('t.trigger', { type: 't.delay', params: { seconds: '10' } })), '/nodes/1/params/seconds', 'invalid_value');
    });

    it('accepts an expression where a number is expected', () => {
      expect(validateFlow(chain('t.trigger', { type: 't.delay', params: { seconds: '=$trigger.wait * 60' } }), registry).ok).to.equal(true);
    });

    it('reports an unknown param property', () => {
      expectError(errorsOf(chain('t.trigger', { type: 't.delay', params: { seconds: 1, minutes: 2 } })), '/nodes/1/params/minutes', 'unknown_property');
    });

    it('escapes JSON pointer segments in param paths', () => {
      const errors = errorsOf(chain('t.trigger', { type: 't.delay', params: { seconds: 1, 'a/b~c': 2 } }));
      expectError(errors, '/nodes/1/params/a~1b~0c', 'unknown_property');
    });

    it('reports nested param errors with their full path', () => {
      const errors = errorsOf(chain('t.trigger', { type: 't.switch', params: { value: 'x', cases: ['ok', 3, ''] } }));
      expectError(errors, '/nodes/1/params/cases/1', 'invalid_type');
      expectError(errors, '/nodes/1/params/cases/2', 'invalid_value');
    });

    it("runs the type's own check() under the params path", () => {
      const errors = errorsOf(chain('t.trigger', { type: 't.switch', params: { value: 'x', cases: ['a', 'a'] } }));
      expect(errors).to.deep.equal([{ path: '/nodes/1/params/cases', code: 'duplicate_case', message: 'case names must be unique' }]);
    });

    it('reports expression syntax errors at save time, with path and position', () => {
      const errors = errorsOf(chain('t.trigger', { type: 't.delay', params: { seconds: '=$trigger.wait *', note: '=(' } }));
      const seconds = expectError(errors, '/nodes/1/params/seconds', 'expression_syntax');
      const note = expectError(errors, '/nodes/1/params/note', 'expression_syntax');
      expect(note.message).to.match(/at character \d+/);
      expect(seconds.message).to.not.equal('');
    });

    it('reports expression syntax errors nested in arrays and objects', () => {
      // t.trigger's params schema is open, so any shape reaches the expression check.
      const errors = errorsOf(flowOf({ n1: { type: 't.trigger', params: { list: ['=1', '=1 +'], deep: { x: { y: '=[' } } } } }));
      expect(errors.map((e) => [e.path, e.code])).to.have.deep.members([
        ['/nodes/0/params/list/1', 'expression_syntax'],
        ['/nodes/0/params/deep/x/y', 'expression_syntax'],
      ]);
    });

    it('does not treat strings that merely contain "=" as expressions', () => {
      expect(validateFlow(flowOf({ n1: { type: 't.trigger', params: { a: 'x = (', b: ' =(' } } }), registry).ok).to.equal(true);
    });
  });

  describe('many problems at once', () => {
    it('reports every problem of a flow in one pass', () => {
      const doc = {
        schemaVersion: 1,
        name: 'broken',
        extra: true, // unknown property
        nodes: [
          { id: 'n1', type: 't.trigger' },
          { id: 'n2', type: 't.delay', params: {} }, // missing param
          { id: 'n3', type: 't.nope' }, // unknown type
          { id: 'n4', type: 't.versioned', typeVersion: 9 }, // unsupported version
          { id: 'n5', type: 't.delay', params: { seconds: '=1 +' } }, // expression syntax
          { id: 'n6', type: 't.pass', retry: { max: 99 } }, // bad retry
          { id: 'n7', type: 't.pass' }, // unreachable
        ],
        edges: [
          { id: 'e1', from: { node: 'n1', port: 'out' }, to: { node: 'n2', port: 'in' } },
          { id: 'e2', from: { node: 'n2', port: 'out' }, to: { node: 'n3', port: 'in' } },
          { id: 'e3', from: { node: 'n3', port: 'out' }, to: { node: 'n4', port: 'in' } },
          { id: 'e4', from: { node: 'n4', port: 'out' }, to: { node: 'n5', port: 'in' } },
          { id: 'e5', from: { node: 'n5', port: 'out' }, to: { node: 'n6', port: 'in' } },
          { id: 'e6', from: { node: 'n6', port: 'nope' }, to: { node: 'n1', port: 'in' } }, // unknown port + into trigger
          { id: 'e7', from: { node: 'ghost', port: 'out' }, to: { node: 'n6', port: 'in' } }, // unknown node
        ],
      };
      const errors = errorsOf(doc);
      const expected: [string, string][] = [
        ['/extra', 'unknown_property'],
        ['/nodes/1/params/seconds', 'required'],
        ['/nodes/2/type', 'unknown_node_type'],
        ['/nodes/3/typeVersion', 'unsupported_type_version'],
        ['/nodes/4/params/seconds', 'expression_syntax'],
        ['/nodes/5/retry/max', 'invalid_value'],
        ['/nodes/6', 'unreachable'],
        ['/edges/5/from/port', 'unknown_port'],
        ['/edges/5/to/node', 'trigger_has_no_input'],
        ['/edges/6/from/node', 'unknown_node'],
      ];
      for (const [path, code] of expected) expectError(errors, path, code);
      expect(new Set(errors.map((e) => e.path)).size).to.be.at.least(expected.length);
      expect(new Set(errors.map((e) => e.code)).size).to.be.at.least(9);
      // No duplicates.
      expect(new Set(errors.map((e) => JSON.stringify(e))).size).to.equal(errors.length);
    });
  });

  describe('a valid flow', () => {
    it('returns ok with the normalised flow and no errors', () => {
      const result = validateFlow(chain('t.trigger', 't.pass'), registry);
      expect(result.ok).to.equal(true);
      expect(result.errors).to.deep.equal([]);
    });

    it('fills in defaults (typeVersion, params, retry backoff and factor, param defaults)', () => {
      const doc = chain('t.trigger', { type: 't.flaky', retry: { max: 2 } as never }, { type: 't.switch', params: { value: 'x' } });
      const result = validateFlow(doc, registry);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      const [trigger, flaky, sw] = result.flow.nodes;
      expect(trigger).to.deep.include({ typeVersion: 1, params: {} });
      expect(flaky!.retry).to.deep.equal({ max: 2, backoffMs: 1000, factor: 2 });
      expect(flaky!.params).to.deep.equal({ failures: 1 });
      expect(sw!.params).to.deep.equal({ value: 'x', cases: [] });
    });

    it('does not mutate the input document', () => {
      const doc = chain('t.trigger', { type: 't.flaky', retry: { max: 2 } as never }, { type: 't.switch', params: { value: 'x' } });
      const before = structuredClone(doc);
      const result = validateFlow(doc, registry);
      expect(result.ok).to.equal(true);
      expect(doc).to.deep.equal(before);
      if (result.ok) expect(result.flow).to.not.equal(doc);
    });

    it('does not mutate an invalid input document either', () => {
      const doc = raw(chain('t.trigger', { type: 't.delay', params: {} }));
      doc.bogus = 1;
      const before = structuredClone(doc);
      errorsOf(doc);
      expect(doc).to.deep.equal(before);
    });

    it('accepts Arabic labels, names and descriptions', () => {
      const doc = flowOf({ n1: { type: 't.trigger', label: 'عميل جديد' } }, [], { name: 'متابعة العملاء', description: 'تدفق تجريبي' });
      expect(validateFlow(doc, registry).ok).to.equal(true);
    });
  });
});

// The version diff's pure part (editor/src/run/diff-groups.ts), without a browser: what a person
// reads when comparing two versions or reviewing a publish request.
import { expect } from 'chai';
import { diffFlows, valueChanges } from '../../editor/src/run/diff-groups.js';
import type { FlowDoc } from '../../editor/src/api/types.js';

const base: FlowDoc = {
  name: 'Lead intake',
  nodes: [
    { id: 'start', type: 'trigger.manual', params: {}, position: { x: 0, y: 0 } },
    { id: 'call', type: 'http.request', params: { url: 'https://crm.example.sa/a', method: 'POST' }, position: { x: 320, y: 0 } },
  ],
  edges: [{ id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'call', port: 'in' } }],
} as FlowDoc;

describe('editor version diff: change list (diff-groups)', () => {
  it('lists everything as new when there is no earlier version', () => {
    const c = diffFlows(null, base);
    expect(c.first).to.equal(true);
    expect(c.nodes.map((n) => [n.kind, n.id])).to.deep.equal([
      ['added', 'start'],
      ['added', 'call'],
    ]);
    expect(c.edges.map((e) => [e.kind, e.id])).to.deep.equal([['added', 'e1']]);
  });

  it('names a changed param by its path with the old and new values; a move alone is counted apart', () => {
    const after = structuredClone(base);
    after.nodes[1]!.params = { ...after.nodes[1]!.params, url: 'https://crm.example.sa/b' };
    after.nodes[0]!.position = { x: 40, y: 80 };
    const c = diffFlows(base, after);
    expect(c.nodes).to.have.length(1);
    const call = c.nodes[0]!;
    expect(call.kind).to.equal('changed');
    if (call.kind !== 'changed') return;
    expect(call.changes).to.deep.equal([{ path: 'params.url', before: 'https://crm.example.sa/a', after: 'https://crm.example.sa/b' }]);
    expect(c.moved).to.deep.equal(['start']);
  });

  it('sees removed nodes and rewired connections, and nothing at all between equal documents', () => {
    const after = structuredClone(base);
    after.nodes = [after.nodes[0]!, { id: 'set', type: 'data.set', params: { fields: { a: 1 } }, position: { x: 320, y: 0 } }];
    after.edges = [{ id: 'e2', from: { node: 'start', port: 'out' }, to: { node: 'set', port: 'in' } }];
    const c = diffFlows(base, after);
    expect(c.nodes.map((n) => [n.kind, n.id]).sort()).to.deep.equal([
      ['added', 'set'],
      ['removed', 'call'],
    ]);
    expect(c.edges.map((e) => [e.kind, e.id]).sort()).to.deep.equal([
      ['added', 'e2'],
      ['removed', 'e1'],
    ]);
    expect(diffFlows(base, structuredClone(base)).count).to.equal(0);
  });

  it('treats an absent field and an undefined one alike, and lists an object that appears field by field', () => {
    expect(valueChanges({ a: 1, b: undefined }, { a: 1 })).to.deep.equal([]);
    expect(valueChanges({}, { settings: { timezone: 'Asia/Riyadh' } })).to.deep.equal([{ path: 'settings.timezone', before: undefined, after: 'Asia/Riyadh' }]);
  });
});

// Two flow documents → a change list people can read, grouped by node: nodes added, removed or
// changed (each changed field with its path and old and new values), edges added or removed,
// flow-level fields (name, settings…), sticky notes, and nodes that only moved. Pure: no React,
// no API. (The server's JSON Patch is applied with fast-json-patch, in version-diff.tsx.)
import type { FlowDoc, FlowEdgeDoc, FlowNodeDoc } from '../api/types.js'; // .js: also compiled by the root tsconfig (test/editor/diff-groups.test.ts)

/** One changed value; `undefined` on a side means the field is absent there. */
export interface ValueChange { path: string; before: unknown; after: unknown }

interface NodeInfo { id: string; type: string; label?: string }
export type NodeChange =
  | (NodeInfo & { kind: 'added' })
  | (NodeInfo & { kind: 'removed' })
  | (NodeInfo & { kind: 'changed'; changes: ValueChange[]; moved: boolean });

export interface EdgeChange { kind: 'added' | 'removed'; id: string; from: FlowEdgeDoc['from']; to: FlowEdgeDoc['to'] }

export interface FlowChanges {
  /** No "before" document: everything is new. */
  first: boolean;
  /** Flow-level fields: name, description, settings.*, meta.* (sticky notes apart). */
  flow: ValueChange[];
  nodes: NodeChange[];
  edges: EdgeChange[];
  notes: { added: number; removed: number; changed: number };
  /** Nodes whose only change is their position on the canvas. */
  moved: string[];
  /** How many entries the list shows (0: no changes). */
  count: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameJson(a[k], b[k]));
  }
  return false;
}

function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}

/** Leaf-level differences: objects by key, equal-length arrays by index, anything else whole. */
export function valueChanges(before: unknown, after: unknown, path = '', out: ValueChange[] = []): ValueChange[] {
  if (sameJson(before, after)) return out;
  // A (non-empty) object that appears or goes: list its fields ("settings.timezone: not set → …").
  if (before === undefined && isObj(after) && Object.keys(after).length) return valueChanges({}, after, path, out);
  if (after === undefined && isObj(before) && Object.keys(before).length) return valueChanges(before, {}, path, out);
  if (isObj(before) && isObj(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((k) => !(k in before))];
    for (const k of keys) valueChanges(before[k], after[k], joinPath(path, k), out);
  } else if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    before.forEach((b, i) => valueChanges(b, after[i], joinPath(path, i), out));
  } else {
    out.push({ path, before, after });
  }
  return out;
}

function omit(o: unknown, keys: string[]): Obj {
  if (!isObj(o)) return {};
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

const info = (n: FlowNodeDoc): NodeInfo => ({ id: n.id, type: n.type, ...(typeof n.label === 'string' && n.label ? { label: n.label } : {}) });
const edgeKey = (e: FlowEdgeDoc) => `${e.from.node}:${e.from.port}>${e.to.node}:${e.to.port}`;
const listOf = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

function byId<T extends { id: string }>(items: T[]): Map<string, T> {
  return new Map(items.filter((x) => isObj(x) && typeof x.id === 'string').map((x) => [x.id, x]));
}

function nodeChanges(before: FlowNodeDoc[], after: FlowNodeDoc[]): { nodes: NodeChange[]; moved: string[] } {
  const old = byId(before);
  const now = byId(after);
  const nodes: NodeChange[] = [];
  const moved: string[] = [];
  for (const n of now.values()) {
    const o = old.get(n.id);
    if (!o) {
      nodes.push({ kind: 'added', ...info(n) });
      continue;
    }
    const changes = valueChanges(omit(o, ['id', 'position']), omit(n, ['id', 'position']));
    const wasMoved = !sameJson(o.position, n.position);
    if (changes.length) nodes.push({ kind: 'changed', ...info(n), changes, moved: wasMoved });
    else if (wasMoved) moved.push(n.id);
  }
  for (const o of old.values()) if (!now.has(o.id)) nodes.push({ kind: 'removed', ...info(o) });
  return { nodes, moved };
}

function edgeChanges(before: FlowEdgeDoc[], after: FlowEdgeDoc[]): EdgeChange[] {
  const valid = (e: FlowEdgeDoc) => isObj(e) && isObj(e.from) && isObj(e.to);
  const old = new Map(before.filter(valid).map((e) => [edgeKey(e), e]));
  const now = new Map(after.filter(valid).map((e) => [edgeKey(e), e]));
  const out: EdgeChange[] = [];
  for (const [k, e] of now) if (!old.has(k)) out.push({ kind: 'added', id: e.id, from: e.from, to: e.to });
  for (const [k, e] of old) if (!now.has(k)) out.push({ kind: 'removed', id: e.id, from: e.from, to: e.to });
  return out;
}

function noteChanges(before: unknown, after: unknown): FlowChanges['notes'] {
  const old = byId(listOf<{ id: string }>(before));
  const now = byId(listOf<{ id: string }>(after));
  let added = 0;
  let changed = 0;
  for (const [id, n] of now) {
    const o = old.get(id);
    if (!o) added++;
    else if (!sameJson(o, n)) changed++;
  }
  const removed = [...old.keys()].filter((id) => !now.has(id)).length;
  return { added, removed, changed };
}

/** The change list from `before` (null: no published version yet) to `after`. */
export function diffFlows(before: FlowDoc | null, after: FlowDoc): FlowChanges {
  const b = before ?? null;
  const top = (d: FlowDoc | null) => ({ ...omit(d, ['nodes', 'edges', 'meta', 'schemaVersion']), meta: omit(d?.meta, ['notes']) });
  const flow = b ? valueChanges(top(b), top(after)) : [];
  const { nodes, moved } = nodeChanges(listOf(b?.nodes), listOf(after.nodes));
  const edges = edgeChanges(listOf(b?.edges), listOf(after.edges));
  const notes = noteChanges(b?.meta?.notes, after.meta?.notes);
  const count = flow.length + nodes.length + edges.length + notes.added + notes.removed + notes.changed + (moved.length ? 1 : 0);
  return { first: b === null, flow, nodes, edges, notes, moved, count };
}

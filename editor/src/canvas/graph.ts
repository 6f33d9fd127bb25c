// The flow document (plain JSON, what the API stores) <-> React Flow's nodes and edges.
// Positions are stored left-to-right; in Arabic the canvas shows them mirrored (x -> -x - width),
// so a flow reads right-to-left there and left-to-right in English, from the same document.
import type { Edge, Node } from '@xyflow/react';
import type { FlowDoc, FlowEdgeDoc, FlowNodeDoc, NodeTypeInfo, StickyNote } from '../api/types';

export const NODE_WIDTH = 240;
export const NODE_HEIGHT = 72;

/** What a flow node carries on the canvas: only the document's own JSON. */
export type FlowNodeData = {
  nodeType: string;
  params: Record<string, unknown>;
  label?: string;
  /** Other fields of the stored node (typeVersion, retry, onError, meta), kept as they were. */
  rest: Record<string, unknown>;
};
export type NoteData = { text: string };

export type FlowNode = Node<FlowNodeData, 'flow'>;
export type NoteNode = Node<NoteData, 'note'>;
export type CanvasNode = FlowNode | NoteNode;
export type CanvasEdge = Edge;

export type Direction = 'ltr' | 'rtl';

export function isFlowNode(n: CanvasNode): n is FlowNode {
  return n.type === 'flow';
}

function mirrorX(x: number, width: number, dir: Direction): number {
  return dir === 'rtl' ? -x - width : x;
}

export function toView(pos: { x: number; y: number }, width: number, dir: Direction) {
  return { x: mirrorX(pos.x, width, dir), y: pos.y };
}
export const fromView = toView; // mirroring is its own inverse

export function docToGraph(doc: FlowDoc, dir: Direction): { nodes: CanvasNode[]; edges: CanvasEdge[] } {
  const nodes: CanvasNode[] = doc.nodes.map((n, i) => {
    const { id, type, params, position, label, ...rest } = n;
    const pos = position ?? { x: i * (NODE_WIDTH + 80), y: 0 };
    return {
      id,
      type: 'flow',
      position: toView(pos, NODE_WIDTH, dir),
      data: { nodeType: type, params: params ?? {}, ...(label !== undefined ? { label } : {}), rest },
    };
  });
  for (const note of doc.meta?.notes ?? []) {
    nodes.push({
      id: note.id,
      type: 'note',
      position: toView(note.position, note.width, dir),
      width: note.width,
      height: note.height,
      data: { text: note.text },
      zIndex: -1,
    });
  }
  const edges = doc.edges.map(edgeFromDoc);
  return { nodes, edges };
}

export function edgeFromDoc(e: FlowEdgeDoc): CanvasEdge {
  return { id: e.id, source: e.from.node, sourceHandle: e.from.port, target: e.to.node, targetHandle: e.to.port };
}

export function graphToDoc(base: FlowDoc, nodes: CanvasNode[], edges: CanvasEdge[], dir: Direction): FlowDoc {
  const flowNodes: FlowNodeDoc[] = [];
  const notes: StickyNote[] = [];
  for (const n of nodes) {
    if (isFlowNode(n)) {
      const pos = fromView(n.position, NODE_WIDTH, dir);
      flowNodes.push({
        id: n.id,
        type: n.data.nodeType,
        ...(n.data.label ? { label: n.data.label } : {}),
        params: n.data.params,
        position: { x: Math.round(pos.x), y: Math.round(pos.y) },
        ...n.data.rest,
      });
    } else {
      const width = n.width ?? n.measured?.width ?? 220;
      const height = n.height ?? n.measured?.height ?? 140;
      const pos = fromView(n.position, width, dir);
      notes.push({ id: n.id, text: n.data.text, position: { x: Math.round(pos.x), y: Math.round(pos.y) }, width, height });
    }
  }
  const meta = { ...(base.meta ?? {}) };
  if (notes.length) meta.notes = notes;
  else delete meta.notes;
  const doc: FlowDoc = {
    ...base,
    nodes: flowNodes,
    edges: edges.map((e) => ({
      id: e.id,
      from: { node: e.source, port: e.sourceHandle ?? 'out' },
      to: { node: e.target, port: e.targetHandle ?? 'in' },
    })),
  };
  if (Object.keys(meta).length) doc.meta = meta;
  else delete doc.meta;
  return doc;
}

/** Output ports of a node: declared ones, or for dynamic nodes computed from params (switch cases). */
export function outputPorts(info: NodeTypeInfo | undefined, params: Record<string, unknown>): string[] {
  if (!info) return ['out'];
  if (info.dynamicOutputs) {
    const cases = Array.isArray(params.cases) ? (params.cases as { port?: unknown }[]) : [];
    const ports = cases.map((c) => (typeof c?.port === 'string' ? c.port : '')).filter(Boolean);
    return [...new Set([...ports, 'default'])];
  }
  return (info.outputs ?? [{ port: 'out' }]).map((o) => o.port);
}

/** A readable id for a new node: the type's last word and the first free number ("set1"). */
export function newNodeId(type: string, taken: Set<string>): string {
  const word = (type.split('.').pop() ?? 'node').replace(/[^A-Za-z0-9_-]/g, '') || 'node';
  const base = /^[A-Za-z]/.test(word) ? word : `n${word}`;
  for (let i = 1; ; i++) {
    const id = `${base}${i}`;
    if (!taken.has(id)) return id;
  }
}

export function newEdgeId(source: string, port: string, target: string, taken: Set<string>): string {
  const base = `${source}.${port}-${target}`.slice(0, 90);
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

/** Default params from a node type's schema: each property's scalar `default`, `{}`/`[]` for required containers. */
export function defaultParams(info: NodeTypeInfo): Record<string, unknown> {
  const props = (info.params.properties ?? {}) as Record<string, { default?: unknown; type?: string }>;
  const required = new Set((info.params.required as string[] | undefined) ?? []);
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(props)) {
    if (s.default !== undefined && typeof s.default !== 'object') out[k] = s.default;
    else if (required.has(k) && s.type === 'object') out[k] = {};
    else if (required.has(k) && s.type === 'array') out[k] = [];
  }
  return out;
}

/** The flow nodes a port can be connected to, as the inspector lists them. */
export function nodeChoices(nodes: CanvasNode[]): { id: string; label: string }[] {
  return nodes.filter(isFlowNode).map((n) => ({ id: n.id, label: n.data.label || n.id }));
}

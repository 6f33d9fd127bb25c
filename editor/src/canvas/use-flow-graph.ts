// The editable graph: nodes and edges in React Flow's form, with undo/redo checkpoints,
// copy/paste and the edits the palette, inspector and shortcuts make.
import { useCallback, useMemo, useRef, useState } from 'react';
import { addEdge, applyEdgeChanges, applyNodeChanges, type Connection, type EdgeChange, type NodeChange, type XYPosition } from '@xyflow/react';
import type { FlowDoc, NodeTypeInfo } from '../api/types';
import { layoutDoc } from './layout';
import {
  NODE_WIDTH,
  defaultParams,
  docToGraph,
  graphToDoc,
  isFlowNode,
  newEdgeId,
  newNodeId,
  outputPorts,
  type CanvasEdge,
  type CanvasNode,
  type Direction,
  type FlowNode,
} from './graph';

export interface Graph { nodes: CanvasNode[]; edges: CanvasEdge[] }
interface Clip { nodes: CanvasNode[]; edges: CanvasEdge[] }

const HISTORY_LIMIT = 100;
const COALESCE_MS = 1200;

export function useFlowGraph(initial: Graph, dir: Direction, types: Map<string, NodeTypeInfo>) {
  const [graph, setGraph] = useState<Graph>(initial);
  const current = useRef(graph);
  const past = useRef<Graph[]>([]);
  const future = useRef<Graph[]>([]);
  const last = useRef<{ key: string; at: number } | null>(null);
  const clip = useRef<Clip | null>(null);
  const [, setHistoryTick] = useState(0);

  /** Remember the graph as it is now, before a change (`key` merges quick edits of one thing). */
  const checkpoint = useCallback((key?: string) => {
    const now = Date.now();
    if (key && last.current?.key === key && now - last.current.at < COALESCE_MS) {
      last.current.at = now;
      return;
    }
    past.current.push(current.current);
    if (past.current.length > HISTORY_LIMIT) past.current.shift();
    future.current = [];
    last.current = key ? { key, at: now } : { key: `#${now}`, at: now };
    setHistoryTick((n) => n + 1);
  }, []);

  // Computed from the latest graph right away (not in a state updater), so callers can read
  // what they created and several changes in one event build on each other.
  const update = useCallback((fn: (g: Graph) => Graph) => {
    const next = fn(current.current);
    if (next === current.current) return;
    current.current = next;
    setGraph(next);
  }, []);

  const onNodesChange = useCallback(
    (changes: NodeChange<CanvasNode>[]) => {
      if (changes.some((c) => c.type === 'remove' || c.type === 'replace' || c.type === 'add')) checkpoint('structure');
      if (changes.some((c) => c.type === 'dimensions' && c.resizing)) checkpoint('resize');
      update((g) => ({ ...g, nodes: applyNodeChanges(changes, g.nodes) }));
    },
    [checkpoint, update],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange<CanvasEdge>[]) => {
      if (changes.some((c) => c.type === 'remove')) checkpoint('structure');
      update((g) => ({ ...g, edges: applyEdgeChanges(changes, g.edges) }));
    },
    [checkpoint, update],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      if (!c.source || !c.target || c.source === c.target) return;
      checkpoint();
      update((g) => {
        const port = c.sourceHandle ?? 'out';
        const exists = g.edges.some((e) => e.source === c.source && (e.sourceHandle ?? 'out') === port && e.target === c.target);
        if (exists) return g;
        const id = newEdgeId(c.source, port, c.target, new Set(g.edges.map((e) => e.id)));
        return { ...g, edges: addEdge({ id, source: c.source, sourceHandle: port, target: c.target, targetHandle: 'in' }, g.edges) };
      });
    },
    [checkpoint, update],
  );

  const onNodeDragStart = useCallback(() => checkpoint(), [checkpoint]);

  /** Adds a node of `type` at a canvas position; with `after`, also connects that node's first free port to it. */
  const addNode = useCallback(
    (info: NodeTypeInfo, position: XYPosition | null, after?: string) => {
      checkpoint();
      let created = '';
      update((g) => {
        const taken = new Set(g.nodes.map((n) => n.id));
        const id = newNodeId(info.type, taken);
        created = id;
        const from = after ? (g.nodes.find((n) => n.id === after && isFlowNode(n)) as FlowNode | undefined) : undefined;
        let pos = position ?? { x: 0, y: 0 };
        let edges = g.edges;
        if (from && !info.trigger) {
          const ports = outputPorts(types.get(from.data.nodeType), from.data.params);
          const used = new Set(g.edges.filter((e) => e.source === from.id).map((e) => e.sourceHandle ?? 'out'));
          const port = ports.find((p) => !used.has(p)) ?? ports[0] ?? 'out';
          const siblings = g.edges.filter((e) => e.source === from.id).length;
          const step = NODE_WIDTH + 80;
          pos = { x: from.position.x + (dir === 'rtl' ? -step : step), y: from.position.y + siblings * 110 };
          edges = [...edges, { id: newEdgeId(from.id, port, id, new Set(edges.map((e) => e.id))), source: from.id, sourceHandle: port, target: id, targetHandle: 'in' }];
        }
        const node: FlowNode = { id, type: 'flow', position: pos, data: { nodeType: info.type, params: defaultParams(info), rest: {} }, selected: true };
        return { nodes: [...g.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node], edges };
      });
      return created;
    },
    [checkpoint, update, types, dir],
  );

  const addNote = useCallback(
    (position: XYPosition, text: string) => {
      checkpoint();
      update((g) => {
        const id = newNodeId('note', new Set(g.nodes.map((n) => n.id)));
        return { ...g, nodes: [...g.nodes, { id, type: 'note', position, width: 220, height: 140, data: { text }, zIndex: -1 }] };
      });
    },
    [checkpoint, update],
  );

  const setParams = useCallback(
    (id: string, params: Record<string, unknown>) => {
      checkpoint(`params:${id}`);
      update((g) => ({ ...g, nodes: g.nodes.map((n) => (n.id === id && isFlowNode(n) ? { ...n, data: { ...n.data, params } } : n)) }));
    },
    [checkpoint, update],
  );

  const setNodeField = useCallback(
    (id: string, field: 'label' | 'onError', value: string | undefined) => {
      checkpoint(`${field}:${id}`);
      update((g) => ({
        ...g,
        nodes: g.nodes.map((n) => {
          if (n.id !== id || !isFlowNode(n)) return n;
          if (field === 'label') return { ...n, data: { ...n.data, label: value || undefined } };
          const rest = { ...n.data.rest };
          if (value && value !== 'fail') rest.onError = value;
          else delete rest.onError;
          return { ...n, data: { ...n.data, rest } };
        }),
      }));
    },
    [checkpoint, update],
  );

  const connect = useCallback(
    (source: string, port: string, target: string) => onConnect({ source, sourceHandle: port, target, targetHandle: 'in' }),
    [onConnect],
  );

  const removeEdge = useCallback(
    (id: string) => {
      checkpoint();
      update((g) => ({ ...g, edges: g.edges.filter((e) => e.id !== id) }));
    },
    [checkpoint, update],
  );

  const deleteSelected = useCallback(() => {
    const g = current.current;
    const ids = new Set(g.nodes.filter((n) => n.selected).map((n) => n.id));
    const edgeIds = new Set(g.edges.filter((e) => e.selected).map((e) => e.id));
    if (!ids.size && !edgeIds.size) return;
    checkpoint();
    update((x) => ({
      nodes: x.nodes.filter((n) => !ids.has(n.id)),
      edges: x.edges.filter((e) => !edgeIds.has(e.id) && !ids.has(e.source) && !ids.has(e.target)),
    }));
  }, [checkpoint, update]);

  const copySelection = useCallback((): number => {
    const g = current.current;
    const nodes = g.nodes.filter((n) => n.selected);
    const ids = new Set(nodes.map((n) => n.id));
    clip.current = { nodes, edges: g.edges.filter((e) => ids.has(e.source) && ids.has(e.target)) };
    const doc = graphToDoc({ schemaVersion: 1, name: 'clipboard', nodes: [], edges: [] }, nodes, clip.current.edges, dir);
    void navigator.clipboard?.writeText(JSON.stringify({ tadfuqClipboard: 1, nodes: doc.nodes, edges: doc.edges, notes: doc.meta?.notes ?? [] })).catch(() => undefined);
    return nodes.length;
  }, [dir]);

  /** Pastes the copied nodes (new ids, offset, edges between them kept) and selects them. */
  const paste = useCallback((): number => {
    const c = clip.current;
    if (!c || !c.nodes.length) return 0;
    checkpoint();
    update((g) => {
      const taken = new Set(g.nodes.map((n) => n.id));
      const rename = new Map<string, string>();
      const nodes = c.nodes.map((n) => {
        const id = isFlowNode(n) ? newNodeId(n.data.nodeType, taken) : newNodeId('note', taken);
        taken.add(id);
        rename.set(n.id, id);
        return { ...n, id, position: { x: n.position.x + 40, y: n.position.y + 40 }, selected: true } as CanvasNode;
      });
      const edgeIds = new Set(g.edges.map((e) => e.id));
      const edges = c.edges.map((e) => {
        const source = rename.get(e.source)!;
        const target = rename.get(e.target)!;
        const id = newEdgeId(source, e.sourceHandle ?? 'out', target, edgeIds);
        edgeIds.add(id);
        return { ...e, id, source, target, selected: false };
      });
      clip.current = { nodes, edges };
      return { nodes: [...g.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...nodes], edges: [...g.edges, ...edges] };
    });
    return c.nodes.length;
  }, [checkpoint, update]);

  const selectAll = useCallback(() => update((g) => ({ nodes: g.nodes.map((n) => ({ ...n, selected: true })), edges: g.edges })), [update]);

  const select = useCallback((id: string | null) => update((g) => ({ nodes: g.nodes.map((n) => (n.selected === (n.id === id) ? n : { ...n, selected: n.id === id })), edges: g.edges.map((e) => (e.selected ? { ...e, selected: false } : e)) })), [update]);

  const autoLayout = useCallback(
    (base: FlowDoc) => {
      checkpoint();
      update((g) => {
        const laid = docToGraph(layoutDoc(graphToDoc(base, g.nodes, g.edges, dir)), dir);
        const selected = new Set(g.nodes.filter((n) => n.selected).map((n) => n.id));
        return { nodes: laid.nodes.map((n) => (selected.has(n.id) ? { ...n, selected: true } : n)), edges: g.edges };
      });
    },
    [checkpoint, update, dir],
  );

  const undo = useCallback(() => {
    const prev = past.current.pop();
    if (!prev) return;
    future.current.push(current.current);
    last.current = null;
    update(() => prev);
    setHistoryTick((n) => n + 1);
  }, [update]);

  const redo = useCallback(() => {
    const next = future.current.pop();
    if (!next) return;
    past.current.push(current.current);
    last.current = null;
    update(() => next);
    setHistoryTick((n) => n + 1);
  }, [update]);

  /** Replaces everything (a reload after a conflict); history starts over. */
  const reset = useCallback(
    (g: Graph) => {
      past.current = [];
      future.current = [];
      last.current = null;
      update(() => g);
      setHistoryTick((n) => n + 1);
    },
    [update],
  );

  // Stable across renders (every callback above only reads refs): memoised children that take
  // `actions` do not re-render while a node is dragged.
  const actions = useMemo(
    () => ({
      onNodesChange,
      onEdgesChange,
      onConnect,
      onNodeDragStart,
      addNode,
      addNote,
      setParams,
      setNodeField,
      connect,
      removeEdge,
      deleteSelected,
      copySelection,
      paste,
      selectAll,
      select,
      autoLayout,
      undo,
      redo,
      reset,
    }),
    [onNodesChange, onEdgesChange, onConnect, onNodeDragStart, addNode, addNote, setParams, setNodeField, connect, removeEdge, deleteSelected, copySelection, paste, selectAll, select, autoLayout, undo, redo, reset],
  );
  return { graph, canUndo: past.current.length > 0, canRedo: future.current.length > 0, actions, ...actions };
}

export type FlowGraph = ReturnType<typeof useFlowGraph>;
export type GraphActions = FlowGraph['actions'];

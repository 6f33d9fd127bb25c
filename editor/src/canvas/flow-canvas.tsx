// The React Flow canvas shared by the editor and the (read-only) execution view: custom nodes,
// drop target for the palette, mirrored controls and minimap in Arabic, fit view once measured.
import { useEffect, useMemo, useRef, type DragEvent } from 'react';
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type NodeChange,
  type NodeMouseHandler,
  type XYPosition,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { CanvasContext, type CanvasInfo } from './canvas-context';
import { NodeCard } from './node-card';
import { NoteCard } from './note-node';
import { NODE_WIDTH, isFlowNode, type CanvasEdge, type CanvasNode } from './graph';
import { useI18n } from '../i18n/i18n';

export const PALETTE_MIME = 'application/x-tadfuq-node';

// Defined once at module level (React Flow re-creates nodes when this object changes).
const nodeTypes = { flow: NodeCard, note: NoteCard };

interface Props {
  nodes: CanvasNode[];
  edges: CanvasEdge[];
  info: CanvasInfo;
  onNodesChange?: (changes: NodeChange<CanvasNode>[]) => void;
  onEdgesChange?: (changes: EdgeChange<CanvasEdge>[]) => void;
  onConnect?: (c: Connection) => void;
  onNodeDragStart?: () => void;
  onDropType?: (type: string, position: XYPosition) => void;
  onNodeClick?: (id: string) => void;
}

/** Fits the view once the first nodes are measured; a flow that starts empty keeps its viewport. */
function FitOnce({ startedEmpty }: { startedEmpty: boolean }) {
  const initialized = useNodesInitialized();
  const { fitView } = useReactFlow();
  const done = useRef(startedEmpty);
  useEffect(() => {
    if (!initialized || done.current) return;
    done.current = true;
    performance.mark('tadfuq:canvas-measured');
    void fitView({ padding: 0.15, maxZoom: 1.2 }).then(() => {
      requestAnimationFrame(() => performance.mark('tadfuq:fit-view'));
    });
  }, [initialized, fitView]);
  return null;
}

export function FlowCanvas({ nodes, edges, info, onNodesChange, onEdgesChange, onConnect, onNodeDragStart, onDropType, onNodeClick }: Props) {
  const { t } = useI18n();
  const { screenToFlowPosition } = useReactFlow();
  const rtl = info.dir === 'rtl';
  const ariaLabelConfig = useMemo(
    () => ({
      'node.a11yDescription.default': t('canvas.nodeDescription'),
      'node.a11yDescription.keyboardDisabled': t('canvas.nodeDescription'),
      'node.a11yDescription.ariaLiveMessage': ({ x, y }: { direction: string; x: number; y: number }) => t('canvas.nodeMoved', { x: Math.round(x), y: Math.round(y) }),
      'edge.a11yDescription.default': t('canvas.edgeDescription'),
      'controls.ariaLabel': t('canvas.controls'),
      'controls.zoomIn.ariaLabel': t('canvas.zoomIn'),
      'controls.zoomOut.ariaLabel': t('canvas.zoomOut'),
      'controls.fitView.ariaLabel': t('editor.fitView'),
      'controls.interactive.ariaLabel': t('canvas.toggleInteractivity'),
      'minimap.ariaLabel': t('canvas.minimap'),
      'handle.ariaLabel': t('canvas.handle'),
    }),
    [t],
  );
  const onDragOver = (e: DragEvent) => {
    if (!onDropType) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  };
  const onDrop = (e: DragEvent) => {
    const type = e.dataTransfer.getData(PALETTE_MIME);
    if (!type || !onDropType) return;
    e.preventDefault();
    const p = screenToFlowPosition({ x: e.clientX, y: e.clientY });
    onDropType(type, { x: p.x - NODE_WIDTH / 2, y: p.y - 30 });
  };
  const handleClick: NodeMouseHandler<CanvasNode> = (_e, node) => onNodeClick?.(node.id);
  const readOnly = info.readOnly;
  const startedEmpty = useRef(nodes.length === 0).current;
  return (
    <CanvasContext.Provider value={info}>
      {/* Geometry stays left-to-right; the nodes' own text follows the page direction. */}
      <div className="canvas" dir="ltr" onDragOver={onDragOver} onDrop={onDrop} aria-label={t('canvas.label')} role="region" data-testid="canvas">
        <ReactFlow<CanvasNode, CanvasEdge>
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onConnect={readOnly ? undefined : onConnect}
          onNodeDragStart={onNodeDragStart}
          onNodeClick={handleClick}
          nodesDraggable={!readOnly}
          nodesConnectable={!readOnly}
          edgesFocusable
          nodesFocusable
          elementsSelectable
          deleteKeyCode={readOnly ? null : ['Delete', 'Backspace']}
          minZoom={0.05}
          maxZoom={2}
          defaultEdgeOptions={{ type: 'smoothstep' }}
          ariaLabelConfig={ariaLabelConfig}
          proOptions={{ hideAttribution: true }}
        >
          <FitOnce startedEmpty={startedEmpty} />
          <Background gap={24} size={1} />
          <Controls position={rtl ? 'bottom-right' : 'bottom-left'} showInteractive={false} fitViewOptions={{ padding: 0.15, maxZoom: 1.2 }} />
          <MiniMap position={rtl ? 'bottom-left' : 'bottom-right'} pannable zoomable nodeColor={(n) => (isFlowNode(n as CanvasNode) ? miniColor(info, n.id) : '#f5e7a8')} />
        </ReactFlow>
      </div>
    </CanvasContext.Provider>
  );
}

function miniColor(info: CanvasInfo, id: string): string {
  const s = info.steps.get(id)?.status;
  if (s === 'failed') return '#d64545';
  if (s === 'succeeded') return '#2f9e6b';
  if (info.problems.has(id)) return '#e0a030';
  return '#7c8aa5';
}

// The flow editor: palette, canvas, side panel (node inspector, test run, versions) and the
// toolbar (name, save state, undo/redo, layout, note, fit, publish).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { api, ApiError, requestWithStatus } from '../api/client';
import { loadNodeTypes } from '../api/node-types';
import type { FlowDetail, FlowDoc, FlowVersion, NodeTypeInfo, Problem, TestRun } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { useSession } from '../session/session';
import { Link } from '../router';
import { useNotify } from '../ui/notices';
import { Icon } from '../ui/icons';
import { StatusChip } from '../ui/status-chip';
import { FlowCanvas } from '../canvas/flow-canvas';
import { Palette } from '../canvas/palette';
import { Inspector } from '../canvas/inspector';
import { flowProblems, lastStepByNode, problemsByNode, type CanvasInfo } from '../canvas/canvas-context';
import { docToGraph, graphToDoc, isFlowNode, nodeChoices, type Direction, type FlowNode } from '../canvas/graph';
import { useFlowGraph } from '../canvas/use-flow-graph';
import { useAutosave } from '../canvas/use-autosave';
import { useEditorShortcuts } from '../canvas/use-editor-shortcuts';
import { RunPanel } from '../run/run-panel';
import { runScope } from '../form/expression-preview';
import { VersionsPanel } from '../run/versions-panel';
import { listPublishRequests, memberNames, type PublishRequest } from '../api/approvals';
import './approvals-page.css';
import './analytics-page.css';
import { loadAnalytics, type StepReport } from '../api/analytics';
import { edgeCount, stepsById } from '../canvas/analytics-overlay';
import { useFlowProblemText } from '../ui/problem-text';

export function FlowEditorPage({ id }: { id: string }) {
  const { me } = useSession();
  const { t } = useI18n();
  const [data, setData] = useState<{ flow: FlowDetail; types: NodeTypeInfo[] } | null>(null);
  const [error, setError] = useState('');
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let live = true;
    performance.mark('tadfuq:flow-load-start');
    Promise.all([api.get<FlowDetail>(`/flows/${encodeURIComponent(id)}`), loadNodeTypes(me?.tenant.id ?? '')])
      .then(([flow, types]) => {
        performance.mark('tadfuq:flow-loaded');
        if (live) setData({ flow, types });
      })
      .catch((err: Error) => live && setError(err.message));
    return () => {
      live = false;
    };
  }, [id, me?.tenant.id, generation]);
  if (error)
    return (
      <main id="main" className="page">
        <p className="form-error" role="alert">
          {t('app.error', { message: error })}
        </p>
        <Link to="/flows">{t('app.backToFlows')}</Link>
      </main>
    );
  if (!data)
    return (
      <main id="main" className="page" aria-busy="true">
        <p>{t('app.loading')}</p>
      </main>
    );
  return (
    <ReactFlowProvider>
      <Workspace key={`${data.flow.id}:${data.flow.revision}`} flow={data.flow} types={data.types} reload={() => setGeneration((g) => g + 1)} />
    </ReactFlowProvider>
  );
}

type Tab = 'node' | 'run' | 'versions';
const NO_PROBLEMS: Problem[] = [];

function Workspace({ flow, types, reload }: { flow: FlowDetail; types: NodeTypeInfo[]; reload: () => void }) {
  const { t, dir, number } = useI18n();
  const problemText = useFlowProblemText();
  const { can } = useSession();
  const notify = useNotify();
  const { fitView, screenToFlowPosition } = useReactFlow();
  const readOnly = !can('flows.write');
  const typeMap = useMemo(() => new Map(types.map((n) => [n.type, n])), [types]);
  const [name, setName] = useState(flow.name);
  const [meta, setMeta] = useState({ status: flow.status, publishedVersion: flow.publishedVersion, unpublishedChanges: flow.unpublishedChanges });
  const [problems, setProblems] = useState<Problem[]>(flow.problems);
  const [savedIds, setSavedIds] = useState<string[]>(() => flow.draft.nodes.map((n) => n.id));
  const [run, setRun] = useState<TestRun | null>(null);
  const [tab, setTab] = useState<Tab>('node');
  const [versionsKey, setVersionsKey] = useState(0);
  const [requestKey, setRequestKey] = useState(0);
  const [publishing, setPublishing] = useState(false);
  const base = useRef<FlowDoc>(flow.draft);
  const initial = useMemo(() => docToGraph(flow.draft, dir), []);
  const graph = useFlowGraph(initial, dir, typeMap);
  const { nodes, edges } = graph.graph;

  // The language (so the direction) changed while editing: mirror the canvas, keep the document.
  const shownDir = useRef<Direction>(dir);
  useEffect(() => {
    if (shownDir.current === dir) return;
    const doc = graphToDoc(base.current, nodes, edges, shownDir.current);
    shownDir.current = dir;
    graph.reset(docToGraph(doc, dir));
    requestAnimationFrame(() => void fitView({ padding: 0.15, maxZoom: 1.2 }));
  }, [dir]);

  const currentDoc = useCallback(() => graphToDoc({ ...base.current, name: name.trim() || flow.name }, graph.graph.nodes, graph.graph.edges, shownDir.current), [graph.graph, name, flow.name]);
  const initialJson = useMemo(() => JSON.stringify(graphToDoc(flow.draft, initial.nodes, initial.edges, dir)), []);
  const autosave = useAutosave({
    flowId: flow.id,
    revision: flow.revision,
    initialJson,
    enabled: !readOnly,
    currentDoc,
    changeKey: currentDoc,
    onSaved: (answer, sent) => {
      setProblems(answer.problems);
      setSavedIds(sent.nodes.map((n) => n.id));
      setMeta({ status: answer.status, publishedVersion: answer.publishedVersion, unpublishedChanges: answer.unpublishedChanges });
    },
    onConflict: () => {
      notify(t('editor.conflict'), 'error');
      reload();
    },
  });

  const selected = nodes.filter((n) => n.selected);
  const selectedNode = selected.length === 1 && isFlowNode(selected[0]!) ? (selected[0] as FlowNode) : null;
  const selectedKey = selectedNode?.id ?? '';
  useEffect(() => {
    if (selectedKey) setTab('node');
  }, [selectedKey]);

  const choicesKey = nodes.map((n) => (isFlowNode(n) ? `${n.id}\u0000${n.data.label ?? ''}` : '')).join('\u0001');
  const choices = useMemo(() => nodeChoices(nodes), [choicesKey]);
  const problemMap = useMemo(() => problemsByNode(problems, savedIds), [problems, savedIds]);
  const steps = useMemo(() => lastStepByNode(run?.steps ?? []), [run]);
  const preview = useMemo(() => (run ? runScope(run.steps) : null), [run]);
  const overlay = useAnalyticsOverlay(flow.id);
  const info: CanvasInfo = useMemo(() => ({ types: typeMap, dir, problems: problemMap, steps, readOnly, analytics: overlay.steps }), [typeMap, dir, problemMap, steps, readOnly, overlay.steps]);
  // Edges shown with their analytics label: a display copy; the graph (and so the saved flow) never holds it.
  const shownEdges = useMemo(() => {
    const figures = overlay.steps;
    if (!figures) return edges;
    return edges.map((e) => {
      const n = edgeCount(e, figures);
      return n === null ? e : { ...e, label: number(n), className: `${e.className ?? ''} analytics-edge`.trim(), labelBgPadding: [6, 2] as [number, number], labelBgBorderRadius: 8, labelStyle: { fontWeight: 600 }, ariaLabel: t('analytics.edgeCount', { n: number(n) }) };
    });
  }, [edges, overlay.steps, number, t]);

  const viewCenter = () => {
    const r = document.querySelector('.canvas')?.getBoundingClientRect();
    const p = screenToFlowPosition(r ? { x: r.left + r.width / 2, y: r.top + r.height / 2 } : { x: 400, y: 300 });
    return { x: p.x - 120, y: p.y - 36 };
  };
  const addFromPalette = (node: NodeTypeInfo) => {
    if (readOnly) return;
    graph.addNode(node, viewCenter(), selectedNode?.id);
  };
  const onDropType = (type: string, position: { x: number; y: number }) => {
    const node = typeMap.get(type);
    if (node && !readOnly) graph.addNode(node, position);
  };
  const addNote = () => graph.addNote(viewCenter(), t('canvas.newNote'));

  useEditorShortcuts({
    enabled: true,
    readOnly,
    graph,
    fit: () => void fitView({ padding: 0.15, maxZoom: 1.2, duration: 200 }),
    onPasted: (n) => notify(t('editor.pasted', { n }), 'info'),
  });

  const publish = async () => {
    setPublishing(true);
    try {
      if (!(await autosave.saveNow())) return;
      const answer = await requestWithStatus<{ version?: FlowVersion; request?: { id: string } }>('POST', `/flows/${encodeURIComponent(flow.id)}/publish?revision=${autosave.revision()}`);
      if (answer.data.version) {
        notify(t('editor.published', { n: answer.data.version.version }), 'success');
        setMeta({ status: 'published', publishedVersion: answer.data.version.version, unpublishedChanges: false });
        setVersionsKey((k) => k + 1);
      } else notify(t('editor.publishRequested'), 'info');
      setRequestKey((k) => k + 1);
    } catch (err) {
      const details = err instanceof ApiError && err.details.length ? ` (${err.details.length})` : '';
      notify(t('editor.publishFailed', { message: (err as Error).message + details }), 'error');
    } finally {
      setPublishing(false);
    }
  };

  const saveLabel = { saved: t('editor.saved'), saving: t('editor.saving'), error: t('editor.saveFailed', { message: autosave.error }), conflict: t('editor.conflict') }[autosave.status];
  const overall = flowProblems(problems);
  return (
    <main id="main" className="editor" data-testid="editor" data-flow-id={flow.id}>
      <div className="editor-toolbar" role="toolbar" aria-label={t('editor.toolbar')}>
        <label className="field flow-name">
          <span className="visually-hidden">{t('editor.name')}</span>
          <input aria-label={t('editor.name')} value={name} readOnly={readOnly} maxLength={200} onChange={(e) => setName(e.target.value)} />
        </label>
        <StatusChip status={meta.status} />
        {meta.publishedVersion !== null && <span className="muted small">{t('flows.version', { n: meta.publishedVersion })}</span>}
        <span className={`save-state save-${autosave.status}`} role="status" data-testid="save-state" data-status={autosave.status}>
          {readOnly ? t('editor.readOnly') : saveLabel}
        </span>
        <span className="toolbar-spacer" />
        {!readOnly && (
          <>
            <button type="button" className="icon-button" aria-label={t('editor.undo')} title={t('editor.undo')} disabled={!graph.canUndo} onClick={graph.undo}>
              <Icon name="undo" />
            </button>
            <button type="button" className="icon-button" aria-label={t('editor.redo')} title={t('editor.redo')} disabled={!graph.canRedo} onClick={graph.redo}>
              <Icon name="redo" />
            </button>
            <button type="button" className="icon-button" aria-label={t('editor.autoLayout')} title={t('editor.autoLayout')} onClick={() => graph.autoLayout(base.current)}>
              <Icon name="layout" />
            </button>
            <button type="button" className="icon-button" aria-label={t('editor.addNote')} title={t('editor.addNote')} onClick={addNote}>
              <Icon name="note" />
            </button>
          </>
        )}
        <button type="button" className="icon-button" aria-label={t('editor.fitView')} title={t('editor.fitView')} onClick={() => void fitView({ padding: 0.15, maxZoom: 1.2, duration: 200 })}>
          <Icon name="search" />
        </button>
        <span className={`problem-count${problems.length ? ' bad' : ' good'}`} data-testid="problem-count">
          {problems.length ? t('editor.problemsCount', { n: problems.length }) : t('editor.noProblems')}
        </span>
        <button
          type="button"
          className={`button ghost${overlay.on ? ' is-active' : ''}`}
          aria-pressed={overlay.on}
          onClick={overlay.toggle}
          title={t('analytics.overlayRange')}
          data-testid="analytics-overlay-toggle"
          data-state={overlay.state}
        >
          <Icon name="chart" size={16} /> {overlay.on ? t('analytics.overlayHide') : t('analytics.overlay')}
        </button>
        <Link to={`/flows/${encodeURIComponent(flow.id)}/analytics`} className="button ghost" data-testid="open-analytics">
          {t('analytics.open')}
        </Link>
        <Link to={`/executions?flowId=${encodeURIComponent(flow.id)}`} className="button ghost">
          {t('editor.openExecutions')}
        </Link>
        {can('flows.publish') && (
          <button type="button" className="button primary" disabled={publishing} onClick={() => void publish()} data-testid="publish">
            {publishing ? t('editor.publishing') : t('editor.publish')}
          </button>
        )}
      </div>
      <PublishRequestBanner flowId={flow.id} refreshKey={requestKey} />
      <div className="editor-body">
        {!readOnly && <Palette types={types} onAdd={addFromPalette} />}
        <FlowCanvas
          nodes={nodes}
          edges={shownEdges}
          info={info}
          onNodesChange={graph.onNodesChange}
          onEdgesChange={graph.onEdgesChange}
          onConnect={graph.onConnect}
          onNodeDragStart={graph.onNodeDragStart}
          onDropType={readOnly ? undefined : onDropType}
        />
        <aside className="side-panel" aria-label={t('editor.sidePanel')}>
          <div role="tablist" className="tabs" aria-label={t('editor.sidePanel')}>
            {(['node', 'run', 'versions'] as Tab[]).map((k) => (
              <button key={k} type="button" role="tab" id={`tab-${k}`} aria-selected={tab === k} aria-controls={`panel-${k}`} className="tab" onClick={() => setTab(k)}>
                {t(k === 'node' ? 'editor.tabNode' : k === 'run' ? 'editor.tabRun' : 'editor.tabVersions')}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tab-panel">
            {tab === 'node' &&
              (selectedNode ? (
                <Inspector
                  id={selectedNode.id}
                  data={selectedNode.data}
                  info={typeMap.get(selectedNode.data.nodeType)}
                  problems={problemMap.get(selectedNode.id) ?? NO_PROBLEMS}
                  step={steps.get(selectedNode.id)}
                  readOnly={readOnly}
                  choices={choices}
                  edges={edges}
                  graph={readOnly ? null : graph.actions}
                  run={preview}
                />
              ) : selected.length > 1 ? (
                <div className="inspector">
                  <p>{t('inspector.multi', { n: selected.length })}</p>
                  {!readOnly && (
                    <>
                      <button type="button" className="button" onClick={() => graph.copySelection()}>
                        <Icon name="copy" size={16} /> {t('inspector.copySelection')}
                      </button>{' '}
                      <button type="button" className="button danger" onClick={graph.deleteSelected}>
                        <Icon name="trash" size={16} /> {t('inspector.deleteSelection')}
                      </button>
                    </>
                  )}
                </div>
              ) : (
                <div className="inspector">
                  <p className="muted">{nodes.length ? t('inspector.empty') : t('canvas.emptyHint')}</p>
                  {overall.length > 0 && (
                    <div className="problems" role="group" aria-label={t('editor.flowProblems')}>
                      <h3>{t('editor.flowProblems')}</h3>
                      {overall.map((p, i) => (
                        <p key={i} className="problem">
                          <Icon name="warning" size={14} /> {problemText(p)}
                        </p>
                      ))}
                    </div>
                  )}
                  <p className="muted small">{t('editor.shortcuts')}</p>
                </div>
              ))}
            {tab === 'run' && <RunPanel flowId={flow.id} sampleInput={flow.sampleInput} canRun={can('flows.test')} flush={autosave.saveNow} run={run} onRun={setRun} />}
            {tab === 'versions' && <VersionsPanel flowId={flow.id} current={meta.publishedVersion} canRollback={can('flows.publish')} refreshKey={versionsKey} onChanged={(v) => setMeta((m) => ({ ...m, status: 'published', publishedVersion: v }))} />}
          </div>
        </aside>
      </div>
    </main>
  );
}

/** A pending publish request of this flow: admins get a link to review it, its requester "waiting for approval". */
function PublishRequestBanner({ flowId, refreshKey }: { flowId: string; refreshKey: number }) {
  const { t, dateTime } = useI18n();
  const { can, me } = useSession();
  const [request, setRequest] = useState<PublishRequest | null>(null);
  const [requester, setRequester] = useState('');
  const canDecide = can('flows.publish.classB');
  const canReadUsers = can('users.read');
  useEffect(() => {
    let live = true;
    listPublishRequests({ status: 'pending', flowId, limit: 1 })
      .then(async ([first]) => {
        if (!live) return;
        setRequest(first ?? null);
        if (first && canReadUsers) {
          const names = await memberNames().catch(() => new Map<string, string>());
          if (live) setRequester(names.get(first.requestedBy) ?? first.requestedBy);
        }
      })
      .catch(() => undefined); // the banner is a hint: the editor works without it
    return () => {
      live = false;
    };
  }, [flowId, refreshKey, canReadUsers]);
  if (!request) return null;
  const mine = me !== null && request.requestedBy === `user:${me.user.id}`;
  return (
    <div className="request-banner" role="status" data-testid="publish-request-banner" data-request-id={request.id} data-mine={mine}>
      <Icon name="warning" size={16} />
      <p>{canDecide ? t('approvals.bannerAdmin', { name: mine ? (me?.user.name ?? '') : requester || request.requestedBy, at: dateTime(request.requestedAt) }) : mine ? t('approvals.bannerMine') : t('approvals.bannerOther')}</p>
      {canDecide && (
        <Link to={`/approvals?request=${encodeURIComponent(request.id)}`} className="button small" data-testid="banner-review">
          {t('approvals.bannerReview')}
        </Link>
      )}
    </div>
  );
}

/** The analytics overlay of the canvas: off by default; on, the last 30 days of every version (read-only). */
function useAnalyticsOverlay(flowId: string) {
  const { t } = useI18n();
  const notify = useNotify();
  const [on, setOn] = useState(false);
  const [steps, setSteps] = useState<Map<string, StepReport> | null>(null);
  const [state, setState] = useState<'off' | 'loading' | 'ready' | 'failed'>('off');
  useEffect(() => {
    if (!on) {
      setSteps(null);
      setState('off');
      return;
    }
    const abort = new AbortController();
    setState('loading');
    loadAnalytics(flowId, {}, abort.signal)
      .then((r) => {
        setSteps(stepsById(r.steps));
        setState('ready');
      })
      .catch((err: Error) => {
        if (abort.signal.aborted) return;
        setState('failed');
        notify(t('analytics.overlayFailed', { message: err.message }), 'error');
      });
    return () => abort.abort();
  }, [on, flowId]);
  return { on, steps, state, toggle: () => setOn((v) => !v) };
}

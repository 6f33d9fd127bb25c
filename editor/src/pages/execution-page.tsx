// One execution: the flow version it ran on a read-only canvas coloured by step status, the
// step timeline, the selected step's input/output/logs, and cancel / replay.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import { api } from '../api/client';
import { loadNodeTypes } from '../api/node-types';
import type { Execution, FlowDetail, FlowDoc, NodeTypeInfo } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';
import { useSession } from '../session/session';
import { Link, navigate } from '../router';
import { useNotify } from '../ui/notices';
import { StatusChip } from '../ui/status-chip';
import { JsonView } from '../ui/json-view';
import { FlowCanvas } from '../canvas/flow-canvas';
import { Inspector } from '../canvas/inspector';
import { lastStepByNode, type CanvasInfo } from '../canvas/canvas-context';
import { docToGraph, isFlowNode, type FlowNode } from '../canvas/graph';
import { useFlowGraph } from '../canvas/use-flow-graph';

const ACTIVE = new Set(['queued', 'running', 'waiting']);

export function ExecutionPage({ id }: { id: string }) {
  const { me } = useSession();
  const { t } = useI18n();
  const [data, setData] = useState<{ execution: Execution; doc: FlowDoc; types: NodeTypeInfo[] } | null>(null);
  const [error, setError] = useState('');
  const load = useCallback(async () => {
    const execution = await api.get<Execution>(`/executions/${encodeURIComponent(id)}`);
    const fid = encodeURIComponent(execution.flowId);
    // Test runs pin a negative snapshot version; show the draft for those.
    const doc =
      execution.flowVersion > 0
        ? (await api.get<{ definition: FlowDoc }>(`/flows/${fid}/versions/${execution.flowVersion}`)).definition
        : (await api.get<FlowDetail>(`/flows/${fid}`)).draft;
    const types = await loadNodeTypes(me?.tenant.id ?? '');
    setData({ execution, doc, types });
  }, [id, me?.tenant.id]);
  useEffect(() => {
    load().catch((err: Error) => setError(err.message));
  }, [load]);
  // Follow an execution that is still going.
  const active = data ? ACTIVE.has(data.execution.status) : false;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => void load().catch(() => undefined), 1500);
    return () => clearInterval(timer);
  }, [active, load]);
  if (error)
    return (
      <main id="main" className="page">
        <p className="form-error" role="alert">
          {t('app.error', { message: error })}
        </p>
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
      <ExecutionView key={data.execution.id} {...data} reload={() => void load()} />
    </ReactFlowProvider>
  );
}

function ExecutionView({ execution, doc, types, reload }: { execution: Execution; doc: FlowDoc; types: NodeTypeInfo[]; reload: () => void }) {
  const { t, dir, dateTime, duration } = useI18n();
  const { can } = useSession();
  const notify = useNotify();
  const typeMap = useMemo(() => new Map(types.map((n) => [n.type, n])), [types]);
  const graph = useFlowGraph(useMemo(() => docToGraph(doc, dir), [doc, dir]), dir, typeMap);
  const steps = useMemo(() => lastStepByNode(execution.steps), [execution.steps]);
  const info: CanvasInfo = useMemo(() => ({ types: typeMap, dir, problems: new Map(), steps, readOnly: true }), [typeMap, dir, steps]);
  const selected = graph.graph.nodes.find((n) => n.selected && isFlowNode(n)) as FlowNode | undefined;
  const act = async (what: 'cancel' | 'replay') => {
    try {
      if (what === 'cancel') {
        await api.post(`/executions/${encodeURIComponent(execution.id)}/cancel`);
        notify(t('executions.cancelled'), 'success');
        reload();
      } else {
        const answer = await api.post<{ executionId: string }>(`/executions/${encodeURIComponent(execution.id)}/replay`, {});
        notify(t('executions.replayed'), 'success');
        navigate(`/executions/${encodeURIComponent(answer.executionId)}`);
      }
    } catch (err) {
      notify(t('executions.actionFailed', { message: (err as Error).message }), 'error');
    }
  };
  const modeKey = `mode.${execution.mode}` as MessageKey;
  return (
    <main id="main" className="editor execution-view" data-testid="execution-view" data-status={execution.status}>
      <div className="editor-toolbar">
        <h1 className="execution-title">
          <Link to={`/flows/${encodeURIComponent(execution.flowId)}`}>{doc.name}</Link>
        </h1>
        <StatusChip status={execution.status} />
        <span className="muted small">
          {t(modeKey) === modeKey ? execution.mode : t(modeKey)} · {dateTime(execution.startedAt)} · {duration(execution.durationMs)} · {t('executions.version')}{' '}
          {execution.flowVersion > 0 ? execution.flowVersion : t('executions.testVersion')}
        </span>
        {execution.replayOf && (
          <Link to={`/executions/${encodeURIComponent(execution.replayOf)}`} className="small">
            {t('executions.replayOf', { id: execution.replayOf.slice(0, 8) })}
          </Link>
        )}
        <span className="toolbar-spacer" />
        {can('executions.manage') && ACTIVE.has(execution.status) && (
          <button type="button" className="button danger" onClick={() => void act('cancel')}>
            {t('executions.cancel')}
          </button>
        )}
        {can('executions.manage') && (execution.status === 'failed' || execution.status === 'cancelled') && (
          <button type="button" className="button primary" onClick={() => void act('replay')} data-testid="replay">
            {t('executions.replay')}
          </button>
        )}
      </div>
      <div className="editor-body">
        <FlowCanvas nodes={graph.graph.nodes} edges={graph.graph.edges} info={info} onNodesChange={graph.onNodesChange} onEdgesChange={graph.onEdgesChange} />
        <aside className="side-panel" aria-label={t('executions.timeline')}>
          <section className="timeline" aria-labelledby="timeline-title">
            <h2 id="timeline-title">{t('executions.timeline')}</h2>
            <ol data-testid="timeline">
              {execution.steps.map((s) => (
                <li key={s.id} className={selected?.id === s.node ? 'is-current' : ''}>
                  <button type="button" className="timeline-step" aria-label={t('executions.selectStep', { n: s.seq + 1, node: s.node })} onClick={() => graph.select(s.node)}>
                    <StatusChip status={s.status} />
                    <code dir="ltr">{s.node}</code>
                    <span className="muted small">{duration(s.durationMs)}</span>
                  </button>
                </li>
              ))}
            </ol>
          </section>
          {execution.error && (
            <p className="form-error">
              {execution.error.node ? `${execution.error.node}: ` : ''}
              {execution.error.code}: {execution.error.message}
            </p>
          )}
          {execution.error?.code === 'crashed_repeatedly' && <p className="muted">{t('executions.crashedRepeatedly')}</p>}
          {selected ? (
            <Inspector id={selected.id} data={selected.data} info={typeMap.get(selected.data.nodeType)} problems={[]} step={steps.get(selected.id)} readOnly choices={[]} edges={graph.graph.edges} graph={null} />
          ) : (
            <>
              <h3>{t('executions.output')}</h3>
              <JsonView value={execution.output} label={t('executions.output')} />
            </>
          )}
        </aside>
      </div>
    </main>
  );
}

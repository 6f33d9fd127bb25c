// A flow node on the canvas: icon, label, id, one input handle and one handle per output port,
// with badges for validation problems and the last run's status, timing and output.
import { memo } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { useCanvasInfo, preview } from './canvas-context';
import { outputPorts, type FlowNode } from './graph';
import { Icon } from '../ui/icons';
import { useI18n } from '../i18n/i18n';
import { useFlowProblemText } from '../ui/problem-text';
import { FUNNEL, funnelRate } from '../api/analytics';

function NodeCardImpl({ id, data, selected }: NodeProps<FlowNode>) {
  const { types, dir, problems, steps, analytics } = useCanvasInfo();
  const { t, text, duration, number, percent } = useI18n();
  const figures = analytics?.get(id);
  const problemText = useFlowProblemText();
  const info = types.get(data.nodeType);
  const ports = outputPorts(info, data.params);
  const nodeProblems = problems.get(id) ?? [];
  const step = steps.get(id);
  const title = data.label || (info ? text(info.label) : data.nodeType);
  const inSide = dir === 'rtl' ? Position.Right : Position.Left;
  const outSide = dir === 'rtl' ? Position.Left : Position.Right;
  const status = step?.status;
  const portLabels = ports.map((port) => {
    const label = info?.outputs?.find((o) => o.port === port)?.label;
    return label ? text(label) : port;
  });
  // Room for the port labels beside the outputs, so a long one ("Blocked (no consent)") never covers the title.
  const portRoom = ports.length > 1 ? `${Math.min(6, 1.2 + Math.max(...portLabels.map((l) => l.length)) * 0.4)}rem` : undefined;
  return (
    <div
      className={`node-card${ports.length > 1 ? ' multi-port' : ''}${selected ? ' is-selected' : ''}${nodeProblems.length ? ' has-problems' : ''}${status ? ` run-${status}` : ''}${info?.trigger ? ' is-trigger' : ''}`}
      dir={dir}
      data-node-id={id}
      data-node-type={data.nodeType}
      data-status={status ?? ''}
      style={{ minHeight: Math.max(64, ports.length * 24 + 16), paddingInlineEnd: portRoom }}
    >
      {!info?.trigger && <Handle type="target" position={inSide} id="in" className="port-handle in" role="img" aria-label={t('canvas.inputPort')} />}
      <div className="node-head">
        <span className={`node-icon cat-${info?.category ?? 'other'}`}>
          <Icon name={info?.icon ?? ''} size={18} />
        </span>
        <span className="node-titles">
          <span className="node-title">{title}</span>
          <span className="node-id" dir="ltr">{id}</span>
        </span>
        {nodeProblems.length > 0 && (
          <span className="badge badge-problem" role="img" aria-label={t('canvas.problems', { n: nodeProblems.length })} title={nodeProblems.map(problemText).join('\n')} data-testid="problem-badge">
            <Icon name="warning" size={14} /> {nodeProblems.length}
          </span>
        )}
      </div>
      {step && (
        <div className="node-run" data-testid="node-run">
          <span className={`status-chip status-${step.status}`}>{t(`status.${step.status}` as never) || step.status}</span>
          {step.port && step.port !== 'out' && (
            <span className="node-port-taken">
              {dir === 'rtl' ? '←' : '→'} {step.port}
            </span>
          )}
          <span className="node-duration">{duration(step.durationMs)}</span>
          <code className="node-output" dir="ltr" data-testid="node-output">
            {step.error ? `${step.error.code}: ${step.error.message}` : preview(step.output)}
          </code>
        </div>
      )}
      {figures && (
        <div className="node-analytics" role="group" aria-label={t('analytics.nodeFigures')} data-testid="node-analytics">
          {FUNNEL.map((k) => {
            const r = funnelRate(figures, k);
            return (
              <span key={k} className="stage" data-metric={k} data-value={figures.counts[k]} title={t(`analytics.metric.${k}`)}>
                <b>{number(figures.counts[k])}</b>
                <small>{t(`analytics.metric.${k}`)}</small>
                {r !== null && <small data-rate={r}>{percent(r)}</small>}
              </span>
            );
          })}
        </div>
      )}
      {ports.map((port, i) => {
        const label = portLabels[i]!;
        const top = `${((i + 1) / (ports.length + 1)) * 100}%`;
        return (
          <div key={port}>
            {ports.length > 1 && (
              <span className="port-label" style={{ top }} title={label}>
                {label}
              </span>
            )}
            <Handle
              type="source"
              position={outSide}
              id={port}
              style={{ top }}
              className={`port-handle out port-${port}`}
              role="img"
              aria-label={t('canvas.outputPort', { port: label })}
              data-port={port}
            />
          </div>
        );
      })}
    </div>
  );
}

export const NodeCard = memo(NodeCardImpl);

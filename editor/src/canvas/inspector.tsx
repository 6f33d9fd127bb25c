// The side panel for the selected node: its label, a form generated from its params schema
// (with the server's problems on the fields), its connections, and its last run's step.
import { memo, useMemo } from 'react';
import Form from '@rjsf/core';
import validator from '@rjsf/validator-ajv8';
import type { IChangeEvent } from '@rjsf/core';
import type { Locale, NodeTypeInfo, Problem, Step } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { Icon } from '../ui/icons';
import { JsonView } from '../ui/json-view';
import { StatusChip } from '../ui/status-chip';
import { ExpressionField } from '../form/expression-field';
import { KeyValueField } from '../form/key-value-field';
import { CredentialField } from '../form/credential-field';
import { VariantField, VariantSelect } from '../form/variant-field';
import { prepare, problemsToErrorSchema } from '../form/schema-prep';
import { translator } from '../form/rjsf-strings';
import { widgets } from '../form/widgets';
import { PreviewContext, type PreviewScope } from '../form/expression-preview';
import { outputPorts, type CanvasEdge, type FlowNodeData } from './graph';
import type { GraphActions } from './use-flow-graph';
import { useFlowProblemText } from '../ui/problem-text';

const fields = { expression: ExpressionField, keyValue: KeyValueField, credential: CredentialField, AnyOfField: VariantField };
const formWidgets = { ...widgets, variantSelect: VariantSelect };
/** Per params schema (the node type's, from /node-types) and language. */
const prepared = new WeakMap<object, Map<Locale, ReturnType<typeof prepare>>>();

function preparedFor(info: NodeTypeInfo, locale: Locale) {
  let byLocale = prepared.get(info.params);
  if (!byLocale) prepared.set(info.params, (byLocale = new Map()));
  let p = byLocale.get(locale);
  if (!p) {
    p = prepare(info.params as Parameters<typeof prepare>[0], locale);
    p.uiSchema['ui:submitButtonOptions'] = { norender: true };
    p.uiSchema['ui:globalOptions'] = { optionValueFormat: 'realValue' };
    byLocale.set(locale, p);
  }
  return p;
}

/** Another node a port can be connected to (id and label). */
export interface NodeChoice { id: string; label: string }

interface Props {
  id: string;
  data: FlowNodeData;
  info: NodeTypeInfo | undefined;
  problems: Problem[];
  step: Step | undefined;
  readOnly: boolean;
  choices: NodeChoice[];
  edges: CanvasEdge[];
  graph: GraphActions | null;
  /** $trigger and $nodes of the last test run (expression previews), or null. */
  run?: Omit<PreviewScope, 'input'> | null;
}

/** Memoised: dragging nodes changes positions only, which the inspector does not show. */
export const Inspector = memo(InspectorImpl);

function InspectorImpl({ id, data, info, problems, step, readOnly, choices, edges, graph, run = null }: Props) {
  const node = { id, data };
  const { t, text, locale, duration } = useI18n();
  const form = info ? preparedFor(info, locale) : null;
  const problemText = useFlowProblemText();
  const extraErrors = useMemo(() => problemsToErrorSchema(problems.map((p) => ({ path: p.path, message: problemText(p) }))), [problems, problemText]);
  const otherProblems = problems.filter((p) => !/^\/nodes\/\d+\/params\//.test(p.path));
  const hasParams = form && Object.keys((form.schema.properties as object | undefined) ?? {}).length > 0;
  const translate = useMemo(() => translator(locale), [locale]);
  const scope = useMemo<PreviewScope | null>(() => (run ? { ...run, input: step?.input ?? null } : null), [run, step]);
  const onChange = (e: IChangeEvent) => {
    const next = (e.formData ?? {}) as Record<string, unknown>;
    if (JSON.stringify(next) !== JSON.stringify(node.data.params)) graph?.setParams(node.id, next);
  };
  return (
    <div className="inspector" data-testid="inspector" data-node-id={node.id}>
      <div className="inspector-head">
        <span className={`node-icon cat-${info?.category ?? 'other'}`}>
          <Icon name={info?.icon ?? ''} />
        </span>
        <div>
          <h2>{info ? text(info.label) : node.data.nodeType}</h2>
          {info && <p className="muted small">{text(info.description)}</p>}
        </div>
      </div>
      <label className="field">
        <span>{t('inspector.label')}</span>
        <input value={node.data.label ?? ''} readOnly={readOnly} maxLength={200} placeholder={info ? text(info.label) : ''} onChange={(e) => graph?.setNodeField(node.id, 'label', e.target.value)} />
      </label>
      <p className="muted small">
        {t('inspector.id')}: <code dir="ltr">{node.id}</code> · {t('inspector.idHint')} <code dir="ltr">{`$nodes.${node.id}.output`}</code>
      </p>
      {otherProblems.length > 0 && (
        <div className="problems" role="group" aria-label={t('inspector.nodeProblems')}>
          {otherProblems.map((p, i) => (
            <p key={i} className="problem">
              <Icon name="warning" size={14} /> {problemText(p)}
            </p>
          ))}
        </div>
      )}
      <section aria-labelledby="params-title" className="inspector-section">
        <h3 id="params-title">{t('inspector.params')}</h3>
        {!info && <p className="form-error">{t('inspector.unknownType', { type: node.data.nodeType })}</p>}
        {form && !hasParams && <p className="muted">{t('inspector.noParams')}</p>}
        {form && hasParams && (
          <PreviewContext.Provider value={scope}>
            <Form
              key={`${node.id}:${locale}`}
              schema={form.schema}
              uiSchema={form.uiSchema}
              formData={node.data.params}
              validator={validator}
              fields={fields}
              widgets={formWidgets}
              extraErrors={extraErrors as never}
              showErrorList={false}
              noHtml5Validate
              readonly={readOnly}
              idPrefix={`p-${node.id}`}
              translateString={translate}
              onChange={onChange}
              experimental_defaultFormStateBehavior={{ emptyObjectFields: 'skipDefaults' }}
            />
          </PreviewContext.Provider>
        )}
      </section>
      {info && !info.trigger && (
        <label className="field">
          <span>{t('inspector.onError')}</span>
          <select value={(node.data.rest.onError as string | undefined) ?? 'fail'} disabled={readOnly} onChange={(e) => graph?.setNodeField(node.id, 'onError', e.target.value)}>
            <option value="fail">{t('inspector.onErrorFail')}</option>
            <option value="continue">{t('inspector.onErrorContinue')}</option>
          </select>
        </label>
      )}
      <Connections node={node} info={info} choices={choices} edges={edges} readOnly={readOnly} graph={graph} />
      {step && (
        <section aria-labelledby="step-title" className="inspector-section" data-testid="step-details">
          <h3 id="step-title">
            {t('inspector.lastRun')} <StatusChip status={step.status} />
          </h3>
          <p className="muted small">
            {step.port && t('inspector.port', { port: step.port })} · {t('inspector.duration', { d: duration(step.durationMs) })}
          </p>
          {step.error && (
            <p className="form-error">
              {step.error.code}: {step.error.message}
            </p>
          )}
          <h4>{t('inspector.input')}</h4>
          <JsonView value={step.input} label={t('inspector.input')} />
          <h4>{t('inspector.output')}</h4>
          <JsonView value={step.output} label={t('inspector.output')} />
          <h4>{t('inspector.logs')}</h4>
          {step.logs.length ? (
            <pre className="json-view" dir="ltr">
              {step.logs.join('\n')}
            </pre>
          ) : (
            <p className="muted">{t('inspector.noLogs')}</p>
          )}
        </section>
      )}
      {!readOnly && graph && (
        <button type="button" className="button danger" onClick={graph.deleteSelected}>
          <Icon name="trash" size={16} /> {t('inspector.deleteNode')}
        </button>
      )}
    </div>
  );
}

/** Keyboard-friendly wiring: each output port's targets, and a select to connect it. */
function Connections({ node, info, choices, edges, readOnly, graph }: Pick<Props, 'info' | 'choices' | 'edges' | 'readOnly' | 'graph'> & { node: { id: string; data: FlowNodeData } }) {
  const { t, text, dir } = useI18n();
  const arrow = dir === 'rtl' ? '←' : '→';
  const ports = outputPorts(info, node.data.params);
  const portLabel = (p: string) => {
    const l = info?.outputs?.find((o) => o.port === p)?.label;
    return l ? text(l) : p;
  };
  return (
    <section aria-labelledby="conn-title" className="inspector-section">
      <h3 id="conn-title">{t('inspector.connections')}</h3>
      {ports.map((port) => {
        const out = edges.filter((e) => e.source === node.id && (e.sourceHandle ?? 'out') === port);
        return (
          <div key={port} className="connection-row">
            <span className="port-name">{portLabel(port)}</span>
            <ul>
              {out.map((e) => (
                <li key={e.id}>
                  {arrow} <code dir="ltr">{e.target}</code>
                  {!readOnly && (
                    <button type="button" className="icon-button" aria-label={t('inspector.disconnect', { port: portLabel(port), target: e.target })} onClick={() => graph?.removeEdge(e.id)}>
                      <Icon name="close" size={12} />
                    </button>
                  )}
                </li>
              ))}
            </ul>
            {!readOnly && (
              <select
                aria-label={t('inspector.connectTo', { port: portLabel(port) })}
                value=""
                onChange={(e) => e.target.value && graph?.connect(node.id, port, e.target.value)}
              >
                <option value="">{t('inspector.connectNone')}</option>
                {choices
                  .filter((n) => n.id !== node.id && !out.some((e) => e.target === n.id))
                  .map((n) => (
                    <option key={n.id} value={n.id}>
                      {n.label}
                    </option>
                  ))}
              </select>
            )}
          </div>
        );
      })}
    </section>
  );
}

// What changed between two flow documents, as a list people read (diff-groups.ts groups it):
// flow fields, nodes added/removed/changed (field path, old → new), connections, notes, moves.
// Values, paths and ids are code: shown left-to-right (<bdi dir="ltr">) inside the page's text.
// A "raw" toggle shows the server's JSON Patch. Used by the versions tab and the approvals page.
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { applyPatch, deepClone, type Operation } from 'fast-json-patch';
import { diffFlows, type EdgeChange, type NodeChange, type ValueChange } from './diff-groups';
import { getDiff, getVersion, type PatchOp } from '../api/approvals';
import { loadNodeTypes } from '../api/node-types';
import type { FlowDoc, NodeTypeInfo } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { useSession } from '../session/session';
import { JsonView } from '../ui/json-view';
import './version-diff.css';

export interface Comparison { before: FlowDoc | null; after: FlowDoc; patch: PatchOp[] }

/** Version `from` against version `to` or the draft: the patch is the server's, "after" follows from it. */
export async function loadComparison(flowId: string, from: number, to: number | 'draft'): Promise<Comparison> {
  const [before, diff] = await Promise.all([getVersion(flowId, from), getDiff(flowId, from, to)]);
  const after = to === 'draft' ? applyPatch(deepClone(before.definition) as typeof before.definition, diff.patch as Operation[]).newDocument : (await getVersion(flowId, to)).definition;
  return { before: before.definition, after, patch: diff.patch };
}

const MAX_VALUE = 240;

function json(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
}

function useNodeTypes(): Map<string, NodeTypeInfo> {
  const { me } = useSession();
  const [types, setTypes] = useState<Map<string, NodeTypeInfo>>(new Map());
  useEffect(() => {
    let live = true;
    loadNodeTypes(me?.tenant.id ?? '')
      .then((list) => live && setTypes(new Map(list.map((n) => [n.type, n]))))
      .catch(() => undefined); // labels fall back to the type names
    return () => {
      live = false;
    };
  }, [me?.tenant.id]);
  return types;
}

export function VersionDiff({ comparison, testId = 'version-diff' }: { comparison: Comparison; testId?: string }) {
  const { t, number } = useI18n();
  const types = useNodeTypes();
  const [raw, setRaw] = useState(false);
  const { before, after, patch } = comparison;
  const changes = useMemo(() => diffFlows(before, after), [before, after]);
  const names = useMemo(() => {
    const m = new Map<string, { type: string; label?: string }>();
    for (const n of [...(before?.nodes ?? []), ...after.nodes]) m.set(n.id, { type: n.type, label: n.label });
    return m;
  }, [before, after]);
  const nodeName = (id: string) => <NodeName id={id} type={names.get(id)?.type ?? ''} label={names.get(id)?.label} types={types} />;
  const { notes } = changes;
  return (
    <div className="version-diff" data-testid={testId} data-count={changes.count}>
      <div className="diff-head">
        <p className="muted small">{changes.first ? t('diff.first') : changes.count ? t('diff.count', { n: number(changes.count) }) : t('diff.none')}</p>
        <button type="button" className="button small ghost" aria-pressed={raw} onClick={() => setRaw((r) => !r)} data-testid="diff-raw-toggle">
          {raw ? t('diff.hideRaw') : t('diff.showRaw')}
        </button>
      </div>
      {raw && <JsonView value={patch} label={t('diff.raw')} />}
      {changes.flow.length > 0 && (
        <section className="diff-group" data-group="flow">
          <h4>{t('diff.flowGroup')}</h4>
          <ValueList changes={changes.flow} />
        </section>
      )}
      {changes.nodes.length > 0 && (
        <section className="diff-group" data-group="nodes">
          <h4>{t('diff.nodesGroup')}</h4>
          <ul className="diff-nodes">
            {changes.nodes.map((n) => (
              <NodeItem key={`${n.kind}:${n.id}`} change={n} types={types} />
            ))}
          </ul>
        </section>
      )}
      {changes.edges.length > 0 && (
        <section className="diff-group" data-group="edges">
          <h4>{t('diff.edgesGroup')}</h4>
          <ul className="diff-edges">
            {changes.edges.map((e) => (
              <EdgeItem key={`${e.kind}:${e.id}:${e.from.node}:${e.from.port}:${e.to.node}`} change={e} nodeName={nodeName} />
            ))}
          </ul>
        </section>
      )}
      {(notes.added + notes.removed + notes.changed > 0 || changes.moved.length > 0) && (
        <section className="diff-group" data-group="canvas">
          <h4>{t('diff.canvasGroup')}</h4>
          <ul className="diff-plain">
            {notes.added + notes.removed + notes.changed > 0 && <li>{t('diff.notes', { added: number(notes.added), removed: number(notes.removed), changed: number(notes.changed) })}</li>}
            {changes.moved.length > 0 && <li data-testid="diff-moved">{t('diff.moved', { n: number(changes.moved.length) })}</li>}
          </ul>
        </section>
      )}
    </div>
  );
}

function NodeName({ id, type, label, types }: { id: string; type: string; label?: string; types: Map<string, NodeTypeInfo> }) {
  const { text } = useI18n();
  const info = types.get(type);
  const typeLabel = info ? text(info.label) : type;
  return (
    <span className="diff-node-name">
      <strong>{label || typeLabel}</strong>{' '}
      <bdi dir="ltr" className="diff-id">
        <code>{id}</code>
      </bdi>
      {label && <span className="muted small"> · {typeLabel}</span>}
    </span>
  );
}

const KIND_KEY = { added: 'diff.nodeAdded', removed: 'diff.nodeRemoved', changed: 'diff.nodeChanged' } as const;

function NodeItem({ change: n, types }: { change: NodeChange; types: Map<string, NodeTypeInfo> }) {
  const { t } = useI18n();
  return (
    <li className={`diff-node diff-${n.kind}`} data-node-id={n.id} data-change={n.kind}>
      <div className="diff-node-head">
        <span className={`diff-kind diff-kind-${n.kind}`}>{t(KIND_KEY[n.kind])}</span>
        <NodeName id={n.id} type={n.type} label={n.label} types={types} />
        {n.kind === 'changed' && n.moved && <span className="muted small">{t('diff.alsoMoved')}</span>}
      </div>
      {n.kind === 'changed' && <ValueList changes={n.changes} />}
    </li>
  );
}

function EdgeItem({ change: e, nodeName }: { change: EdgeChange; nodeName: (id: string) => ReactNode }) {
  const { t } = useI18n();
  return (
    <li className={`diff-edge diff-${e.kind}`} data-change={e.kind} data-from={e.from.node} data-to={e.to.node}>
      <span className={`diff-kind diff-kind-${e.kind}`}>{t(e.kind === 'added' ? 'diff.edgeAdded' : 'diff.edgeRemoved')}</span> {nodeName(e.from.node)}{' '}
      <bdi dir="ltr" className="diff-port">
        <code>{e.from.port}</code>
      </bdi>{' '}
      <span aria-hidden="true">{t('diff.arrow')}</span>
      <span className="visually-hidden">{t('diff.to')}</span> {nodeName(e.to.node)}
    </li>
  );
}

function ValueList({ changes }: { changes: ValueChange[] }) {
  return (
    <ul className="diff-values">
      {changes.map((c) => (
        <ValueItem key={c.path} change={c} />
      ))}
    </ul>
  );
}

function ValueItem({ change: c }: { change: ValueChange }) {
  const { t } = useI18n();
  return (
    <li className="diff-value" data-path={c.path}>
      <bdi dir="ltr" className="diff-path">
        <code>{c.path || '/'}</code>
      </bdi>
      <span className="diff-sides">
        <Side value={c.before} kind="old" /> <span aria-hidden="true">{t('diff.arrow')}</span> <Side value={c.after} kind="new" />
      </span>
    </li>
  );
}

function Side({ value, kind }: { value: unknown; kind: 'old' | 'new' }) {
  const { t } = useI18n();
  const Tag = kind === 'old' ? 'del' : 'ins';
  return (
    <Tag className={`diff-${kind}`} data-side={kind}>
      <span className="visually-hidden">{t(kind === 'old' ? 'diff.before' : 'diff.after')} </span>
      {value === undefined ? (
        <span className="diff-absent">{t('diff.absent')}</span>
      ) : (
        <bdi dir="ltr">
          <code title={JSON.stringify(value)}>{json(value)}</code>
        </bdi>
      )}
    </Tag>
  );
}

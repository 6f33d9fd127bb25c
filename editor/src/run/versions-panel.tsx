// Published versions of a flow, newest first, with roll back (publishes a copy of an old one)
// and compare (a version against the one before it, or against the saved draft).
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import type { FlowVersion } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';
import { useNotify } from '../ui/notices';
import { loadComparison, VersionDiff, type Comparison } from './version-diff';

interface Compared { from: number; to: number | 'draft'; comparison: Comparison | null; error: string }

export function VersionsPanel({ flowId, current, canRollback, refreshKey, onChanged }: { flowId: string; current: number | null; canRollback: boolean; refreshKey: number; onChanged: (version: number) => void }) {
  const { t, dateTime } = useI18n();
  const notify = useNotify();
  const [items, setItems] = useState<FlowVersion[] | null>(null);
  const [compared, setCompared] = useState<Compared | null>(null);
  const compare = (from: number, to: number | 'draft') => {
    setCompared({ from, to, comparison: null, error: '' });
    loadComparison(flowId, from, to)
      .then((comparison) => setCompared((c) => (c && c.from === from && c.to === to ? { ...c, comparison } : c)))
      .catch((err: Error) => setCompared((c) => (c && c.from === from && c.to === to ? { ...c, error: err.message } : c)));
  };
  const load = useCallback(async () => {
    const answer = await api.get<{ items: FlowVersion[] }>(`/flows/${encodeURIComponent(flowId)}/versions`);
    setItems(answer.items);
  }, [flowId]);
  useEffect(() => {
    load().catch((err: Error) => notify(t('app.error', { message: err.message }), 'error'));
  }, [load, refreshKey, notify, t]);
  const rollback = async (v: number) => {
    try {
      const answer = await api.post<{ version: FlowVersion }>(`/flows/${encodeURIComponent(flowId)}/rollback`, { version: v });
      notify(t('versions.rolledBack', { n: v, m: answer.version.version }), 'success');
      await load();
      onChanged(answer.version.version);
    } catch (err) {
      notify(t('versions.rollbackFailed', { message: (err as Error).message }), 'error');
    }
  };
  const origin = (v: FlowVersion) => {
    const key = `versions.origin.${v.origin?.kind ?? 'publish'}` as MessageKey;
    return t(key) === key ? (v.origin?.kind ?? '') : t(key);
  };
  return (
    <section aria-labelledby="versions-title" className="versions-panel" data-testid="versions-panel">
      <h2 id="versions-title">{t('versions.title')}</h2>
      {items && items.length === 0 && <p className="muted">{t('versions.empty')}</p>}
      <ol className="versions">
        {items?.map((v, i, list) => (
          <li key={v.version} data-version={v.version}>
            <strong>{t('flows.version', { n: v.version })}</strong> {v.version === current && <span className="status-chip status-published">{t('versions.current')}</span>}
            <div className="muted small">
              {dateTime(v.createdAt)} · {origin(v)}
            </div>
            <div className="compare-actions">
              {list[i + 1] && (
                <button type="button" className="button small" onClick={() => compare(list[i + 1]!.version, v.version)} aria-label={t('diff.comparePreviousLabel', { n: v.version, m: list[i + 1]!.version })} data-testid="compare-previous">
                  {t('diff.comparePrevious')}
                </button>
              )}
              <button type="button" className="button small" onClick={() => compare(v.version, 'draft')} aria-label={t('diff.compareDraftLabel', { n: v.version })} data-testid="compare-draft">
                {t('diff.compareDraft')}
              </button>
              {canRollback && v.version !== current && (
                <button type="button" className="button small" onClick={() => void rollback(v.version)}>
                  {t('versions.rollback', { n: v.version })}
                </button>
              )}
            </div>
          </li>
        ))}
      </ol>
      {compared && (
        <section className="compare-view" aria-labelledby="compare-title" data-testid="compare-view" data-from={compared.from} data-to={compared.to}>
          <h3 id="compare-title">
            <span>{compared.to === 'draft' ? t('diff.titleDraft', { n: compared.from }) : t('diff.titleVersions', { n: compared.to, m: compared.from })}</span>
            <button type="button" className="button small ghost" onClick={() => setCompared(null)}>
              {t('diff.close')}
            </button>
          </h3>
          {compared.error ? (
            <p className="form-error" role="alert">
              {t('app.error', { message: compared.error })}
            </p>
          ) : compared.comparison ? (
            <VersionDiff comparison={compared.comparison} />
          ) : (
            <p className="muted" aria-busy="true">
              {t('app.loading')}
            </p>
          )}
        </section>
      )}
    </section>
  );
}

// Published versions of a flow, newest first, with roll back (publishes a copy of an old one).
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import type { FlowVersion } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';
import { useNotify } from '../ui/notices';

export function VersionsPanel({ flowId, current, canRollback, refreshKey, onChanged }: { flowId: string; current: number | null; canRollback: boolean; refreshKey: number; onChanged: (version: number) => void }) {
  const { t, dateTime } = useI18n();
  const notify = useNotify();
  const [items, setItems] = useState<FlowVersion[] | null>(null);
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
        {items?.map((v) => (
          <li key={v.version} data-version={v.version}>
            <strong>{t('flows.version', { n: v.version })}</strong> {v.version === current && <span className="status-chip status-published">{t('versions.current')}</span>}
            <div className="muted small">
              {dateTime(v.createdAt)} · {origin(v)}
            </div>
            {canRollback && v.version !== current && (
              <button type="button" className="button small" onClick={() => void rollback(v.version)}>
                {t('versions.rollback', { n: v.version })}
              </button>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}

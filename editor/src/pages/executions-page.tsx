// Executions, newest first, filtered by flow and status; each opens its step timeline.
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import type { ExecutionSummary, FlowSummary, Page } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';
import { Link, navigate } from '../router';
import { StatusChip } from '../ui/status-chip';
import { ErrorNotice } from '../ui/error-notice';

const STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'];

export function ExecutionsPage({ flowId, status }: { flowId?: string; status?: string }) {
  const { t, dateTime, duration } = useI18n();
  const [flows, setFlows] = useState<FlowSummary[]>([]);
  const [page, setPage] = useState<Page<ExecutionSummary> | null>(null);
  const [error, setError] = useState('');
  const load = useCallback(
    async (cursor?: string) => {
      const params = new URLSearchParams();
      if (flowId) params.set('flowId', flowId);
      if (status) params.set('status', status);
      if (cursor) params.set('cursor', cursor);
      try {
        const next = await api.get<Page<ExecutionSummary>>(`/executions?${params}`);
        setPage((prev) => (cursor && prev ? { items: [...prev.items, ...next.items], nextCursor: next.nextCursor } : next));
        setError('');
      } catch (err) {
        setError((err as Error).message);
      }
    },
    [flowId, status],
  );
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    api
      .get<Page<FlowSummary>>('/flows?limit=200')
      .then((p) => setFlows(p.items))
      .catch(() => undefined);
  }, []);
  const setFilter = (key: 'flowId' | 'status', value: string) => {
    const params = new URLSearchParams(location.search);
    if (value) params.set(key, value);
    else params.delete(key);
    navigate(`/executions${params.size ? `?${params}` : ''}`, { replace: true });
  };
  const flowName = (id: string) => flows.find((f) => f.id === id)?.name ?? id;
  const modeLabel = (mode: string) => {
    const key = `mode.${mode}` as MessageKey;
    return t(key) === key ? mode : t(key);
  };
  return (
    <main id="main" className="page executions-page">
      <div className="page-head">
        <h1>{t('executions.title')}</h1>
        <button type="button" className="button" onClick={() => void load()}>
          {t('executions.refresh')}
        </button>
      </div>
      <div className="filters">
        <label className="field">
          <span>{t('executions.flow')}</span>
          <select value={flowId ?? ''} onChange={(e) => setFilter('flowId', e.target.value)} data-testid="filter-flow">
            <option value="">{t('executions.allFlows')}</option>
            {flowId && !flows.some((f) => f.id === flowId) && <option value={flowId}>{flowId}</option>}
            {flows.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('executions.status')}</span>
          <select value={status ?? ''} onChange={(e) => setFilter('status', e.target.value)} data-testid="filter-status">
            <option value="">{t('executions.allStatuses')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`status.${s}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNotice message={error} />
      {page && page.items.length === 0 ? (
        <p className="empty">{t('executions.empty')}</p>
      ) : (
        <table className="table" data-testid="executions-table">
          <thead>
            <tr>
              <th scope="col">{t('executions.colStarted')}</th>
              <th scope="col">{t('executions.colFlow')}</th>
              <th scope="col">{t('executions.colStatus')}</th>
              <th scope="col">{t('executions.colMode')}</th>
              <th scope="col" className="num">
                {t('executions.colDuration')}
              </th>
              <th scope="col">{t('executions.colError')}</th>
            </tr>
          </thead>
          <tbody>
            {page?.items.map((x) => (
              <tr key={x.id} data-execution-id={x.id} data-mode={x.mode}>
                <td>
                  <Link to={`/executions/${encodeURIComponent(x.id)}`} aria-label={t('executions.open', { id: x.id })}>
                    {dateTime(x.startedAt)}
                  </Link>
                </td>
                <td>{flowName(x.flowId)}</td>
                <td>
                  <StatusChip status={x.status} />
                </td>
                <td>{modeLabel(x.mode)}</td>
                <td className="num">{duration(x.durationMs)}</td>
                <td className="error-cell">{x.error ? `${x.error.node ? `${x.error.node}: ` : ''}${x.error.message}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page?.nextCursor && (
        <button type="button" className="button" onClick={() => void load(page.nextCursor ?? undefined)}>
          {t('flows.loadMore')}
        </button>
      )}
    </main>
  );
}

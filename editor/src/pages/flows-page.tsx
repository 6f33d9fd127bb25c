// The flows list: search, status filter, 7-day run figures, and new / duplicate / delete /
// export / import (a template file).
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client';
import type { FlowDetail, FlowSummary, Page } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { useSession } from '../session/session';
import { Link, navigate } from '../router';
import { useNotify } from '../ui/notices';
import { StatusChip } from '../ui/status-chip';
import { ConfirmDialog } from '../ui/confirm';
import { Icon } from '../ui/icons';
import { downloadJson, fileSlug } from '../ui/download';
import { TemplateImport } from './template-import';
import { ErrorNotice } from '../ui/error-notice';

export function FlowsPage() {
  const { t, number, percent, dateTime } = useI18n();
  const { can } = useSession();
  const notify = useNotify();
  const [q, setQ] = useState('');
  const [status, setStatus] = useState('');
  const [page, setPage] = useState<Page<FlowSummary> | null>(null);
  const [error, setError] = useState('');
  const [creating, setCreating] = useState(false);
  const [newName, setNewName] = useState('');
  const [deleting, setDeleting] = useState<FlowSummary | null>(null);
  const seq = useRef(0);

  const load = useCallback(
    async (cursor?: string) => {
      const mine = ++seq.current;
      const params = new URLSearchParams();
      if (q.trim()) params.set('q', q.trim());
      if (status) params.set('status', status);
      if (cursor) params.set('cursor', cursor);
      try {
        const next = await api.get<Page<FlowSummary>>(`/flows?${params}`);
        if (mine !== seq.current) return;
        setPage((prev) => (cursor && prev ? { items: [...prev.items, ...next.items], nextCursor: next.nextCursor } : next));
        setError('');
      } catch (err) {
        setError((err as Error).message);
      }
    },
    [q, status],
  );

  useEffect(() => {
    const timer = setTimeout(() => void load(), 250);
    return () => clearTimeout(timer);
  }, [load]);

  const fail = (err: unknown) => notify(t('app.error', { message: (err as Error).message }), 'error');

  const create = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const flow = await api.post<FlowDetail>('/flows', { name: newName.trim() || t('flows.defaultName') });
      navigate(`/flows/${encodeURIComponent(flow.id)}`);
    } catch (err) {
      fail(err);
    }
  };
  const duplicate = async (f: FlowSummary) => {
    try {
      const copy = await api.post<FlowDetail>(`/flows/${encodeURIComponent(f.id)}/duplicate`);
      notify(t('flows.duplicated', { name: copy.name }), 'success');
      await load();
    } catch (err) {
      fail(err);
    }
  };
  const remove = async (f: FlowSummary) => {
    setDeleting(null);
    try {
      await api.del(`/flows/${encodeURIComponent(f.id)}`);
      notify(t('flows.deleted', { name: f.name }), 'success');
      await load();
    } catch (err) {
      fail(err);
    }
  };
  const exportFlow = async (f: FlowSummary) => {
    try {
      const template = await api.post<unknown>('/templates/export', {
        flowIds: [f.id],
        manifest: { name: { ar: f.name, en: f.name }, description: { ar: f.name, en: f.name } },
        source: f.publishedVersion ? 'published' : 'draft',
      });
      downloadJson(`${fileSlug(f.name, f.id)}.tadfuq.json`, template);
      notify(t('flows.exported', { name: f.name }), 'success');
    } catch (err) {
      notify(err instanceof ApiError && err.details.length ? `${err.message}: ${err.details.map((d) => d.path).join(', ')}` : t('app.error', { message: (err as Error).message }), 'error');
    }
  };

  const items = page?.items ?? [];
  return (
    <main id="main" className="page flows-page">
      <div className="page-head">
        <h1>{t('flows.title')}</h1>
        <div className="page-actions">
          {can('templates.import') && <TemplateImport onImported={() => void load()} />}
          {can('flows.write') && (
            <button type="button" className="button primary" onClick={() => setCreating(true)} data-testid="new-flow">
              <Icon name="plus" size={16} /> {t('flows.new')}
            </button>
          )}
        </div>
      </div>
      {creating && (
        <form className="inline-form" onSubmit={(e) => void create(e)}>
          <label className="field">
            <span>{t('flows.newName')}</span>
            <input autoFocus value={newName} onChange={(e) => setNewName(e.target.value)} maxLength={200} placeholder={t('flows.defaultName')} />
          </label>
          <button type="submit" className="button primary">
            {t('flows.create')}
          </button>
          <button type="button" className="button" onClick={() => setCreating(false)}>
            {t('app.cancel')}
          </button>
        </form>
      )}
      <div className="filters">
        <label className="field grow">
          <span className="visually-hidden">{t('flows.search')}</span>
          <input type="search" placeholder={t('flows.search')} aria-label={t('flows.search')} value={q} onChange={(e) => setQ(e.target.value)} />
        </label>
        <label className="field">
          <span className="visually-hidden">{t('flows.status')}</span>
          <select aria-label={t('flows.status')} value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">{t('flows.statusAll')}</option>
            <option value="draft">{t('status.draft')}</option>
            <option value="published">{t('status.published')}</option>
            <option value="paused">{t('status.paused')}</option>
          </select>
        </label>
      </div>
      <ErrorNotice message={error} />
      {page && items.length === 0 ? (
        <p className="empty">{q || status ? t('flows.noMatch') : t('flows.empty')}</p>
      ) : (
        <table className="table" data-testid="flows-table">
          <thead>
            <tr>
              <th scope="col">{t('flows.colName')}</th>
              <th scope="col">{t('flows.colStatus')}</th>
              <th scope="col">{t('flows.colLastRun')}</th>
              <th scope="col" className="num">
                {t('flows.colRuns')}
              </th>
              <th scope="col" className="num">
                {t('flows.colErrorRate')}
              </th>
              <th scope="col">{t('flows.colUpdated')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('flows.colActions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((f) => (
              <tr key={f.id} data-flow-id={f.id}>
                <td>
                  <Link to={`/flows/${encodeURIComponent(f.id)}`} className="flow-link">
                    {f.name}
                  </Link>
                </td>
                <td>
                  <StatusChip status={f.status} />
                  {f.publishedVersion !== null && <span className="muted small"> {t('flows.version', { n: f.publishedVersion })}</span>}
                </td>
                <td>{f.lastRunAt ? dateTime(f.lastRunAt) : <span className="muted">{t('flows.never')}</span>}</td>
                <td className="num">{number(f.runs7d)}</td>
                <td className={`num${f.errorRate7d ? ' bad' : ''}`}>{f.errorRate7d === null ? '—' : percent(f.errorRate7d)}</td>
                <td>{dateTime(f.updatedAt)}</td>
                <td className="row-actions">
                  <Link to={`/flows/${encodeURIComponent(f.id)}/analytics`} className="icon-button" aria-label={t('analytics.openLabel', { name: f.name })} title={t('analytics.openLabel', { name: f.name })} data-testid="flow-analytics-link">
                    <Icon name="chart" />
                  </Link>
                  {can('flows.write') && (
                    <button type="button" className="icon-button" aria-label={t('flows.duplicate', { name: f.name })} title={t('flows.duplicate', { name: f.name })} onClick={() => void duplicate(f)}>
                      <Icon name="copy" />
                    </button>
                  )}
                  {can('templates.export') && (
                    <button type="button" className="icon-button" aria-label={t('flows.export', { name: f.name })} title={t('flows.export', { name: f.name })} onClick={() => void exportFlow(f)}>
                      <Icon name="download" />
                    </button>
                  )}
                  {can('flows.write') && (
                    <button type="button" className="icon-button danger" aria-label={t('flows.delete', { name: f.name })} title={t('flows.delete', { name: f.name })} onClick={() => setDeleting(f)}>
                      <Icon name="trash" />
                    </button>
                  )}
                </td>
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
      {deleting && <ConfirmDialog message={t('flows.deleteConfirm', { name: deleting.name })} confirmLabel={t('flows.delete', { name: '' }).trim()} onConfirm={() => void remove(deleting)} onCancel={() => setDeleting(null)} />}
    </main>
  );
}

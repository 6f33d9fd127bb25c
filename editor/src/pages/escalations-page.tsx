// The escalation inbox: pending escalations (open or claimed), newest first, optionally only
// the signed-in member's; a detail panel with the payload and the decisions (claim, approve
// with an optional note and payload edits, reject with a note) for members who may decide.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import type { Contact, Escalation, Page } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';
import { Link } from '../router';
import { useSession } from '../session/session';
import { JsonView } from '../ui/json-view';
import { useNotify } from '../ui/notices';
import { StatusChip } from '../ui/status-chip';
import { ErrorNotice } from '../ui/error-notice';

const PENDING = 'open,claimed';

export function EscalationsPage() {
  const { t, dateTime } = useI18n();
  const [mine, setMine] = useState(false);
  const [page, setPage] = useState<Page<Escalation> | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [contacts, setContacts] = useState<Record<string, string>>({});
  const [error, setError] = useState('');
  const load = useCallback(async () => {
    const params = new URLSearchParams({ status: PENDING });
    if (mine) params.set('mine', 'true');
    try {
      setPage(await api.get<Page<Escalation>>(`/escalations?${params}`));
      setError('');
    } catch (err) {
      setError((err as Error).message);
    }
  }, [mine]);
  useEffect(() => {
    void load();
  }, [load]);
  // Contact names for the list (each contact asked once).
  useEffect(() => {
    const missing = [...new Set((page?.items ?? []).map((e) => e.contactId).filter((id): id is string => !!id && !(id in contacts)))];
    for (const id of missing) {
      api
        .get<Contact>(`/contacts/${encodeURIComponent(id)}`)
        .then((c) => setContacts((prev) => ({ ...prev, [id]: c.name })))
        .catch(() => setContacts((prev) => ({ ...prev, [id]: id })));
    }
  }, [page, contacts]);
  const current = page?.items.find((e) => e.id === selected) ?? null;
  return (
    <main id="main" className="page escalations-page">
      <div className="page-head">
        <h1>{t('escalations.title')}</h1>
        <div className="page-actions">
          <label className="check">
            <input type="checkbox" checked={mine} onChange={(e) => setMine(e.target.checked)} data-testid="escalations-mine" />
            <span>{t('escalations.mine')}</span>
          </label>
          <button type="button" className="button" onClick={() => void load()}>
            {t('escalations.refresh')}
          </button>
        </div>
      </div>
      <ErrorNotice message={error} />
      <div className="split">
        <div className="split-main">
          {page && page.items.length === 0 ? (
            <p className="empty">{t('escalations.empty')}</p>
          ) : (
            <table className="table" data-testid="escalations-table">
              <thead>
                <tr>
                  <th scope="col">{t('escalations.colReason')}</th>
                  <th scope="col">{t('escalations.colPriority')}</th>
                  <th scope="col">{t('escalations.colContact')}</th>
                  <th scope="col">{t('escalations.colCreated')}</th>
                  <th scope="col">{t('escalations.colStatus')}</th>
                </tr>
              </thead>
              <tbody>
                {page?.items.map((e) => (
                  <tr key={e.id} data-escalation-id={e.id} className={e.id === selected ? 'selected' : undefined}>
                    <td>
                      <button type="button" className="link-button" onClick={() => setSelected(e.id)} aria-label={t('escalations.open', { reason: e.reason })}>
                        {e.reason}
                      </button>
                    </td>
                    <td>
                      <span className={`priority priority-${e.priority}`}>{t(`priority.${e.priority}` as MessageKey)}</span>
                    </td>
                    <td>{e.contactId ? <Link to={`/contacts/${encodeURIComponent(e.contactId)}`}>{contacts[e.contactId] ?? e.contactId}</Link> : '—'}</td>
                    <td>{dateTime(e.createdAt)}</td>
                    <td>
                      <StatusChip status={e.status} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <aside className="split-side panel" aria-label={t('escalations.detail')}>
          {current ? <EscalationDetail key={current.id} escalation={current} onDone={() => void load()} /> : <p className="empty">{t('escalations.select')}</p>}
        </aside>
      </div>
    </main>
  );
}

function EscalationDetail({ escalation: e, onDone }: { escalation: Escalation; onDone: () => void }) {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const notify = useNotify();
  const [note, setNote] = useState('');
  const [edits, setEdits] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState('');
  const canDecide = session.can('escalations.decide');
  const act = async (kind: 'approve' | 'reject' | 'claim') => {
    setProblem('');
    let body: Record<string, unknown> = {};
    if (kind === 'approve') {
      if (note.trim()) body.note = note.trim();
      if (edits.trim()) {
        try {
          body.edits = JSON.parse(edits) as unknown;
        } catch {
          setProblem(t('escalations.editsInvalid'));
          return;
        }
      }
    } else if (kind === 'reject') {
      if (!note.trim()) {
        setProblem(t('escalations.noteMissing'));
        return;
      }
      body = { note: note.trim() };
    }
    setBusy(true);
    try {
      await api.post<Escalation>(`/escalations/${encodeURIComponent(e.id)}/${kind}`, body);
      notify(t(kind === 'approve' ? 'escalations.approved' : kind === 'reject' ? 'escalations.rejected' : 'escalations.claimed'));
      onDone();
    } catch (err) {
      notify(t('escalations.actionFailed', { message: (err as Error).message }), 'error');
    } finally {
      setBusy(false);
    }
  };
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    void act('approve');
  };
  const assignee = e.assignee.role ? t(`role.${e.assignee.role}` as MessageKey) : (e.assignee.userId ?? '—');
  return (
    <div className="escalation-detail" data-testid="escalation-detail" data-escalation-id={e.id} data-status={e.status}>
      <h2>{e.reason}</h2>
      <dl className="facts">
        <dt>{t('escalations.colPriority')}</dt>
        <dd>{t(`priority.${e.priority}` as MessageKey)}</dd>
        <dt>{t('escalations.colStatus')}</dt>
        <dd>
          <StatusChip status={e.status} />
        </dd>
        <dt>{t('escalations.assignee')}</dt>
        <dd>{assignee}</dd>
        <dt>{t('escalations.colCreated')}</dt>
        <dd>{dateTime(e.createdAt)}</dd>
        <dt>{t('escalations.due')}</dt>
        <dd>{dateTime(e.dueAt)}</dd>
        {e.executionId && (
          <>
            <dt>{t('escalations.execution')}</dt>
            <dd>
              <Link to={`/executions/${encodeURIComponent(e.executionId)}`}>{e.executionId}</Link>
            </dd>
          </>
        )}
      </dl>
      <h3>{t('escalations.payload')}</h3>
      <JsonView value={e.payload} label={t('escalations.payload')} />
      {canDecide && (
        <form className="decision" onSubmit={submit} data-testid="decision-form">
          <label className="field">
            <span>{t('escalations.note')}</span>
            <textarea value={note} onChange={(ev) => setNote(ev.target.value)} maxLength={2000} rows={3} aria-describedby="note-hint" data-testid="decision-note" />
            <small id="note-hint" className="hint">
              {t('escalations.noteHint')}
            </small>
          </label>
          <label className="field">
            <span>{t('escalations.edits')}</span>
            <textarea value={edits} onChange={(ev) => setEdits(ev.target.value)} rows={4} dir="ltr" className="code" data-testid="decision-edits" />
          </label>
          {problem && (
            <p className="form-error" role="alert">
              {problem}
            </p>
          )}
          <div className="page-actions">
            <button type="submit" className="button primary" disabled={busy} data-testid="approve">
              {t('escalations.approve')}
            </button>
            <button type="button" className="button danger" disabled={busy} onClick={() => void act('reject')} data-testid="reject">
              {t('escalations.reject')}
            </button>
            {e.status === 'open' && (
              <button type="button" className="button" disabled={busy} onClick={() => void act('claim')} data-testid="claim">
                {t('escalations.claim')}
              </button>
            )}
          </div>
        </form>
      )}
    </div>
  );
}

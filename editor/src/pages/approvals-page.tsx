// Publish requests: a manager's publish of a flow with Class B nodes (sends, external HTTP)
// waits here for an owner or admin. Pending requests first (a status filter shows decided ones);
// each row reviews its changes (the requested snapshot against the published version, or "first
// version"), approves (publishes exactly that snapshot) or rejects with a reason (a dialog).
// `?request=<id>` opens a request's review (the flow editor's banner links here).
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import {
  REQUEST_STATUSES,
  approvePublishRequest,
  getFlow,
  getPublishRequest,
  getVersion,
  listPublishRequests,
  memberNames,
  rejectPublishRequest,
  type PublishRequest,
  type RequestStatus,
} from '../api/approvals';
import { loadNodeTypes } from '../api/node-types';
import type { NodeTypeInfo } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import { useSession } from '../session/session';
import { useNotify } from '../ui/notices';
import { VersionDiff, type Comparison } from '../run/version-diff';
import './approvals-page.css';
import { ErrorNotice } from '../ui/error-notice';

function initialSelection(): string | null {
  return new URLSearchParams(location.search).get('request');
}

export function ApprovalsPage() {
  const { t, dateTime, text } = useI18n();
  const { can, me } = useSession();
  const notify = useNotify();
  const canDecide = can('flows.publish.classB');
  const canReadUsers = can('users.read');
  const [status, setStatus] = useState<RequestStatus>('pending');
  const [items, setItems] = useState<PublishRequest[] | null>(null);
  const [error, setError] = useState('');
  const [selected, setSelected] = useState<string | null>(initialSelection);
  const [rejecting, setRejecting] = useState<PublishRequest | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [types, setTypes] = useState<Map<string, NodeTypeInfo>>(new Map());

  const load = useCallback(async () => {
    try {
      setItems(await listPublishRequests({ status }));
      setError('');
    } catch (err) {
      setError((err as Error).message);
    }
  }, [status]);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    const tenant = me?.tenant.id ?? '';
    loadNodeTypes(tenant)
      .then((list) => setTypes(new Map(list.map((n) => [n.type, n]))))
      .catch(() => undefined);
    if (canReadUsers) memberNames().then(setNames, () => undefined);
  }, [me?.tenant.id, canReadUsers]);

  const who = (actor: string | null) => {
    if (!actor) return '—';
    if (me && actor === `user:${me.user.id}`) return me.user.name;
    return names.get(actor) ?? actor;
  };

  const decided = (r: PublishRequest) => {
    setItems((list) => list?.filter((x) => x.id !== r.id) ?? null);
    if (selected === r.id) setSelected(null);
    void load();
  };
  const approve = async (r: PublishRequest) => {
    setBusy(r.id);
    try {
      const answer = await approvePublishRequest(r.id);
      notify(t('approvals.approved', { name: r.flowName, n: answer.version.version }), 'success');
      decided(r);
    } catch (err) {
      notify(t('approvals.actionFailed', { message: (err as Error).message }), 'error');
      void load();
    } finally {
      setBusy(null);
    }
  };
  const reject = async (r: PublishRequest, reason: string) => {
    setBusy(r.id);
    try {
      await rejectPublishRequest(r.id, reason);
      setRejecting(null);
      notify(t('approvals.rejected', { name: r.flowName }), 'success');
      decided(r);
    } catch (err) {
      notify(t('approvals.actionFailed', { message: (err as Error).message }), 'error');
    } finally {
      setBusy(null);
    }
  };

  const typeLabel = (type: string) => {
    const info = types.get(type);
    return info ? text(info.label) : type;
  };

  return (
    <main id="main" className="page approvals-page">
      <div className="page-head">
        <h1>{t('approvals.title')}</h1>
        <div className="page-actions">
          <label className="check">
            <span>{t('approvals.statusFilter')}</span>
            <select value={status} onChange={(e) => setStatus(e.target.value as RequestStatus)} data-testid="approvals-status">
              {REQUEST_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {t(`approvals.status.${s}`)}
                </option>
              ))}
            </select>
          </label>
          <button type="button" className="button" onClick={() => void load()}>
            {t('approvals.refresh')}
          </button>
        </div>
      </div>
      <p className="muted">{canDecide ? t('approvals.intro') : t('approvals.introReadOnly')}</p>
      <ErrorNotice message={error} />
      <div className="split">
        <div className="split-main">
          {items && items.length === 0 ? (
            <p className="empty" data-testid="approvals-empty">
              {t(status === 'pending' ? 'approvals.emptyPending' : 'approvals.empty')}
            </p>
          ) : (
            <table className="table" data-testid="approvals-table" aria-busy={items === null}>
              <thead>
                <tr>
                  <th scope="col">{t('approvals.colFlow')}</th>
                  <th scope="col">{t('approvals.colRequestedBy')}</th>
                  <th scope="col">{t('approvals.colRequestedAt')}</th>
                  <th scope="col">{t('approvals.colClassB')}</th>
                  <th scope="col">{t('approvals.colSnapshot')}</th>
                  {status !== 'pending' && <th scope="col">{t('approvals.colDecision')}</th>}
                  <th scope="col">
                    <span className="visually-hidden">{t('approvals.colActions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items?.map((r) => (
                  <tr key={r.id} data-request-id={r.id} data-flow-id={r.flowId} data-status={r.status} className={r.id === selected ? 'selected' : undefined}>
                    <td>
                      <Link to={`/flows/${encodeURIComponent(r.flowId)}`} className="flow-link">
                        {r.flowName}
                      </Link>
                    </td>
                    <td>{who(r.requestedBy)}</td>
                    <td>{dateTime(r.requestedAt)}</td>
                    <td>
                      <ul className="classb-list">
                        {r.classBNodes.map((n) => (
                          <li key={n.id}>
                            {typeLabel(n.type)}{' '}
                            <bdi dir="ltr" className="muted small">
                              <code>{n.id}</code>
                            </bdi>
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td>{t('approvals.revision', { n: r.revision })}</td>
                    {status !== 'pending' && (
                      <td className="decision-cell">
                        <span className={`status-chip request-${r.status}`}>{t(`approvals.status.${r.status}`)}</span>
                        {r.decidedAt && <div className="muted small">{t('approvals.decidedBy', { name: who(r.decidedBy), at: dateTime(r.decidedAt) })}</div>}
                        {r.version !== null && <div className="small">{t('approvals.publishedAs', { n: r.version })}</div>}
                        {r.reason && (
                          <blockquote className="reason" data-testid="request-reason">
                            {r.reason}
                          </blockquote>
                        )}
                      </td>
                    )}
                    <td className="row-actions">
                      <div className="row-buttons">
                      <button
                        type="button"
                        className="button small"
                        aria-pressed={r.id === selected}
                        aria-label={t('approvals.reviewLabel', { name: r.flowName })}
                        onClick={() => setSelected(r.id === selected ? null : r.id)}
                        data-testid="review"
                      >
                        {t('approvals.review')}
                      </button>
                      {canDecide && r.status === 'pending' && (
                        <>
                          <button
                            type="button"
                            className="button small primary"
                            disabled={busy === r.id}
                            aria-label={t('approvals.approveLabel', { name: r.flowName })}
                            onClick={() => void approve(r)}
                            data-testid="approve"
                          >
                            {t('approvals.approve')}
                          </button>
                          <button
                            type="button"
                            className="button small danger"
                            disabled={busy === r.id}
                            aria-label={t('approvals.rejectLabel', { name: r.flowName })}
                            onClick={() => setRejecting(r)}
                            data-testid="reject"
                          >
                            {t('approvals.reject')}
                          </button>
                        </>
                      )}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <aside className="split-side panel" aria-label={t('approvals.reviewPanel')}>
          {selected ? <RequestReview key={selected} id={selected} onClose={() => setSelected(null)} /> : <p className="empty">{t('approvals.select')}</p>}
        </aside>
      </div>
      {rejecting && <RejectDialog request={rejecting} busy={busy === rejecting.id} onReject={(reason) => void reject(rejecting, reason)} onCancel={() => setRejecting(null)} />}
    </main>
  );
}

/** The requested snapshot against the flow's published version (none: the first version). */
function RequestReview({ id, onClose }: { id: string; onClose: () => void }) {
  const { t } = useI18n();
  const [state, setState] = useState<{ name: string; published: number | null; comparison: Comparison } | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    (async () => {
      const request = await getPublishRequest(id);
      const flow = await getFlow(request.flowId).catch(() => null);
      const published = flow?.publishedVersion ?? null;
      const before = published === null ? null : (await getVersion(request.flowId, published)).definition;
      if (live) setState({ name: request.flowName, published, comparison: { before, after: request.definition, patch: request.patch } });
    })().catch((err: Error) => live && setError(err.message));
    return () => {
      live = false;
    };
  }, [id]);
  return (
    <section className="request-review" data-testid="request-review" data-request-id={id} aria-labelledby="review-title">
      <div className="review-head">
        <h2 id="review-title">{state ? t('approvals.reviewTitle', { name: state.name }) : t('approvals.review')}</h2>
        <button type="button" className="button small ghost" onClick={onClose}>
          {t('app.close')}
        </button>
      </div>
      <ErrorNotice message={error} />
      {!state && !error && <p className="muted">{t('app.loading')}</p>}
      {state && (
        <>
          <p className="muted small">{state.published === null ? t('approvals.againstNothing') : t('approvals.againstPublished', { n: state.published })}</p>
          <VersionDiff comparison={state.comparison} testId="request-diff" />
        </>
      )}
    </section>
  );
}

function RejectDialog({ request, busy, onReject, onCancel }: { request: PublishRequest; busy: boolean; onReject: (reason: string) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState('');
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) {
      setProblem(t('approvals.reasonMissing'));
      return;
    }
    onReject(reason.trim());
  };
  return (
    <dialog ref={ref} className="dialog reject-dialog" aria-labelledby="reject-title" onCancel={onCancel} data-testid="reject-dialog">
      <form onSubmit={submit}>
        <h2 id="reject-title">{t('approvals.rejectTitle', { name: request.flowName })}</h2>
        <label className="field">
          <span>{t('approvals.reason')}</span>
          <textarea value={reason} onChange={(e) => setReason(e.target.value)} rows={4} maxLength={2000} aria-required="true" aria-describedby="reject-hint" autoFocus data-testid="reject-reason" />
          <small id="reject-hint" className="hint">
            {t('approvals.reasonHint')}
          </small>
        </label>
        {problem && (
          <p className="form-error" role="alert">
            {problem}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onCancel}>
            {t('app.cancel')}
          </button>
          <button type="submit" className="button danger" disabled={busy} data-testid="reject-submit">
            {t('approvals.rejectSubmit')}
          </button>
        </div>
      </form>
    </dialog>
  );
}

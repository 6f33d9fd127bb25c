// A contact's enrollments (the sequences it is in or was in), newest first: flow, state, the
// step it is at, when it started and ended, and its state history on demand. Members with
// enrollments.manage pause an active one, resume a paused one, stop (unenroll) either, and
// enroll the contact in a published flow (one with a trigger.manual node, or the API says why not).
import { Fragment, useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { contactsApi, type Enrollment, type EnrollmentAction, type EnrollmentDetail, type EnrollmentState } from '../api/contacts';
import type { FlowSummary, Problem } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import { ConfirmDialog } from '../ui/confirm';
import { useNotify } from '../ui/notices';
import { Field, useActorName, useLabel } from './contact-shared';
import { useProblemText } from '../ui/problem-text';
import { ErrorNotice } from '../ui/error-notice';

/** The status-chip colour of each state (styles.css names them after execution statuses). */
const CHIP: Record<EnrollmentState, string> = {
  active: 'running',
  paused: 'paused',
  completed: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  replied: 'succeeded',
  opted_out: 'cancelled',
};

export function EnrollmentsSection({ contactId, canManage, erased }: { contactId: string; canManage: boolean; erased: boolean }) {
  const { t, dateTime } = useI18n();
  const notify = useNotify();
  const problemText = useProblemText();
  const [items, setItems] = useState<Enrollment[] | null>(null);
  const [flows, setFlows] = useState<FlowSummary[]>([]);
  const [open, setOpen] = useState<Record<string, EnrollmentDetail | 'loading'>>({});
  const [stopping, setStopping] = useState<Enrollment | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState('');

  const load = useCallback(async () => {
    try {
      setItems((await contactsApi.enrollments(contactId)).items);
      setError('');
    } catch (err) {
      setError((err as Error).message);
    }
  }, [contactId]);
  useEffect(() => {
    void load();
    contactsApi.flows().then(
      (page) => setFlows(page.items),
      () => undefined,
    );
  }, [load]);

  const flowName = (id: string) => flows.find((f) => f.id === id)?.name ?? id;
  const loadHistory = async (id: string) => {
    setOpen((o) => ({ ...o, [id]: 'loading' }));
    try {
      const detail = await contactsApi.enrollment(id);
      setOpen((o) => (id in o ? { ...o, [id]: detail } : o));
    } catch (err) {
      setOpen(({ [id]: _gone, ...rest }) => rest);
      notify((err as Error).message, 'error');
    }
  };
  const toggle = (id: string) => {
    if (open[id]) setOpen(({ [id]: _gone, ...rest }) => rest);
    else void loadHistory(id);
  };
  const act = async (e: Enrollment, action: EnrollmentAction) => {
    setStopping(null);
    setBusy(e.id);
    try {
      await contactsApi.changeEnrollment(e.id, action);
      notify(t(`contacts2.enrollment.done.${action}` as const, { flow: flowName(e.flowId) }), 'success');
    } catch (err) {
      notify(err instanceof ApiError ? problemText({ code: err.code, message: err.message }) : (err as Error).message, 'error');
    } finally {
      setBusy(null);
    }
    await load();
    if (open[e.id]) await loadHistory(e.id);
  };

  const editable = canManage && !erased;
  return (
    <section aria-labelledby="enrollments-title" data-testid="enrollments-section">
      <h2 id="enrollments-title">{t('contacts2.enrollments')}</h2>
      <ErrorNotice message={error} />
      {items && items.length === 0 ? (
        <p className="empty">{t('contacts2.noEnrollments')}</p>
      ) : (
        <table className="table" data-testid="enrollments">
          <thead>
            <tr>
              <th scope="col">{t('contacts2.enrollment.flow')}</th>
              <th scope="col">{t('contacts2.enrollment.state')}</th>
              <th scope="col">{t('contacts2.enrollment.step')}</th>
              <th scope="col">{t('contacts2.enrollment.started')}</th>
              <th scope="col">{t('contacts2.enrollment.ended')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('contacts2.colActions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items?.map((e) => {
              const name = flowName(e.flowId);
              const detail = open[e.id];
              const step = e.state === 'active' && e.pendingNodes.length ? e.pendingNodes.join('، ') : e.currentNode;
              return (
                <Fragment key={e.id}>
                  <tr data-enrollment-id={e.id} data-flow-id={e.flowId} data-state={e.state}>
                    <td>
                      <Link to={`/flows/${encodeURIComponent(e.flowId)}`} className="flow-link">
                        {name}
                      </Link>{' '}
                      <span className="muted small">{t('contacts2.enrollment.version', { version: e.flowVersion })}</span>
                    </td>
                    <td>
                      <span className={`status-chip status-${CHIP[e.state]}`} data-testid="enrollment-state">
                        {t(`contacts2.enrollmentState.${e.state}` as const)}
                      </span>
                    </td>
                    <td>{step ? <code dir="ltr">{step}</code> : '—'}</td>
                    <td>{dateTime(e.enrolledAt)}</td>
                    <td>
                      {e.endedAt ? (
                        <>
                          {dateTime(e.endedAt)}
                          <br />
                          <EndReason reason={e.endReason} />
                        </>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td className="row-actions">
                      <button type="button" className="button small ghost" aria-expanded={!!detail} aria-controls={`enrollment-history-${e.id}`} onClick={() => toggle(e.id)} aria-label={t('contacts2.enrollment.historyFor', { flow: name })} data-testid="enrollment-history-toggle">
                        {t('contacts2.enrollment.history')}
                      </button>
                      {editable && e.state === 'active' && (
                        <button type="button" className="button small" disabled={busy === e.id} onClick={() => void act(e, 'pause')} aria-label={t('contacts2.enrollment.pauseFor', { flow: name })} data-testid="enrollment-pause">
                          {t('contacts2.enrollment.pause')}
                        </button>
                      )}
                      {editable && e.state === 'paused' && (
                        <button type="button" className="button small" disabled={busy === e.id} onClick={() => void act(e, 'resume')} aria-label={t('contacts2.enrollment.resumeFor', { flow: name })} data-testid="enrollment-resume">
                          {t('contacts2.enrollment.resume')}
                        </button>
                      )}
                      {editable && (e.state === 'active' || e.state === 'paused') && (
                        <button type="button" className="button small danger" disabled={busy === e.id} onClick={() => setStopping(e)} aria-label={t('contacts2.enrollment.stopFor', { flow: name })} data-testid="enrollment-stop">
                          {t('contacts2.enrollment.stop')}
                        </button>
                      )}
                    </td>
                  </tr>
                  {detail && (
                    <tr className="enrollment-history-row" id={`enrollment-history-${e.id}`}>
                      <td colSpan={6}>{detail === 'loading' ? <span className="muted">{t('app.loading')}</span> : <EnrollmentHistory detail={detail} />}</td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}
      {editable && <EnrollForm contactId={contactId} flows={flows.filter((f) => f.status === 'published')} onEnrolled={load} />}
      {stopping && (
        <ConfirmDialog
          message={t('contacts2.enrollment.stopConfirm', { flow: flowName(stopping.flowId) })}
          confirmLabel={t('contacts2.enrollment.stop')}
          onConfirm={() => void act(stopping, 'unenroll')}
          onCancel={() => setStopping(null)}
        />
      )}
    </section>
  );
}

/** `consent_withdrawn:whatsapp` → "Consent withdrawn (WhatsApp)". */
function EndReason({ reason }: { reason: string | null }) {
  const label = useLabel();
  if (!reason) return null;
  const [base, channel] = reason.split(':');
  return (
    <span className="muted small">
      {label('contacts2.endReason', base)}
      {channel ? ` (${label('channel', channel)})` : ''}
    </span>
  );
}

function EnrollmentHistory({ detail }: { detail: EnrollmentDetail }) {
  const { t, dateTime } = useI18n();
  const actorName = useActorName();
  return (
    <ol className="enrollment-history" aria-label={t('contacts2.enrollment.history')} data-testid="enrollment-history">
      {detail.history.map((h) => (
        <li key={h.id} data-to-state={h.toState} data-reason={h.reason ?? ''}>
          <time dateTime={h.at}>{dateTime(h.at)}</time>
          <span className={`status-chip status-${CHIP[h.toState]}`}>{t(`contacts2.enrollmentState.${h.toState}` as const)}</span>
          <EndReason reason={h.reason} />
          {h.node && <code dir="ltr">{h.node}</code>}
          <span className="muted small">{actorName(h.actor)}</span>
        </li>
      ))}
    </ol>
  );
}

function EnrollForm({ contactId, flows, onEnrolled }: { contactId: string; flows: FlowSummary[]; onEnrolled: () => Promise<void> }) {
  const { t } = useI18n();
  const notify = useNotify();
  const label = useLabel();
  const problemText = useProblemText();
  const [flowId, setFlowId] = useState('');
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!flowId) {
      setProblem({ path: '/body/flowId', code: 'required', message: 'choose a flow' });
      return;
    }
    setBusy(true);
    try {
      const report = await contactsApi.enroll(flowId, [contactId]);
      const name = flows.find((f) => f.id === flowId)?.name ?? flowId;
      const skipped = report.skipped[0];
      if (skipped) setProblem({ path: '/body/flowId', code: `skip.${skipped.reason}`, message: label('contacts2.skip', skipped.reason) });
      else {
        setProblem(undefined);
        setFlowId('');
        notify(t('contacts2.enrolled', { flow: name }), 'success');
      }
      await onEnrolled();
    } catch (err) {
      setProblem(err instanceof ApiError ? { path: '/body/flowId', code: err.code, message: problemText({ code: err.code, message: err.message }) } : { path: '', code: 'error', message: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form enroll-form" onSubmit={(e) => void submit(e)} data-testid="enroll-form" noValidate>
      <Field testId="field-flow" label={t('contacts2.enrollIn')} problem={problem}>
        {(props) => (
          <select {...props} value={flowId} onChange={(e) => setFlowId(e.target.value)} data-testid="enroll-flow">
            <option value="">{flows.length ? t('contacts2.chooseFlow') : t('contacts2.noPublishedFlows')}</option>
            {flows.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <button type="submit" className={`button primary${busy ? ' is-busy' : ''}`} disabled={busy} data-testid="enroll-submit">
        {t('contacts2.enroll')}
      </button>
    </form>
  );
}

// A contact's consents (whether each permits contact now) and, for members with
// consent.manage, the changes the API offers: grant with source and evidence (optionally given
// on an earlier day within the last 12 months), renew a granted or expired consent, withdraw
// with a reason, each confirmed. Then the consent trail (newest first): who, when, how, why.
import { useState, type FormEvent } from 'react';
import { contactsApi, type ConsentHistoryEvent, type ConsentRow, type ConsentVocabulary, type ContactFullDetail, type Evidence } from '../api/contacts';
import type { Problem } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { ConfirmDialog } from '../ui/confirm';
import { useNotify } from '../ui/notices';
import { Field, FieldError, riyadhDates, useActorName, useErrorSplit, useLabel } from './contact-shared';

/** Sources a person records a grant from (import, API, opt-out replies and erasure are the system's). */
const NOT_GRANT_SOURCES = new Set(['import', 'api', 'opt_out_reply', 'erasure']);
const NOT_WITHDRAW_SOURCES = new Set(['import', 'api', 'erasure']);
const EVIDENCE_FIELDS = ['formUrl', 'messageId', 'text', 'documentUrl'] as const;
type EvidenceField = (typeof EVIDENCE_FIELDS)[number];

interface Pair { channel: string; purpose: string }

/** "WhatsApp · Marketing" for a consent. */
function usePairName() {
  const label = useLabel();
  return (p: Pair) => `${label('channel', p.channel)} · ${label('purpose', p.purpose)}`;
}

export function ConsentsSection({ contact, vocab, canManage, onChanged }: { contact: ContactFullDetail | null; vocab: ConsentVocabulary | null; canManage: boolean; onChanged: () => Promise<void> }) {
  const { t, dateTime, number } = useI18n();
  const label = useLabel();
  const pairName = usePairName();
  const notify = useNotify();
  const splitError = useErrorSplit();
  const [granting, setGranting] = useState(false);
  const [withdrawing, setWithdrawing] = useState<Pair | null>(null);
  const [renewing, setRenewing] = useState<Pair | null>(null);
  const months = vocab?.validityMonths ?? 12;
  const editable = canManage && !!contact && contact.erasedAt === null;

  const renew = async (pair: Pair) => {
    setRenewing(null);
    if (!contact) return;
    try {
      const answer = await contactsApi.renew(contact.id, pair);
      notify(t('contacts2.renewed', { consent: pairName(pair), until: dateTime(answer.consent?.expiresAt) }), 'success');
    } catch (err) {
      notify(splitError(err, []).other, 'error');
    }
    await onChanged();
  };

  return (
    <section aria-labelledby="consents-title" data-testid="consents-section">
      <div className="section-head">
        <h2 id="consents-title">{t('contacts.consents')}</h2>
        {editable && (
          <button type="button" className="button" aria-expanded={granting} aria-controls="grant-form" onClick={() => setGranting((g) => !g)} data-testid="grant-open">
            {t('contacts2.grant')}
          </button>
        )}
      </div>
      {contact && contact.consents.length === 0 ? (
        <p className="empty">{t('contacts.noConsents')}</p>
      ) : (
        <table className="table" data-testid="consents">
          <thead>
            <tr>
              <th scope="col">{t('contacts.colChannel')}</th>
              <th scope="col">{t('contacts.colPurpose')}</th>
              <th scope="col">{t('contacts.colConsentStatus')}</th>
              <th scope="col">{t('contacts.colValid')}</th>
              <th scope="col">{t('contacts.colGranted')}</th>
              <th scope="col">{t('contacts.colExpires')}</th>
              {editable && (
                <th scope="col">
                  <span className="visually-hidden">{t('contacts2.colActions')}</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {contact?.consents.map((c: ConsentRow) => (
              <tr
                key={`${c.channel}:${c.purpose}`}
                data-channel={c.channel}
                data-purpose={c.purpose}
                data-status={c.status}
                data-valid={String(c.valid)}
                data-expires-at={c.expiresAt ?? ''}
              >
                <td>
                  <span className={`badge channel-${c.channel}`}>{label('channel', c.channel)}</span>
                </td>
                <td>{label('purpose', c.purpose)}</td>
                <td>{label('consentStatus', c.status)}</td>
                <td>{c.valid ? <span className="badge ok">{t('contacts.valid')}</span> : <span className="badge bad">{t('contacts.notValid', { reason: label('contacts2.reason', c.reason) })}</span>}</td>
                <td>{dateTime(c.grantedAt)}</td>
                <td>{c.status === 'withdrawn' ? '—' : dateTime(c.expiresAt)}</td>
                {editable && (
                  <td className="row-actions">
                    {(c.status === 'granted' || c.status === 'expired') && (
                      <button type="button" className="button small" onClick={() => setRenewing({ channel: c.channel, purpose: c.purpose })} aria-label={t('contacts2.renewFor', { consent: pairName(c) })} data-testid="consent-renew">
                        {t('contacts2.renew')}
                      </button>
                    )}{' '}
                    {c.status !== 'withdrawn' && (
                      <button type="button" className="button small danger" onClick={() => setWithdrawing({ channel: c.channel, purpose: c.purpose })} aria-label={t('contacts2.withdrawFor', { consent: pairName(c) })} data-testid="consent-withdraw">
                        {t('contacts2.withdraw')}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editable && granting && vocab && contact && (
        <GrantForm
          contactId={contact.id}
          vocab={vocab}
          onDone={async (answer) => {
            setGranting(false);
            if (answer) notify(t('contacts2.granted', { consent: pairName(answer), until: dateTime(answer.expiresAt) }), 'success');
            await onChanged();
          }}
        />
      )}
      {editable && withdrawing && vocab && contact && (
        <WithdrawForm
          key={`${withdrawing.channel}:${withdrawing.purpose}`}
          contactId={contact.id}
          pair={withdrawing}
          vocab={vocab}
          onDone={async (done) => {
            setWithdrawing(null);
            if (done) {
              notify(t('contacts2.withdrawn', { consent: pairName(withdrawing) }), 'success');
              await onChanged();
            }
          }}
        />
      )}
      {renewing && (
        <ConfirmDialog
          message={t('contacts2.renewConfirm', { consent: pairName(renewing), months: number(months) })}
          confirmLabel={t('contacts2.renew')}
          onConfirm={() => void renew({ channel: renewing.channel, purpose: renewing.purpose })}
          onCancel={() => setRenewing(null)}
        />
      )}
    </section>
  );
}

function GrantForm({ contactId, vocab, onDone }: { contactId: string; vocab: ConsentVocabulary; onDone: (answer: ConsentRow | null) => Promise<void> }) {
  const { t, text } = useI18n();
  const sourceLabel = useLabel();
  const splitError = useErrorSplit();
  const sources = vocab.sources.filter((s) => !NOT_GRANT_SOURCES.has(s));
  const [channel, setChannel] = useState(vocab.channels[0]?.id ?? '');
  const [purpose, setPurpose] = useState(vocab.purposes[0]?.id ?? '');
  const [source, setSource] = useState(sources[0] ?? '');
  const [evidence, setEvidence] = useState<Record<EvidenceField, string>>({ formUrl: '', messageId: '', text: '', documentUrl: '' });
  const [givenOn, setGivenOn] = useState('');
  const [problems, setProblems] = useState<Record<string, Problem>>({});
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const { today, earliest } = riyadhDates(Date.now(), vocab.validityMonths);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const proof: Evidence = {};
    for (const k of EVIDENCE_FIELDS) if (evidence[k].trim()) proof[k] = evidence[k].trim();
    // A day in Riyadh: from its start (the API takes an instant); today means now.
    const grantedAt = givenOn && givenOn !== today ? `${givenOn}T00:00:00+03:00` : undefined;
    setBusy(true);
    try {
      const answer = await contactsApi.grant(contactId, { channel, purpose, source, evidence: proof, ...(grantedAt ? { grantedAt } : {}) });
      setProblems({});
      setError('');
      await onDone(answer.consent);
    } catch (err) {
      const split = splitError(err, ['channel', 'purpose', 'source', 'grantedAt', 'evidence']);
      setProblems(split.problems);
      setError(split.other);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form id="grant-form" className="panel-form" onSubmit={(e) => void submit(e)} aria-labelledby="grant-title" data-testid="grant-form" noValidate>
      <h3 id="grant-title">{t('contacts2.grantTitle')}</h3>
      <div className="form-grid">
        <Field testId="field-channel" label={t('contacts.colChannel')} problem={problems.channel}>
          {(props) => (
            <select {...props} autoFocus value={channel} onChange={(e) => setChannel(e.target.value)} data-testid="grant-channel">
              {vocab.channels.map((c) => (
                <option key={c.id} value={c.id}>
                  {text(c.label)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field testId="field-purpose" label={t('contacts.colPurpose')} problem={problems.purpose}>
          {(props) => (
            <select {...props} value={purpose} onChange={(e) => setPurpose(e.target.value)} data-testid="grant-purpose">
              {vocab.purposes.map((p) => (
                <option key={p.id} value={p.id}>
                  {text(p.label)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field testId="field-source" label={t('contacts2.source')} problem={problems.source}>
          {(props) => (
            <select {...props} value={source} onChange={(e) => setSource(e.target.value)} data-testid="grant-source">
              {sources.map((s) => (
                <option key={s} value={s}>
                  {sourceLabel('contacts2.sourceName', s)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field testId="field-grantedAt" label={t('contacts2.givenOn')} hint={t('contacts2.givenOnHint', { months: vocab.validityMonths })} problem={problems.grantedAt}>
          {(props) => <input {...props} type="date" value={givenOn} min={earliest} max={today} onChange={(e) => setGivenOn(e.target.value)} data-testid="grant-date" />}
        </Field>
      </div>
      <fieldset className="evidence" aria-describedby={problems.evidence ? 'grant-evidence-hint grant-evidence-error' : 'grant-evidence-hint'} data-testid="grant-evidence">
        <legend>{t('contacts2.evidence')}</legend>
        <p id="grant-evidence-hint" className="hint">
          {t('contacts2.evidenceHint')}
        </p>
        <div className="form-grid">
          {(['formUrl', 'messageId', 'documentUrl'] as const).map((k) => (
            <label className="field" key={k}>
              <span>{t(`contacts2.evidence.${k}` as const)}</span>
              <input
                type={k === 'messageId' ? 'text' : 'url'}
                dir="ltr"
                value={evidence[k]}
                maxLength={2000}
                onChange={(e) => setEvidence((v) => ({ ...v, [k]: e.target.value }))}
                data-testid={`evidence-${k}`}
                aria-invalid={problems.evidence ? true : undefined}
              />
            </label>
          ))}
        </div>
        <label className="field">
          <span>{t('contacts2.evidence.text')}</span>
          <textarea rows={2} value={evidence.text} maxLength={5000} onChange={(e) => setEvidence((v) => ({ ...v, text: e.target.value }))} data-testid="evidence-text" aria-invalid={problems.evidence ? true : undefined} />
        </label>
        <FieldError id="grant-evidence-error" problem={problems.evidence} />
      </fieldset>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="button" onClick={() => void onDone(null)}>
          {t('app.cancel')}
        </button>
        <button type="submit" className={`button primary${busy ? ' is-busy' : ''}`} disabled={busy} data-testid="grant-submit">
          {t('contacts2.grantSubmit')}
        </button>
      </div>
    </form>
  );
}

function WithdrawForm({ contactId, pair, vocab, onDone }: { contactId: string; pair: Pair; vocab: ConsentVocabulary; onDone: (done: boolean) => Promise<void> }) {
  const { t } = useI18n();
  const label = useLabel();
  const pairName = usePairName();
  const splitError = useErrorSplit();
  const sources = vocab.sources.filter((s) => !NOT_WITHDRAW_SOURCES.has(s));
  const [reason, setReason] = useState('');
  const [source, setSource] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [problems, setProblems] = useState<Record<string, Problem>>({});
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const withdraw = async () => {
    setConfirming(false);
    setBusy(true);
    try {
      await contactsApi.withdraw(contactId, { channel: pair.channel, purpose: pair.purpose, ...(source ? { source } : {}), ...(reason.trim() ? { reason: reason.trim() } : {}) });
      await onDone(true);
    } catch (err) {
      const split = splitError(err, ['reason', 'source']);
      setProblems(split.problems);
      setError(split.other);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="panel-form"
      onSubmit={(e) => {
        e.preventDefault();
        setConfirming(true);
      }}
      aria-labelledby="withdraw-title"
      data-testid="withdraw-form"
    >
      <h3 id="withdraw-title">{t('contacts2.withdrawTitle', { consent: pairName(pair) })}</h3>
      <div className="form-grid">
        <Field testId="field-reason" label={t('contacts2.withdrawReason')} problem={problems.reason}>
          {(props) => <textarea {...props} autoFocus rows={2} value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} data-testid="withdraw-reason" />}
        </Field>
        <Field testId="field-withdraw-source" label={t('contacts2.withdrawSource')} problem={problems.source}>
          {(props) => (
            <select {...props} value={source} onChange={(e) => setSource(e.target.value)} data-testid="withdraw-source">
              <option value="">{t('contacts2.sourceUnspecified')}</option>
              {sources.map((s) => (
                <option key={s} value={s}>
                  {label('contacts2.sourceName', s)}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <p className="hint">{t('contacts2.withdrawHint')}</p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="button" onClick={() => void onDone(false)}>
          {t('app.cancel')}
        </button>
        <button type="submit" className={`button danger${busy ? ' is-busy' : ''}`} disabled={busy} data-testid="withdraw-submit">
          {t('contacts2.withdraw')}
        </button>
      </div>
      {confirming && (
        <ConfirmDialog
          message={t('contacts2.withdrawConfirm', { consent: pairName(pair) })}
          confirmLabel={t('contacts2.withdraw')}
          onConfirm={() => void withdraw()}
          onCancel={() => setConfirming(false)}
        />
      )}
    </form>
  );
}

export function ConsentHistory({ events }: { events: ConsentHistoryEvent[] | null }) {
  const { t, dateTime } = useI18n();
  const label = useLabel();
  const actorName = useActorName();
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">{t('contacts.history')}</h2>
      {events && events.length === 0 ? (
        <p className="empty">{t('contacts.noHistory')}</p>
      ) : (
        <table className="table" data-testid="consent-history">
          <thead>
            <tr>
              <th scope="col">{t('contacts.colWhen')}</th>
              <th scope="col">{t('contacts.colEvent')}</th>
              <th scope="col">{t('contacts.colChannel')}</th>
              <th scope="col">{t('contacts.colPurpose')}</th>
              <th scope="col">{t('contacts.colActor')}</th>
              <th scope="col">{t('contacts.colSource')}</th>
              <th scope="col">{t('contacts2.colDetails')}</th>
            </tr>
          </thead>
          <tbody>
            {events?.map((e) => (
              <tr key={e.id} data-type={e.type} data-channel={e.channel ?? ''} data-purpose={e.purpose ?? ''}>
                <td>
                  <time dateTime={e.at}>{dateTime(e.at)}</time>
                </td>
                <td>{label('consentEvent', e.type)}</td>
                <td>{e.channel ? <span className={`badge channel-${e.channel}`}>{label('channel', e.channel)}</span> : '—'}</td>
                <td>{label('purpose', e.purpose)}</td>
                <td data-testid="event-actor">{actorName(e.actor)}</td>
                <td>{label('contacts2.sourceName', e.source)}</td>
                <td className="event-details">
                  <EventDetails event={e} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The withdrawal's reason and the evidence's main entries (form URL, message id, text shown). */
function EventDetails({ event }: { event: ConsentHistoryEvent }) {
  const { t } = useI18n();
  const details = (event.details ?? {}) as Record<string, unknown>;
  const evidence = (event.evidence ?? {}) as Record<string, unknown>;
  const items: { key: string; label: string; value: string; ltr: boolean }[] = [];
  if (typeof details.reason === 'string' && details.reason) items.push({ key: 'reason', label: t('contacts2.withdrawReason'), value: details.reason, ltr: false });
  for (const k of EVIDENCE_FIELDS) {
    const v = evidence[k];
    if (typeof v === 'string' && v) items.push({ key: k, label: t(`contacts2.evidence.${k}` as const), value: v, ltr: k !== 'text' });
  }
  if (items.length === 0) return <>—</>;
  return (
    <dl className="event-facts">
      {items.map((i) => (
        <div key={i.key}>
          <dt>{i.label}</dt>
          <dd>{i.ltr ? <bdi dir="ltr">{i.value}</bdi> : i.value}</dd>
        </div>
      ))}
    </dl>
  );
}

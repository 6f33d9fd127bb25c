// Contacts (read only): a searchable list, and a contact's consents with whether each permits
// contact now, its consent trail, and its conversation across channels (oldest first).
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import type { ConsentEvent, Contact, ContactDetail, ConversationItem, NextPage } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';
import { Link, navigate } from '../router';
import { StatusChip } from '../ui/status-chip';

/** A message key's text, or the raw value when there is none (a channel or source we do not name). */
function useLabel() {
  const { t } = useI18n();
  return (prefix: string, value: string | null | undefined) => {
    if (!value) return '—';
    const key = `${prefix}.${value}` as MessageKey;
    return t(key) === key ? value : t(key);
  };
}

export function ContactsPage({ q }: { q?: string }) {
  const { t, dateTime } = useI18n();
  const [search, setSearch] = useState(q ?? '');
  const [page, setPage] = useState<NextPage<Contact> | null>(null);
  const [error, setError] = useState('');
  const load = useCallback(
    async (cursor?: string) => {
      const params = new URLSearchParams();
      if (q) params.set('q', q);
      if (cursor) params.set('cursor', cursor);
      try {
        const next = await api.get<NextPage<Contact>>(`/contacts${params.size ? `?${params}` : ''}`);
        setPage((prev) => (cursor && prev ? { items: [...prev.items, ...next.items], next: next.next } : next));
        setError('');
      } catch (err) {
        setError((err as Error).message);
      }
    },
    [q],
  );
  useEffect(() => {
    void load();
  }, [load]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const value = search.trim();
    navigate(value ? `/contacts?${new URLSearchParams({ q: value })}` : '/contacts', { replace: true });
  };
  return (
    <main id="main" className="page contacts-page">
      <div className="page-head">
        <h1>{t('contacts.title')}</h1>
      </div>
      <form className="filters" role="search" onSubmit={submit}>
        <label className="field grow">
          <span>{t('contacts.search')}</span>
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} maxLength={200} data-testid="contacts-search" />
        </label>
      </form>
      {error && (
        <p className="form-error" role="alert">
          {t('app.error', { message: error })}
        </p>
      )}
      {page && page.items.length === 0 ? (
        <p className="empty">{t('contacts.empty')}</p>
      ) : (
        <table className="table" data-testid="contacts-table">
          <thead>
            <tr>
              <th scope="col">{t('contacts.colName')}</th>
              <th scope="col">{t('contacts.colPhone')}</th>
              <th scope="col">{t('contacts.colEmail')}</th>
              <th scope="col">{t('contacts.colCompany')}</th>
              <th scope="col">{t('contacts.colCreated')}</th>
            </tr>
          </thead>
          <tbody>
            {page?.items.map((c) => (
              <tr key={c.id} data-contact-id={c.id}>
                <td>
                  <Link to={`/contacts/${encodeURIComponent(c.id)}`}>{c.name}</Link>
                </td>
                <td>
                  <span dir="ltr">{c.phone ?? '—'}</span>
                </td>
                <td>
                  <span dir="ltr">{c.email ?? '—'}</span>
                </td>
                <td>{c.company ?? '—'}</td>
                <td>{dateTime(c.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page?.next && (
        <button type="button" className="button" onClick={() => void load(page.next ?? undefined)}>
          {t('flows.loadMore')}
        </button>
      )}
    </main>
  );
}

export function ContactPage({ id }: { id: string }) {
  const { t, dateTime } = useI18n();
  const label = useLabel();
  const [contact, setContact] = useState<ContactDetail | null>(null);
  const [events, setEvents] = useState<ConsentEvent[] | null>(null);
  const [thread, setThread] = useState<ConversationItem[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    const base = `/contacts/${encodeURIComponent(id)}`;
    const fail = (err: Error) => setError(err.message);
    api.get<ContactDetail>(base).then(setContact, fail);
    api.get<NextPage<ConsentEvent>>(`${base}/consent-events`).then((p) => setEvents(p.items), fail);
    api.get<NextPage<ConversationItem>>(`${base}/conversation`).then((p) => setThread(p.items), fail);
  }, [id]);
  return (
    <main id="main" className="page contact-page" data-testid="contact" data-contact-id={id}>
      <p>
        <Link to="/contacts">{t('contacts.back')}</Link>
      </p>
      {error && (
        <p className="form-error" role="alert">
          {t('app.error', { message: error })}
        </p>
      )}
      {contact && (
        <>
          <div className="page-head">
            <h1>{contact.name}</h1>
          </div>
          <dl className="facts">
            <dt>{t('contacts.colPhone')}</dt>
            <dd>
              <span dir="ltr">{contact.phone ?? '—'}</span>
            </dd>
            <dt>{t('contacts.colEmail')}</dt>
            <dd>
              <span dir="ltr">{contact.email ?? '—'}</span>
            </dd>
            <dt>{t('contacts.colCompany')}</dt>
            <dd>{contact.company ?? '—'}</dd>
          </dl>
        </>
      )}
      <div className="contact-sections">
        <section aria-labelledby="consents-title">
          <h2 id="consents-title">{t('contacts.consents')}</h2>
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
                </tr>
              </thead>
              <tbody>
                {contact?.consents.map((c) => (
                  <tr key={`${c.channel}:${c.purpose}`} data-channel={c.channel} data-purpose={c.purpose} data-status={c.status} data-valid={String(c.valid)}>
                    <td>
                      <span className={`badge channel-${c.channel}`}>{label('channel', c.channel)}</span>
                    </td>
                    <td>{label('purpose', c.purpose)}</td>
                    <td>{label('consentStatus', c.status)}</td>
                    <td>{c.valid ? <span className="badge ok">{t('contacts.valid')}</span> : <span className="badge bad">{t('contacts.notValid', { reason: label('consentStatus', c.reason) })}</span>}</td>
                    <td>{dateTime(c.grantedAt)}</td>
                    <td>{dateTime(c.expiresAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
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
                </tr>
              </thead>
              <tbody>
                {events?.map((e) => (
                  <tr key={e.id} data-type={e.type} data-channel={e.channel ?? ''}>
                    <td>{dateTime(e.at)}</td>
                    <td>{label('consentEvent', e.type)}</td>
                    <td>{e.channel ? <span className={`badge channel-${e.channel}`}>{label('channel', e.channel)}</span> : '—'}</td>
                    <td>{label('purpose', e.purpose)}</td>
                    <td>{e.actor}</td>
                    <td>{e.source ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section aria-labelledby="thread-title">
          <h2 id="thread-title">{t('contacts.conversation')}</h2>
          {thread && thread.length === 0 ? (
            <p className="empty">{t('contacts.noMessages')}</p>
          ) : (
            <ol className="thread" data-testid="conversation">
              {thread?.map((m) => (
                <li key={m.id} className={m.direction} data-direction={m.direction} data-channel={m.channel}>
                  <div className="meta">
                    <span className={`badge channel-${m.channel}`}>{label('channel', m.channel)}</span>
                    <span>{t(m.direction === 'inbound' ? 'contacts.inbound' : 'contacts.outbound')}</span>
                    <time dateTime={m.at}>{dateTime(m.at)}</time>
                    {m.status && <StatusChip status={m.status} />}
                    {m.optOut && <span className="badge bad">{t('contacts.optOut')}</span>}
                  </div>
                  {m.subject && <strong>{m.subject}</strong>}
                  <p>{m.text ?? m.template ?? '—'}</p>
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>
    </main>
  );
}

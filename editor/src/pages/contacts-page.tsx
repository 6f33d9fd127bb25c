// Contacts: a searchable list with "new contact", and a contact's page: its fields (corrected
// in a dialog), consents with whether each permits contact now (grant, renew, withdraw:
// contact-consents.tsx), the consent trail, its enrollments in sequences
// (contact-enrollments.tsx) and its conversation across channels (oldest first). What a member
// may change follows their permissions (contacts.write, consent.manage, enrollments.manage).
import { DealsSection } from './contact-deals';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { contactsApi, type ConsentHistoryEvent, type ContactFullDetail } from '../api/contacts';
import type { Contact, ConversationItem, Page } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { Link, navigate } from '../router';
import { useSession } from '../session/session';
import { useNotify } from '../ui/notices';
import { StatusChip } from '../ui/status-chip';
import { ConsentHistory, ConsentsSection } from './contact-consents';
import { EnrollmentsSection } from './contact-enrollments';
import { ContactFormDialog } from './contact-form';
import { useLabel, useVocabulary } from './contact-shared';
import './contacts-page.css';
import { ErrorNotice } from '../ui/error-notice';

export function ContactsPage({ q }: { q?: string }) {
  const { t, dateTime } = useI18n();
  const { can } = useSession();
  const notify = useNotify();
  const [creating, setCreating] = useState(false);
  const [search, setSearch] = useState(q ?? '');
  const [page, setPage] = useState<Page<Contact> | null>(null);
  const [error, setError] = useState('');
  const load = useCallback(
    async (cursor?: string) => {
      const params = new URLSearchParams();
      if (q) params.set('q', q);
      if (cursor) params.set('cursor', cursor);
      try {
        const next = await api.get<Page<Contact>>(`/contacts${params.size ? `?${params}` : ''}`);
        setPage((prev) => (cursor && prev ? { items: [...prev.items, ...next.items], nextCursor: next.nextCursor } : next));
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
        {can('contacts.write') && (
          <div className="page-actions">
            <button type="button" className="button primary" onClick={() => setCreating(true)} data-testid="contact-new">
              {t('contacts2.new')}
            </button>
          </div>
        )}
      </div>
      {creating && (
        <ContactFormDialog
          contact={null}
          onClose={() => setCreating(false)}
          onSaved={(c) => {
            setCreating(false);
            notify(t('contacts2.created', { name: c.name }), 'success');
            navigate(`/contacts/${encodeURIComponent(c.id)}`);
          }}
        />
      )}
      <form className="filters" role="search" onSubmit={submit}>
        <label className="field grow">
          <span>{t('contacts.search')}</span>
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} maxLength={200} data-testid="contacts-search" />
        </label>
      </form>
      <ErrorNotice message={error} />
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
                  <bdi dir="ltr">{c.phone ?? '—'}</bdi>
                </td>
                <td>
                  <bdi dir="ltr">{c.email ?? '—'}</bdi>
                </td>
                <td>{c.company ?? '—'}</td>
                <td>{dateTime(c.createdAt)}</td>
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

export function ContactPage({ id }: { id: string }) {
  const { t, dateTime } = useI18n();
  const label = useLabel();
  const { can } = useSession();
  const notify = useNotify();
  const vocab = useVocabulary();
  const [contact, setContact] = useState<ContactFullDetail | null>(null);
  const [events, setEvents] = useState<ConsentHistoryEvent[] | null>(null);
  const [thread, setThread] = useState<ConversationItem[] | null>(null);
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState('');
  /** The contact with its consents, and the consent trail: read again after every change. */
  const refresh = useCallback(async () => {
    try {
      const [detail, trail] = await Promise.all([contactsApi.detail(id), contactsApi.consentEvents(id)]);
      setContact(detail);
      setEvents(trail.items);
    } catch (err) {
      setError((err as Error).message);
    }
  }, [id]);
  useEffect(() => {
    void refresh();
    api.get<Page<ConversationItem>>(`/contacts/${encodeURIComponent(id)}/conversation`).then(
      (p) => setThread(p.items),
      (err: Error) => setError(err.message),
    );
  }, [id, refresh]);
  const erased = contact?.erasedAt != null;
  return (
    <main id="main" className="page contact-page" data-testid="contact" data-contact-id={id}>
      <p>
        <Link to="/contacts">{t('contacts.back')}</Link>
      </p>
      <ErrorNotice message={error} />
      {contact && (
        <>
          <div className="page-head">
            <h1>{contact.name}</h1>
            {can('contacts.write') && !erased && (
              <div className="page-actions">
                <button type="button" className="button" onClick={() => setEditing(true)} data-testid="contact-edit">
                  {t('contacts2.edit')}
                </button>
              </div>
            )}
          </div>
          {erased && <p className="hint">{t('contacts2.erasedNote', { when: dateTime(contact.erasedAt) })}</p>}
          <dl className="facts" data-testid="contact-facts">
            <dt>{t('contacts.colPhone')}</dt>
            <dd>
              <bdi dir="ltr" data-testid="contact-phone-value">
                {contact.phone ?? '—'}
              </bdi>
            </dd>
            <dt>{t('contacts.colEmail')}</dt>
            <dd>
              <bdi dir="ltr">{contact.email ?? '—'}</bdi>
            </dd>
            <dt>{t('contacts.colCompany')}</dt>
            <dd>{contact.company ?? '—'}</dd>
            {contact.source && (
              <>
                <dt>{t('contacts2.field.source')}</dt>
                <dd>{contact.source}</dd>
              </>
            )}
            {contact.tags.length > 0 && (
              <>
                <dt>{t('contacts2.field.tags')}</dt>
                <dd className="tags">
                  {contact.tags.map((tag) => (
                    <span key={tag} className="badge">
                      {tag}
                    </span>
                  ))}
                </dd>
              </>
            )}
            <dt>{t('contacts2.field.locale')}</dt>
            <dd>{t(`contacts2.locale.${contact.locale}` as const)}</dd>
          </dl>
          {editing && (
            <ContactFormDialog
              contact={contact}
              onClose={() => setEditing(false)}
              onSaved={(c) => {
                setEditing(false);
                notify(t('contacts2.saved', { name: c.name }), 'success');
                void refresh();
              }}
            />
          )}
        </>
      )}
      <div className="contact-sections">
        <ConsentsSection contact={contact} vocab={vocab} canManage={can('consent.manage')} onChanged={refresh} />
        <ConsentHistory events={events} />
        {can('deals.read') && <DealsSection contactId={id} />}
        {can('enrollments.read') && <EnrollmentsSection contactId={id} canManage={can('enrollments.manage')} erased={erased} />}
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

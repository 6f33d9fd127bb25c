// Users and roles: the tenant's members (change a role, remove), invitations (the token is shown
// once, then only the pending list with revoke) and API keys (the key shown once; list; revoke).
// The API enforces the rules (owner only by an owner, the last owner stays, a key's role and
// scopes not above yours); the page offers only what the caller may do and shows its errors.
import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { grantableRoles, keyRoles, problemsByPath, ROLES, type ApiKey, type Invitation, type Member, type NewApiKey, type NewInvitation } from '../api/admin';
import type { Problem, Role } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';
import { useSession } from '../session/session';
import { ConfirmDialog } from '../ui/confirm';
import { useNotify } from '../ui/notices';
import { FieldError, NoAccess, OtherProblems, actorName, bidi } from './credentials-page';
import { useProblemText } from '../ui/problem-text';
import './admin-pages.css';
import { ErrorNotice } from '../ui/error-notice';

const roleKey = (r: Role) => `role.${r}` as MessageKey;

/** The link an invitee opens: the token in the fragment, which browsers never send to a server (no access logs). */
const inviteLink = (token: string) => `${location.origin}/invite#${token}`;

/** A value the API answers once (an invitation token, an API key): copy button and a warning. */
function ShownOnce({ title, value, warning, onDismiss, testId }: { title: string; value: string; warning: string; onDismiss: () => void; testId: string }) {
  const { t } = useI18n();
  const notify = useNotify();
  const valueId = useId();
  const copyRef = useRef<HTMLButtonElement>(null);
  // Focus the copy button: announced, scrolled into view, one key press from the clipboard.
  useEffect(() => copyRef.current?.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      notify(t('admin.copied'), 'success');
    } catch {
      // No clipboard (permissions, insecure origin): select the text for Ctrl+C.
      const el = document.getElementById(valueId);
      if (el) window.getSelection()?.selectAllChildren(el);
      notify(t('admin.copyManually'), 'info');
    }
  };
  return (
    <section className="shown-once" aria-labelledby={`${valueId}-title`} data-testid={testId}>
      <h3 id={`${valueId}-title`}>{title}</h3>
      <p className="shown-once-warning" role="alert">
        {warning}
      </p>
      <div className="shown-once-value">
        <code id={valueId} dir="ltr" data-testid="once-value">
          {value}
        </code>
        <button ref={copyRef} type="button" className="button small" onClick={() => void copy()} data-testid="once-copy">
          {t('admin.copy')}
        </button>
      </div>
      <button type="button" className="button small ghost" onClick={onDismiss}>
        {t('admin.onceDone')}
      </button>
    </section>
  );
}

function RoleSelect({ value, onChange, roles, label, disabled, testId, describedBy }: { value: Role; onChange: (r: Role) => void; roles: Role[]; label: string; disabled?: boolean; testId?: string; describedBy?: string }) {
  const { t } = useI18n();
  return (
    <select value={value} onChange={(e) => onChange(e.target.value as Role)} aria-label={label} disabled={disabled} data-testid={testId} aria-describedby={describedBy}>
      {ROLES.filter((r) => roles.includes(r) || r === value).map((r) => (
        <option key={r} value={r} disabled={!roles.includes(r)}>
          {t(roleKey(r))}
        </option>
      ))}
    </select>
  );
}

// ---------------------------------------------------------------- members

function MembersSection({ canManage }: { canManage: boolean }) {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const notify = useNotify();
  const me = session.me;
  const [members, setMembers] = useState<Member[] | null>(null);
  const [error, setError] = useState('');
  const [rowErrors, setRowErrors] = useState<Record<string, Problem>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const [selfChange, setSelfChange] = useState<Role | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const problemText = useProblemText();
  const load = useCallback(async () => {
    try {
      setMembers((await api.get<{ items: Member[] }>('/users')).items);
      setError('');
    } catch (err) {
      setError((err as Error).message);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const grantable = grantableRoles(me?.role);

  const changeRole = async (m: Member, role: Role) => {
    setBusy(m.id);
    setRowErrors(({ [m.id]: _gone, ...rest }) => rest);
    try {
      const updated = await api.patch<Member>(`/users/${encodeURIComponent(m.id)}`, { role });
      setMembers((list) => list?.map((x) => (x.id === updated.id ? updated : x)) ?? null);
      notify(t('admin.users.roleChanged', { name: bidi(updated.name), role: t(roleKey(updated.role)) }), 'success');
      // Your own role: permissions change at once; read them again (the page may go away).
      if (me && m.id === me.user.id) await session.switchTo(me.tenant.slug);
    } catch (err) {
      const p = problemsByPath(err);
      setRowErrors((prev) => ({ ...prev, [m.id]: Object.values(p)[0] ?? { path: '', code: 'error', message: String(err) } }));
    } finally {
      setBusy(null);
    }
  };
  const remove = async (m: Member) => {
    setRemoving(null);
    try {
      await api.del(`/users/${encodeURIComponent(m.id)}`);
      setMembers((list) => list?.filter((x) => x.id !== m.id) ?? null);
      notify(t('admin.users.removed', { name: bidi(m.name) }), 'success');
    } catch (err) {
      const p = problemsByPath(err);
      setRowErrors((prev) => ({ ...prev, [m.id]: Object.values(p)[0] ?? { path: '', code: 'error', message: String(err) } }));
    }
  };
  const self = me ? members?.find((m) => m.id === me.user.id) : undefined;

  return (
    <section aria-labelledby="members-title" className="admin-section">
      <h2 id="members-title">{t('admin.users.members')}</h2>
      <ErrorNotice message={error} />
      <table className="table" data-testid="members-table" aria-busy={members ? undefined : true}>
        <thead>
          <tr>
            <th scope="col">{t('admin.users.colName')}</th>
            <th scope="col">{t('admin.users.colEmail')}</th>
            <th scope="col">{t('admin.users.colRole')}</th>
            <th scope="col">{t('admin.users.colJoined')}</th>
            {canManage && (
              <th scope="col">
                <span className="visually-hidden">{t('admin.colActions')}</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {members?.map((m) => {
            const isSelf = m.id === me?.user.id;
            // An admin can neither change nor remove an owner (the API says owner_required).
            const locked = m.role === 'owner' && me?.role !== 'owner';
            const errId = `member-${m.id}-err`;
            return (
              <tr key={m.id} data-member-id={m.id} data-member-email={m.email} data-role={m.role}>
                <td dir="auto">
                  {m.name}
                  {isSelf && <span className="badge you-badge">{t('admin.users.you')}</span>}
                </td>
                <td>
                  <span dir="ltr">{m.email}</span>
                </td>
                <td>
                  {canManage && !locked ? (
                    <RoleSelect
                      value={m.role}
                      roles={grantable}
                      label={t('admin.users.roleOf', { name: bidi(m.name) })}
                      disabled={busy === m.id}
                      onChange={(r) => (isSelf ? setSelfChange(r) : void changeRole(m, r))}
                      testId="member-role"
                      describedBy={rowErrors[m.id] ? errId : undefined}
                    />
                  ) : (
                    t(roleKey(m.role))
                  )}
                  {rowErrors[m.id] && (
                    <span className="form-error small row-error" id={errId} role="alert" data-testid="member-error">
                      {problemText(rowErrors[m.id]!)}
                    </span>
                  )}
                </td>
                <td>{dateTime(m.joinedAt)}</td>
                {canManage && (
                  <td className="row-actions">
                    {!isSelf && !locked && (
                      <button type="button" className="button small danger" onClick={() => setRemoving(m)} aria-label={t('admin.users.removeNamed', { name: bidi(m.name) })} data-testid="member-remove">
                        {t('admin.users.remove')}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {selfChange && self && (
        <ConfirmDialog
          message={t('admin.users.selfRoleConfirm', { role: t(roleKey(selfChange)) })}
          confirmLabel={t('admin.users.changeRole')}
          onConfirm={() => {
            const r = selfChange;
            setSelfChange(null);
            void changeRole(self, r);
          }}
          onCancel={() => setSelfChange(null)}
        />
      )}
      {removing && <ConfirmDialog message={t('admin.users.removeConfirm', { name: bidi(removing.name), email: bidi(removing.email) })} confirmLabel={t('admin.users.remove')} onConfirm={() => void remove(removing)} onCancel={() => setRemoving(null)} />}
    </section>
  );
}

// ---------------------------------------------------------------- invitations

function InvitationsSection({ canManage }: { canManage: boolean }) {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const notify = useNotify();
  const [items, setItems] = useState<Invitation[] | null>(null);
  const [error, setError] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('sales_rep');
  const [problems, setProblems] = useState<Record<string, Problem>>({});
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<NewInvitation | null>(null);
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const ids = { email: useId(), role: useId() };
  const load = useCallback(async () => {
    try {
      setItems((await api.get<{ items: Invitation[] }>('/users/invitations?status=pending')).items);
      setError('');
    } catch (err) {
      setError((err as Error).message);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const invite = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblems({});
    try {
      const inv = await api.post<NewInvitation>('/users/invitations', { email: email.trim(), role });
      setCreated(inv);
      setEmail('');
      void load();
    } catch (err) {
      setProblems(problemsByPath(err));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (inv: Invitation) => {
    setRevoking(null);
    try {
      await api.del(`/users/invitations/${encodeURIComponent(inv.id)}`);
      setItems((list) => list?.filter((x) => x.id !== inv.id) ?? null);
      if (created?.id === inv.id) setCreated(null);
      notify(t('admin.inv.revoked', { email: bidi(inv.email) }), 'success');
    } catch (err) {
      notify(t('app.error', { message: (err as Error).message }), 'error');
    }
  };

  return (
    <section aria-labelledby="invitations-title" className="admin-section">
      <h2 id="invitations-title">{t('admin.inv.title')}</h2>
      {canManage && (
        <form className="inline-form" onSubmit={(e) => void invite(e)} aria-label={t('admin.inv.formLabel')} data-testid="invite-form">
          <label className="field grow">
            <span>{t('admin.inv.email')}</span>
            <input
              type="email"
              dir="ltr"
              required
              maxLength={320}
              autoComplete="off"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              aria-invalid={problems['/body/email'] ? true : undefined}
              aria-describedby={problems['/body/email'] ? `${ids.email}-err` : undefined}
              data-testid="invite-email"
            />
            <FieldError problem={problems['/body/email']} id={`${ids.email}-err`} />
          </label>
          <label className="field">
            <span>{t('admin.inv.role')}</span>
            <select value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="invite-role">
              {grantableRoles(session.me?.role).map((r) => (
                <option key={r} value={r}>
                  {t(roleKey(r))}
                </option>
              ))}
            </select>
            <FieldError problem={problems['/body/role']} id={`${ids.role}-err`} />
          </label>
          <button type="submit" className="button primary" disabled={busy} data-testid="invite-submit">
            {t('admin.inv.send')}
          </button>
          <OtherProblems problems={problems} shown={['/body/email', '/body/role']} />
        </form>
      )}
      {created && (
        <ShownOnce
          title={t('admin.inv.createdTitle', { email: bidi(created.email), role: t(roleKey(created.role)) })}
          value={inviteLink(created.token)}
          warning={t('admin.inv.tokenWarning', { expires: dateTime(created.expiresAt) })}
          onDismiss={() => setCreated(null)}
          testId="invitation-token"
        />
      )}
      <ErrorNotice message={error} />
      <h3>{t('admin.inv.pending')}</h3>
      {items && items.length === 0 ? (
        <p className="empty">{t('admin.inv.empty')}</p>
      ) : (
        <table className="table" data-testid="invitations-table" aria-busy={items ? undefined : true}>
          <thead>
            <tr>
              <th scope="col">{t('admin.inv.email')}</th>
              <th scope="col">{t('admin.inv.role')}</th>
              <th scope="col">{t('admin.inv.invitedBy')}</th>
              <th scope="col">{t('admin.colCreated')}</th>
              <th scope="col">{t('admin.inv.expires')}</th>
              {canManage && (
                <th scope="col">
                  <span className="visually-hidden">{t('admin.colActions')}</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {items?.map((inv) => (
              <tr key={inv.id} data-invitation-id={inv.id} data-email={inv.email}>
                <td>
                  <span dir="ltr">{inv.email}</span>
                </td>
                <td>{t(roleKey(inv.role))}</td>
                <td>{session.me && inv.invitedBy === `user:${session.me.user.id}` ? session.me.user.name : actorName(inv.invitedBy, null, t)}</td>
                <td>{dateTime(inv.createdAt)}</td>
                <td>{dateTime(inv.expiresAt)}</td>
                {canManage && (
                  <td className="row-actions">
                    <button type="button" className="button small danger" onClick={() => setRevoking(inv)} aria-label={t('admin.inv.revokeNamed', { email: bidi(inv.email) })} data-testid="invitation-revoke">
                      {t('admin.revoke')}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {revoking && <ConfirmDialog message={t('admin.inv.revokeConfirm', { email: bidi(revoking.email) })} confirmLabel={t('admin.revoke')} onConfirm={() => void revoke(revoking)} onCancel={() => setRevoking(null)} />}
    </section>
  );
}

// ---------------------------------------------------------------- API keys

/** A row of GET /roles: a permission, the roles holding it, its label. */
interface RolePermission {
  id: string;
  roles: Role[];
  label: { en: string; ar: string };
}

function ApiKeysSection() {
  const { t, text, dateTime, number } = useI18n();
  const session = useSession();
  const notify = useNotify();
  const roles = keyRoles(session.me?.role);
  // Scopes offered: your own permissions (a key never gets more); the server says which are not in the key's role.
  const offered = [...(session.me?.permissions ?? [])].sort();
  // What each permission means (ar/en) and which roles hold it: GET /roles.
  const [table, setTable] = useState<Map<string, RolePermission>>(new Map());
  useEffect(() => {
    api
      .get<{ permissions: RolePermission[] }>('/roles')
      .then((r) => setTable(new Map(r.permissions.map((p) => [p.id, p]))))
      .catch(() => undefined); // the codes alone still work
  }, []);
  const [items, setItems] = useState<ApiKey[] | null>(null);
  const [error, setError] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>(roles.includes('manager') ? 'manager' : (roles[0] ?? 'viewer'));
  const [scopes, setScopes] = useState<string[]>([]);
  const [sentScopes, setSentScopes] = useState<string[]>([]);
  const [scopesOpen, setScopesOpen] = useState(false);
  const [problems, setProblems] = useState<Record<string, Problem>>({});
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<NewApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const problemText = useProblemText();
  const ids = { name: useId(), scopes: useId() };
  const load = useCallback(async () => {
    try {
      setItems((await api.get<{ items: ApiKey[] }>('/api-keys')).items);
      setError('');
    } catch (err) {
      setError((err as Error).message);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  // Problems about single scopes (/body/scopes/<i>) shown next to that scope's checkbox.
  const scopeProblem = (scope: string): Problem | undefined => {
    const i = sentScopes.indexOf(scope);
    return i < 0 ? undefined : problems[`/body/scopes/${i}`];
  };
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblems({});
    setSentScopes(scopes);
    try {
      const key = await api.post<NewApiKey>('/api-keys', { name: name.trim(), role, scopes });
      setCreated(key);
      setName('');
      setScopes([]);
      setScopesOpen(false);
      void load();
    } catch (err) {
      const p = problemsByPath(err);
      setProblems(p);
      if (Object.keys(p).some((path) => path.startsWith('/body/scopes/'))) setScopesOpen(true);
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (k: ApiKey) => {
    setRevoking(null);
    try {
      await api.del(`/api-keys/${encodeURIComponent(k.id)}`);
      setItems((list) => list?.filter((x) => x.id !== k.id) ?? null);
      if (created?.id === k.id) setCreated(null);
      notify(t('admin.keys.revoked', { name: bidi(k.name) }), 'success');
    } catch (err) {
      notify(t('app.error', { message: (err as Error).message }), 'error');
    }
  };
  const shownScopePaths = sentScopes.filter((s) => offered.includes(s)).map((s) => `/body/scopes/${sentScopes.indexOf(s)}`);

  return (
    <section aria-labelledby="keys-title" className="admin-section">
      <h2 id="keys-title">{t('admin.keys.title')}</h2>
      <p className="hint">{t('admin.keys.intro')}</p>
      <form onSubmit={(e) => void create(e)} aria-label={t('admin.keys.formLabel')} className="key-form" data-testid="key-form">
        <div className="inline-form">
          <label className="field grow">
            <span>{t('admin.keys.name')}</span>
            <input
              required
              maxLength={200}
              autoComplete="off"
              dir="auto"
              value={name}
              onChange={(e) => setName(e.target.value)}
              aria-invalid={problems['/body/name'] ? true : undefined}
              aria-describedby={problems['/body/name'] ? `${ids.name}-err` : undefined}
              data-testid="key-name"
            />
            <FieldError problem={problems['/body/name']} id={`${ids.name}-err`} />
          </label>
          <label className="field">
            <span>{t('admin.keys.role')}</span>
            <select value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="key-role">
              {roles.map((r) => (
                <option key={r} value={r}>
                  {t(roleKey(r))}
                </option>
              ))}
            </select>
            <FieldError problem={problems['/body/role']} id={`${ids.name}-role-err`} />
          </label>
        </div>
        <fieldset className="scope-grid" aria-describedby={`${ids.scopes}-hint`} data-testid="key-scopes">
          <legend>{t('admin.keys.scopes')}</legend>
          <p className="hint" id={`${ids.scopes}-hint`}>
            {t('admin.keys.scopesHint')} {t('admin.keys.scopesChosen', { n: number(scopes.length) })}
          </p>
          <details className="scope-details" open={scopesOpen} onToggle={(e) => setScopesOpen(e.currentTarget.open)}>
            <summary data-testid="key-scopes-toggle">{t('admin.keys.chooseScopes')}</summary>
            <div className="scope-tools">
              <button type="button" className="link-button" onClick={() => setScopes([])}>
                {t('admin.keys.clearScopes')}
              </button>
            </div>
            <div className="scope-list">
              {offered.map((s) => {
                const p = scopeProblem(s);
                const meaning = table.get(s);
                const outsideRole = meaning !== undefined && !meaning.roles.includes(role);
                return (
                  <label key={s} className={`check scope${p ? ' has-error' : ''}`} data-scope={s}>
                    <input type="checkbox" value={s} checked={scopes.includes(s)} onChange={(e) => setScopes((list) => (e.target.checked ? [...list, s] : list.filter((x) => x !== s)))} aria-invalid={p ? true : undefined} />
                    {meaning && <span className="scope-label">{text(meaning.label)}</span>}
                    <code dir="ltr">{s}</code>
                    {outsideRole && <span className="muted small">{t('admin.keys.notInRole', { role: t(roleKey(role)) })}</span>}
                    {p && <span className="form-error small">{problemText(p)}</span>}
                  </label>
                );
              })}
            </div>
          </details>
          <FieldError problem={problems['/body/scopes']} id={`${ids.scopes}-err`} />
        </fieldset>
        <OtherProblems problems={problems} shown={['/body/name', '/body/role', '/body/scopes', ...shownScopePaths]} />
        <button type="submit" className="button primary" disabled={busy || scopes.length === 0} data-testid="key-create">
          {t('admin.keys.create')}
        </button>
      </form>
      {created && (
        <ShownOnce
          title={t('admin.keys.createdTitle', { name: bidi(created.name) })}
          value={created.key}
          warning={t('admin.keys.keyWarning')}
          onDismiss={() => setCreated(null)}
          testId="api-key-once"
        />
      )}
      <ErrorNotice message={error} />
      {items && items.length === 0 ? (
        <p className="empty">{t('admin.keys.empty')}</p>
      ) : (
        <table className="table" data-testid="keys-table" aria-busy={items ? undefined : true}>
          <thead>
            <tr>
              <th scope="col">{t('admin.keys.name')}</th>
              <th scope="col">{t('admin.keys.prefix')}</th>
              <th scope="col">{t('admin.keys.role')}</th>
              <th scope="col">{t('admin.keys.scopes')}</th>
              <th scope="col">{t('admin.colCreated')}</th>
              <th scope="col">{t('admin.keys.lastUsed')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('admin.colActions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items?.map((k) => (
              <tr key={k.id} data-key-id={k.id} data-key-name={k.name}>
                <td dir="auto">{k.name}</td>
                <td>
                  <code dir="ltr">{k.prefix}…</code>
                </td>
                <td>{t(roleKey(k.role))}</td>
                <td>
                  <span className="scopes-cell" dir="ltr">
                    {k.scopes.map((s) => (
                      <code key={s}>{s}</code>
                    ))}
                  </span>
                </td>
                <td>{dateTime(k.createdAt)}</td>
                <td>{k.lastUsedAt ? dateTime(k.lastUsedAt) : t('admin.keys.neverUsed')}</td>
                <td className="row-actions">
                  <button type="button" className="button small danger" onClick={() => setRevoking(k)} aria-label={t('admin.keys.revokeNamed', { name: bidi(k.name) })} data-testid="key-revoke">
                    {t('admin.revoke')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {revoking && <ConfirmDialog message={t('admin.keys.revokeConfirm', { name: bidi(revoking.name) })} confirmLabel={t('admin.revoke')} onConfirm={() => void revoke(revoking)} onCancel={() => setRevoking(null)} />}
    </section>
  );
}

export function UsersPage() {
  const { t } = useI18n();
  const session = useSession();
  const canRead = session.can('users.read');
  const canManage = session.can('users.manage');
  return (
    <main id="main" className="page admin-page users-page">
      <div className="page-head">
        <h1>{t('nav.users')}</h1>
      </div>
      {!canRead ? (
        <NoAccess />
      ) : (
        <div className="admin-sections">
          <MembersSection canManage={canManage} />
          <InvitationsSection canManage={canManage} />
          {session.can('apikeys.manage') && <ApiKeysSection />}
        </div>
      )}
    </main>
  );
}

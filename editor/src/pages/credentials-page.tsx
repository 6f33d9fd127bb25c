// Credentials (write-only secrets): the tenant's list (metadata only), a new credential from its
// type's schema, "replace secret" (an empty form: the API never answers a stored value, so the
// page never shows or prefills one), delete. Editors read the list; admins write.
// Also the small pieces the users page shares: modal dialog, field errors, no-access notice.
import { useCallback, useEffect, useId, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../api/client';
import { problemsByPath, type Credential, type CredentialType, type Member } from '../api/admin';
import { forgetCredentials } from '../api/credentials-cache';
import type { JsonSchema, Problem } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';
import { useSession } from '../session/session';
import { ConfirmDialog } from '../ui/confirm';
import { useNotify } from '../ui/notices';
import './admin-pages.css';
import { ErrorNotice } from '../ui/error-notice';
import { useProblemText } from '../ui/problem-text';

// ---------------------------------------------------------------- shared with the users page

/** A name or email inside a sentence, isolated (FSI…PDI) so Latin text does not reorder Arabic punctuation. */
export const bidi = (s: string): string => `\u2068${s}\u2069`;

/** A modal on the native <dialog> (focus trap, Escape → onClose). */
export function ModalDialog({ title, onClose, children, testId }: { title: string; onClose: () => void; children: ReactNode; testId?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      className="dialog admin-dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      data-testid={testId}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

export function FieldError({ problem, id }: { problem: Problem | undefined; id: string }) {
  const text = useProblemText();
  if (!problem) return null;
  return (
    <span className="form-error small" id={id} role="alert">
      {text(problem)}
    </span>
  );
}

/** Problems no field shows (paths not in `shown`), as one alert. */
export function OtherProblems({ problems, shown }: { problems: Record<string, Problem>; shown: string[] }) {
  const text = useProblemText();
  const rest = Object.values(problems).filter((p) => !shown.includes(p.path));
  if (!rest.length) return null;
  return (
    <div className="form-error" role="alert" data-testid="form-problems">
      {rest.map((p) => (
        <p key={`${p.path}:${p.code}`}>{text(p)}</p>
      ))}
    </div>
  );
}

export function NoAccess() {
  const { t } = useI18n();
  return <p className="empty">{t('admin.noAccess')}</p>;
}

/** `user:<id>` → the member's name when known, else the raw actor. */
export function actorName(actor: string, members: Member[] | null, t: (k: MessageKey) => string): ReactNode {
  const [kind, id] = actor.split(':', 2);
  const member = kind === 'user' ? members?.find((m) => m.id === id) : undefined;
  if (member) return member.name;
  if (kind === 'apikey') return t('admin.actorApiKey');
  return <code className="small">{actor}</code>;
}

// ---------------------------------------------------------------- credentials

type Values = Record<string, string | boolean>;

interface FieldSchema { type?: string; title?: string; writeOnly?: boolean; minimum?: number; maximum?: number; maxLength?: number }

function fieldsOf(type: CredentialType): { name: string; schema: FieldSchema; required: boolean; secret: boolean }[] {
  const props = ((type.schema as JsonSchema).properties ?? {}) as Record<string, FieldSchema>;
  return type.fields.map((f) => ({ ...f, schema: props[f.name] ?? {} }));
}

/** The data to send: empty optional fields left out; numbers as numbers; secrets untrimmed. */
function dataOf(type: CredentialType, values: Values): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const f of fieldsOf(type)) {
    const v = values[f.name];
    if (f.schema.type === 'boolean') data[f.name] = v === true;
    else if (typeof v === 'string' && v !== '') data[f.name] = f.schema.type === 'integer' || f.schema.type === 'number' ? Number(v) : f.secret ? v : v.trim();
  }
  return data;
}

function DataFields({ type, values, onChange, problems }: { type: CredentialType; values: Values; onChange: (v: Values) => void; problems: Record<string, Problem> }) {
  const { t } = useI18n();
  const base = useId();
  return (
    <fieldset className="cred-fields" data-testid="credential-fields">
      <legend>{t('admin.cred.fields')}</legend>
      {fieldsOf(type).map((f) => {
        const key = `admin.field.${f.name}` as MessageKey;
        const label = t(key) === key ? (f.schema.title ?? f.name) : t(key);
        const problem = problems[`/body/data/${f.name}`];
        const errId = `${base}-${f.name}-err`;
        const hintKey = `admin.fieldHint.${f.name}` as MessageKey;
        const hint = t(hintKey) === hintKey ? '' : t(hintKey);
        const hintId = `${base}-${f.name}-hint`;
        const described = [problem ? errId : '', hint ? hintId : ''].filter(Boolean).join(' ') || undefined;
        const value = values[f.name];
        if (f.schema.type === 'boolean') {
          return (
            <div className="field" key={f.name}>
              <label className="check">
                <input type="checkbox" name={f.name} checked={value === true} onChange={(e) => onChange({ ...values, [f.name]: e.target.checked })} aria-describedby={described} />
                <span>{label}</span>
              </label>
              {hint && (
                <span className="hint" id={hintId}>
                  {hint}
                </span>
              )}
              <FieldError problem={problem} id={errId} />
            </div>
          );
        }
        const numeric = f.schema.type === 'integer' || f.schema.type === 'number';
        return (
          <label className="field" key={f.name}>
            <span>
              {label}
              {f.required ? (
                <span className="required" aria-hidden="true">
                  *
                </span>
              ) : (
                <span className="muted small"> {t('admin.optional')}</span>
              )}
              {f.secret && <span className="badge secret-badge">{t('admin.cred.secretBadge')}</span>}
            </span>
            <input
              type={f.secret ? 'password' : numeric ? 'number' : 'text'}
              name={f.name}
              dir="ltr"
              autoComplete="off"
              spellCheck={false}
              required={f.required}
              min={f.schema.minimum}
              max={f.schema.maximum}
              maxLength={f.schema.maxLength}
              value={typeof value === 'string' ? value : ''}
              onChange={(e) => onChange({ ...values, [f.name]: e.target.value })}
              aria-invalid={problem ? true : undefined}
              aria-describedby={described}
              data-secret={f.secret ? 'true' : undefined}
            />
            {hint && (
              <span className="hint" id={hintId}>
                {hint}
              </span>
            )}
            <FieldError problem={problem} id={errId} />
          </label>
        );
      })}
    </fieldset>
  );
}

function NewCredentialDialog({ types, onDone, onClose }: { types: CredentialType[]; onDone: (c: Credential) => void; onClose: () => void }) {
  const { t, text } = useI18n();
  const [name, setName] = useState('');
  const [typeName, setTypeName] = useState(types[0]?.type ?? '');
  // Values kept per type: switching type and back loses nothing typed.
  const [values, setValues] = useState<Record<string, Values>>({});
  const [problems, setProblems] = useState<Record<string, Problem>>({});
  const [busy, setBusy] = useState(false);
  const type = types.find((x) => x.type === typeName);
  const ids = { name: useId(), type: useId() };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!type) return;
    setBusy(true);
    try {
      const created = await api.post<Credential>('/credentials', { name: name.trim(), type: type.type, data: dataOf(type, values[type.type] ?? {}) });
      onDone(created);
    } catch (err) {
      setProblems(problemsByPath(err));
    } finally {
      setBusy(false);
    }
  };
  const shown = ['/body/name', '/body/type', ...(type ? fieldsOf(type).map((f) => `/body/data/${f.name}`) : [])];
  return (
    <ModalDialog title={t('admin.cred.newTitle')} onClose={onClose} testId="credential-dialog">
      <form onSubmit={(e) => void submit(e)} autoComplete="off">
        <label className="field">
          <span>
            {t('admin.cred.name')}
            <span className="required" aria-hidden="true">
              *
            </span>
          </span>
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            maxLength={100}
            autoComplete="off"
            dir="auto"
            aria-invalid={problems['/body/name'] ? true : undefined}
            aria-describedby={`${ids.name}-hint${problems['/body/name'] ? ` ${ids.name}-err` : ''}`}
            data-testid="credential-name"
          />
          <span className="hint" id={`${ids.name}-hint`}>
            {t('admin.cred.nameHint')}
          </span>
          <FieldError problem={problems['/body/name']} id={`${ids.name}-err`} />
        </label>
        <label className="field">
          <span>{t('admin.cred.type')}</span>
          <select value={typeName} onChange={(e) => setTypeName(e.target.value)} data-testid="credential-type">
            {types.map((x) => (
              <option key={x.type} value={x.type}>
                {text(x.label)}
              </option>
            ))}
          </select>
          {type && <span className="hint">{text(type.description)}</span>}
          <FieldError problem={problems['/body/type']} id={`${ids.type}-err`} />
        </label>
        {type && <DataFields type={type} values={values[type.type] ?? {}} onChange={(v) => setValues({ ...values, [type.type]: v })} problems={problems} />}
        <p className="hint secret-note">{t('admin.cred.writeOnlyNote')}</p>
        <OtherProblems problems={problems} shown={shown} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            {t('app.cancel')}
          </button>
          <button type="submit" className="button primary" disabled={busy || !type} data-testid="credential-save">
            {t('admin.cred.save')}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}

function ReplaceSecretDialog({ credential, type, onDone, onClose }: { credential: Credential; type: CredentialType; onDone: (c: Credential) => void; onClose: () => void }) {
  const { t } = useI18n();
  const [values, setValues] = useState<Values>({});
  const [problems, setProblems] = useState<Record<string, Problem>>({});
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      onDone(await api.put<Credential>(`/credentials/${encodeURIComponent(credential.id)}`, { data: dataOf(type, values) }));
    } catch (err) {
      setProblems(problemsByPath(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <ModalDialog title={t('admin.cred.replaceTitle', { name: bidi(credential.name) })} onClose={onClose} testId="replace-dialog">
      <form onSubmit={(e) => void submit(e)} autoComplete="off">
        <p className="secret-note" data-testid="replace-note">
          {t('admin.cred.replaceNote')}
        </p>
        <DataFields type={type} values={values} onChange={setValues} problems={problems} />
        <OtherProblems problems={problems} shown={fieldsOf(type).map((f) => `/body/data/${f.name}`)} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            {t('app.cancel')}
          </button>
          <button type="submit" className="button primary" disabled={busy} data-testid="replace-save">
            {t('admin.cred.replaceSave')}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}

export function CredentialsPage() {
  const { t, text, dateTime, locale } = useI18n();
  const session = useSession();
  const notify = useNotify();
  const canRead = session.can('credentials.read');
  const canWrite = session.can('credentials.write');
  const canUsers = session.can('users.read');
  const [types, setTypes] = useState<CredentialType[] | null>(null);
  const [items, setItems] = useState<Credential[] | null>(null);
  const [members, setMembers] = useState<Member[] | null>(null);
  const [error, setError] = useState('');
  const [creating, setCreating] = useState(false);
  const [replacing, setReplacing] = useState<Credential | null>(null);
  const [deleting, setDeleting] = useState<Credential | null>(null);

  const load = useCallback(async () => {
    try {
      const [ts, list] = await Promise.all([api.get<{ items: CredentialType[] }>('/credential-types'), api.get<{ items: Credential[] }>('/credentials')]);
      setTypes(ts.items);
      setItems(list.items);
      setError('');
    } catch (err) {
      setError((err as Error).message);
    }
  }, []);
  useEffect(() => {
    if (!canRead) return;
    void load();
    if (canUsers)
      api.get<{ items: Member[] }>('/users').then(
        (r) => setMembers(r.items),
        () => setMembers(null),
      );
  }, [canRead, canUsers, load]);

  const typeOf = useMemo(() => new Map((types ?? []).map((x) => [x.type, x])), [types]);
  const fieldLabel = (f: string) => {
    const key = `admin.field.${f}` as MessageKey;
    return t(key) === key ? f : t(key);
  };
  const me = session.me;
  const whoMade = (actor: string) => (me && actor === `user:${me.user.id}` ? me.user.name : actorName(actor, members, t));

  const remove = async (c: Credential) => {
    setDeleting(null);
    try {
      await api.del(`/credentials/${encodeURIComponent(c.id)}`);
      forgetCredentials(); // the node forms' credential selects ask again
      notify(t('admin.cred.deleted', { name: bidi(c.name) }), 'success');
      setItems((list) => list?.filter((x) => x.id !== c.id) ?? null);
    } catch (err) {
      notify(t('app.error', { message: (err as Error).message }), 'error');
    }
  };

  if (!canRead)
    return (
      <main id="main" className="page admin-page">
        <h1>{t('nav.credentials')}</h1>
        <NoAccess />
      </main>
    );
  return (
    <main id="main" className="page admin-page credentials-page">
      <div className="page-head">
        <h1>{t('nav.credentials')}</h1>
        {canWrite && (
          <div className="page-actions">
            <button type="button" className="button primary" onClick={() => setCreating(true)} disabled={!types} data-testid="credential-new">
              {t('admin.cred.new')}
            </button>
          </div>
        )}
      </div>
      <p className="hint">{t('admin.cred.intro')}</p>
      {!canWrite && <p className="hint">{t('admin.cred.readOnly')}</p>}
      <ErrorNotice message={error} />
      {items && items.length === 0 ? (
        <p className="empty">{t('admin.cred.empty')}</p>
      ) : (
        <table className="table" data-testid="credentials-table" aria-busy={items ? undefined : true}>
          <thead>
            <tr>
              <th scope="col">{t('admin.cred.colName')}</th>
              <th scope="col">{t('admin.cred.colType')}</th>
              <th scope="col">{t('admin.cred.colFields')}</th>
              <th scope="col">{t('admin.colCreatedBy')}</th>
              <th scope="col">{t('admin.colCreated')}</th>
              <th scope="col">{t('admin.colUpdated')}</th>
              {canWrite && (
                <th scope="col">
                  <span className="visually-hidden">{t('admin.colActions')}</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {items?.map((c) => {
              const type = typeOf.get(c.type);
              return (
                <tr key={c.id} data-credential-id={c.id} data-credential-name={c.name} data-type={c.type}>
                  <td className="cred-name" dir="auto">
                    {c.name}
                  </td>
                  <td>
                    {type ? text(type.label) : c.type} <code className="small muted">{c.type}</code>
                  </td>
                  <td>
                    <span className="small">{new Intl.ListFormat(locale, { type: 'unit' }).format(c.fields.map((f) => fieldLabel(f)))}</span>
                  </td>
                  <td>{whoMade(c.createdBy)}</td>
                  <td>{dateTime(c.createdAt)}</td>
                  <td>{dateTime(c.updatedAt)}</td>
                  {canWrite && (
                    <td className="row-actions">
                      <button type="button" className="button small" onClick={() => setReplacing(c)} disabled={!type} aria-label={t('admin.cred.replaceNamed', { name: bidi(c.name) })} data-testid="credential-replace">
                        {t('admin.cred.replace')}
                      </button>{' '}
                      <button type="button" className="button small danger" onClick={() => setDeleting(c)} aria-label={t('admin.cred.deleteNamed', { name: bidi(c.name) })} data-testid="credential-delete">
                        {t('admin.delete')}
                      </button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {creating && types && (
        <NewCredentialDialog
          types={types}
          onClose={() => setCreating(false)}
          onDone={(c) => {
            setCreating(false);
            forgetCredentials();
            setItems((list) => [...(list ?? []).filter((x) => x.id !== c.id), c].sort((a, b) => a.name.localeCompare(b.name)));
            notify(t('admin.cred.created', { name: bidi(c.name) }), 'success');
          }}
        />
      )}
      {replacing && typeOf.get(replacing.type) && (
        <ReplaceSecretDialog
          credential={replacing}
          type={typeOf.get(replacing.type)!}
          onClose={() => setReplacing(null)}
          onDone={(c) => {
            setReplacing(null);
            setItems((list) => list?.map((x) => (x.id === c.id ? c : x)) ?? null);
            notify(t('admin.cred.replaced', { name: bidi(c.name) }), 'success');
          }}
        />
      )}
      {deleting && <ConfirmDialog message={t('admin.cred.deleteConfirm', { name: bidi(deleting.name) })} confirmLabel={t('admin.delete')} onConfirm={() => void remove(deleting)} onCancel={() => setDeleting(null)} />}
    </main>
  );
}

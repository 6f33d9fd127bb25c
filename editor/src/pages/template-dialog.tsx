// "Use template": map each credential the template needs to one of the tenant's credentials of
// that type, fill its {{variables}}, optionally publish, import. The server checks everything
// and answers every problem with a path (/credentials/<ref>, /variables/<name>): each is shown
// next to its field, the rest above the buttons, and what was typed stays. Shared by the
// gallery (a built-in template) and the flows page (an uploaded file).
import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ApiError, api } from '../api/client';
import { loadNodeTypes } from '../api/node-types';
import {
  importTemplate,
  manifestOf,
  sortProblems,
  type CredentialMeta,
  type CredentialRequirement,
  type CredentialTypeInfo,
  type TemplateSource,
  type VariableDeclaration,
  type VariableValue,
} from '../api/templates';
import type { Problem } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';
import { navigate } from '../router';
import { useSession } from '../session/session';
import { Icon } from '../ui/icons';
import { useNotify } from '../ui/notices';
import './templates-page.css';

type Sorted = ReturnType<typeof sortProblems>;
type Field = string | boolean;

/** The value a variable's input starts with: its default (as text for text and number inputs). */
function initialValue(v: VariableDeclaration): Field {
  if (typeof v.default === 'boolean') return v.default;
  return v.default === undefined ? '' : String(v.default);
}

/** What the form holds → what the API takes (a number field left empty falls back to the default). */
function variableValues(declared: readonly VariableDeclaration[], values: Record<string, Field>): Record<string, VariableValue> {
  const out: Record<string, VariableValue> = {};
  for (const v of declared) {
    const raw = values[v.name];
    if (typeof v.default === 'boolean') out[v.name] = raw === true;
    else if (typeof v.default === 'number') {
      const s = String(raw ?? '').trim();
      if (s === '') continue;
      const n = Number(s);
      out[v.name] = Number.isFinite(n) ? n : s;
    } else out[v.name] = String(raw ?? '');
  }
  return out;
}

export function TemplateDialog({ source, nodeTypes, onClose }: { source: TemplateSource; nodeTypes: readonly string[]; onClose: () => void }) {
  const { t, text } = useI18n();
  const session = useSession();
  const notify = useNotify();
  const manifest = manifestOf(source);
  const ref = useRef<HTMLDialogElement>(null);
  const form = useRef<HTMLFormElement>(null);
  const base = useId();
  const [credentials, setCredentials] = useState<CredentialMeta[] | null>(null);
  const [types, setTypes] = useState<Record<string, CredentialTypeInfo>>({});
  const [credentialsError, setCredentialsError] = useState('');
  const [choice, setChoice] = useState<Record<string, string>>({});
  const [values, setValues] = useState<Record<string, Field>>(() => Object.fromEntries(manifest.variables.map((v) => [v.name, initialValue(v)])));
  const [publish, setPublish] = useState(false);
  const [classB, setClassB] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<Sorted | null>(null);
  const [failure, setFailure] = useState('');

  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);

  const tenantId = session.me?.tenant.id ?? '';
  useEffect(() => {
    let live = true;
    loadNodeTypes(tenantId)
      .then((items) => live && setClassB(items.some((i) => nodeTypes.includes(i.type) && i.policyClass === 'B')))
      .catch(() => live && setClassB(true));
    return () => {
      live = false;
    };
  }, [tenantId, nodeTypes]);
  const canPublish = classB !== null && session.can(classB ? 'flows.publish.classB' : 'flows.publish');

  const needsCredentials = manifest.credentials.length > 0;
  const loadCredentials = useCallback(async () => {
    try {
      const [list, typeList] = await Promise.all([api.get<{ items: CredentialMeta[] }>('/credentials'), api.get<{ items: CredentialTypeInfo[] }>('/credential-types')]);
      setCredentials(list.items);
      setTypes(Object.fromEntries(typeList.items.map((i) => [i.type, i])));
      setCredentialsError('');
      // One credential of the type: choose it (the importer can still change it).
      setChoice((prev) => {
        const next = { ...prev };
        for (const c of manifest.credentials) {
          const options = list.items.filter((x) => x.type === c.type);
          if (!next[c.ref] && options.length === 1) next[c.ref] = options[0]!.name;
        }
        return next;
      });
    } catch (err) {
      setCredentialsError((err as Error).message);
    }
  }, [manifest.credentials]);
  useEffect(() => {
    if (needsCredentials) void loadCredentials();
  }, [needsCredentials, loadCredentials]);

  // After a refused import, focus the first field that has a problem.
  useEffect(() => {
    if (!problems) return;
    form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [problems]);

  const problemText = (p: Problem, kind: 'credential' | 'variable'): string => {
    if (p.code === 'required') return t(kind === 'credential' ? 'templates.problem.requiredCredential' : 'templates.problem.required');
    const key = `templates.problem.${p.code}` as MessageKey;
    return t(key) === key ? t('templates.problem.other', { message: p.message }) : t(key);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setFailure('');
    try {
      const chosen = Object.fromEntries(manifest.credentials.filter((c) => choice[c.ref]).map((c) => [c.ref, choice[c.ref]!]));
      const answer = await importTemplate(source, { credentials: chosen, variables: variableValues(manifest.variables, values), publish: canPublish && publish });
      const published = answer.flows.length > 0 && answer.flows.every((f) => f.status === 'published');
      notify(t(published ? 'templates.importedPublished' : 'templates.imported', { name: text(manifest.name), n: answer.flows.length }), 'success');
      ref.current?.close();
      onClose();
      const first = answer.flows[0];
      navigate(first ? `/flows/${encodeURIComponent(first.flowId)}` : '/flows');
    } catch (err) {
      if (err instanceof ApiError && err.details.length) {
        setProblems(sortProblems(err.details));
      } else {
        setProblems(null);
        setFailure(t('templates.importFailed', { message: (err as Error).message }));
      }
    } finally {
      setBusy(false);
    }
  };

  const fieldProblems = problems ? Object.keys(problems.credentials).length + Object.keys(problems.variables).length : 0;
  const cancel = () => {
    if (busy) return;
    ref.current?.close();
    onClose();
  };
  return (
    <dialog
      ref={ref}
      className="dialog template-dialog"
      aria-labelledby={`${base}-title`}
      aria-describedby={`${base}-intro`}
      onCancel={(e) => {
        e.preventDefault();
        cancel();
      }}
      data-testid="template-dialog"
      data-template-id={manifest.id}
    >
      <form ref={form} onSubmit={(e) => void submit(e)} noValidate>
        <div className="dialog-head">
          <h2 id={`${base}-title`}>{t('templates.dialogTitle', { name: text(manifest.name) })}</h2>
          <button type="button" className="icon-button" onClick={cancel} aria-label={t('templates.close')} title={t('templates.close')}>
            <Icon name="close" size={18} />
          </button>
        </div>
        <p id={`${base}-intro`} className="muted">
          {t('templates.dialogIntro')}
        </p>

        {needsCredentials && (
          <fieldset className="template-fieldset" data-testid="template-credentials">
            <legend>{t('templates.credentialsHeading')}</legend>
            <p className="hint">{t('templates.credentialsHint')}</p>
            {credentialsError && (
              <p className="form-error" role="alert">
                {t('templates.credentialsFailed', { message: credentialsError })}
              </p>
            )}
            {manifest.credentials.map((c) => (
              <CredentialField
                key={c.ref}
                id={`${base}-cred-${c.ref}`}
                requirement={c}
                typeLabel={types[c.type] ? text(types[c.type]!.label) : c.type}
                options={credentials?.filter((x) => x.type === c.type) ?? null}
                value={choice[c.ref] ?? ''}
                onChange={(name) => setChoice((prev) => ({ ...prev, [c.ref]: name }))}
                problems={(problems?.credentials[c.ref] ?? []).map((p) => problemText(p, 'credential'))}
              />
            ))}
            <div className="template-credential-actions">
              {session.can('credentials.write') && (
                <a href="/settings/credentials" target="_blank" rel="noopener noreferrer" className="button small">
                  <Icon name="plus" size={14} /> {t('templates.addCredential')}
                </a>
              )}
              <button type="button" className="button small" onClick={() => void loadCredentials()} data-testid="reload-credentials">
                {t('templates.reloadCredentials')}
              </button>
            </div>
          </fieldset>
        )}

        {manifest.variables.length > 0 && (
          <fieldset className="template-fieldset" data-testid="template-variables">
            <legend>{t('templates.variablesHeading')}</legend>
            {manifest.variables.map((v) => (
              <VariableField
                key={v.name}
                id={`${base}-var-${v.name}`}
                declaration={v}
                value={values[v.name] ?? ''}
                onChange={(value) => setValues((prev) => ({ ...prev, [v.name]: value }))}
                problems={(problems?.variables[v.name] ?? []).map((p) => problemText(p, 'variable'))}
              />
            ))}
          </fieldset>
        )}

        {canPublish && (
          <div className="field">
            <label className="check">
              <input type="checkbox" checked={publish} onChange={(e) => setPublish(e.target.checked)} aria-describedby={`${base}-publish-hint`} data-testid="template-publish" />
              <span>{t('templates.publish')}</span>
            </label>
            <small id={`${base}-publish-hint`} className="hint">
              {t('templates.publishHint')}
            </small>
          </div>
        )}

        <div role="alert" className="template-dialog-problems">
          {failure && <p className="form-error">{failure}</p>}
          {problems && fieldProblems > 0 && <p className="form-error">{t('templates.fixFields')}</p>}
          {problems && problems.other.length > 0 && (
            <>
              {fieldProblems === 0 && <p className="form-error">{t('templates.otherProblems')}</p>}
              <ul className="template-problem-list" data-testid="template-other-problems">
                {problems.other.map((p, i) => (
                  <li key={`${p.path}-${i}`}>
                    {p.path && <code dir="ltr">{p.path}</code>} {p.message}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>

        <div className="dialog-actions">
          <button type="button" className="button" onClick={cancel} disabled={busy}>
            {t('app.cancel')}
          </button>
          <button type="submit" className={`button primary${busy ? ' is-busy' : ''}`} disabled={busy} aria-busy={busy} data-testid="template-import">
            {busy ? t('templates.importing') : t('templates.import')}
          </button>
        </div>
      </form>
    </dialog>
  );
}

function FieldProblems({ id, problems }: { id: string; problems: string[] }) {
  if (!problems.length) return null;
  return (
    <span id={id} className="field-error" data-testid="field-error">
      {problems.map((p, i) => (
        <span key={i} className="field-error-line">
          <Icon name="warning" size={14} /> {p}
        </span>
      ))}
    </span>
  );
}

function CredentialField(props: {
  id: string;
  requirement: CredentialRequirement;
  typeLabel: string;
  options: CredentialMeta[] | null;
  value: string;
  onChange: (name: string) => void;
  problems: string[];
}) {
  const { id, requirement: c, typeLabel, options, value, onChange, problems } = props;
  const { t, text } = useI18n();
  const invalid = problems.length > 0;
  const describedBy = [`${id}-type`, options?.length === 0 ? `${id}-none` : '', invalid ? `${id}-error` : ''].filter(Boolean).join(' ');
  // A name the list no longer has (deleted meanwhile) stays selectable so the choice is not lost silently.
  const known = !value || (options ?? []).some((o) => o.name === value);
  return (
    <div className={`field template-field${invalid ? ' has-error' : ''}`} data-credential-ref={c.ref}>
      <label htmlFor={id}>
        {text(c.label)}
        <span className="required" aria-hidden="true">
          *
        </span>
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} aria-required="true" aria-invalid={invalid} aria-describedby={describedBy} disabled={options === null}>
        <option value="">{t('templates.chooseCredential')}</option>
        {!known && <option value={value}>{value}</option>}
        {(options ?? []).map((o) => (
          <option key={o.id} value={o.name}>
            {o.name}
          </option>
        ))}
      </select>
      <small id={`${id}-type`} className="hint">
        {t('templates.credentialType', { type: typeLabel })}
      </small>
      {options?.length === 0 && (
        <small id={`${id}-none`} className="hint">
          {t('templates.noCredentialOfType', { type: typeLabel })}
        </small>
      )}
      <FieldProblems id={`${id}-error`} problems={problems} />
    </div>
  );
}

function VariableField({ id, declaration: v, value, onChange, problems }: { id: string; declaration: VariableDeclaration; value: Field; onChange: (value: Field) => void; problems: string[] }) {
  const { t, text, number } = useI18n();
  const invalid = problems.length > 0;
  const hintId = `${id}-hint`;
  const describedBy = [hintId, invalid ? `${id}-error` : ''].filter(Boolean).join(' ');
  const defaultText =
    v.default === undefined ? '' : typeof v.default === 'boolean' ? (v.default ? t('templates.yes') : t('templates.no')) : typeof v.default === 'number' ? number(v.default) : v.default;
  const hint = (
    <small id={hintId} className="hint template-hint">
      {v.default !== undefined && v.default !== '' && <span>{t('templates.defaultValue', { value: defaultText })}</span>}
      <code dir="ltr">{`{{${v.name}}}`}</code>
    </small>
  );
  if (typeof v.default === 'boolean') {
    return (
      <div className={`field template-field${invalid ? ' has-error' : ''}`} data-variable={v.name}>
        <label className="check" htmlFor={id}>
          <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} aria-invalid={invalid} aria-describedby={describedBy} />
          <span>{text(v.label)}</span>
        </label>
        {hint}
        <FieldProblems id={`${id}-error`} problems={problems} />
      </div>
    );
  }
  const numeric = typeof v.default === 'number';
  return (
    <div className={`field template-field${invalid ? ' has-error' : ''}`} data-variable={v.name}>
      <label htmlFor={id}>
        {text(v.label)}
        {v.required && (
          <>
            <span className="required" aria-hidden="true">
              *
            </span>
            <span className="visually-hidden"> {t('templates.requiredMark')}</span>
          </>
        )}
      </label>
      <input
        id={id}
        className="template-value"
        type={numeric ? 'number' : 'text'}
        step={numeric ? 'any' : undefined}
        inputMode={numeric ? 'decimal' : undefined}
        value={String(value)}
        onChange={(e) => onChange(e.target.value)}
        aria-required={v.required ? true : undefined}
        aria-invalid={invalid}
        aria-describedby={describedBy}
        maxLength={numeric ? undefined : 10_000}
        spellCheck={false}
        data-testid={`variable-${v.name}`}
      />
      {hint}
      <FieldProblems id={`${id}-error`} problems={problems} />
    </div>
  );
}

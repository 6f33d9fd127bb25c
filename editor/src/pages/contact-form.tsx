// A contact's form in a <dialog>: create (POST /contacts) or correct (PATCH /contacts/:id, only
// the changed fields; an emptied field is cleared). The API normalises the phone (E.164, local
// numbers read as Saudi, Arabic-Indic digits accepted) and answers each problem on its field,
// a duplicate phone or email with 409 on that field; what was typed stays.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { contactsApi, type ContactFields, type ContactFull } from '../api/contacts';
import type { Contact, Locale, Problem } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { Field, useErrorSplit } from './contact-shared';

interface Values {
  name: string;
  phone: string;
  email: string;
  company: string;
  source: string;
  tags: string;
  locale: Locale;
}

const valuesOf = (c: Contact | null): Values => ({
  name: c?.name ?? '',
  phone: c?.phone ?? '',
  email: c?.email ?? '',
  company: c?.company ?? '',
  source: c?.source ?? '',
  tags: c?.tags.join('، ') ?? '',
  locale: c?.locale ?? 'ar',
});

/** Tags are typed separated by commas (Latin or Arabic); a tag cannot hold one. */
const tagList = (text: string): string[] => [...new Set(text.split(/[,،]/).map((t) => t.trim()).filter(Boolean))];

/** The body to send: everything typed for a new contact; only what changed for a correction. */
function bodyOf(values: Values, original: Contact | null): Partial<ContactFields> {
  const trimmed = (v: string) => v.trim();
  if (!original) {
    const body: ContactFields = { name: trimmed(values.name), locale: values.locale };
    for (const k of ['phone', 'email', 'company', 'source'] as const) if (trimmed(values[k])) body[k] = trimmed(values[k]);
    const tags = tagList(values.tags);
    if (tags.length) body.tags = tags;
    return body;
  }
  const before = valuesOf(original);
  const body: Partial<ContactFields> = {};
  if (trimmed(values.name) !== before.name) body.name = trimmed(values.name);
  for (const k of ['phone', 'email', 'company', 'source'] as const) {
    if (trimmed(values[k]) !== before[k]) body[k] = trimmed(values[k]) || null;
  }
  if (values.locale !== before.locale) body.locale = values.locale;
  const tags = tagList(values.tags);
  if (tags.join('\n') !== original.tags.join('\n')) body.tags = tags;
  return body;
}

export function ContactFormDialog({ contact, onSaved, onClose }: { contact: Contact | null; onSaved: (c: ContactFull) => void; onClose: () => void }) {
  const { t } = useI18n();
  const splitError = useErrorSplit();
  const ref = useRef<HTMLDialogElement>(null);
  const [values, setValues] = useState<Values>(() => valuesOf(contact));
  const [problems, setProblems] = useState<Record<string, Problem>>({});
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  const set = (k: keyof Values) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [k]: e.target.value }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!values.name.trim()) {
      setProblems({ name: { path: '/body/name', code: 'required', message: 'the name is required' } });
      setError('');
      return;
    }
    const body = bodyOf(values, contact);
    if (contact && Object.keys(body).length === 0) return onClose();
    setBusy(true);
    try {
      const saved = contact ? await contactsApi.correct(contact.id, body) : await contactsApi.create(body as ContactFields);
      onSaved(saved);
    } catch (err) {
      const split = splitError(err, ['name', 'phone', 'email', 'company', 'source', 'tags']);
      setProblems(split.problems);
      setError(split.other);
    } finally {
      setBusy(false);
    }
  };
  const field = (k: 'name' | 'phone' | 'email' | 'company' | 'source', opts: { type?: string; dir?: 'ltr'; autoComplete?: string; inputMode?: 'tel' | 'email'; required?: boolean; hint?: string }) => (
    <Field
      testId={`field-${k}`}
      problem={problems[k]}
      hint={opts.hint}
      label={
        <>
          {t(`contacts2.field.${k}` as const)}
          {opts.required && (
            <span className="required" aria-hidden="true">
              *
            </span>
          )}
        </>
      }
    >
      {(props) => (
        <input
          {...props}
          type={opts.type ?? 'text'}
          value={values[k]}
          onChange={set(k)}
          dir={opts.dir}
          autoComplete={opts.autoComplete}
          inputMode={opts.inputMode}
          required={opts.required}
          maxLength={k === 'email' ? 320 : k === 'phone' ? 40 : 200}
          data-testid={`contact-${k}`}
        />
      )}
    </Field>
  );
  return (
    <dialog ref={ref} className="dialog contact-dialog" aria-labelledby="contact-form-title" onCancel={onClose} data-testid="contact-form">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <h2 id="contact-form-title">{contact ? t('contacts2.editTitle', { name: contact.name }) : t('contacts2.newTitle')}</h2>
        {field('name', { required: true, autoComplete: 'name' })}
        <div className="form-grid">
          {field('phone', { type: 'tel', dir: 'ltr', autoComplete: 'tel', inputMode: 'tel', hint: t('contacts2.phoneHint') })}
          {field('email', { type: 'email', dir: 'ltr', autoComplete: 'email', inputMode: 'email' })}
          {field('company', { autoComplete: 'organization' })}
          {field('source', {})}
        </div>
        <Field testId="field-tags" label={t('contacts2.field.tags')} hint={t('contacts2.tagsHint')} problem={problems.tags}>
          {(props) => <input {...props} value={values.tags} onChange={set('tags')} data-testid="contact-tags" />}
        </Field>
        <label className="field">
          <span>{t('contacts2.field.locale')}</span>
          <select value={values.locale} onChange={set('locale')} data-testid="contact-locale">
            <option value="ar">{t('contacts2.locale.ar')}</option>
            <option value="en">{t('contacts2.locale.en')}</option>
          </select>
        </label>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            {t('app.cancel')}
          </button>
          <button type="submit" className={`button primary${busy ? ' is-busy' : ''}`} disabled={busy} data-testid="contact-save">
            {contact ? t('contacts2.saveChanges') : t('contacts2.create')}
          </button>
        </div>
      </form>
    </dialog>
  );
}

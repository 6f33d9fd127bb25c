// A param naming a credential (`x-credential-types` in its schema): a select of the tenant's
// credentials of those types, by name, with an empty first option (the node's default: the
// first such credential, else the sandbox). A name that is not (or no longer) in the list stays
// selectable so the form never drops it. Without credentials.read it is a plain text field.
import type { FieldProps } from '@rjsf/utils';
import { useCredentials } from '../api/credentials-cache';
import { useI18n } from '../i18n/i18n';
import { useSession } from '../session/session';

export function CredentialField({ formData, onChange, fieldPathId, name, schema, uiSchema, readonly, disabled, required }: FieldProps) {
  const { t } = useI18n();
  const { me, can } = useSession();
  const allowed = can('credentials.read');
  const types = ((uiSchema?.['ui:options'] as { credentialTypes?: string[] } | undefined)?.credentialTypes ?? []).map(String);
  const { items } = useCredentials(me?.tenant.id ?? '', allowed);
  const id = fieldPathId.$id;
  const value = typeof formData === 'string' ? formData : '';
  const set = (v: string) => onChange((v === '' ? undefined : v) as never, fieldPathId.path);
  const title = typeof schema.title === 'string' ? schema.title : name;
  const description = typeof schema.description === 'string' ? schema.description : '';
  const describedBy = description ? `${id}__description` : undefined;
  const matching = (items ?? []).filter((c) => types.length === 0 || types.includes(c.type));
  const known = matching.some((c) => c.name === value);
  return (
    <div className="credential-field" data-credential-types={types.join(' ')}>
      <label htmlFor={id} className="control-label">
        {title}
        {required && <span className="required">*</span>}
      </label>
      {allowed ? (
        <select id={id} className="form-control" value={value} disabled={readonly || disabled} aria-describedby={describedBy} aria-busy={items === null} onChange={(e) => set(e.target.value)}>
          <option value="">{t('form.credentialDefault')}</option>
          {matching.map((c) => (
            <option key={c.id} value={c.name}>
              {c.name} ({c.type})
            </option>
          ))}
          {value !== '' && !known && <option value={value}>{items === null ? value : t('form.credentialMissing', { name: value })}</option>}
        </select>
      ) : (
        <input id={id} className="form-control" dir="auto" value={value} readOnly={readonly} disabled={disabled} aria-describedby={describedBy} onChange={(e) => set(e.target.value)} />
      )}
      {description && (
        <p id={`${id}__description`} className="field-description">
          {description}
        </p>
      )}
    </div>
  );
}

// A map param (header name -> value, field name -> value): rows of name and value. Values that
// start with "=" are expressions; other values are read as JSON when they parse (numbers,
// booleans, objects) unless the map holds only strings (headers).
import { useEffect, useRef, useState } from 'react';
import type { FieldProps } from '@rjsf/utils';
import { useI18n } from '../i18n/i18n';
import { Icon } from '../ui/icons';
import { parseLoose, showLoose } from './json-input';
import { ExpressionPreview } from './expression-preview';

type Row = { key: string; text: string };

function rowsOf(value: unknown, stringsOnly: boolean): Row[] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).map(([key, v]) => ({ key, text: stringsOnly && typeof v === 'string' ? v : showLoose(v) }));
}

export function KeyValueField({ formData, onChange, fieldPathId, name, schema, uiSchema, readonly, disabled, required }: FieldProps) {
  const { t } = useI18n();
  const stringsOnly = Boolean((uiSchema?.['ui:options'] as { stringsOnly?: boolean } | undefined)?.stringsOnly);
  const [rows, setRows] = useState<Row[]>(() => rowsOf(formData, stringsOnly));
  const emitted = useRef<string>(JSON.stringify(formData ?? {}));
  useEffect(() => {
    const incoming = JSON.stringify(formData ?? {});
    if (incoming !== emitted.current) {
      emitted.current = incoming;
      setRows(rowsOf(formData, stringsOnly));
    }
  }, [formData, stringsOnly]);
  const id = fieldPathId.$id;
  const update = (next: Row[]) => {
    setRows(next);
    const obj: Record<string, unknown> = {};
    for (const r of next) {
      if (!r.key) continue;
      obj[r.key] = stringsOnly || r.text.startsWith('=') ? r.text : (parseLoose(r.text) ?? '');
    }
    emitted.current = JSON.stringify(obj);
    onChange(obj as never, fieldPathId.path);
  };
  const locked = readonly || disabled;
  const description = typeof schema.description === 'string' ? schema.description : '';
  const title = typeof schema.title === 'string' && schema.title !== '' ? schema.title : name;
  return (
    <fieldset className="kv-field" aria-describedby={description ? `${id}__description` : undefined}>
      <legend className="control-label">
        {title}
        {required && <span className="required">*</span>}
      </legend>
      {rows.map((row, i) => (
        <div className="kv-row" key={i}>
          <input
            className="form-control kv-key"
            dir="ltr"
            value={row.key}
            aria-label={t('form.kvKey', { name: title, n: i + 1 })}
            placeholder={t('form.kvKeyPlaceholder')}
            readOnly={locked}
            onChange={(e) => update(rows.map((r, j) => (j === i ? { ...r, key: e.target.value } : r)))}
          />
          <input
            className={`form-control kv-value${row.text.startsWith('=') ? ' is-expression' : ''}`}
            dir="ltr"
            value={row.text}
            aria-label={t('form.kvValue', { key: row.key || String(i + 1) })}
            placeholder={t('form.kvValuePlaceholder')}
            readOnly={locked}
            onChange={(e) => update(rows.map((r, j) => (j === i ? { ...r, text: e.target.value } : r)))}
          />
          {!locked && (
            <button type="button" className="icon-button" aria-label={t('form.kvRemove', { key: row.key || String(i + 1) })} onClick={() => update(rows.filter((_, j) => j !== i))}>
              <Icon name="close" size={14} />
            </button>
          )}
          {row.text.startsWith('=') && (
            <div className="kv-preview">
              <ExpressionPreview source={row.text} quiet />
            </div>
          )}
        </div>
      ))}
      {!locked && (
        <button type="button" className="button small" onClick={() => setRows([...rows, { key: '', text: '' }])}>
          <Icon name="plus" size={14} /> {t('form.kvAdd')}
        </button>
      )}
      {description && (
        <p id={`${id}__description`} className="field-description">
          {description}
        </p>
      )}
    </fieldset>
  );
}

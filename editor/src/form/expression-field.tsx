// A param that may be a literal or a JSONata expression ("=..."): an fx toggle switches
// between the literal form (the schema's own widget, or JSON for untyped params) and an
// expression box. The stored value keeps the "=" prefix; the box shows what follows it.
import { useEffect, useState } from 'react';
import type { FieldProps, UiSchema } from '@rjsf/utils';
import { useI18n } from '../i18n/i18n';
import { Icon } from '../ui/icons';
import { JsonInput } from './json-input';
import { ExpressionPreview } from './expression-preview';

export const isExpression = (v: unknown): v is string => typeof v === 'string' && v.startsWith('=');

function toExpression(value: unknown): string {
  if (value === undefined || value === '') return '=';
  if (isExpression(value)) return value;
  return `=${JSON.stringify(value)}`;
}

function fromExpression(value: string, literal: 'json' | 'schema', type: unknown): unknown {
  const body = value.slice(1).trim();
  if (body === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (literal === 'json' || typeof parsed === type || (type === 'integer' && typeof parsed === 'number')) return parsed;
  } catch {
    /* not a literal */
  }
  return type === 'string' ? body : undefined;
}

export function ExpressionField(props: FieldProps) {
  const { formData, onChange, fieldPathId, name, schema, uiSchema, registry, required, readonly, disabled } = props;
  const { t } = useI18n();
  const options = (uiSchema?.['ui:options'] ?? {}) as { literal?: 'json' | 'schema'; innerUi?: UiSchema };
  const literal = options.literal ?? 'schema';
  const [exprMode, setExprMode] = useState(() => isExpression(formData) || (literal === 'json' && formData === undefined));
  useEffect(() => {
    if (isExpression(formData)) setExprMode(true);
  }, [formData]);
  const id = fieldPathId.$id;
  const set = (v: unknown) => onChange(v as never, fieldPathId.path);
  const toggle = () => {
    if (exprMode) set(isExpression(formData) ? fromExpression(formData, literal, schema.type) : formData);
    else set(toExpression(formData));
    setExprMode(!exprMode);
  };
  const SchemaField = registry.fields.SchemaField!;
  const description = typeof schema.description === 'string' ? schema.description : '';
  const title = typeof schema.title === 'string' && schema.title !== '' ? schema.title : name;
  return (
    <div className="expr-field">
      <div className="field-head">
        <label htmlFor={id} className="control-label">
          {title}
          {required && <span className="required">*</span>}
        </label>
        <button
          type="button"
          className={`fx-toggle${exprMode ? ' is-on' : ''}`}
          aria-pressed={exprMode}
          aria-label={t('form.expressionToggle', { name: title })}
          title={t('form.expressionHint')}
          onClick={toggle}
          disabled={readonly || disabled}
        >
          <Icon name="fx" size={14} />
        </button>
      </div>
      {exprMode ? (
        <div className="expr-box" dir="ltr">
          <span className="expr-prefix" aria-hidden="true">=</span>
          <textarea
            id={id}
            className="form-control expr-input"
            rows={Math.min(6, Math.max(1, String(formData ?? '').split('\n').length))}
            spellCheck={false}
            value={isExpression(formData) ? formData.slice(1) : ''}
            placeholder={t('form.expressionPlaceholder')}
            readOnly={readonly}
            disabled={disabled}
            aria-describedby={description ? `${id}__description` : undefined}
            onChange={(e) => set(`=${e.target.value}`)}
          />
        </div>
      ) : literal === 'json' ? (
        <JsonInput id={id} value={formData} onChange={set} readOnly={readonly || disabled} describedBy={description ? `${id}__description` : undefined} />
      ) : (
        <SchemaField {...props} uiSchema={{ ...(options.innerUi ?? {}), 'ui:options': { ...((options.innerUi?.['ui:options'] as object | undefined) ?? {}), label: false } }} errorSchema={{}} />
      )}
      {exprMode && isExpression(formData) && <ExpressionPreview source={formData} />}
      {description && (
        <p id={`${id}__description`} className="field-description">
          {description}
        </p>
      )}
    </div>
  );
}

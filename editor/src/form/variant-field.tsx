// Unions of objects (escalate's assignee: a role, one member, or a role's members in turn):
// rjsf's own variant picker (AnyOfField) with the variants' localized titles, and two small
// additions. The picker is a labelled select (rjsf's is not tied to the field's label), and
// a field of the first variant edited before any variant was picked (the param unset) stores
// the whole object with its discriminator, e.g. {kind: 'role', role: 'manager'}, never a
// bare {role: 'manager'}. Picking a variant is rjsf's: it keeps the fields both variants share
// and writes the new variant's `kind` const.
import { getDefaultRegistry } from '@rjsf/core';
import type { FieldProps, RJSFSchema, WidgetProps } from '@rjsf/utils';

const RjsfAnyOfField = getDefaultRegistry().fields.AnyOfField!;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function setIn(target: Obj, path: (string | number)[], value: unknown): Obj {
  const [head, ...rest] = path;
  if (head === undefined) return target;
  const key = String(head);
  const child = rest.length === 0 ? value : setIn(isObj(target[key]) ? (target[key] as Obj) : {}, rest, value);
  const out: Obj = { ...target };
  if (child === undefined) delete out[key];
  else out[key] = child;
  return out;
}

export function VariantField(props: FieldProps) {
  const { formData, onChange, fieldPathId, schema } = props;
  const discriminator = (schema as RJSFSchema & { discriminator?: { propertyName?: string } }).discriminator?.propertyName;
  const first = (schema.anyOf?.[0] as RJSFSchema | undefined)?.properties?.[discriminator ?? ''] as RJSFSchema | undefined;
  const change: FieldProps['onChange'] = (value, path, ...rest) => {
    const own = fieldPathId.path;
    const deeper = Array.isArray(path) && path.length > own.length;
    if (discriminator && first?.const !== undefined && deeper && !(isObj(formData) && formData[discriminator] !== undefined)) {
      const base: Obj = { [discriminator]: first.const, ...(isObj(formData) ? formData : {}) };
      onChange(setIn(base, path.slice(own.length), value) as never, own, ...rest);
      return;
    }
    onChange(value, path, ...rest);
  };
  return <RjsfAnyOfField {...props} onChange={change} />;
}

/** The variant picker: a select named after the param (rjsf passes its title as `label`). */
export function VariantSelect({ id, options, value, onChange, onBlur, onFocus, disabled, readonly, label }: WidgetProps) {
  const choices = (options.enumOptions ?? []) as { label: string; value: number }[];
  return (
    <select
      id={id}
      className="form-control"
      aria-label={label}
      value={value === undefined || value === null ? '' : String(value)}
      disabled={disabled || readonly}
      onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
      onBlur={(e) => onBlur(id, e.target.value)}
      onFocus={(e) => onFocus(id, e.target.value)}
    >
      {(value === undefined || value === null) && <option value="" />}
      {choices.map((c) => (
        <option key={c.value} value={String(c.value)}>
          {c.label}
        </option>
      ))}
    </select>
  );
}

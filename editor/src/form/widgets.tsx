// Widget overrides for the node forms.
import { getDefaultRegistry } from '@rjsf/core';
import type { WidgetProps } from '@rjsf/utils';

const CheckboxWidget = getDefaultRegistry().widgets.CheckboxWidget!;

/** A checkbox showing the schema's default while the param is unset (the engine applies it). */
function DefaultedCheckbox(props: WidgetProps) {
  const value: unknown = props.value ?? props.schema.default;
  return <CheckboxWidget {...props} value={value} />;
}

export const widgets = { CheckboxWidget: DefaultedCheckbox };

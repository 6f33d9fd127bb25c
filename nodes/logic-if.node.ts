// logic.if: routes the input to `true` or `false` by the truthiness of a condition.
import { Type } from '@sinclair/typebox';
import { defineNode, label, type FlowError } from '../engine/index.js';
import { isConditionSource, isTruthy } from './shared/values.js';

/**
 * `condition` is saved as a boolean or an expression; the engine resolves expressions before
 * execute(), and their result may be any JSON value, so the schema accepts any value and
 * check() enforces the saved shape.
 */
const params = Type.Object(
  {
    condition: Type.Unknown({
      ...label(
        'Condition',
        'الشرط',
        'true/false, or an expression starting with "=" (its result is tested: null, 0, "", [] and {} are false)',
        'true/false، أو تعبير يبدأ بـ "=" (تُختبر نتيجته: null و0 و"" و[] و{} تُعد خطأ)',
      ),
      examples: ['=score >= 70', true],
    }),
  },
  { additionalProperties: false },
);

export const logicIfNode = defineNode({
  type: 'logic.if',
  category: 'logic',
  label: { en: 'If', ar: 'شرط' },
  description: {
    en: 'Sends the item to "true" or "false" depending on a condition.',
    ar: 'يوجّه العنصر إلى فرع «نعم» أو «لا» بحسب تحقق الشرط.',
  },
  icon: 'git-branch',
  params,
  outputs: [
    { port: 'true', label: { en: 'True', ar: 'نعم' } },
    { port: 'false', label: { en: 'False', ar: 'لا' } },
  ],
  check(p): FlowError[] {
    if (isConditionSource(p.condition)) return [];
    return [{ path: '/condition', code: 'invalid_value', message: 'condition must be true, false or an expression starting with "="' }];
  },
  async execute(ctx) {
    return { port: isTruthy(ctx.params.condition) ? 'true' : 'false', output: ctx.input };
  },
});

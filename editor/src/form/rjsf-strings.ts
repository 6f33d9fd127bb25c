// rjsf's own strings (array buttons, yes/no) in Arabic; English keeps rjsf's defaults.
import { TranslatableString, englishStringTranslator, type Registry } from '@rjsf/utils';
import type { Locale } from '../api/types';

const AR: Partial<Record<TranslatableString, string>> = {
  [TranslatableString.ArrayItemTitle]: 'عنصر',
  [TranslatableString.EmptyArray]: 'لا عناصر بعد. استخدم الزر أدناه للإضافة.',
  [TranslatableString.YesLabel]: 'نعم',
  [TranslatableString.NoLabel]: 'لا',
  [TranslatableString.CloseLabel]: 'إغلاق',
  [TranslatableString.ErrorsLabel]: 'الأخطاء',
  [TranslatableString.NewStringDefault]: 'قيمة جديدة',
  [TranslatableString.AddButton]: 'إضافة',
  [TranslatableString.AddItemButton]: 'إضافة عنصر',
  [TranslatableString.CopyButton]: 'نسخ',
  [TranslatableString.MoveDownButton]: 'تحريك لأسفل',
  [TranslatableString.MoveUpButton]: 'تحريك لأعلى',
  [TranslatableString.RemoveButton]: 'إزالة',
  [TranslatableString.ClearLabel]: 'مسح',
  [TranslatableString.Type]: 'النوع',
  [TranslatableString.Value]: 'القيمة',
  [TranslatableString.KeyLabel]: 'مفتاح %1',
  [TranslatableString.OptionPrefix]: 'الخيار %1',
};

export function translator(locale: Locale): Registry['translateString'] {
  return (key, params) => {
    const ar = locale === 'ar' ? AR[key] : undefined;
    if (!ar) return englishStringTranslator(key, params);
    return (params ?? []).reduce((s, p, i) => s.replace(`%${i + 1}`, p), ar);
  };
}

// Language, direction and formatting. Strings come from one messages file per language;
// numbers and dates go through Intl, dates always shown in Asia/Riyadh.
import { createContext, useContext, useEffect, useMemo, type ReactNode } from 'react';
import type { Locale, Text } from '../api/types';
import { en, type MessageKey } from './messages.en';
import { ar } from './messages.ar';

export const TIME_ZONE = 'Asia/Riyadh';
const MESSAGES = { en, ar } as const;
// Gregorian calendar and Western digits in Arabic too: what Saudi business software shows, and
// legible next to ids, JSON and phone numbers.
const INTL_LOCALE: Record<Locale, string> = { ar: 'ar-SA-u-ca-gregory-nu-latn', en: 'en-GB' };

export interface I18n {
  locale: Locale;
  dir: 'rtl' | 'ltr';
  t: (key: MessageKey, vars?: Record<string, string | number>) => string;
  text: (value: Text | undefined) => string;
  number: (n: number) => string;
  percent: (n: number) => string;
  /** A money amount given as a decimal string ("125000.50", as the API sends it): formatted exactly, never through a float. */
  money: (amount: string | null | undefined, currency?: string) => string;
  dateTime: (iso: string | null | undefined) => string;
  /** A calendar day 'YYYY-MM-DD' that is already a Riyadh day (analytics): shown as it is, no time-zone shift. */
  day: (ymd: string) => string;
  /** The same day in the Hijri (Umm al-Qura) calendar, shown beside the Gregorian one. */
  hijriDay: (ymd: string) => string;
  duration: (ms: number | null | undefined) => string;
}

export function makeI18n(locale: Locale): I18n {
  const messages = MESSAGES[locale];
  const intl = INTL_LOCALE[locale];
  const num = new Intl.NumberFormat(intl);
  const pct = new Intl.NumberFormat(intl, { style: 'percent', maximumFractionDigits: 1 });
  const dt = new Intl.DateTimeFormat(intl, { timeZone: TIME_ZONE, dateStyle: 'medium', timeStyle: 'short' });
  const unit = (u: 'millisecond' | 'second' | 'minute') => new Intl.NumberFormat(intl, { style: 'unit', unit: u, unitDisplay: 'narrow', maximumFractionDigits: 1 });
  const ms = unit('millisecond');
  const sec = unit('second');
  const min = unit('minute');
  // The day string names a Riyadh day already: format it at UTC midnight in UTC so no offset moves it.
  const dayFmt = new Intl.DateTimeFormat(intl, { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });
  const hijriFmt = new Intl.DateTimeFormat(`${locale === 'ar' ? 'ar-SA' : 'en-GB'}-u-ca-islamic-umalqura-nu-latn`, { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' });
  const ymdDate = (ymd: string) => new Date(`${ymd}T00:00:00Z`);
  const moneyFormats = new Map<string, Intl.NumberFormat>(); // one formatter per currency, made on first use
  return {
    locale,
    dir: locale === 'ar' ? 'rtl' : 'ltr',
    t: (key, vars) => {
      const template: string = messages[key] ?? en[key] ?? key;
      return vars ? template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : template;
    },
    text: (value) => (value ? value[locale] || value.en || value.ar : ''),
    number: (n) => num.format(n),
    percent: (n) => pct.format(n),
    money: (amount, currency = 'SAR') => {
      if (amount === null || amount === undefined || amount === '') return '—';
      let format = moneyFormats.get(currency);
      if (!format) moneyFormats.set(currency, (format = new Intl.NumberFormat(intl, { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 })));
      // Intl formats a decimal string digit for digit (no binary rounding of 123456789.01).
      return format.format(amount as unknown as number);
    },
    dateTime: (iso) => (iso ? dt.format(new Date(iso)) : '—'),
    day: (ymd) => dayFmt.format(ymdDate(ymd)),
    hijriDay: (ymd) => hijriFmt.format(ymdDate(ymd)),
    duration: (d) => {
      if (d === null || d === undefined) return '—';
      if (d < 1000) return ms.format(d);
      if (d < 60_000) return sec.format(d / 1000);
      return min.format(d / 60_000);
    },
  };
}

const I18nContext = createContext<I18n>(makeI18n('ar'));

export function I18nProvider({ locale, children }: { locale: Locale; children: ReactNode }) {
  const value = useMemo(() => makeI18n(locale), [locale]);
  useEffect(() => {
    document.documentElement.lang = locale;
    document.documentElement.dir = value.dir;
    document.title = value.t('app.title');
  }, [locale, value]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  return useContext(I18nContext);
}

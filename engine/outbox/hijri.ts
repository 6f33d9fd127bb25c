// Hijri (Umm al-Qura) dates for display and for the approximate dates of the Eids. The
// calendar is named explicitly in the locale (`-u-ca-islamic-umalqura`): plain `ar-SA` formats
// Gregorian dates on some ICU builds. Eid dates follow the sighting of the moon, so the ones
// computed here are marked approximate for an admin to confirm.
import { DEFAULT_TIMEZONE, type HolidayName } from './send-policy.js';
import { addDays, dateKey, parseDateKey } from './zoned-time.js';

export type DisplayLocale = 'ar' | 'en';

const CALENDAR = 'islamic-umalqura';
const LOCALES: Record<DisplayLocale, string> = { ar: `ar-SA-u-ca-${CALENDAR}`, en: `en-u-ca-${CALENDAR}` };

const formatters = new Map<string, Intl.DateTimeFormat>();

function cached(key: string, make: () => Intl.DateTimeFormat): Intl.DateTimeFormat {
  let f = formatters.get(key);
  if (!f) {
    f = make();
    const calendar = f.resolvedOptions().calendar;
    if (calendar !== CALENDAR) throw new Error(`this runtime's ICU has no ${CALENDAR} calendar (got ${calendar}); run Node with full ICU`);
    formatters.set(key, f);
  }
  return f;
}

/** e.g. ar: "١ شوال ١٤٤٧ هـ", en: "Shawwal 1, 1447 AH" (the Hijri date of `date` in time zone `tz`). */
export function formatHijri(date: Date, locale: DisplayLocale, tz: string = DEFAULT_TIMEZONE): string {
  const f = cached(`${locale}|${tz}`, () => new Intl.DateTimeFormat(LOCALES[locale], { timeZone: tz, year: 'numeric', month: 'long', day: 'numeric' }));
  return f.format(date);
}

export interface HijriDate {
  year: number;
  /** 1 = Muharram … 9 = Ramadan, 10 = Shawwal, 12 = Dhu al-Hijjah */
  month: number;
  day: number;
}

/** The Umm al-Qura date of `date` in time zone `tz`, as numbers. */
export function hijriDate(date: Date, tz: string = DEFAULT_TIMEZONE): HijriDate {
  const f = cached(`parts|${tz}`, () => new Intl.DateTimeFormat(`en-u-ca-${CALENDAR}-nu-latn`, { timeZone: tz, year: 'numeric', month: 'numeric', day: 'numeric' }));
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(date)) if (p.type === 'year' || p.type === 'month' || p.type === 'day') out[p.type] = Number(p.value);
  return { year: out.year ?? NaN, month: out.month ?? NaN, day: out.day ?? NaN };
}

/** Noon UTC of a calendar date: formatted in UTC, it is that date whatever the zone. */
function noonOf(key: string): Date {
  const p = parseDateKey(key);
  if (!p) throw new RangeError(`not a calendar date (YYYY-MM-DD): ${JSON.stringify(key)}`);
  const d = new Date(Date.UTC(2000, p.month - 1, p.day, 12));
  d.setUTCFullYear(p.year);
  return d;
}

/** The Hijri rendering of a Gregorian calendar date 'YYYY-MM-DD' (a holiday's date). */
export function formatHijriDate(key: string, locale: DisplayLocale): string {
  return formatHijri(noonOf(key), locale, 'UTC');
}

/** The Umm al-Qura date of a Gregorian calendar date 'YYYY-MM-DD'. */
export function hijriOfDate(key: string): HijriDate {
  return hijriDate(noonOf(key), 'UTC');
}

export interface DefaultHoliday {
  key: 'founding_day' | 'national_day' | 'eid_al_fitr' | 'eid_al_adha';
  from: string;
  to: string;
  name: HolidayName;
  /** Computed from the Umm al-Qura calendar: the real date follows the moon sighting; an admin confirms it. */
  approximate: boolean;
}

const NAMES: Record<DefaultHoliday['key'], HolidayName> = {
  founding_day: { ar: 'يوم التأسيس', en: 'Founding Day' },
  national_day: { ar: 'اليوم الوطني', en: 'National Day' },
  eid_al_fitr: { ar: 'عيد الفطر', en: 'Eid al-Fitr' },
  eid_al_adha: { ar: 'عيد الأضحى', en: 'Eid al-Adha' },
};

/**
 * Saudi public holidays starting in Gregorian `year`: Founding Day (22 Feb) and National Day
 * (23 Sep), fixed; Eid al-Fitr (1–3 Shawwal) and Eid al-Adha (10–12 Dhu al-Hijjah), found by
 * scanning the year's days in the Umm al-Qura calendar and marked approximate. An Eid can fall
 * twice in one Gregorian year (a Hijri year is ~354 days): both are returned. Sorted by date.
 */
export function defaultSaudiHolidays(year: number): DefaultHoliday[] {
  if (!Number.isInteger(year) || year < 1900 || year > 2200) throw new RangeError(`year out of range (1900–2200): ${year}`);
  const out: DefaultHoliday[] = [
    { key: 'founding_day', from: dateKey(year, 2, 22), to: dateKey(year, 2, 22), name: NAMES.founding_day, approximate: false },
    { key: 'national_day', from: dateKey(year, 9, 23), to: dateKey(year, 9, 23), name: NAMES.national_day, approximate: false },
  ];
  for (let day = dateKey(year, 1, 1); day.startsWith(`${year}-`); day = addDays(day, 1)) {
    const h = hijriOfDate(day);
    if (h.month === 10 && h.day === 1) out.push({ key: 'eid_al_fitr', from: day, to: addDays(day, 2), name: NAMES.eid_al_fitr, approximate: true });
    if (h.month === 12 && h.day === 10) out.push({ key: 'eid_al_adha', from: day, to: addDays(day, 2), name: NAMES.eid_al_adha, approximate: true });
  }
  return out.sort((a, b) => a.from.localeCompare(b.from)).map((h) => ({ ...h, name: { ...h.name } }));
}

// Wall-clock arithmetic in an IANA time zone with nothing but Intl.DateTimeFormat: the local
// date and time of an instant, and the earliest instant of a local date (or of a local time on
// that date). Correct across DST changes: a local time may not exist (spring forward: the first
// instant after the gap is used) or exist twice (fall back: the earlier one is used).
//
// Local calendar dates are 'YYYY-MM-DD' strings (they compare correctly as strings).

export interface LocalDateTime {
  /** 'YYYY-MM-DD' on the wall calendar of the zone. */
  date: string;
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday (as Date#getDay). */
  weekday: number;
  /** Milliseconds since local midnight on the wall clock (0 ≤ wallMs < 86 400 000). */
  wallMs: number;
  /** Local wall time minus UTC, in ms (Asia/Riyadh: +10 800 000). */
  offsetMs: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const DATE_KEY = /^(\d{4})-(\d{2})-(\d{2})$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US-u-ca-gregory-nu-latn', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether `tz` is an IANA zone this runtime knows. */
export function isValidTimeZone(tz: string): boolean {
  if (typeof tz !== 'string' || tz.length === 0) return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export function dateKey(year: number, month: number, day: number): string {
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

/** Parse 'YYYY-MM-DD'; null unless it is a real calendar date (no 2026-02-30). */
export function parseDateKey(key: string): { year: number; month: number; day: number } | null {
  const m = DATE_KEY.exec(key);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  d.setUTCFullYear(year); // years 0–99 would otherwise map to 1900–1999
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return { year, month, day };
}

function mustParse(key: string): { year: number; month: number; day: number } {
  const p = parseDateKey(key);
  if (!p) throw new RangeError(`not a calendar date (YYYY-MM-DD): ${JSON.stringify(key)}`);
  return p;
}

/** Midnight UTC of a calendar date, in epoch ms (the date as a number, not an instant of any zone). */
function utcMidnight(key: string): number {
  const { year, month, day } = mustParse(key);
  return Date.UTC(year, month - 1, day);
}

/** The calendar date `days` after (or before, if negative) `key`. */
export function addDays(key: string, days: number): string {
  const d = new Date(utcMidnight(key) + days * DAY_MS);
  return dateKey(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(key: string): number {
  return new Date(utcMidnight(key)).getUTCDay();
}

/** Whole days from `a` to `b` (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((utcMidnight(b) - utcMidnight(a)) / DAY_MS);
}

/** The wall-clock date and time of instant `ms` in `tz`. */
export function localDateTime(ms: number, tz: string): LocalDateTime {
  if (!Number.isFinite(ms)) throw new RangeError('not a valid instant');
  const whole = Math.floor(ms / 1000) * 1000;
  const fraction = ms - whole;
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(whole)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const year = parts.year ?? NaN;
  const month = parts.month ?? NaN;
  const day = parts.day ?? NaN;
  const hour = (parts.hour ?? NaN) % 24; // some ICU builds say 24 at midnight
  const minute = parts.minute ?? NaN;
  const second = parts.second ?? NaN;
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = dateKey(year, month, day);
  return {
    date,
    year,
    month,
    day,
    hour,
    minute,
    second,
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
    wallMs: hour * HOUR_MS + minute * 60_000 + second * 1000 + fraction,
    offsetMs: asUtc - whole,
  };
}

/** The local calendar date of an instant in `tz`. */
export function localDateOf(at: Date, tz: string): string {
  return localDateTime(at.getTime(), tz).date;
}

/**
 * The earliest instant t ≥ notBefore whose local date is `date` and for which `accept` holds,
 * where `accept` can only turn true as the wall clock passes `wallFrom` on that date, at a UTC
 * offset change, or at notBefore itself. Null when there is none on that date.
 *
 * Why this is exact: the predicate can switch from false to true only where the wall clock
 * crosses `wallFrom` moving forward (t = date + wallFrom − offset, for an offset in force that
 * day), or where it jumps (an offset change). Trying those instants and notBefore, and keeping
 * the earliest that qualifies, finds the first one.
 */
export function earliestOnDate(date: string, tz: string, wallFrom: number, notBefore: number, accept: (local: LocalDateTime) => boolean): number | null {
  const midnight = utcMidnight(date);
  // Every instant whose local date is `date`, for offsets from −12 h to +14 h.
  const lo = midnight - 14 * HOUR_MS;
  const hi = midnight + DAY_MS + 14 * HOUR_MS;
  const offLo = localDateTime(lo, tz).offsetMs;
  const offHi = localDateTime(hi, tz).offsetMs;
  const candidates = [notBefore, midnight + wallFrom - offLo];
  if (offHi !== offLo) {
    candidates.push(midnight + wallFrom - offHi);
    candidates.push(offsetChange(lo, hi, offLo, tz));
  }
  let best: number | null = null;
  for (const c of candidates) {
    if (c < notBefore || (best !== null && c >= best)) continue;
    const local = localDateTime(c, tz);
    if (local.date === date && accept(local)) best = c;
  }
  return best;
}

/** First whole second in (lo, hi] whose offset differs from `offLo` (offsets change on whole seconds). */
function offsetChange(lo: number, hi: number, offLo: number, tz: string): number {
  let a = lo / 1000; // offset at a is offLo
  let b = hi / 1000; // offset at b differs
  while (b - a > 1) {
    const mid = Math.floor((a + b) / 2);
    if (localDateTime(mid * 1000, tz).offsetMs === offLo) a = mid;
    else b = mid;
  }
  return b * 1000;
}

/** The first instant of local calendar date `date` in `tz` (local midnight, or the end of a DST gap spanning it). */
export function startOfLocalDate(date: string, tz: string): Date {
  const midnight = utcMidnight(date);
  const t = earliestOnDate(date, tz, 0, midnight - 14 * HOUR_MS, () => true);
  if (t === null) throw new RangeError(`${date} does not occur in ${tz}`); // a skipped day (e.g. Pacific/Apia 2011-12-30)
  return new Date(t);
}

/** The first instant of the local day (in `tz`) that contains `at`. */
export function localDayStart(at: Date, tz: string): Date {
  return startOfLocalDate(localDateOf(at, tz), tz);
}

/** The first instant of the local day (in `tz`) after the one that contains `at`. */
export function nextLocalDayStart(at: Date, tz: string): Date {
  let date = addDays(localDateOf(at, tz), 1);
  // A zone that skipped a whole day has no start for it: the next day that exists.
  for (let i = 0; i < 3; i++) {
    try {
      return startOfLocalDate(date, tz);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      date = addDays(date, 1);
    }
  }
  return startOfLocalDate(date, tz);
}

// Asia/Riyadh is UTC+3 all year (no DST), so a fixed offset is exact.
const RIYADH_OFFSET_MS = 3 * 60 * 60 * 1000;

/** ISO 8601 with the +03:00 offset, e.g. 2026-11-26T02:15:00.000+03:00. */
export function riyadhIso(date: Date): string {
  return new Date(date.getTime() + RIYADH_OFFSET_MS).toISOString().replace('Z', '+03:00');
}

// SAR amounts: decimal strings with at most two places ("125000.50"), never floats. NUMERIC(14,2)
// holds at most 12 digits before the point.
export const SAR_PATTERN = '^(0|[1-9][0-9]{0,11})(\\.[0-9]{1,2})?$';
const SAR_RE = new RegExp(SAR_PATTERN);

/** The canonical form of a SAR amount ("7" → "7.00", "0.5" → "0.50"), or null when it is not one. Pure. */
export function canonicalSar(text: string): string | null {
  if (!SAR_RE.test(text)) return null;
  const [whole, fraction = ''] = text.split('.');
  return `${whole}.${fraction.padEnd(2, '0')}`;
}

/** Halalas (integer) of a canonical amount, for arithmetic without floats. */
export function sarToHalalas(text: string): bigint {
  const canonical = canonicalSar(text);
  if (canonical === null) throw new Error(`not a SAR amount: ${text}`);
  return BigInt(canonical.replace('.', ''));
}

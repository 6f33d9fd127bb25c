// ZATCA (Fatoora) simplified tax invoice QR payload: the five mandatory fields as TLV records —
// tag (1 byte), length of the UTF-8 value in bytes (1 byte), the value — concatenated and
// base64-encoded. That base64 text is what the QR code holds.
//   1 seller name · 2 VAT registration number · 3 invoice timestamp (ISO 8601)
//   4 invoice total with VAT · 5 VAT total   (amounts as decimal text, e.g. "1150.00")
// Pure; the QR image is made by the server (server/invoicing/zatca-qr.ts). Amounts come in as
// integer halalas and are written with two decimals by string arithmetic, never floats.

export interface ZatcaInvoiceFields {
  sellerName: string;
  vatNumber: string;
  /** ISO 8601 timestamp of the invoice, e.g. 2022-04-25T15:30:00Z. */
  timestamp: string;
  /** Invoice total including VAT, as a decimal string ("1150.00"). */
  totalWithVat: string;
  /** VAT total, as a decimal string ("150.00"). */
  vatTotal: string;
}

/** A field that cannot be encoded (empty, or longer than 255 UTF-8 bytes); `field` names it. */
export class ZatcaFieldError extends Error {
  override readonly name = 'ZatcaFieldError';
  constructor(
    readonly field: keyof ZatcaInvoiceFields,
    message: string,
  ) {
    super(message);
  }
}

const ORDER: (keyof ZatcaInvoiceFields)[] = ['sellerName', 'vatNumber', 'timestamp', 'totalWithVat', 'vatTotal'];

/** Halalas as the decimal text ZATCA expects: 115000 → "1150.00". */
export function zatcaAmount(halalas: number): string {
  if (!Number.isSafeInteger(halalas) || halalas < 0) throw new RangeError(`an amount in halalas is a non-negative integer, not ${halalas}`);
  const s = String(halalas).padStart(3, '0');
  return `${s.slice(0, -2)}.${s.slice(-2)}`;
}

/** The TLV bytes of the five fields, tags 1–5 in order. */
export function zatcaTlv(fields: ZatcaInvoiceFields): Buffer {
  const parts: Buffer[] = [];
  ORDER.forEach((field, i) => {
    const value = Buffer.from(fields[field], 'utf8');
    if (value.length === 0) throw new ZatcaFieldError(field, `${field} is empty`);
    // The length is one byte: 255 bytes at most (an Arabic letter is 2 bytes in UTF-8).
    if (value.length > 255) throw new ZatcaFieldError(field, `${field} is ${value.length} bytes in UTF-8; at most 255`);
    parts.push(Buffer.from([i + 1, value.length]), value);
  });
  return Buffer.concat(parts);
}

/** The QR payload: base64 of the TLV bytes. */
export function zatcaQrBase64(fields: ZatcaInvoiceFields): string {
  return zatcaTlv(fields).toString('base64');
}

/** Read a payload back (verification, tests): every TLV record as {tag, value}. */
export function decodeZatcaQr(base64: string): { tag: number; value: string }[] {
  const bytes = Buffer.from(base64, 'base64');
  const out: { tag: number; value: string }[] = [];
  for (let i = 0; i < bytes.length; ) {
    if (i + 2 > bytes.length) throw new Error('truncated TLV record');
    const tag = bytes[i]!;
    const length = bytes[i + 1]!;
    if (i + 2 + length > bytes.length) throw new Error(`TLV record ${tag} runs past the end`);
    out.push({ tag, value: bytes.subarray(i + 2, i + 2 + length).toString('utf8') });
    i += 2 + length;
  }
  return out;
}

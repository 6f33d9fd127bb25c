// The ZATCA simplified-invoice QR code as an image, for invoice/proposal documents and the API
// (POST /api/v1/invoicing/zatca-qr). The payload is engine/invoicing/zatca-tlv.ts's base64 TLV;
// the image is made by the `qrcode` package: PNG (a data URL, for HTML/PDF) and SVG (scales
// without blur in a PDF). Error correction M, the usual choice for printed receipts.
import { zatcaAmount, zatcaQrBase64 } from '../../engine/index.js';

export interface ZatcaQrInput {
  sellerName: string;
  vatNumber: string;
  /** ISO 8601 timestamp of the invoice. */
  timestamp: string;
  /** Invoice total with VAT, integer halalas. */
  totalWithVatHalalas: number;
  /** VAT total, integer halalas. */
  vatTotalHalalas: number;
}

export interface ZatcaQr {
  /** The QR payload (base64 TLV): store it with the invoice. */
  payload: string;
  /** data:image/png;base64,… */
  png: string;
  svg: string;
}

export async function zatcaQr(input: ZatcaQrInput): Promise<ZatcaQr> {
  const payload = zatcaQrBase64({
    sellerName: input.sellerName,
    vatNumber: input.vatNumber,
    timestamp: input.timestamp,
    totalWithVat: zatcaAmount(input.totalWithVatHalalas),
    vatTotal: zatcaAmount(input.vatTotalHalalas),
  });
  // Loaded on first use: most starts never draw a QR code.
  const { default: QRCode } = await import('qrcode');
  const options = { errorCorrectionLevel: 'M' as const, margin: 2 };
  const [png, svg] = await Promise.all([QRCode.toDataURL(payload, { ...options, width: 256 }), QRCode.toString(payload, { ...options, type: 'svg' })]);
  return { payload, png, svg };
}

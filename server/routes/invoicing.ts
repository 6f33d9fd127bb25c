// Invoicing helpers for documents built elsewhere (proposals, invoices): the ZATCA simplified
// tax invoice QR code (server/invoicing/zatca-qr.ts). Amounts in integer halalas.
import { Type } from '@sinclair/typebox';
import { ApiError } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { route, type RouteSpec } from '../http/route.js';
import { zatcaQr } from '../invoicing/zatca-qr.js';

const Halalas = (description: string) => Type.Integer({ minimum: 0, maximum: 99_999_999_999_999, description });

const ZatcaBody = Type.Object(
  {
    sellerName: Type.String({ minLength: 1, maxLength: 255, pattern: '\\S', description: 'seller name as registered (Arabic is fine: at most 255 UTF-8 bytes)' }),
    vatNumber: Type.String({ pattern: '^3[0-9]{13}3$', description: 'VAT registration number: 15 digits, first and last 3' }),
    timestamp: Type.String({ format: 'date-time', maxLength: 40, description: 'invoice time, ISO 8601, e.g. 2026-03-01T09:00:00Z' }),
    totalWithVatHalalas: Halalas('invoice total with VAT, integer halalas (115000 = 1,150.00 SAR)'),
    vatTotalHalalas: Halalas('VAT total, integer halalas'),
  },
  { additionalProperties: false },
);

const ZatcaAnswer = Type.Object(
  {
    payload: Type.String({ description: 'base64 TLV (tags 1–5): what the QR code holds' }),
    png: Type.String({ description: 'data:image/png;base64,…' }),
    svg: Type.String(),
  },
  { additionalProperties: false },
);

export function invoicingRoutes(_ctx: AppContext): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/invoicing/zatca-qr',
      summary: 'ZATCA simplified tax invoice QR code: the base64 TLV payload (seller, VAT number, time, total with VAT, VAT) and its image (PNG data URL, SVG)',
      tag: 'invoicing',
      access: 'authenticated',
      body: ZatcaBody,
      response: ZatcaAnswer,
      handler: async ({ body }) => {
        if (body.vatTotalHalalas > body.totalWithVatHalalas) {
          throw new ApiError(400, 'invalid_request', 'the VAT total cannot exceed the invoice total', [{ path: '/body/vatTotalHalalas', code: 'invalid_value', message: 'greater than totalWithVatHalalas' }]);
        }
        return await zatcaQr(body);
      },
    }),
  ];
}

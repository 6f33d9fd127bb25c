// proposal.pdf: renders an Arabic (RTL) proposal or ZATCA simplified invoice to PDF — line items
// in integer halalas, VAT 15% on the taxable total (rounded half up to the halala), Hijri and
// Gregorian dates in Asia/Riyadh, seller and buyer details, and on invoices the ZATCA QR code.
// The PDF (at most MAX_PDF_BYTES) is stored in the tenant's documents (ctx.documents, once per
// step) and the output names it (`documentId`) for send.email `attachments` or send.whatsapp
// `document`; only a runtime without a document store puts the PDF itself in the output (`base64`).
import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { choices, defineNode, Expr, label, NodeFailure } from '../engine/index.js';
import { OUT_PORT } from './shared/ports.js';
import { MAX_AMOUNT_HALALAS, MAX_LINES, MAX_QUANTITY, MAX_TEXT, ProposalInputError, renderProposalPdf, type ProposalLine } from './shared/proposal-pdf.js';

const text = (max: number, en: string, ar: string, dEn?: string, dAr?: string) => Type.String({ minLength: 1, maxLength: max, ...(dEn && dAr ? label(en, ar, dEn, dAr) : label(en, ar)) });

const party = (en: string, ar: string, seller: boolean) =>
  Type.Object(
    {
      name: text(MAX_TEXT, 'Name', 'الاسم'),
      ...(seller
        ? { vatNumber: Type.String({ pattern: '^3[0-9]{13}3$', ...label('VAT number', 'الرقم الضريبي', '15 digits, starts and ends with 3', '15 رقمًا يبدأ وينتهي بالرقم 3') }) }
        : { vatNumber: Type.Optional(Type.String({ pattern: '^3[0-9]{13}3$', ...label('VAT number', 'الرقم الضريبي') })) }),
      crNumber: Type.Optional(Type.String({ pattern: '^[0-9]{10}$', ...label('CR number', 'رقم السجل التجاري', '10 digits', '10 أرقام') })),
      address: Type.Optional(text(MAX_TEXT, 'Address', 'العنوان')),
      email: Type.Optional(text(254, 'Email', 'البريد الإلكتروني')),
      phone: Type.Optional(text(32, 'Phone', 'الهاتف')),
    },
    { additionalProperties: false, ...label(en, ar) },
  );

const params = Type.Object(
  {
    kind: Type.Union(choices(['proposal', 'invoice'] as const, { proposal: ['Proposal', 'عرض سعر'], invoice: ['Simplified tax invoice', 'فاتورة ضريبية مبسطة'] }), {
      default: 'proposal',
      ...label('Document', 'المستند', 'An invoice carries the ZATCA QR code', 'الفاتورة تحمل رمز الاستجابة السريعة لهيئة الزكاة'),
    }),
    number: Expr(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9/_.-]+$', ...label('Document number', 'رقم المستند', 'e.g. Q-2026-0042', 'مثل Q-2026-0042') })),
    seller: Expr(party('Seller', 'البائع', true)),
    buyer: Expr(party('Buyer (contact or deal)', 'العميل (جهة الاتصال أو الصفقة)', false)),
    lines: Expr(
      Type.Array(
        Type.Object(
          {
            description: text(MAX_TEXT, 'Description', 'الوصف'),
            quantity: Type.Integer({ minimum: 1, maximum: MAX_QUANTITY, ...label('Quantity', 'الكمية') }),
            unitPriceHalalas: Type.Integer({ minimum: 0, maximum: MAX_AMOUNT_HALALAS, ...label('Unit price (halalas)', 'سعر الوحدة (بالهللة)', 'Integer halalas, VAT excluded: 150050 is 1,500.50 SAR', 'عدد صحيح بالهللة دون الضريبة: 150050 تعني 1,500.50 ريال') }),
          },
          { additionalProperties: false, ...label('Line', 'بند') },
        ),
        { minItems: 1, maxItems: MAX_LINES, ...label('Line items', 'البنود', `1 to ${MAX_LINES} lines`, `من 1 إلى ${MAX_LINES} بندًا`) },
      ),
    ),
    validDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, ...label('Valid for (days)', 'مدة الصلاحية (بالأيام)') })),
    notes: Type.Optional(Expr(Type.String({ maxLength: 2000, ...label('Notes', 'ملاحظات') }))),
  },
  { additionalProperties: false },
);

function asObject(v: unknown, path: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new NodeFailure('invalid_params', 'expected an object', { retryable: false, path });
  return v as Record<string, unknown>;
}

function str(o: Record<string, unknown>, key: string, path: string, max: number, required: boolean): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') {
    if (required) throw new NodeFailure('invalid_params', `${key} is required`, { retryable: false, path: `${path}/${key}` });
    return undefined;
  }
  if (typeof v !== 'string' || v.length > max) throw new NodeFailure('invalid_params', `${key} is text of at most ${max} characters`, { retryable: false, path: `${path}/${key}` });
  return v;
}

/** Params resolved from expressions are checked again here: a tenant's data is not trusted. */
function partyOf(v: unknown, path: string, seller: boolean) {
  const o = asObject(v, path);
  const vat = str(o, 'vatNumber', path, 15, seller);
  if (vat !== undefined && !/^3[0-9]{13}3$/.test(vat)) throw new NodeFailure('invalid_params', 'the VAT number is 15 digits starting and ending with 3', { retryable: false, path: `${path}/vatNumber` });
  const cr = str(o, 'crNumber', path, 10, false);
  if (cr !== undefined && !/^[0-9]{10}$/.test(cr)) throw new NodeFailure('invalid_params', 'the CR number is 10 digits', { retryable: false, path: `${path}/crNumber` });
  const out = { name: str(o, 'name', path, MAX_TEXT, true) ?? '', vatNumber: vat, crNumber: cr, address: str(o, 'address', path, MAX_TEXT, false), email: str(o, 'email', path, 254, false), phone: str(o, 'phone', path, 32, false) };
  return Object.fromEntries(Object.entries(out).filter(([, x]) => x !== undefined)) as typeof out;
}

function linesOf(v: unknown): ProposalLine[] {
  if (!Array.isArray(v)) throw new NodeFailure('invalid_params', 'lines is a list', { retryable: false, path: '/params/lines' });
  if (v.length < 1 || v.length > MAX_LINES) throw new NodeFailure('invalid_params', `1 to ${MAX_LINES} lines`, { retryable: false, path: '/params/lines' });
  return v.map((l, i) => {
    const o = asObject(l, `/params/lines/${i}`);
    return { description: str(o, 'description', `/params/lines/${i}`, MAX_TEXT, true) ?? '', quantity: o.quantity as number, unitPriceHalalas: o.unitPriceHalalas as number };
  });
}

export const proposalPdfNode = defineNode({
  type: 'proposal.pdf',
  category: 'sales',
  sideEffects: false,
  label: { en: 'Proposal PDF', ar: 'عرض سعر PDF' },
  description: {
    en: 'Renders an Arabic proposal or simplified tax invoice to PDF: line items in halalas, VAT 15% on the total (rounded half up), Hijri and Gregorian dates, seller and buyer, and the ZATCA QR code on invoices. Stores the PDF in the workspace’s documents and outputs {documentId, filename, contentType, bytes, sha256, subtotalHalalas, vatHalalas, totalHalalas, qrPayload?}; attach it with send.email attachments or send.whatsapp document.',
    ar: 'ينشئ عرض سعر أو فاتورة ضريبية مبسطة بالعربية بصيغة PDF: البنود بالهللة، وضريبة القيمة المضافة 15% على الإجمالي (تقريب النصف للأعلى)، والتاريخان الهجري والميلادي، وبيانات البائع والعميل، ورمز هيئة الزكاة على الفواتير. ويحفظ الملف في مستندات مساحة العمل ويُخرج {documentId, filename, contentType, bytes, sha256, subtotalHalalas, vatHalalas, totalHalalas, qrPayload?}؛ أرفقه عبر مرفقات send.email أو مستند send.whatsapp.',
  },
  icon: 'file-text',
  params,
  outputs: [OUT_PORT],
  async execute(ctx) {
    const p = ctx.params;
    const seller = partyOf(p.seller, '/params/seller', true);
    const buyer = partyOf(p.buyer, '/params/buyer', false);
    const lines = linesOf(p.lines);
    const notes = p.notes === undefined ? undefined : String(p.notes);
    if (notes !== undefined && notes.length > 2000) throw new NodeFailure('invalid_params', 'notes are at most 2000 characters', { retryable: false, path: '/params/notes' });
    const number = String(p.number);
    if (!/^[A-Za-z0-9/_.-]{1,64}$/.test(number)) throw new NodeFailure('invalid_params', 'the document number is 1 to 64 letters, digits or / _ . -', { retryable: false, path: '/params/number' });
    const issuedAt = ctx.now();
    try {
      const { pdf, totals, qrPayload } = await renderProposalPdf({
        kind: p.kind === 'invoice' ? 'invoice' : 'proposal',
        number,
        issuedAt,
        ...(p.validDays ? { validUntil: new Date(issuedAt.getTime() + p.validDays * 86_400_000) } : {}),
        seller: { ...seller, vatNumber: seller.vatNumber ?? '' },
        buyer,
        lines,
        ...(notes ? { notes } : {}),
      });
      ctx.log(`${p.kind} ${number}: ${pdf.length} bytes, total ${totals.totalHalalas} halalas`);
      const filename = `${p.kind}-${number.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf`;
      const amounts = { subtotalHalalas: totals.subtotalHalalas, vatHalalas: totals.vatHalalas, totalHalalas: totals.totalHalalas, ...(qrPayload ? { qrPayload } : {}) };
      if (ctx.documents) {
        // Stored once per step: a re-run answers the first run's document (its bytes and hash).
        const stored = await ctx.documents.store({ filename, contentType: 'application/pdf', data: pdf });
        return { port: 'out', output: { documentId: stored.id, filename: stored.filename, contentType: stored.contentType, bytes: stored.bytes, sha256: stored.sha256, ...amounts } };
      }
      // No document store (a hand-built runtime): the PDF itself travels in the output.
      return {
        port: 'out',
        output: { filename, contentType: 'application/pdf', bytes: pdf.length, sha256: createHash('sha256').update(pdf).digest('hex'), base64: pdf.toString('base64'), ...amounts },
      };
    } catch (e) {
      if (e instanceof ProposalInputError) throw new NodeFailure('invalid_params', e.message, { retryable: false, path: '/params' + e.path });
      throw e;
    }
  },
});

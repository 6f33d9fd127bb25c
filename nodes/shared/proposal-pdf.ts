// The Arabic (RTL) proposal / simplified-invoice PDF: amounts in integer halalas, VAT 15% on the
// taxable total (ZATCA: rounded half up to the halala), Hijri + Gregorian dates in Asia/Riyadh,
// and on invoices the ZATCA QR code drawn as vector squares.
// pdfkit lays text out left to right; fontkit shapes Arabic (GSUB positional forms, lam-alef)
// and reverses an Arabic run into visual order itself. So each line goes through the Unicode
// bidi algorithm (bidi-js): runs of one embedding level are reordered visually (rule L2), each
// run is drawn with the font that has its glyphs (Arabic subset / Latin subset of IBM Plex Sans
// Arabic), and Arabic lines are right-aligned.
import { createRequire } from 'node:module';
import type PDFKitDocument from 'pdfkit';
import bidiFactory from 'bidi-js';
import { formatHijri, zatcaAmount, zatcaQrBase64 } from '../../engine/index.js';

const FONT_DIR = createRequire(import.meta.url).resolve('@fontsource/ibm-plex-sans-arabic/package.json').replace(/package\.json$/, 'files/');
const FONTS = {
  ar: `${FONT_DIR}ibm-plex-sans-arabic-arabic-400-normal.woff`,
  arBold: `${FONT_DIR}ibm-plex-sans-arabic-arabic-700-normal.woff`,
  latin: `${FONT_DIR}ibm-plex-sans-arabic-latin-400-normal.woff`,
  latinBold: `${FONT_DIR}ibm-plex-sans-arabic-latin-700-normal.woff`,
};

export const VAT_RATE_PERCENT = 15;
export const MAX_LINES = 50;
export const MAX_TEXT = 300;
/** Per line and in total: 10^13 halalas (100 billion SAR) keeps every product a safe integer. */
export const MAX_AMOUNT_HALALAS = 10_000_000_000_000;
export const MAX_QUANTITY = 1_000_000;
export const MAX_PDF_BYTES = 2 * 1024 * 1024;

export interface ProposalLine {
  description: string;
  quantity: number;
  unitPriceHalalas: number;
}

export interface ProposalParty {
  name: string;
  vatNumber?: string;
  crNumber?: string;
  address?: string;
  email?: string;
  phone?: string;
}

export interface ProposalData {
  kind: 'proposal' | 'invoice';
  number: string;
  issuedAt: Date;
  validUntil?: Date;
  seller: ProposalParty & { vatNumber: string };
  buyer: ProposalParty;
  lines: ProposalLine[];
  notes?: string;
  timeZone?: string;
}

export interface Totals {
  lines: Array<ProposalLine & { totalHalalas: number }>;
  subtotalHalalas: number;
  vatHalalas: number;
  totalHalalas: number;
}

export class ProposalInputError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** VAT on the taxable total, rounded half up to the halala (ZATCA), in integer arithmetic. */
export function vatOf(subtotalHalalas: number): number {
  // subtotal ≤ 10^13, × 15 stays below 2^53.
  return Math.floor((subtotalHalalas * VAT_RATE_PERCENT + 50) / 100);
}

/** Line totals, subtotal, VAT and total; a ProposalInputError with a path on bad lines. Pure. */
export function computeTotals(lines: ProposalLine[]): Totals {
  if (lines.length === 0) throw new ProposalInputError('/lines', 'a proposal needs at least one line');
  if (lines.length > MAX_LINES) throw new ProposalInputError('/lines', `at most ${MAX_LINES} lines`);
  let subtotal = 0;
  const out = lines.map((l, i) => {
    if (!Number.isSafeInteger(l.quantity) || l.quantity < 1 || l.quantity > MAX_QUANTITY) throw new ProposalInputError(`/lines/${i}/quantity`, `the quantity is a whole number from 1 to ${MAX_QUANTITY}`);
    if (!Number.isSafeInteger(l.unitPriceHalalas) || l.unitPriceHalalas < 0 || l.unitPriceHalalas > MAX_AMOUNT_HALALAS) throw new ProposalInputError(`/lines/${i}/unitPriceHalalas`, `the unit price is integer halalas from 0 to ${MAX_AMOUNT_HALALAS}`);
    const total = l.quantity * l.unitPriceHalalas;
    if (!Number.isSafeInteger(total) || total > MAX_AMOUNT_HALALAS) throw new ProposalInputError(`/lines/${i}`, 'the line total is too large');
    subtotal += total;
    if (subtotal > MAX_AMOUNT_HALALAS) throw new ProposalInputError(`/lines/${i}`, 'the proposal total is too large');
    return { ...l, totalHalalas: total };
  });
  const vat = vatOf(subtotal);
  return { lines: out, subtotalHalalas: subtotal, vatHalalas: vat, totalHalalas: subtotal + vat };
}

function groupThousands(digits: string, sep: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
}

/** "SAR 1,234.50" (en) or "1٬234٫50 ر.س" (ar: Arabic thousands and decimal separators). */
export function formatSar(halalas: number, locale: 'ar' | 'en'): string {
  const s = zatcaAmount(halalas); // exact "1234.50", string arithmetic
  const [whole = '0', frac = '00'] = s.split('.');
  return locale === 'en' ? `SAR ${groupThousands(whole, ',')}.${frac}` : `${groupThousands(whole, '\u066C')}\u066B${frac} ر.س`;
}

/** 2026-03-01, isolated left to right (LRI…PDI): in an Arabic line the hyphens would otherwise reverse the parts. */
function formatGregorian(d: Date, tz: string): string {
  return '\u2066' + new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d) + '\u2069';
}

// ---- bidi + drawing ------------------------------------------------------------------------

const bidi = bidiFactory();
const ARABIC = /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/;

const BIDI_CONTROLS = /[\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

interface Run {
  text: string;
  rtl: boolean;
  level: number;
}

/** A line split into runs of one embedding level, in visual (left-to-right) order. */
export function visualRuns(text: string, direction: 'rtl' | 'ltr'): Run[] {
  const { levels } = bidi.getEmbeddingLevels(text, direction);
  const runs: Run[] = [];
  for (let i = 0; i < text.length; i++) {
    const level = levels[i] ?? 0;
    const last = runs.at(-1);
    if (last && last.level === level) last.text += text[i];
    else runs.push({ text: text[i] ?? '', level, rtl: level % 2 === 1 });
  }
  // L2: from the highest level down to the lowest odd level, reverse every sequence of runs at that level or higher.
  const max = Math.max(0, ...runs.map((r) => r.level));
  const minOdd = Math.min(...runs.map((r) => r.level).filter((l) => l % 2 === 1), Infinity);
  for (let k = max; k >= minOdd && k > 0; k--) {
    for (let i = 0; i < runs.length; ) {
      if ((runs[i]?.level ?? 0) < k) {
        i++;
        continue;
      }
      let j = i;
      while (j < runs.length && (runs[j]?.level ?? 0) >= k) j++;
      runs.splice(i, j - i, ...runs.slice(i, j).reverse());
      i = j;
    }
  }
  // Mirrored characters (brackets) in RTL runs.
  for (const r of runs) if (r.rtl) r.text = [...r.text].map((c) => bidi.getMirroredCharacter(c) ?? c).join('');
  return runs;
}

type Doc = InstanceType<typeof PDFKitDocument>;

/** Pieces of a run that one font can draw, in visual order, ready for doc.text. */
function pieces(doc: Doc, run: Run, bold: boolean): Array<{ font: string; text: string }> {
  const ar = bold ? 'arBold' : 'ar';
  const latin = bold ? 'latinBold' : 'latin';
  const out: Array<{ font: string; text: string }> = [];
  for (const ch of run.text) {
    if (BIDI_CONTROLS.test(ch)) continue; // not drawn
    // The Arabic subset has the space, Arabic letters/digits and separators; Latin letters and digits are in the Latin subset.
    const font = ARABIC.test(ch) || (ch === ' ' && run.rtl) ? ar : latin;
    const last = out.at(-1);
    if (last && last.font === font) last.text += ch;
    else out.push({ font, text: ch });
  }
  // fontkit reverses any piece it sees as Arabic (Arabic-Indic digits in an LTR run too): pre-reverse those.
  if (!run.rtl) return out.map((p) => (ARABIC.test(p.text) ? { ...p, text: [...p.text].reverse().join('') } : p));
  // fontkit reverses an Arabic piece itself; a neutral-only piece (punctuation) is reversed here. The pieces go right to left.
  // Each word is its own piece: pdfkit misplaces a space's advance after a ligature inside one
  // text() call (the gap lands inside the next word), so spaces are drawn as pieces of their own.
  return out
    .flatMap((p) => p.text.split(/( +)/).filter(Boolean).map((t) => ({ font: p.font, text: t })))
    .reverse()
    .map((p) => (ARABIC.test(p.text) ? p : { ...p, text: [...p.text].reverse().join('') }));
}

const patched = new WeakSet<object>();

interface FkGlyph {
  codePoints: number[];
  logical?: number[];
}

/**
 * doc.font(name), with one fix to the text layer: fontkit gives a ligature glyph (lam-alef, and
 * IBM Plex's "تر", "في", "ين"…) its characters in logical order, but an RTL run is written in
 * visual order and PDF readers reverse it back character by character, which would turn "في"
 * into "يف" when copied. So in RTL runs a ligature's ToUnicode entry is stored reversed.
 */
function useFont(doc: Doc, name: string): Doc {
  doc.font(name);
  const fk = (doc as unknown as { _font?: { font?: { layout: (...a: unknown[]) => { direction: string; glyphs: FkGlyph[] } } } })._font?.font;
  if (fk && !patched.has(fk)) {
    patched.add(fk);
    const layout = fk.layout.bind(fk);
    fk.layout = (...args: unknown[]) => {
      const run = layout(...args);
      if (run.direction === 'rtl')
        for (const g of run.glyphs)
          if (g.codePoints.length > 1) {
            g.logical ??= g.codePoints;
            g.codePoints = [...g.logical].reverse();
          }
      return run;
    };
  }
  return doc;
}

function widthOf(doc: Doc, text: string, direction: 'rtl' | 'ltr', size: number, bold: boolean): number {
  let w = 0;
  for (const run of visualRuns(text, direction)) for (const p of pieces(doc, run, bold)) w += useFont(doc, p.font).fontSize(size).widthOfString(p.text);
  return w;
}

interface DrawOpts {
  size?: number;
  bold?: boolean;
  align?: 'left' | 'right';
  direction?: 'rtl' | 'ltr';
}

/** Draws one line (no wrapping) with its right edge (align right) or left edge at x. */
function drawLine(doc: Doc, text: string, x: number, y: number, opts: DrawOpts = {}): number {
  const size = opts.size ?? 10;
  const bold = opts.bold ?? false;
  const direction = opts.direction ?? (ARABIC.test(text) ? 'rtl' : 'ltr');
  const w = widthOf(doc, text, direction, size, bold);
  let cx = (opts.align ?? 'right') === 'right' ? x - w : x;
  for (const run of visualRuns(text, direction)) {
    for (const p of pieces(doc, run, bold)) {
      useFont(doc, p.font).fontSize(size).text(p.text, cx, y, { lineBreak: false });
      cx += doc.widthOfString(p.text);
    }
  }
  return w;
}

/** Splits text into lines that fit `width` (word wrap; a single word wider than `width` keeps its own line and overflows). */
function wrap(doc: Doc, text: string, width: number, size: number): string[] {
  const lines: string[] = [];
  for (const para of text.split(/\r?\n/)) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      const next = line ? `${line} ${word}` : word;
      if (widthOf(doc, next, 'rtl', size, false) <= width || !line) line = next;
      else {
        lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  return lines;
}

function drawQr(doc: Doc, modules: { size: number; get(r: number, c: number): number | boolean }, x: number, y: number, sizePt: number): void {
  const cell = sizePt / (modules.size + 4);
  doc.save().rect(x, y, sizePt, sizePt).fill('#ffffff').fillColor('#000000');
  for (let r = 0; r < modules.size; r++) for (let c = 0; c < modules.size; c++) if (modules.get(r, c)) doc.rect(x + (c + 2) * cell, y + (r + 2) * cell, cell, cell);
  doc.fill('#000000').restore();
}

/** Renders the document; the ZATCA QR payload is returned for invoices. Pure apart from CPU. */
export async function renderProposalPdf(data: ProposalData): Promise<{ pdf: Buffer; totals: Totals; qrPayload?: string }> {
  const totals = computeTotals(data.lines);
  // ZATCA's TLV holds at most 255 UTF-8 bytes per field: 300 Arabic letters are 600 bytes.
  if (data.kind === 'invoice' && Buffer.byteLength(data.seller.name, 'utf8') > 255) throw new ProposalInputError('/seller/name', "on an invoice the seller's name is at most 255 bytes in UTF-8 (about 127 Arabic letters): ZATCA's QR code limit");
  const tz = data.timeZone ?? 'Asia/Riyadh';
  // pdfkit (and fontkit under it) loads on the first document, not with every server start.
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({ size: 'A4', margin: 40, info: { Title: `${data.kind === 'invoice' ? 'Invoice' : 'Proposal'} ${data.number}`, Producer: 'Tadfuq', Creator: 'Tadfuq' } });
  for (const [name, path] of Object.entries(FONTS)) doc.registerFont(name, path);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });

  const left = 40;
  const right = doc.page.width - 40;
  let y = 40;
  const title = data.kind === 'invoice' ? 'فاتورة ضريبية مبسطة' : 'عرض سعر';
  drawLine(doc, title, right, y, { size: 20, bold: true });
  drawLine(doc, data.kind === 'invoice' ? 'Simplified Tax Invoice' : 'Proposal', left, y + 4, { size: 12, bold: true, align: 'left' });
  y += 36;
  drawLine(doc, `رقم المستند: ${data.number}`, right, y);
  y += 16;
  drawLine(doc, `التاريخ: ${formatHijri(data.issuedAt, 'ar', tz)} الموافق ${formatGregorian(data.issuedAt, tz)}`, right, y);
  y += 16;
  if (data.validUntil) {
    drawLine(doc, `صالح حتى: ${formatHijri(data.validUntil, 'ar', tz)} الموافق ${formatGregorian(data.validUntil, tz)}`, right, y);
    y += 16;
  }
  y += 10;

  // Seller on the right (first for an RTL reader), buyer on the left column.
  const colW = (right - left) / 2 - 10;
  const party = (heading: string, p: ProposalParty, edge: number): number => {
    let py = y;
    drawLine(doc, heading, edge, py, { bold: true, size: 12 });
    py += 18;
    const rows = [p.name, p.vatNumber && `الرقم الضريبي: ${p.vatNumber}`, p.crNumber && `السجل التجاري: ${p.crNumber}`, p.address && `العنوان: ${p.address}`, p.email, p.phone].filter((s): s is string => Boolean(s));
    for (const row of rows)
      for (const l of wrap(doc, row, colW, 10)) {
        drawLine(doc, l, edge, py);
        py += 14;
      }
    return py;
  };
  y = Math.max(party('البائع', data.seller, right), party('العميل', data.buyer, left + colW)) + 12;

  // Line items, columns from the right: description | quantity | unit price | total.
  const cols = { desc: right, qty: right - 250, unit: right - 320, total: right - 420 };
  doc.save().rect(left, y - 4, right - left, 20).fill('#eef2f5').restore().fillColor('#000000');
  drawLine(doc, 'الوصف', cols.desc - 4, y, { bold: true });
  drawLine(doc, 'الكمية', cols.qty, y, { bold: true });
  drawLine(doc, 'سعر الوحدة', cols.unit, y, { bold: true });
  drawLine(doc, 'الإجمالي', cols.total, y, { bold: true });
  y += 22;
  for (const line of totals.lines) {
    const descLines = wrap(doc, line.description, 240, 10);
    const h = descLines.length * 14;
    if (y + h > doc.page.height - 200) {
      doc.addPage();
      y = 40;
    }
    descLines.forEach((l, i) => drawLine(doc, l, cols.desc - 4, y + i * 14));
    drawLine(doc, String(line.quantity), cols.qty, y);
    drawLine(doc, formatSar(line.unitPriceHalalas, 'ar'), cols.unit, y);
    drawLine(doc, formatSar(line.totalHalalas, 'ar'), cols.total, y);
    y += h + 6;
    doc.moveTo(left, y - 3).lineTo(right, y - 3).lineWidth(0.3).strokeColor('#cccccc').stroke();
  }
  y += 8;
  const sums: Array<[string, number, boolean]> = [
    ['المجموع قبل الضريبة', totals.subtotalHalalas, false],
    [`ضريبة القيمة المضافة ${VAT_RATE_PERCENT}%`, totals.vatHalalas, false],
    ['الإجمالي شامل الضريبة', totals.totalHalalas, true],
  ];
  for (const [labelText, amount, bold] of sums) {
    drawLine(doc, labelText, right, y, { bold });
    drawLine(doc, formatSar(amount, 'ar'), cols.total, y, { bold });
    drawLine(doc, formatSar(amount, 'en'), cols.unit, y, { bold, size: 9 });
    y += 18;
  }
  if (data.notes) {
    y += 10;
    for (const l of wrap(doc, data.notes, right - left, 10)) {
      drawLine(doc, l, right, y);
      y += 14;
    }
  }

  let qrPayload: string | undefined;
  if (data.kind === 'invoice') {
    qrPayload = zatcaQrBase64({ sellerName: data.seller.name, vatNumber: data.seller.vatNumber, timestamp: data.issuedAt.toISOString(), totalWithVat: zatcaAmount(totals.totalHalalas), vatTotal: zatcaAmount(totals.vatHalalas) });
    // Loaded on first use, as server/invoicing/zatca-qr.ts does.
    const { default: QRCode } = await import('qrcode');
    const qr = QRCode.create(qrPayload, { errorCorrectionLevel: 'M' });
    if (y + 130 > doc.page.height - 40) {
      doc.addPage();
      y = 40;
    }
    drawQr(doc, qr.modules, left, y + 10, 120);
  }
  doc.end();
  await done;
  const pdf = Buffer.concat(chunks);
  if (pdf.length > MAX_PDF_BYTES) throw new ProposalInputError('/lines', `the PDF would be ${pdf.length} bytes, over the ${MAX_PDF_BYTES} limit`);
  return { pdf, totals, ...(qrPayload ? { qrPayload } : {}) };
}

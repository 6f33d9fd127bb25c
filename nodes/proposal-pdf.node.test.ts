import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { proposalPdfNode } from './proposal-pdf.node.js';
import { computeTotals, formatSar, MAX_LINES, renderProposalPdf, vatOf, visualRuns } from './shared/proposal-pdf.js';
import { checkParams, failureOf, portOutput, runNode } from './testing/run-node.js';
import { validateFlow, zatcaTlv } from '../engine/index.js';
import { createRegistry } from './registry.js';
import { driveFlow } from './testing/drive-flow.js';
import { FIXED_NOW } from './testing/run-node.js';

type Obj = Record<string, unknown>;

/** The text of every page, as pdf.js extracts it (what a reader copies), items joined. */
async function pdfText(pdf: Buffer): Promise<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(pdf), useSystemFonts: false, isEvalSupported: false }).promise;
  let out = '';
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i);
    const content = await page.getTextContent();
    out += content.items.map((it) => ('str' in it ? it.str : '')).join(' ') + '\n';
  }
  await doc.destroy();
  return out;
}
const squash = (s: string) => s.replace(/\s+/g, '');

const seller = { name: 'شركة تدفق للتقنية', vatNumber: '310122393500003', crNumber: '1010123456', address: 'طريق الملك فهد، الرياض' };
const buyer = { name: 'مؤسسة الأفق التجارية', address: 'جدة، حي الروضة' };
const lines = [
  { description: 'اشتراك سنوي في منصة تدفق', quantity: 3, unitPriceHalalas: 123450 },
  { description: 'تدريب الفريق لمدة يومين', quantity: 1, unitPriceHalalas: 500000 },
];

describe('proposal.pdf', () => {
  describe('amounts (integer halalas; VAT 15% on the taxable total, half up)', () => {
    it('rounds the VAT on the total half up to the halala', () => {
      expect(vatOf(10)).to.equal(2); // 1.5 → 2
      expect(vatOf(3)).to.equal(0); // 0.45 → 0
      expect(vatOf(870350)).to.equal(130553); // 130552.5 → 130553
      expect(vatOf(1)).to.equal(0); // 0.15
      expect(vatOf(4)).to.equal(1); // 0.6
      // On the total, not per line: three lines of 10 halalas → VAT of 30 (4.5 → 5), not 3 × 2 = 6.
      const t = computeTotals([1, 2, 3].map(() => ({ description: 'x', quantity: 1, unitPriceHalalas: 10 })));
      expect(t).to.include({ subtotalHalalas: 30, vatHalalas: 5, totalHalalas: 35 });
    });

    it('matches exact rational rounding for any subtotal', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 10_000_000_000_000 }), (s) => {
          const exact = BigInt(s) * 15n; // VAT × 100
          const expected = (exact + 50n) / 100n;
          return BigInt(vatOf(s)) === expected;
        }),
        { numRuns: 500 },
      );
    });

    it('formats SAR in English and Arabic without floats', () => {
      expect(formatSar(123450, 'en')).to.equal('SAR 1,234.50');
      expect(formatSar(123450, 'ar')).to.equal('1٬234٫50 ر.س');
      expect(formatSar(5, 'en')).to.equal('SAR 0.05');
      expect(formatSar(100_000_000_00, 'en')).to.equal('SAR 100,000,000.00');
    });

    it('refuses bad lines with a path', () => {
      expect(() => computeTotals([{ description: 'x', quantity: -1, unitPriceHalalas: 5 }])).to.throw(/quantity/).with.property('path', '/lines/0/quantity');
      expect(() => computeTotals([{ description: 'x', quantity: 1, unitPriceHalalas: 1.5 }])).to.throw().with.property('path', '/lines/0/unitPriceHalalas');
      expect(() => computeTotals([])).to.throw().with.property('path', '/lines');
      expect(() => computeTotals(Array.from({ length: MAX_LINES + 1 }, () => ({ description: 'x', quantity: 1, unitPriceHalalas: 1 })))).to.throw().with.property('path', '/lines');
      expect(() => computeTotals([{ description: 'x', quantity: 1_000_000, unitPriceHalalas: 10_000_000_000_000 }])).to.throw(/too large/).with.property('path', '/lines/0');
    });
  });

  describe('bidi', () => {
    it('orders an Arabic line with numbers and Latin visually (runs right to left, numbers left to right)', () => {
      const runs = visualRuns('المجموع 1,234.50 ريال', 'rtl');
      expect(runs.map((r) => [r.text, r.rtl])).to.deep.equal([
        [' ريال', true],
        ['1,234.50', false],
        ['المجموع ', true],
      ]);
      // Run texts stay in logical order (fontkit reverses Arabic), brackets mirrored: drawn as "عرض (Pro)".
      expect(visualRuns('(Pro) عرض', 'rtl').map((r) => r.text)).to.deep.equal(['( عرض', 'Pro', ')']);
    });

    it('shapes Arabic with the positional forms of the font (not isolated letters)', async () => {
      const require = createRequire(import.meta.url);
      const fontkit = await import('fontkit');
      const font = fontkit.openSync(require.resolve('@fontsource/ibm-plex-sans-arabic/files/ibm-plex-sans-arabic-arabic-400-normal.woff'));
      // عرض: ain initial (FECB), ra final (FEAE); reversed to visual order.
      expect(font.layout('عرض').glyphs.map((g) => g.name)).to.deep.equal(['uni0636', 'uniFEAE', 'uniFECB']);
    });
  });

  describe('the PDF', () => {
    it('holds the Arabic words in logical order and the totals, as a reader copies them', async () => {
      const { pdf, totals } = await renderProposalPdf({ kind: 'proposal', number: 'Q-2026-0042', issuedAt: new Date('2026-03-01T09:00:00Z'), validUntil: new Date('2026-03-15T09:00:00Z'), seller, buyer, lines });
      expect(pdf.subarray(0, 5).toString()).to.equal('%PDF-');
      expect(totals).to.include({ subtotalHalalas: 870350, vatHalalas: 130553, totalHalalas: 1000903 });
      const text = await pdfText(pdf);
      const flat = squash(text);
      // Ligature words (في, تر, ين, لإ) are the ones a naive ToUnicode map reverses.
      for (const w of ['عرض', 'سعر', 'البائع', 'العميل', 'الإجمالي', 'الضريبة', 'اشتراك', 'في', 'يومين', 'شركة', 'تدفق', 'الأفق', 'التجارية', 'ضريبة', 'القيمة', 'المضافة']) expect(flat, w).to.include(w);
      expect(text).to.include('SAR 8,703.50').and.include('SAR 1,305.53').and.include('SAR 10,009.03');
      expect(flat).to.include('10٬009٫03').and.include('1٬234٫50');
      expect(flat).to.include('310122393500003').and.include('1010123456').and.include('Q-2026-0042');
      // Hijri (Umm al-Qura) and Gregorian dates, Asia/Riyadh.
      expect(flat).to.include('2026-03-01').and.include('هـ');
      expect(flat).not.to.include('يف'); // "في" not reversed
      // Words stay apart: one text() per word (a space drawn inside a shaped run lost its place after a ligature).
      const tokens = text.split(/\s+/);
      for (const w of ['شركة', 'تدفق', 'للتقنية', 'الأفق', 'مؤسسة', 'رقم', 'المستند']) expect(tokens, w).to.include(w);
    });

    it('draws the ZATCA QR code on invoices, with the totals in its TLV', async () => {
      const { pdf, qrPayload } = await renderProposalPdf({ kind: 'invoice', number: 'INV-1', issuedAt: new Date('2026-03-01T09:00:00Z'), seller, buyer, lines });
      expect(qrPayload).to.equal(zatcaTlv({ sellerName: seller.name, vatNumber: seller.vatNumber, timestamp: '2026-03-01T09:00:00.000Z', totalWithVat: '10009.03', vatTotal: '1305.53' }).toString('base64'));
      expect(squash(await pdfText(pdf))).to.include('فاتورة').and.include('مبسطة');
    });
  });

  describe('the node', () => {
    const params = { number: '=deal.number', seller, buyer: { name: '=contact.name' }, lines: '=deal.lines', validDays: 14 };

    it('without a document store: renders from expressions and outputs the PDF (base64), its hash and the totals', async () => {
      const { result } = await runNode(proposalPdfNode, { params, input: { deal: { number: 'Q-7', lines }, contact: { name: 'سارة' } } });
      const out = portOutput(result).output as Obj;
      expect(out).to.include({ filename: 'proposal-Q-7.pdf', contentType: 'application/pdf', subtotalHalalas: 870350, vatHalalas: 130553, totalHalalas: 1000903 });
      const pdf = Buffer.from(out.base64 as string, 'base64');
      expect(out.bytes).to.equal(pdf.length);
      expect(squash(await pdfText(pdf))).to.include('سارة');
    });

    it('stores the PDF through ctx.documents and outputs its id, not the bytes', async () => {
      const stored: { filename: string; contentType: string; data: Uint8Array }[] = [];
      const documents = {
        async store(request: { filename: string; contentType: string; data: Uint8Array }) {
          stored.push(request);
          const sha256 = createHash('sha256').update(request.data).digest('hex');
          return { id: 'doc-1', filename: request.filename, contentType: request.contentType, bytes: request.data.byteLength, sha256, created: stored.length === 1 };
        },
      };
      const { result } = await runNode(proposalPdfNode, { params, input: { deal: { number: 'Q-7', lines }, contact: { name: 'سارة' } }, documents });
      const out = portOutput(result).output as Obj;
      expect(stored).to.have.length(1);
      expect(stored[0]).to.include({ filename: 'proposal-Q-7.pdf', contentType: 'application/pdf' });
      expect(out).to.include({ documentId: 'doc-1', filename: 'proposal-Q-7.pdf', contentType: 'application/pdf', bytes: stored[0]!.data.byteLength, totalHalalas: 1000903 });
      expect(out.sha256).to.equal(createHash('sha256').update(stored[0]!.data).digest('hex'));
      expect(out).to.not.have.property('base64');
      expect(squash(await pdfText(Buffer.from(stored[0]!.data)))).to.include('سارة');
    });

    it('refuses bad input with a path (schema and resolved values)', async () => {
      expect(checkParams(proposalPdfNode, { ...params, lines: [{ description: 'x', quantity: -2, unitPriceHalalas: 1 }] })[0]).to.include({ path: '/lines/0/quantity' });
      expect(checkParams(proposalPdfNode, { ...params, seller: { ...seller, vatNumber: '123' } })[0]).to.include({ path: '/seller/vatNumber' });
      expect(checkParams(proposalPdfNode, { ...params, lines: [{ description: 'x'.repeat(301), quantity: 1, unitPriceHalalas: 1 }] })[0]).to.include({ path: '/lines/0/description' });
      const neg = await failureOf(runNode(proposalPdfNode, { params, input: { deal: { number: 'Q-7', lines: [{ description: 'x', quantity: -1, unitPriceHalalas: 1 }] }, contact: { name: 'x' } } }));
      expect(neg).to.include({ code: 'invalid_params' });
      expect(neg.path).to.match(/^\/params\/lines(\/0\/quantity)?$/);
      const many = await failureOf(runNode(proposalPdfNode, { params, input: { deal: { number: 'Q-7', lines: Array.from({ length: 51 }, () => lines[0]) }, contact: { name: 'x' } } }));
      expect(many.path).to.match(/^\/params\/lines/);
      const zatca = await failureOf(runNode(proposalPdfNode, { params: { ...params, kind: 'invoice', seller: { ...seller, name: 'ب'.repeat(200) } }, input: { deal: { number: 'Q-7', lines }, contact: { name: 'x' } } }));
      expect(zatca).to.include({ code: 'invalid_params', path: '/params/seller/name' });
      const long = await failureOf(runNode(proposalPdfNode, { params, input: { deal: { number: 'Q-7', lines }, contact: { name: 'x'.repeat(5000) } } }));
      expect(long.path).to.match(/^\/params\/buyer/);
    });

    it('runs in a flow: a manual trigger with the deal, the PDF step, then data.set reading its output', async () => {
      const result = validateFlow(
        {
          schemaVersion: 1,
          name: 'proposal',
          nodes: [
            { id: 'start', type: 'trigger.manual' },
            { id: 'pdf', type: 'proposal.pdf', params: { kind: 'invoice', number: '=deal.number', seller, buyer: { name: '=deal.company' }, lines: '=deal.lines' } },
            { id: 'keep', type: 'data.set', params: { fields: { total: '=$nodes.pdf.output.totalHalalas', file: '=$nodes.pdf.output.filename' } } },
          ],
          edges: [
            { id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'pdf', port: 'in' } },
            { id: 'e2', from: { node: 'pdf', port: 'out' }, to: { node: 'keep', port: 'in' } },
          ],
        },
        createRegistry(),
      );
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      const { state } = await driveFlow(result.flow, { trigger: 'start', payload: { deal: { number: 'INV-9', company: 'شركة نجد', lines } }, at: FIXED_NOW });
      expect(state.status).to.equal('succeeded');
      expect(state.output).to.deep.include({ total: 1000903, file: 'invoice-INV-9.pdf' });
    });
  });
});

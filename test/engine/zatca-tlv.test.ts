// ZATCA simplified-invoice QR payload (engine/invoicing/zatca-tlv.ts) against a published
// example and by its structure: UTF-8 byte lengths (Arabic), the 255-byte limit, exact amounts.
import { expect } from 'chai';
import fc from 'fast-check';
import { decodeZatcaQr, zatcaAmount, zatcaQrBase64, zatcaTlv, ZatcaFieldError } from '../../engine/index.js';

describe('ZATCA QR TLV (pure)', () => {
  it('matches the published example (Salla ZATCA package README: Salla, 1234567891, 2021-07-12T14:25:09Z, 100.00, 15.00)', () => {
    expect(zatcaQrBase64({ sellerName: 'Salla', vatNumber: '1234567891', timestamp: '2021-07-12T14:25:09Z', totalWithVat: '100.00', vatTotal: '15.00' })).to.equal(
      'AQVTYWxsYQIKMTIzNDU2Nzg5MQMUMjAyMS0wNy0xMlQxNDoyNTowOVoEBjEwMC4wMAUFMTUuMDA=',
    );
  });

  it('writes tag, UTF-8 byte length, value — an Arabic name counts bytes, not letters', () => {
    const fields = { sellerName: 'شركة تدفق', vatNumber: '310122393500003', timestamp: '2026-03-01T09:00:00Z', totalWithVat: zatcaAmount(115000), vatTotal: zatcaAmount(15000) };
    const bytes = zatcaTlv(fields);
    expect([bytes[0], bytes[1]]).to.deep.equal([1, Buffer.byteLength('شركة تدفق', 'utf8')]);
    expect(bytes[1]).to.equal(17); // 8 Arabic letters × 2 bytes + a space
    expect(decodeZatcaQr(zatcaQrBase64(fields))).to.deep.equal([
      { tag: 1, value: 'شركة تدفق' },
      { tag: 2, value: '310122393500003' },
      { tag: 3, value: '2026-03-01T09:00:00Z' },
      { tag: 4, value: '1150.00' },
      { tag: 5, value: '150.00' },
    ]);
  });

  it('refuses an empty field or one over 255 UTF-8 bytes, naming it', () => {
    const ok = { sellerName: 'x', vatNumber: '310122393500003', timestamp: '2026-03-01T09:00:00Z', totalWithVat: '1.00', vatTotal: '0.00' };
    expect(() => zatcaTlv({ ...ok, sellerName: 'ب'.repeat(128) })).to.throw(ZatcaFieldError, /256 bytes/);
    expect(zatcaTlv({ ...ok, sellerName: 'ب'.repeat(127) + 'x' })[1]).to.equal(255);
    try {
      zatcaTlv({ ...ok, vatTotal: '' });
      expect.fail('no error');
    } catch (err) {
      expect(err).to.be.instanceOf(ZatcaFieldError);
      expect((err as ZatcaFieldError).field).to.equal('vatTotal');
    }
  });

  it('writes halalas with two decimals exactly, and refuses non-integers', () => {
    expect([zatcaAmount(0), zatcaAmount(5), zatcaAmount(29), zatcaAmount(115000), zatcaAmount(99_999_999_999_999)]).to.deep.equal(['0.00', '0.05', '0.29', '1150.00', '999999999999.99']);
    expect(() => zatcaAmount(1.5)).to.throw(RangeError);
    expect(() => zatcaAmount(-1)).to.throw(RangeError);
    fc.assert(fc.property(fc.integer({ min: 0, max: 99_999_999_999_999 }), (h) => zatcaAmount(h).replace('.', '').replace(/^0+(?=\d)/, '') === String(h)), { numRuns: 300 });
  });
});

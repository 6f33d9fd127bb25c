// PII masking for llm.external = 'masked' (engine/llm/masking.ts): phone numbers in Saudi and
// international formats and in Arabic-Indic digits, e-mails and the contact's names become
// placeholders; amounts, counts and dates do not; the answer's placeholders are restored, and
// restore(mask(text)) is the text.
import { expect } from 'chai';
import fc from 'fast-check';
import { PiiMasker, digitsOf, nameTerms } from '../../engine/index.js';

const AR_DIGITS = '٠١٢٣٤٥٦٧٨٩';
const toArabicIndic = (s: string) => s.replace(/[0-9]/g, (d) => AR_DIGITS[Number(d)]!);

describe('PII masking (engine/llm/masking.ts)', () => {
  const phones = [
    '+966 50 123 4567',
    '+966501234567',
    '00966501234567',
    '0501234567',
    '050-123-4567',
    '966501234567',
    '٠٥٠١٢٣٤٥٦٧',
    '+٩٦٦ ٥٥ ٩٨٧ ٦٥٤٣',
    '۰۵۵۹۸۷۶۵۴۳',
    '011 234 5678',
    '920012345',
    '+44 20 7946 0958',
    '+1 (415) 555-0132',
    '(555) 123-4567',
    '+971-4-123-4567',
    '55 123 4567',
  ];
  for (const phone of phones) {
    it(`masks the phone ${phone}`, () => {
      const m = new PiiMasker();
      const masked = m.mask(`اتصل على ${phone} اليوم`);
      expect(masked).to.equal('اتصل على [PHONE_1] اليوم');
      expect(m.vault.restore(masked)).to.equal(`اتصل على ${phone} اليوم`);
    });
  }

  const notPhones = [
    'budget 75000 SAR',
    'الميزانية ٥٠٠٬٠٠٠ ريال',
    'budgetHalalas 500000000',
    '1,000,000 SAR',
    '٧٥٠٠٠٠٠ هللة',
    'employees 250, replies 3',
    'on 2026-03-01 at 10:30',
    'order 12345678',
    'version 1.2.3.4',
  ];
  for (const text of notPhones) {
    it(`leaves "${text}" alone`, () => {
      expect(new PiiMasker().mask(text)).to.equal(text);
    });
  }

  it('masks e-mails, also with Arabic text around them and in JSON', () => {
    const m = new PiiMasker();
    const text = '{"email":"Sara.Otaibi+crm@acme.com.sa","note":"راسلني على info@najd-co.sa."}';
    const masked = m.mask(text);
    expect(masked).to.equal('{"email":"[EMAIL_1]","note":"راسلني على [EMAIL_2]."}');
    expect(m.vault.restore(masked)).to.equal(text);
  });

  it('masks the given names: full name, parts, Arabic prefixes (و، ل، بـ، ال), any case; not particles', () => {
    const m = new PiiMasker({ names: ['سارة بن عبدالله العتيبي', 'John Smith'] });
    const masked = m.mask('مرحبا سارة العتيبي، ولسارة وبالعتيبي. JOHN smith said john. Bin and بن stay; Smithson stays.');
    expect(masked).to.not.match(/سارة|العتيبي|john|smith(?!son)/i);
    expect(masked).to.include('بن stay');
    expect(masked).to.include('Smithson');
    expect(masked).to.match(/^مرحبا \[NAME_\d\] \[NAME_\d\]، ول\[NAME_\d\] وب\[NAME_\d\]\./);
    expect(m.vault.restore(masked)).to.equal('مرحبا سارة العتيبي، ولسارة وبالعتيبي. JOHN smith said john. Bin and بن stay; Smithson stays.');
    expect(nameTerms(['Al Harbi', 'x'])).to.deep.equal(['Al Harbi', 'Harbi']);
  });

  it('the same value gets the same placeholder within a call', () => {
    const m = new PiiMasker({ names: ['Noura'] });
    expect(m.mask('Noura +966501234567, again Noura +966501234567')).to.equal('[NAME_1] [PHONE_1], again [NAME_1] [PHONE_1]');
  });

  it('restores placeholders inside JSON values and keys; unknown placeholders stay', () => {
    const m = new PiiMasker({ names: ['Noura'] });
    m.mask('Noura 0501234567');
    expect(m.vault.restoreJson({ to: '[PHONE_1]', list: ['hi [NAME_1]', 3, null], '[NAME_1]': true, other: '[PHONE_9]' })).to.deep.equal({
      to: '0501234567',
      list: ['hi Noura', 3, null],
      Noura: true,
      other: '[PHONE_9]',
    });
  });

  it('property: restore(mask(text)) === text, and no generated phone or e-mail survives masking', () => {
    const digit = fc.integer({ min: 0, max: 9 }).map(String);
    const saudiMobile = fc.tuple(fc.constantFrom('+966 5', '05', '00966 5', '+9665'), fc.array(digit, { minLength: 8, maxLength: 8 }), fc.boolean()).map(([p, ds, arabic]) => {
      const s = p + ds.join('');
      return arabic ? toArabicIndic(s) : s;
    });
    const email = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9.]{1,8}$/), fc.stringMatching(/^[a-z]{2,8}$/), fc.constantFrom('sa', 'com', 'com.sa')).map(([u, d, t]) => `${u}@${d}.${t}`);
    const filler = fc.constantFrom('مرحبا', 'budget 75000 SAR', 'الميزانية ٥٠٠٬٠٠٠ ريال', 'call', '،', 'employees 40', '\n', '"x":1');
    fc.assert(
      fc.property(fc.array(fc.oneof(saudiMobile, email, filler), { minLength: 1, maxLength: 12 }), (parts) => {
        const text = parts.join(' ');
        const m = new PiiMasker();
        const masked = m.mask(text);
        expect(m.vault.restore(masked)).to.equal(text);
        for (const p of parts) {
          if (p.includes('@')) expect(masked).to.not.include(p);
          else if (digitsOf(p).length >= 9 && /^[+0٠]|^\+/.test(p)) expect(digitsOf(masked)).to.not.include(digitsOf(p));
        }
      }),
      { numRuns: 300 },
    );
  });
});

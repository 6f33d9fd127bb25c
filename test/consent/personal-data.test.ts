// Finding an erased person's identifiers in stored values (db/contacts/personal-data.ts): the
// phone in every common spelling (also inside provider ids, in Arabic-Indic digits, as a JSON
// number), the email in any case or URL-encoded, the name; and the JSON walk that replaces them.
import { expect } from 'chai';
import fc from 'fast-check';
import { holdsPersonalData, personalDataMatcher, phoneDigits, scrubColumn, scrubValue } from '../../db/contacts/index.js';

const ids = { name: 'هند الشمري', phone: '+966556000001', email: 'hind@example.sa' };
const matcher = personalDataMatcher(ids);
const hash = (s: string) => `erased:${s.length}`;

const SPELLINGS = [
  '+966556000001',
  '966556000001',
  '00966556000001',
  '0556000001',
  '055 600 0001',
  '+966 55 600 0001',
  '(055) 600-0001',
  '055.600.0001',
  '966556000001@c.us',
  'false_966556000001@c.us_3EB0AA11',
  'whatsapp:+966556000001',
  'tel:+966-55-600-0001',
  '٠٥٥٦٠٠٠٠٠١',
  '+٩٦٦ ٥٥ ٦٠٠ ٠٠٠١',
  '۰۵۵۶۰۰۰۰۰۱',
  'اتصلوا بي على 0556000001 مساءً',
  'HIND@EXAMPLE.SA',
  'mailto:Hind@Example.sa',
  'https://acme.sa/form?email=hind%40example.sa',
  'مرحبا هند الشمري',
];

describe('personal data matcher (erasure)', () => {
  it('reads the national number of an E.164 phone', () => {
    expect(phoneDigits('+966556000001')).to.equal('556000001');
    expect(phoneDigits('+14155550100')).to.equal('4155550100');
    expect(phoneDigits('+1')).to.equal(null);
  });

  it('finds the phone in every common spelling, the email in any case or URL-encoded, and the name', () => {
    for (const s of SPELLINGS) expect(matcher.matches(s), s).to.equal(true);
    expect(matcher.matches(966556000001)).to.equal(true);
  });

  it('leaves other numbers, other people and near misses alone', () => {
    for (const s of ['+966556000002', '556000', '05560000', 'hind@example.com', 'هند', 'Hind', '01a25180-8869-77dd-aa24-0d22e5065874', 'erased:0a1b2c3d4e5f6789']) expect(matcher.matches(s), s).to.equal(false);
    expect(matcher.matches(1796663708072)).to.equal(false);
    expect(personalDataMatcher({ name: 'Al' }).empty, 'a name too short to look for').to.equal(true);
  });

  it('walks JSON: replaces matching strings, numbers and keys at any depth, keeps everything else, and returns the same value when nothing matched', () => {
    const value = { a: [1, 'x', { deep: 'id false_966556000001@c.us_X' }], [ids.email]: true, n: 966556000001, keep: { k: 'v' } };
    const out = scrubValue(value, matcher, hash) as Record<string, unknown>;
    expect(out).to.deep.equal({ a: [1, 'x', { deep: hash('id false_966556000001@c.us_X') }], [hash(ids.email)]: true, n: hash('966556000001'), keep: { k: 'v' } });
    expect(out.keep).to.equal(value.keep);
    const clean = { a: [1, 'x'], b: { c: null } };
    expect(scrubValue(clean, matcher, hash)).to.equal(clean);
    expect(scrubValue({ ip: '203.0.113.7', text: 'wording' }, matcher, hash, new Set(['ip']))).to.deep.equal({ ip: hash('203.0.113.7'), text: 'wording' });
  });

  it('scrubs a stored column: JSON stays JSON, text is replaced whole, null when unchanged', () => {
    expect(JSON.parse(scrubColumn('{"to":"0556000001","n":1}', matcher, hash, true)!)).to.deep.equal({ to: hash('0556000001'), n: 1 });
    expect(JSON.parse(scrubColumn('"0556000001"', matcher, hash, true)!)).to.equal(hash('0556000001'));
    expect(JSON.parse(scrubColumn('not json 0556000001', matcher, hash, true)!)).to.equal(hash('not json 0556000001'));
    expect(scrubColumn('false_966556000001@c.us_3EB0', matcher, hash)).to.equal(hash('false_966556000001@c.us_3EB0'));
    expect(scrubColumn('{"x":1}', matcher, hash, true)).to.equal(null);
    expect(scrubColumn(null, matcher, hash, true)).to.equal(null);
  });

  it('property: whatever JSON the phone, email or name is buried in, nothing of them is left and the shape is kept', () => {
    const withSpelling = fc.tuple(fc.constantFrom(...SPELLINGS), fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })).map(([s, a, b]) => `${a.replace(/\d/g, '')}${s}${b.replace(/\d/g, '')}`);
    const leaf = fc.oneof(fc.string({ maxLength: 10 }).map((s) => s.replace(/\d/g, '')), fc.integer({ min: 0, max: 999 }), fc.boolean(), fc.constant(null), withSpelling);
    const json = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 6 }).map((k) => k.replace(/\d/g, '')), tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(json, (value) => {
        const out = scrubValue(value, matcher, (s) => `erased:${s.length}`);
        expect(holdsPersonalData(JSON.stringify(out), matcher)).to.equal(false);
        const shape = (v: unknown): unknown => (Array.isArray(v) ? v.map(shape) : v && typeof v === 'object' ? Object.values(v).map(shape) : typeof v === 'string' || typeof v === 'number' ? 'leaf' : v);
        expect(shape(out)).to.deep.equal(shape(value));
      }),
      { numRuns: 300 },
    );
  });
});

// Contacts CSV reading and field normalisation (server/consent/csv-import.ts, contact-fields.ts):
// pure, no database.
import { expect } from 'chai';
import { CsvFileError, parseContactCsv } from '../../server/consent/csv-import.js';
import { checkTags, normaliseEmail, normalisePhone } from '../../server/consent/contact-fields.js';
import { consentExpiry } from '../../engine/consent/consent-rule.js';

const NOW = Date.parse('2026-05-10T12:00:00Z');

describe('contact fields', () => {
  it('normalises Saudi numbers written every common way to E.164', () => {
    for (const input of ['0551234567', '055 123 4567', '+966 55 123 4567', '00966551234567', '966551234567', '٠٥٥١٢٣٤٥٦٧', '۰۵۵۱۲۳۴۵۶۷', '(055) 123-4567']) {
      expect(normalisePhone(input), input).to.deep.equal({ ok: true, value: '+966551234567' });
    }
    expect(normalisePhone('+14155552671')).to.deep.equal({ ok: true, value: '+14155552671' });
  });

  it('refuses what is not a valid number', () => {
    for (const input of ['12345', 'abc', '', '+966 12', '0000000000']) {
      expect(normalisePhone(input), input).to.deep.include({ ok: false, code: 'invalid_phone' });
    }
  });

  it('lower-cases emails and refuses malformed ones; tags are checked and de-duplicated', () => {
    expect(normaliseEmail('  Sara@Example.SA ')).to.deep.equal({ ok: true, value: 'sara@example.sa' });
    for (const bad of ['sara', 'sara@', '@x.sa', 'a b@x.sa', 'sara@example']) expect(normaliseEmail(bad).ok, bad).to.equal(false);
    expect(checkTags(['vip', ' vip ', 'عميل مهم', ''])).to.deep.equal({ ok: true, value: ['vip', 'عميل مهم'] });
    for (const bad of ['a"b', 'a\\b', 'a,b', 'a;b', 'x'.repeat(65)]) expect(checkTags([bad]).ok, bad).to.equal(false);
  });
});

describe('contacts CSV', () => {
  it('reads a UTF-8 file with a BOM, Arabic names and headers, tags and consent columns', () => {
    const csv = '\ufeffالاسم,الجوال,Email,company,tags,locale,consent_whatsapp_marketing,consent_email_service\n' + 'سارة القحطاني,0551234567,SARA@example.sa,شركة أكمي,vip;عقار,ar,yes,2026-03-01\n' + '"Omar, Jr.",+966 50 000 0001,,,,en,no,\n';
    const result = parseContactCsv(csv, { now: NOW });
    expect(result.errors).to.deep.equal([]);
    expect(result.total).to.equal(2);
    const [sara, omar] = result.rows;
    expect(sara).to.deep.include({ row: 2, name: 'سارة القحطاني', phone: '+966551234567', email: 'sara@example.sa', company: 'شركة أكمي', locale: 'ar', tags: ['vip', 'عقار'] });
    expect(sara!.consents).to.deep.equal([
      { channel: 'whatsapp', purpose: 'marketing', action: 'grant', at: NOW, cell: 'yes' },
      // A date alone is midnight in Riyadh (21:00 UTC the day before).
      { channel: 'email', purpose: 'service', action: 'grant', at: Date.parse('2026-02-28T21:00:00Z'), cell: '2026-03-01' },
    ]);
    expect(omar).to.deep.include({ row: 3, name: 'Omar, Jr.', phone: '+966500000001', email: null, locale: 'en', tags: null });
    expect(omar!.consents).to.deep.equal([{ channel: 'whatsapp', purpose: 'marketing', action: 'withdraw', at: NOW, cell: 'no' }]);
  });

  it('reports every bad cell with its row (file line) and column, and keeps the good rows', () => {
    const csv = [
      'name,phone,email,consent_sms_marketing,tags',
      'Valid One,0551111111,,,',
      '',
      ',0552222222,,,', // line 4: no name
      'Bad Phone,12345,bad-email,,', // line 5: two errors
      'Dup,055 111 1111,,,', // line 6: same phone as line 2
      '"Multi',
      'line",0553333333,,maybe,', // record starting line 7: bad consent value
      'Old Consent,0554444444,,2024-01-01,', // line 9
      'Future,0555555555,,2027-01-01,', // line 10
      'No Contact,,,,', // line 11
      'Bad Tag,0556666666,,,"a""b"', // line 12
      'Short,0557777777', // line 13: missing fields
      'Fine Two,,two@example.sa,yes,x', // line 14
    ].join('\r\n');
    const result = parseContactCsv(csv, { now: NOW });
    expect(result.rows.map((r) => [r.row, r.name])).to.deep.equal([
      [2, 'Valid One'],
      [14, 'Fine Two'],
    ]);
    const errors = result.errors.map((e) => [e.row, e.column, e.code]);
    expect(errors).to.deep.equal([
      [4, 'name', 'required'],
      [5, 'phone', 'invalid_phone'],
      [5, 'email', 'invalid_email'],
      [6, 'phone', 'duplicate_in_file'],
      [7, 'consent_sms_marketing', 'invalid_consent'],
      [9, 'consent_sms_marketing', 'consent_expired'],
      [10, 'consent_sms_marketing', 'consent_in_future'],
      [11, 'phone', 'required'],
      [12, 'tags', 'invalid_tag'],
      [13, null, 'column_count'],
    ]);
    expect(result.total).to.equal(11);
    for (const e of result.errors) expect(e.message).to.be.a('string').and.not.equal('');
  });

  it('accepts a consent date less than 12 months old, refuses one just over', () => {
    const justIn = new Date(NOW - 364 * 86_400_000).toISOString();
    const justOut = new Date(NOW - 366 * 86_400_000).toISOString();
    expect(consentExpiry(Date.parse(justOut))).to.be.lessThan(NOW);
    const result = parseContactCsv(`name,phone,consent_call_service\nA,0551111111,${justIn}\nB,0552222222,${justOut}`, { now: NOW });
    expect(result.rows.map((r) => r.name)).to.deep.equal(['A']);
    expect(result.errors.map((e) => e.code)).to.deep.equal(['consent_expired']);
  });

  it('refuses a file whose header is unusable, listing every problem', () => {
    const attempt = (csv: string) => {
      try {
        parseContactCsv(csv, { now: NOW });
      } catch (err) {
        expect(err).to.be.instanceOf(CsvFileError);
        return err as CsvFileError;
      }
      throw new Error('expected CsvFileError');
    };
    const header = attempt('nom,telephone,consent_fax_marketing,consent_sms_spam\nx,y,z,w');
    expect(header.code).to.equal('invalid_csv');
    expect(header.errors.map((e) => [e.column, e.code])).to.deep.equal([
      ['nom', 'unknown_column'],
      ['telephone', 'unknown_column'],
      ['consent_fax_marketing', 'unknown_consent_column'],
      ['consent_sms_spam', 'unknown_consent_column'],
      ['name', 'missing_column'],
      ['phone', 'missing_column'],
    ]);
    expect(attempt('name,name,phone\n').errors.map((e) => e.code)).to.deep.equal(['duplicate_column']);
    expect(attempt('').code).to.equal('invalid_csv');
    expect(attempt('name,phone\n"unterminated,0551111111\n').code).to.equal('invalid_csv');
  });

  it('refuses more rows than the limit', () => {
    const rows = Array.from({ length: 6 }, (_, i) => `n${i},05511111${String(i).padStart(2, '0')}`);
    expect(parseContactCsv(['name,phone', ...rows.slice(0, 5)].join('\n'), { now: NOW, maxRows: 5 }).rows).to.have.length(5);
    expect(() => parseContactCsv(['name,phone', ...rows].join('\n'), { now: NOW, maxRows: 5 }))
      .to.throw(CsvFileError)
      .with.property('code', 'too_many_rows');
  });
});

// Hijri (Umm al-Qura) display and the default Saudi holidays computed from it. Node's ICU gives
// 2026-03-20 = 1 Shawwal 1447 AH (Eid al-Fitr), 2026-05-27 = 10 Dhu al-Hijjah 1447.
import { expect } from 'chai';
import { defaultSaudiHolidays, formatHijri, formatHijriDate, hijriDate, hijriOfDate, addDays } from '../../engine/index.js';

const ARABIC_DIGITS = /[٠-٩]/;
const toLatin = (s: string): string => s.replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x0660));

describe('outbox: Hijri dates', () => {
  describe('formatHijri', () => {
    const eid = new Date('2026-03-20T09:00:00Z');

    it('English: Shawwal 1, 1447 AH', () => {
      const text = formatHijri(eid, 'en');
      expect(text).to.include('Shawwal');
      expect(text).to.include('1447');
      expect(text).to.not.include('2026');
      expect(text).to.not.include('March');
    });

    it('Arabic: ١ شوال ١٤٤٧ هـ — Hijri, not the Gregorian that plain ar-SA may give', () => {
      const text = formatHijri(eid, 'ar');
      expect(text).to.include('شوال');
      expect(text).to.match(ARABIC_DIGITS);
      expect(toLatin(text)).to.include('1447');
      expect(toLatin(text)).to.not.include('2026');
      expect(text).to.not.include('مارس');
    });

    it('numeric parts: 1447-10-01', () => {
      expect(hijriDate(eid)).to.deep.equal({ year: 1447, month: 10, day: 1 });
      expect(hijriDate(new Date('2026-03-19T09:00:00Z'))).to.deep.equal({ year: 1447, month: 9, day: 30 });
      expect(hijriOfDate('2026-05-27')).to.deep.equal({ year: 1447, month: 12, day: 10 });
    });

    it('the date is taken in the given time zone', () => {
      // 21:30 UTC on 19 March is already 20 March in Riyadh.
      const late = new Date('2026-03-19T21:30:00Z');
      expect(hijriDate(late, 'Asia/Riyadh')).to.deep.equal({ year: 1447, month: 10, day: 1 });
      expect(hijriDate(late, 'UTC')).to.deep.equal({ year: 1447, month: 9, day: 30 });
      expect(formatHijri(late, 'en', 'Asia/Riyadh')).to.include('Shawwal 1,');
      expect(formatHijri(late, 'en', 'UTC')).to.include('Ramadan 30,');
    });

    it('formatHijriDate renders a calendar date whatever the process time zone', () => {
      expect(formatHijriDate('2026-03-20', 'en')).to.equal(formatHijri(new Date('2026-03-20T12:00:00Z'), 'en', 'UTC'));
      expect(formatHijriDate('2026-09-23', 'en')).to.match(/Rabi.*1448 AH/);
      expect(() => formatHijriDate('2026-02-30', 'en')).to.throw(RangeError);
    });
  });

  describe('defaultSaudiHolidays', () => {
    it('2026: Founding Day, Eid al-Fitr, Eid al-Adha, National Day', () => {
      const list = defaultSaudiHolidays(2026);
      expect(list.map((h) => [h.key, h.from, h.to, h.approximate])).to.deep.equal([
        ['founding_day', '2026-02-22', '2026-02-22', false],
        ['eid_al_fitr', '2026-03-20', '2026-03-22', true],
        ['eid_al_adha', '2026-05-27', '2026-05-29', true],
        ['national_day', '2026-09-23', '2026-09-23', false],
      ]);
      expect(list[1]!.name).to.deep.equal({ ar: 'عيد الفطر', en: 'Eid al-Fitr' });
      expect(list[0]!.name.ar).to.equal('يوم التأسيس');
    });

    it('every Eid of 2000–2100 covers 1–3 Shawwal / 10–12 Dhu al-Hijjah; a year may hold two', () => {
      let twice = 0;
      let previousFitr: string | undefined;
      for (let year = 2000; year <= 2100; year++) {
        const list = defaultSaudiHolidays(year);
        const fitr = list.filter((h) => h.key === 'eid_al_fitr');
        const adha = list.filter((h) => h.key === 'eid_al_adha');
        expect(fitr.length, `${year}`).to.be.within(1, 2);
        expect(adha.length, `${year}`).to.be.within(1, 2);
        if (fitr.length === 2) twice++;
        for (const h of fitr) {
          expect(h.from.startsWith(`${year}-`)).to.equal(true);
          for (let i = 0; i < 3; i++) expect(hijriOfDate(addDays(h.from, i))).to.deep.include({ month: 10, day: 1 + i });
          // Hijri years are 354 or 355 days long.
          if (previousFitr) expect(Math.round((Date.parse(h.from) - Date.parse(previousFitr)) / 86_400_000)).to.be.within(354, 355);
          previousFitr = h.from;
        }
        for (const h of adha) for (let i = 0; i < 3; i++) expect(hijriOfDate(addDays(h.from, i))).to.deep.include({ month: 12, day: 10 + i });
        expect(list.map((h) => h.from)).to.deep.equal([...list.map((h) => h.from)].sort());
      }
      expect(twice, 'e.g. 2000 had Eid al-Fitr on 8 Jan and 27 Dec').to.be.greaterThan(0);
      expect(defaultSaudiHolidays(2000).filter((h) => h.key === 'eid_al_fitr').map((h) => h.from)).to.deep.equal(['2000-01-08', '2000-12-27']);
    });

    it('returns fresh objects (callers may edit them)', () => {
      const a = defaultSaudiHolidays(2027);
      a[0]!.name.en = 'changed';
      expect(defaultSaudiHolidays(2027)[0]!.name.en).to.equal('Founding Day');
    });
  });
});

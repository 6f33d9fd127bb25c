// Opt-out detection (server/channels/opt-out-words.ts): the whole message, normalised, is an
// opt-out word. Examples in Arabic and English, then properties: normalisation is idempotent;
// case, diacritics, tatweel, alef/yeh/teh-marbuta forms, invisible marks and surrounding
// punctuation never change the answer; a word with anything else beside it is not an opt-out.
import { expect } from 'chai';
import fc from 'fast-check';
import { DEFAULT_OPT_OUT_WORDS, checkOptOutWords, detectOptOut, normaliseOptOutText, optOutWordSet } from '../../server/channels/opt-out-words.js';

describe('opt-out words', () => {
  it('detects the default words in English, in any case, with punctuation and spaces', () => {
    for (const text of ['STOP', 'stop', 'Stop', ' sToP ', 'STOP!', 'stop.', '🛑 STOP', 'UNSUBSCRIBE', 'unsubscribe', 'Cancel', 'END', 'quit', 'STOPALL', 'opt out', 'Opt-Out']) {
      expect(detectOptOut(text), text).to.not.equal(null);
    }
  });

  it('detects the default words in Arabic, whatever the alef form, diacritics or tatweel', () => {
    for (const text of ['إلغاء الاشتراك', 'الغاء الاشتراك', 'إلغاء', 'الغاء', 'إيقاف', 'ايقاف', 'أيقاف', 'توقف', 'تَوَقَّفْ', 'إلـــغـــاء', 'إِلْغَاء', 'آلغاء', 'إلغاء الإشتراك', 'إلغاء  الاشتراك،', '«إيقاف»', 'إلغاء الاشتراك.']) {
      expect(detectOptOut(text), text).to.not.equal(null);
    }
  });

  it('ignores invisible bidi marks and full-width letters', () => {
    expect(detectOptOut('\u200fإلغاء\u200f')).to.equal(normaliseOptOutText('الغاء'));
    expect(detectOptOut('\uff33\uff34\uff2f\uff30')).to.equal('stop'); // ＳＴＯＰ
    expect(detectOptOut('\u202bSTOP\u202c')).to.equal('stop');
  });

  it('does not treat messages that only contain a word as opt-outs', () => {
    for (const text of ['please stop', "don't stop", 'stop 2', 'STOPPED', 'unstoppable', 'شكرا', 'لا تتوقف', 'إلغاء الموعد', 'متى الموعد؟', '', '   ', '!!!', 'نعم']) {
      expect(detectOptOut(text), text).to.equal(null);
    }
    expect(detectOptOut(null)).to.equal(null);
    expect(detectOptOut(undefined)).to.equal(null);
    expect(detectOptOut(`STOP${' '.repeat(300)}`), 'overlong').to.equal(null);
  });

  it('adds a tenant’s words to the defaults; the defaults always apply', () => {
    const words = optOutWordSet(['لا أرغب', 'BASTA']);
    expect(detectOptOut('لا ارغب', words)).to.equal('لا ارغب');
    expect(detectOptOut('basta!', words)).to.equal('basta');
    expect(detectOptOut('STOP', words)).to.equal('stop');
    expect(detectOptOut('إلغاء الاشتراك', optOutWordSet([]))).to.not.equal(null);
    expect(detectOptOut('basta')).to.equal(null);
  });

  it('checks a tenant’s words', () => {
    expect(checkOptOutWords([' BASTA ', 'basta ', 'لا'])).to.deep.equal({ ok: true, value: ['BASTA', 'basta', 'لا'] });
    expect(checkOptOutWords(['ok', '!!!'])).to.include({ ok: false, index: 1 });
  });

  describe('properties', () => {
    const DIACRITICS = ['\u064b', '\u064c', '\u064d', '\u064e', '\u064f', '\u0650', '\u0651', '\u0652', '\u0670', '\u0640', '\u200f', '\u200e', '\u200d'];
    const ALEFS = ['\u0627', '\u0623', '\u0625', '\u0622'];
    const SURROUND = [' ', '  ', '.', '!', '؟', '،', '?', '...', '\n', '\t', '*', '"', '🙏', '(', ')'];

    /** A default word dressed up: random case, Arabic marks between letters, alef forms swapped, punctuation around. */
    const dressed = fc
      .record({
        word: fc.constantFrom(...DEFAULT_OPT_OUT_WORDS),
        seed: fc.array(fc.nat(1000), { minLength: 64, maxLength: 64 }),
        before: fc.array(fc.constantFrom(...SURROUND), { maxLength: 3 }),
        after: fc.array(fc.constantFrom(...SURROUND), { maxLength: 3 }),
      })
      .map(({ word, seed, before, after }) => {
        let i = 0;
        const r = () => seed[i++ % seed.length]!;
        let out = '';
        for (const ch of word) {
          let c = ch;
          if (/[a-z]/i.test(c)) c = r() % 2 ? c.toUpperCase() : c.toLowerCase();
          if (ALEFS.includes(c)) c = ALEFS[r() % ALEFS.length]!;
          out += c;
          if (/[\u0600-\u06ff]/.test(ch) && r() % 3 === 0) out += DIACRITICS[r() % DIACRITICS.length]!;
        }
        return { word, text: before.join('') + out + after.join('') };
      });

    it('normalising twice changes nothing', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
          const once = normaliseOptOutText(s);
          expect(normaliseOptOutText(once)).to.equal(once);
        }),
        { numRuns: 200 },
      );
    });

    it('a default word dressed up in case, marks, alef forms and punctuation is the same opt-out', () => {
      fc.assert(
        fc.property(dressed, ({ word, text }) => {
          expect(detectOptOut(text), JSON.stringify(text)).to.equal(normaliseOptOutText(word));
        }),
        { numRuns: 500 },
      );
    });

    it('a default word with other words or numbers beside it is not an opt-out', () => {
      const other = fc.constantFrom('please', 'now', 'thanks', 'شكرا', 'الآن', 'من فضلك', '2', '123', 'مرة');
      fc.assert(
        fc.property(dressed, other, fc.boolean(), ({ text }, extra, first) => {
          const message = first ? `${extra} ${text}` : `${text} ${extra}`;
          expect(detectOptOut(message), JSON.stringify(message)).to.equal(null);
        }),
        { numRuns: 300 },
      );
    });

    it('text without letters or digits is never an opt-out', () => {
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...SURROUND, ...DIACRITICS), { maxLength: 20 }), (parts) => {
          expect(detectOptOut(parts.join(''))).to.equal(null);
        }),
      );
    });
  });
});

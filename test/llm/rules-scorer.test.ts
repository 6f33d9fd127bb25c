// The deterministic lead scorer (engine/llm/rules-scorer.ts) and the number reading under it
// (engine/llm/numbers.ts): Arabic-Indic digits and separators, scale words, halalas; sensible
// tiers for Arabic and English leads; reasons in the lead's language; always an integer 0–100.
import { expect } from 'chai';
import fc from 'fast-check';
import { BUDGET_POINTS, ENGAGEMENT, SIZE_POINTS, SOURCE_POINTS, classifySource, detectLocale, extractSignals, findAmounts, normalizeDigits, parseBudgetSar, scoreLeadByRules, tierOf } from '../../engine/index.js';

describe('numbers as written in Saudi conversations (engine/llm/numbers.ts)', () => {
  it('normalises Arabic-Indic and Eastern Arabic-Indic digits and the Arabic separators', () => {
    expect(normalizeDigits('٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹ ٥٠٠٬٠٠٠٫٥')).to.equal('0123456789 0123456789 500,000.5');
  });

  const budgets: [unknown, number | null, boolean?][] = [
    ['ميزانية ٥٠٠٬٠٠٠ ريال', 500_000],
    ['75000', 75_000],
    [75_000, 75_000],
    ['75,000 SAR', 75_000],
    ['75k SAR', 75_000],
    ['٥٠٠ ألف ريال', 500_000],
    ['1.5 مليون', 1_500_000],
    ['٢ مليون ر.س', 2_000_000],
    ['نصف مليون ريال', 500_000],
    ['مليون ريال', 1_000_000],
    ['7500000 هللة', 75_000],
    [7_500_000, 75_000, true],
    ['7500000', 75_000, true],
    ['١٬٢٠٠٬٠٠٠ ﷼', 1_200_000],
    ['around 250 000 SAR', 250_000],
    ['no idea yet', null],
    [null, null],
  ];
  for (const [value, sar, halalas] of budgets) {
    it(`reads ${JSON.stringify(value)}${halalas ? ' (halalas)' : ''} as ${sar} SAR`, () => {
      expect(parseBudgetSar(value, halalas ?? false)).to.equal(sar);
    });
  }

  it('knows which amounts carry a currency', () => {
    expect(findAmounts('20 موظف و ٣٠٠ ألف ريال').map((a) => [a.sar, a.currency])).to.deep.equal([
      [20, false],
      [300_000, true],
    ]);
  });
});

describe('rules lead scorer (engine/llm/rules-scorer.ts)', () => {
  it('weights add up to 100 and are documented in engine/llm/README.md', () => {
    const max = BUDGET_POINTS[0]![1] + SIZE_POINTS[0]![1] + Math.max(...Object.values(SOURCE_POINTS)) + ENGAGEMENT.cap;
    expect(max).to.equal(100);
  });

  it('an Arabic lead with a big budget (Arabic-Indic digits), a referral and engagement is hot, with Arabic reasons', () => {
    const lead = { الاسم: 'سارة العتيبي', الشركة: 'شركة الريادة', الميزانية: 'ميزانية ٥٠٠٬٠٠٠ ريال', 'عدد الموظفين': '٢٠٠', المصدر: 'إحالة من عميل', engagement: { replies: 2, meetings: 1 } };
    const locale = detectLocale(lead, 'en');
    expect(locale).to.equal('ar');
    const r = scoreLeadByRules(lead, 'نحتاج عرض سعر هذا الأسبوع', locale);
    expect(r.signals).to.deep.include({ budgetSar: 500_000, employees: 200, sourceClass: 'referral', replies: 2, meetings: 1 });
    expect(r.points).to.deep.equal({ budget: 30, size: 12, source: 15, engagement: 30, negative: 0 });
    expect(r.score).to.equal(87);
    expect(tierOf(r.score)).to.equal('hot');
    expect(r.reasons[0]).to.equal('الميزانية ٥٠٠٬٠٠٠ ريال');
    for (const reason of r.reasons) expect(reason).to.match(/[\u0600-\u06FF]/);
  });

  it('the demo lead (75,000 SAR, nothing else) is cold; the same budget with engagement and a website form is warm', () => {
    expect(scoreLeadByRules({ name: 'سارة', company: 'Acme', budget_sar: '75000' }, undefined, 'ar').score).to.equal(22);
    const warm = scoreLeadByRules({ name: 'Sara', budget_sar: '75000', employees: 60, source: 'website form', replies: 1, opens: 4 }, undefined, 'en');
    expect(warm.score).to.equal(18 + 12 + 12 + 6 + 4);
    expect(tierOf(warm.score)).to.equal('warm');
    expect(warm.reasons).to.deep.equal(['Budget SAR 75,000', 'Company size 60 employees', 'Source: inbound request', 'Engagement: 1 reply, 4 opens']);
  });

  it('an English lead: budget in halalas, size range, LinkedIn, a demo request in the conversation', () => {
    const lead = { name: 'John', budgetHalalas: 50_000_000, companySize: '50-200', source: 'LinkedIn', opens: 3 };
    const r = scoreLeadByRules(lead, [{ from: 'lead', text: 'Can we schedule a demo?' }], detectLocale(lead, 'ar'));
    expect(r.signals.budgetSar).to.equal(500_000);
    expect(r.signals.employees).to.equal(50);
    expect(r.signals.intents).to.deep.equal(['meeting', 'demo']);
    expect(r.score).to.equal(30 + 12 + 7 + 13);
    expect(r.reasons).to.include('asked for a demo');
  });

  it('free Arabic text: budget, company size and source from the words', () => {
    const r = scoreLeadByRules('عميل من معرض ليب، ميزانيته حوالي مليون ريال، شركة كبيرة', undefined, 'ar');
    expect(r.signals).to.deep.include({ budgetSar: 1_000_000, employees: 1000, sourceClass: 'event' });
    expect(tierOf(r.score)).to.equal('warm');
  });

  it('"not interested" and a cold list: cold, never below 0', () => {
    const r = scoreLeadByRules({ name: 'Ali', source: 'purchased list' }, 'غير مهتم، لا تتواصلوا معي', 'ar');
    expect(r.signals.negative).to.equal(true);
    expect(r.score).to.equal(0);
    expect(r.reasons).to.include('أبدى عدم الاهتمام');
  });

  it('a phone number in the lead is never read as a budget', () => {
    expect(extractSignals({ name: 'Noura', phone: '0501234567', notes: 'جوالي ٠٥٥١٢٣٤٥٦٧' }).budgetSar).to.equal(null);
  });

  it('classifies sources in Arabic and English', () => {
    expect(['توصية من شريك', 'Referral', 'معرض ليب', 'Google Ads campaign', 'نموذج الموقع', 'cold outbound', 'unknown thing'].map(classifySource)).to.deep.equal([
      'referral',
      'referral',
      'event',
      'ads',
      'inbound',
      'cold',
      'other',
    ]);
  });

  it('tiers follow the thresholds', () => {
    expect([tierOf(70), tierOf(69), tierOf(40), tierOf(39), tierOf(50, { hot: 50, warm: 20 })]).to.deep.equal(['hot', 'warm', 'warm', 'cold', 'hot']);
  });

  it('locale: a declared locale wins, else the script, else the fallback', () => {
    expect(detectLocale({ name: 'Sara', locale: 'ar-SA' }, 'en')).to.equal('ar');
    expect(detectLocale({ name: 'سارة', language: 'English' }, 'ar')).to.equal('en');
    expect(detectLocale({ name: 'سارة', email: 'sara@acme.com' }, 'en')).to.equal('ar');
    expect(detectLocale({ budget: 5 }, 'en')).to.equal('en');
  });

  it('property: any lead scores an integer 0–100 and gets 1–6 reasons', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.constantFrom('ar' as const, 'en' as const), (lead, conversation, locale) => {
        const r = scoreLeadByRules(lead, conversation, locale);
        expect(Number.isInteger(r.score)).to.equal(true);
        expect(r.score).to.be.within(0, 100);
        expect(r.reasons.length).to.be.within(1, 6);
      }),
      { numRuns: 300 },
    );
  });
});

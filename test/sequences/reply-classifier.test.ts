// Reply intelligence (engine/llm/reply-classifier.ts, nodes/reply-classify.node.ts): the rules
// on Arabic (Gulf dialect), MSA and English replies with return dates, and the LLM chain against
// the local fake OpenAI-compatible servers (answer used; down → rules).
import { expect } from 'chai';
import { classifyReply, classifyReplyByRules, rulesOnlyLlm } from '../../engine/index.js';
import { fakeLlm, refusedUrl, startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';

/** Wednesday 2026-03-04 10:00 in Riyadh. */
const NOW = new Date('2026-03-04T07:00:00.000Z');

const CASES: Array<[text: string, cls: string, returnDate?: string]> = [
  ['Yes, I am interested — can we book a call next week?', 'interested'],
  ['مهتم، ارسل لي العرض', 'interested'],
  ['ايوه ابغى اعرف التفاصيل', 'interested'],
  ['حياك، كلمني بكره الساعة ١٠', 'interested'],
  ['Not right now, maybe next quarter.', 'not_now'],
  ['مو الحين، الشهر الجاي ان شاء الله', 'not_now'],
  ['مشغول هالفترة، بعدين', 'not_now'],
  ['I am out of the office until March 15 with limited access to email.', 'out_of_office', '2026-03-15'],
  ['Out of office. Back on 2026-03-22.', 'out_of_office', '2026-03-22'],
  ['أنا في إجازة حتى ١٥/٣', 'out_of_office', '2026-03-15'],
  ['مسافر وبرجع يوم الأحد', 'out_of_office', '2026-03-08'],
  ['خارج المكتب حاليًا', 'out_of_office', undefined],
  ['Wrong person — I left the company last year, please contact Sara.', 'wrong_person'],
  ['الرقم غلط، مو أنا', 'wrong_person'],
  ['لست المسؤول عن المشتريات، تواصل مع أحمد', 'wrong_person'],
  ['Please unsubscribe me', 'unsubscribe'],
  ['STOP', 'unsubscribe'],
  ['لا ترسلون لي رسايل مرة ثانية', 'unsubscribe'],
  ['شيلوني من القائمة', 'unsubscribe'],
  ['How much does it cost per user?', 'question'],
  ['كم السعر؟', 'question'],
  ['وش الفرق بينكم وبين غيركم', 'question'],
  ['👍', 'other'],
];

describe('sequences: reply classification', () => {
  describe('rules (no provider)', () => {
    for (const [text, cls, returnDate] of CASES) {
      it(`${cls}: ${text}`, () => {
        const r = classifyReplyByRules(text, NOW);
        expect(r.class).to.equal(cls);
        expect(r.by).to.equal('rules');
        if (cls === 'out_of_office') expect(r.returnDate).to.equal(returnDate ?? null);
        else expect(r.returnDate).to.equal(null);
      });
    }
  });

  describe('through the LLM chain (local fake OpenAI-compatible servers)', function () {
    this.timeout(20_000);
    let groq: FakeOpenAI;
    before(async () => {
      groq = await startFakeOpenAI();
    });
    after(async () => {
      await groq?.close();
    });

    it('uses the provider’s answer (a class the rules would not find) and sends the reply and today’s date', async () => {
      groq.reset();
      groq.setDefault({ answer: { class: 'interested', returnDate: null } });
      const { service } = fakeLlm({ groq: groq.url, openai: null, settings: { external: 'allowed' } });
      const r = await classifyReply(service, 'خلنا نتقهوى ونتكلم', { now: NOW });
      expect(r).to.deep.include({ class: 'interested', returnDate: null, by: 'groq' });
      expect(classifyReplyByRules('خلنا نتقهوى ونتكلم', NOW).class).to.equal('other');
      const sent = JSON.stringify(groq.requests[0]?.body);
      expect(sent).to.include('Today is 2026-03-04').and.to.include('نتقهوى');
    });

    it('an out-of-office answer without a valid date keeps the rules’ date; a provider down falls back to the rules', async () => {
      groq.reset();
      groq.setDefault({ answer: { class: 'out_of_office', returnDate: null } });
      const { service } = fakeLlm({ groq: groq.url, openai: null, settings: { external: 'allowed' } });
      expect(await classifyReply(service, 'Away until March 15', { now: NOW })).to.deep.include({ class: 'out_of_office', returnDate: '2026-03-15' });
      const down = fakeLlm({ groq: await refusedUrl(), openai: null, settings: { external: 'allowed' } });
      expect(await classifyReply(down.service, 'مو الحين', { now: NOW })).to.deep.include({ class: 'not_now', by: 'rules' });
      expect(await classifyReply(rulesOnlyLlm(), 'STOP', { now: NOW })).to.deep.include({ class: 'unsubscribe', by: 'rules' });
    });
  });
});

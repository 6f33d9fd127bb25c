import { expect } from 'chai';
import { aiScoreNode, SCORE_SCHEMA } from './ai-score.node.js';
import { checkParams, failureOf, portOutput, runNode } from './testing/run-node.js';
import { GROQ_TEST_KEY, OPENAI_TEST_KEY, fakeLlm, startFakeOpenAI, type FakeOpenAI } from '../test/helpers/fake-openai.js';
import { compileSchema } from '../engine/index.js';

interface ScoreOutput {
  score: number;
  tier: string;
  reasons: string[];
  llm: { provider: string; model: string; attempts: { provider: string; outcome: string }[]; prompt: { role: string; content: string }[] | null; answer: string; costMicroUsd: number; masked: boolean };
}

const ARABIC_LEAD = { الاسم: 'نورة الحربي', الجوال: '+966 55 111 2233', الميزانية: 'ميزانية ٥٠٠٬٠٠٠ ريال', 'عدد الموظفين': '٢٠٠', المصدر: 'إحالة', engagement: { replies: 2, meetings: 1 } };

describe('ai.score', () => {
  let groq: FakeOpenAI;
  let openai: FakeOpenAI;

  before(async () => {
    groq = await startFakeOpenAI();
    openai = await startFakeOpenAI();
  });
  after(async () => {
    await groq?.close();
    await openai?.close();
  });
  beforeEach(() => {
    groq.reset();
    openai.reset();
  });

  const run = async (params: unknown, options: Parameters<typeof runNode>[1] = {}) => {
    const { result, logs } = await runNode(aiScoreNode, { params, ...options });
    const { port, output } = portOutput(result);
    return { port, output: output as ScoreOutput, logs };
  };

  for (const [score, port] of [
    [91, 'hot'],
    [70, 'hot'],
    [55, 'warm'],
    [12, 'cold'],
  ] as const) {
    it(`the model's score ${score} leaves by ${port}`, async () => {
      groq.setDefault({ answer: { score, reasons: ['ميزانية جيدة', 'إحالة'] } });
      const { service } = fakeLlm({ groq: groq.url, openai: openai.url });
      const { port: got, output } = await run({ lead: '=$' }, { input: ARABIC_LEAD, llm: service });
      expect(got).to.equal(port);
      expect(output).to.deep.include({ score, tier: port, reasons: ['ميزانية جيدة', 'إحالة'] });
      expect(output.llm).to.deep.include({ provider: 'groq', model: 'llama-3.3-70b-versatile', masked: true });
      expect(output.llm.attempts.map((a) => a.outcome)).to.deep.equal(['ok']);
    });
  }

  it('keeps the prompt as sent (masked, Arabic for an Arabic lead) and the answer; never a key', async () => {
    groq.setDefault({ answer: { score: 80, reasons: ['[NAME_1] مهتمة'] } });
    const { service } = fakeLlm({ groq: groq.url, openai: openai.url });
    const { output } = await run({ lead: '=$' }, { input: ARABIC_LEAD, llm: service });
    const prompt = JSON.stringify(output.llm.prompt);
    expect(prompt).to.match(/مؤهِّل العملاء/); // the Arabic system prompt
    expect(prompt).to.not.include('نورة');
    expect(prompt).to.not.include('111 2233');
    expect(output.reasons).to.deep.equal(['نورة الحربي مهتمة']);
    expect(output.llm.answer).to.equal(JSON.stringify({ score: 80, reasons: ['نورة الحربي مهتمة'] }));
    const all = JSON.stringify(output);
    expect(all).to.not.include(GROQ_TEST_KEY);
    expect(all).to.not.include(OPENAI_TEST_KEY);
    expect(groq.requests[0]!.raw).to.not.include('نورة');
  });

  it('an English lead gets the English prompt', async () => {
    groq.setDefault({ answer: { score: 45, reasons: ['Budget fits'] } });
    const { service } = fakeLlm({ groq: groq.url, openai: openai.url, locale: 'ar' });
    const { port } = await run({ lead: '=$' }, { input: { name: 'John', budget_sar: 90000, source: 'website' }, llm: service });
    expect(port).to.equal('warm');
    expect(groq.requests[0]!.body!.messages![0]!.content).to.match(/^You are the Lead Qualifier/);
  });

  it('thresholds decide the tier, not the model', async () => {
    groq.setDefault({ answer: { score: 60, reasons: ['x'], tier: 'cold' } });
    const { service } = fakeLlm({ groq: groq.url, openai: openai.url });
    const { port, output } = await run({ lead: '=$', thresholds: { hot: 60, warm: 30 } }, { input: ARABIC_LEAD, llm: service });
    expect(port).to.equal('hot');
    expect(output.tier).to.equal('hot');
  });

  it('the lead defaults to the contact, else the trigger payload', async () => {
    groq.setDefault({ answer: { score: 50, reasons: ['x'] } });
    const { service } = fakeLlm({ groq: groq.url, openai: openai.url, settings: { external: 'allowed' } });
    await run({}, { input: { ignored: true }, contact: { name: 'Contact Person', budget: 1 }, trigger: { name: 'Trigger Person' }, llm: service });
    await run({}, { input: { ignored: true }, trigger: { name: 'Trigger Person' }, llm: service });
    expect(groq.requests[0]!.raw).to.include('Contact Person');
    expect(groq.requests[1]!.raw).to.include('Trigger Person');
    expect(groq.requests[1]!.raw).to.not.include('ignored');
  });

  it('the conversation is part of the prompt', async () => {
    groq.setDefault({ answer: { score: 50, reasons: ['x'] } });
    const { service } = fakeLlm({ groq: groq.url, openai: openai.url, settings: { external: 'allowed' } });
    await run({ lead: '=$', conversation: '=$nodes.inbox.output' }, { input: { name: 'Ali' }, nodes: { inbox: { output: ['كم السعر؟'], port: 'out' } }, llm: service });
    expect(groq.requests[0]!.body!.messages![1]!.content).to.include('كم السعر؟');
  });

  describe('without a model (the rules scorer)', () => {
    it('an Arabic lead with Arabic-Indic digits is hot, with Arabic reasons (no ctx.llm: rules only)', async () => {
      const { port, output } = await run({ lead: '=$' }, { input: ARABIC_LEAD });
      expect(port).to.equal('hot');
      expect(output.score).to.equal(30 + 12 + 15 + 24); // budget, size, referral, 1 meeting + 2 replies
      expect(output.reasons[0]).to.equal('الميزانية ٥٠٠٬٠٠٠ ريال');
      expect(output.llm).to.deep.include({ provider: 'rules', model: 'rules-v1', prompt: null, costMicroUsd: 0 });
    });

    it("policy 'off': nothing is sent; attempts show skipped_policy", async () => {
      const { service, usage } = fakeLlm({ groq: groq.url, openai: openai.url, settings: { external: 'off' } });
      const { port, output } = await run({ lead: '=$' }, { input: { name: 'Sara', budget_sar: '75000' }, llm: service });
      expect(port).to.equal('cold');
      expect(output.llm.attempts.map((a) => `${a.provider}:${a.outcome}`)).to.deep.equal(['groq:skipped_policy', 'openai:skipped_policy', 'rules:ok']);
      expect(groq.requests.length + openai.requests.length).to.equal(0);
      expect(usage).to.have.length(0);
    });

    it('providers down: the rules answer after the attempts', async () => {
      groq.setDefault({ status: 503 });
      openai.setDefault({ status: 500 });
      const { service } = fakeLlm({ groq: groq.url, openai: openai.url });
      const { output } = await run({ lead: '=$' }, { input: { name: 'John', budget_sar: '1,000,000', employees: 2000, source: 'referral', meetings: 2, replies: 3 }, llm: service });
      expect(output.tier).to.equal('hot');
      expect(output.reasons[0]).to.equal('Budget SAR 1,000,000');
      expect(output.llm.attempts.map((a) => a.outcome)).to.deep.equal(['server_error', 'server_error', 'server_error', 'server_error', 'ok']);
    });
  });

  it('a revoked key (401) fails the step: not retryable, no rules answer', async () => {
    groq.setDefault({ status: 401 });
    const { service } = fakeLlm({ groq: groq.url, openai: openai.url });
    const err = await failureOf(runNode(aiScoreNode, { params: { lead: '=$' }, input: ARABIC_LEAD, llm: service }));
    expect(err.code).to.equal('llm_unauthorized');
    expect(err.retryable).to.equal(false);
    expect(openai.requests).to.have.length(0);
  });

  it('checks thresholds at save time', () => {
    expect(checkParams(aiScoreNode, { thresholds: { hot: 40, warm: 40 } })).to.deep.equal([{ path: '/thresholds/warm', code: 'invalid_value', message: 'warm must be lower than hot' }]);
    expect(checkParams(aiScoreNode, { thresholds: { hot: 80, warm: 50 } })).to.deep.equal([]);
    expect(checkParams(aiScoreNode, { thresholds: { hot: 101 } }).map((e) => e.path)).to.include('/thresholds/hot');
    expect(checkParams(aiScoreNode, { nope: 1 }).length).to.be.greaterThan(0);
  });

  it('its output schema is what it asks the model for', () => {
    const v = compileSchema(SCORE_SCHEMA);
    expect(v({ score: 50, reasons: ['a'] })).to.equal(true);
    expect(v({ score: 101, reasons: ['a'] })).to.equal(false);
    expect(v({ score: 50, reasons: [] })).to.equal(false);
  });
});

// ctx.llm end to end through the real SDKs (groq-sdk, openai) against local OpenAI-compatible
// servers (test/helpers/fake-openai.ts): Groq down (connection refused, 500, 429, a stall past
// the timeout, a broken body, a reset) → OpenAI answers; both down or no keys → rules; bad
// JSON → repaired or the next provider; 400/401 → step error, no fallback; PII masking on the
// wire; policy 'off' never calls; usage rows with integer costs; SDK retries off; no key in any
// error or attempt.
import { expect } from 'chai';
import { llmFailure, outcomes } from '../helpers/llm-assertions.js';
import { type LlmRequest, type LlmResult } from '../../engine/index.js';
import { GROQ_TEST_KEY, OPENAI_TEST_KEY, fakeLlm, refusedUrl, startFakeOpenAI, type FakeLlmOptions, type FakeOpenAI } from '../helpers/fake-openai.js';

const SCHEMA = {
  type: 'object',
  properties: { score: { type: 'integer', minimum: 0, maximum: 100 }, reasons: { type: 'array', items: { type: 'string' } } },
  required: ['score', 'reasons'],
};

const request = (extra: Partial<LlmRequest> = {}): LlmRequest => ({
  task: 'score',
  system: 'Score the lead.',
  prompt: 'Lead: budget 75000 SAR, 40 employees',
  outputSchema: SCHEMA,
  rules: () => ({ score: 22, reasons: ['rules'] }),
  ...extra,
});


describe('ctx.llm through groq-sdk and openai against local servers', function () {
  let groq: FakeOpenAI;
  let openai: FakeOpenAI;
  let refused: string;

  before(async () => {
    groq = await startFakeOpenAI();
    openai = await startFakeOpenAI();
    refused = await refusedUrl();
  });

  after(async () => {
    await groq?.close();
    await openai?.close();
  });

  beforeEach(() => {
    groq.reset();
    openai.reset();
    groq.setDefault({ answer: { score: 81, reasons: ['groq'] } });
    openai.setDefault({ answer: { score: 64, reasons: ['openai'] } });
  });

  const llm = (extra: Partial<FakeLlmOptions> = {}) => fakeLlm({ groq: groq.url, openai: openai.url, settings: { external: 'allowed' }, ...extra });

  it('Groq answers: groq-sdk path, JSON mode, the tenant model, Bearer key; OpenAI is not called', async () => {
    const { service, usage } = llm();
    const r = await service.complete(request({ temperature: 0, maxTokens: 300 }));
    expect(r).to.deep.include({ provider: 'groq', model: 'llama-3.3-70b-versatile', json: { score: 81, reasons: ['groq'] } });
    expect(outcomes(r)).to.deep.equal(['groq:ok']);
    expect(groq.requests).to.have.length(1);
    const sent = groq.requests[0]!;
    expect(sent.path).to.equal('/openai/v1/chat/completions');
    expect(sent.headers.authorization).to.equal(`Bearer ${GROQ_TEST_KEY}`);
    expect(sent.body).to.deep.include({ model: 'llama-3.3-70b-versatile', response_format: { type: 'json_object' }, temperature: 0, max_completion_tokens: 300 });
    expect(sent.body!.messages![0]!.content).to.match(/^Score the lead\.\n\nAnswer with one JSON object only/);
    expect(openai.requests).to.have.length(0);
    expect(usage).to.deep.equal([
      { executionId: 'exec-test', stepId: 'exec-test:1', provider: 'groq', model: 'llama-3.3-70b-versatile', task: 'score', taskClass: 'classification', promptTokens: 120, completionTokens: 30, costMicroUsd: 95, at: usage[0]!.at },
    ]);
  });

  const groqDown: [string, () => Partial<FakeLlmOptions> | void, string[], number][] = [
    ['connection refused', () => ({ groq: refused }), ['groq:connection_error', 'openai:ok'], 0],
    ['HTTP 500 (twice: one retry)', () => groq.setDefault({ status: 500 }), ['groq:server_error', 'groq:server_error', 'openai:ok'], 2],
    ['HTTP 503 with Retry-After: 0', () => groq.setDefault({ status: 503, headers: { 'retry-after': '0' } }), ['groq:server_error', 'groq:server_error', 'openai:ok'], 2],
    ['HTTP 429 (twice: one retry)', () => groq.setDefault({ status: 429, headers: { 'retry-after-ms': '5' } }), ['groq:rate_limited', 'groq:rate_limited', 'openai:ok'], 2],
    ['HTTP 429 asking for a minute (no retry)', () => groq.setDefault({ status: 429, headers: { 'retry-after': '60' } }), ['groq:rate_limited', 'openai:ok'], 1],
    ['a stall past the per-call timeout', () => (groq.setDefault({ stall: true }), { timeoutMs: 300 }), ['groq:timeout', 'openai:ok'], 1],
    ['a 200 whose body is not JSON (broken gateway)', () => groq.setDefault({ garbage: true }), ['groq:server_error', 'groq:server_error', 'openai:ok'], 2],
    ['a reset connection', () => groq.setDefault({ reset: true }), ['groq:connection_error', 'openai:ok'], 1],
  ];
  for (const [what, arrange, expected, groqCalls] of groqDown) {
    it(`Groq down (${what}) → OpenAI answers; every attempt is recorded`, async () => {
      const extra = arrange() ?? {};
      const { service, usage } = llm(extra);
      const r = await service.complete(request());
      expect(outcomes(r)).to.deep.equal(expected);
      expect(r).to.deep.include({ provider: 'openai', model: 'gpt-4o-mini', json: { score: 64, reasons: ['openai'] } });
      expect(groq.requests).to.have.length(groqCalls); // the SDKs' own retries are off
      expect(openai.requests).to.have.length(1);
      expect(openai.requests[0]!.path).to.equal('/chat/completions');
      expect(openai.requests[0]!.headers.authorization).to.equal(`Bearer ${OPENAI_TEST_KEY}`);
      expect(usage.map((u) => u.provider)).to.deep.equal(['openai']);
    });
  }

  it('a 429 that clears on the retry stays on Groq', async () => {
    groq.queue({ status: 429, headers: { 'retry-after': '0' } });
    const { service } = llm();
    const r = await service.complete(request());
    expect(outcomes(r)).to.deep.equal(['groq:rate_limited', 'groq:ok']);
    expect(r.attempts[0]).to.include({ status: 429 });
  });

  it('both down → the rules answer', async () => {
    groq.setDefault({ status: 502 });
    const { service, usage } = llm({ openai: refused });
    const r = await service.complete(request());
    expect(outcomes(r)).to.deep.equal(['groq:server_error', 'groq:server_error', 'openai:connection_error', 'rules:ok']);
    expect(r).to.deep.include({ provider: 'rules', json: { score: 22, reasons: ['rules'] }, costMicroUsd: 0 });
    expect(usage).to.deep.equal([]);
  });

  it('no keys → the rules answer, and nothing is sent anywhere', async () => {
    const { service } = llm({ groq: null, openai: null });
    const r = await service.complete(request());
    expect(outcomes(r)).to.deep.equal(['groq:skipped_no_key', 'openai:skipped_no_key', 'rules:ok']);
    expect(groq.requests.length + openai.requests.length).to.equal(0);
  });

  it('only an OpenAI key → Groq skipped, OpenAI answers', async () => {
    const { service } = llm({ groq: null });
    expect(outcomes(await service.complete(request()))).to.deep.equal(['groq:skipped_no_key', 'openai:ok']);
  });

  it('bad JSON → one repair call that fixes it ("repaired"); both calls are billed', async () => {
    groq.queue({ badJson: true }, { answer: { score: 77, reasons: ['fixed'] } });
    const { service, usage } = llm();
    const r = await service.complete(request());
    expect(outcomes(r)).to.deep.equal(['groq:bad_json', 'groq:repaired']);
    expect(r.json).to.deep.equal({ score: 77, reasons: ['fixed'] });
    const repair = groq.requests[1]!.body!.messages!;
    expect(repair.at(-2)).to.deep.include({ role: 'assistant' });
    expect(repair.at(-1)!.content).to.match(/not valid JSON/);
    expect(usage).to.have.length(2);
    expect(r.usage).to.deep.equal({ promptTokens: 240, completionTokens: 60 });
    expect(r.costMicroUsd).to.equal(usage[0]!.costMicroUsd + usage[1]!.costMicroUsd);
  });

  it('JSON that breaks the schema twice → the next provider', async () => {
    groq.setDefault({ answer: { score: 'very high' } });
    const { service } = llm();
    const r = await service.complete(request());
    expect(outcomes(r)).to.deep.equal(['groq:bad_json', 'groq:bad_json', 'openai:ok']);
    expect(groq.requests[1]!.body!.messages!.at(-1)!.content).to.match(/\/score: must be integer/);
  });

  for (const [status, code] of [
    [400, 'llm_bad_request'],
    [401, 'llm_unauthorized'],
    [404, 'llm_bad_request'],
    [422, 'llm_bad_request'],
  ] as const) {
    it(`HTTP ${status} → the step fails (${code}), no fallback to OpenAI or the rules, no key in the error`, async () => {
      groq.setDefault({ status, message: `Incorrect API key provided: ${GROQ_TEST_KEY}. You can find your key at …` });
      const { service } = llm();
      const err = await llmFailure(service.complete(request()));
      expect(err.code).to.equal(code);
      expect(err.retryable).to.equal(false);
      expect(outcomes(err)).to.deep.equal(['groq:client_error']);
      expect(openai.requests).to.have.length(0);
      expect(groq.requests).to.have.length(1);
      expect(`${err.message} ${JSON.stringify(err.attempts)}`).to.not.include(GROQ_TEST_KEY);
      expect(err.message).to.include('[redacted]');
    });
  }

  it('a baseUrl on a private address is refused for a tenant that does not allow private networks (a misconfiguration, no fallback)', async () => {
    const { service } = llm({ allowPrivateNetwork: false, groq: groq.url.replace(/^http:/, 'https:') });
    const err = await llmFailure(service.complete(request()));
    expect(err.code).to.equal('llm_address_not_allowed');
    expect(outcomes(err)).to.deep.equal(['groq:client_error']);
    expect(groq.requests.length + openai.requests.length).to.equal(0);
  });

  it('a plain-http baseUrl is refused unless the tenant allows private networks (a key never goes out in clear text)', async () => {
    const { service } = llm({ allowPrivateNetwork: false });
    const err = await service.complete(request()).catch((e: unknown) => e);
    expect(err).to.have.property('code', 'llm_insecure_base_url');
    expect(err).to.have.property('retryable', false);
    expect(groq.requests.length + openai.requests.length).to.equal(0);
  });

  describe("llm.external = 'masked' (the default)", () => {
    const lead = {
      name: 'سارة العتيبي',
      phone: '+966 50 123 4567',
      whatsapp: '٠٥٥٩٨٧٦٥٤٣',
      office: '+44 20 7946 0958',
      email: 'sara.otaibi@najd-co.com.sa',
      notes: 'تواصلت سارة معنا، ميزانية ٥٠٠٬٠٠٠ ريال',
    };
    const secrets = ['سارة', 'العتيبي', '50 123 4567', '٠٥٥٩٨٧٦٥٤٣', '0559876543', '7946 0958', 'sara.otaibi', 'najd-co'];

    it('the server never receives the phone numbers, the e-mail or the name; the answer gets them back', async () => {
      groq.setDefault((req) => {
        const user = req.body!.messages!.find((m) => m.role === 'user')!.content;
        const name = /\[NAME_\d+\]/.exec(user)![0];
        const phone = /\[PHONE_\d+\]/.exec(user)![0];
        return { answer: { score: 88, reasons: [`${name} جاهزة للشراء`, `اتصل على ${phone}`] } };
      });
      const { service } = fakeLlm({ groq: groq.url, openai: openai.url });
      const r = await service.complete(request({ prompt: `العميل:\n${JSON.stringify(lead)}`, pii: { names: [lead.name] }, locale: 'ar' }));
      for (const s of secrets) expect(groq.requests[0]!.raw, s).to.not.include(s);
      expect(groq.requests[0]!.raw).to.include('٥٠٠٬٠٠٠'); // the budget is not personal data
      expect(r.json).to.deep.equal({ score: 88, reasons: ['سارة العتيبي جاهزة للشراء', 'اتصل على +966 50 123 4567'] });
      expect(r.masked).to.equal(true);
      expect(JSON.stringify(r.sent)).to.not.include('سارة');
    });

    it('masked on the fallback provider and on the repair call too', async () => {
      groq.setDefault({ status: 500 });
      openai.queue({ badJson: true }, { answer: { score: 50, reasons: ['ok'] } });
      const { service } = fakeLlm({ groq: groq.url, openai: openai.url });
      const r = await service.complete(request({ prompt: JSON.stringify(lead), pii: { names: [lead.name] } }));
      expect(outcomes(r)).to.deep.equal(['groq:server_error', 'groq:server_error', 'openai:bad_json', 'openai:repaired']);
      for (const req of [...groq.requests, ...openai.requests]) for (const s of secrets) expect(req.raw, s).to.not.include(s);
    });
  });

  it("llm.external = 'off' never calls a server: the rules answer, attempts skipped_policy", async () => {
    const { service, usage } = llm({ settings: { external: 'off' } });
    const r: LlmResult = await service.complete(request());
    expect(outcomes(r)).to.deep.equal(['groq:skipped_policy', 'openai:skipped_policy', 'rules:ok']);
    expect(groq.requests.length + openai.requests.length).to.equal(0);
    expect(usage).to.deep.equal([]);
  });

  it('models per task from the tenant settings (string = the Groq model; {groq, openai}; full task before its prefix)', async () => {
    const settings = { external: 'allowed' as const, models: { score: 'llama-3.1-8b-instant', agent: { openai: 'gpt-4.1-mini' }, 'agent:deal_advisor': { groq: 'qwen/qwen3-32b' } } };
    // Every class routed Groq → OpenAI (the table before routing by task): models override the routes' models.
    const groqFirst = [
      { provider: 'groq' as const, model: 'llama-3.3-70b-versatile' },
      { provider: 'openai' as const, model: 'gpt-4o-mini' },
    ];
    const { service } = llm({ settings, routing: { routes: { classification: groqFirst, sales_copy: groqFirst, research: groqFirst } } });
    await service.complete(request());
    groq.setDefault({ status: 500 });
    await service.complete(request({ task: 'agent:meeting_prep' }));
    groq.setDefault({ answer: { score: 1, reasons: [] } });
    await service.complete(request({ task: 'agent:deal_advisor' }));
    expect(groq.requests.map((q) => q.body!.model)).to.deep.equal(['llama-3.1-8b-instant', 'llama-3.3-70b-versatile', 'llama-3.3-70b-versatile', 'qwen/qwen3-32b']);
    expect(openai.requests.map((q) => q.body!.model)).to.deep.equal(['gpt-4.1-mini']);
  });

  it('usage rows carry integer micro-USD costs priced per model', async () => {
    groq.setDefault({ answer: { score: 1, reasons: [] }, usage: { prompt_tokens: 1234, completion_tokens: 567 } });
    const { service, usage } = llm();
    const r = await service.complete(request());
    // ceil((1234 × 590 + 567 × 790) / 1000) = ceil(1175.99)
    expect(usage[0]!.costMicroUsd).to.equal(1176);
    expect(r.costMicroUsd).to.equal(1176);
    expect(Number.isInteger(usage[0]!.costMicroUsd)).to.equal(true);
  });
});

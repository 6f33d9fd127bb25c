// LLM routing by task (engine/llm/routing.ts): task → class → ordered routes; each class reaches
// its provider through the official SDK (groq-sdk, @anthropic-ai/sdk, @google/genai, openai for
// DeepSeek and OpenAI) against local servers speaking each protocol; the chain's fallback policy
// (429 / 5xx / timeouts / connection errors → next; 4xx → the step fails), JSON repair and
// masking hold on the new providers; usage rows carry the task class and integer costs; a
// tenant's table and task classes are applied.
import { expect } from 'chai';
import { llmFailure, outcomes } from '../helpers/llm-assertions.js';
import { DEFAULT_ROUTING, routesFor, routingProblems, taskClassOf, type LlmRequest } from '../../engine/index.js';
import { ANTHROPIC_TEST_KEY, DEEPSEEK_TEST_KEY, GEMINI_TEST_KEY, fakeLlm, refusedUrl, startFakeOpenAI, type FakeLlmOptions, type FakeOpenAI } from '../helpers/fake-openai.js';
import { startFakeProvider } from '../helpers/fake-llm-providers.js';

const SCHEMA = {
  type: 'object',
  properties: { text: { type: 'string' } },
  required: ['text'],
};

const request = (task: string, extra: Partial<LlmRequest> = {}): LlmRequest => ({
  task,
  system: 'Do the task.',
  prompt: 'Input: a lead from Riyadh',
  outputSchema: SCHEMA,
  rules: () => ({ text: 'rules' }),
  ...extra,
});


describe('LLM routing: task classes and the table', () => {
  it('maps today’s task labels to classes (the tenant’s mapping, then the defaults, each full task then prefix; unknown → fallback; code* → code)', () => {
    expect(taskClassOf('score')).to.equal('classification');
    expect(taskClassOf('reply')).to.equal('classification');
    expect(taskClassOf('agent:lead_qualifier')).to.equal('classification');
    expect(taskClassOf('agent:content_generator')).to.equal('sales_copy');
    expect(taskClassOf('agent:deal_advisor')).to.equal('sales_copy');
    expect(taskClassOf('agent:meeting_prep')).to.equal('research');
    expect(taskClassOf('agent:custom')).to.equal('fallback');
    expect(taskClassOf('agent:new_role')).to.equal('fallback');
    expect(taskClassOf('code:generate')).to.equal('code');
    expect(taskClassOf('something')).to.equal('fallback');
    // The tenant's mapping wins over the defaults, its prefix too.
    expect(taskClassOf('agent:custom', { taskClasses: { agent: 'research' } })).to.equal('research');
    expect(taskClassOf('agent:custom', { taskClasses: { agent: 'research', 'agent:custom': 'code' } })).to.equal('code');
    expect(taskClassOf('agent:new_role', { taskClasses: { agent: 'research' } })).to.equal('research');
    expect(taskClassOf('score', { taskClasses: { score: 'code' } })).to.equal('code');
  });

  it('a class walks its routes, then the fallback class’s not already listed', () => {
    expect(routesFor('sales_copy').map((r) => r.provider)).to.deep.equal(['anthropic', 'openai', 'groq']);
    expect(routesFor('fallback')).to.deep.equal([...DEFAULT_ROUTING.fallback]);
    const tenant = { routes: { research: [{ provider: 'deepseek' as const, model: 'deepseek-chat' }], fallback: [{ provider: 'gemini' as const, model: 'gemini-2.5-pro' }] } };
    expect(routesFor('research', tenant)).to.deep.equal([
      { provider: 'deepseek', model: 'deepseek-chat' },
      { provider: 'gemini', model: 'gemini-2.5-pro' },
    ]);
    expect(routesFor('classification', tenant).map((r) => `${r.provider}/${r.model}`)).to.deep.equal(['groq/llama-3.3-70b-versatile', 'openai/gpt-4o-mini', 'gemini/gemini-2.5-pro']);
  });

  it('a route listed twice in a class is a problem with its path', () => {
    const r = { provider: 'openai' as const, model: 'gpt-4o-mini' };
    expect(routingProblems({ routes: { code: [r, { provider: 'deepseek', model: 'deepseek-chat' }, r] } }, '/body')).to.deep.equal([
      { path: '/body/routes/code/2', code: 'duplicate_route', message: 'openai gpt-4o-mini is already route 0 of code' },
    ]);
  });
});

describe('LLM routing through each provider’s SDK against local servers', function () {
  let groq: FakeOpenAI;
  let openai: FakeOpenAI;
  let deepseek: FakeOpenAI;
  let anthropic: FakeOpenAI;
  let gemini: FakeOpenAI;
  let refused: string;

  before(async () => {
    groq = await startFakeOpenAI();
    openai = await startFakeOpenAI();
    deepseek = await startFakeOpenAI();
    anthropic = await startFakeProvider('anthropic');
    gemini = await startFakeProvider('gemini');
    refused = await refusedUrl();
  });

  after(async () => {
    for (const s of [groq, openai, deepseek, anthropic, gemini]) await s?.close();
  });

  beforeEach(() => {
    for (const [s, name] of [
      [groq, 'groq'],
      [openai, 'openai'],
      [deepseek, 'deepseek'],
      [anthropic, 'anthropic'],
      [gemini, 'gemini'],
    ] as const) {
      s.reset();
      s.setDefault({ answer: { text: `from ${name}` } });
    }
  });

  const llm = (extra: Partial<FakeLlmOptions> = {}) =>
    fakeLlm({ groq: groq.url, openai: openai.url, anthropic: anthropic.url, gemini: gemini.url, deepseek: `${deepseek.url}/v1`, settings: { external: 'allowed' }, ...extra });
  const calls = () => ({ groq: groq.requests.length, openai: openai.requests.length, deepseek: deepseek.requests.length, anthropic: anthropic.requests.length, gemini: gemini.requests.length });

  it('classification → Groq (groq-sdk)', async () => {
    const { service, usage } = llm();
    const r = await service.complete(request('score'));
    expect(r).to.deep.include({ provider: 'groq', taskClass: 'classification', json: { text: 'from groq' } });
    expect(calls()).to.deep.equal({ groq: 1, openai: 0, deepseek: 0, anthropic: 0, gemini: 0 });
    expect(usage[0]).to.include({ provider: 'groq', task: 'score', taskClass: 'classification' });
  });

  it('sales copy → Claude through @anthropic-ai/sdk: POST /v1/messages, the key, system apart, max_tokens; cost per task class', async () => {
    const { service, usage } = llm();
    const r = await service.complete(request('agent:content_generator', { temperature: 0.7 }));
    expect(r).to.deep.include({ provider: 'anthropic', model: 'claude-sonnet-4-5', taskClass: 'sales_copy', json: { text: 'from anthropic' } });
    expect(outcomes(r)).to.deep.equal(['anthropic:ok']);
    const sent = anthropic.requests[0]!;
    expect(sent.path).to.equal('/v1/messages');
    // @anthropic-ai/sdk 1.x sends the API key as a bearer token.
    expect(sent.headers.authorization).to.equal(`Bearer ${ANTHROPIC_TEST_KEY}`);
    expect(sent.headers['anthropic-version']).to.be.a('string');
    expect(sent.body).to.deep.include({ model: 'claude-sonnet-4-5', max_tokens: 4096, temperature: 0.7 });
    expect(sent.body!.system).to.match(/^Do the task\.\n\nAnswer with one JSON object only/);
    expect(sent.body!.messages).to.deep.equal([{ role: 'user', content: 'Input: a lead from Riyadh' }]);
    expect(calls()).to.deep.include({ openai: 0, groq: 0 });
    // ceil((120 × 3000 + 30 × 15000) / 1000) = 810
    expect(usage).to.deep.equal([
      { executionId: 'exec-test', stepId: 'exec-test:1', provider: 'anthropic', model: 'claude-sonnet-4-5', task: 'agent:content_generator', taskClass: 'sales_copy', promptTokens: 120, completionTokens: 30, costMicroUsd: 810, at: usage[0]!.at },
    ]);
  });

  it('research → Gemini through @google/genai: POST /v1beta/models/{model}:generateContent, x-goog-api-key, JSON mime type', async () => {
    const { service, usage } = llm();
    const r = await service.complete(request('agent:meeting_prep', { maxTokens: 500 }));
    expect(r).to.deep.include({ provider: 'gemini', model: 'gemini-2.5-flash', taskClass: 'research', json: { text: 'from gemini' } });
    const sent = gemini.requests[0]!;
    expect(sent.path).to.equal('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent.headers['x-goog-api-key']).to.equal(GEMINI_TEST_KEY);
    expect(sent.raw).to.not.include(GEMINI_TEST_KEY);
    expect(sent.body!.generationConfig).to.deep.include({ responseMimeType: 'application/json', maxOutputTokens: 500 });
    expect(JSON.stringify(sent.body!.systemInstruction)).to.include('Do the task.');
    expect(sent.body!.contents).to.deep.equal([{ role: 'user', parts: [{ text: 'Input: a lead from Riyadh' }] }]);
    // ceil((120 × 300 + 30 × 2500) / 1000) = 111
    expect(usage[0]).to.include({ provider: 'gemini', taskClass: 'research', costMicroUsd: 111 });
  });

  it('code → DeepSeek through its OpenAI-compatible endpoint (openai SDK): POST /v1/chat/completions, Bearer key, max_tokens', async () => {
    const { service, usage } = llm();
    const r = await service.complete(request('code:generate', { maxTokens: 200 }));
    expect(r).to.deep.include({ provider: 'deepseek', model: 'deepseek-chat', taskClass: 'code' });
    const sent = deepseek.requests[0]!;
    expect(sent.path).to.equal('/v1/chat/completions');
    expect(sent.headers.authorization).to.equal(`Bearer ${DEEPSEEK_TEST_KEY}`);
    expect(sent.body).to.deep.include({ model: 'deepseek-chat', max_tokens: 200, response_format: { type: 'json_object' } });
    // ceil((120 × 280 + 30 × 420) / 1000) = ceil(46.2)
    expect(usage[0]).to.include({ provider: 'deepseek', taskClass: 'code', costMicroUsd: 47 });
  });

  it('fallback → OpenAI; a request may name its class', async () => {
    const { service, usage } = llm();
    const r = await service.complete(request('agent:custom'));
    expect(r).to.deep.include({ provider: 'openai', taskClass: 'fallback' });
    const named = await service.complete(request('agent:custom', { taskClass: 'research' }));
    expect(named).to.deep.include({ provider: 'gemini', taskClass: 'research' });
    expect(usage.map((u) => u.taskClass)).to.deep.equal(['fallback', 'research']);
  });

  it('Claude 429 (Retry-After 0) twice → retried once, then OpenAI', async () => {
    anthropic.setDefault({ status: 429, headers: { 'retry-after': '0' } });
    const r = await llm().service.complete(request('agent:content_generator'));
    expect(outcomes(r)).to.deep.equal(['anthropic:rate_limited', 'anthropic:rate_limited', 'openai:ok']);
    expect(r.attempts[0]).to.include({ status: 429 });
  });

  it('Gemini 429 with a Retry-After over the cap → no retry, the next provider (the header read through the SDK)', async () => {
    gemini.setDefault({ status: 429, headers: { 'retry-after': '30' } });
    const r = await llm().service.complete(request('agent:meeting_prep'));
    expect(outcomes(r)).to.deep.equal(['gemini:rate_limited', 'openai:ok']);
    expect(gemini.requests).to.have.length(1);
  });

  it('Gemini 500 then 200 → the retry answers', async () => {
    gemini.queue({ status: 500 });
    const r = await llm().service.complete(request('agent:meeting_prep'));
    expect(outcomes(r)).to.deep.equal(['gemini:server_error', 'gemini:ok']);
  });

  const down: [string, () => void, Partial<FakeLlmOptions> | (() => Partial<FakeLlmOptions>), string, string[]][] = [
    ['DeepSeek stalls past the timeout', () => deepseek.setDefault({ stall: true }), { timeoutMs: 300 }, 'code:generate', ['deepseek:timeout', 'openai:ok']],
    ['Claude refuses connections', () => undefined, () => ({ anthropic: refused }), 'agent:content_generator', ['anthropic:connection_error', 'openai:ok']],
    ['Gemini resets the connection', () => gemini.setDefault({ reset: true }), {}, 'agent:meeting_prep', ['gemini:connection_error', 'openai:ok']],
    ['Gemini answers a body that is not JSON', () => gemini.setDefault({ garbage: true }), {}, 'agent:meeting_prep', ['gemini:server_error', 'gemini:server_error', 'openai:ok']],
    ['Claude answers a body that is not JSON', () => anthropic.setDefault({ garbage: true }), {}, 'agent:content_generator', ['anthropic:server_error', 'anthropic:server_error', 'openai:ok']],
    ['DeepSeek 503', () => deepseek.setDefault({ status: 503 }), {}, 'code:generate', ['deepseek:server_error', 'deepseek:server_error', 'openai:ok']],
  ];
  for (const [name, arrange, options, task, expected] of down) {
    it(`${name} → OpenAI answers`, async () => {
      arrange();
      const r = await llm(typeof options === 'function' ? options() : options).service.complete(request(task));
      expect(outcomes(r)).to.deep.equal(expected);
      expect(r.provider).to.equal('openai');
    });
  }

  it('every provider down → Groq (the fallback class’s last route), then the rules', async () => {
    for (const s of [anthropic, openai]) s.setDefault({ status: 500 });
    const r = await llm().service.complete(request('agent:content_generator'));
    expect(outcomes(r)).to.deep.equal(['anthropic:server_error', 'anthropic:server_error', 'openai:server_error', 'openai:server_error', 'groq:ok']);
    groq.setDefault({ status: 500 });
    const rules = await llm().service.complete(request('agent:content_generator'));
    expect(rules).to.deep.include({ provider: 'rules', json: { text: 'rules' } });
  });

  it('a revoked Gemini key (401) and a bad Claude request (400) fail the step, no fallback, no key in the message', async () => {
    gemini.setDefault({ status: 401, message: `API key not valid: ${GEMINI_TEST_KEY}` });
    const f = await llmFailure(llm().service.complete(request('agent:meeting_prep')));
    expect(f.code).to.equal('llm_unauthorized');
    expect(f.retryable).to.equal(false);
    expect(f.message).to.not.include(GEMINI_TEST_KEY);
    expect(outcomes(f)).to.deep.equal(['gemini:client_error']);
    anthropic.setDefault({ status: 400, message: 'max_tokens: too large' });
    const g = await llmFailure(llm().service.complete(request('agent:content_generator')));
    expect(g.code).to.equal('llm_bad_request');
    expect(openai.requests).to.have.length(0);
  });

  it('a bad JSON answer from Claude is repaired once (the answer sent back as the assistant turn)', async () => {
    anthropic.queue({ badJson: true });
    const { service, usage } = llm();
    const r = await service.complete(request('agent:content_generator'));
    expect(outcomes(r)).to.deep.equal(['anthropic:bad_json', 'anthropic:repaired']);
    expect(anthropic.requests[1]!.body!.messages!.map((m) => m.role)).to.deep.equal(['user', 'assistant', 'user']);
    expect(usage.map((u) => u.taskClass)).to.deep.equal(['sales_copy', 'sales_copy']);
  });

  it('masking holds on the wire for Claude and Gemini; placeholders are restored in the answer', async () => {
    const respond = { answer: { text: 'اتصل بـ [NAME_1] على [PHONE_1]' } };
    anthropic.setDefault(respond);
    gemini.setDefault(respond);
    const { service } = llm({ settings: { external: 'masked' } });
    for (const task of ['agent:content_generator', 'agent:meeting_prep']) {
      const r = await service.complete(request(task, { prompt: 'Lead: نورة الحربي, +966 55 111 2233', pii: { names: ['نورة الحربي'] } }));
      expect(r.json).to.deep.equal({ text: 'اتصل بـ نورة الحربي على +966 55 111 2233' });
      expect(r.masked).to.equal(true);
    }
    for (const raw of [anthropic.requests[0]!.raw, gemini.requests[0]!.raw]) {
      expect(raw).to.not.include('نورة');
      expect(raw).to.not.include('111 2233');
    }
  });

  it('the tenant’s table and task classes are applied', async () => {
    const { service } = llm({
      routing: {
        routes: { sales_copy: [{ provider: 'gemini', model: 'gemini-2.5-pro' }] },
        taskClasses: { 'agent:deal_advisor': 'code' },
      },
    });
    const copy = await service.complete(request('agent:content_generator'));
    expect(copy).to.deep.include({ provider: 'gemini', model: 'gemini-2.5-pro', taskClass: 'sales_copy' });
    expect(gemini.requests[0]!.path).to.equal('/v1beta/models/gemini-2.5-pro:generateContent');
    const advice = await service.complete(request('agent:deal_advisor'));
    expect(advice).to.deep.include({ provider: 'deepseek', taskClass: 'code' });
    expect(anthropic.requests).to.have.length(0);
  });

  it('every new client connects through the egress guard: a private baseUrl is refused for a tenant without private networks (no fallback)', async () => {
    const https = (u: string) => u.replace(/^http:/, 'https:');
    for (const [task, provider] of [
      ['agent:content_generator', 'anthropic'],
      ['agent:meeting_prep', 'gemini'],
      ['code:generate', 'deepseek'],
    ] as const) {
      const { service } = llm({ allowPrivateNetwork: false, anthropic: https(anthropic.url), gemini: https(gemini.url), deepseek: https(`${deepseek.url}/v1`) });
      const f = await llmFailure(service.complete(request(task)));
      expect(f.code, provider).to.equal('llm_address_not_allowed');
      expect(outcomes(f)).to.deep.equal([`${provider}:client_error`]);
    }
    expect(Object.values(calls()).reduce((a, b) => a + b, 0)).to.equal(0);
  });

  it('a provider without a key is skipped to the next route', async () => {
    const r = await llm({ anthropic: null }).service.complete(request('agent:content_generator'));
    expect(outcomes(r)).to.deep.equal(['anthropic:skipped_no_key', 'openai:ok']);
  });
});

// The provider chain's policy (engine/llm/chain.ts) with scripted in-memory clients: retry once
// on 429/5xx (Retry-After honoured up to a cap), fall back on timeouts and connection errors,
// fail on 400/401 without fallback, one repair for bad JSON, rules last, 'off' and no keys,
// attempts for every path, billing of every answered call in integer micro-USD.
import { expect } from 'chai';
import { llmFailure, outcomes } from '../helpers/llm-assertions.js';
import {
  LlmProviderError,
  costMicroUsd,
  formatMicroUsd,
  priceOf,
  runChain,
  UNKNOWN_MODEL_PRICE,
  type BilledCall,
  type ChatCall,
  type ChatClient,
  type ChatReply,
  type ChainOptions,
  type LlmRequest,
  type ProviderSlot,
} from '../../engine/index.js';

type Step = ChatReply | LlmProviderError | ((call: ChatCall) => ChatReply | LlmProviderError | Promise<ChatReply>);

interface Scripted extends ChatClient {
  calls: ChatCall[];
}

const usage = { promptTokens: 100, completionTokens: 20 };
const ok = (content: unknown): ChatReply => ({ content: typeof content === 'string' ? content : JSON.stringify(content), usage });

function scripted(...steps: Step[]): Scripted {
  const calls: ChatCall[] = [];
  return {
    calls,
    async chat(call) {
      calls.push(structuredClone({ ...call, signal: undefined }));
      const step = steps.shift();
      if (!step) throw new Error('unexpected call');
      const r = typeof step === 'function' ? await step(call) : step;
      if (r instanceof LlmProviderError) throw r;
      return r;
    },
  };
}

const slot = (provider: 'groq' | 'openai', client: ChatClient | null, model = provider === 'groq' ? 'llama-3.3-70b-versatile' : 'gpt-4o-mini'): ProviderSlot => ({
  provider,
  model,
  connect: async () => client,
});

const SCHEMA = { type: 'object', properties: { score: { type: 'integer', minimum: 0, maximum: 100 } }, required: ['score'] };
const request = (extra: Partial<LlmRequest> = {}): LlmRequest => ({ task: 'score', prompt: 'score this lead', outputSchema: SCHEMA, rules: () => ({ score: 7 }), ...extra });

function chain(slots: ProviderSlot[], extra: Partial<ChainOptions> = {}) {
  const sleeps: number[] = [];
  const billed: BilledCall[] = [];
  const options: ChainOptions = {
    slots,
    external: 'allowed',
    sleep: async (ms) => void sleeps.push(ms),
    onBilled: (b) => billed.push(b),
    ...extra,
  };
  return { options, sleeps, billed };
}


describe('llm chain (engine/llm/chain.ts)', () => {
  it('answers from the first provider: JSON mode, validated, billed', async () => {
    const groq = scripted(ok({ score: 81 }));
    const { options, billed } = chain([slot('groq', groq), slot('openai', scripted())]);
    const r = await runChain(request(), options);
    expect(r).to.deep.include({ provider: 'groq', model: 'llama-3.3-70b-versatile', json: { score: 81 }, content: '{"score":81}' });
    expect(outcomes(r)).to.deep.equal(['groq:ok']);
    expect(groq.calls[0]!.json).to.equal(true);
    expect(groq.calls[0]!.messages[0]!.role).to.equal('system');
    expect(groq.calls[0]!.messages[0]!.content).to.match(/JSON Schema/);
    expect(billed).to.deep.equal([{ provider: 'groq', model: 'llama-3.3-70b-versatile', usage, costMicroUsd: 75 }]);
    expect(r.costMicroUsd).to.equal(75); // ceil((100×590 + 20×790) / 1000) = ceil(74.8)
    expect(Number.isInteger(r.costMicroUsd)).to.equal(true);
  });

  for (const kind of ['rate_limited', 'server_error'] as const) {
    it(`${kind}: retried once on the same provider after the backoff, then the next provider`, async () => {
      const status = kind === 'rate_limited' ? 429 : 503;
      const groq = scripted(new LlmProviderError(kind, 'busy', status), new LlmProviderError(kind, 'busy', status));
      const openai = scripted(ok({ score: 55 }));
      const { options, sleeps } = chain([slot('groq', groq), slot('openai', openai)], { retryDelayMs: 123 });
      const r = await runChain(request(), options);
      expect(outcomes(r)).to.deep.equal([`groq:${kind}`, `groq:${kind}`, 'openai:ok']);
      expect(r.attempts[0]).to.include({ status });
      expect(sleeps).to.deep.equal([123]);
      expect(r.provider).to.equal('openai');
    });
  }

  it('a retry that succeeds keeps the provider', async () => {
    const groq = scripted(new LlmProviderError('rate_limited', 'slow down', 429, 40), ok({ score: 60 }));
    const { options, sleeps } = chain([slot('groq', groq), slot('openai', scripted())]);
    const r = await runChain(request(), options);
    expect(outcomes(r)).to.deep.equal(['groq:rate_limited', 'groq:ok']);
    expect(sleeps).to.deep.equal([40]); // Retry-After honoured
  });

  it('a Retry-After longer than the cap skips the retry and falls back at once', async () => {
    const groq = scripted(new LlmProviderError('rate_limited', 'come back in a minute', 429, 60_000));
    const { options, sleeps } = chain([slot('groq', groq), slot('openai', scripted(ok({ score: 1 })))], { maxRetryDelayMs: 2_000 });
    const r = await runChain(request(), options);
    expect(outcomes(r)).to.deep.equal(['groq:rate_limited', 'openai:ok']);
    expect(sleeps).to.deep.equal([]);
    expect(groq.calls).to.have.length(1);
  });

  for (const kind of ['timeout', 'connection_error'] as const) {
    it(`${kind}: no retry, the next provider at once`, async () => {
      const groq = scripted(new LlmProviderError(kind, 'down'));
      const { options, sleeps } = chain([slot('groq', groq), slot('openai', scripted(ok({ score: 2 })))]);
      const r = await runChain(request(), options);
      expect(outcomes(r)).to.deep.equal([`groq:${kind}`, 'openai:ok']);
      expect(sleeps).to.deep.equal([]);
    });
  }

  for (const [status, code] of [
    [400, 'llm_bad_request'],
    [401, 'llm_unauthorized'],
    [403, 'llm_unauthorized'],
    [404, 'llm_bad_request'],
    [422, 'llm_bad_request'],
  ] as const) {
    it(`HTTP ${status}: the step fails (${code}), not retryable, no fallback, attempts kept`, async () => {
      const openai = scripted(ok({ score: 3 }));
      const { options } = chain([slot('groq', scripted(new LlmProviderError('client_error', 'bad', status))), slot('openai', openai)]);
      const err = await llmFailure(runChain(request(), options));
      expect(err.code).to.equal(code);
      expect(err.retryable).to.equal(false);
      expect(err.message).to.match(new RegExp(`groq HTTP ${status}`));
      expect(outcomes(err)).to.deep.equal(['groq:client_error']);
      expect(openai.calls).to.have.length(0);
    });
  }

  it('a client error on the retry or the repair call fails the step too', async () => {
    const a = chain([slot('groq', scripted(new LlmProviderError('server_error', 'x', 500), new LlmProviderError('client_error', 'revoked', 401))), slot('openai', scripted())]);
    expect(outcomes(await llmFailure(runChain(request(), a.options)))).to.deep.equal(['groq:server_error', 'groq:client_error']);
    const b = chain([slot('groq', scripted(ok('nope'), new LlmProviderError('client_error', 'too long', 400))), slot('openai', scripted())]);
    expect(outcomes(await llmFailure(runChain(request(), b.options)))).to.deep.equal(['groq:bad_json', 'groq:client_error']);
  });

  it('bad JSON: one repair call with the validation errors; a fixed answer is "repaired"', async () => {
    const groq = scripted(ok({ score: 'high' }), ok({ score: 90 }));
    const { options, billed } = chain([slot('groq', groq), slot('openai', scripted())]);
    const r = await runChain(request({ locale: 'en' }), options);
    expect(outcomes(r)).to.deep.equal(['groq:bad_json', 'groq:repaired']);
    expect(r.json).to.deep.equal({ score: 90 });
    const repair = groq.calls[1]!.messages;
    expect(repair.at(-2)).to.deep.equal({ role: 'assistant', content: '{"score":"high"}' });
    expect(repair.at(-1)!.role).to.equal('user');
    expect(repair.at(-1)!.content).to.match(/\/score: must be integer/);
    // Both calls used tokens: both are billed.
    expect(billed).to.have.length(2);
    expect(r.usage).to.deep.equal({ promptTokens: 200, completionTokens: 40 });
    expect(r.costMicroUsd).to.equal(150);
  });

  it('bad JSON twice: the next provider; text that is not JSON at all counts as bad JSON', async () => {
    const groq = scripted(ok('Sure! {score: 5'), ok('still not JSON'));
    const openai = scripted(ok('```json\n{"score": 44}\n```'));
    const { options } = chain([slot('groq', groq), slot('openai', openai)]);
    const r = await runChain(request(), options);
    expect(outcomes(r)).to.deep.equal(['groq:bad_json', 'groq:bad_json', 'openai:ok']);
    expect(r.json).to.deep.equal({ score: 44 }); // a Markdown fence is tolerated
  });

  it('no keys: both providers skipped (skipped_no_key), the rules answer', async () => {
    const { options } = chain([slot('groq', null), slot('openai', null)]);
    const r = await runChain(request(), options);
    expect(outcomes(r)).to.deep.equal(['groq:skipped_no_key', 'openai:skipped_no_key', 'rules:ok']);
    expect(r).to.deep.include({ provider: 'rules', model: 'rules-v1', json: { score: 7 }, costMicroUsd: 0, sent: null });
  });

  it("policy 'off': nothing is called (skipped_policy), the rules answer", async () => {
    const groq = scripted();
    let connected = 0;
    const counting: ProviderSlot = { provider: 'groq', model: 'm', connect: async () => (connected++, groq) };
    const { options } = chain([counting, slot('openai', scripted())], { external: 'off' });
    const r = await runChain(request(), options);
    expect(outcomes(r)).to.deep.equal(['groq:skipped_policy', 'openai:skipped_policy', 'rules:ok']);
    expect(connected).to.equal(0);
    expect(r.sent).to.equal(null);
  });

  it('all providers down and no rules: llm_unavailable (retryable); rules that do not fit the schema: the same', async () => {
    const down = () => [slot('groq', scripted(new LlmProviderError('connection_error', 'refused'))), slot('openai', scripted(new LlmProviderError('timeout', 'slow')))];
    const err = await llmFailure(runChain(request({ rules: undefined }), chain(down()).options));
    expect(err.code).to.equal('llm_unavailable');
    expect(err.retryable).to.equal(true);
    expect(outcomes(err)).to.deep.equal(['groq:connection_error', 'openai:timeout']);
    const misfit = await llmFailure(runChain(request({ rules: () => ({ score: 'n/a' }) }), chain(down()).options));
    expect(misfit.code).to.equal('llm_unavailable');
    expect(misfit.message).to.match(/does not fit the output schema/);
  });

  it('an invalid outputSchema fails before any call', async () => {
    const groq = scripted();
    const err = await llmFailure(runChain(request({ outputSchema: { type: 'nonsense' } }), chain([slot('groq', groq)]).options));
    expect(err.code).to.equal('invalid_output_schema');
    expect(groq.calls).to.have.length(0);
  });

  it('text calls (no schema): content as answered, no JSON mode', async () => {
    const groq = scripted(ok('مرحبا'));
    const r = await runChain({ task: 'agent', messages: [{ role: 'user', content: 'قل مرحبا' }] }, chain([slot('groq', groq)]).options);
    expect(r.content).to.equal('مرحبا');
    expect(r).to.not.have.property('json');
    expect(groq.calls[0]!.json).to.equal(false);
    expect(groq.calls[0]!.messages).to.deep.equal([{ role: 'user', content: 'قل مرحبا' }]);
  });

  it('passes the timeout, temperature and max tokens to the client', async () => {
    const groq = scripted(ok({ score: 1 }));
    await runChain(request({ temperature: 0, maxTokens: 300 }), chain([slot('groq', groq)], { timeoutMs: 1234 }).options);
    expect(groq.calls[0]).to.include({ timeoutMs: 1234, temperature: 0, maxTokens: 300, model: 'llama-3.3-70b-versatile' });
  });

  it('the step being aborted stops the chain: no fallback, the abort reason is thrown', async () => {
    const controller = new AbortController();
    const reason = new Error('step cancelled');
    const groq = scripted(() => {
      controller.abort(reason);
      return new LlmProviderError('connection_error', 'aborted');
    });
    const openai = scripted(ok({ score: 1 }));
    let thrown: unknown;
    await runChain(request({ signal: controller.signal }), chain([slot('groq', groq), slot('openai', openai)]).options).catch((e: unknown) => (thrown = e));
    expect(thrown).to.equal(reason);
    expect(openai.calls).to.have.length(0);
  });

  it('a request without a user message is refused', async () => {
    const err = await runChain({ task: 'x', system: 'only a system prompt' }, chain([]).options).catch((e: unknown) => e);
    expect(err).to.have.property('code', 'invalid_llm_request');
  });

  describe("policy 'masked'", () => {
    it('sends placeholders, restores the answer (JSON strings and text), notes the placeholders in the system prompt', async () => {
      const groq = scripted((call) => {
        const user = call.messages.find((m) => m.role === 'user')!.content;
        expect(user).to.equal('Lead [NAME_1], phone [PHONE_1], mail [EMAIL_1], budget 75000 SAR');
        return ok({ score: 70, reasons: ['[NAME_1] can be reached on [PHONE_1]'] });
      });
      const schema = { type: 'object', properties: { score: { type: 'integer' }, reasons: { type: 'array', items: { type: 'string' } } }, required: ['score'] };
      const r = await runChain(
        { task: 'score', prompt: 'Lead Noura Al-Harbi, phone +966 55 123 4567, mail noura@najd.sa, budget 75000 SAR', outputSchema: schema, pii: { names: ['Noura Al-Harbi'] } },
        chain([slot('groq', groq)], { external: 'masked' }).options,
      );
      expect(r.masked).to.equal(true);
      expect(r.json).to.deep.equal({ score: 70, reasons: ['Noura Al-Harbi can be reached on +966 55 123 4567'] });
      expect(JSON.stringify(r.sent)).to.not.match(/Noura|Harbi|123 4567|najd\.sa/);
      expect(r.sent![0]!.content).to.match(/\[NAME_1\]/); // the placeholder note
    });

    it('nothing to mask: sent as is, masked false', async () => {
      const groq = scripted(ok({ score: 1 }));
      const r = await runChain(request(), chain([slot('groq', groq)], { external: 'masked' }).options);
      expect(r.masked).to.equal(false);
      expect(groq.calls[0]!.messages.some((m) => m.content.includes('[NAME_1]'))).to.equal(false);
    });
  });
});

describe('llm prices (engine/llm/prices.ts)', () => {
  it('integer micro-USD, rounded up; dated model names use their base price; unknown models are priced high', () => {
    expect(costMicroUsd('groq', 'llama-3.3-70b-versatile', { promptTokens: 1000, completionTokens: 1000 })).to.equal(1380);
    expect(costMicroUsd('openai', 'gpt-4o-mini', { promptTokens: 1, completionTokens: 0 })).to.equal(1); // 0.15 → 1
    expect(costMicroUsd('openai', 'gpt-4o-mini', { promptTokens: 0, completionTokens: 0 })).to.equal(0);
    expect(priceOf('openai', 'gpt-4o-mini-2024-07-18')).to.deep.equal(priceOf('openai', 'gpt-4o-mini'));
    expect(priceOf('openai', 'gpt-4o-2024-08-06')).to.deep.equal(priceOf('openai', 'gpt-4o'));
    expect(priceOf('groq', 'some-new-model')).to.deep.equal(UNKNOWN_MODEL_PRICE);
    expect(costMicroUsd('rules', 'rules-v1', { promptTokens: 5000, completionTokens: 5000 })).to.equal(0);
    for (let n = 0; n < 50; n++) expect(Number.isInteger(costMicroUsd('groq', 'llama-3.1-8b-instant', { promptTokens: n * 37, completionTokens: n * 11 }))).to.equal(true);
  });

  it('formats micro-USD as a decimal dollar string', () => {
    expect(formatMicroUsd(0)).to.equal('0.000000');
    expect(formatMicroUsd(95)).to.equal('0.000095');
    expect(formatMicroUsd(12_345_678)).to.equal('12.345678');
  });
});

// Local stand-ins for the Anthropic Messages API (POST /v1/messages) and the Gemini API
// (POST /v1beta/models/{model}:generateContent): the dialects of test/helpers/fake-openai.ts's
// scripted server, so they take the same behaviours (answer, HTTP error with headers, bad JSON,
// stall, reset, garbage). DeepSeek speaks the OpenAI protocol: use startFakeOpenAI.
// Every request is recorded (path, headers, parsed body; Gemini's model is taken from the path).
import { startScriptedServer, type FakeDialect, type FakeOpenAI, type Responder } from './fake-openai.js';

export type FakeProtocol = 'anthropic' | 'gemini';

const GEMINI_PATH = /^\/v1beta\/models\/([^/:]+):generateContent$/;

function errorBody(protocol: FakeProtocol, status: number, message: string): string {
  if (protocol === 'anthropic') return JSON.stringify({ type: 'error', error: { type: status === 429 ? 'rate_limit_error' : status >= 500 ? 'api_error' : 'invalid_request_error', message } });
  return JSON.stringify({ error: { code: status, message, status: status === 429 ? 'RESOURCE_EXHAUSTED' : status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT' } });
}

let seq = 0;

function answerBody(protocol: FakeProtocol, content: string, model: string, usage: { prompt_tokens: number; completion_tokens: number }): string {
  if (protocol === 'anthropic') {
    return JSON.stringify({
      id: `msg_fake_${++seq}`,
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text: content }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens },
    });
  }
  return JSON.stringify({
    candidates: [{ content: { role: 'model', parts: [{ text: content }] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: usage.prompt_tokens, candidatesTokenCount: usage.completion_tokens, totalTokenCount: usage.prompt_tokens + usage.completion_tokens },
    modelVersion: model,
    responseId: `fake-${++seq}`,
  });
}

const dialect = (protocol: FakeProtocol): FakeDialect => ({
  route: (path) => {
    if (protocol === 'anthropic') return path === '/v1/messages' ? {} : undefined;
    const model = GEMINI_PATH.exec(path)?.[1];
    return model === undefined ? undefined : { model: decodeURIComponent(model) };
  },
  notFound: (message) => errorBody(protocol, 404, message),
  error: (status, message) => errorBody(protocol, status, message),
  answer: (content, model, usage) => answerBody(protocol, content, model, usage),
});

/** A stand-in speaking `protocol`; its `url` is the credential's baseUrl. */
export function startFakeProvider(protocol: FakeProtocol, initial: Responder = { answer: { ok: true } }): Promise<FakeOpenAI> {
  return startScriptedServer(dialect(protocol), initial);
}

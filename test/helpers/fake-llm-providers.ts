// Local stand-ins for the Anthropic Messages API (POST /v1/messages) and the Gemini API
// (POST /v1beta/models/{model}:generateContent), on 127.0.0.1 and port 0, driven by the same
// scripted behaviours as test/helpers/fake-openai.ts (answer, HTTP error with headers, bad
// JSON, stall, reset, garbage). DeepSeek speaks the OpenAI protocol: use startFakeOpenAI.
// Every request is recorded (path, headers, parsed body; Gemini's model is taken from the path).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DEFAULT_USAGE, type FakeBehavior, type FakeOpenAI, type RecordedRequest, type Responder } from './fake-openai.js';

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

/** A stand-in speaking `protocol`; its `url` is the credential's baseUrl. */
export async function startFakeProvider(protocol: FakeProtocol, initial: Responder = { answer: { ok: true } }): Promise<FakeOpenAI> {
  const requests: RecordedRequest[] = [];
  const pending: Responder[] = [];
  let fallback: Responder = initial;
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: RecordedRequest['body'] = null;
      try {
        body = JSON.parse(raw) as RecordedRequest['body'];
      } catch {
        body = null;
      }
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const geminiModel = protocol === 'gemini' ? GEMINI_PATH.exec(path)?.[1] : undefined;
      if (geminiModel && body) body.model = decodeURIComponent(geminiModel);
      const recorded: RecordedRequest = { method: req.method ?? '', path, headers: req.headers, raw, body };
      requests.push(recorded);
      const known = protocol === 'anthropic' ? path === '/v1/messages' : geminiModel !== undefined;
      if (req.method !== 'POST' || !known) {
        res.writeHead(404, { 'content-type': 'application/json' });
        return void res.end(errorBody(protocol, 404, `no route ${req.method} ${path}`));
      }
      const responder = pending.shift() ?? fallback;
      const behavior: FakeBehavior = typeof responder === 'function' ? responder(recorded) : responder;
      const model = body?.model ?? 'fake-model';
      if ('stall' in behavior) return;
      if ('reset' in behavior) return void req.socket.destroy();
      if ('garbage' in behavior) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('<html>bad gateway</html>');
      }
      if ('status' in behavior) {
        res.writeHead(behavior.status, { 'content-type': 'application/json', ...behavior.headers });
        return void res.end(errorBody(protocol, behavior.status, behavior.message ?? `fake error ${behavior.status}`));
      }
      const content = 'badJson' in behavior ? (behavior.content ?? 'Sure! Here is the JSON: {score: high') : typeof behavior.answer === 'string' ? behavior.answer : JSON.stringify(behavior.answer);
      const usage = 'answer' in behavior && behavior.usage ? behavior.usage : DEFAULT_USAGE;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(answerBody(protocol, content, 'answer' in behavior && behavior.model ? behavior.model : model, usage));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    queue: (...behaviors) => void pending.push(...behaviors),
    setDefault: (responder) => void (fallback = responder),
    reset() {
      requests.length = 0;
      pending.length = 0;
      fallback = initial;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

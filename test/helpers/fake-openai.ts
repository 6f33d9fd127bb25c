// A local OpenAI-compatible chat completions server for LLM tests and the ai bench: serves
// POST /openai/v1/chat/completions (groq-sdk) and POST /chat/completions (openai), on
// 127.0.0.1 and port 0. Each request takes the next scripted behaviour (queue), else the
// default one: answer with content or JSON, an HTTP error (429 with Retry-After, 500, 400,
// 401…), bad JSON, a stall (no answer until the client gives up or the server closes), or a
// reset connection. Every request is recorded (path, parsed body, headers) for assertions.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { createGuardedFetch, type LlmRoutingSettings, type LlmService, type LlmSettings } from '../../engine/index.js';
import { createLlmService } from '../../server/llm/index.js';
import type { LlmUsageRecord } from '../../db/llm-usage-repository.js';

export type FakeBehavior =
  /** 200 with this content (an object is sent as its JSON text). */
  | { answer: string | object; usage?: { prompt_tokens: number; completion_tokens: number }; model?: string }
  /** An error status with an OpenAI-style error body. */
  | { status: number; message?: string; headers?: Record<string, string> }
  /** 200 whose message content is not JSON. */
  | { badJson: true; content?: string }
  /** Never answer (the client's timeout decides). */
  | { stall: true }
  /** Destroy the connection without answering. */
  | { reset: true }
  /** 200 with a body that is not JSON at all (a broken gateway). */
  | { garbage: true };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The raw body text (to search for data that must never arrive). */
  raw: string;
  body: { model?: string; messages?: { role: string; content: string }[]; response_format?: unknown; [k: string]: unknown } | null;
}

export type Responder = FakeBehavior | ((req: RecordedRequest) => FakeBehavior);

export interface FakeOpenAI {
  /** http://127.0.0.1:<port> — use as the credential's baseUrl. */
  url: string;
  requests: RecordedRequest[];
  /** Scripted behaviours, taken one per request before the default. */
  queue(...behaviors: Responder[]): void;
  /** What a request gets when the queue is empty (default: an "ok" JSON answer). */
  setDefault(responder: Responder): void;
  reset(): void;
  close(): Promise<void>;
}

export const DEFAULT_USAGE = { prompt_tokens: 120, completion_tokens: 30 };

type Usage = { prompt_tokens: number; completion_tokens: number };

/** What one provider's stand-in speaks: its completion route and the shapes of its answers. */
export interface FakeDialect {
  /** The route's match for `path` (with the model, where the path names it), or undefined when `path` is not the route. */
  route(path: string): { model?: string } | undefined;
  /** The body answered to a request for any other route (404). */
  notFound(message: string): string;
  /** The body of a scripted error status. */
  error(status: number, message: string): string;
  /** The body of a 200 answer with this content. */
  answer(content: string, model: string, usage: Usage): string;
}

let completionSeq = 0;

const OPENAI_ROUTES = new Set(['/openai/v1/chat/completions', '/chat/completions', '/v1/chat/completions']);

/** OpenAI chat completions: groq-sdk posts to /openai/v1/chat/completions, openai to /chat/completions. */
const OPENAI_DIALECT: FakeDialect = {
  route: (path) => (OPENAI_ROUTES.has(path) ? {} : undefined),
  notFound: (message) => JSON.stringify({ error: { message, type: 'invalid_request_error' } }),
  error: (_status, message) => JSON.stringify({ error: { message, type: 'fake_error', code: null } }),
  answer: (content, model, usage) =>
    JSON.stringify({
      id: `chatcmpl-fake-${++completionSeq}`,
      object: 'chat.completion',
      created: 1_772_000_000,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    }),
};

export function startFakeOpenAI(initial: Responder = { answer: { ok: true } }): Promise<FakeOpenAI> {
  return startScriptedServer(OPENAI_DIALECT, initial);
}

/**
 * A stand-in on 127.0.0.1 and port 0 speaking `dialect`: each POST to its route takes the next
 * scripted behaviour, else the default; every request is recorded.
 */
export async function startScriptedServer(dialect: FakeDialect, initial: Responder = { answer: { ok: true } }): Promise<FakeOpenAI> {
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
      const route = dialect.route(path);
      if (route?.model !== undefined && body) body.model = route.model;
      const recorded: RecordedRequest = { method: req.method ?? '', path, headers: req.headers, raw, body };
      requests.push(recorded);
      if (req.method !== 'POST' || !route) {
        res.writeHead(404, { 'content-type': 'application/json' });
        return void res.end(dialect.notFound(`no route ${req.method} ${path}`));
      }
      const responder = pending.shift() ?? fallback;
      const behavior = typeof responder === 'function' ? responder(recorded) : responder;
      const model = body?.model ?? 'fake-model';
      if ('stall' in behavior) return; // the socket stays open until the client aborts or close()
      if ('reset' in behavior) return void req.socket.destroy();
      if ('garbage' in behavior) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('<html>bad gateway</html>');
      }
      if ('status' in behavior) {
        res.writeHead(behavior.status, { 'content-type': 'application/json', ...behavior.headers });
        return void res.end(dialect.error(behavior.status, behavior.message ?? `fake error ${behavior.status}`));
      }
      const content = 'badJson' in behavior ? (behavior.content ?? 'Sure! Here is the JSON: {score: high') : typeof behavior.answer === 'string' ? behavior.answer : JSON.stringify(behavior.answer);
      const usage = 'answer' in behavior && behavior.usage ? behavior.usage : DEFAULT_USAGE;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(dialect.answer(content, 'answer' in behavior && behavior.model ? behavior.model : model, usage));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 30_000;
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

/** A loopback URL nothing listens on (connection refused). */
export async function refusedUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

// --- ctx.llm against fake servers ------------------------------------------------------------

export const GROQ_TEST_KEY = 'gsk_test_GROQ_SECRET_0f9e8d7c6b5a';
export const OPENAI_TEST_KEY = 'sk-test-OPENAI-SECRET-a1b2c3d4e5f6';
export const ANTHROPIC_TEST_KEY = 'sk-ant-test-ANTHROPIC-SECRET-77aa88bb';
export const GEMINI_TEST_KEY = 'AIzaTest-GEMINI-SECRET-99cc00dd11';
export const DEEPSEEK_TEST_KEY = 'sk-test-DEEPSEEK-SECRET-22ee33ff44';

export interface FakeLlmOptions {
  /** Base URL of the Groq stand-in; null = the tenant has no groq key. */
  groq: string | null;
  /** Base URL of the OpenAI stand-in; null = no openai key. */
  openai: string | null;
  /** Base URLs of the Anthropic, Gemini and DeepSeek stand-ins (test/helpers/fake-llm-providers.ts); absent = no key. */
  anthropic?: string | null;
  gemini?: string | null;
  deepseek?: string | null;
  settings?: LlmSettings;
  /** The tenant's routing table (settings llmRouting). */
  routing?: LlmRoutingSettings;
  locale?: 'ar' | 'en';
  /** Per-call timeout (default 2 000 ms; settings.timeoutMs wins). */
  timeoutMs?: number;
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** The tenant's SSRF policy (default true: the stand-ins are on loopback). */
  allowPrivateNetwork?: boolean;
  tenantId?: string;
  executionId?: string;
  stepId?: string;
}

export interface FakeLlm {
  service: LlmService;
  /** Usage rows the service recorded. */
  usage: LlmUsageRecord[];
}

/** ctx.llm as the server builds it, with in-memory keys and usage, on loopback stand-ins. */
export function fakeLlm(options: FakeLlmOptions): FakeLlm {
  const usage: LlmUsageRecord[] = [];
  const keys: Record<string, { apiKey: string; baseUrl: string } | null> = {
    groq: options.groq === null ? null : { apiKey: GROQ_TEST_KEY, baseUrl: options.groq },
    openai: options.openai === null ? null : { apiKey: OPENAI_TEST_KEY, baseUrl: options.openai },
    anthropic: options.anthropic ? { apiKey: ANTHROPIC_TEST_KEY, baseUrl: options.anthropic } : null,
    gemini: options.gemini ? { apiKey: GEMINI_TEST_KEY, baseUrl: options.gemini } : null,
    deepseek: options.deepseek ? { apiKey: DEEPSEEK_TEST_KEY, baseUrl: options.deepseek } : null,
  };
  const service = createLlmService(
    {
      settings: () => ({ ...(options.settings ? { llm: options.settings } : {}), ...(options.routing ? { llmRouting: options.routing } : {}), locale: options.locale ?? 'ar', allowPrivateNetwork: options.allowPrivateNetwork ?? true }),
      key: async (_tenant, type) => keys[type] ?? null,
      recordUsage: async (_tenant, rows) => void usage.push(...rows),
      timeoutMs: options.timeoutMs ?? 2_000,
      retryDelayMs: options.retryDelayMs ?? 1,
      ...(options.maxRetryDelayMs !== undefined ? { maxRetryDelayMs: options.maxRetryDelayMs } : {}),
    },
    {
      tenantId: options.tenantId ?? 'tenant-test',
      executionId: options.executionId ?? 'exec-test',
      flowId: 'flow-test',
      stepId: options.stepId ?? 'exec-test:1',
      nodeType: 'test',
      http: createGuardedFetch({ allowPrivateNetwork: options.allowPrivateNetwork ?? true }),
    },
  );
  return { service, usage };
}

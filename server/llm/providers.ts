// The LLM providers through their official SDKs or documented OpenAI-compatible endpoint:
// Groq (`groq-sdk`, POST <baseURL>/openai/v1/chat/completions), OpenAI (`openai`, POST
// <baseURL>/chat/completions), DeepSeek (its OpenAI-compatible API through `openai`, POST
// <baseURL>/chat/completions), Anthropic (`@anthropic-ai/sdk`, POST <baseURL>/v1/messages) and
// Google Gemini (`@google/genai`, POST <baseURL>/v1beta/models/{model}:generateContent).
// Every client is built without SDK retries — the retry and fallback policy is the chain's
// (engine/llm/chain.ts), in one place — and connects through the tenant's SSRF-guarded fetch,
// so a credential's `baseUrl` (self-hosted gateway, tests) cannot reach private addresses
// unless the tenant allows them. Errors become ProviderErrors (classified, keys scrubbed from
// messages). Request headers are never logged or stored.
import { createHash } from 'node:crypto';
import type AnthropicSdk from '@anthropic-ai/sdk';
import type * as GenAi from '@google/genai';
import type GroqSdk from 'groq-sdk';
import type OpenAISdk from 'openai';
import { NodeFailure, llmFailureCode, LlmProviderError, type ChatCall, type ChatClient, type ChatReply, type GuardedFetch, type LlmProviderName } from '../../engine/index.js';

// Each SDK loads on its provider's first call, not at start: together they cost about 0.4 s
// and 40 MB (Gemini's alone most of it), and most deployments use one or two of them.
interface Sdks {
  Groq: typeof GroqSdk;
  OpenAI: typeof OpenAISdk;
  Anthropic: typeof AnthropicSdk;
  genai: typeof GenAi;
}
const SDK_LOADERS: { [K in keyof Sdks]: () => Promise<Sdks[K]> } = {
  Groq: async () => (await import('groq-sdk')).default,
  OpenAI: async () => (await import('openai')).default,
  Anthropic: async () => (await import('@anthropic-ai/sdk')).default,
  genai: async () => import('@google/genai'),
};
/** The SDKs loaded so far: an error can only be an instance of one of these. */
const sdks: Partial<Sdks> = {};
async function loadSdk<K extends keyof Sdks>(name: K): Promise<Sdks[K]> {
  return (sdks[name] ??= await SDK_LOADERS[name]());
}

export const DEFAULT_BASE_URLS: Readonly<Record<LlmProviderName, string>> = {
  groq: 'https://api.groq.com',
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com',
  deepseek: 'https://api.deepseek.com',
};

/** Headers that carry a key besides Authorization: never forwarded after a cross-origin redirect. */
const KEY_HEADERS = ['x-api-key', 'x-goog-api-key'];

export interface ProviderKey {
  apiKey: string;
  /** Overrides the provider's API origin (self-hosted gateway, a local test server). */
  baseUrl?: string;
}

type SdkFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** The SDKs' fetch, carried by the runtime's guarded fetch (JSON bodies only: chat calls). */
export function sdkFetchOver(guarded: GuardedFetch): SdkFetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = init?.body;
    if (body !== undefined && body !== null && typeof body !== 'string') throw new TypeError('LLM provider requests must have a JSON string body');
    const secretHeaders = KEY_HEADERS.filter((h) => h in headers);
    const response = await guarded(url, {
      method: init?.method ?? 'GET',
      headers,
      ...(secretHeaders.length ? { secretHeaders } : {}),
      ...(typeof body === 'string' ? { body } : {}),
      ...(init?.signal ? { signal: init.signal } : {}),
    });
    return response as unknown as Response;
  };
}

const KEY_LIKE = /\b(?:sk|gsk|xai|key)[-_][A-Za-z0-9_\-*.]{6,}|\bAIza[A-Za-z0-9_-]{10,}/g;

/** An error text safe to store: no key (whole or partly shown), single line, capped. */
export function scrub(text: string, apiKey?: string): string {
  let out = String(text);
  if (apiKey && apiKey.length >= 4) out = out.split(apiKey).join('[redacted]');
  out = out.replace(KEY_LIKE, '[redacted]').replace(/\s+/g, ' ').trim();
  return out.length > 300 ? out.slice(0, 300) + '…' : out;
}

function headerOf(headers: unknown, name: string): string | null {
  if (!headers) return null;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
  const v = (headers as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : null;
}

/** Retry-After (seconds or an HTTP date) or retry-after-ms, in ms. */
export function retryAfterMs(headers: unknown, now = Date.now()): number | undefined {
  const ms = headerOf(headers, 'retry-after-ms');
  if (ms !== null && /^\d+(?:\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const ra = headerOf(headers, 'retry-after');
  if (ra === null) return undefined;
  const t = ra.trim();
  if (/^\d+(?:\.\d+)?$/.test(t)) return Math.ceil(Number(t) * 1000);
  const date = Date.parse(t);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function isInstance(err: unknown, names: readonly string[]): boolean {
  // Only the SDKs loaded so far: an SDK never loaded threw nothing.
  const loaded = [sdks.Groq, sdks.OpenAI, sdks.Anthropic].filter((sdk) => sdk !== undefined);
  const classes = loaded.flatMap((sdk) => names.map((n) => (sdk as unknown as Record<string, unknown>)[n]));
  return classes.some((C) => typeof C === 'function' && err instanceof (C as new () => unknown));
}

function causeChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err, i = 0; e && i < 6; e = (e as { cause?: unknown }).cause, i++) out.push(e);
  return out;
}

/** An SDK error as the chain sees it. */
export function classifyError(err: unknown, apiKey: string): LlmProviderError {
  const refused = causeChain(err).find((e): e is NodeFailure => e instanceof NodeFailure);
  if (refused) {
    // The guarded fetch refused the address (a baseUrl on a private network): configuration.
    return new LlmProviderError('client_error', scrub(refused.message, apiKey), undefined, undefined, llmFailureCode(refused.code));
  }
  const e = err as { status?: unknown; headers?: unknown; message?: unknown };
  const message = scrub(typeof e?.message === 'string' ? e.message : String(err), apiKey);
  if (isInstance(err, ['APIConnectionTimeoutError'])) return new LlmProviderError('timeout', message);
  if (isInstance(err, ['APIConnectionError'])) return new LlmProviderError('connection_error', message);
  const status = typeof e?.status === 'number' ? e.status : undefined;
  if (status !== undefined) {
    if (status === 429) return new LlmProviderError('rate_limited', message, status, retryAfterMs(e.headers));
    if (status === 408) return new LlmProviderError('timeout', message, status);
    if (status >= 500) return new LlmProviderError('server_error', message, status, retryAfterMs(e.headers));
    return new LlmProviderError('client_error', message, status);
  }
  // A 2xx the SDK could not read (not JSON): the provider (or a gateway) is broken right now.
  return new LlmProviderError('server_error', message);
}

interface ChatSdk {
  chat: {
    completions: {
      create(body: Record<string, unknown>, options: { signal: AbortSignal; timeout: number; maxRetries: number }): Promise<unknown>;
    };
  };
}

interface CompletionLike {
  model?: string;
  choices?: { message?: { content?: string | null } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

const tokens = (n: unknown): number => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);

/** Anthropic requires max_tokens; the answer is cut there (a long proposal fits). */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/** One provider request: the SDK call made with the deadline's signal. */
type SdkCall = (call: ChatCall, signal: AbortSignal) => Promise<ChatReply>;

/**
 * Runs one SDK call under the per-call deadline and the step's signal: a timeout becomes
 * LlmProviderError 'timeout', a step abort is rethrown as its reason, anything else is classified.
 */
function withDeadline(classify: (err: unknown) => LlmProviderError, run: SdkCall): ChatClient {
  return {
    async chat(call: ChatCall): Promise<ChatReply> {
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new Error('timeout'));
      }, call.timeoutMs);
      const parent = call.signal;
      const onAbort = (): void => controller.abort(parent?.reason);
      if (parent?.aborted) onAbort();
      else parent?.addEventListener('abort', onAbort, { once: true });
      try {
        return await run(call, controller.signal);
      } catch (err) {
        if (parent?.aborted) throw parent.reason ?? err;
        if (timedOut) throw new LlmProviderError('timeout', `no answer within ${call.timeoutMs} ms`);
        if (err instanceof LlmProviderError) throw err;
        throw classify(err);
      } finally {
        clearTimeout(timer);
        parent?.removeEventListener('abort', onAbort);
      }
    },
  };
}

/** Groq, OpenAI and DeepSeek: the chat completions protocol. */
function openAiCompatibleClient(provider: 'groq' | 'openai' | 'deepseek', key: ProviderKey, baseURL: string, fetch: GuardedFetch): ChatClient {
  const options = { apiKey: key.apiKey, baseURL, maxRetries: 0, timeout: 600_000, fetch: sdkFetchOver(fetch) };
  // organization/project null: never pick up OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment.
  let sdk: ChatSdk | undefined;
  return withDeadline((err) => classifyError(err, key.apiKey), async (call, signal) => {
    sdk ??= (provider === 'groq' ? new (await loadSdk('Groq'))(options) : new (await loadSdk('OpenAI'))({ ...options, organization: null, project: null })) as unknown as ChatSdk;
    const body: Record<string, unknown> = {
      model: call.model,
      messages: call.messages.map((m) => ({ role: m.role, content: m.content })),
      ...(call.temperature !== undefined ? { temperature: call.temperature } : {}),
      // DeepSeek documents max_tokens (not OpenAI's newer max_completion_tokens).
      ...(call.maxTokens !== undefined ? (provider === 'deepseek' ? { max_tokens: call.maxTokens } : { max_completion_tokens: call.maxTokens }) : {}),
      ...(call.json ? { response_format: { type: 'json_object' } } : {}),
    };
    const completion = (await sdk.chat.completions.create(body, { signal, timeout: call.timeoutMs + 5_000, maxRetries: 0 })) as CompletionLike;
    return {
      content: completion.choices?.[0]?.message?.content ?? '',
      usage: { promptTokens: tokens(completion.usage?.prompt_tokens), completionTokens: tokens(completion.usage?.completion_tokens) },
      ...(typeof completion.model === 'string' ? { model: completion.model } : {}),
    };
  });
}

/** Anthropic Messages API: the system prompt apart, no JSON mode (the schema instruction and validation do it). */
function anthropicClient(key: ProviderKey, baseURL: string, fetch: GuardedFetch): ChatClient {
  // logLevel off: ANTHROPIC_LOG=debug in the environment would log requests; errors reach the chain anyway.
  let sdk: AnthropicSdk | undefined;
  return withDeadline((err) => classifyError(err, key.apiKey), async (call, signal) => {
    const Anthropic = await loadSdk('Anthropic');
    sdk ??= new Anthropic({ apiKey: key.apiKey, authToken: null, baseURL, maxRetries: 0, timeout: 600_000, fetch: sdkFetchOver(fetch), logLevel: 'off' });
    const system = call.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
    const message = await sdk.messages.create(
      {
        model: call.model,
        max_tokens: call.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
        ...(system ? { system } : {}),
        messages: call.messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content })),
        ...(call.temperature !== undefined ? { temperature: Math.min(1, call.temperature) } : {}),
      },
      { signal, timeout: call.timeoutMs + 5_000, maxRetries: 0 },
    );
    const content = (message.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('');
    return {
      content,
      usage: { promptTokens: tokens(message.usage?.input_tokens), completionTokens: tokens(message.usage?.output_tokens) },
      ...(typeof message.model === 'string' ? { model: message.model } : {}),
    };
  });
}

/**
 * Gemini generateContent. @google/genai's errors carry the status but not the headers, so the
 * call's fetch keeps the last response's headers (Retry-After of a 429). Its own retries are
 * off: no `retryOptions`.
 */
function geminiClient(key: ProviderKey, baseURL: string, fetch: GuardedFetch): ChatClient {
  const base = sdkFetchOver(fetch);
  let sdk: GenAi.GoogleGenAI | undefined;
  return {
    chat: (call: ChatCall) => {
      let headers: Headers | undefined;
      const recording = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
        const response = await base(input, init);
        headers = response.headers;
        return response;
      };
      const client = withDeadline((err) => classifyGeminiError(err, key.apiKey, headers), async (c, signal) => {
        const genai = await loadSdk('genai');
        sdk ??= new genai.GoogleGenAI({ apiKey: key.apiKey, vertexai: false, httpOptions: { baseUrl: baseURL, apiVersion: 'v1beta' } });
        const system = c.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
        const response = await sdk.models.generateContent({
          model: c.model,
          contents: c.messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] })),
          config: {
            ...(system ? { systemInstruction: system } : {}),
            ...(c.temperature !== undefined ? { temperature: c.temperature } : {}),
            ...(c.maxTokens !== undefined ? { maxOutputTokens: c.maxTokens } : {}),
            ...(c.json ? { responseMimeType: 'application/json' } : {}),
            abortSignal: signal,
            httpOptions: { baseUrl: baseURL, apiVersion: 'v1beta', fetch: recording as typeof globalThis.fetch },
          },
        });
        const parts = response.candidates?.[0]?.content?.parts ?? [];
        const usage = response.usageMetadata;
        return {
          content: parts.map((p) => (typeof p.text === 'string' && !p.thought ? p.text : '')).join(''),
          // Thinking tokens are billed as output.
          usage: { promptTokens: tokens(usage?.promptTokenCount), completionTokens: tokens(usage?.candidatesTokenCount) + tokens(usage?.thoughtsTokenCount) },
          ...(typeof response.modelVersion === 'string' ? { model: response.modelVersion } : {}),
        };
      });
      return client.chat(call);
    },
  };
}

/** A @google/genai error as the chain sees it: ApiError by status; a body that is not JSON is the server's fault; the rest could not connect. */
export function classifyGeminiError(err: unknown, apiKey: string, headers?: Headers): LlmProviderError {
  const refused = causeChain(err).find((e): e is NodeFailure => e instanceof NodeFailure);
  if (refused) return new LlmProviderError('client_error', scrub(refused.message, apiKey), undefined, undefined, llmFailureCode(refused.code));
  const message = scrub(err instanceof Error ? err.message : String(err), apiKey);
  if (sdks.genai && err instanceof sdks.genai.ApiError) {
    const status = err.status;
    if (status === 429) return new LlmProviderError('rate_limited', message, status, retryAfterMs(headers));
    if (status === 408) return new LlmProviderError('timeout', message, status);
    if (status >= 500) return new LlmProviderError('server_error', message, status, retryAfterMs(headers));
    return new LlmProviderError('client_error', message, status);
  }
  if (err instanceof SyntaxError) return new LlmProviderError('server_error', message);
  return new LlmProviderError('connection_error', message);
}

/** A ChatClient for one provider and key. */
export function chatClient(provider: LlmProviderName, key: ProviderKey, fetch: GuardedFetch): ChatClient {
  const baseURL = (key.baseUrl ?? DEFAULT_BASE_URLS[provider]).replace(/\/+$/, '');
  if (provider === 'anthropic') return anthropicClient(key, baseURL, fetch);
  if (provider === 'gemini') return geminiClient(key, baseURL, fetch);
  return openAiCompatibleClient(provider, key, baseURL, fetch);
}

/**
 * Clients are reused (keep-alive connections, no per-call construction): one per provider,
 * key, base URL and fetch (the tenant's SSRF policy). Keys are held by their hash.
 */
export class ChatClientCache {
  private readonly byFetch = new WeakMap<GuardedFetch, Map<string, ChatClient>>();

  constructor(private readonly maxPerFetch = 500) {}

  get(provider: LlmProviderName, key: ProviderKey, fetch: GuardedFetch): ChatClient {
    let map = this.byFetch.get(fetch);
    if (!map) {
      map = new Map();
      this.byFetch.set(fetch, map);
    }
    const id = `${provider}\u0000${createHash('sha256').update(key.apiKey).digest('base64url')}\u0000${key.baseUrl ?? ''}`;
    let client = map.get(id);
    if (!client) {
      if (map.size >= this.maxPerFetch) map.clear();
      client = chatClient(provider, key, fetch);
      map.set(id, client);
    }
    return client;
  }
}

// The two LLM providers through their official SDKs: Groq (`groq-sdk`, POST
// <baseURL>/openai/v1/chat/completions) and OpenAI (`openai`, POST <baseURL>/chat/completions).
// Both clients are built with maxRetries 0 — the retry and fallback policy is the chain's
// (engine/llm/chain.ts), in one place — and connect through the tenant's SSRF-guarded fetch,
// so a credential's `baseUrl` (self-hosted gateway, tests) cannot reach private addresses
// unless the tenant allows them. Errors become ProviderErrors (classified, keys scrubbed from
// messages). Request headers are never logged or stored.
import { createHash } from 'node:crypto';
import Groq from 'groq-sdk';
import OpenAI from 'openai';
import { NodeFailure, ProviderError, type ChatCall, type ChatClient, type ChatReply, type GuardedFetch, type LlmProviderName } from '../../engine/index.js';

export const DEFAULT_BASE_URLS: Readonly<Record<LlmProviderName, string>> = {
  groq: 'https://api.groq.com',
  openai: 'https://api.openai.com/v1',
};

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
    const response = await guarded(url, {
      method: init?.method ?? 'GET',
      headers,
      ...(typeof body === 'string' ? { body } : {}),
      ...(init?.signal ? { signal: init.signal } : {}),
    });
    return response as unknown as Response;
  };
}

const KEY_LIKE = /\b(?:sk|gsk|xai|key)[-_][A-Za-z0-9_\-*.]{6,}/g;

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
  const classes: Record<string, unknown[]> = {
    APIConnectionTimeoutError: [Groq.APIConnectionTimeoutError, OpenAI.APIConnectionTimeoutError],
    APIConnectionError: [Groq.APIConnectionError, OpenAI.APIConnectionError],
    APIUserAbortError: [Groq.APIUserAbortError, OpenAI.APIUserAbortError],
    APIError: [Groq.APIError, OpenAI.APIError],
  };
  return names.some((n) => (classes[n] ?? []).some((C) => err instanceof (C as new () => unknown)));
}

function causeChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err, i = 0; e && i < 6; e = (e as { cause?: unknown }).cause, i++) out.push(e);
  return out;
}

/** An SDK error as the chain sees it. */
export function classifyError(err: unknown, apiKey: string): ProviderError {
  const refused = causeChain(err).find((e): e is NodeFailure => e instanceof NodeFailure);
  if (refused) {
    // The guarded fetch refused the address (a baseUrl on a private network): configuration.
    return new ProviderError('client_error', scrub(refused.message, apiKey), undefined, undefined, `llm_${refused.code}`);
  }
  const e = err as { status?: unknown; headers?: unknown; message?: unknown };
  const message = scrub(typeof e?.message === 'string' ? e.message : String(err), apiKey);
  if (isInstance(err, ['APIConnectionTimeoutError'])) return new ProviderError('timeout', message);
  if (isInstance(err, ['APIConnectionError'])) return new ProviderError('connection_error', message);
  const status = typeof e?.status === 'number' ? e.status : undefined;
  if (status !== undefined) {
    if (status === 429) return new ProviderError('rate_limited', message, status, retryAfterMs(e.headers));
    if (status === 408) return new ProviderError('timeout', message, status);
    if (status >= 500) return new ProviderError('server_error', message, status, retryAfterMs(e.headers));
    return new ProviderError('client_error', message, status);
  }
  // A 2xx the SDK could not read (not JSON): the provider (or a gateway) is broken right now.
  return new ProviderError('server_error', message);
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

/** A ChatClient over one SDK client. */
export function chatClient(provider: LlmProviderName, key: ProviderKey, fetch: GuardedFetch): ChatClient {
  const baseURL = (key.baseUrl ?? DEFAULT_BASE_URLS[provider]).replace(/\/+$/, '');
  const options = { apiKey: key.apiKey, baseURL, maxRetries: 0, timeout: 600_000, fetch: sdkFetchOver(fetch) };
  // organization/project null: never pick up OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment.
  const sdk = (provider === 'groq' ? new Groq(options) : new OpenAI({ ...options, organization: null, project: null })) as unknown as ChatSdk;
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
        const body: Record<string, unknown> = {
          model: call.model,
          messages: call.messages.map((m) => ({ role: m.role, content: m.content })),
          ...(call.temperature !== undefined ? { temperature: call.temperature } : {}),
          ...(call.maxTokens !== undefined ? { max_completion_tokens: call.maxTokens } : {}),
          ...(call.json ? { response_format: { type: 'json_object' } } : {}),
        };
        const completion = (await sdk.chat.completions.create(body, { signal: controller.signal, timeout: call.timeoutMs + 5_000, maxRetries: 0 })) as CompletionLike;
        return {
          content: completion.choices?.[0]?.message?.content ?? '',
          usage: { promptTokens: tokens(completion.usage?.prompt_tokens), completionTokens: tokens(completion.usage?.completion_tokens) },
          ...(typeof completion.model === 'string' ? { model: completion.model } : {}),
        };
      } catch (err) {
        if (parent?.aborted) throw parent.reason ?? err;
        if (timedOut) throw new ProviderError('timeout', `no answer within ${call.timeoutMs} ms`);
        throw classifyError(err, key.apiKey);
      } finally {
        clearTimeout(timer);
        parent?.removeEventListener('abort', onAbort);
      }
    },
  };
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

// The provider chain behind ctx.llm: the slots it is given (the routes of the request's task
// class, routing.ts) → rules, with an explicit policy, the same for every provider (the SDKs'
// own retries are off):
//
// - 429 and 5xx: retried once on the same provider after a short backoff (Retry-After is
//   honoured up to a cap; longer than the cap → no retry), then the next provider.
// - timeouts and connection errors: the next provider at once (a timeout has already cost
//   the whole per-call budget).
// - 400, 401, 403, 404, 422: the step FAILS (llm_bad_request / llm_unauthorized), no fallback.
//   These are misconfigurations (a revoked key, a retired model, a malformed request): answering
//   from the rules engine would hide them behind plausible output, so they must be visible.
// - a structured answer that does not parse or validate: ONE repair call (the validation errors
//   are sent back asking for corrected JSON), then the next provider.
// - no provider answered (down, no key, policy 'off'): the request's deterministic `rules`
//   answer, or llm_unavailable (retryable) when it has none.
//
// Every call and skip is an attempt in the result, so a step shows what happened. Pure apart
// from the clients it is given and the injected sleep/clock.
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { NodeFailure } from '../errors/node-failure.error.js';
import type { NodeFailureCode } from '../errors/node-failure-codes.js';
import { checkJsonAnswer, compileSchema, jsonInstruction, placeholderInstruction, repairMessage, SchemaCompileError } from './json-output.js';
import { PiiMasker } from './masking.js';
import { costMicroUsd } from './prices.js';
import type { ExternalPolicy, LlmAnswerSource, LlmAttempt, LlmMessage, LlmProviderName, LlmRequest, LlmResult, LlmUsage } from './types.js';

/** One chat completion call as a provider client makes it. */
export interface ChatCall {
  model: string;
  messages: LlmMessage[];
  temperature?: number;
  maxTokens?: number;
  /** Ask for a JSON object (response_format json_object). */
  json: boolean;
  /** Give up after this long (LlmProviderError 'timeout'). */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ChatReply {
  content: string;
  usage: LlmUsage;
  /** The model that answered, as the provider names it. */
  model?: string;
}

/** A provider's client (server/llm/ wraps groq-sdk and openai). Throws LlmProviderError. */
export interface ChatClient {
  chat(call: ChatCall): Promise<ChatReply>;
}

export type LlmProviderErrorKind = 'rate_limited' | 'timeout' | 'connection_error' | 'server_error' | 'client_error';

/** A failed provider call, classified. Messages never hold keys (clients scrub them). */
export class LlmProviderError extends Error {
  override readonly name = 'LlmProviderError';
  constructor(
    readonly kind: LlmProviderErrorKind,
    message: string,
    readonly status?: number,
    /** From Retry-After / retry-after-ms, when the provider sent one. */
    readonly retryAfterMs?: number,
    /** For client errors: the step's error code (default from the status). */
    readonly code?: NodeFailureCode,
  ) {
    super(message);
    Object.setPrototypeOf(this, LlmProviderError.prototype);
  }
}

/** A step failure of the chain, with what was tried (the node logs the attempts). */
export class LlmFailure extends NodeFailure {
  override readonly name = 'LlmFailure';
  constructor(
    code: NodeFailureCode,
    message: string,
    readonly attempts: LlmAttempt[],
    options: { retryable: boolean; cause?: unknown },
  ) {
    super(code, message, options);
    Object.setPrototypeOf(this, LlmFailure.prototype);
  }
}

/** A provider in the chain: its model for this task and how to get its client. */
export interface ProviderSlot {
  provider: LlmProviderName;
  model: string;
  /** The client, or null when the tenant has no key for it (skipped_no_key). */
  connect(): Promise<ChatClient | null>;
}

/** One billed provider call (it answered, so it used tokens), for usage rows. */
export interface BilledCall {
  provider: LlmProviderName;
  model: string;
  usage: LlmUsage;
  costMicroUsd: number;
}

export interface ChainOptions {
  slots: readonly ProviderSlot[];
  external: ExternalPolicy;
  /** Per-call timeout (default 15 000 ms). */
  timeoutMs?: number;
  /** Wait before the one retry of a 429/5xx without Retry-After (default 250 ms). */
  retryDelayMs?: number;
  /** Longest Retry-After honoured (default 2 000 ms); a longer one skips the retry. */
  maxRetryDelayMs?: number;
  /** Called for every provider answer (also bad_json ones: they cost tokens). */
  onBilled?(call: BilledCall): void;
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
  /** Milliseconds for attempt timings (default performance.now). */
  clock?(): number;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_RETRY_DELAY_MS = 250;
export const DEFAULT_MAX_RETRY_DELAY_MS = 2_000;
export const RULES_MODEL = 'rules-v1';

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The messages of a request: the system prompt (with the JSON instruction) first. */
export function buildMessages(request: LlmRequest): LlmMessage[] {
  const locale = request.locale ?? 'en';
  const systemParts: string[] = [];
  if (request.system) systemParts.push(request.system);
  if (request.outputSchema) systemParts.push(jsonInstruction(request.outputSchema, locale));
  const messages: LlmMessage[] = [];
  if (systemParts.length) messages.push({ role: 'system', content: systemParts.join('\n\n') });
  for (const m of request.messages ?? []) messages.push({ role: m.role, content: String(m.content) });
  if (request.prompt !== undefined) messages.push({ role: 'user', content: request.prompt });
  if (!messages.some((m) => m.role === 'user')) throw new NodeFailure('invalid_llm_request', 'an LLM request needs `messages` with a user message or a `prompt`', { retryable: false });
  return messages;
}

function clientFailure(provider: LlmProviderName, err: LlmProviderError, attempts: LlmAttempt[]): LlmFailure {
  const status = err.status;
  const code = err.code ?? (status === 401 || status === 403 ? 'llm_unauthorized' : 'llm_bad_request');
  const what = status ? `HTTP ${status}` : 'refused';
  return new LlmFailure(code, `${provider} ${what}: ${err.message} (a configuration problem: no fallback to another provider)`, attempts, { retryable: false, cause: err });
}

/** Run a request through the chain. Throws LlmFailure (or the step's abort reason). */
export async function runChain(request: LlmRequest, options: ChainOptions): Promise<LlmResult> {
  const clock = options.clock ?? (() => performance.now());
  const sleep = options.sleep ?? defaultSleep;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retryDelay = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  const maxRetryDelay = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
  const locale = request.locale ?? 'en';
  const signal = request.signal;
  const attempts: LlmAttempt[] = [];
  const total: LlmUsage = { promptTokens: 0, completionTokens: 0 };
  let cost = 0;

  let validate: ValidateFunction | null;
  try {
    validate = request.outputSchema ? compileSchema(request.outputSchema) : null;
  } catch (err) {
    if (err instanceof SchemaCompileError) throw new LlmFailure('invalid_output_schema', err.message, attempts, { retryable: false });
    throw err;
  }

  const masker = options.external === 'masked' ? new PiiMasker({ names: request.pii?.names ?? [] }) : null;
  const plain = buildMessages(request);
  let sent: LlmMessage[] | null = null;
  let toSend: LlmMessage[] | null = null;
  const prepare = (): LlmMessage[] => {
    if (toSend) return toSend;
    if (!masker) return (toSend = plain);
    const masked = plain.map((m) => ({ role: m.role, content: masker.mask(m.content) }));
    if (masker.vault.size > 0) {
      // Something was masked: tell the model what the placeholders are.
      const note = placeholderInstruction(locale);
      const first = masked[0];
      if (first?.role === 'system') masked[0] = { role: 'system', content: `${first.content}\n\n${note}` };
      else masked.unshift({ role: 'system', content: note });
    }
    return (toSend = masked);
  };
  const restoreText = (text: string): string => (masker ? masker.vault.restore(text) : text);
  const restoreJson = (value: unknown): unknown => (masker ? masker.vault.restoreJson(value) : value);

  const bill = (provider: LlmProviderName, model: string, usage: LlmUsage): void => {
    const c = costMicroUsd(provider, model, usage);
    total.promptTokens += usage.promptTokens;
    total.completionTokens += usage.completionTokens;
    cost += c;
    options.onBilled?.({ provider, model, usage, costMicroUsd: c });
  };

  const result = (provider: LlmAnswerSource, model: string, content: string, json: unknown): LlmResult => ({
    content,
    ...(validate ? { json } : {}),
    provider,
    model,
    usage: { ...total },
    costMicroUsd: cost,
    attempts,
    sent,
    masked: !!masker && masker.vault.size > 0,
  });

  /** One HTTP call; ProviderErrors become attempts and are returned, anything else is thrown. */
  const call = async (
    slot: ProviderSlot,
    client: ChatClient,
    messages: LlmMessage[],
  ): Promise<{ reply: ChatReply; ms: number } | { error: LlmProviderError; ms: number }> => {
    const started = clock();
    try {
      const reply = await client.chat({
        model: slot.model,
        messages,
        json: !!validate,
        timeoutMs,
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
        ...(signal ? { signal } : {}),
      });
      return { reply, ms: Math.round(clock() - started) };
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      if (err instanceof LlmProviderError) return { error: err, ms: Math.round(clock() - started) };
      throw err;
    }
  };

  if (options.external === 'off') {
    for (const slot of options.slots) attempts.push({ provider: slot.provider, model: slot.model, outcome: 'skipped_policy', ms: 0 });
  } else {
    for (const slot of options.slots) {
      if (signal?.aborted) throw signal.reason;
      const client = await slot.connect();
      if (!client) {
        attempts.push({ provider: slot.provider, model: slot.model, outcome: 'skipped_no_key', ms: 0 });
        continue;
      }
      const messages = prepare();
      sent = messages;
      const answered = await tryProvider(slot, client, messages);
      if (answered) return answered;
    }
  }

  // Nobody answered: the deterministic rules.
  if (!request.rules) {
    throw new LlmFailure('llm_unavailable', `no LLM provider answered (${summary(attempts)}) and "${request.task}" has no rules fallback`, attempts, { retryable: true });
  }
  const started = clock();
  const value = request.rules();
  if (validate) {
    if (!validate(value)) {
      throw new LlmFailure('llm_unavailable', `no LLM provider answered (${summary(attempts)}) and the rules answer does not fit the output schema`, attempts, { retryable: true });
    }
    attempts.push({ provider: 'rules', model: RULES_MODEL, outcome: 'ok', ms: Math.round(clock() - started) });
    return result('rules', RULES_MODEL, JSON.stringify(value), value);
  }
  attempts.push({ provider: 'rules', model: RULES_MODEL, outcome: 'ok', ms: Math.round(clock() - started) });
  return result('rules', RULES_MODEL, typeof value === 'string' ? value : JSON.stringify(value), undefined);

  /** The answer of one provider, or null to move on (failures that fall back are attempts). */
  async function tryProvider(slot: ProviderSlot, client: ChatClient, messages: LlmMessage[]): Promise<LlmResult | null> {
    let outcome = await call(slot, client, messages);
    if ('error' in outcome) {
      const e = outcome.error;
      attempts.push(attemptOf(slot, e, outcome.ms));
      if (e.kind === 'client_error') throw clientFailure(slot.provider, e, attempts);
      if (e.kind !== 'rate_limited' && e.kind !== 'server_error') return null;
      // The one retry, unless the provider asks for a longer pause than we wait.
      if (e.retryAfterMs !== undefined && e.retryAfterMs > maxRetryDelay) return null;
      await sleep(e.retryAfterMs ?? retryDelay, signal);
      outcome = await call(slot, client, messages);
      if ('error' in outcome) {
        attempts.push(attemptOf(slot, outcome.error, outcome.ms));
        if (outcome.error.kind === 'client_error') throw clientFailure(slot.provider, outcome.error, attempts);
        return null;
      }
    }
    const { reply, ms } = outcome;
    bill(slot.provider, slot.model, reply.usage);
    const model = slot.model;
    if (!validate) {
      attempts.push({ provider: slot.provider, model, outcome: 'ok', ms });
      return result(slot.provider, model, restoreText(reply.content), undefined);
    }
    const checked = checkJsonAnswer(reply.content, validate, restoreJson);
    if (checked.ok) {
      attempts.push({ provider: slot.provider, model, outcome: 'ok', ms });
      return result(slot.provider, model, JSON.stringify(checked.value), checked.value);
    }
    attempts.push({ provider: slot.provider, model, outcome: 'bad_json', ms });
    // One repair: the answer as given (placeholders and all) and what is wrong with it.
    const repair: LlmMessage[] = [...messages, { role: 'assistant', content: reply.content }, { role: 'user', content: repairMessage(checked.errors, locale) }];
    const second = await call(slot, client, repair);
    if ('error' in second) {
      attempts.push(attemptOf(slot, second.error, second.ms));
      if (second.error.kind === 'client_error') throw clientFailure(slot.provider, second.error, attempts);
      return null;
    }
    bill(slot.provider, slot.model, second.reply.usage);
    const fixed = checkJsonAnswer(second.reply.content, validate, restoreJson);
    if (!fixed.ok) {
      attempts.push({ provider: slot.provider, model, outcome: 'bad_json', ms: second.ms });
      return null;
    }
    attempts.push({ provider: slot.provider, model, outcome: 'repaired', ms: second.ms });
    return result(slot.provider, model, JSON.stringify(fixed.value), fixed.value);
  }
}

function attemptOf(slot: ProviderSlot, err: LlmProviderError, ms: number): LlmAttempt {
  return { provider: slot.provider, model: slot.model, outcome: err.kind, ms, ...(err.status !== undefined ? { status: err.status } : {}) };
}

function summary(attempts: readonly LlmAttempt[]): string {
  return attempts.length ? attempts.map((a) => `${a.provider} ${a.outcome}`).join(', ') : 'no provider configured';
}

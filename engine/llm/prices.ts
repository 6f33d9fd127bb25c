// Estimated cost of LLM calls: a price table per model in integer micro-USD per 1,000 tokens
// (1 µ$ = 0.000001 USD; "$0.59 per 1M tokens" = 590 µ$ per 1K). Money is never a float: a
// call's cost is ceil((promptTokens × input + completionTokens × output) / 1000) µ$, rounded
// up so estimates never under-count. Prices are the providers' published list prices when
// this table was written; they change — the table is an estimate for budgets, not an invoice.
import type { LlmAnswerSource, LlmUsage } from './types.js';

/**
 * When the list prices below were read from the providers' pricing pages (Anthropic, Google
 * Gemini API paid tier ≤ 200k-token prompts, DeepSeek cache-miss input). Re-check on change.
 */
export const PRICES_AS_OF = '2025-10-01';

export interface ModelPrice {
  /** micro-USD per 1,000 prompt tokens */
  input: number;
  /** micro-USD per 1,000 completion tokens */
  output: number;
}

export const PRICE_TABLE: Readonly<Record<LlmAnswerSource, Readonly<Record<string, ModelPrice>>>> = {
  groq: {
    'llama-3.3-70b-versatile': { input: 590, output: 790 },
    'llama-3.1-8b-instant': { input: 50, output: 80 },
    'meta-llama/llama-4-scout-17b-16e-instruct': { input: 110, output: 340 },
    'meta-llama/llama-4-maverick-17b-128e-instruct': { input: 200, output: 600 },
    'openai/gpt-oss-120b': { input: 150, output: 750 },
    'openai/gpt-oss-20b': { input: 100, output: 500 },
    'qwen/qwen3-32b': { input: 290, output: 590 },
  },
  openai: {
    'gpt-4o-mini': { input: 150, output: 600 },
    'gpt-4o': { input: 2500, output: 10000 },
    'gpt-4.1': { input: 2000, output: 8000 },
    'gpt-4.1-mini': { input: 400, output: 1600 },
    'gpt-4.1-nano': { input: 100, output: 400 },
    'gpt-5': { input: 1250, output: 10000 },
    'gpt-5-mini': { input: 250, output: 2000 },
    'gpt-5-nano': { input: 50, output: 400 },
  },
  anthropic: {
    'claude-sonnet-4-5': { input: 3000, output: 15000 },
    'claude-sonnet-4': { input: 3000, output: 15000 },
    'claude-haiku-4-5': { input: 1000, output: 5000 },
    'claude-3-5-haiku': { input: 800, output: 4000 },
    'claude-opus-4-1': { input: 15000, output: 75000 },
  },
  gemini: {
    'gemini-2.5-pro': { input: 1250, output: 10000 },
    'gemini-2.5-flash': { input: 300, output: 2500 },
    'gemini-2.5-flash-lite': { input: 100, output: 400 },
    'gemini-2.0-flash': { input: 100, output: 400 },
  },
  deepseek: {
    'deepseek-chat': { input: 280, output: 420 },
    'deepseek-reasoner': { input: 280, output: 420 },
  },
  rules: {},
};

/**
 * A model missing from the table is priced high (as gpt-4o) rather than free, so a budget
 * report never shows an unknown model as costing nothing.
 */
export const UNKNOWN_MODEL_PRICE: ModelPrice = { input: 2500, output: 10000 };

/** The price of `model`: exact name, then the longest table name it starts with (dated versions). */
export function priceOf(provider: LlmAnswerSource, model: string): ModelPrice {
  if (provider === 'rules') return { input: 0, output: 0 };
  const table = PRICE_TABLE[provider];
  const exact = table[model];
  if (exact) return exact;
  let best: { name: string; price: ModelPrice } | null = null;
  for (const [name, price] of Object.entries(table)) {
    if (model.startsWith(name) && (!best || name.length > best.name.length)) best = { name, price };
  }
  return best?.price ?? UNKNOWN_MODEL_PRICE;
}

/** Estimated cost of one call in integer micro-USD (rounded up). */
export function costMicroUsd(provider: LlmAnswerSource, model: string, usage: LlmUsage): number {
  const price = priceOf(provider, model);
  const prompt = Math.max(0, Math.floor(usage.promptTokens));
  const completion = Math.max(0, Math.floor(usage.completionTokens));
  return Math.ceil((prompt * price.input + completion * price.output) / 1000);
}

/** Micro-USD as a decimal string of dollars ("0.001234"), for display; never a float. */
export function formatMicroUsd(micro: number): string {
  const n = BigInt(Math.trunc(micro));
  const sign = n < 0n ? '-' : '';
  const abs = n < 0n ? -n : n;
  const whole = abs / 1_000_000n;
  const frac = (abs % 1_000_000n).toString().padStart(6, '0');
  return `${sign}${whole}.${frac}`;
}

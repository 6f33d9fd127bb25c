// ctx.llm's pure parts: the contract, the chain and its fallback policy, JSON answers, PII
// masking, the rules scorer, the price table. The I/O (SDK clients, credentials, usage rows)
// is server/llm/. See README.md here.
export * from './types.js';
export * from './chain.js';
export * from './json-output.js';
export * from './masking.js';
export * from './prices.js';
export * from './numbers.js';
export * from './rules-scorer.js';
export { rulesOnlyLlm } from './rules-only.js';
export * from './reply-classifier.js';
export * from './routing.js';

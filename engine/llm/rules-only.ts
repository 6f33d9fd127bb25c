// The LLM service with no provider: every call is answered by the request's rules (or fails
// llm_unavailable). What nodes use when the runtime has no LLM wiring (the plain engine,
// hand-built test contexts); the server always wires the real chain.
import { runChain } from './chain.js';
import type { LlmLocale, LlmService } from './types.js';

export function rulesOnlyLlm(locale: LlmLocale = 'ar'): LlmService {
  return { locale, complete: (request) => runChain(request, { slots: [], external: 'off' }) };
}

// Small assertions shared by the LLM tests (chain, providers, routing).
import { LlmFailure } from '../../engine/index.js';

/** The attempts of a chain's answer or failure as `provider:outcome`, in order. */
export const outcomes = (r: { attempts: { provider: string; outcome: string }[] }): string[] => r.attempts.map((a) => `${a.provider}:${a.outcome}`);

/** The LlmFailure `p` rejects with (anything else is rethrown; resolving fails the test). */
export async function llmFailure(p: Promise<unknown>): Promise<LlmFailure> {
  try {
    await p;
  } catch (err) {
    if (err instanceof LlmFailure) return err;
    throw err;
  }
  throw new Error('expected an LlmFailure');
}

// The LLM chain benchmark: what ctx.llm.complete() costs per call on top of the model, against
// a local OpenAI-compatible server that answers at once (test/helpers/fake-openai.ts, in a
// child process so its work is not on our event loop). Measured per call: the SDK client
// (groq-sdk / openai), the SSRF-guarded fetch, JSON mode + ajv validation, PII masking and
// restore, the price table and usage bookkeeping. A bare keep-alive POST of the same body to
// the same server is the baseline; the difference is the chain's overhead.
//
//   npm run bench -- ai [--calls 2000] [--concurrency 20] [--warmup 200]
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Agent, fetch as undiciFetch } from 'undici';
import { createGuardedFetch, runChain, type LlmRequest, type LlmService, type LlmSettings } from '../engine/index.js';
import { createLlmService } from '../server/llm/index.js';
import { SCORE_SCHEMA } from '../nodes/ai-score.node.js';
import { refusedUrl, startFakeOpenAI } from '../test/helpers/fake-openai.js';

const ANSWER = { score: 72, reasons: ['[NAME_1] has a budget of SAR 500,000', 'Referral'] };
const LEAD = {
  name: 'نورة الحربي',
  phone: '+966 55 111 2233',
  email: 'noura@najd-co.com.sa',
  company: 'شركة نجد للتقنية',
  budget: 'ميزانية ٥٠٠٬٠٠٠ ريال',
  employees: 220,
  source: 'إحالة من عميل',
  engagement: { replies: 2, opens: 5, meetings: 1 },
  notes: 'طلبت نورة عرض سعر لخمسين مستخدمًا هذا الأسبوع',
};

const REQUEST: LlmRequest = {
  task: 'score',
  system: 'You are the Lead Qualifier of a B2B sales team in Saudi Arabia. Score the lead 0–100 and give short reasons.',
  prompt: `Lead:\n${JSON.stringify(LEAD, null, 1)}`,
  outputSchema: SCORE_SCHEMA,
  temperature: 0,
  maxTokens: 400,
  locale: 'en',
  pii: { names: [LEAD.name] },
  rules: () => ({ score: 0, reasons: ['rules'] }),
};

interface Phase {
  calls: number;
  seconds: number;
  latencies: Float64Array;
  failed: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

type Op = () => Promise<boolean>;

/**
 * `calls` calls of EACH op with `concurrency` callers, the ops interleaved round-robin (every
 * caller runs op 1, op 2, …, op n, op 1, …), so a busy machine slows them all alike and their
 * differences stay comparable.
 */
async function interleaved(ops: readonly Op[], calls: number, concurrency: number): Promise<Phase[]> {
  const latencies = ops.map(() => new Float64Array(calls));
  const failed = ops.map(() => 0);
  const busy = ops.map(() => 0);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < calls) {
      const i = next++;
      for (let k = 0; k < ops.length; k++) {
        const t = performance.now();
        const ok = await ops[k]!().catch(() => false);
        const ms = performance.now() - t;
        latencies[k]![i] = ms;
        busy[k]! += ms;
        if (!ok) failed[k]!++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ops.map((_, k) => {
    latencies[k]!.sort();
    return { calls, seconds: busy[k]! / 1000 / concurrency, latencies: latencies[k]!, failed: failed[k]! };
  });
}

/** calls/s only for sequential runs: interleaved concurrent calls overlap, so a per-kind rate means little. */
function line(label: string, p: Phase, rate: boolean): string {
  return (
    `${label.padEnd(52)} ${String(p.calls).padStart(6)} calls  ${rate ? `${(p.calls / p.seconds).toFixed(0).padStart(6)} calls/s  ` : ''}` +
    `p50 ${percentile(p.latencies, 50).toFixed(3)} ms  p99 ${percentile(p.latencies, 99).toFixed(3)} ms  max ${percentile(p.latencies, 100).toFixed(1)} ms  failed ${p.failed}\n`
  );
}

function service(groq: string, openai: string, settings: LlmSettings): LlmService {
  return createLlmService(
    {
      settings: () => ({ llm: settings, locale: 'en', allowPrivateNetwork: true }),
      key: async (_tenant, type) => (type === 'groq' ? { apiKey: 'gsk_bench_key_000000', baseUrl: groq } : { apiKey: 'sk-bench-key-000000', baseUrl: openai }),
      recordUsage: async () => undefined,
      timeoutMs: 15_000,
    },
    { tenantId: 'bench', executionId: 'bench-exec', flowId: 'bench-flow', stepId: 'bench-exec:1', nodeType: 'ai.score', http: createGuardedFetch({ allowPrivateNetwork: true }) },
  );
}

/** The child process: the fake server, its URL sent to the parent, alive until killed. */
async function serve(): Promise<void> {
  const fake = await startFakeOpenAI({ answer: ANSWER });
  process.send?.({ url: fake.url });
  process.on('disconnect', () => void fake.close().then(() => process.exit(0)));
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { calls: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '20' }, warmup: { type: 'string', default: '200' }, serve: { type: 'boolean', default: false } },
  });
  if (values.serve) return serve();
  const calls = Number(values.calls);
  const concurrency = Number(values.concurrency);
  const warmup = Number(values.warmup);
  if (![calls, concurrency].every((n) => Number.isInteger(n) && n >= 1) || !Number.isInteger(warmup) || warmup < 0) {
    throw new Error('--calls and --concurrency must be positive integers, --warmup a non-negative one');
  }

  const child: ChildProcess = fork(process.argv[1]!, ['ai', '--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const [message] = (await once(child, 'message')) as [{ url: string }];
    const url = message.url;
    const refused = await refusedUrl();
    process.stdout.write(`llm chain: local OpenAI-compatible server in a child process (${url}), answers at once; ${calls} calls of each kind, warm-up ${warmup}\n`);

    // Baseline: the same request body, a bare keep-alive POST, the answer read as JSON.
    const agent = new Agent({ keepAliveTimeout: 10_000 });
    const body = JSON.stringify({ model: 'llama-3.3-70b-versatile', messages: [{ role: 'system', content: REQUEST.system }, { role: 'user', content: REQUEST.prompt }], response_format: { type: 'json_object' } });
    const bare = async (): Promise<boolean> => {
      const res = await undiciFetch(`${url}/openai/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer x' }, body, dispatcher: agent });
      const json = (await res.json()) as { choices?: unknown[] };
      return res.ok && Array.isArray(json.choices);
    };
    const chainCall = (llm: LlmService, expect: 'groq' | 'openai') => async (): Promise<boolean> => {
      const r = await llm.complete(REQUEST);
      return r.provider === expect && (r.json as { score?: number }).score === ANSWER.score;
    };
    const phases: [string, () => Promise<boolean>][] = [
      ['baseline: bare HTTP POST (undici)', bare],
      ['chain, llm.external=allowed (Groq answers)', chainCall(service(url, url, { external: 'allowed' }), 'groq')],
      ['chain, llm.external=masked (Groq answers)', chainCall(service(url, url, { external: 'masked' }), 'groq')],
      ['chain, Groq refused → OpenAI answers', chainCall(service(refused, url, { external: 'masked' }), 'openai')],
    ];
    // The chain alone: an in-memory client that answers at once (no SDK, no HTTP).
    const inMemory = (external: LlmSettings['external']): Op => {
      const reply = { content: JSON.stringify(ANSWER), usage: { promptTokens: 400, completionTokens: 50 } };
      const client = { chat: async () => reply };
      const options = { slots: [{ provider: 'groq' as const, model: 'llama-3.3-70b-versatile', connect: async () => client }], external: external ?? 'masked' };
      return async () => ((await runChain(REQUEST, options)).json as { score?: number }).score === ANSWER.score;
    };
    const all: [string, Op][] = [...phases, ['chain only, in-memory client, allowed', inMemory('allowed')], ['chain only, in-memory client, masked', inMemory('masked')]];
    const ops = all.map(([, op]) => op);
    await interleaved(ops, warmup, Math.min(concurrency, Math.max(1, warmup)));
    for (const c of [1, concurrency]) {
      const results = await interleaved(ops, calls, c);
      const label = c === 1 ? 'sequential' : `concurrency ${c}`;
      process.stdout.write(`-- ${label} (the ${ops.length} kinds of call interleaved)\n`);
      all.forEach(([name], k) => process.stdout.write(line(name, results[k]!, c === 1)));
      const base = results[0]!;
      const d = (a: Phase, p: number) => (percentile(a.latencies, p) - percentile(base.latencies, p)).toFixed(3);
      for (let k = 1; k < phases.length; k++) {
        process.stdout.write(`   overhead over the bare POST, ${all[k]![0].replace(/^chain, /, '')}: p50 ${d(results[k]!, 50)} ms, p99 ${d(results[k]!, 99)} ms\n`);
      }
    }
    await agent.close();
  } finally {
    child.disconnect();
    child.kill();
  }
}

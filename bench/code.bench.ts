// The code step benchmark: the cost of running a trivial snippet in the sandbox through
// runCode() (syntax check, JSON copy in, IPC to the sandbox process, a fresh context in a
// warm isolate, JSON copy out), on ONE sandbox process. Prints the per-run overhead (p50/p99),
// runs per second sequentially and with concurrency, and the resident memory of the host and
// the sandbox process before and after the runs.
//
//   npm run bench -- code [--runs 100000] [--concurrency 8] [--warmup 2000]
import { parseArgs } from 'node:util';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { runCode } from '../nodes/code/run-code.js';
import { SandboxPool } from '../nodes/code/sandbox-pool.js';

const SOURCE = 'return { n: input.n + 1, tag: input.tag };';

interface Phase {
  runs: number;
  seconds: number;
  latencies: Float64Array;
  failed: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** A full GC of the host when it can be had (for steadier RSS figures). */
function collect(): void {
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // not available: the figures include garbage
  }
}

const MB = 1024 * 1024;

interface Memory {
  host: number;
  hostHeap: number;
  sandbox: number;
  sandboxHeap: number;
}

async function memory(pool: SandboxPool): Promise<Memory> {
  collect();
  const [stats] = await pool.stats();
  const host = process.memoryUsage();
  return { host: host.rss / MB, hostHeap: host.heapUsed / MB, sandbox: (stats?.rss ?? NaN) / MB, sandboxHeap: (stats?.heapUsed ?? NaN) / MB };
}

/** Runs `runs` snippets with `concurrency` callers; `checkpoint` is awaited at each quarter. */
async function phase(pool: SandboxPool, runs: number, concurrency: number, checkpoint?: (done: number) => Promise<void>): Promise<Phase> {
  const latencies = new Float64Array(runs);
  let next = 0;
  let failed = 0;
  let paused: Promise<void> | undefined;
  const quarters = new Set([1, 2, 3].map((q) => Math.floor((runs * q) / 4)));
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < runs) {
      if (paused) await paused;
      const i = next++;
      if (checkpoint && quarters.has(i)) {
        paused = checkpoint(i);
        await paused;
        paused = undefined;
      }
      const t = performance.now();
      const r = await runCode({ source: SOURCE, input: { n: i, tag: 'bench' } }, { pool });
      latencies[i] = performance.now() - t;
      if (!r.ok || (r.output as { n: number }).n !== i + 1) failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort();
  return { runs, seconds, latencies, failed };
}

function line(label: string, p: Phase): string {
  return (
    `${label.padEnd(22)} ${String(p.runs).padStart(7)} runs  ${(p.runs / p.seconds).toFixed(0).padStart(6)} runs/s  ` +
    `p50 ${percentile(p.latencies, 50).toFixed(3)} ms  p99 ${percentile(p.latencies, 99).toFixed(3)} ms  max ${percentile(p.latencies, 100).toFixed(1)} ms  failed ${p.failed}\n`
  );
}

function mem(label: string, m: Memory, base?: Memory): string {
  const delta = (a: number, b: number | undefined): string => (b === undefined ? '' : ` (${a - b >= 0 ? '+' : ''}${(a - b).toFixed(1)})`);
  return (
    `${label.padEnd(22)} RSS host ${m.host.toFixed(1)} MB${delta(m.host, base?.host)}  sandbox ${m.sandbox.toFixed(1)} MB${delta(m.sandbox, base?.sandbox)}` +
    `   heap host ${m.hostHeap.toFixed(1)} MB${delta(m.hostHeap, base?.hostHeap)}  sandbox process ${m.sandboxHeap.toFixed(1)} MB\n`
  );
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { runs: { type: 'string', default: '100000' }, concurrency: { type: 'string', default: '8' }, warmup: { type: 'string', default: '2000' } },
  });
  const runs = Number(values.runs);
  const concurrency = Number(values.concurrency);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(concurrency) || concurrency < 1 || !Number.isInteger(warmup) || warmup < 0) {
    throw new Error('--runs, --concurrency and --warmup must be positive integers');
  }

  const pool = new SandboxPool({ processes: 1 });
  try {
    await pool.start();
    process.stdout.write(`code step sandbox: 1 sandbox process (pid ${pool.pids().join(', ')}), ${pool.concurrency} runs in flight per process, snippet: ${SOURCE}\n`);
    await phase(pool, warmup, concurrency);
    const before = await memory(pool);
    process.stdout.write(mem('memory after warm-up', before));

    const at = (offset: number) => async (done: number) => {
      process.stdout.write(mem(`  memory at ${offset + done}`, await memory(pool), before));
    };
    const sequential = await phase(pool, runs, 1, at(0));
    process.stdout.write(line('sequential', sequential));
    const afterSequential = await memory(pool);
    process.stdout.write(mem(`memory after ${runs}`, afterSequential, before));

    const concurrent = await phase(pool, runs, concurrency, at(runs));
    process.stdout.write(line(`concurrency ${concurrency}`, concurrent));
    const afterConcurrent = await memory(pool);
    process.stdout.write(mem(`memory after ${runs * 2}`, afterConcurrent, before));
    process.stdout.write(
      `per-run overhead (trivial snippet, warm pool): p50 ${percentile(sequential.latencies, 50).toFixed(3)} ms, p99 ${percentile(sequential.latencies, 99).toFixed(3)} ms\n`,
    );
  } finally {
    await pool.close();
  }
}

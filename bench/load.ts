// A closed-loop HTTP load generator over loopback keep-alive connections (undici Pool):
// `concurrency` requests in flight at all times until `total` have completed.
import { Pool } from 'undici';

export interface LoadResult {
  total: number;
  ok: number;
  failed: number;
  /** 503 answers (queue-mode backpressure: `overloaded` with Retry-After), not counted in `failed`. */
  refused: number;
  elapsedMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export async function load(origin: string, path: string, body: (i: number) => unknown, total: number, concurrency: number, check: (status: number, json: unknown, i: number) => boolean): Promise<LoadResult> {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  const latencies = new Float64Array(total);
  let next = 0;
  let ok = 0;
  let failed = 0;
  let refused = 0;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      try {
        const res = await pool.request({ path, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body(i)) });
        const json = await res.body.json();
        if (check(res.statusCode, json, i)) ok++;
        else if (res.statusCode === 503) refused++;
        else failed++;
      } catch {
        failed++;
      }
      latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  await pool.close();
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  return { total, ok, failed, refused, elapsedMs, perSecond: (total / elapsedMs) * 1000, p50Ms: pct(50), p99Ms: pct(99), maxMs: sorted[sorted.length - 1] ?? 0 };
}

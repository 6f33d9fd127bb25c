// Prometheus metrics (prom-client): step latency and outcomes by node type and tenant, and,
// collected at scrape time, queue depth by state (queue mode) and executions by status; the
// process's own (prom-client's default collectors, tadfuq_process_*: CPU, memory, GC, event-loop
// delay nodejs_eventloop_lag_{p50,p90,p99,max}_seconds) and the event-loop lag /readyz uses.
//
// Private by default: /metrics names every tenant's id and activity. metricsRefusal() answers
// who may read it (API and worker alike): with TADFUQ_METRICS_TOKEN, `Authorization: Bearer
// <token>` only; without it, loopback clients only.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isQueueRuntime, type Runtime, type StepObservation } from '../engine/index.js';
import type { Database } from '../db/index.js';
import { ApiError, errorBody } from './api-error.js';

export interface Metrics {
  registry: Registry;
  observeStep(o: StepObservation): void;
  /** Attach what is read at scrape time (after the runtime exists). */
  bind(runtime: Runtime, db: Database): void;
  /** Event-loop lag over the last few seconds (what /readyz compares with its threshold). */
  loop: LoopMonitor;
  /** Stop the event-loop monitor. */
  stop(): void;
}

/** The event loop's largest stall over a recent window (LOOP_WINDOW_MS). */
export interface LoopMonitor {
  /** Largest delay of the monitor's tick past its interval seen in the window, in ms. */
  lagMs(): number;
  stop(): void;
}

/** How far back /readyz and tadfuq_event_loop_lag_seconds look: five one-second buckets. */
export const LOOP_WINDOW_MS = 5_000;
const LOOP_BUCKET_MS = 1_000;
const LOOP_TICK_MS = 50;

/**
 * A JS ticker, not perf_hooks' histogram: the histogram forgets its previous tick on reset(),
 * so a stall that ended just before a bucket rotation was lost when the rotation ran first.
 * Here lagMs() also counts the stall still in progress (time since the last tick), so a
 * request answered right after a blocked loop sees it whichever timer runs first.
 */
export function createLoopMonitor(windowMs = LOOP_WINDOW_MS, bucketMs = LOOP_BUCKET_MS, tickMs = LOOP_TICK_MS): LoopMonitor {
  const keep = Math.max(1, Math.round(windowMs / bucketMs));
  const buckets: number[] = [0];
  let bucketStart = performance.now();
  let lastTick = bucketStart;
  const tick = setInterval(() => {
    const now = performance.now();
    const late = Math.max(0, now - lastTick - tickMs);
    lastTick = now;
    while (now - bucketStart >= bucketMs) {
      bucketStart += bucketMs;
      buckets.push(0);
      if (buckets.length > keep) buckets.shift();
    }
    // The stall belongs to the bucket it ended in (the current one, even after a long stall).
    buckets[buckets.length - 1] = Math.max(buckets[buckets.length - 1]!, late);
  }, tickMs);
  tick.unref();
  return {
    lagMs() {
      const inProgress = Math.max(0, performance.now() - lastTick - tickMs);
      return Math.round(Math.max(inProgress, ...buckets));
    },
    stop() {
      clearInterval(tick);
    },
  };
}

const isLoopback = (address: string | undefined): boolean => !!address && (/^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address));

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Why this request may not read /metrics (401 without the right bearer token when one is
 * configured, 403 from another host when none is), or null when it may. Constant-time compare.
 */
export function metricsRefusal(req: Pick<IncomingMessage, 'headers' | 'socket'>, token: string | undefined): ApiError | null {
  if (token) {
    const given = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (timingSafeEqual(digest(given), digest(token))) return null;
    return new ApiError(401, 'unauthorized', 'send Authorization: Bearer <TADFUQ_METRICS_TOKEN> to read /metrics — أرسل رمز المقاييس لقراءة /metrics', [], { 'WWW-Authenticate': 'Bearer realm="metrics"' });
  }
  if (isLoopback(req.socket?.remoteAddress)) return null;
  return new ApiError(403, 'forbidden', 'only this host may read /metrics unless TADFUQ_METRICS_TOKEN is set — لا يقرأ /metrics إلا هذا الخادم ما لم يُضبط TADFUQ_METRICS_TOKEN');
}

/** A worker's metrics port (TADFUQ_WORKER_METRICS_PORT): /metrics, private like the API's. */
export function metricsListener(registry: Registry, token: string | undefined): (req: IncomingMessage, res: ServerResponse) => void {
  const json = { 'Content-Type': 'application/json; charset=utf-8' };
  return (req, res) => {
    if (req.url?.split('?')[0] !== '/metrics') {
      return void res.writeHead(404, json).end(JSON.stringify(errorBody(new ApiError(404, 'not_found', 'only /metrics is served here'))));
    }
    const refusal = metricsRefusal(req, token);
    if (refusal) return void res.writeHead(refusal.status, { ...refusal.headers, ...json }).end(JSON.stringify(errorBody(refusal)));
    registry.metrics().then(
      (body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body),
      () => res.writeHead(500, json).end(JSON.stringify(errorBody(new ApiError(500, 'internal', 'internal error')))),
    );
  };
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tadfuq_process_' });
  const loop = createLoopMonitor();
  new Gauge({
    name: 'tadfuq_event_loop_lag_seconds',
    help: `Largest event-loop delay over the last ${LOOP_WINDOW_MS / 1000} s (what /readyz compares with TADFUQ_READY_MAX_LAG_MS)`,
    registers: [registry],
    collect() {
      this.set(loop.lagMs() / 1000);
    },
  });
  const steps = new Counter({ name: 'tadfuq_steps_total', help: 'Node runs by outcome', labelNames: ['tenant', 'node_type', 'status'], registers: [registry] });
  const latency = new Histogram({
    name: 'tadfuq_step_duration_seconds',
    help: 'Node run duration',
    labelNames: ['node_type'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  let runtime: Runtime | null = null;
  let db: Database | null = null;
  new Gauge({
    name: 'tadfuq_queue_jobs',
    help: 'BullMQ jobs by state (queue mode)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      if (!isQueueRuntime(runtime)) return;
      const counts = await runtime.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'tadfuq_executions',
    help: 'Executions by tenant and status',
    labelNames: ['tenant', 'status'],
    registers: [registry],
    async collect() {
      if (!db) return;
      this.reset();
      const rows = await db.sql.query('SELECT tenant_id, status, COUNT(*) AS n FROM executions GROUP BY tenant_id, status');
      for (const r of rows) this.set({ tenant: String(r.tenant_id), status: String(r.status) }, Number(r.n));
    },
  });
  new Gauge({
    name: 'tadfuq_waits',
    help: 'Pending waits (timers and event waits)',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      if (!db) return;
      this.reset();
      const rows = await db.sql.query('SELECT kind, COUNT(*) AS n FROM waits GROUP BY kind');
      for (const r of rows) this.set({ kind: String(r.kind) }, Number(r.n));
    },
  });
  return {
    registry,
    observeStep(o) {
      steps.inc({ tenant: o.tenantId, node_type: o.nodeType, status: o.status });
      latency.observe({ node_type: o.nodeType }, o.durationMs / 1000);
    },
    bind(r, d) {
      runtime = r;
      db = d;
    },
    loop,
    stop() {
      loop.stop();
    },
  };
}

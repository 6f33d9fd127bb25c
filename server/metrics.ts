// Prometheus metrics (prom-client): step latency and outcomes by node type and tenant, and,
// collected at scrape time, queue depth by state (queue mode) and executions by status.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { QueueRuntime, type Runtime, type StepObservation } from '../engine/index.js';
import type { Database } from '../db/index.js';

export interface Metrics {
  registry: Registry;
  observeStep(o: StepObservation): void;
  /** Attach what is read at scrape time (after the runtime exists). */
  bind(runtime: Runtime, db: Database): void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tadfuq_process_' });
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
      if (!(runtime instanceof QueueRuntime)) return;
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
  };
}

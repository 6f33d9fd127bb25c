// Queue mode: PostgreSQL is the source of truth, Redis (BullMQ) holds only jobs.
//
// - A producer (the API process) commits a new execution, then enqueues a `drive` job; it
//   never runs nodes. Workers take jobs and drive executions in-process segment by segment,
//   exactly like the embedded runtime, under the same optimistic revision check.
// - Job ids are deterministic (`d-<execution>-r<rev>`, `t-<wait>-<dueAt>`), so a redelivered
//   or re-added job is a duplicate BullMQ ignores, or a no-op for the stepper.
// - Jobs are added only after the transaction that makes their rows visible has committed.
// - Waits are delayed jobs; the reconciler (one leader at a time, elected in Redis) re-adds
//   overdue waits and re-drives executions whose lease expired (worker died), which also
//   rebuilds everything after Redis is flushed or replaced.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { DelayedError, Queue, Worker, type Job, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { ExecutionWrite } from './run-store.js';
import { ExecutionDriver, MAX_SEGMENT_STARTS, type ActiveRun, type DriverOptions, type Settled, type StartRequest } from './execution-driver.js';
import type { Command } from '../stepper/execution-state.js';
import { ExecutionConflict } from '../errors/execution-conflict.error.js';
import type { ExecutionHead, ExecutionMeta, WaitRow } from './run-store.js';
import { QueueLimits, type LimitKeys } from './queue-limits.js';
import { RedisRateLimiter } from './rate-limiter.js';

/** One trigger.schedule node of a published flow version. */
export interface ScheduleSpec {
  tenantId: string;
  flowId: string;
  version: number;
  nodeId: string;
  cron: string;
  timezone: string;
}

/** Which execution a job advances, and whose limits it counts against. */
export interface JobTarget {
  executionId: string;
  tenantId: string;
  flowId: string;
  flowVersion: number;
  /** Counted in its tenant's backlog (runnable now, not a future timer): uncount when done. */
  counted?: boolean;
}

export type QueueJob =
  | ({ kind: 'drive' } & JobTarget)
  | ({ kind: 'schedule' } & ScheduleSpec)
  | ({ kind: 'timer'; seq: number; waitId: string; dueAt: number } & JobTarget)
  | ({ kind: 'event'; seq: number; payload: unknown } & JobTarget);

export interface QueueRuntimeOptions extends DriverOptions {
  redisUrl: string;
  /** BullMQ key prefix; tests use their own to stay apart. */
  prefix?: string;
  /** `producer` (API: start, cancel, schedules) or `worker` (runs jobs). */
  role: 'producer' | 'worker';
  /** Jobs one worker runs at once. */
  concurrency?: number;
  /** How long a worker's hold on an execution lasts without a commit. */
  leaseMs?: number;
  reconcileIntervalMs?: number;
  /** Overdue by this much before the reconciler re-adds a wait or re-drives an execution. */
  reconcileGraceMs?: number;
  /** Executions of one tenant driven at once across all workers (default 100). */
  tenantConcurrency?: (tenantId: string) => number;
  /**
   * A schedule tick that comes due while everything was down (found over a minute late):
   * `skip` it (default, cron semantics) or `runOnce` (BullMQ keeps one pending tick per
   * schedule, so at most one missed tick runs).
   */
  missedTicks?: 'skip' | 'runOnce';
}

/** A tick this late was missed while nothing ran, rather than merely queued behind work. */
const MISSED_TICK_MS = 60_000;

export const QUEUE_NAME = 'executions';

/** The tick a scheduler job stands for: its delay's end (job ids are `repeat:<key>:<ms>`). */
function scheduledTime(job: Job): number {
  const fromId = Number(String(job.id ?? '').split(':').pop());
  return Number.isFinite(fromId) && fromId > 0 ? fromId : job.timestamp + (job.opts.delay ?? 0);
}
const jobId = (s: string): string => s.replace(/:/g, '_');

export class QueueRuntime extends ExecutionDriver {
  /** See isQueueRuntime (runtime-kind.ts). */
  readonly mode = 'queue' as const;
  readonly id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  readonly queue: Queue;
  private worker: Worker | null = null;
  private readonly redis: Redis;
  /** Connections handed to BullMQ: it never closes a connection it was given, so stop() does. */
  private readonly given: Redis[] = [];
  private subscriber: Redis | null = null;
  private reconciler: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly limits: QueueLimits;
  private readonly held = new Map<string, LimitKeys>();
  /** Jobs to add with the next bulk add (see enqueue). */
  private adding: { data: QueueJob & JobTarget; id: string; delay: number; resolve: () => void; reject: (err: unknown) => void }[] = [];
  /** Executions a job of this worker is advancing: settled notices wait for the job's release. */
  private readonly announcing = new Map<string, { jobs: number; messages: string[] }>();
  private readonly tenantConcurrency: (tenantId: string) => number;
  private readonly missedTicks: 'skip' | 'runOnce';
  private readonly options: Required<Pick<QueueRuntimeOptions, 'prefix' | 'role' | 'concurrency' | 'leaseMs' | 'reconcileIntervalMs' | 'reconcileGraceMs'>> & { redisUrl: string };

  constructor(options: QueueRuntimeOptions) {
    // One command connection serves limits, rates, pub/sub publishing and leader election.
    // Send rates are shared by every worker, so they live in Redis.
    const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    super({ ...options, rateLimiter: options.rateLimiter ?? new RedisRateLimiter(redis, options.prefix ?? 'tadfuq') });
    this.redis = redis;
    this.options = {
      redisUrl: options.redisUrl,
      prefix: options.prefix ?? 'tadfuq',
      role: options.role,
      concurrency: options.concurrency ?? 50,
      leaseMs: options.leaseMs ?? 15_000,
      reconcileIntervalMs: options.reconcileIntervalMs ?? 5_000,
      reconcileGraceMs: options.reconcileGraceMs ?? 3_000,
    };
    this.limits = new QueueLimits(this.redis, this.options.prefix, this.id, this.options.leaseMs);
    this.tenantConcurrency = options.tenantConcurrency ?? (() => 100);
    this.missedTicks = options.missedTicks ?? 'skip';
    this.queue = new Queue(QUEUE_NAME, { connection: this.connection(), prefix: this.options.prefix });
  }

  private connection(): ConnectionOptions {
    const c = new Redis(this.options.redisUrl, { maxRetriesPerRequest: null });
    this.given.push(c);
    return c;
  }

  private get channel(): string {
    return `${this.options.prefix}:settled`;
  }

  private get cancelChannel(): string {
    return `${this.options.prefix}:cancel`;
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.subscriber = new Redis(this.options.redisUrl, { maxRetriesPerRequest: null });
    await this.subscriber.subscribe(this.channel, this.cancelChannel);
    this.subscriber.on('message', (channel: string, message: string) => {
      try {
        if (channel === this.cancelChannel) {
          const { executionId, reason } = JSON.parse(message) as { executionId: string; reason: string };
          this.interrupt(executionId, reason);
        } else this.notify(JSON.parse(message) as Settled);
      } catch {
        // a malformed message is not ours to act on
      }
    });
    if (this.options.role === 'worker') {
      this.worker = new Worker(QUEUE_NAME, (job: Job<QueueJob>, token?: string) => this.process(job, token), {
        connection: this.connection(),
        prefix: this.options.prefix,
        concurrency: this.options.concurrency,
        lockDuration: 30_000,
        stalledInterval: 5_000,
        // A job whose worker dies (or hangs past its lock) is retried as often as a segment may
        // start (quarantine): past that BullMQ fails the job, the reconciler re-drives the
        // execution and the driver fails it with crashed_repeatedly instead of running it again.
        maxStalledCount: MAX_SEGMENT_STARTS - 1,
      });
      this.worker.on('error', (err) => this.log.error({ err }, 'worker error'));
      // Keep the leases of long steps alive; a dead worker's expire and the reconciler re-drives.
      this.heartbeat = setInterval(() => {
        void this.store.renewLeases(this.id, this.activeIds(), this.now().getTime() + this.options.leaseMs).catch((err) => this.log.error({ err }, 'lease renewal failed'));
        void this.limits.renew([...this.held.values()]).catch((err) => this.log.error({ err }, 'slot renewal failed'));
      }, Math.max(500, Math.floor(this.options.leaseMs / 3)));
      this.heartbeat.unref();
    }
    await this.reconcile();
    this.reconciler = setInterval(() => void this.reconcile(), this.options.reconcileIntervalMs);
    this.reconciler.unref();
  }

  /** Graceful: stop taking jobs, let in-flight ones finish their segment, then disconnect. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.reconciler) clearInterval(this.reconciler);
    this.reconciler = null;
    await this.worker?.close();
    this.worker = null;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    await this.locks.idle();
    await this.queue.close();
    await this.subscriber?.quit().catch(() => undefined);
    this.subscriber = null;
    // BullMQ left these open (they were ours): without this the process never exits.
    for (const c of this.given.splice(0)) await c.quit().catch(() => c.disconnect());
    await this.redis.quit().catch(() => undefined);
  }

  protected override drivesNewExecutions(): boolean {
    return this.options.role === 'worker';
  }

  /** Producers always commit before answering: the worker must find the execution. */
  override startExecution(req: StartRequest): Promise<{ executionId: string }> {
    return super.startExecution(this.options.role === 'producer' ? { ...req, durable: true } : req);
  }

  protected override async dispatch(run: ActiveRun, commands: Command[]): Promise<void> {
    if (this.options.role === 'worker') return this.drive(run, commands);
    await this.flush(run);
    await this.enqueueDrive(run.meta, run.rev);
  }

  protected override settled(state: Settled): void {
    this.notify(state);
    const { executionId, status, output, error } = state;
    const message = JSON.stringify({ executionId, status, output, error });
    // Inside a job: published with the job's slot release (one round trip for both).
    const deferred = this.announcing.get(executionId);
    if (deferred) deferred.messages.push(message);
    else void this.redis.publish(this.channel, message).catch(() => undefined);
  }

  protected async afterCommit(write: ExecutionWrite): Promise<void> {
    await Promise.all(write.waits.filter((w) => w.dueAt !== null).map((w) => this.enqueueTimer(write.meta, w.seq, w.id, w.dueAt!)));
  }

  private target(meta: ExecutionMeta): JobTarget {
    return { executionId: meta.id, tenantId: meta.tenantId, flowId: meta.flowId, flowVersion: meta.flowVersion };
  }

  /**
   * Add a job with a deterministic id, prioritised by its tenant's backlog of runnable jobs
   * (fairness). Future timers are not backlog: a tenant with 100,000 contacts parked on delays
   * is not a flood.
   */
  private enqueue(data: QueueJob & JobTarget, id: string, delay = 0): Promise<void> {
    // Adds asked for in the same turn of the event loop (concurrent requests, a segment's
    // waits, a reconcile round) go together: one pipelined count, one bulk add.
    return new Promise((resolve, reject) => {
      this.adding.push({ data, id, delay, resolve, reject });
      if (this.adding.length === 1) setImmediate(() => void this.addPending());
    });
  }

  private async addPending(): Promise<void> {
    const batch = this.adding.splice(0);
    try {
      const runnable = batch.filter((b) => b.delay <= 0);
      const priorities = await this.limits.enqueuedMany(runnable.map((b) => b.data.tenantId));
      const priority = new Map(runnable.map((b, i) => [b, priorities[i]!]));
      await this.queue.addBulk(
        batch.map((b) => {
          const counted = b.delay <= 0;
          return { name: b.data.kind, data: { ...b.data, counted }, opts: { jobId: jobId(b.id), priority: priority.get(b) ?? 1, ...(counted ? {} : { delay: b.delay }), removeOnComplete: true, removeOnFail: 1000 } };
        }),
      );
      for (const b of batch) b.resolve();
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }

  private async enqueueTimer(meta: ExecutionMeta, seq: number, waitId: string, dueAt: number): Promise<void> {
    await this.enqueue({ kind: 'timer', seq, waitId, dueAt, ...this.target(meta) }, `t-${waitId}-${dueAt}`, dueAt - this.now().getTime());
  }

  protected waitCleared(): void {
    // The delayed job, if any, fires later as a no-op: the stepper ignores a cleared wait.
  }

  /** Workers hold what they drive; a producer never drives, so it never holds a lease. */
  protected lease(): { owner: string; until: number } | null {
    if (this.options.role !== 'worker') return null;
    return { owner: this.id, until: this.now().getTime() + this.options.leaseMs };
  }

  async enqueueDrive(meta: ExecutionMeta, rev: number): Promise<void> {
    await this.enqueue({ kind: 'drive', ...this.target(meta) }, `d-${meta.id}-r${rev}`);
  }

  /**
   * Cancel wherever the execution runs: commit the cancellation here, and tell the worker
   * driving it to abort its in-flight step (its next commit then conflicts and stops).
   */
  override async cancel(executionId: string, reason = 'cancelled by request'): Promise<boolean> {
    await this.redis.publish(this.cancelChannel, JSON.stringify({ executionId, reason })).catch(() => undefined);
    return super.cancel(executionId, reason);
  }

  /** Deliver a domain event: each matching wait becomes an `event` job. */
  override async deliverEvent(tenantId: string, event: string, correlation: string, payload: unknown): Promise<number> {
    const waits = await this.store.findEventWaits(tenantId, event, correlation);
    for (const w of waits) {
      if (await this.alreadyQueued(`e-${w.id}`)) continue;
      const stored = await this.store.loadExecution(w.executionId);
      if (stored) await this.enqueue({ kind: 'event', seq: w.seq, payload, ...this.target(stored.meta) }, `e-${w.id}`);
    }
    return waits.length;
  }

  /**
   * Make BullMQ's job schedulers match the published schedules (one scheduler per flow and
   * trigger node; BullMQ fires each tick once however many processes call this). A republish
   * updates the scheduler in place, so the pending tick is replaced, not doubled.
   */
  async syncSchedules(specs: ScheduleSpec[]): Promise<void> {
    const wanted = new Map(specs.map((s) => [`sched-${s.flowId}-${s.nodeId}`, s]));
    const existing = await this.queue.getJobSchedulers(0, -1);
    for (const [id, spec] of wanted) {
      const current = existing.find((e) => e.key === id);
      const data = current?.template?.data as ScheduleSpec | undefined;
      const unchanged = current && current.pattern === spec.cron && current.tz === spec.timezone && data?.version === spec.version;
      if (unchanged) continue;
      await this.queue.upsertJobScheduler(id, { pattern: spec.cron, tz: spec.timezone }, { name: 'schedule', data: { kind: 'schedule', ...spec }, opts: { removeOnComplete: true, removeOnFail: 1000 } });
    }
    for (const e of existing) if (!wanted.has(e.key)) await this.queue.removeJobScheduler(e.key);
  }

  private async process(bullJob: Job<QueueJob>, token: string | undefined): Promise<void> {
    const job = bullJob.data;
    if (job.kind === 'schedule') return this.startScheduled(job, scheduledTime(bullJob));
    // Limits: no slot for the tenant or the flow → try again shortly, never drop the work.
    const flow = await this.flowFor({ id: job.executionId, tenantId: job.tenantId, flowId: job.flowId, flowVersion: job.flowVersion, subject: null, mode: '' });
    const keys: LimitKeys = { tenantId: job.tenantId, flowId: job.flowId, holderKey: `${job.executionId}|${bullJob.id}` };
    const flowConcurrency = flow.settings?.concurrency;
    const limits = { tenantConcurrency: this.tenantConcurrency(job.tenantId), ...(flowConcurrency ? { flowConcurrency } : {}) };
    if (!(await this.limits.acquire(keys, limits))) {
      await bullJob.moveToDelayed(Date.now() + 100 + Math.floor(Math.random() * 200), token);
      throw new DelayedError();
    }
    this.held.set(keys.holderKey, keys);
    const announce = this.announcing.get(job.executionId) ?? { jobs: 0, messages: [] };
    announce.jobs++;
    this.announcing.set(job.executionId, announce);
    try {
      if (job.kind === 'drive') {
        // Someone alive is driving it; the reconciler re-drives it if their lease runs out.
        const free = (stored: { lease: { owner: string; until: number } | null }): boolean =>
          !stored.lease || stored.lease.owner === this.id || stored.lease.until <= this.now().getTime();
        await this.resumeStored(job.executionId, free);
      } else if (job.kind === 'timer') {
        await this.onTimer({ id: job.waitId, executionId: job.executionId, seq: job.seq, dueAt: job.dueAt });
      } else {
        await this.resumeWith(job.executionId, { type: 'eventReceived', seq: job.seq, payload: job.payload, at: this.now().toISOString() });
      }
    } catch (err) {
      if (!(err instanceof ExecutionConflict)) throw err;
    } finally {
      this.held.delete(keys.holderKey);
      if (--announce.jobs === 0) this.announcing.delete(job.executionId);
      const messages = announce.messages.splice(0).map((m): [string, string] => [this.channel, m]);
      await this.limits.release(keys, job.counted === true, messages).catch(() => undefined);
    }
  }

  private async startScheduled(job: ScheduleSpec, tick: number): Promise<void> {
    if (this.missedTicks === 'skip' && this.now().getTime() - tick > MISSED_TICK_MS) {
      this.log.info({ flowId: job.flowId, tick: new Date(tick).toISOString() }, 'skipping a schedule tick missed while down');
      return;
    }
    const flow = await this.flowFor({ id: '', tenantId: job.tenantId, flowId: job.flowId, flowVersion: job.version, subject: null, mode: 'schedule' });
    try {
      // One execution per tick: a redelivered tick job conflicts on this id and stops.
      await this.startExecution({
        executionId: `s-${job.flowId}-${job.nodeId}-${tick}`,
        tenantId: job.tenantId,
        flowId: job.flowId,
        flowVersion: job.version,
        flow,
        trigger: job.nodeId,
        payload: { scheduledAt: new Date(tick).toISOString(), timezone: job.timezone, cron: job.cron },
        mode: 'schedule',
        durable: true,
      });
    } catch (err) {
      if (!(err instanceof ExecutionConflict)) throw err;
    }
  }

  /**
   * Leader only: re-add overdue waits and re-drive executions nobody holds.
   *
   * Under a backlog most candidates are merely queued, and some finish between the read of
   * their rows and the look at Redis: re-adding those doubled the work (their job was removed
   * on completion, so its id was free again). So: one pipelined existence check of every
   * candidate's job, then the rows of the missing ones are read again, and only what is still
   * due (the same wait, the same revision, still unheld) is re-added. A job finishes only after
   * its commit, so a job gone at the check has its commit visible to the re-read.
   */
  async reconcile(): Promise<{ waits: number; executions: number } | null> {
    if (this.stopping) return null;
    try {
      if (!(await this.lead())) return null;
      const now = this.now().getTime();
      const grace = this.options.reconcileGraceMs;
      const waits = await this.store.dueWaits(now - grace, 1000);
      const orphans = await this.store.unfinishedHeads({ leaseExpiredBefore: now, updatedBefore: now - grace, limit: 1000 });
      const waitJob = (w: WaitRow): string => `t-${w.id}-${w.dueAt}`;
      const driveJob = (o: ExecutionHead): string => `d-${o.meta.id}-r${o.rev}`;
      const missing = await this.missingJobs([...waits.map(waitJob), ...orphans.map(driveJob)]);
      const lostWaits = waits.filter((w) => missing.has(waitJob(w)));
      const lostRuns = orphans.filter((o) => missing.has(driveJob(o)));
      const current = new Map((await this.store.waitsByIds(lostWaits.map((w) => w.id))).map((w) => [w.id, w]));
      const unheld = new Map((await this.store.unfinishedHeads({ ids: lostRuns.map((o) => o.meta.id), leaseExpiredBefore: now, updatedBefore: now - grace })).map((o) => [o.meta.id, o]));
      const adds: Promise<void>[] = [];
      let readded = 0;
      for (const w of lostWaits) {
        if (current.get(w.id)?.dueAt !== w.dueAt) continue; // fired (or moved) since the first read
        const target = { executionId: w.executionId, tenantId: w.tenantId, flowId: w.flowId ?? '', flowVersion: w.flowVersion ?? 0 };
        adds.push(this.enqueue({ kind: 'timer', seq: w.seq, waitId: w.id, dueAt: w.dueAt ?? now, ...target }, waitJob(w)));
        readded++;
      }
      let redriven = 0;
      for (const o of lostRuns) {
        if (unheld.get(o.meta.id)?.rev !== o.rev) continue; // advanced (or taken) since the first read
        adds.push(this.enqueueDrive(o.meta, o.rev));
        redriven++;
      }
      await Promise.all(adds); // one bulk add
      if (readded || redriven) this.log.info({ readded, redriven }, 'reconciler re-enqueued lost work');
      return { waits: readded, executions: redriven };
    } catch (err) {
      this.log.error({ err }, 'reconcile failed');
      return null;
    }
  }

  /**
   * Which of these job ids have no live job (absent, or failed: a failed copy is removed so
   * the id can be added again), in one pipelined round trip.
   */
  private async missingJobs(ids: string[]): Promise<Set<string>> {
    const missing = new Set<string>();
    if (ids.length === 0) return missing;
    const failedKey = this.queue.toKey('failed');
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.exists(this.queue.toKey(jobId(id))).zscore(failedKey, jobId(id));
    const replies = (await pipe.exec()) ?? [];
    for (let i = 0; i < ids.length; i++) {
      const [existsErr, exists] = replies[2 * i] ?? [];
      const [, failedScore] = replies[2 * i + 1] ?? [];
      if (existsErr) continue; // unknown: leave it for the next round
      if (exists === 0) missing.add(ids[i]!);
      else if (failedScore !== null && failedScore !== undefined) {
        await this.queue.remove(jobId(ids[i]!)).catch(() => undefined);
        missing.add(ids[i]!);
      }
    }
    return missing;
  }

  /** True when the job is still waiting, delayed or running; a failed copy is cleared for a retry. */
  private async alreadyQueued(id: string): Promise<boolean> {
    const job = await this.queue.getJob(jobId(id));
    if (!job) return false;
    if (await job.isFailed()) {
      await job.remove().catch(() => undefined);
      return false;
    }
    return true;
  }

  /**
   * Runnable jobs no worker has taken yet (waiting or prioritized; future timers are not
   * backlog): one pipelined round trip, for the API's backpressure (sampled, not per request).
   */
  async backlog(): Promise<number> {
    const replies = (await this.redis.pipeline().llen(this.queue.toKey('wait')).zcard(this.queue.toKey('prioritized')).llen(this.queue.toKey('paused')).exec()) ?? [];
    return replies.reduce((sum, [err, n]) => (err ? sum : sum + Number(n)), 0);
  }

  /** Leader election: a Redis key with a TTL, renewed by its holder. */
  private async lead(): Promise<boolean> {
    const key = `${this.options.prefix}:reconciler`;
    const ttl = this.options.reconcileIntervalMs * 3;
    const got = await this.redis.set(key, this.id, 'PX', ttl, 'NX');
    if (got === 'OK') return true;
    const renewed = await this.redis.eval(
      "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end",
      1,
      key,
      this.id,
      String(ttl),
    );
    return renewed === 1;
  }
}

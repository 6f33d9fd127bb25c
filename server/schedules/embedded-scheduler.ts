// Fires trigger.schedule flows in the embedded runtime. Next fire times come from
// cron-parser (the same parser that validates the cron at save time), in the trigger's
// timezone (Asia/Riyadh by default). Ticks missed while the process was down are skipped,
// as cron does; the queue runtime offers "run once" for missed ticks.
import type { Logger } from 'pino';
import type { EmbeddedRuntime, Flow, ScheduleSpec } from '../../engine/index.js';
import { nextFireTimes, DEFAULT_TIMEZONE } from '../../nodes/trigger-schedule.node.js';

/** A published schedule, with the flow version it starts. */
export interface ScheduledTrigger extends ScheduleSpec {
  flow: Flow;
}

/** setTimeout cannot wait longer than ~24.8 days; re-arm in steps of at most a day. */
const MAX_TIMER_MS = 24 * 60 * 60 * 1000;

export function scheduledTriggers(rows: { tenantId: string; flowId: string; version: number; flow: Flow }[]): ScheduledTrigger[] {
  return rows.flatMap((r) =>
    r.flow.nodes
      .filter((n) => n.type === 'trigger.schedule')
      .map((n) => {
        const p = (n.params ?? {}) as { cron?: string; timezone?: string };
        return { tenantId: r.tenantId, flowId: r.flowId, version: r.version, nodeId: n.id, cron: String(p.cron), timezone: p.timezone ?? DEFAULT_TIMEZONE, flow: r.flow };
      }),
  );
}

export class EmbeddedScheduler {
  private timers = new Map<string, NodeJS.Timeout>();
  private signature = '';
  private refresher: NodeJS.Timeout | null = null;

  constructor(
    private readonly runtime: EmbeddedRuntime,
    private readonly load: () => Promise<ScheduledTrigger[]>,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Arm every published schedule; re-read them every `refreshMs` (publishes elsewhere). */
  async start(refreshMs = 30_000): Promise<void> {
    await this.reload();
    this.refresher = setInterval(() => void this.reload().catch((err) => this.log.error({ err }, 'schedule reload failed')), refreshMs);
    this.refresher.unref();
  }

  stop(): void {
    if (this.refresher) clearInterval(this.refresher);
    this.refresher = null;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.signature = '';
  }

  /** Re-arm when the set of published schedules changed (a republish never double-fires a tick). */
  async reload(): Promise<void> {
    const triggers = await this.load();
    const signature = triggers.map(key).sort().join('|');
    if (signature === this.signature) return;
    this.signature = signature;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const t of triggers) this.arm(t, this.now());
  }

  private arm(t: ScheduledTrigger, after: Date): void {
    let next: Date | undefined;
    try {
      next = nextFireTimes(t.cron, t.timezone, after, 1)[0];
    } catch (err) {
      this.log.error({ err, flowId: t.flowId, nodeId: t.nodeId }, 'invalid schedule');
      return;
    }
    if (!next) return;
    const delay = next.getTime() - this.now().getTime();
    const timer = setTimeout(() => (delay > MAX_TIMER_MS ? this.arm(t, after) : void this.fire(t, next)), Math.max(0, Math.min(delay, MAX_TIMER_MS)));
    timer.unref();
    this.timers.set(key(t), timer);
  }

  private async fire(t: ScheduledTrigger, tick: Date): Promise<void> {
    this.arm(t, tick);
    try {
      await this.runtime.startExecution({
        tenantId: t.tenantId,
        flowId: t.flowId,
        flowVersion: t.version,
        flow: t.flow,
        trigger: t.nodeId,
        payload: { scheduledAt: tick.toISOString(), timezone: t.timezone, cron: t.cron },
        mode: 'schedule',
        durable: true,
        admit: true,
      });
    } catch (err) {
      this.log.error({ err, flowId: t.flowId }, 'scheduled execution failed to start');
    }
  }
}

function key(t: ScheduledTrigger): string {
  return `${t.flowId}@${t.version}#${t.nodeId}`;
}

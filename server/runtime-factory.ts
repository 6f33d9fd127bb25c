// Which runtime a process runs: embedded (SQLite or PostgreSQL, in-process timers) unless both
// DATABASE_URL and REDIS_URL are set, in which case queue mode (BullMQ): the API process is a
// producer and `npm run worker` processes run the executions.
import type { Logger } from 'pino';
import { DEFAULT_EXPRESSION_LIMITS, EmbeddedRuntime, NodeFailure, isQueueRuntime, type CredentialResolver, type CrmGateway, type DocumentGateway, type EscalationGateway, type NodeRegistry, type Outbox, type Runtime, type ScheduleSpec, type StepObservation } from '../engine/index.js';
import { CredentialRepository, type Sealer } from '../db/credential-repository.js';
import { SecretBoxError } from './security/secret-box.js';
import { createRuntimeLlm } from './llm/index.js';
import { SqlRunStore, publishedFlowsWithNode, type Database, type TenantSettings } from '../db/index.js';
import type { Config } from './config.js';
import { EmbeddedScheduler, scheduledTriggers, type ScheduledTrigger } from './schedules/embedded-scheduler.js';
import { enrollmentRuntimeOptions } from './enrollments/runtime-hooks.js';

export interface ScheduleSync {
  start(refreshMs?: number): Promise<void>;
  stop(): void;
  reload(): Promise<void>;
}

export function isQueueMode(config: Config): boolean {
  return Boolean(config.databaseUrl && config.redisUrl);
}

/**
 * ctx.credential() for the runtime: the tenant's credential by name, decrypted, when its type is
 * one the node accepts. Failures are step failures naming the credential, never its data.
 */
export function createCredentialResolver(db: Database, box: Sealer): CredentialResolver {
  return async ({ tenantId, name, accepts }) => {
    let found;
    try {
      found = await new CredentialRepository(db, box, tenantId).reveal(name, { by: 'name' });
    } catch (err) {
      if (err instanceof SecretBoxError) {
        throw new NodeFailure('credential_unreadable', `credential "${name}" cannot be decrypted (was the secret key changed?)`, { retryable: false });
      }
      throw err;
    }
    if (!found) throw new NodeFailure('credential_not_found', `no credential named "${name}"`, { retryable: false, path: '/params/credential' });
    if (!accepts.includes(found.type)) {
      throw new NodeFailure('credential_type_mismatch', `credential "${name}" is of type ${found.type}; this step accepts ${accepts.join(', ')}`, {
        retryable: false,
        path: '/params/credential',
      });
    }
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(found.data)) {
      if (v === undefined || v === null) continue;
      data[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
    return data;
  };
}

export async function createRuntime(
  config: Config,
  db: Database,
  registry: NodeRegistry,
  log: Logger,
  tenantSettings: Map<string, TenantSettings>,
  role: 'producer' | 'worker',
  observeStep?: (o: StepObservation) => void,
  credentials?: CredentialResolver,
  outbox?: Outbox,
  /** ctx.escalations, ctx.crm and ctx.documents (server/crm/sales-services.ts). */
  sales?: { escalations?: EscalationGateway; crm?: CrmGateway; documents?: DocumentGateway },
): Promise<Runtime> {
  const common = {
    ...(observeStep ? { observeStep } : {}),
    ...(credentials ? { credentials } : {}),
    ...(outbox ? { outbox } : {}),
    ...(sales?.escalations ? { escalations: sales.escalations } : {}),
    ...(sales?.crm ? { crm: sales.crm } : {}),
    ...(sales?.documents ? { documents: sales.documents } : {}),
    // ctx.llm: the routes of each task's class (engine/llm/routing.ts) → rules, with the tenant's keys and policy; usage rows in llm_usage.
    llm: createRuntimeLlm({ db, tenantSettings, ...(credentials ? { credentials } : {}), log }),
    store: new SqlRunStore(db.sql),
    registry,
    logger: log,
    tenantPolicy: (tenantId: string) => {
      const settings = tenantSettings.get(tenantId);
      return {
        allowPrivateNetwork: settings?.allowPrivateNetwork === true,
        // The tenant's expression budget, never above the server's ceiling.
        expressionTimeoutMs: Math.min(settings?.expressionTimeoutMs ?? DEFAULT_EXPRESSION_LIMITS.timeoutMs, config.expressionTimeoutMaxMs),
      };
    },
    // $contact from the contacts table; enrollments end with their executions.
    ...enrollmentRuntimeOptions(db, log),
  };
  if (isQueueMode(config)) {
    const { QueueRuntime } = await import('../engine/queue.js');
    return new QueueRuntime({
      ...common,
      redisUrl: config.redisUrl!,
      prefix: config.queuePrefix,
      role,
      concurrency: config.workerConcurrency,
      tenantConcurrency: () => config.tenantConcurrency,
      missedTicks: config.missedTicks,
    });
  }
  if (role === 'worker') throw new Error('npm run worker needs queue mode: set DATABASE_URL (postgres://…) and REDIS_URL');
  return new EmbeddedRuntime({ ...common, maxDriving: config.maxDriving });
}

/** Every published trigger.schedule node, with the flow version it starts. */
async function publishedSchedules(db: Database): Promise<ScheduledTrigger[]> {
  return scheduledTriggers(await publishedFlowsWithNode(db, 'trigger.schedule'));
}

/** What a BullMQ job scheduler carries: the spec without the flow (job data stays small). */
async function loadSpecs(db: Database): Promise<ScheduleSpec[]> {
  return (await publishedSchedules(db)).map(({ tenantId, flowId, version, nodeId, cron, timezone }) => ({ tenantId, flowId, version, nodeId, cron, timezone }));
}

/** Schedules: in-process timers (embedded) or BullMQ job schedulers kept in sync (queue). */
export function createScheduleSync(runtime: Runtime, db: Database, log: Logger): ScheduleSync {
  if (isQueueRuntime(runtime)) {
    let timer: NodeJS.Timeout | null = null;
    const reload = async (): Promise<void> => runtime.syncSchedules(await loadSpecs(db));
    return {
      reload,
      async start(refreshMs = 30_000) {
        await reload();
        timer = setInterval(() => void reload().catch((err) => log.error({ err }, 'schedule sync failed')), refreshMs);
        timer.unref();
      },
      stop() {
        if (timer) clearInterval(timer);
        timer = null;
      },
    };
  }
  if (runtime instanceof EmbeddedRuntime) {
    return new EmbeddedScheduler(runtime, () => publishedSchedules(db), log);
  }
  throw new Error('unknown runtime');
}

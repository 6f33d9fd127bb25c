// Flows of one tenant: publishing creates an immutable version and (re)binds its webhook
// routes, all in one transaction, so a rejected publish leaves nothing half-saved.
import { randomUUID } from 'node:crypto';
import { Op, Transaction, UniqueConstraintError } from 'sequelize';
import { FlowInvalidError, pointer, validateFlow, type Flow, type FlowError, type NodeRegistry } from '../engine/index.js';
import type { Database } from './database.js';
import { models } from './models.js';

export interface PublishedFlow {
  flowId: string;
  version: number;
  flow: Flow;
}

export interface WebhookRoute {
  flowId: string;
  version: number;
  nodeId: string;
  method: string;
  path: string;
  respond: 'immediately' | 'onFinish';
}

interface WebhookTrigger extends WebhookRoute {
  index: number;
}

/**
 * Publishes through one database handle run one at a time. SQLite has a single writer and
 * Sequelize opens a connection per transaction: contending BEGIN IMMEDIATEs each park a libuv
 * thread in the busy handler, starving the holder's own statements, so many concurrent
 * publishes ended in SQLITE_BUSY. Queuing them here also keeps the path check and the insert
 * of one publish together on PostgreSQL (within this process).
 */
const publishQueues = new WeakMap<Database, Promise<unknown>>();

function serialized<T>(db: Database, fn: () => Promise<T>): Promise<T> {
  const run = (publishQueues.get(db) ?? Promise.resolve()).then(fn);
  publishQueues.set(db, run.catch(() => undefined));
  return run;
}

function webhookTriggers(flow: Flow): WebhookTrigger[] {
  return flow.nodes.flatMap((node, index) => {
    if (node.type !== 'trigger.webhook') return [];
    const p = (node.params ?? {}) as { path?: string; method?: string; respond?: string };
    return [{ index, flowId: '', version: 0, nodeId: node.id, path: String(p.path ?? ''), method: String(p.method ?? 'POST').toUpperCase(), respond: p.respond === 'onFinish' ? 'onFinish' : 'immediately' } as WebhookTrigger];
  });
}

export class FlowRepository {
  constructor(
    private readonly db: Database,
    private readonly registry: NodeRegistry,
    readonly tenantId: string,
  ) {}

  private get m() {
    return models(this.db.sequelize);
  }

  /** Validate and publish a new version (creating the flow when `flowId` is new or absent). */
  async publish(doc: unknown, options: { flowId?: string } = {}): Promise<PublishedFlow> {
    const checked = validateFlow(doc, this.registry);
    if (!checked.ok) throw new FlowInvalidError(checked.errors);
    const flow = checked.flow;
    const triggers = webhookTriggers(flow);
    const errors: FlowError[] = [];
    const seen = new Set<string>();
    for (const t of triggers) {
      const key = `${t.method} ${t.path}`;
      if (seen.has(key)) errors.push({ path: pointer('nodes', t.index, 'params', 'path'), code: 'duplicate_webhook_path', message: `two webhook triggers answer ${key}` });
      seen.add(key);
    }
    if (errors.length) throw new FlowInvalidError(errors);

    const flowId = options.flowId ?? randomUUID();
    const { Flow: FlowM, FlowVersion, WebhookRoute } = this.m;
    // IMMEDIATE (SQLite only; PostgreSQL ignores it): take the write lock up front. A deferred
    // transaction that reads and then writes cannot be retried statement by statement once a
    // concurrent publish committed (SQLITE_BUSY), so concurrent publishes used to fail.
    return serialized(this.db, () => this.db.sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, async (transaction) => {
      const existing = await FlowM.findOne({ where: { id: flowId, tenant_id: this.tenantId }, transaction });
      if (!existing && options.flowId && (await FlowM.findByPk(flowId, { transaction }))) {
        // The id belongs to another tenant: never reveal or touch it.
        throw new FlowInvalidError([{ path: '', code: 'flow_id_taken', message: 'choose another flow id' }]);
      }
      if (triggers.length) {
        const taken = await WebhookRoute.findAll({
          where: { tenant_id: this.tenantId, flow_id: { [Op.ne]: flowId }, [Op.or]: triggers.map((t) => ({ method: t.method, path: t.path })) },
          transaction,
        });
        for (const row of taken) {
          const t = triggers.find((x) => x.method === row.get().method && x.path === row.get().path)!;
          errors.push({ path: pointer('nodes', t.index, 'params', 'path'), code: 'webhook_path_taken', message: `${t.method} /${t.path} already starts another flow` });
        }
        if (errors.length) throw new FlowInvalidError(errors);
      }
      const now = Date.now();
      const version = (existing?.get().published_version ?? 0) + 1;
      const definition = JSON.stringify(flow);
      if (existing) {
        await existing.update({ name: flow.name, draft: definition, status: 'published', published_version: version, updated_at: now }, { transaction });
      } else {
        await FlowM.create({ id: flowId, tenant_id: this.tenantId, name: flow.name, status: 'published', draft: definition, published_version: version, created_at: now, updated_at: now }, { transaction });
      }
      await FlowVersion.create({ id: `${flowId}@${version}`, tenant_id: this.tenantId, flow_id: flowId, version, definition, created_at: now }, { transaction });
      await WebhookRoute.destroy({ where: { tenant_id: this.tenantId, flow_id: flowId }, transaction });
      if (triggers.length) {
        await WebhookRoute.bulkCreate(
          triggers.map((t) => ({ id: randomUUID(), tenant_id: this.tenantId, method: t.method, path: t.path, flow_id: flowId, version, node_id: t.nodeId, respond: t.respond })),
          { transaction },
        );
      }
      return { flowId, version, flow };
    })).catch((err: unknown) => {
      // Another process published the same path between our check and our insert.
      if (err instanceof UniqueConstraintError && triggers.length) {
        throw new FlowInvalidError(triggers.map((t) => ({ path: pointer('nodes', t.index, 'params', 'path'), code: 'webhook_path_taken', message: `${t.method} /${t.path} may already start another flow` })));
      }
      throw err;
    });
  }

  /** Publish only when the definition differs from the latest version (seeds, imports). */
  async publishIfChanged(doc: unknown, flowId: string): Promise<PublishedFlow & { changed: boolean }> {
    const checked = validateFlow(doc, this.registry);
    if (!checked.ok) throw new FlowInvalidError(checked.errors);
    const current = await this.m.Flow.findOne({ where: { id: flowId, tenant_id: this.tenantId } });
    const version = current?.get().published_version;
    if (version) {
      const latest = await this.version(flowId, version);
      if (latest && JSON.stringify(latest) === JSON.stringify(checked.flow)) return { flowId, version, flow: latest, changed: false };
    }
    return { ...(await this.publish(doc, { flowId })), changed: true };
  }

  /** The published version a webhook path starts, if any. */
  async webhookRoute(method: string, path: string): Promise<WebhookRoute | null> {
    const row = await this.m.WebhookRoute.findOne({ where: { tenant_id: this.tenantId, method: method.toUpperCase(), path } });
    if (!row) return null;
    const r = row.get();
    return { flowId: r.flow_id, version: r.version, nodeId: r.node_id, method: r.method, path: r.path, respond: r.respond === 'onFinish' ? 'onFinish' : 'immediately' };
  }

  /** Methods other than `method` that `path` answers (for 405 Allow). */
  async webhookMethods(path: string): Promise<string[]> {
    const rows = await this.m.WebhookRoute.findAll({ where: { tenant_id: this.tenantId, path } });
    return rows.map((r) => r.get().method);
  }

  async version(flowId: string, version: number): Promise<Flow | null> {
    const row = await this.m.FlowVersion.findOne({ where: { tenant_id: this.tenantId, flow_id: flowId, version } });
    return row ? (JSON.parse(row.get().definition) as Flow) : null;
  }

  async list(): Promise<{ id: string; name: string; status: string; publishedVersion: number | null }[]> {
    const rows = await this.m.Flow.findAll({ where: { tenant_id: this.tenantId }, order: [['name', 'ASC']] });
    return rows.map((r) => {
      const f = r.get();
      return { id: f.id, name: f.name, status: f.status, publishedVersion: f.published_version };
    });
  }
}

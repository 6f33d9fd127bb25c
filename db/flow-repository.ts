// Flows of one tenant. A flow has one draft (any JSON with the flow envelope's shape, editable
// at any time, guarded by an optimistic `revision`) and immutable published versions
// (flow_versions, 1, 2, …). Publishing writes the version, moves `published_version` and
// (re)binds the webhook routes in one transaction, so a rejected publish leaves nothing
// half-saved. Test runs of a draft store their snapshot as a flow_versions row with a negative
// version (-1, -2, …: the runtime resumes executions by loading flow_versions); those rows are
// never listed as published versions. Status: `draft` (never published), `published`, `paused`
// (webhooks and schedules start nothing); a deleted flow keeps its rows with `deleted_at` set.
//
// Everything here runs on the raw SQL executor (db.sql), so a route can commit its change and
// its audit entry in one transaction (`publishTransaction`, `transaction`).
import { randomUUID } from 'node:crypto';
import { FlowInvalidError, pointer, validateFlow, type Flow, type FlowError, type NodeRegistry } from '../engine/index.js';
import type { Database } from './database.js';
import { isUniqueViolation, parseJsonColumn, type Query, type Row } from './sql-executor.js';

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

export type FlowStatus = 'draft' | 'published' | 'paused';

export interface FlowRecord {
  id: string;
  name: string;
  status: FlowStatus;
  publishedVersion: number | null;
  revision: number;
  /** As saved: possibly incomplete (validateFlow reports its problems). */
  draft: unknown;
  sampleInput: unknown;
  createdAt: number;
  updatedAt: number;
}

export interface VersionRecord {
  flowId: string;
  version: number;
  definition: Flow;
  createdAt: number;
  /** Actor (`user:<id>`, `apikey:<id>`) or null (seeds, CLI, versions before drafts existed). */
  createdBy: string | null;
  /** Why it exists: {kind: 'publish'} | {kind: 'rollback', fromVersion} | {kind: 'approval', requestId} | {kind: 'test'}. */
  origin: Record<string, unknown> | null;
}

export interface FlowListItem {
  id: string;
  name: string;
  status: FlowStatus;
  publishedVersion: number | null;
  revision: number;
  updatedAt: number;
}

export interface FlowStats {
  lastRunAt: number | null;
  runs: number;
  failed: number;
}

export interface PublishOptions {
  createdBy?: string | null;
  origin?: Record<string, unknown>;
  /** Make the published definition the draft too (publishing a document: seeds, CLI, imports). */
  replaceDraft?: boolean;
  /** Create the flow when `flowId` is unknown (publishing a document); otherwise it must exist. */
  create?: boolean;
  /** The draft revision the caller read: a different one is a RevisionConflictError. */
  expectedRevision?: number;
  /** The publish request being approved: every other pending request of the flow is superseded. */
  approving?: string;
}

/** The flow does not exist in this tenant (or was deleted). */
export class FlowNotFoundError extends Error {
  override readonly name = 'FlowNotFoundError';
  constructor(readonly flowId: string) {
    super(`flow ${flowId} not found`);
    Object.setPrototypeOf(this, FlowNotFoundError.prototype);
  }
}

/** The draft changed since the revision the caller read (`path`: where the caller gave it). */
export class RevisionConflictError extends Error {
  override readonly name = 'RevisionConflictError';
  constructor(
    readonly expected: number,
    readonly revision: number,
    readonly path = '/body/revision',
  ) {
    super(`the draft changed: revision ${expected} is stale, the current revision is ${revision}`);
    Object.setPrototypeOf(this, RevisionConflictError.prototype);
  }
}

interface WebhookTrigger {
  index: number;
  nodeId: string;
  method: string;
  path: string;
  respond: 'immediately' | 'onFinish';
}

/**
 * Publishes through one database handle run one at a time. On SQLite the writer connection
 * serialises transactions anyway; on PostgreSQL this keeps the path check and the insert of
 * one publish together (within this process; across processes the unique index decides).
 */
const publishQueues = new WeakMap<Database, Promise<unknown>>();

function serialized<T>(db: Database, fn: () => Promise<T>): Promise<T> {
  const run = (publishQueues.get(db) ?? Promise.resolve()).then(fn);
  publishQueues.set(db, run.catch(() => undefined));
  return run;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Webhook triggers of a flow, or of an incomplete draft (anything not shaped like one is
 * skipped): what each binds comes from its node type (NodeType.webhook, the defaults there).
 */
function webhookTriggers(doc: unknown, registry: NodeRegistry): WebhookTrigger[] {
  const nodes = isObject(doc) && Array.isArray(doc.nodes) ? (doc.nodes as unknown[]) : [];
  return nodes.flatMap((node, index) => {
    if (!isObject(node) || typeof node.type !== 'string') return [];
    const binding = registry.get(node.type)?.webhook?.(node.params);
    return binding ? [{ index, nodeId: String(node.id), path: binding.path, method: binding.method, respond: binding.respond }] : [];
  });
}

function duplicatePaths(triggers: WebhookTrigger[]): FlowError[] {
  const errors: FlowError[] = [];
  const seen = new Set<string>();
  for (const t of triggers) {
    const key = `${t.method} ${t.path}`;
    if (seen.has(key)) errors.push({ path: pointer('nodes', t.index, 'params', 'path'), code: 'duplicate_webhook_path', message: `two webhook triggers answer ${key}` });
    seen.add(key);
  }
  return errors;
}

/** Nodes whose type is policy Class B (external HTTP, sends): publishing them needs an admin. */
export function classBNodes(doc: unknown, registry: NodeRegistry): { id: string; type: string }[] {
  const nodes = isObject(doc) && Array.isArray(doc.nodes) ? (doc.nodes as unknown[]) : [];
  return nodes.flatMap((n) => (isObject(n) && typeof n.type === 'string' && registry.get(n.type)?.policyClass === 'B' ? [{ id: String(n.id), type: n.type }] : []));
}

const FLOW_COLUMNS = 'id, tenant_id, name, status, draft, published_version, revision, deleted_at, sample_input, created_at, updated_at';

function flowRecord(r: Row): FlowRecord {
  return {
    id: String(r.id),
    name: String(r.name),
    status: String(r.status) as FlowStatus,
    publishedVersion: r.published_version === null || r.published_version === undefined ? null : Number(r.published_version),
    revision: Number(r.revision),
    draft: parseJsonColumn(r.draft),
    sampleInput: r.sample_input === null || r.sample_input === undefined ? null : parseJsonColumn(r.sample_input),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function versionRecord(r: Row): VersionRecord {
  return {
    flowId: String(r.flow_id),
    version: Number(r.version),
    definition: parseJsonColumn(r.definition) as Flow,
    createdAt: Number(r.created_at),
    createdBy: (r.created_by as string | null) ?? null,
    origin: (parseJsonColumn(r.origin) as Record<string, unknown> | null) ?? null,
  };
}

/** Opaque list cursor: base64url of [updatedAt, id] of the last item of the previous page. */
export function encodeFlowCursor(updatedAt: number, id: string): string {
  return Buffer.from(JSON.stringify([updatedAt, id])).toString('base64url');
}

export function decodeFlowCursor(text: string): { updatedAt: number; id: string } | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [updatedAt, id] = value as [unknown, unknown];
    if (typeof updatedAt !== 'number' || !Number.isSafeInteger(updatedAt) || typeof id !== 'string' || !id || id.length > 64) return null;
    return { updatedAt, id };
  } catch {
    return null;
  }
}

export class FlowRepository {
  constructor(
    private readonly db: Database,
    private readonly registry: NodeRegistry,
    readonly tenantId: string,
  ) {}

  /** PostgreSQL: lock the rows read (SQLite transactions already hold the database's write lock). */
  private get forUpdate(): string {
    return this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
  }

  /** Run `fn` in one transaction and return its result. */
  transaction<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    return this.db.sql.transaction(fn);
  }

  /** A transaction that may publish: queued behind every other publish through this database handle. */
  publishTransaction<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    return serialized(this.db, () => this.transaction(fn));
  }

  /** Validate and publish a new version (creating the flow when `flowId` is new or absent); the document becomes the draft too. */
  async publish(doc: unknown, options: { flowId?: string } = {}): Promise<PublishedFlow> {
    const checked = validateFlow(doc, this.registry);
    if (!checked.ok) throw new FlowInvalidError(checked.errors);
    const flowId = options.flowId ?? randomUUID();
    return this.publishTransaction((q) => this.publishIn(q, flowId, checked.flow, { create: true, replaceDraft: true, origin: { kind: 'publish' } }));
  }

  /**
   * Publish `flow` (already validated) as the next version of `flowId` inside the caller's
   * transaction (take it from publishTransaction). Checks webhook paths (none twice, none taken
   * by another flow of the tenant), supersedes pending publish requests of the flow. A paused
   * flow stays paused (resume it to go live); a deleted one is FlowNotFoundError.
   */
  async publishIn(q: Query, flowId: string, flow: Flow, options: PublishOptions = {}): Promise<PublishedFlow> {
    const triggers = webhookTriggers(flow, this.registry);
    const duplicates = duplicatePaths(triggers);
    if (duplicates.length) throw new FlowInvalidError(duplicates);

    const [existing] = await q(`SELECT ${FLOW_COLUMNS} FROM flows WHERE id = $1${this.forUpdate}`, [flowId]);
    if (existing && String(existing.tenant_id) !== this.tenantId) {
      // The id belongs to another tenant: never reveal or touch it.
      if (options.create) throw new FlowInvalidError([{ path: '', code: 'flow_id_taken', message: 'choose another flow id' }]);
      throw new FlowNotFoundError(flowId);
    }
    if (existing && existing.deleted_at !== null && existing.deleted_at !== undefined) throw new FlowNotFoundError(flowId);
    if (!existing && !options.create) throw new FlowNotFoundError(flowId);
    const current = existing ? flowRecord(existing) : null;
    if (current && options.expectedRevision !== undefined && current.revision !== options.expectedRevision) {
      throw new RevisionConflictError(options.expectedRevision, current.revision);
    }

    const taken = await this.takenPaths(q, flowId, triggers);
    if (taken.length) throw new FlowInvalidError(taken);

    const now = Date.now();
    const version = (current?.publishedVersion ?? 0) + 1;
    const definition = JSON.stringify(flow);
    if (current) {
      const status: FlowStatus = current.status === 'paused' ? 'paused' : 'published';
      if (options.replaceDraft) {
        await q('UPDATE flows SET name = $1, draft = $2, status = $3, published_version = $4, revision = revision + 1, updated_at = $5 WHERE id = $6 AND tenant_id = $7', [
          flow.name, definition, status, version, now, flowId, this.tenantId,
        ]);
      } else {
        await q('UPDATE flows SET status = $1, published_version = $2, updated_at = $3 WHERE id = $4 AND tenant_id = $5', [status, version, now, flowId, this.tenantId]);
      }
    } else {
      await q(
        `INSERT INTO flows (id, tenant_id, name, status, draft, published_version, revision, test_runs, created_at, updated_at)
         VALUES ($1, $2, $3, 'published', $4, $5, 1, 0, $6, $6)`,
        [flowId, this.tenantId, flow.name, definition, version, now],
      );
    }
    await q('INSERT INTO flow_versions (id, tenant_id, flow_id, version, definition, created_at, created_by, origin) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
      `${flowId}@${version}`, this.tenantId, flowId, version, definition, now, options.createdBy ?? null, JSON.stringify(options.origin ?? { kind: 'publish' }),
    ]);
    await q('DELETE FROM webhook_routes WHERE tenant_id = $1 AND flow_id = $2', [this.tenantId, flowId]);
    try {
      for (const t of triggers) {
        await q('INSERT INTO webhook_routes (id, tenant_id, method, path, flow_id, version, node_id, respond) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
          randomUUID(), this.tenantId, t.method, t.path, flowId, version, t.nodeId, t.respond,
        ]);
      }
    } catch (err) {
      // Another process published the same path between our check and our insert.
      if (isUniqueViolation(err, 'webhook_routes')) {
        throw new FlowInvalidError(triggers.map((t) => ({ path: pointer('nodes', t.index, 'params', 'path'), code: 'webhook_path_taken', message: `${t.method} /${t.path} may already start another flow` })));
      }
      throw err;
    }
    await q("UPDATE publish_requests SET status = 'superseded', decided_at = $1 WHERE tenant_id = $2 AND flow_id = $3 AND status = 'pending' AND id <> $4", [
      now, this.tenantId, flowId, options.approving ?? '',
    ]);
    return { flowId, version, flow };
  }

  private async takenPaths(q: Query, flowId: string, triggers: WebhookTrigger[]): Promise<FlowError[]> {
    if (!triggers.length) return [];
    const args: unknown[] = [this.tenantId, flowId];
    const pairs = triggers.map((t) => {
      args.push(t.method, t.path);
      return `(method = $${args.length - 1} AND path = $${args.length})`;
    });
    const rows = await q(`SELECT method, path FROM webhook_routes WHERE tenant_id = $1 AND flow_id <> $2 AND (${pairs.join(' OR ')})`, args);
    return rows.flatMap((row) => {
      const t = triggers.find((x) => x.method === row.method && x.path === row.path);
      return t ? [{ path: pointer('nodes', t.index, 'params', 'path'), code: 'webhook_path_taken', message: `${t.method} /${t.path} already starts another flow` }] : [];
    });
  }

  /**
   * Publish-time webhook problems of a draft (two triggers on one method+path; a path another
   * flow of the tenant answers), which validateFlow cannot see.
   */
  async webhookProblems(doc: unknown, flowId: string, q: Query = (sql, params) => this.db.sql.query(sql, params)): Promise<FlowError[]> {
    const triggers = webhookTriggers(doc, this.registry);
    return [...duplicatePaths(triggers), ...(await this.takenPaths(q, flowId, triggers))];
  }

  /** Publish only when the definition differs from the latest version (seeds, imports). A flow the tenant deleted stays deleted. */
  async publishIfChanged(doc: unknown, flowId: string): Promise<PublishedFlow & { changed: boolean }> {
    const checked = validateFlow(doc, this.registry);
    if (!checked.ok) throw new FlowInvalidError(checked.errors);
    const [row] = await this.db.sql.query('SELECT published_version, deleted_at FROM flows WHERE id = $1 AND tenant_id = $2', [flowId, this.tenantId]);
    const version = row?.published_version === null || row?.published_version === undefined ? 0 : Number(row.published_version);
    const latest = version ? await this.version(flowId, version) : null;
    if (row && row.deleted_at !== null && row.deleted_at !== undefined) return { flowId, version, flow: latest ?? checked.flow, changed: false };
    if (latest && JSON.stringify(latest) === JSON.stringify(checked.flow)) return { flowId, version, flow: latest, changed: false };
    return { ...(await this.publish(doc, { flowId })), changed: true };
  }

  /** The published version a webhook path starts, if any: none while the flow is paused or deleted. */
  async webhookRoute(method: string, path: string): Promise<WebhookRoute | null> {
    const [r] = await this.db.sql.query(
      `SELECT r.flow_id, r.version, r.node_id, r.method, r.path, r.respond
         FROM webhook_routes r JOIN flows f ON f.id = r.flow_id AND f.tenant_id = r.tenant_id
        WHERE r.tenant_id = $1 AND r.method = $2 AND r.path = $3 AND f.status = 'published' AND f.deleted_at IS NULL`,
      [this.tenantId, method.toUpperCase(), path],
    );
    if (!r) return null;
    return { flowId: String(r.flow_id), version: Number(r.version), nodeId: String(r.node_id), method: String(r.method), path: String(r.path), respond: r.respond === 'onFinish' ? 'onFinish' : 'immediately' };
  }

  /** Methods that `path` answers (for 405 Allow); a paused flow's answer none. */
  async webhookMethods(path: string): Promise<string[]> {
    const rows = await this.db.sql.query(
      `SELECT r.method FROM webhook_routes r JOIN flows f ON f.id = r.flow_id AND f.tenant_id = r.tenant_id
        WHERE r.tenant_id = $1 AND r.path = $2 AND f.status = 'published' AND f.deleted_at IS NULL`,
      [this.tenantId, path],
    );
    return rows.map((r) => String(r.method));
  }

  /** A stored definition: a published version (> 0) or a test-run snapshot (< 0). */
  async version(flowId: string, version: number): Promise<Flow | null> {
    const [row] = await this.db.sql.query('SELECT definition FROM flow_versions WHERE tenant_id = $1 AND flow_id = $2 AND version = $3', [this.tenantId, flowId, version]);
    return row ? (parseJsonColumn(row.definition) as Flow) : null;
  }

  /** Every flow not deleted, by name (paused ones included). */
  async list(): Promise<{ id: string; name: string; status: string; publishedVersion: number | null }[]> {
    const rows = await this.db.sql.query('SELECT id, name, status, published_version FROM flows WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY name, id', [this.tenantId]);
    return rows.map((r) => ({ id: String(r.id), name: String(r.name), status: String(r.status), publishedVersion: r.published_version === null ? null : Number(r.published_version) }));
  }

  // ---- drafts ----

  /** A flow that is not deleted; pass `q` to read (and on PostgreSQL lock) inside a transaction. */
  async get(flowId: string, q?: Query): Promise<FlowRecord | null> {
    const sql = `SELECT ${FLOW_COLUMNS} FROM flows WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL`;
    const [row] = q ? await q(sql + this.forUpdate, [flowId, this.tenantId]) : await this.db.sql.query(sql, [flowId, this.tenantId]);
    return row ? flowRecord(row) : null;
  }

  /** A new flow with a draft (status `draft`, revision 1). `draft.name` is the flow's name. */
  async create(draft: { name: string } & Record<string, unknown>, options: { sampleInput?: unknown } = {}, q?: Query): Promise<FlowRecord> {
    const id = randomUUID();
    const now = Date.now();
    const insert = (run: Query) =>
      run(
        `INSERT INTO flows (id, tenant_id, name, status, draft, published_version, revision, test_runs, sample_input, created_at, updated_at)
         VALUES ($1, $2, $3, 'draft', $4, NULL, 1, 0, $5, $6, $6)`,
        [id, this.tenantId, draft.name, JSON.stringify(draft), options.sampleInput === undefined || options.sampleInput === null ? null : JSON.stringify(options.sampleInput), now],
      );
    if (q) await insert(q);
    else await this.transaction(insert);
    return { id, name: draft.name, status: 'draft', publishedVersion: null, revision: 1, draft, sampleInput: options.sampleInput ?? null, createdAt: now, updatedAt: now };
  }

  /** Replace the draft if it is still at `expectedRevision`; the revision goes up by one. */
  async saveDraft(flowId: string, draft: { name: string } & Record<string, unknown>, expectedRevision: number): Promise<FlowRecord> {
    return this.transaction(async (q) => {
      const current = await this.get(flowId, q);
      if (!current) throw new FlowNotFoundError(flowId);
      if (current.revision !== expectedRevision) throw new RevisionConflictError(expectedRevision, current.revision);
      const now = Date.now();
      await q('UPDATE flows SET name = $1, draft = $2, revision = revision + 1, updated_at = $3 WHERE id = $4 AND tenant_id = $5 AND revision = $6', [
        draft.name, JSON.stringify(draft), now, flowId, this.tenantId, expectedRevision,
      ]);
      return { ...current, name: draft.name, draft, revision: current.revision + 1, updatedAt: now };
    });
  }

  /** Pin (or with null unpin) the sample input test runs use when given none. Not a draft change: the revision stays. */
  async setSampleInput(flowId: string, input: unknown): Promise<FlowRecord> {
    return this.transaction(async (q) => {
      const current = await this.get(flowId, q);
      if (!current) throw new FlowNotFoundError(flowId);
      await q('UPDATE flows SET sample_input = $1 WHERE id = $2 AND tenant_id = $3', [input === null || input === undefined ? null : JSON.stringify(input), flowId, this.tenantId]);
      return { ...current, sampleInput: input ?? null };
    });
  }

  /** Soft delete: unbind webhook routes, cancel pending publish requests; versions and executions stay readable by id. */
  async remove(flowId: string, also?: (q: Query, flow: FlowRecord) => Promise<void>): Promise<FlowRecord> {
    return this.publishTransaction(async (q) => {
      const current = await this.get(flowId, q);
      if (!current) throw new FlowNotFoundError(flowId);
      const now = Date.now();
      await q('UPDATE flows SET deleted_at = $1, updated_at = $1 WHERE id = $2 AND tenant_id = $3', [now, flowId, this.tenantId]);
      await q('DELETE FROM webhook_routes WHERE tenant_id = $1 AND flow_id = $2', [this.tenantId, flowId]);
      await q("UPDATE publish_requests SET status = 'cancelled', decided_at = $1 WHERE tenant_id = $2 AND flow_id = $3 AND status = 'pending'", [now, this.tenantId, flowId]);
      await also?.(q, current);
      return current;
    });
  }

  /**
   * Pause (published → paused) or resume (paused → published). Answers `unchanged` when the
   * flow already has that status; throws FlowNotFoundError; `not_published` for a draft-only flow.
   */
  async setLive(flowId: string, live: boolean, also?: (q: Query, flow: FlowRecord) => Promise<void>): Promise<{ outcome: 'changed' | 'unchanged' | 'not_published'; flow: FlowRecord }> {
    return this.transaction(async (q) => {
      const current = await this.get(flowId, q);
      if (!current) throw new FlowNotFoundError(flowId);
      if (current.publishedVersion === null) return { outcome: 'not_published', flow: current };
      const target: FlowStatus = live ? 'published' : 'paused';
      if (current.status === target) return { outcome: 'unchanged', flow: current };
      const now = Date.now();
      await q('UPDATE flows SET status = $1, updated_at = $2 WHERE id = $3 AND tenant_id = $4', [target, now, flowId, this.tenantId]);
      const flow = { ...current, status: target, updatedAt: now };
      await also?.(q, flow);
      return { outcome: 'changed', flow };
    });
  }

  // ---- versions ----

  /** Published versions, newest first (test-run snapshots are not versions). */
  async versions(flowId: string): Promise<Omit<VersionRecord, 'definition'>[]> {
    const rows = await this.db.sql.query(
      'SELECT flow_id, version, created_at, created_by, origin FROM flow_versions WHERE tenant_id = $1 AND flow_id = $2 AND version > 0 ORDER BY version DESC',
      [this.tenantId, flowId],
    );
    return rows.map((r) => ({
      flowId: String(r.flow_id),
      version: Number(r.version),
      createdAt: Number(r.created_at),
      createdBy: (r.created_by as string | null) ?? null,
      origin: (parseJsonColumn(r.origin) as Record<string, unknown> | null) ?? null,
    }));
  }

  /** One published version with its metadata (never a test-run snapshot). */
  async versionRecord(flowId: string, version: number, q?: Query): Promise<VersionRecord | null> {
    if (!Number.isInteger(version) || version < 1) return null;
    const sql = 'SELECT flow_id, version, definition, created_at, created_by, origin FROM flow_versions WHERE tenant_id = $1 AND flow_id = $2 AND version = $3';
    const [row] = q ? await q(sql, [this.tenantId, flowId, version]) : await this.db.sql.query(sql, [this.tenantId, flowId, version]);
    return row ? versionRecord(row) : null;
  }

  /**
   * Store `flow` (a validated draft) as a test-run snapshot and return its (negative) version.
   * An unchanged draft reuses the previous snapshot.
   */
  async testSnapshot(flowId: string, flow: Flow, createdBy: string | null): Promise<number> {
    const definition = JSON.stringify(flow);
    return this.transaction(async (q) => {
      const [row] = await q(`SELECT test_runs FROM flows WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL${this.forUpdate}`, [flowId, this.tenantId]);
      if (!row) throw new FlowNotFoundError(flowId);
      const n = Number(row.test_runs);
      if (n > 0) {
        const [last] = await q('SELECT definition FROM flow_versions WHERE tenant_id = $1 AND flow_id = $2 AND version = $3', [this.tenantId, flowId, -n]);
        if (last && String(last.definition) === definition) return -n;
      }
      const version = -(n + 1);
      await q('UPDATE flows SET test_runs = $1 WHERE id = $2 AND tenant_id = $3', [n + 1, flowId, this.tenantId]);
      await q('INSERT INTO flow_versions (id, tenant_id, flow_id, version, definition, created_at, created_by, origin) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        `${flowId}@${version}`, this.tenantId, flowId, version, definition, Date.now(), createdBy, JSON.stringify({ kind: 'test' }),
      ]);
      return version;
    });
  }

  // ---- listing ----

  /** A page of flows, most recently updated first; `q` searches names (case-insensitive substring). */
  async search(options: { q?: string; status?: FlowStatus; limit: number; after?: { updatedAt: number; id: string } }): Promise<FlowListItem[]> {
    const where = ['tenant_id = $1', 'deleted_at IS NULL'];
    const args: unknown[] = [this.tenantId];
    if (options.status) {
      args.push(options.status);
      where.push(`status = $${args.length}`);
    }
    if (options.q) {
      args.push(`%${options.q.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c)}%`);
      where.push(`LOWER(name) LIKE $${args.length} ESCAPE '\\'`);
    }
    if (options.after) {
      args.push(options.after.updatedAt, options.after.id);
      where.push(`(updated_at < $${args.length - 1} OR (updated_at = $${args.length - 1} AND id < $${args.length}))`);
    }
    args.push(options.limit);
    const rows = await this.db.sql.query(
      `SELECT id, name, status, published_version, revision, updated_at FROM flows WHERE ${where.join(' AND ')} ORDER BY updated_at DESC, id DESC LIMIT $${args.length}`,
      args,
    );
    return rows.map((r) => ({
      id: String(r.id),
      name: String(r.name),
      status: String(r.status) as FlowStatus,
      publishedVersion: r.published_version === null ? null : Number(r.published_version),
      revision: Number(r.revision),
      updatedAt: Number(r.updated_at),
    }));
  }

  /** Last run (ever) and runs/failures since `since` (epoch ms) per flow, test runs excluded. */
  async stats(flowIds: string[], since: number): Promise<Map<string, FlowStats>> {
    const out = new Map<string, FlowStats>();
    if (!flowIds.length) return out;
    const marks = flowIds.map((_, i) => `$${i + 3}`).join(', ');
    const rows = await this.db.sql.query(
      `SELECT flow_id, MAX(started_at) AS last_run,
              SUM(CASE WHEN started_at >= $2 THEN 1 ELSE 0 END) AS runs,
              SUM(CASE WHEN started_at >= $2 AND status = 'failed' THEN 1 ELSE 0 END) AS failed
         FROM executions WHERE tenant_id = $1 AND mode <> 'test' AND flow_id IN (${marks}) GROUP BY flow_id`,
      [this.tenantId, since, ...flowIds],
    );
    for (const r of rows) out.set(String(r.flow_id), { lastRunAt: r.last_run === null ? null : Number(r.last_run), runs: Number(r.runs ?? 0), failed: Number(r.failed ?? 0) });
    return out;
  }
}

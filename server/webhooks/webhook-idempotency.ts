// Idempotency-Key for webhooks: the same key for the same tenant and flow within 24 hours
// gets the execution the first request started, never a second one, also when identical
// requests arrive at once (the primary key of webhook_idempotency decides, in the database, so
// it holds across processes). The same key with another body (or query) is refused with 422.
// Only requests that send the header pay for any of this.
import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../../db/index.js';
import { ApiError } from '../api-error.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A claimed key whose execution still does not exist after this long was abandoned (a crash between claim and start). */
const ABANDONED_AFTER_MS = 30_000;
const POLL_MS = 20;
const PRUNE_EVERY_MS = 60_000;

const KEY_RE = /^[\x20-\x7E]{1,200}$/;

const sha256 = (...parts: (string | Buffer)[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** The request's Idempotency-Key, null when absent; 400 when it is not 1–200 printable ASCII characters. */
export function idempotencyKeyOf(headers: Record<string, string | string[] | undefined>): string | null {
  const value = headers[IDEMPOTENCY_HEADER];
  if (value === undefined) return null;
  if (typeof value !== 'string' || !KEY_RE.test(value)) {
    throw new ApiError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 200 printable ASCII characters', [
      { path: '/headers/idempotency-key', code: 'invalid_value', message: '1 to 200 printable ASCII characters' },
    ]);
  }
  return value;
}

/** What a request sent, for "same key, different request": its query and raw body. */
export function requestFingerprint(query: unknown, rawBody: Buffer): string {
  return sha256(JSON.stringify(query ?? {}), '\n', rawBody);
}

export interface Claim {
  /** The execution to answer with. */
  executionId: string;
  /** True when this request must start it (first use of the key, or taking over an abandoned one). */
  start: boolean;
  keyHash: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class WebhookIdempotency {
  private lastPrune = 0;

  constructor(
    private readonly db: Database,
    private readonly onPruneError: (err: unknown) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Claim `key` for (tenant, flow). The first request gets `start: true` and a fresh execution
   * id; later ones the first one's id once that execution exists (they wait for it briefly).
   * 422 idempotency_key_reused when the fingerprint differs from the first request's.
   */
  async claim(tenantId: string, flowId: string, key: string, fingerprint: string): Promise<Claim> {
    this.pruneSometimes();
    const keyHash = sha256(key);
    for (;;) {
      const executionId = uuidv7();
      const now = this.now();
      let existing: { executionId: string; bodyHash: string; createdAt: number } | null = null;
      let inserted = false;
      await this.db.sql.transaction(async (q) => {
        // Inserts, or takes over a row older than the TTL (not yet pruned), atomically.
        const rows = await q(
          `INSERT INTO webhook_idempotency (tenant_id, flow_id, key_hash, body_hash, execution_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (tenant_id, flow_id, key_hash) DO UPDATE SET body_hash = excluded.body_hash, execution_id = excluded.execution_id, created_at = excluded.created_at
           WHERE webhook_idempotency.created_at < $7
           RETURNING execution_id`,
          [tenantId, flowId, keyHash, fingerprint, executionId, now, now - IDEMPOTENCY_TTL_MS],
        );
        inserted = rows.length > 0;
        if (!inserted) existing = await this.row(tenantId, flowId, keyHash, q);
      });
      if (inserted) return { executionId, start: true, keyHash };
      const row = existing as { executionId: string; bodyHash: string; createdAt: number } | null;
      if (!row) continue; // released between the two statements: claim again
      if (row.bodyHash !== fingerprint) {
        throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request body in the last 24 hours', [
          { path: '/headers/idempotency-key', code: 'idempotency_key_reused', message: 'use a new key for a different request' },
        ]);
      }
      const settled = await this.awaitStarted(tenantId, flowId, keyHash, row);
      if (settled) return settled;
      // The first request gave the key back (its start failed): claim it again.
    }
  }

  /** The first request could not start its execution: free the key for a retry. */
  async release(claim: Claim, tenantId: string, flowId: string): Promise<void> {
    await this.db.sql.transaction(async (q) => {
      await q('DELETE FROM webhook_idempotency WHERE tenant_id = $1 AND flow_id = $2 AND key_hash = $3 AND execution_id = $4', [tenantId, flowId, claim.keyHash, claim.executionId]);
    });
  }

  /** Delete keys past the TTL. Returns how many. */
  async prune(): Promise<number> {
    let n = 0;
    await this.db.sql.transaction(async (q) => {
      n = (await q('DELETE FROM webhook_idempotency WHERE created_at < $1 RETURNING key_hash', [this.now() - IDEMPOTENCY_TTL_MS])).length;
    });
    return n;
  }

  private pruneSometimes(): void {
    const now = this.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    void this.prune().catch(this.onPruneError);
  }

  private async row(tenantId: string, flowId: string, keyHash: string, q = this.db.sql.query): Promise<{ executionId: string; bodyHash: string; createdAt: number } | null> {
    const [r] = await q('SELECT execution_id, body_hash, created_at FROM webhook_idempotency WHERE tenant_id = $1 AND flow_id = $2 AND key_hash = $3', [tenantId, flowId, keyHash]);
    return r ? { executionId: String(r.execution_id), bodyHash: String(r.body_hash), createdAt: Number(r.created_at) } : null;
  }

  /**
   * A repeated request: wait until the first one's execution exists (it is committed before the
   * first request is answered), then answer with it. null when the key was given back.
   */
  private async awaitStarted(tenantId: string, flowId: string, keyHash: string, first: { executionId: string; createdAt: number }): Promise<Claim | null> {
    let current = first;
    for (;;) {
      const [exists] = await this.db.sql.query('SELECT id FROM executions WHERE tenant_id = $1 AND id = $2', [tenantId, current.executionId]);
      if (exists) return { executionId: current.executionId, start: false, keyHash };
      const now = this.now();
      if (now - current.createdAt > ABANDONED_AFTER_MS) {
        // Claimed long ago and never started (the process died in between): take it over,
        // compare-and-set so only one of several waiting requests does.
        const executionId = uuidv7();
        let won = false;
        await this.db.sql.transaction(async (q) => {
          const rows = await q(
            'UPDATE webhook_idempotency SET execution_id = $1, created_at = $2 WHERE tenant_id = $3 AND flow_id = $4 AND key_hash = $5 AND execution_id = $6 RETURNING execution_id',
            [executionId, now, tenantId, flowId, keyHash, current.executionId],
          );
          won = rows.length > 0;
        });
        if (won) return { executionId, start: true, keyHash };
      } else {
        await sleep(POLL_MS);
      }
      const row = await this.row(tenantId, flowId, keyHash);
      if (!row) return null;
      current = row;
    }
  }
}

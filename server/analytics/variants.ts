// A/B variants of a send step (server/analytics/README.md): a deterministic, weighted pick per
// contact and flow version, and — when the node asks for it — the winner once the comparison is
// sure enough, read from the rollup (cached briefly: one query per node and 30 s, not per send).
import { createHash } from 'node:crypto';
import type { SendAbTest, SendOrigin, SendRequest, SendVariant } from '../../engine/index.js';
import type { Database } from '../../db/database.js';
import { AnalyticsRepository } from '../../db/analytics-repository.js';
import { compareVariants, DEFAULT_CONFIDENCE, DEFAULT_MIN_SAMPLE } from './stats.js';

/**
 * The variant of a contact: sha256(contact id, flow id, version, node id) read as a number in
 * [0, 1), laid over the variants' cumulative weights (default weight 1). The same contact gets
 * the same variant of a node for as long as the version runs, on any process.
 */
export function assignVariant(variants: readonly SendVariant[], key: { contactId: string; flowId: string; flowVersion: number; nodeId: string }): SendVariant {
  const digest = createHash('sha256').update(`${key.contactId}\u0000${key.flowId}\u0000${key.flowVersion}\u0000${key.nodeId}`).digest();
  const u = digest.readUInt32BE(0) / 2 ** 32;
  const weights = variants.map((v) => (typeof v.weight === 'number' && v.weight > 0 ? v.weight : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let i = 0; i < variants.length; i++) {
    acc += weights[i]! / total;
    if (u < acc) return variants[i]!;
  }
  return variants[variants.length - 1]!;
}

/** The request with the variant's content in place of its own. */
export function applyVariant(req: SendRequest, v: SendVariant): SendRequest {
  const { variants: _variants, abTest: _abTest, ...rest } = req;
  return {
    ...rest,
    ...(v.text !== undefined ? { text: v.text } : {}),
    ...(v.template !== undefined ? { template: v.template } : {}),
    ...(v.subject !== undefined ? { subject: v.subject } : {}),
    ...(v.html !== undefined ? { html: v.html } : {}),
  };
}

const WINNER_TTL_MS = 30_000;

export class VariantPicker {
  private readonly winners = new Map<string, { at: number; winner: string | null }>();
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  /** The winner of a node's test, if the comparison says so (cached for 30 s). */
  async winner(tenantId: string, flowId: string, flowVersion: number, nodeId: string, variants: readonly SendVariant[], ab: SendAbTest): Promise<string | null> {
    const key = `${tenantId}\u0000${flowId}\u0000${flowVersion}\u0000${nodeId}`;
    const cached = this.winners.get(key);
    if (cached && this.now() - cached.at < WINNER_TTL_MS) return cached.winner;
    const totals = await new AnalyticsRepository(this.db, tenantId).variantTotals(flowId, flowVersion, nodeId);
    const counts = variants.map((v) => ({ variant: v.id, sent: totals.get(v.id)?.sent ?? 0, replied: totals.get(v.id)?.replied ?? 0 }));
    const winner = compareVariants(counts, ab.minSample ?? DEFAULT_MIN_SAMPLE, ab.confidence ?? DEFAULT_CONFIDENCE).winner;
    this.winners.set(key, { at: this.now(), winner });
    return winner;
  }

  /**
   * The variant a step sends: the one its message was given before (a step decided again),
   * else the winner when the node sends the winner and there is one, else the contact's
   * deterministic assignment. Null when the request has no variants or no flow version.
   */
  async pick(origin: SendOrigin, req: SendRequest, previous: string | null): Promise<SendVariant | null> {
    const variants = req.variants ?? [];
    if (variants.length === 0 || origin.flowVersion === undefined) return null;
    if (previous !== null) {
      const same = variants.find((v) => v.id === previous);
      if (same) return same;
    }
    if (req.abTest?.sendWinner) {
      const w = await this.winner(origin.tenantId, origin.flowId, origin.flowVersion, origin.nodeId, variants, req.abTest);
      const found = w === null ? undefined : variants.find((v) => v.id === w);
      if (found) return found;
    }
    return assignVariant(variants, { contactId: String(req.contactId), flowId: origin.flowId, flowVersion: origin.flowVersion, nodeId: origin.nodeId });
  }
}

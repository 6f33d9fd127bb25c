// The canvas overlay of step analytics: which figure an edge carries. Pure, so it is testable
// without a browser. The overlay is read-only: it never enters node.data or the saved flow.
// .js: also compiled by the root tsconfig (test/editor/analytics-overlay.test.ts).
import type { StepReport } from '../api/analytics-types.js';

/**
 * How many contacts went along an edge, like a funnel: out of a send step by port (sent,
 * blocked, error → failed, not_sent → blocked + failed); into a send step without figures of
 * its own source, the target's `reached`. null: the report says nothing about this edge.
 */
export function edgeCount(edge: { source: string; target: string; sourceHandle?: string | null | undefined }, steps: ReadonlyMap<string, StepReport>): number | null {
  const from = steps.get(edge.source);
  if (from) {
    const c = from.counts;
    switch (edge.sourceHandle ?? 'sent') {
      case 'sent':
        return c.sent;
      case 'blocked':
        return c.blocked;
      case 'error':
        return c.failed;
      case 'not_sent':
        return c.blocked + c.failed;
      default:
        break;
    }
  }
  const to = steps.get(edge.target);
  return to ? to.counts.reached : null;
}

export const stepsById = (steps: readonly StepReport[]): Map<string, StepReport> => new Map(steps.map((s) => [s.nodeId, s]));

// Replay: a new execution of the same flow version that starts from an earlier execution's
// history instead of from its trigger. The steps before the replayed one are committed again
// as they were (their outputs are reused; those nodes do not run again: a send or an HTTP
// call is not repeated), then the replayed step runs with its original or an edited input,
// and the execution continues normally.
//
// The seed state is not assembled by hand: the history is fed through the pure stepper as the
// completions it was (start with the original payload, then each reused step's stepSucceeded),
// so `$nodes`, the trigger, sequence numbers and the tokens still pending (parallel branches
// the failure dropped) are exactly what the stepper would have had at that point.
import type { Flow } from '../flow/flow.schema.js';
import { ReplayUnavailable } from '../errors/replay-unavailable.error.js';
import { advance, initialState, pendingRuns } from './stepper.js';
import { stepIdOf, type Advance, type StepRecord } from './execution-state.js';

/** A stored step of the execution being replayed (the fields replay reads). */
export type HistoryStep = Pick<StepRecord, 'seq' | 'node' | 'attempt' | 'port' | 'input' | 'output' | 'logs' | 'startedAt' | 'finishedAt'> & {
  /** The step row's status (`succeeded`, `failed`, `cancelled`, …). */
  status: string;
};

export interface ReplayPlan {
  /** Every stored step of the original execution, in any order. */
  steps: HistoryStep[];
  /** Sequence number (in the original) of the step to run again. */
  fromSeq: number;
  /** Run that step with this input instead of its original one (undefined: the same input). */
  input?: unknown;
}

/**
 * The step to replay from: `from` is a step id (`<execution>:<seq>`) or a node id (its latest
 * step); by default the failed step, else (a cancelled execution) the first step the
 * cancellation interrupted.
 */
export function replayStepOf(executionId: string, steps: readonly HistoryStep[], from?: string): number {
  if (from !== undefined) {
    const bySeq = steps.find((s) => stepIdOf(executionId, s.seq) === from);
    if (bySeq) return bySeq.seq;
    const ofNode = steps.filter((s) => s.node === from).sort((a, b) => b.seq - a.seq)[0];
    if (ofNode) return ofNode.seq;
    throw new ReplayUnavailable('unknown_step', `"${from}" is neither a step of this execution nor a node that ran in it`);
  }
  const failed = steps.filter((s) => s.status === 'failed').sort((a, b) => b.seq - a.seq)[0];
  if (failed) return failed.seq;
  const interrupted = steps.filter((s) => s.status === 'cancelled').sort((a, b) => a.seq - b.seq)[0];
  if (interrupted) return interrupted.seq;
  throw new ReplayUnavailable('nothing_to_replay', 'no step failed or was interrupted in this execution: name the step to replay from (fromStep)');
}

/** Completion order as the original saw it; a step always finishes after the one that activated it. */
function completionOrder(a: HistoryStep, b: HistoryStep): number {
  return Date.parse(a.finishedAt ?? '') - Date.parse(b.finishedAt ?? '') || a.seq - b.seq;
}

/**
 * The first advance of a replay execution `executionId`: its state (history up to the
 * replayed step), the step records to commit (the reused steps, re-keyed to the new
 * execution) and the runs to carry out (the replayed step, plus any other step that was
 * still pending at that point). Pure, like advance(). Throws ReplayUnavailable when the
 * history does not lead to the step under `flow`.
 */
export function replayStart(flow: Flow, executionId: string, at: string, plan: ReplayPlan): Advance {
  const bySeq = new Map(plan.steps.map((s) => [s.seq, s]));
  const trigger = bySeq.get(0);
  const target = bySeq.get(plan.fromSeq);
  if (!trigger) throw new ReplayUnavailable('history_diverged', 'the execution has no trigger step to replay from');
  if (!target) throw new ReplayUnavailable('unknown_step', `the execution has no step ${plan.fromSeq}`);
  if (!flow.nodes.some((n) => n.id === trigger.node)) throw new ReplayUnavailable('history_diverged', `the flow has no trigger "${trigger.node}"`);

  let adv = advance(flow, initialState(executionId, at), { type: 'start', trigger: trigger.node, payload: trigger.input, at });
  const records = new Map<string, StepRecord>();
  // Steps activated after the replayed one run again; those before it that succeeded are reused.
  const reusable = plan.steps.filter((s) => s.status === 'succeeded' && s.seq < plan.fromSeq && s.finishedAt && s.port !== null);
  const left = new Set(reusable);
  while (left.size > 0) {
    // Feed, in completion order, the next step whose activation the history has reached.
    const next = [...left]
      .filter((s) => adv.state.tokens.some((t) => t.seq === s.seq && t.node === s.node && t.status === 'ready'))
      .sort(completionOrder)[0];
    if (!next) {
      const stuck = [...left].sort((a, b) => a.seq - b.seq)[0]!;
      throw new ReplayUnavailable('history_diverged', `step ${stuck.seq} (${stuck.node}) of the history does not follow from the steps before it in this flow version`);
    }
    left.delete(next);
    adv = advance(flow, adv.state, {
      type: 'stepSucceeded',
      seq: next.seq,
      port: next.port!,
      output: next.output,
      startedAt: next.startedAt ?? next.finishedAt!,
      at: next.finishedAt!,
      logs: next.logs,
    });
    for (const r of adv.steps) records.set(r.id, { ...r, attempt: next.attempt });
  }
  if (adv.state.status !== 'running') throw new ReplayUnavailable('history_diverged', `the history ends the execution before step ${plan.fromSeq}`);
  const token = adv.state.tokens.find((t) => t.seq === plan.fromSeq);
  if (!token || token.node !== target.node || token.status !== 'ready') {
    throw new ReplayUnavailable('history_diverged', `the history does not lead to step ${plan.fromSeq} (${target.node}) in this flow version`);
  }
  const state = { ...adv.state, startedAt: at };
  if (plan.input !== undefined) {
    state.tokens = state.tokens.map((t) => (t.seq === plan.fromSeq ? { ...t, input: plan.input } : t));
    // Replaying the trigger with an edited payload changes the execution's trigger too.
    if (plan.fromSeq === 0) state.trigger = plan.input;
  }
  return { state, commands: pendingRuns(state), steps: [...records.values()] };
}

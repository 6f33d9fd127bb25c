// Runs a validated flow to its end with the engine's pure stepper and step runner, in memory
// (no storage); timers fire at once. For node tests that need ports, expressions and `$nodes`.
import { advance, createGuardedFetch, initialState, runStep, type ExecutionMeta, type ExecutionState, type Flow, type StepperEvent, type StepRunnerDeps } from '../../engine/index.js';
import { createRegistry } from '../registry.js';

export interface DriveOptions {
  trigger: string;
  payload: unknown;
  at: Date;
  vars?: Record<string, unknown>;
}

export async function driveFlow(flow: Flow, options: DriveOptions): Promise<{ state: ExecutionState; events: StepperEvent[] }> {
  const deps: StepRunnerDeps = {
    registry: createRegistry(),
    http: () => createGuardedFetch({ allowPrivateNetwork: false }),
    vars: () => options.vars ?? {},
    contact: () => null,
    stepTimeoutMs: 10_000,
    now: () => options.at,
    maxOutputBytes: 1024 * 1024,
  };
  const meta: ExecutionMeta = { id: 'x1', tenantId: 't1', flowId: 'f1', flowVersion: 1, subject: null, mode: 'manual' };
  const at = options.at.toISOString();
  const events: StepperEvent[] = [];
  let step = advance(flow, initialState('x1', at), { type: 'start', trigger: options.trigger, payload: options.payload, at });
  let state = step.state;
  const queue = [...step.commands];
  while (queue.length > 0) {
    const cmd = queue.shift()!;
    let event: StepperEvent;
    if (cmd.type === 'run') event = await runStep(deps, { meta, flow, state, signal: new AbortController().signal }, cmd);
    else if (cmd.type === 'sleep') event = { type: 'timerFired', seq: cmd.seq, at };
    else continue;
    events.push(event);
    step = advance(flow, state, event);
    state = step.state;
    queue.push(...step.commands);
  }
  return { state, events };
}

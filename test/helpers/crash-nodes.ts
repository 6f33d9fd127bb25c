// Node types that take their process down, for the quarantine suites (engine/README.md,
// "Quarantine"). Registered only by test harnesses and the test server entries
// (crash-server-main.ts, crash-worker-main.ts), never by the product.
import { appendFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { defineNode, type Localized, type NodeType } from '../../engine/index.js';

const text = (en: string, ar: string): Localized => ({ en, ar });
const out = [{ port: 'out', label: text('out', 'خرج') }];

/**
 * Kills its own process with SIGKILL, every time it runs (a step that crashes the runtime).
 * With TEST_KILL_LOG set, it first appends a line to that file (runs are counted across processes).
 */
export const killNode = defineNode({
  type: 'test.kill',
  category: 'data',
  label: text('Kill the process (test)', 'إنهاء العملية (اختبار)'),
  description: text('SIGKILLs the process that runs it', 'ينهي العملية التي تشغّله بالإشارة SIGKILL'),
  icon: 'x',
  params: Type.Object({}),
  outputs: out,
  async execute(ctx) {
    if (process.env.TEST_KILL_LOG) appendFileSync(process.env.TEST_KILL_LOG, `${ctx.node.id}\n`);
    process.kill(process.pid, 'SIGKILL');
    return new Promise<never>(() => undefined);
  },
});

/** The same with side effects: bracketed by commits like http.request. */
export const killEffectNode = { ...killNode, type: 'test.kill-effect', sideEffects: true };

/** Runs of test.hang in this process (the in-process suites count attempts with it). */
export const hangRuns = { count: 0 };

/**
 * Never finishes (a wedged process, as seen from the runtime): an in-process suite abandons the
 * runtime running it and starts another on the same store, as a restart would.
 */
export const hangNode = defineNode({
  type: 'test.hang',
  category: 'data',
  label: text('Hang (test)', 'توقّف (اختبار)'),
  description: text('Never finishes', 'لا ينتهي أبدًا'),
  icon: 'x',
  params: Type.Object({}),
  outputs: out,
  async execute() {
    hangRuns.count++;
    return new Promise<never>(() => undefined);
  },
});

/** Runs of test.hang-twice in this process. */
export const hangTwiceRuns = { count: 0 };

/** Never finishes on its first two runs in this process, then passes its input on: innocent, but in flight at two crashes. */
export const hangTwiceNode = defineNode({
  type: 'test.hang-twice',
  category: 'data',
  label: text('Hang twice (test)', 'توقّف مرتين (اختبار)'),
  description: text('Never finishes on its first two runs, then passes its input on', 'لا ينتهي في أول تشغيلين ثم يمرّر مدخله'),
  icon: 'x',
  params: Type.Object({}),
  outputs: out,
  async execute(ctx) {
    if (++hangTwiceRuns.count <= 2) return new Promise<never>(() => undefined);
    return { port: 'out', output: ctx.input };
  },
});

export const crashNodeTypes: readonly NodeType[] = [killNode, killEffectNode, hangNode, hangTwiceNode].map((n) => n as unknown as NodeType);

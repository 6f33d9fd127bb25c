// Fake node types for engine tests, so test/engine/ never depends on nodes/.
// Each one is the smallest thing that exercises one part of the node contract.
import { Type, type TSchema } from '@sinclair/typebox';
import { defineNode, Expr, NodeFailure, externalFailureCode, NodeRegistry, type Localized, type NodeType, type PortSpec } from '../../engine/index.js';

const text = (en: string, ar: string = en): Localized => ({ en, ar });
const port = (name: string): PortSpec => ({ port: name, label: text(name) });

/** Category 'trigger', one port `out`, output = the trigger payload. */
export const triggerNode = defineNode({
  type: 't.trigger',
  category: 'trigger',
  label: text('Test trigger', 'مشغل اختبار'),
  description: text('Starts a test flow'),
  icon: 'bolt',
  params: Type.Object({}),
  outputs: [port('out')],
  async execute(ctx) {
    return { port: 'out', output: ctx.input };
  },
});

/** One port `out`, output = input. */
export const passNode = defineNode({
  type: 't.pass',
  category: 'logic',
  label: text('Pass'),
  description: text('Passes its input through'),
  icon: 'arrow-right',
  params: Type.Object({}),
  outputs: [port('out')],
  async execute(ctx) {
    return { port: 'out', output: ctx.input };
  },
});

/** Two ports `a` and `b`; `params.port` (literal or expression) picks one. */
export const branchNode = defineNode({
  type: 't.branch',
  category: 'logic',
  label: text('Branch'),
  description: text('Leaves by port a or b'),
  icon: 'split',
  params: Type.Object({ port: Type.Optional(Expr(Type.Union([Type.Literal('a'), Type.Literal('b')]))) }, { additionalProperties: false }),
  outputs: [port('a'), port('b')],
  async execute(ctx) {
    return { port: ctx.params.port === 'b' ? 'b' : 'a', output: ctx.input };
  },
});

/** Always fails with a NodeFailure; `params.retryable` decides whether retries apply. */
export const failNode = defineNode({
  type: 't.fail',
  category: 'logic',
  label: text('Fail'),
  description: text('Always throws'),
  icon: 'x',
  params: Type.Object({ retryable: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  outputs: [port('out')],
  async execute(ctx) {
    throw new NodeFailure(externalFailureCode('boom'), 'the node failed on purpose', { retryable: ctx.params.retryable ?? true });
  },
});

/** Fails its first `failures` attempts, then succeeds with `{ attempt }`. */
export const flakyNode = defineNode({
  type: 't.flaky',
  category: 'integration',
  sideEffects: true,
  label: text('Flaky'),
  description: text('Fails a few times, then works'),
  icon: 'cloud',
  params: Type.Object({ failures: Type.Integer({ minimum: 0, default: 1 }) }, { additionalProperties: false }),
  outputs: [port('out')],
  async execute(ctx) {
    if (ctx.attempt <= ctx.params.failures) throw new NodeFailure(externalFailureCode('flaky'), `attempt ${ctx.attempt} failed`);
    return { port: 'out', output: { attempt: ctx.attempt } };
  },
});

/** Sleeps `seconds` (literal or expression), then resumes on `out` with its input. */
export const delayNode = defineNode({
  type: 't.delay',
  category: 'time',
  label: text('Delay', 'انتظار'),
  description: text('Waits a number of seconds'),
  icon: 'clock',
  params: Type.Object({ seconds: Expr(Type.Number({ minimum: 0 })), note: Type.Optional(Type.String()) }, { additionalProperties: false }),
  outputs: [port('out')],
  async execute(ctx) {
    const until = new Date(ctx.now().getTime() + Number(ctx.params.seconds) * 1000).toISOString();
    return { wait: { until, resume: { port: 'out', output: ctx.input } } };
  },
});

/** Waits for a domain event; `out` when it arrives, `timeout` otherwise. */
export const waitEventNode = defineNode({
  type: 't.wait',
  category: 'time',
  label: text('Wait for event'),
  description: text('Waits for an event'),
  icon: 'inbox',
  params: Type.Object({ event: Type.String({ minLength: 1 }), correlation: Expr(Type.String()), timeoutSeconds: Type.Optional(Type.Number({ minimum: 1 })) }),
  outputs: [port('out'), port('timeout')],
  async execute(ctx) {
    const timeoutAt = ctx.params.timeoutSeconds ? new Date(ctx.now().getTime() + ctx.params.timeoutSeconds * 1000).toISOString() : undefined;
    return { wait: { event: ctx.params.event, correlation: ctx.params.correlation, ...(timeoutAt ? { timeoutAt, timeoutPort: 'timeout' } : {}) } };
  },
});

/** Ports depend on params: one per case plus `default` (like logic.switch). */
export const switchNode = defineNode({
  type: 't.switch',
  category: 'logic',
  label: text('Switch'),
  description: text('Routes by value'),
  icon: 'signpost',
  params: Type.Object({ value: Expr(Type.String()), cases: Type.Array(Type.String({ minLength: 1 }), { default: [] }) }, { additionalProperties: false }),
  outputs: (params) => [...(params.cases ?? []).map(port), port('default')],
  check: (params) =>
    new Set(params.cases).size === params.cases.length ? [] : [{ path: '/cases', code: 'duplicate_case', message: 'case names must be unique' }],
  async execute(ctx) {
    return { port: ctx.params.cases.includes(ctx.params.value) ? ctx.params.value : 'default', output: ctx.input };
  },
});

/** Declares its own `error` port (like send.*): sent / blocked / error. */
export const sendNode = defineNode({
  type: 't.send',
  category: 'sales',
  policyClass: 'B',
  sideEffects: true,
  label: text('Send'),
  description: text('Sends a message'),
  icon: 'send',
  params: Type.Object({ to: Expr(Type.String()), body: Expr(Type.String()) }, { additionalProperties: false }),
  outputs: [port('sent'), port('blocked'), port('error')],
  async execute(ctx) {
    return { port: 'sent', output: { to: ctx.params.to } };
  },
});

/** Version 2 of a type: flows may pin typeVersion 1 or 2, not 3. */
export const versionedNode = defineNode({
  type: 't.versioned',
  version: 2,
  category: 'data',
  label: text('Versioned'),
  description: text('Has two versions'),
  icon: 'tag',
  params: Type.Object({}),
  outputs: [port('out')],
  async execute(ctx) {
    return { port: 'out', output: ctx.input };
  },
});

/**
 * NodeType<S>'s `outputs` and `check` are function-typed properties (checked contravariantly),
 * so a concrete NodeType<TObject<...>> needs its params type erased to sit in a registry.
 */
const erased = <S extends TSchema>(nodeType: NodeType<S>): NodeType => nodeType as unknown as NodeType;

export const fakeNodeTypes: readonly NodeType[] = [
  triggerNode,
  passNode,
  branchNode,
  failNode,
  flakyNode,
  delayNode,
  waitEventNode,
  switchNode,
  sendNode,
  versionedNode,
].map(erased);

/** A fresh registry holding every fake type. */
export function fakeRegistry(): NodeRegistry {
  return new NodeRegistry([...fakeNodeTypes]);
}

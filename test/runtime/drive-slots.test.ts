// Drive slots (EmbeddedRuntime's maxDriving, TADFUQ_MAX_DRIVING): admitted work (webhooks,
// schedule ticks, timer wake-ups) waits for a free slot before it is accepted, in order, so a
// burst slows its senders instead of piling up in memory; work started from inside a step
// (not admitted) never waits for a slot, so it cannot wait for one its own execution holds.
import { expect } from 'chai';
import { Type } from '@sinclair/typebox';
import { EmbeddedRuntime, NodeRegistry, defineNode } from '../../engine/index.js';
import { FlowRepository, SqlRunStore, TenantRepository } from '../../db/index.js';
import { coreNodes } from '../../nodes/registry.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { flow } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';

describe('drive slots (embedded runtime)', function () {
  this.timeout(20_000);
  let tdb: TestDatabase;
  before(async () => {
    tdb = await createTestDatabase('sqlite');
  });
  after(async () => {
    await tdb.db.close();
    await tdb.drop();
  });

  let gates: (() => void)[] = [];
  let entered: number[] = [];
  beforeEach(() => {
    gates = [];
    entered = [];
  });
  const hold = defineNode({
    type: 'test.hold',
    category: 'integration',
    label: { en: 'Hold', ar: 'انتظار' },
    description: { en: 'Waits until the test lets it go', ar: 'ينتظر حتى يسمح له الاختبار' },
    icon: 'clock',
    params: Type.Object({}),
    outputs: [{ port: 'out', label: { en: 'Done', ar: 'تم' } }],
    async execute(ctx) {
      entered.push((ctx.input as { i: number }).i);
      await new Promise<void>((resolve) => gates.push(resolve));
      return { port: 'out', output: ctx.input };
    },
  });
  const registry = new NodeRegistry([...coreNodes, hold]);

  it('accepts admitted work only when a slot is free, in order, and counts the waiting in the backlog', async () => {
    const tenant = await new TenantRepository(tdb.db).ensure('slots', 'Slots');
    const published = await new FlowRepository(tdb.db, registry, tenant.id).publish(
      flow([{ id: 's', type: 'trigger.manual' }, { id: 'hold', type: 'test.hold' }], [['s', 'out', 'hold']]),
    );
    const runtime = new EmbeddedRuntime({ store: new SqlRunStore(tdb.db.sql), registry, pollIntervalMs: 200, maxDriving: 2 });
    await runtime.start();
    const start = (i: number, admit: boolean) =>
      runtime.startExecution({ tenantId: tenant.id, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 's', payload: { i }, mode: 'manual', durable: true, admit });
    try {
      const accepted: number[] = [];
      const starts = [0, 1, 2, 3].map((i) => start(i, true).then((r) => (accepted.push(i), r.executionId)));
      await waitFor(() => entered.length === 2);
      expect(accepted.sort()).to.deep.equal([0, 1]);
      expect(await runtime.backlog()).to.equal(4); // two driving, two waiting for a slot
      // Work from inside a step is not admitted: it runs at once, over the bound.
      await start(9, false);
      await waitFor(() => entered.includes(9));
      expect(accepted).to.not.include(2);
      // Each slot that frees takes the next admitted start, in arrival order.
      gates.shift()!();
      await waitFor(() => accepted.length === 3);
      expect(accepted[2]).to.equal(2);
      while (entered.length < 5 || gates.length > 0) {
        await waitFor(() => gates.length > 0);
        gates.shift()!();
        await new Promise((r) => setTimeout(r, 10));
      }
      const ids = await Promise.all(starts);
      const results = await Promise.all(ids.map((id) => runtime.result(id, true)));
      expect(results.map((r) => r.status)).to.deep.equal(Array(4).fill('succeeded'));
      expect(entered.filter((i) => i !== 9)).to.deep.equal([0, 1, 2, 3]);
      expect(await runtime.backlog()).to.equal(0);
    } finally {
      for (const g of gates) g();
      await runtime.stop();
    }
  });

  it('a restart resumes unfinished executions a slot at a time', async () => {
    const tenant = await new TenantRepository(tdb.db).ensure('slots2', 'Slots after a restart');
    const published = await new FlowRepository(tdb.db, registry, tenant.id).publish(
      flow([{ id: 's', type: 'trigger.manual' }, { id: 'hold', type: 'test.hold' }], [['s', 'out', 'hold']]),
      { flowId: 'restart-slots' },
    );
    // A first runtime accepts three executions and is abandoned with all three in their step.
    const first = new EmbeddedRuntime({ store: new SqlRunStore(tdb.db.sql), registry, pollIntervalMs: 200 });
    const ids: string[] = [];
    for (const i of [0, 1, 2]) {
      ids.push((await first.startExecution({ tenantId: tenant.id, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 's', payload: { i }, mode: 'manual', durable: true })).executionId);
    }
    await waitFor(() => entered.length === 3);
    gates = []; // the abandoned runtime's steps never finish
    entered = [];
    const second = new EmbeddedRuntime({ store: new SqlRunStore(tdb.db.sql), registry, pollIntervalMs: 200, maxDriving: 1 });
    await second.start();
    try {
      await waitFor(() => entered.length === 1);
      await new Promise((r) => setTimeout(r, 100));
      expect(entered).to.have.length(1);
      expect(await second.backlog()).to.equal(3);
      for (let n = 1; n <= 3; n++) {
        await waitFor(() => gates.length === 1);
        gates.shift()!();
        if (n < 3) await waitFor(() => entered.length === n + 1);
      }
      const results = await Promise.all(ids.map((id) => second.result(id, true)));
      expect(results.map((r) => r.status)).to.deep.equal(['succeeded', 'succeeded', 'succeeded']);
    } finally {
      for (const g of gates) g();
      await second.stop();
    }
  });
});

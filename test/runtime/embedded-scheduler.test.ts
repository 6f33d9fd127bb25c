// trigger.schedule in the embedded runtime: fires once per tick, in the trigger's timezone,
// and a republish does not make a tick fire twice.
import { expect } from 'chai';
import { pino } from 'pino';
import type { EmbeddedRuntime } from '../../engine/index.js';
import { createHarness, flow, type Harness } from '../helpers/runtime-harness.js';
import { EmbeddedScheduler, scheduledTriggers } from '../../server/schedules/embedded-scheduler.js';
import { FlowRepository, publishedFlowsWithNode } from '../../db/index.js';
import { createRegistry } from '../../nodes/registry.js';

describe('embedded scheduler', function () {
  this.timeout(20_000);
  let h: Harness;
  let scheduler: EmbeddedScheduler;

  before(async () => {
    h = await createHarness('sqlite');
    scheduler = new EmbeddedScheduler(h.runtime as EmbeddedRuntime, async () => scheduledTriggers(await publishedFlowsWithNode(h.db, 'trigger.schedule')), pino({ level: 'silent' }));
  });
  after(async () => {
    scheduler.stop();
    await h.close();
  });

  const everySecond = (label: string) =>
    flow(
      [
        { id: 'tick', type: 'trigger.schedule', params: { cron: '* * * * * *' } },
        { id: 'note', type: 'data.set', params: { fields: { label } } },
      ],
      [['tick', 'out', 'note']],
    );

  it('fires every tick once, with the tick time and timezone as payload, across a republish', async () => {
    const doc = everySecond('v1');
    const first = await h.publish(doc);
    await scheduler.start(200);
    await new Promise((r) => setTimeout(r, 1600));
    // Republish the same flow (new version) mid-way.
    await new FlowRepository(h.db, createRegistry(), h.tenantId).publish(everySecond('v2'), { flowId: first.flowId });
    await new Promise((r) => setTimeout(r, 1600));
    scheduler.stop();
    await new Promise((r) => setTimeout(r, 300));
    const rows = await h.db.sql.query("SELECT id, flow_version, state, output FROM executions WHERE mode = 'schedule' ORDER BY started_at");
    expect(rows.length).to.be.within(2, 5);
    const ticks = rows.map((r) => (JSON.parse(String(r.output)) as { scheduledAt: string }).scheduledAt);
    expect(new Set(ticks).size, 'each tick fired once').to.equal(ticks.length);
    for (const t of ticks) expect(t).to.match(/\.000Z$/);
    expect((JSON.parse(String(rows[0]!.output)) as { timezone: string }).timezone).to.equal('Asia/Riyadh');
    expect(rows.map((r) => Number(r.flow_version))).to.include(2);
  });

  it('turns a trigger into its cron, timezone and node', () => {
    const triggers = scheduledTriggers([
      {
        tenantId: 't',
        flowId: 'f',
        version: 3,
        flow: { schemaVersion: 1, name: 'x', nodes: [{ id: 'a', type: 'trigger.schedule', params: { cron: '0 9 * * 0-4', timezone: 'Asia/Riyadh' } }], edges: [] },
      },
    ]);
    expect(triggers).to.have.length(1);
    expect(triggers[0]).to.include({ nodeId: 'a', cron: '0 9 * * 0-4', timezone: 'Asia/Riyadh', version: 3 });
  });
});

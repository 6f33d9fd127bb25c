// Channel rotation through the real embedded runtime and outbox (SQLite, an injected clock):
// WhatsApp goes out, is not reported delivered within the step's delivery timeout (the step
// sleeps durably meanwhile, no retry spent), so SMS goes; each channel once, the output names
// the channel used. A second contact's WhatsApp is reported delivered in time: SMS never goes.
import { expect } from 'chai';
import { EmbeddedRuntime, type Runtime } from '../../engine/index.js';
import { createRegistry } from '../../nodes/registry.js';
import { ExecutionRepository, FlowRepository, SqlRunStore, TenantRepository, type Database } from '../../db/index.js';
import { OutboxRepository } from '../../db/outbox-repository.js';
import { OutboxService } from '../../server/outbox/outbox-service.js';
import { ProviderRegistry } from '../../server/outbox/provider-registry.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { flow } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { ALWAYS_OPEN, RecordingProvider, contact, grant, outboxRig } from '../outbox-service/outbox-fixtures.js';

const START = new Date('2026-03-01T07:00:00.000Z');

describe('sequences: channel rotation through the runtime (sqlite)', function () {
  this.timeout(60_000);
  let tdb: TestDatabase;
  let db: Database;
  let runtime: Runtime;
  let clock = new Date(START);
  const now = () => new Date(clock);
  const recorder = new RecordingProvider();
  const registry = createRegistry();

  before(async () => {
    tdb = await createTestDatabase('sqlite');
    db = tdb.db;
    const rig = outboxRig(db, now);
    const outbox = new OutboxService({ db, providers: new ProviderRegistry(recorder), credentials: rig.credentials, now, crashAt: null });
    runtime = new EmbeddedRuntime({ store: new SqlRunStore(db.sql), registry, now, pollIntervalMs: 50, outbox });
    await runtime.start();
  });
  after(async () => {
    await runtime?.stop();
    await db?.close();
    await tdb?.drop();
  });

  it('falls back to SMS when WhatsApp is not delivered within the timeout; stays on WhatsApp when it is', async () => {
    const tenantId = (await new TenantRepository(db).ensure('rotate', 'Rotation', { sendPolicy: ALWAYS_OPEN } as never)).id;
    const published = await new FlowRepository(db, registry, tenantId).publish(
      flow(
        [
          { id: 'start', type: 'trigger.manual' },
          {
            id: 'step1',
            type: 'send.message',
            params: {
              purpose: 'marketing',
              deliveryTimeoutSeconds: 3600,
              channels: [
                { channel: 'whatsapp', template: { name: 'intro' }, text: 'مرحبا' },
                { channel: 'sms', text: 'مرحبا' },
              ],
            },
          },
        ],
        [['start', 'out', 'step1']],
      ),
    );
    const start = async (contactId: string) =>
      (
        await runtime.startExecution({ tenantId, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 'start', payload: {}, mode: 'manual', subject: contactId, durable: true })
      ).executionId;
    const slow = await contact(db, tenantId);
    const fast = await contact(db, tenantId);
    for (const c of [slow, fast]) for (const ch of ['whatsapp', 'sms'] as const) await grant(db, tenantId, c.id, ch, 'marketing', clock.getTime() - 86_400_000);

    const slowRun = await start(slow.id);
    const fastRun = await start(fast.id);
    expect((await runtime.result(slowRun)).status).to.equal('waiting');
    expect((await runtime.result(fastRun)).status).to.equal('waiting');
    expect(recorder.received.map((r) => r.message.channel)).to.deep.equal(['whatsapp', 'whatsapp']);

    // The fast contact's WhatsApp is delivered 10 minutes later (a provider callback).
    const outbox = new OutboxRepository(db, tenantId);
    const fastWa = (await outbox.list({ executionId: fastRun, limit: 5 }))[0]!;
    expect(await outbox.applyDelivery({ tenantId, provider: 'sandbox', providerMessageId: fastWa.providerMessageId!, status: 'delivered', at: START.getTime() + 600_000 })).to.equal(true);

    // An hour and a bit later: the fast one ends on WhatsApp, the slow one goes on to SMS.
    clock = new Date(START.getTime() + 3_600_000 + 1_000);
    const executions = new ExecutionRepository(db, tenantId);
    await waitFor(async () => (await executions.get(slowRun))?.status === 'succeeded' && (await executions.get(fastRun))?.status === 'succeeded', 20_000, 50);
    expect(recorder.received.map((r) => r.message.channel)).to.deep.equal(['whatsapp', 'whatsapp', 'sms']);
    const slowView = (await executions.get(slowRun))!;
    expect(slowView.output).to.deep.include({ channel: 'sms', status: 'sent' });
    expect((slowView.output as { tried: Array<{ outcome: string }> }).tried.map((t) => t.outcome)).to.deep.equal(['not_delivered', 'sent']);
    expect((await executions.get(fastRun))!.output).to.deep.include({ channel: 'whatsapp' });
    const rows = await outbox.list({ executionId: slowRun, limit: 5 });
    expect(rows.map((r) => [r.channel, r.status]).sort()).to.deep.equal([
      ['sms', 'sent'],
      ['whatsapp', 'sent'],
    ]);
  });
});

// The send nodes on the embedded runtime (ctx.send → outbox): the contact defaults to the
// execution's subject, consent.check routes, a blocked send takes `blocked` when connected and
// fails the execution with consent_blocked when not, a failure reaches a connected `error`
// port, a provider account's rate limit defers the step (no retry spent) instead of dropping it,
// and the node knows nothing of providers.
import { expect } from 'chai';
import { EmbeddedRuntime, type Runtime } from '../../engine/index.js';
import { createRegistry } from '../../nodes/registry.js';
import { ExecutionRepository, FlowRepository, SqlRunStore, TenantRepository, type Database } from '../../db/index.js';
import { OutboxRepository } from '../../db/outbox-repository.js';
import { ProviderError } from '../../server/channels/provider.js';
import { OutboxService } from '../../server/outbox/outbox-service.js';
import { ProviderRegistry } from '../../server/outbox/provider-registry.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { flow } from '../helpers/runtime-harness.js';
import { ALWAYS_OPEN, RecordingProvider, contact, grant, outboxRig } from './outbox-fixtures.js';

describe('send nodes on the embedded runtime', function () {
  this.timeout(30_000);
  let tdb: TestDatabase;
  let db: Database;
  let runtime: Runtime;
  let tenantId: string;
  let recorder: RecordingProvider;
  let clock = new Date('2026-03-01T09:00:00.000Z');
  const registry = createRegistry();

  before(async () => {
    tdb = await createTestDatabase('sqlite');
    db = tdb.db;
    tenantId = (await new TenantRepository(db).ensure('rt', 'Runtime tenant', { sendPolicy: ALWAYS_OPEN } as never)).id;
    recorder = new RecordingProvider();
    const providers = new ProviderRegistry(recorder);
    providers.register(recorder, { rate: { perSecond: 1 }, account: () => 'sandbox' });
    const now = () => new Date(clock);
    const outbox = new OutboxService({ db, providers, credentials: outboxRig(db, now).credentials, now, crashAt: null });
    runtime = new EmbeddedRuntime({ store: new SqlRunStore(db.sql), registry, now, pollIntervalMs: 50, outbox });
    await runtime.start();
  });
  after(async () => {
    await runtime?.stop();
    await db?.close();
    await tdb?.drop();
  });

  async function run(doc: unknown, subject: string, payload: unknown = { body: {} }) {
    const published = await new FlowRepository(db, registry, tenantId).publish(doc);
    const trigger = published.flow.nodes.find((n) => n.type.startsWith('trigger.'))!.id;
    const { executionId } = await runtime.startExecution({ tenantId, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger, payload, mode: 'manual', subject, durable: true });
    const result = await runtime.result(executionId, true);
    return { ...result, view: (await new ExecutionRepository(db, tenantId).get(executionId))! };
  }

  let path = 0;
  const hook = () => ({ id: 'hook', type: 'trigger.webhook', params: { path: `rt-${++path}` } });

  it('sends to the execution’s subject after consent.check, and leaves by sent', async () => {
    const lead = await contact(db, tenantId);
    await grant(db, tenantId, lead.id, 'sms', 'service', clock.getTime() - 86_400_000);
    const before = recorder.received.length;
    const r = await run(
      flow(
        [hook(), { id: 'check', type: 'consent.check', params: { channel: 'sms', purpose: 'service' } }, { id: 'sms', type: 'send.sms', params: { purpose: 'service', text: 'أهلا' } }, { id: 'done', type: 'data.set', params: { fields: { ok: true } } }],
        [['hook', 'out', 'check'], ['check', 'granted', 'sms'], ['sms', 'sent', 'done']],
      ),
      lead.id,
    );
    expect(r.status).to.equal('succeeded');
    expect(r.view.steps.map((s) => [s.node, s.port])).to.deep.equal([['hook', 'out'], ['check', 'granted'], ['sms', 'sent'], ['done', 'out']]);
    expect(recorder.received.slice(before).map((x) => x.message.to)).to.deep.equal([lead.phone]);
  });

  it('a blocked send leaves by `blocked` when connected, and fails the execution with consent_blocked when not', async () => {
    const lead = await contact(db, tenantId);
    const before = recorder.received.length;
    const routed = await run(
      flow([hook(), { id: 'wa', type: 'send.whatsapp', params: { purpose: 'marketing', template: { name: 'offer' } } }, { id: 'note', type: 'data.set', params: { fields: { blocked: true } } }], [['hook', 'out', 'wa'], ['wa', 'blocked', 'note']]),
      lead.id,
    );
    expect(routed.status).to.equal('succeeded');
    expect(routed.view.steps.find((s) => s.node === 'wa')).to.deep.include({ port: 'blocked' });
    const unrouted = await run(flow([hook(), { id: 'wa', type: 'send.whatsapp', params: { purpose: 'marketing', template: { name: 'offer' } } }], [['hook', 'out', 'wa']]), lead.id);
    expect(unrouted.status).to.equal('failed');
    expect(unrouted.error).to.deep.include({ code: 'consent_blocked', node: 'wa' });
    expect(recorder.received.length).to.equal(before);
    const rows = await new OutboxRepository(db, tenantId).list({ contactId: lead.id, limit: 10 });
    expect(rows.map((x) => [x.status, x.blockedReason])).to.deep.equal([
      ['blocked', 'missing'],
      ['blocked', 'missing'],
    ]);
  });

  it('a failed send reaches a connected error port with its code', async () => {
    const lead = await contact(db, tenantId, { lastInboundAt: clock.getTime() - 48 * 3_600_000 });
    await grant(db, tenantId, lead.id, 'whatsapp', 'service', clock.getTime() - 86_400_000);
    const r = await run(
      flow([hook(), { id: 'wa', type: 'send.whatsapp', params: { purpose: 'service', template: { name: 'appointment' }, to: 'not a phone' } }, { id: 'fallback', type: 'data.set', params: { fields: { code: '=error.code' } } }], [['hook', 'out', 'wa'], ['wa', 'error', 'fallback']]),
      lead.id,
    );
    expect(r.status).to.equal('succeeded');
    expect(r.output).to.deep.include({ code: 'invalid_address' });
  });

  it('a provider account over its rate defers the second send to the next second instead of dropping it; uncertain sends fail the execution', async () => {
    const lead = await contact(db, tenantId);
    await grant(db, tenantId, lead.id, 'email', 'service', clock.getTime() - 86_400_000);
    const before = recorder.received.length;
    // Two sends in the same (frozen) second: the second is rate-limited until the clock moves.
    const published = await new FlowRepository(db, registry, tenantId).publish(
      flow(
        [hook(), { id: 'm1', type: 'send.email', params: { purpose: 'service', subject: '1', text: 'a' } }, { id: 'm2', type: 'send.email', params: { purpose: 'service', subject: '2', text: 'b' } }],
        [['hook', 'out', 'm1'], ['m1', 'sent', 'm2']],
      ),
    );
    const { executionId } = await runtime.startExecution({ tenantId, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 'hook', payload: {}, mode: 'manual', subject: lead.id, durable: true });
    expect((await runtime.result(executionId)).status).to.equal('waiting');
    expect(recorder.received.length - before).to.equal(1);
    clock = new Date(clock.getTime() + 1000);
    const done = await runtime.result(executionId, true);
    expect(done.status).to.equal('succeeded');
    expect(recorder.received.slice(before).map((x) => x.message.subject)).to.deep.equal(['1', '2']);
    const m2 = (await new ExecutionRepository(db, tenantId).get(executionId))!.steps.filter((s) => s.node === 'm2');
    // One step row, run twice: the deferred attempt and the one that sent (no retry policy was needed).
    expect(m2.map((s) => [s.status, s.attempt, s.port])).to.deep.equal([['succeeded', 2, 'sent']]);

    recorder.behave(() => {
      throw new ProviderError('timeout', 'no answer', false, false);
    });
    clock = new Date(clock.getTime() + 1000);
    const uncertain = await run(flow([hook(), { id: 'm', type: 'send.email', params: { purpose: 'service', subject: 's', text: 't' } }], [['hook', 'out', 'm']]), lead.id);
    expect(uncertain.status).to.equal('failed');
    expect(uncertain.error).to.deep.include({ code: 'send_uncertain', node: 'm', retryable: false });
  });
});

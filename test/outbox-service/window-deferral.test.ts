// A send outside the business window, through the real runtime with an injected clock: a
// send.email step on Friday 10:00 Riyadh is deferred (a durable wait, no retry spent, nothing
// sent), survives a restart of the runtime, and goes out when the clock reaches Sunday 09:00.
import { expect } from 'chai';
import { EmbeddedRuntime, type Runtime } from '../../engine/index.js';
import { createRegistry } from '../../nodes/registry.js';
import { ExecutionRepository, FlowRepository, SqlRunStore, TenantRepository, type Database } from '../../db/index.js';
import { OutboxRepository } from '../../db/outbox-repository.js';
import { OutboxService } from '../../server/outbox/outbox-service.js';
import { ProviderRegistry } from '../../server/outbox/provider-registry.js';
import { createTestDatabase, requirePostgres, type Dialect, type TestDatabase } from '../helpers/databases.js';
import { flow } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { RecordingProvider, contact, grant, outboxRig } from './outbox-fixtures.js';

const FRIDAY_10_RIYADH = new Date('2026-03-06T07:00:00.000Z');
const SUNDAY_09_RIYADH = new Date('2026-03-08T06:00:00.000Z');

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  describe(`window deferral through the runtime (${dialect})`, function () {
    this.timeout(60_000);
    let tdb: TestDatabase;
    let db: Database;
    let runtime: Runtime | undefined;
    let clock = new Date(FRIDAY_10_RIYADH);
    const now = () => new Date(clock);
    const recorder = new RecordingProvider();
    const registry = createRegistry();

    function startRuntime(on: Database): Promise<Runtime> {
      const rig = outboxRig(on, now);
      const outbox = new OutboxService({ db: on, providers: new ProviderRegistry(recorder), credentials: rig.credentials, now, crashAt: null });
      const r = new EmbeddedRuntime({ store: new SqlRunStore(on.sql), registry, now, pollIntervalMs: 50, outbox });
      return r.start().then(() => r);
    }

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      tdb = await createTestDatabase(dialect);
      db = tdb.db;
    });
    after(async () => {
      await runtime?.stop();
      await db?.close();
      await tdb?.drop();
    });

    it('defers a Friday send to Sunday 09:00 Riyadh, keeps it across a restart, and sends it then', async () => {
      const tenantId = (await new TenantRepository(db).ensure('weekend', 'Weekend tenant')).id;
      const lead = await contact(db, tenantId);
      await grant(db, tenantId, lead.id, 'email', 'marketing', clock.getTime() - 86_400_000);
      const published = await new FlowRepository(db, registry, tenantId).publish(
        flow(
          [
            { id: 'hook', type: 'trigger.webhook', params: { path: 'weekend' } },
            { id: 'mail', type: 'send.email', params: { purpose: 'marketing', subject: 'عرض نهاية الأسبوع', text: 'مرحبا' } },
          ],
          [['hook', 'out', 'mail']],
        ),
      );
      runtime = await startRuntime(db);
      const { executionId } = await runtime.startExecution({
        tenantId,
        flowId: published.flowId,
        flowVersion: published.version,
        flow: published.flow,
        trigger: 'hook',
        payload: { body: {} },
        mode: 'manual',
        subject: lead.id,
        durable: true,
      });
      const suspended = await runtime.result(executionId);
      expect(suspended.status).to.equal('waiting');
      expect(recorder.received).to.have.length(0);
      const [wait] = await db.sql.query('SELECT kind, due_at FROM waits WHERE execution_id = $1', [executionId]);
      expect({ kind: wait!.kind, due: new Date(Number(wait!.due_at)).toISOString() }).to.deep.equal({ kind: 'timer', due: SUNDAY_09_RIYADH.toISOString() });
      const [row] = await new OutboxRepository(db, tenantId).list({ executionId, limit: 10 });
      expect(row).to.deep.include({ status: 'deferred', deferredUntil: SUNDAY_09_RIYADH.getTime(), attempts: 0 });

      // Saturday: still closed, still waiting. Then the process restarts.
      clock = new Date('2026-03-07T12:00:00.000Z');
      await new Promise((r) => setTimeout(r, 200));
      expect(recorder.received).to.have.length(0);
      await runtime.stop();
      await db.close();
      db = await tdb.reopen();
      runtime = await startRuntime(db);

      // Sunday 09:00 Riyadh: the wait fires and the message goes, once.
      clock = new Date(SUNDAY_09_RIYADH);
      await waitFor(async () => (await new ExecutionRepository(db, tenantId).get(executionId))?.status === 'succeeded', 15_000, 50);
      expect(recorder.received).to.have.length(1);
      expect(recorder.received[0]!.message).to.deep.include({ channel: 'email', to: lead.email, subject: 'عرض نهاية الأسبوع', referenceId: row!.id });
      expect(await new OutboxRepository(db, tenantId).get(row!.id)).to.deep.include({ status: 'sent', attempts: 1, sentAt: SUNDAY_09_RIYADH.getTime() });
      const view = (await new ExecutionRepository(db, tenantId).get(executionId))!;
      const mail = view.steps.filter((s) => s.node === 'mail');
      expect(mail.at(-1)).to.deep.include({ status: 'succeeded', port: 'sent' });
    });
  });
}

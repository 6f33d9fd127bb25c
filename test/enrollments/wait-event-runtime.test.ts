// wait.event on the real runtimes (embedded on SQLite and PostgreSQL, queue mode): an event
// delivered with the contact id resumes the wait on `received` with its payload; without it the
// wait times out on `timeout` with its input; an event for another contact or another event name
// resumes nothing.
import { expect } from 'chai';
import { requirePostgres } from '../helpers/databases.js';
import { requireRedis } from '../helpers/redis.js';
import { RUNTIME_KINDS, createHarness, flow, type Harness } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';

const replyFlow = (timeoutSeconds: number) =>
  flow(
    [
      { id: 'start', type: 'trigger.manual' },
      { id: 'wait', type: 'wait.event', params: { timeoutSeconds } },
      { id: 'replied', type: 'data.set', params: { fields: { outcome: 'replied', reply: '=body' }, keepInput: false } },
      { id: 'silent', type: 'data.set', params: { fields: { outcome: 'silent' } } },
    ],
    [['start', 'out', 'wait'], ['wait', 'received', 'replied'], ['wait', 'timeout', 'silent']],
  );

for (const kind of RUNTIME_KINDS) {
  describe(`wait.event on the runtime: ${kind === 'queue' ? 'queue mode' : `embedded on ${kind}`}`, function () {
    this.timeout(30_000);
    let h: Harness;

    before(async function () {
      if (kind !== 'sqlite') await requirePostgres(this);
      if (kind === 'queue') await requireRedis(this);
      h = await createHarness(kind);
    });
    after(async () => {
      await h?.close();
    });

    /** Start the flow for a contact (the execution's subject) and wait until it suspends. */
    async function startFor(doc: unknown, contactId: string, payload: unknown = {}): Promise<string> {
      const published = await h.publish(doc);
      const { executionId } = await h.runtime.startExecution({
        tenantId: h.tenantId,
        flowId: published.flowId,
        flowVersion: published.version,
        flow: published.flow,
        trigger: 'start',
        payload,
        mode: 'manual',
        subject: contactId,
        durable: true,
      });
      await waitFor(async () => (await h.view(executionId)).status === 'waiting');
      return executionId;
    }

    it('resumes on `received` with the payload of the event delivered for the contact', async () => {
      const id = await startFor(replyFlow(3600), 'contact-r1', { n: 1 });
      // Another contact's reply and another event name leave it waiting.
      expect(await h.runtime.deliverEvent(h.tenantId, 'message.received', 'contact-other', { body: 'not yours' })).to.equal(0);
      expect(await h.runtime.deliverEvent(h.tenantId, 'meeting.booked', 'contact-r1', { body: 'wrong event' })).to.equal(0);
      expect(await h.runtime.deliverEvent(h.tenantId, 'message.received', 'contact-r1', { body: 'نعم، أرسلوا العرض' })).to.equal(1);
      const r = await h.runtime.result(id, true);
      expect(r.status).to.equal('succeeded');
      expect(r.output).to.deep.equal({ outcome: 'replied', reply: 'نعم، أرسلوا العرض' });
      const view = await h.view(id);
      expect(view.steps.find((s) => s.node === 'wait')).to.deep.include({ port: 'received', output: { body: 'نعم، أرسلوا العرض' }, status: 'succeeded' });
      expect(view.steps.some((s) => s.node === 'silent')).to.equal(false);
      // Delivered again (a redelivered webhook): nothing is waiting any more.
      expect(await h.runtime.deliverEvent(h.tenantId, 'message.received', 'contact-r1', { body: 'again' })).to.equal(0);
    });

    it('times out on `timeout` with its input when no event comes', async () => {
      const id = await startFor(replyFlow(1), 'contact-t1', { n: 2 });
      const r = await h.runtime.result(id, true);
      expect(r.status).to.equal('succeeded');
      expect(r.output).to.deep.equal({ n: 2, outcome: 'silent' });
      const view = await h.view(id);
      expect(view.steps.find((s) => s.node === 'wait')).to.deep.include({ port: 'timeout', output: { n: 2 } });
      // The reply that comes after the timeout resumes nothing.
      expect(await h.runtime.deliverEvent(h.tenantId, 'message.received', 'contact-t1', { body: 'late' })).to.equal(0);
    });
  });
}

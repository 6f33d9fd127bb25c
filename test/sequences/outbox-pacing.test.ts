// The outbox with sequences' additions (server/outbox/outbox-service.ts): per-sender pacing
// (slots kept on the row and in sender_usage, across a restart), send windows in the
// recipient's time zone, and keyed sends (one exactly-once row per step and channel).
import { expect } from 'chai';
import { ContactRepository } from '../../db/contacts/index.js';
import { OutboxRepository } from '../../db/outbox-repository.js';
import { SenderUsageRepository } from '../../db/sender-usage-repository.js';
import { TenantRepository, type Database } from '../../db/index.js';
import type { Outbox, SendRequest, SendResult } from '../../engine/index.js';
import { sendMessageNode } from '../../nodes/send-message.node.js';
import { portOutput, runNode } from '../../nodes/testing/run-node.js';
import { ConsentRepository } from '../../db/contacts/index.js';
import { ProviderError } from '../../server/channels/provider.js';
import { SendDeferred } from '../../server/outbox/outbox-service.js';
import { createTestDatabase, requirePostgres, type Dialect, type TestDatabase } from '../helpers/databases.js';
import { ALWAYS_OPEN, contact, grant, origin, outboxRig, type OutboxRig } from '../outbox-service/outbox-fixtures.js';

const DAY = 86_400_000;
const signal = () => new AbortController().signal;
/** Sunday 2026-03-01 09:00 in Riyadh. */
const SUNDAY_9 = new Date('2026-03-01T06:00:00.000Z');

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  describe(`sequences: outbox pacing, recipient's time, keyed sends (${dialect})`, function () {
    this.timeout(60_000);
    let tdb: TestDatabase;
    let db: Database;
    let rig: OutboxRig;
    let clock: Date;
    let paced: string;
    let open: string;

    const send = (tenantId: string, req: SendRequest, o: ReturnType<typeof origin>): Promise<SendResult | { deferred: string; reason: string }> =>
      rig.service.send(o, req, signal()).catch((err: unknown) => {
        if (err instanceof SendDeferred) return { deferred: err.until.toISOString(), reason: err.reason };
        throw err;
      });

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      tdb = await createTestDatabase(dialect);
      db = tdb.db;
      const tenants = new TenantRepository(db);
      paced = (await tenants.ensure('paced', 'Paced', { sendPolicy: { senderLimits: { sms: { dailyCap: 3, minGapSeconds: 600 } } } } as never)).id;
      open = (await tenants.ensure('open', 'Open', { sendPolicy: ALWAYS_OPEN } as never)).id;
    });
    beforeEach(() => {
      clock = new Date(SUNDAY_9);
      rig = outboxRig(db, () => new Date(clock));
    });
    after(async () => {
      await tdb?.db.close();
      await tdb?.drop();
    });

    it('paces a batch per sender: a gap between messages, the daily cap moves the rest to the next day, slots survive a restart', async () => {
      const people = [];
      for (let i = 0; i < 6; i++) {
        const c = await contact(db, paced);
        await grant(db, paced, c.id, 'sms', 'marketing', clock.getTime() - DAY);
        people.push({ c, o: origin(paced) });
      }
      const req = (id: string): SendRequest => ({ channel: 'sms', contactId: id, purpose: 'marketing', text: 'عرض خاص' });
      const answers = [];
      for (const p of people.slice(0, 5)) answers.push(await send(paced, req(p.c.id), p.o));
      expect(answers[0]).to.deep.include({ status: 'sent' });
      expect(answers.slice(1)).to.deep.equal([
        { deferred: '2026-03-01T06:10:00.000Z', reason: 'sender_pacing' },
        { deferred: '2026-03-01T06:20:00.000Z', reason: 'sender_pacing' },
        { deferred: '2026-03-02T06:00:00.000Z', reason: 'sender_pacing' }, // cap 3 reached: Monday 09:00
        { deferred: '2026-03-02T06:10:00.000Z', reason: 'sender_pacing' },
      ]);
      expect(rig.sandbox.received).to.have.length(1);
      const row = (await new OutboxRepository(db, paced).byStep(people[1]!.o.stepId))!;
      expect(row).to.deep.include({ status: 'deferred', senderKey: 'sms:sandbox', senderSlotAt: Date.parse('2026-03-01T06:10:00.000Z') });

      // A restart (a new service: nothing in memory) at 09:10: the deferred step sends in its
      // slot without taking another; a new message gets the next free slot from the stored state.
      clock = new Date('2026-03-01T06:10:00.000Z');
      rig = outboxRig(db, () => new Date(clock));
      expect(await send(paced, req(people[1]!.c.id), people[1]!.o)).to.deep.include({ status: 'sent' });
      expect(await send(paced, req(people[5]!.c.id), people[5]!.o)).to.deep.equal({ deferred: '2026-03-02T06:20:00.000Z', reason: 'sender_pacing' });
      // Woken early, a deferred step waits for its own slot again.
      expect(await send(paced, req(people[2]!.c.id), people[2]!.o)).to.deep.equal({ deferred: '2026-03-01T06:20:00.000Z', reason: 'sender_pacing' });
      const usage = await new SenderUsageRepository(db, paced).load('sms:sandbox');
      expect(usage.counts).to.deep.equal({ '2026-03-01': 3, '2026-03-02': 3 });
      expect(usage.firstDay).to.equal('2026-03-01');
    });

    it("sends in the recipient's time zone when the contact has one (Riyadh otherwise), with the Saudi weekend", async () => {
      const tenant = (await new TenantRepository(db).ensure('tz', 'Business hours')).id;
      const contacts = new ContactRepository(db, tenant);
      const riyadh = await contacts.create({ name: 'ر', phone: '+966500000101', email: null });
      const london = await contacts.create({ name: 'L', phone: '+447700900101', email: null, attributes: { timezone: 'Europe/London' } });
      const bogus = await contacts.create({ name: 'B', phone: '+966500000102', email: null, attributes: { timezone: 'Mars/Olympus' } });
      for (const c of [riyadh, london, bogus]) await grant(db, tenant, c.id, 'sms', 'service', clock.getTime() - DAY);
      clock = new Date('2026-03-01T06:30:00.000Z'); // Sunday 09:30 Riyadh, 06:30 London
      const req = (id: string): SendRequest => ({ channel: 'sms', contactId: id, purpose: 'service', text: 'hello' });
      expect(await send(tenant, req(riyadh.id), origin(tenant))).to.deep.include({ status: 'sent' });
      expect(await send(tenant, req(bogus.id), origin(tenant))).to.deep.include({ status: 'sent' }); // an unknown zone: the tenant's
      expect(await send(tenant, req(london.id), origin(tenant))).to.deep.equal({ deferred: '2026-03-01T09:00:00.000Z', reason: 'outside_window' });
      // Thursday 17:30 London is 20:30 Riyadh: open for the Londoner (Thursday is a business day there too).
      clock = new Date('2026-03-05T17:30:00.000Z');
      expect(await send(tenant, req(london.id), origin(tenant))).to.deep.include({ status: 'sent' });
      // Friday 10:00 London: the Saudi weekend applies in the recipient's zone → Sunday 09:00 London.
      clock = new Date('2026-03-06T10:00:00.000Z');
      expect(await send(tenant, req(london.id), origin(tenant))).to.deep.equal({ deferred: '2026-03-08T09:00:00.000Z', reason: 'outside_window' });
    });

    it('send.message through the real outbox: consent per channel, one message for the step, never again on a re-run', async () => {
      const c = await contact(db, open);
      await grant(db, open, c.id, 'sms', 'marketing', clock.getTime() - DAY);
      await grant(db, open, c.id, 'email', 'marketing', clock.getTime() - DAY);
      const step = origin(open);
      // The harness names its own tenant and step: route them to this tenant and a fresh step.
      const outbox: Outbox = {
        send: (o, request, sig) => rig.service.send({ ...o, tenantId: open, executionId: step.executionId, stepId: step.stepId }, request, sig),
        consent: (_t, contactId, channel, purpose) => rig.service.consent(open, contactId, channel, purpose),
      };
      const params = {
        purpose: 'marketing',
        channels: [
          { channel: 'whatsapp', template: { name: 'intro' } },
          { channel: 'sms', text: 'مرحبا' },
          { channel: 'email', subject: 'Hello', text: 'Hi' },
        ],
      };
      for (let run = 0; run < 3; run++) {
        const { result } = await runNode(sendMessageNode, { params, subject: c.id, outbox, now: clock });
        expect(portOutput(result).output).to.deep.include({ channel: 'sms' });
      }
      expect(rig.sandbox.received.map((r) => r.message.channel)).to.deep.equal(['sms']);
      const repo = new OutboxRepository(db, open);
      expect((await repo.byStep(`${step.stepId}:sms`))?.channel).to.equal('sms');
      expect(await repo.byStep(`${step.stepId}:whatsapp`)).to.equal(null); // no consent: never asked, no blocked row
      // Consent for SMS withdrawn before another contact's run: the rotation falls through to email.
      const d = await contact(db, open);
      await grant(db, open, d.id, 'sms', 'marketing', clock.getTime() - DAY);
      await grant(db, open, d.id, 'email', 'marketing', clock.getTime() - DAY);
      await new ConsentRepository(db, open).withdraw(d.id, 'sms', 'marketing', { actor: 'test', at: clock.getTime() });
      const other = origin(open);
      const outbox2: Outbox = { ...outbox, send: (o, request, sig) => rig.service.send({ ...o, tenantId: open, executionId: other.executionId, stepId: other.stepId }, request, sig) };
      const { result } = await runNode(sendMessageNode, { params, subject: d.id, outbox: outbox2, now: clock });
      expect(portOutput(result).output).to.deep.include({ channel: 'email' });
      expect(rig.sandbox.received.map((r) => r.message.channel)).to.deep.equal(['sms', 'email']);
    });

    it('keyed sends: one row per step and key, each sent once; a keyed failure is final (never retried)', async () => {
      const c = await contact(db, open);
      await grant(db, open, c.id, 'sms', 'service', clock.getTime() - DAY);
      await grant(db, open, c.id, 'email', 'service', clock.getTime() - DAY);
      const o = origin(open);
      rig.sandbox.behave(() => {
        throw new ProviderError('rate_limited_by_carrier', 'try later', true, true);
      });
      const sms = await send(open, { channel: 'sms', contactId: c.id, purpose: 'service', text: 'x', key: 'sms' }, o);
      expect(sms).to.deep.include({ status: 'failed', code: 'rate_limited_by_carrier' });
      const email = await send(open, { channel: 'email', contactId: c.id, purpose: 'service', subject: 's', text: 'x', key: 'email' }, o);
      expect(email).to.deep.include({ status: 'sent', delivery: 'sent' });
      // The step runs again: the failed keyed row answers as failed (no second provider call).
      expect(await send(open, { channel: 'sms', contactId: c.id, purpose: 'service', text: 'x', key: 'sms' }, o)).to.deep.include({ status: 'failed', code: 'rate_limited_by_carrier' });
      expect(await send(open, { channel: 'email', contactId: c.id, purpose: 'service', subject: 's', text: 'x', key: 'email' }, o)).to.deep.include({ status: 'sent' });
      expect(rig.sandbox.received.map((r) => r.message.channel)).to.deep.equal(['sms', 'email']);
      const repo = new OutboxRepository(db, open);
      expect((await repo.byStep(`${o.stepId}:sms`))?.status).to.equal('failed');
      expect((await repo.byStep(`${o.stepId}:email`))?.status).to.equal('sent');
      expect(await repo.byStep(o.stepId)).to.equal(null);
      await rig.service.send(o, { channel: 'sms', contactId: c.id, purpose: 'service', text: 'x', key: 'Bad Key' }, signal()).then(
        () => expect.fail('accepted a bad key'),
        (err: { code?: string }) => expect(err.code).to.equal('invalid_send_key'),
      );
    });
  });
}

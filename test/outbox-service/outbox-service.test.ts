// The outbox service (server/outbox/outbox-service.ts) on SQLite and PostgreSQL: consent at
// send time with a blocked row and a blocked_send consent event, addresses, the WhatsApp
// 24-hour rule, at-most-once across re-runs (pending re-sends, sending becomes uncertain),
// provider failures, windows and caps (deferred, never dropped), credentials, the rate limit
// hook, delivery callbacks, erasure and retention.
import { expect } from 'chai';
import { ConsentRepository, SubjectData } from '../../db/contacts/index.js';
import { OutboxRepository } from '../../db/outbox-repository.js';
import { TenantRepository, type Database } from '../../db/index.js';
import { pruneExecutions } from '../../db/execution-pruner.js';
import { RateLimited, type SendRequest, type SendResult } from '../../engine/index.js';
import { ProviderError } from '../../server/channels/provider.js';
import { SendDeferred } from '../../server/outbox/outbox-service.js';
import { createTestDatabase, requirePostgres, type Dialect, type TestDatabase } from '../helpers/databases.js';
import { ALWAYS_OPEN, RecordingProvider, contact, grant, origin, outboxRig, withdraw, type OutboxRig } from './outbox-fixtures.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Sunday 2026-03-01 12:00 in Riyadh: inside business hours. */
const SUNDAY_NOON = new Date('2026-03-01T09:00:00.000Z');
const signal = () => new AbortController().signal;

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  describe(`outbox service (${dialect})`, function () {
    this.timeout(60_000);
    let tdb: TestDatabase;
    let db: Database;
    let rig: OutboxRig;
    let clock: Date;
    let open: string;
    let business: string;
    let other: string;

    const send = (tenantId: string, req: SendRequest, o = origin(tenantId), hooks = {}): Promise<SendResult> => rig.service.send(o, req, signal(), hooks);
    const row = async (tenantId: string, id: string) => (await new OutboxRepository(db, tenantId).get(id))!;
    const blockedEvents = async (tenantId: string, contactId: string) =>
      (await new ConsentRepository(db, tenantId).events(contactId, { chronological: true })).filter((e) => e.type === 'blocked_send');

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      tdb = await createTestDatabase(dialect);
      db = tdb.db;
      const tenants = new TenantRepository(db);
      open = (await tenants.ensure('open', 'Always open', { sendPolicy: ALWAYS_OPEN } as never)).id;
      business = (await tenants.ensure('business', 'Business hours')).id;
      other = (await tenants.ensure('other', 'Other tenant', { sendPolicy: ALWAYS_OPEN } as never)).id;
    });
    beforeEach(() => {
      clock = new Date(SUNDAY_NOON);
      rig = outboxRig(db, () => new Date(clock));
    });
    after(async () => {
      await tdb?.db.close();
      await tdb?.drop();
    });

    it('sends with consent: one provider call with the outbox id as reference, row sent, answers from the row on re-runs', async () => {
      const c = await contact(db, open);
      await grant(db, open, c.id, 'sms', 'service', clock.getTime() - DAY);
      const o = origin(open);
      const first = await send(open, { channel: 'sms', contactId: c.id, purpose: 'service', text: 'مرحبا' }, o);
      expect(first).to.deep.include({ status: 'sent', provider: 'sandbox', to: c.phone });
      const id = first.messageId;
      expect(rig.sandbox.received).to.have.length(1);
      expect(rig.sandbox.received[0]!.message).to.deep.equal({ channel: 'sms', to: c.phone, purpose: 'service', text: 'مرحبا', referenceId: id });
      const stored = await row(open, id);
      expect(stored).to.deep.include({ status: 'sent', attempts: 1, provider: 'sandbox', providerMessageId: `sandbox-${id}`, stepId: o.stepId, contactId: c.id, to: c.phone });
      // The same step again (a retry, a redelivered job): the same answer, no second message.
      expect(await send(open, { channel: 'sms', contactId: c.id, purpose: 'service', text: 'مرحبا' }, o)).to.deep.equal(first);
      expect(rig.sandbox.received).to.have.length(1);
    });

    for (const [label, setup, reason] of [
      ['no consent at all', async () => undefined, 'missing'],
      ['a withdrawn consent', async (id: string, at: number) => (await grant(db, open, id, 'whatsapp', 'marketing', at - 2 * DAY), await withdraw(db, open, id, 'whatsapp', 'marketing', at - DAY)), 'withdrawn'],
      ['an expired consent (13 months old)', async (id: string, at: number) => grant(db, open, id, 'whatsapp', 'marketing', at - 400 * DAY), 'expired'],
      ['consent for another channel', async (id: string, at: number) => grant(db, open, id, 'sms', 'marketing', at - DAY), 'missing'],
      ['consent for another purpose', async (id: string, at: number) => grant(db, open, id, 'whatsapp', 'service', at - DAY), 'missing'],
    ] as const) {
      it(`blocks with ${label}: no provider call, a blocked row and a blocked_send consent event`, async () => {
        const c = await contact(db, open, { lastInboundAt: clock.getTime() - HOUR });
        await setup(c.id, clock.getTime());
        const o = origin(open);
        const result = await send(open, { channel: 'whatsapp', contactId: c.id, purpose: 'marketing', text: 'عرض' }, o);
        expect(result).to.deep.equal({ status: 'blocked', messageId: result.messageId, reason });
        expect(rig.sandbox.received).to.have.length(0);
        expect(await row(open, result.messageId)).to.deep.include({ status: 'blocked', blockedReason: reason, attempts: 0 });
        const events = await blockedEvents(open, c.id);
        expect(events).to.have.length(1);
        expect(events[0]).to.deep.include({ channel: 'whatsapp', purpose: 'marketing', actor: 'system:outbox' });
        expect(events[0]!.details).to.deep.include({ reason, messageId: result.messageId, stepId: o.stepId, executionId: o.executionId });
        // A re-run answers from the row: no second event.
        expect(await send(open, { channel: 'whatsapp', contactId: c.id, purpose: 'marketing', text: 'عرض' }, o)).to.deep.equal(result);
        expect(await blockedEvents(open, c.id)).to.have.length(1);
      });
    }

    it('blocks an unknown contact (no_contact), another tenant’s contact, and an erased one (erased), with events', async () => {
      const unknown = await send(open, { channel: 'email', contactId: 'no-such-contact', purpose: 'marketing', subject: 's', text: 't' });
      expect(unknown).to.deep.include({ status: 'blocked', reason: 'no_contact' });
      expect(await blockedEvents(open, 'no-such-contact')).to.have.length(1);
      const theirs = await contact(db, other);
      await grant(db, other, theirs.id, 'email', 'marketing', clock.getTime() - DAY);
      expect(await send(open, { channel: 'email', contactId: theirs.id, purpose: 'marketing', subject: 's', text: 't' })).to.deep.include({ status: 'blocked', reason: 'no_contact' });
      const gone = await contact(db, open);
      await grant(db, open, gone.id, 'email', 'marketing', clock.getTime() - DAY);
      await db.sql.transaction(async (q) => void (await q('UPDATE contacts SET erased_at = $1 WHERE id = $2', [clock.getTime(), gone.id])));
      expect(await send(open, { channel: 'email', contactId: gone.id, purpose: 'marketing', subject: 's', text: 't' })).to.deep.include({ status: 'blocked', reason: 'erased' });
      expect((await blockedEvents(open, gone.id)).map((e) => (e.details as { reason: string }).reason)).to.deep.equal(['erased']);
      expect(rig.sandbox.received).to.have.length(0);
    });

    it('blocks without an address (no_address); a `to` override is normalised; another contact’s address needs their consent', async () => {
      const noPhone = await contact(db, open, { phone: null });
      await grant(db, open, noPhone.id, 'sms', 'service', clock.getTime() - DAY);
      expect(await send(open, { channel: 'sms', contactId: noPhone.id, purpose: 'service', text: 'x' })).to.deep.include({ status: 'blocked', reason: 'no_address' });

      const sent = await send(open, { channel: 'sms', contactId: noPhone.id, purpose: 'service', text: 'x', to: '0551234567' });
      expect(sent).to.deep.include({ status: 'sent', to: '+966551234567' });
      expect(rig.sandbox.received.at(-1)!.message.to).to.equal('+966551234567');

      const bad = await send(open, { channel: 'sms', contactId: noPhone.id, purpose: 'service', text: 'x', to: 'not a phone' });
      expect(bad).to.deep.include({ status: 'failed', code: 'invalid_address' });

      const stranger = await contact(db, open);
      const viaStranger = await send(open, { channel: 'sms', contactId: noPhone.id, purpose: 'service', text: 'x', to: stranger.phone! });
      expect(viaStranger).to.deep.include({ status: 'blocked', reason: 'recipient_missing' });
      expect(rig.sandbox.received).to.have.length(1);
    });

    it('WhatsApp free text only within 24 hours of the contact’s last message; templates any time', async () => {
      const quiet = await contact(db, open, { lastInboundAt: clock.getTime() - 25 * HOUR });
      await grant(db, open, quiet.id, 'whatsapp', 'marketing', clock.getTime() - DAY);
      const closed = await send(open, { channel: 'whatsapp', contactId: quiet.id, purpose: 'marketing', text: 'hi' });
      expect(closed).to.deep.include({ status: 'blocked', reason: 'whatsapp_window_closed' });
      const blocked = await row(open, closed.messageId);
      expect(blocked).to.deep.include({ status: 'blocked', blockedReason: 'whatsapp_window_closed', attempts: 0 });
      expect(blocked.error!.message).to.match(/24 hours/);
      expect(blocked.error!.messageAr).to.match(/24 ساعة/);
      // Not a consent matter, yet a refused send like the others (no address, erased…): the
      // consent trail records it once, with its reason (the outbox property test holds for all).
      expect(await blockedEvents(open, quiet.id)).to.have.length(1);
      const template = await send(open, { channel: 'whatsapp', contactId: quiet.id, purpose: 'marketing', template: { name: 'welcome', language: 'ar', variables: { name: 'سارة' } } });
      expect(template).to.deep.include({ status: 'sent' });
      expect(rig.sandbox.received.at(-1)!.message.template).to.deep.equal({ name: 'welcome', language: 'ar', variables: { name: 'سارة' } });

      const chatty = await contact(db, open, { lastInboundAt: clock.getTime() - 2 * HOUR });
      await grant(db, open, chatty.id, 'whatsapp', 'marketing', clock.getTime() - DAY);
      expect(await send(open, { channel: 'whatsapp', contactId: chatty.id, purpose: 'marketing', text: 'hi' })).to.deep.include({ status: 'sent' });
      expect(rig.sandbox.received).to.have.length(2);
    });

    it('the 24-hour window: outside it a text send becomes the fallback template; inside it the free text goes; without a fallback it is blocked', async () => {
      const fallbackTemplate = { name: 'follow_up', language: 'ar', variables: { '1': 'سارة' } };
      const quiet = await contact(db, open, { lastInboundAt: clock.getTime() - 24 * HOUR - 1 });
      await grant(db, open, quiet.id, 'whatsapp', 'marketing', clock.getTime() - DAY);
      const outside = await send(open, { channel: 'whatsapp', contactId: quiet.id, purpose: 'marketing', text: 'مرحبا', fallbackTemplate });
      expect(outside).to.deep.include({ status: 'sent' });
      expect(rig.sandbox.received.at(-1)!.message).to.deep.include({ template: fallbackTemplate });
      expect(rig.sandbox.received.at(-1)!.message).to.not.have.property('text');
      expect(await row(open, outside.messageId)).to.deep.include({ template: fallbackTemplate, text: null });

      const recent = await contact(db, open, { lastInboundAt: clock.getTime() - 24 * HOUR + 60_000 });
      await grant(db, open, recent.id, 'whatsapp', 'marketing', clock.getTime() - DAY);
      const inside = await send(open, { channel: 'whatsapp', contactId: recent.id, purpose: 'marketing', text: 'مرحبا', fallbackTemplate });
      expect(inside).to.deep.include({ status: 'sent' });
      expect(rig.sandbox.received.at(-1)!.message).to.deep.include({ text: 'مرحبا' });
      expect(rig.sandbox.received.at(-1)!.message).to.not.have.property('template');

      const never = await contact(db, open, { lastInboundAt: null });
      await grant(db, open, never.id, 'whatsapp', 'marketing', clock.getTime() - DAY);
      const before = rig.sandbox.received.length;
      expect(await send(open, { channel: 'whatsapp', contactId: never.id, purpose: 'marketing', text: 'مرحبا' })).to.deep.include({ status: 'blocked', reason: 'whatsapp_window_closed' });
      expect(rig.sandbox.received).to.have.length(before);
    });

    it('a row left `sending` (crash after the provider call) becomes uncertain on the re-run and is never sent again; a late answer still settles it', async () => {
      const c = await contact(db, open);
      await grant(db, open, c.id, 'email', 'transactional', clock.getTime() - DAY);
      let release!: () => void;
      rig.sandbox.behave(() => new Promise((resolve) => (release = () => resolve({ providerMessageId: 'late-1', status: 'sent' }))));
      const o = origin(open);
      const req: SendRequest = { channel: 'email', contactId: c.id, purpose: 'transactional', subject: 'فاتورة', text: 'مرفقة' };
      const inFlight = send(open, req, o);
      while (rig.sandbox.received.length === 0) await new Promise((r) => setTimeout(r, 5));
      const stored = await new OutboxRepository(db, open).byStep(o.stepId);
      expect(stored).to.deep.include({ status: 'sending', attempts: 1 });
      // The step runs again while the first call is in the air (a restart, a timed-out attempt).
      const again = await send(open, req, o);
      expect(again).to.deep.equal({
        status: 'failed',
        messageId: stored!.id,
        code: 'send_uncertain',
        message: (again as { message: string }).message,
      });
      expect((await row(open, stored!.id)).status).to.equal('uncertain');
      expect(rig.sandbox.received).to.have.length(1);
      expect(await send(open, req, o)).to.deep.include({ code: 'send_uncertain' });
      // The provider's answer arrives after all: it did take it.
      release();
      expect(await inFlight).to.deep.include({ status: 'sent' });
      expect(await row(open, stored!.id)).to.deep.include({ status: 'sent', providerMessageId: 'late-1' });
      expect(rig.sandbox.received).to.have.length(1);
    });

    it('an answer that is not definite marks the row uncertain: send_uncertain, no second call', async () => {
      const c = await contact(db, open);
      await grant(db, open, c.id, 'sms', 'service', clock.getTime() - DAY);
      rig.sandbox.behave(() => {
        throw new ProviderError('timeout', 'no answer in time; the message may have been sent', false, false);
      });
      const o = origin(open);
      const req: SendRequest = { channel: 'sms', contactId: c.id, purpose: 'service', text: 'x' };
      expect(await send(open, req, o)).to.deep.include({ status: 'failed', code: 'send_uncertain' });
      expect(await send(open, req, o)).to.deep.include({ status: 'failed', code: 'send_uncertain' });
      expect(rig.sandbox.received).to.have.length(1);
      const stored = (await new OutboxRepository(db, open).byStep(o.stepId))!;
      expect(stored.status).to.equal('uncertain');
      expect(stored.error!.message).to.contain('timeout');
    });

    it('a definite refusal fails the message; a definite retryable one lets the next attempt send', async () => {
      const c = await contact(db, open);
      await grant(db, open, c.id, 'sms', 'service', clock.getTime() - DAY);
      rig.sandbox.behave(() => {
        throw new ProviderError('rejected', 'bad number', true, false);
      });
      const o1 = origin(open);
      const req: SendRequest = { channel: 'sms', contactId: c.id, purpose: 'service', text: 'x' };
      expect(await send(open, req, o1)).to.deep.include({ status: 'failed', code: 'rejected' });
      expect(await send(open, req, o1)).to.deep.include({ status: 'failed', code: 'rejected' });
      expect(rig.sandbox.received).to.have.length(1);

      rig.sandbox.behave(() => {
        throw new ProviderError('rate_limited', 'slow down', true, true);
      });
      const o2 = origin(open);
      const first = await send(open, req, o2);
      expect(first).to.deep.include({ status: 'failed', code: 'rate_limited', retryable: true });
      const second = await send(open, req, o2);
      expect(second).to.deep.include({ status: 'sent', messageId: first.messageId });
      expect(rig.sandbox.count(first.messageId)).to.equal(2);
      expect(await row(open, first.messageId)).to.deep.include({ status: 'sent', attempts: 2 });
    });

    it('defers a Friday send to Sunday 09:00 Riyadh (row deferred, no provider call) and sends it then', async () => {
      const c = await contact(db, business);
      await grant(db, business, c.id, 'email', 'marketing', clock.getTime() - DAY);
      clock = new Date('2026-03-06T07:00:00.000Z'); // Friday 10:00 in Riyadh
      const o = origin(business);
      const req: SendRequest = { channel: 'email', contactId: c.id, purpose: 'marketing', subject: 'عرض', text: 'x' };
      const err = await send(business, req, o).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(SendDeferred);
      const deferred = err as SendDeferred;
      expect(deferred.until.toISOString()).to.equal('2026-03-08T06:00:00.000Z'); // Sunday 09:00 +03:00
      expect(deferred).to.include({ code: 'send_deferred', retryable: true, retryAfterMs: Date.parse('2026-03-08T06:00:00.000Z') - clock.getTime() });
      const stored = (await new OutboxRepository(db, business).byStep(o.stepId))!;
      expect(stored).to.deep.include({ status: 'deferred', deferredUntil: Date.parse('2026-03-08T06:00:00.000Z') });
      expect(rig.sandbox.received).to.have.length(0);
      clock = new Date('2026-03-08T06:00:00.000Z');
      expect(await send(business, req, o)).to.deep.include({ status: 'sent', messageId: stored.id });
      expect(rig.sandbox.received).to.have.length(1);
    });

    it('over the per-contact daily cap the send waits for the next day’s opening', async () => {
      const c = await contact(db, business, { lastInboundAt: clock.getTime() - HOUR });
      await grant(db, business, c.id, 'whatsapp', 'service', clock.getTime() - DAY);
      const req: SendRequest = { channel: 'whatsapp', contactId: c.id, purpose: 'service', template: { name: 'reminder' } };
      for (let i = 0; i < 3; i++) expect(await send(business, req)).to.deep.include({ status: 'sent' });
      const err = (await send(business, req).then(
        () => null,
        (e: unknown) => e,
      )) as SendDeferred;
      expect(err).to.be.instanceOf(SendDeferred);
      expect(err.reason).to.equal('contact_cap');
      expect(err.until.toISOString()).to.equal('2026-03-02T06:00:00.000Z'); // Monday 09:00 Riyadh
      expect(rig.sandbox.received).to.have.length(3);
    });

    it('uses the tenant’s provider credential (decrypted), a named one, or fails naming a wrong one', async () => {
      const ultramsg = new RecordingProvider('ultramsg', ['whatsapp'], 'ultramsg');
      rig.providers.register(ultramsg, { rate: { perSecond: 5 }, account: (cr) => cr.instanceId ?? 'x' });
      const t = (await new TenantRepository(db).ensure(`cred-${dialect}`, 'With credentials', { sendPolicy: ALWAYS_OPEN } as never)).id;
      await rig.credentials(t).create({ name: 'Main WhatsApp', type: 'ultramsg', data: { instanceId: 'instance42', token: 'secret-token' }, createdBy: 'test' });
      await rig.credentials(t).create({ name: 'Hooks', type: 'webhook-hmac', data: { secret: 'x'.repeat(20) }, createdBy: 'test' });
      const c = await contact(db, t);
      await grant(db, t, c.id, 'whatsapp', 'service', clock.getTime() - DAY);
      await grant(db, t, c.id, 'sms', 'service', clock.getTime() - DAY);
      const taken: { key: string; limits: object }[] = [];
      const hooks = { rateLimit: async (key: string, limits: object) => void taken.push({ key, limits }) };
      const ok = await send(t, { channel: 'whatsapp', contactId: c.id, purpose: 'service', template: { name: 'hello' } }, origin(t), hooks);
      expect(ok).to.deep.include({ status: 'sent', provider: 'ultramsg' });
      expect(ultramsg.received[0]!.credential).to.deep.equal({ instanceId: 'instance42', token: 'secret-token' });
      expect(taken).to.deep.equal([{ key: 'whatsapp:ultramsg:instance42', limits: { perSecond: 5 } }]);
      expect(await row(t, ok.messageId)).to.deep.include({ provider: 'ultramsg', credentialName: 'Main WhatsApp' });
      // SMS: no SMS credential → the sandbox.
      expect(await send(t, { channel: 'sms', contactId: c.id, purpose: 'service', text: 'x' })).to.deep.include({ status: 'sent', provider: 'sandbox' });
      expect(await send(t, { channel: 'sms', contactId: c.id, purpose: 'service', text: 'x', credential: 'Main WhatsApp' })).to.deep.include({
        status: 'failed',
        code: 'credential_type_mismatch',
      });
      expect(await send(t, { channel: 'whatsapp', contactId: c.id, purpose: 'service', template: { name: 'x' }, credential: 'Nope' })).to.deep.include({
        status: 'failed',
        code: 'credential_not_found',
      });
      expect(ultramsg.received).to.have.length(1);
    });

    it('a rate-limited send keeps its row pending and sends once on the next attempt', async () => {
      const c = await contact(db, open);
      await grant(db, open, c.id, 'email', 'service', clock.getTime() - DAY);
      rig.providers.register(rig.sandbox, { rate: { perSecond: 1 }, account: () => 'sandbox' });
      const o = origin(open);
      const req: SendRequest = { channel: 'email', contactId: c.id, purpose: 'service', subject: 's', text: 't' };
      const limited = await send(open, req, o, { rateLimit: async () => Promise.reject(new RateLimited('email:sandbox:sandbox', 1000)) }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(limited).to.be.instanceOf(RateLimited);
      expect(await new OutboxRepository(db, open).byStep(o.stepId)).to.deep.include({ status: 'pending', attempts: 0 });
      expect(rig.sandbox.received).to.have.length(0);
      expect(await send(open, req, o, { rateLimit: async () => undefined })).to.deep.include({ status: 'sent' });
      expect(rig.sandbox.received).to.have.length(1);
    });

    it('applies delivery callbacks forward only, per tenant, idempotently', async () => {
      const c = await contact(db, open);
      await grant(db, open, c.id, 'sms', 'marketing', clock.getTime() - DAY);
      const sent = await send(open, { channel: 'sms', contactId: c.id, purpose: 'marketing', text: 'x' });
      const repo = new OutboxRepository(db, open);
      const pid = `sandbox-${sent.messageId}`;
      const at = clock.getTime();
      expect(await new OutboxRepository(db, other).applyDelivery({ tenantId: open, provider: 'sandbox', providerMessageId: pid, status: 'read', at })).to.equal(false);
      expect(await repo.applyDelivery({ tenantId: open, provider: 'sandbox', providerMessageId: 'unknown', status: 'read', at })).to.equal(false);
      expect(await repo.applyDelivery({ tenantId: open, provider: 'sandbox', providerMessageId: pid, status: 'delivered', at: at + 1000 })).to.equal(true);
      expect(await repo.applyDelivery({ tenantId: open, provider: 'sandbox', providerMessageId: pid, status: 'read', at: at + 2000 })).to.equal(true);
      expect(await repo.applyDelivery({ tenantId: open, provider: 'sandbox', providerMessageId: pid, status: 'delivered', at: at + 3000 })).to.equal(true);
      expect(await repo.applyDelivery({ tenantId: open, provider: 'sandbox', providerMessageId: pid, status: 'failed', at: at + 4000 })).to.equal(true);
      expect(await row(open, sent.messageId)).to.deep.include({ status: 'read', deliveredAt: at + 1000, readAt: at + 2000 });
    });

    it('erasure redacts the address and content of the contact’s messages; the rows stay; retention pruning keeps them', async () => {
      const c = await contact(db, open, { lastInboundAt: clock.getTime() - HOUR });
      await grant(db, open, c.id, 'whatsapp', 'marketing', clock.getTime() - DAY);
      const a = await send(open, { channel: 'whatsapp', contactId: c.id, purpose: 'marketing', text: 'نص خاص' });
      const b = await send(open, { channel: 'whatsapp', contactId: c.id, purpose: 'marketing', template: { name: 'offer', language: 'ar', variables: { name: 'سارة' } } });
      await new SubjectData(db, open).redactExecutions(c.id);
      for (const id of [a.messageId, b.messageId]) {
        const r = await row(open, id);
        expect(r).to.deep.include({ to: null, text: null, subject: null, html: null, status: 'sent', channel: 'whatsapp', purpose: 'marketing' });
        expect(r.redactedAt).to.be.a('number');
      }
      expect((await row(open, b.messageId)).template).to.deep.equal({ name: 'offer', language: 'ar', redacted: 'contact_erased' });
      await pruneExecutions(db, open, clock.getTime() + 365 * DAY);
      expect(await row(open, a.messageId)).to.not.equal(null);
    });
  });
}

// The outbox API (server/routes/outbox.ts) on SQLite and PostgreSQL: listing with filters and
// pages, one message, a sales rep limited to messages to their own contacts, another tenant's
// ids answering 404, and resolving an uncertain message (owner/admin/manager only, audited,
// 409 for anything not uncertain). Messages are made by the real outbox (ctx.outbox.send) with
// a recording provider in place of the sandbox.
import { expect } from 'chai';
import request from 'supertest';
import type { RequestListener } from 'node:http';
import { type AppContext } from '../../server/app-context.js';
import { ProviderError } from '../../server/channels/provider.js';
import type { SendRequest, SendResult } from '../../engine/index.js';
import { addMember, addMembers, type TestMember } from '../helpers/api-auth.js';
import { requirePostgres, type Dialect } from '../helpers/databases.js';
import { openApiEnv, type ApiEnv } from '../helpers/api-env.js';
import { ALWAYS_OPEN, RecordingProvider, contact, grant, origin } from '../outbox-service/outbox-fixtures.js';

type Body = Record<string, unknown>;
const DAY = 86_400_000;

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  describe(`outbox API (${dialect})`, function () {
    this.timeout(120_000);
    let env: ApiEnv | undefined;
    let ctx: AppContext;
    let app: RequestListener;
    let tenantA: string;
    let tenantB: string;
    let recorder: RecordingProvider;
    const m = {} as Record<'owner' | 'admin' | 'manager' | 'rep' | 'viewer' | 'ownerB', TestMember>;
    const ids = {} as Record<'sentSms' | 'blocked' | 'uncertain' | 'uncertain2' | 'repMessage' | 'email', string>;
    let leadA: string;
    let repLead: string;

    const api = () => request(app);
    const send = (tenantId: string, req: SendRequest): Promise<SendResult> => ctx.outbox.send(origin(tenantId), req, new AbortController().signal);

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      env = await openApiEnv(dialect, 'outbox-api');
      ({ ctx, app } = env);
      recorder = new RecordingProvider();
      ctx.outbox.providers.register(recorder, { rate: {}, account: () => 'sandbox' });
      tenantA = (await ctx.tenants.ensure('outbox-a', 'Outbox A', { sendPolicy: ALWAYS_OPEN } as never)).id;
      tenantB = (await ctx.tenants.ensure('outbox-b', 'Outbox B', { sendPolicy: ALWAYS_OPEN } as never)).id;
      Object.assign(m, await addMembers(ctx, tenantA, { owner: 'owner', admin: 'admin', manager: 'manager', rep: 'sales_rep', viewer: 'viewer' }));
      m.ownerB = await addMember(ctx, tenantB, 'owner');

      const now = Date.now();
      const a = await contact(ctx.db, tenantA);
      leadA = a.id;
      await grant(ctx.db, tenantA, a.id, 'sms', 'service', now - DAY);
      await grant(ctx.db, tenantA, a.id, 'email', 'marketing', now - DAY);
      ids.sentSms = (await send(tenantA, { channel: 'sms', contactId: a.id, purpose: 'service', text: 'تذكير' })).messageId;
      ids.blocked = (await send(tenantA, { channel: 'whatsapp', contactId: a.id, purpose: 'marketing', text: 'عرض' })).messageId;
      for (const key of ['uncertain', 'uncertain2'] as const) {
        recorder.behave(() => {
          throw new ProviderError('connection_lost', 'reset mid-answer; the message may have been sent', false, false);
        });
        const r = await send(tenantA, { channel: 'sms', contactId: a.id, purpose: 'service', text: 'ربما' });
        expect(r).to.deep.include({ code: 'send_uncertain' });
        ids[key] = r.messageId;
      }
      ids.email = (await send(tenantA, { channel: 'email', contactId: a.id, purpose: 'marketing', subject: 'عرض', text: 'نص' })).messageId;
      const mine = await ctx.contacts(tenantA).create({ name: 'عميل المندوب', phone: '+966501112233', ownerId: m.rep.userId });
      repLead = mine.id;
      await grant(ctx.db, tenantA, mine.id, 'sms', 'service', now - DAY);
      ids.repMessage = (await send(tenantA, { channel: 'sms', contactId: mine.id, purpose: 'service', text: 'أهلا' })).messageId;
      const b = await contact(ctx.db, tenantB);
      await grant(ctx.db, tenantB, b.id, 'sms', 'service', now - DAY);
      await send(tenantB, { channel: 'sms', contactId: b.id, purpose: 'service', text: 'B' });
    });

    after(async () => {
      await env?.close();
    });

    it('lists the tenant’s messages newest first, for every role that reads, with filters and cursor pages', async () => {
      for (const who of [m.owner, m.admin, m.manager, m.viewer]) {
        const res = await api().get('/api/v1/outbox').set(who.headers).expect(200);
        expect((res.body.items as Body[]).map((i) => i.id)).to.deep.equal([ids.repMessage, ids.email, ids.uncertain2, ids.uncertain, ids.blocked, ids.sentSms]);
      }
      const byStatus = await api().get('/api/v1/outbox?status=uncertain').set(m.viewer.headers).expect(200);
      expect((byStatus.body.items as Body[]).map((i) => i.id)).to.deep.equal([ids.uncertain2, ids.uncertain]);
      const byChannel = await api().get('/api/v1/outbox?channel=email').set(m.viewer.headers).expect(200);
      expect((byChannel.body.items as Body[]).map((i) => i.id)).to.deep.equal([ids.email]);
      const byContact = await api().get(`/api/v1/outbox?contactId=${repLead}`).set(m.viewer.headers).expect(200);
      expect((byContact.body.items as Body[]).map((i) => i.id)).to.deep.equal([ids.repMessage]);
      const page1 = await api().get('/api/v1/outbox?limit=4').set(m.viewer.headers).expect(200);
      expect(page1.body.nextCursor).to.equal(ids.uncertain);
      const page2 = await api().get(`/api/v1/outbox?limit=4&cursor=${page1.body.nextCursor as string}`).set(m.viewer.headers).expect(200);
      expect((page2.body.items as Body[]).map((i) => i.id)).to.deep.equal([ids.blocked, ids.sentSms]);
      expect(page2.body.nextCursor).to.equal(null);
      const bad = await api().get('/api/v1/outbox?status=lost&extra=1').set(m.viewer.headers).expect(400);
      expect((bad.body.error.details as Body[]).map((d) => d.path)).to.include('/query/status');
    });

    it('shows one message with its status, reason and times', async () => {
      const sent = await api().get(`/api/v1/outbox/${ids.sentSms}`).set(m.viewer.headers).expect(200);
      expect(sent.body).to.deep.include({ id: ids.sentSms, contactId: leadA, channel: 'sms', purpose: 'service', status: 'sent', text: 'تذكير', provider: 'sandbox', attempts: 1, blockedReason: null });
      expect(sent.body.providerLabel).to.deep.equal({ en: 'Sandbox (recorded, not sent)', ar: 'بيئة التجربة (تُسجَّل ولا تُرسل)' });
      expect(sent.body).to.include({ costCategory: null, costHalalas: null });
      expect(sent.body.sentAt).to.be.a('string');
      const blocked = await api().get(`/api/v1/outbox/${ids.blocked}`).set(m.viewer.headers).expect(200);
      expect(blocked.body).to.deep.include({ status: 'blocked', blockedReason: 'missing', attempts: 0 });
      const uncertain = await api().get(`/api/v1/outbox/${ids.uncertain}`).set(m.viewer.headers).expect(200);
      expect(uncertain.body).to.deep.include({ status: 'uncertain', attempts: 1, resolution: null });
      expect(uncertain.body.error.code).to.equal('send_uncertain');
    });

    it('limits a sales rep to messages to their own contacts (others answer 404)', async () => {
      const list = await api().get('/api/v1/outbox').set(m.rep.headers).expect(200);
      expect((list.body.items as Body[]).map((i) => i.id)).to.deep.equal([ids.repMessage]);
      await api().get(`/api/v1/outbox/${ids.repMessage}`).set(m.rep.headers).expect(200);
      await api().get(`/api/v1/outbox/${ids.sentSms}`).set(m.rep.headers).expect(404);
    });

    it('answers 404 for another tenant’s message and lists nothing of it', async () => {
      const res = await api().get(`/api/v1/outbox/${ids.sentSms}`).set(m.ownerB.headers).expect(404);
      expect(res.body.error.code).to.equal('not_found');
      const list = await api().get('/api/v1/outbox').set(m.ownerB.headers).expect(200);
      expect((list.body.items as Body[]).map((i) => i.id)).to.not.include(ids.sentSms);
      expect(list.body.items).to.have.length(1);
      await api().post(`/api/v1/outbox/${ids.uncertain}/resolve`).set(m.ownerB.headers).send({ outcome: 'sent', note: 'x' }).expect(404);
    });

    it('resolves an uncertain message: owner/admin/manager only, audited, 409 once resolved or for other statuses', async () => {
      for (const who of [m.viewer, m.rep]) {
        const res = await api().post(`/api/v1/outbox/${ids.uncertain}/resolve`).set(who.headers).send({ outcome: 'sent', note: 'checked' }).expect(403);
        expect(res.body.error.code).to.equal('forbidden');
      }
      await api().post(`/api/v1/outbox/${ids.uncertain}/resolve`).set(m.manager.headers).send({ outcome: 'maybe', note: 'x' }).expect(400);
      await api().post(`/api/v1/outbox/${ids.uncertain}/resolve`).set(m.manager.headers).send({ outcome: 'sent', note: 'x', extra: true }).expect(400);
      await api().post(`/api/v1/outbox/${ids.uncertain}/resolve`).set(m.manager.headers).send({ outcome: 'sent', note: '' }).expect(400);
      const sent = await api().post(`/api/v1/outbox/${ids.uncertain}/resolve`).set(m.manager.headers).send({ outcome: 'sent', note: 'confirmed in the UltraMsg dashboard' }).expect(200);
      expect(sent.body).to.deep.include({ status: 'sent' });
      expect(sent.body.resolution).to.deep.include({ outcome: 'sent', note: 'confirmed in the UltraMsg dashboard', by: `user:${m.manager.userId}` });
      const again = await api().post(`/api/v1/outbox/${ids.uncertain}/resolve`).set(m.admin.headers).send({ outcome: 'not_sent', note: 'changed my mind' }).expect(409);
      expect(again.body.error.code).to.equal('not_uncertain');
      await api().post(`/api/v1/outbox/${ids.sentSms}/resolve`).set(m.owner.headers).send({ outcome: 'sent', note: 'x' }).expect(409);
      const notSent = await api().post(`/api/v1/outbox/${ids.uncertain2}/resolve`).set(m.owner.headers).send({ outcome: 'not_sent', note: 'the contact never got it' }).expect(200);
      expect(notSent.body).to.deep.include({ status: 'failed', sentAt: null });
      expect(notSent.body.error).to.deep.include({ code: 'not_sent' });
      const audit = await ctx.audit(tenantA).list({ limit: 10, action: 'outbox.resolve' });
      expect(audit.map((e) => [e.target, (e.details as Body).outcome])).to.deep.equal([
        [ids.uncertain2, 'not_sent'],
        [ids.uncertain, 'sent'],
      ]);
      // Resolving never sends anything.
      expect(recorder.count(ids.uncertain)).to.equal(1);
      expect(recorder.count(ids.uncertain2)).to.equal(1);
    });
  });
}

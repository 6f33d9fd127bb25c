// The contacts and consent API (server/routes/contacts.ts) on SQLite and on PostgreSQL:
// creating and correcting contacts (E.164 phones, 409 duplicates), listing with filters and
// pages, consent grant/withdraw/renew with their events, the expiry sweep, sales reps limited
// to their own contacts, roles, tenant isolation, CSV import, the access export and erasure.
import { expect } from 'chai';
import request from 'supertest';
import type { RequestListener } from 'node:http';
import { type AppContext } from '../../server/app-context.js';
import { contactRoutes } from '../../server/routes/contacts.js';
import { can, ROLES } from '../../server/auth/permissions.js';
import type { RouteSpec } from '../../server/http/route.js';
import { consentExpiry } from '../../engine/consent/consent-rule.js';
import { ERASED, EXPIRY_ACTOR } from '../../db/contacts/index.js';
import { addMember, addMembers, type TestMember } from '../helpers/api-auth.js';
import { requirePostgres, type Dialect } from '../helpers/databases.js';
import { openApiEnv, type ApiEnv } from '../helpers/api-env.js';
import { minimalSample } from '../helpers/schema-sample.js';
import { flow } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';

const DAY = 86_400_000;
const DUMMY_ID = '00000000-0000-7000-8000-000000000000';
const EVIDENCE = { formUrl: 'https://acme.sa/ar/contact', ip: '203.0.113.7', text: 'أوافق على تلقي العروض عبر واتساب' };

type Body = Record<string, unknown>;

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  describe(`contacts and consent API (${dialect})`, function () {
    this.timeout(120_000);
    let env: ApiEnv | undefined;
    let ctx: AppContext;
    let app: RequestListener;
    let tenantA: string;
    let tenantB: string;
    const m = {} as Record<'owner' | 'admin' | 'manager' | 'rep1' | 'rep2' | 'viewer' | 'ownerB', TestMember>;

    const api = () => request(app);
    async function create(who: TestMember, body: Body): Promise<Body> {
      const res = await api().post('/api/v1/contacts').set(who.headers).send(body);
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      return res.body as Body;
    }

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      env = await openApiEnv(dialect, 'contacts');
      ({ ctx, app } = env);
      tenantA = (await ctx.tenants.ensure('contacts-a', 'Contacts A')).id;
      tenantB = (await ctx.tenants.ensure('contacts-b', 'Contacts B')).id;
      Object.assign(m, await addMembers(ctx, tenantA, { owner: 'owner', admin: 'admin', manager: 'manager', rep1: 'sales_rep', rep2: 'sales_rep', viewer: 'viewer' }));
      m.ownerB = await addMember(ctx, tenantB, 'owner');
    });

    after(async () => {
      await env?.close();
    });

    it('creates a contact with its phone in E.164 and its email lower-cased; duplicates answer 409 naming the field', async () => {
      const sara = await create(m.manager, { name: 'سارة القحطاني', phone: '055 123 4567', email: 'Sara@Acme.SA', company: 'أكمي', tags: ['vip'], tier: 'hot', score: 82, attributes: { city: 'الرياض' } });
      expect(sara).to.deep.include({ name: 'سارة القحطاني', phone: '+966551234567', email: 'sara@acme.sa', locale: 'ar', tier: 'hot', score: 82, ownerId: null, erasedAt: null });
      expect(sara.attributes).to.deep.equal({ city: 'الرياض' });
      const samePhone = await api().post('/api/v1/contacts').set(m.manager.headers).send({ name: 'x', phone: '+966 55 123 4567' });
      expect(samePhone.status).to.equal(409);
      expect(samePhone.body.error.code).to.equal('duplicate_contact');
      expect(samePhone.body.error.details).to.deep.equal([{ path: '/body/phone', code: 'duplicate', message: 'another contact has this phone' }]);
      const sameEmail = await api().post('/api/v1/contacts').set(m.manager.headers).send({ name: 'x', email: 'SARA@acme.sa' }).expect(409);
      expect(sameEmail.body.error.details[0].path).to.equal('/body/email');
      const bad = await api().post('/api/v1/contacts').set(m.manager.headers).send({ name: '  ', phone: '12345', email: 'not-an-email' }).expect(400);
      expect(bad.body.error.details.map((d: Body) => [d.path, d.code])).to.deep.equal([
        ['/body/name', 'required'],
        ['/body/phone', 'invalid_phone'],
        ['/body/email', 'invalid_email'],
      ]);
      const neither = await api().post('/api/v1/contacts').set(m.manager.headers).send({ name: 'nobody' }).expect(400);
      expect(neither.body.error.details[0]).to.deep.include({ path: '/body/phone', code: 'required' });
      const strangerOwner = await api().post('/api/v1/contacts').set(m.manager.headers).send({ name: 'x', phone: '0550000001', ownerId: m.ownerB.userId }).expect(400);
      expect(strangerOwner.body.error.details[0]).to.deep.include({ path: '/body/ownerId', code: 'unknown_user' });
      const got = await api().get(`/api/v1/contacts/${sara.id as string}`).set(m.viewer.headers).expect(200);
      expect(got.body).to.deep.include({ id: sara.id, phone: '+966551234567', consents: [] });
    });

    it('corrects a contact (PATCH), auditing which fields changed but not their values', async () => {
      const c = await create(m.manager, { name: 'Khalid', phone: '0551000100' });
      const res = await api().patch(`/api/v1/contacts/${c.id as string}`).set(m.manager.headers).send({ name: 'خالد', email: 'K@x.sa', tier: null, tags: ['a', 'a', 'b'] }).expect(200);
      expect(res.body).to.deep.include({ name: 'خالد', email: 'k@x.sa', phone: '+966551000100', tier: null, tags: ['a', 'b'] });
      await api().patch(`/api/v1/contacts/${c.id as string}`).set(m.manager.headers).send({ phone: null, email: null }).expect(400);
      const dup = await api().patch(`/api/v1/contacts/${c.id as string}`).set(m.manager.headers).send({ phone: '0551234567' }).expect(409);
      expect(dup.body.error.details[0].path).to.equal('/body/phone');
      const audit = await ctx.audit(tenantA).list({ limit: 10, action: 'contact.update' });
      const entry = audit.find((e) => e.target === c.id)!;
      expect(entry.details).to.deep.equal({ fields: ['name', 'email', 'tags', 'tier'] });
      expect(JSON.stringify(entry)).to.not.include('خالد');
    });

    it('lists newest first with search, tag, tier, owner and consent filters, in cursor pages', async () => {
      const t = (await ctx.tenants.ensure('contacts-list', 'List')).id;
      const boss = await addMember(ctx, t, 'manager');
      const made: Body[] = [];
      for (let i = 0; i < 5; i++) made.push(await create(boss, { name: i % 2 ? `نورة ${i}` : `Lead ${i}`, phone: `05540000${i}0`, tags: i < 2 ? ['expo'] : [], tier: i === 4 ? 'warm' : 'cold', ownerId: i === 3 ? boss.userId : undefined }));
      await api().post(`/api/v1/contacts/${made[2]!.id as string}/consents/grant`).set(boss.headers).send({ channel: 'whatsapp', purpose: 'marketing', source: 'web_form', evidence: EVIDENCE }).expect(200);
      const names = (res: request.Response) => (res.body.items as Body[]).map((c) => c.name);
      const list = (query: string) => api().get(`/api/v1/contacts?${query}`).set(boss.headers).expect(200);
      expect(names(await list(''))).to.deep.equal(['Lead 4', 'نورة 3', 'Lead 2', 'نورة 1', 'Lead 0']);
      expect(names(await list(`q=${encodeURIComponent('نورة')}`))).to.deep.equal(['نورة 3', 'نورة 1']);
      expect(names(await list('q=0554000020'))).to.deep.equal(['Lead 2']);
      expect(names(await list('tag=expo'))).to.deep.equal(['نورة 1', 'Lead 0']);
      expect(names(await list('tier=warm'))).to.deep.equal(['Lead 4']);
      expect(names(await list('owner=me'))).to.deep.equal(['نورة 3']);
      expect(names(await list('consent=whatsapp:marketing'))).to.deep.equal(['Lead 2']);
      expect(names(await list('consent=sms:marketing'))).to.deep.equal([]);
      await api().get('/api/v1/contacts?consent=fax:marketing').set(boss.headers).expect(400);
      const seen: unknown[] = [];
      let cursor: string | null = null;
      do {
        const page: request.Response = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...names(page));
        cursor = page.body.nextCursor as string | null;
      } while (cursor);
      expect(seen).to.deep.equal(['Lead 4', 'نورة 3', 'Lead 2', 'نورة 1', 'Lead 0']);
      await api().get('/api/v1/contacts?cursor=not-a-cursor').set(boss.headers).expect(400);
    });

    it('grants, withdraws and renews consent, each change with its event; the contact shows validity now', async () => {
      const c = await create(m.manager, { name: 'فهد', phone: '0552000001' });
      const id = c.id as string;
      const before = Date.now();
      const granted = await api().post(`/api/v1/contacts/${id}/consents/grant`).set(m.manager.headers).send({ channel: 'whatsapp', purpose: 'marketing', source: 'whatsapp_optin', evidence: { messageId: 'wamid.1', text: 'نعم' } }).expect(200);
      expect(granted.body.consent).to.deep.include({ channel: 'whatsapp', purpose: 'marketing', status: 'granted', source: 'whatsapp_optin', valid: true, reason: null });
      const grantedAt = Date.parse(granted.body.consent.grantedAt as string);
      expect(grantedAt).to.be.at.least(before);
      expect(granted.body.consent.expiresAt).to.equal(new Date(consentExpiry(grantedAt)).toISOString());
      expect(granted.body.event).to.deep.include({ type: 'grant', actor: `user:${m.manager.userId}`, source: 'whatsapp_optin' });
      expect(granted.body.event.evidence).to.deep.equal({ messageId: 'wamid.1', text: 'نعم' });

      const detail = await api().get(`/api/v1/contacts/${id}`).set(m.viewer.headers).expect(200);
      expect(detail.body.consents).to.have.length(1);
      expect(detail.body.consents[0]).to.deep.include({ channel: 'whatsapp', purpose: 'marketing', valid: true });
      expect(await ctx.consents(tenantA).check(id, 'whatsapp', 'marketing')).to.deep.equal({ ok: true });
      expect(await ctx.consents(tenantA).check(id, 'sms', 'marketing')).to.deep.equal({ ok: false, reason: 'missing' });

      const withdrawn = await api().post(`/api/v1/contacts/${id}/consents/withdraw`).set(m.manager.headers).send({ channel: 'whatsapp', purpose: 'marketing', source: 'opt_out_reply', reason: 'إيقاف' }).expect(200);
      expect(withdrawn.body.consent).to.deep.include({ status: 'withdrawn', valid: false, reason: 'withdrawn' });
      expect(withdrawn.body.event.details).to.deep.include({ reason: 'إيقاف' });
      const again = await api().post(`/api/v1/contacts/${id}/consents/withdraw`).set(m.manager.headers).send({ channel: 'whatsapp', purpose: 'marketing' }).expect(200);
      expect(again.body.event).to.equal(null);
      const renewWithdrawn = await api().post(`/api/v1/contacts/${id}/consents/renew`).set(m.manager.headers).send({ channel: 'whatsapp', purpose: 'marketing' }).expect(409);
      expect(renewWithdrawn.body.error.code).to.equal('renew_not_allowed');
      await api().post(`/api/v1/contacts/${id}/consents/renew`).set(m.manager.headers).send({ channel: 'email', purpose: 'service' }).expect(409);

      await api().post(`/api/v1/contacts/${id}/consents/grant`).set(m.manager.headers).send({ channel: 'whatsapp', purpose: 'marketing', source: 'web_form', evidence: EVIDENCE, grantedAt: new Date(Date.now() - 30 * DAY).toISOString() }).expect(200);
      const renewed = await api().post(`/api/v1/contacts/${id}/consents/renew`).set(m.manager.headers).send({ channel: 'whatsapp', purpose: 'marketing' }).expect(200);
      const renewedAt = Date.parse(renewed.body.consent.renewedAt as string);
      expect(renewed.body.consent.expiresAt).to.equal(new Date(consentExpiry(renewedAt)).toISOString());
      expect(Date.parse(renewed.body.consent.grantedAt as string)).to.be.below(renewedAt - 29 * DAY);
      expect(renewed.body.consent.evidence).to.deep.equal(EVIDENCE);

      const future = await api().post(`/api/v1/contacts/${id}/consents/grant`).set(m.manager.headers).send({ channel: 'sms', purpose: 'service', source: 'web_form', evidence: EVIDENCE, grantedAt: new Date(Date.now() + 2 * DAY).toISOString() }).expect(400);
      expect(future.body.error.details[0]).to.deep.include({ path: '/body/grantedAt', code: 'in_future' });
      const stale = await api().post(`/api/v1/contacts/${id}/consents/grant`).set(m.manager.headers).send({ channel: 'sms', purpose: 'service', source: 'web_form', evidence: EVIDENCE, grantedAt: new Date(Date.now() - 400 * DAY).toISOString() }).expect(400);
      expect(stale.body.error.details[0].code).to.equal('expired');
      const noEvidence = await api().post(`/api/v1/contacts/${id}/consents/grant`).set(m.manager.headers).send({ channel: 'sms', purpose: 'service', source: 'web_form', evidence: {} }).expect(400);
      expect(noEvidence.body.error.details[0].path).to.equal('/body/evidence');

      const events = await api().get(`/api/v1/contacts/${id}/consent-events`).set(m.viewer.headers).expect(200);
      expect((events.body.items as Body[]).map((e) => e.type)).to.deep.equal(['renew', 'grant', 'withdraw', 'grant']);
      const first = await api().get(`/api/v1/contacts/${id}/consent-events?limit=3`).set(m.viewer.headers).expect(200);
      const rest = await api().get(`/api/v1/contacts/${id}/consent-events?limit=3&cursor=${first.body.nextCursor as string}`).set(m.viewer.headers).expect(200);
      expect([...first.body.items, ...rest.body.items].map((e: Body) => e.id)).to.deep.equal((events.body.items as Body[]).map((e) => e.id));
      const list = await api().get(`/api/v1/contacts/${id}/consents`).set(m.viewer.headers).expect(200);
      expect(list.body.items.map((c: Body) => [c.channel, c.purpose, c.status])).to.deep.equal([['whatsapp', 'marketing', 'granted']]);
    });

    it('GET /consent-events: the tenant-wide trail, newest first, in pages; a sales rep sees its own contacts’ events; other tenants’ never', async () => {
      // Reps of their own, so the other tests' per-rep lists stay as they are.
      const [repA, repB] = [await addMember(ctx, tenantA, 'sales_rep'), await addMember(ctx, tenantA, 'sales_rep')];
      const mine = await create(m.manager, { name: 'trail rep1', phone: '0553100001', ownerId: repA.userId });
      const theirs = await create(m.manager, { name: 'trail rep2', phone: '0553100002', ownerId: repB.userId });
      const elsewhere = await api().post('/api/v1/contacts').set(m.ownerB.headers).send({ name: 'trail B', phone: '0553100003' }).expect(201);
      for (const [who, id] of [[m.manager, mine.id], [m.manager, theirs.id], [m.ownerB, elsewhere.body.id]] as [TestMember, string][]) {
        await api().post(`/api/v1/contacts/${id}/consents/grant`).set(who.headers).send({ channel: 'sms', purpose: 'service', source: 'web_form', evidence: EVIDENCE }).expect(200);
      }
      await api().post(`/api/v1/contacts/${mine.id as string}/consents/withdraw`).set(m.manager.headers).send({ channel: 'sms', purpose: 'service' }).expect(200);

      const all = await api().get('/api/v1/consent-events?limit=500').set(m.viewer.headers).expect(200);
      const items = all.body.items as Body[];
      expect(items.slice(0, 3).map((e) => [e.contactId, e.type])).to.deep.equal([[mine.id, 'withdraw'], [theirs.id, 'grant'], [mine.id, 'grant']]);
      expect(items.map((e) => e.contactId)).to.not.include(elsewhere.body.id);
      expect(all.body.nextCursor).to.equal(null);
      // Pages of 2 walk the same trail.
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const page: request.Response = await api().get(`/api/v1/consent-events?limit=2${cursor ? `&cursor=${cursor}` : ''}`).set(m.viewer.headers).expect(200);
        walked.push(...(page.body.items as Body[]).map((e) => e.id as string));
        cursor = page.body.nextCursor as string | null;
      } while (cursor);
      expect(walked).to.deep.equal(items.map((e) => e.id));
      // A sales rep: only the events of contacts it owns.
      const rep = await api().get('/api/v1/consent-events?limit=500').set(repA.headers).expect(200);
      expect([...new Set((rep.body.items as Body[]).map((e) => e.contactId))]).to.deep.equal([mine.id]);
      const withdrawals = await api().get('/api/v1/consent-events?type=withdraw&limit=500').set(m.viewer.headers).expect(200);
      expect((withdrawals.body.items as Body[]).every((e) => e.type === 'withdraw')).to.equal(true);
      await api().get('/api/v1/consent-events?cursor=garbage').set(m.viewer.headers).expect(400);
      await api().get('/api/v1/consent-events').expect(401);
    });

    it('expires consents past 12 months automatically (sweep), with an expire event; the API shows them invalid; renew revives', async () => {
      const c = await create(m.manager, { name: 'ريم', phone: '0552000002' });
      const id = c.id as string;
      const grantedAt = Date.now() - 366 * DAY;
      await ctx.consents(tenantA).grant(id, 'sms', 'marketing', { actor: 'test', source: 'import', evidence: { row: 2 }, at: grantedAt });
      // Before the sweep: status granted, but not valid.
      const before = await api().get(`/api/v1/contacts/${id}/consents`).set(m.viewer.headers).expect(200);
      expect(before.body.items[0]).to.deep.include({ status: 'granted', valid: false, reason: 'expired' });
      const now = Date.now();
      expect(await ctx.consents(tenantA).expireDue(now)).to.be.at.least(1);
      const after = await api().get(`/api/v1/contacts/${id}/consents`).set(m.viewer.headers).expect(200);
      expect(after.body.items[0]).to.deep.include({ status: 'expired', valid: false, reason: 'expired' });
      const events = await api().get(`/api/v1/contacts/${id}/consent-events`).set(m.viewer.headers).expect(200);
      expect(events.body.items[0]).to.deep.include({ type: 'expire', actor: EXPIRY_ACTOR, channel: 'sms', purpose: 'marketing', at: new Date(now).toISOString() });
      expect(events.body.items[0].details).to.deep.equal({ expiresAt: new Date(consentExpiry(grantedAt)).toISOString() });
      expect(await ctx.consents(tenantA).expireDue(now)).to.equal(0);
      const renewed = await api().post(`/api/v1/contacts/${id}/consents/renew`).set(m.rep1.headers).send({ channel: 'sms', purpose: 'marketing' });
      expect(renewed.status, 'not the rep’s contact').to.equal(404);
      await api().post(`/api/v1/contacts/${id}/consents/renew`).set(m.manager.headers).send({ channel: 'sms', purpose: 'marketing', evidence: { text: 'renewed by phone' } }).expect(200);
      expect(await ctx.consents(tenantA).check(id, 'sms', 'marketing')).to.deep.equal({ ok: true });
    });

    it('sales reps see and change only their own contacts; others’ answer 404', async () => {
      const mine = await create(m.rep1, { name: 'عميل المندوب', phone: '0553000001' });
      expect(mine.ownerId).to.equal(m.rep1.userId);
      const assigned = await create(m.manager, { name: 'Assigned to rep2', phone: '0553000002', ownerId: m.rep2.userId });
      const giveAway = await api().post('/api/v1/contacts').set(m.rep1.headers).send({ name: 'x', phone: '0553000003', ownerId: m.rep2.userId }).expect(403);
      expect(giveAway.body.error.code).to.equal('owner_not_allowed');
      const rep1List = await api().get('/api/v1/contacts?limit=200').set(m.rep1.headers).expect(200);
      expect((rep1List.body.items as Body[]).map((c) => c.id)).to.deep.equal([mine.id]);
      const spying = await api().get(`/api/v1/contacts?owner=${m.rep2.userId}`).set(m.rep1.headers).expect(200);
      expect(spying.body.items).to.deep.equal([]);
      const rep2List = await api().get('/api/v1/contacts?limit=200').set(m.rep2.headers).expect(200);
      expect((rep2List.body.items as Body[]).map((c) => c.id)).to.deep.equal([assigned.id]);
      const other = assigned.id as string;
      await api().get(`/api/v1/contacts/${other}`).set(m.rep1.headers).expect(404);
      await api().patch(`/api/v1/contacts/${other}`).set(m.rep1.headers).send({ name: 'taken' }).expect(404);
      await api().get(`/api/v1/contacts/${other}/consents`).set(m.rep1.headers).expect(404);
      await api().get(`/api/v1/contacts/${other}/consent-events`).set(m.rep1.headers).expect(404);
      await api().post(`/api/v1/contacts/${other}/consents/grant`).set(m.rep1.headers).send({ channel: 'call', purpose: 'service', source: 'in_person', evidence: EVIDENCE }).expect(404);
      await api().post(`/api/v1/contacts/${other}/consents/withdraw`).set(m.rep1.headers).send({ channel: 'call', purpose: 'service' }).expect(404);
      expect(await ctx.consents(tenantA).list(other)).to.deep.equal([]);
      // Their own: full access.
      await api().post(`/api/v1/contacts/${mine.id as string}/consents/grant`).set(m.rep1.headers).send({ channel: 'call', purpose: 'service', source: 'in_person', evidence: EVIDENCE }).expect(200);
      await api().patch(`/api/v1/contacts/${mine.id as string}`).set(m.rep1.headers).send({ company: 'Acme' }).expect(200);
      await api().patch(`/api/v1/contacts/${mine.id as string}`).set(m.rep1.headers).send({ ownerId: m.rep2.userId }).expect(403);
      await api().patch(`/api/v1/contacts/${mine.id as string}`).set(m.rep1.headers).send({ ownerId: null }).expect(403);
      // A manager reassigns: now rep2's, no longer rep1's.
      await api().patch(`/api/v1/contacts/${mine.id as string}`).set(m.manager.headers).send({ ownerId: m.rep2.userId }).expect(200);
      await api().get(`/api/v1/contacts/${mine.id as string}`).set(m.rep1.headers).expect(404);
      await api().get(`/api/v1/contacts/${mine.id as string}`).set(m.rep2.headers).expect(200);
    });

    it('the permission table holds on every contact route for every role (403 exactly where the role lacks it)', async () => {
      const routes: RouteSpec[] = contactRoutes(ctx);
      const mismatches: string[] = [];
      const t = (await ctx.tenants.ensure('contacts-perm', 'Perm')).id;
      for (const role of ROLES) {
        const member = await addMember(ctx, t, role);
        for (const r of routes) {
          if (r.access === 'public' || r.access === 'authenticated') continue;
          const url = '/api/v1' + r.path.replace(/:(\w+)/g, DUMMY_ID);
          let req = (api() as unknown as Record<string, (u: string) => request.Test>)[r.method]!(url).set(member.headers);
          if (r.body) req = req.send(minimalSample(JSON.parse(JSON.stringify(r.body))) as object);
          const res = await req;
          const refused = res.status === 403 && res.body?.error?.code === 'forbidden';
          if (can(role, r.access) === refused || res.status >= 500) mismatches.push(`${role} ${r.method} ${r.path}: ${res.status}`);
        }
      }
      expect(mismatches).to.deep.equal([]);
      // The viewer in particular: reads, never writes consent.
      const c = await create(m.manager, { name: 'viewer target', phone: '0553000009' });
      await api().get(`/api/v1/contacts/${c.id as string}`).set(m.viewer.headers).expect(200);
      const refused = await api().post(`/api/v1/contacts/${c.id as string}/consents/grant`).set(m.viewer.headers).send({ channel: 'email', purpose: 'marketing', source: 'web_form', evidence: EVIDENCE }).expect(403);
      expect(refused.body.error.code).to.equal('forbidden');
      expect(await ctx.consents(tenantA).list(c.id as string)).to.deep.equal([]);
      await api().post('/api/v1/contacts/import').set(m.rep1.headers).send({ csv: 'name,phone\nx,0551111111' }).expect(403);
      await api().post(`/api/v1/contacts/${c.id as string}/erase`).set(m.manager.headers).expect(403);
      await api().get(`/api/v1/contacts/${c.id as string}/export`).set(m.manager.headers).expect(403);
    });

    it('lists the consent vocabulary with Arabic and English labels', async () => {
      const res = await api().get('/api/v1/consent-vocabulary').set(m.viewer.headers).expect(200);
      expect(res.body.channels.map((c: Body) => c.id)).to.deep.equal(['whatsapp', 'sms', 'email', 'call']);
      expect(res.body.purposes.map((c: Body) => c.id)).to.deep.equal(['marketing', 'service', 'transactional']);
      for (const list of [res.body.channels, res.body.purposes, res.body.statuses, res.body.reasons] as { label: { en: string; ar: string } }[][]) {
        for (const { label } of list) {
          expect(label.en).to.match(/^[A-Z]/);
          expect(label.ar).to.match(/[\u0600-\u06ff]/);
        }
      }
      expect(res.body.validityMonths).to.equal(12);
    });

    it('another tenant’s contact answers 404 on every contact route, is never listed and never changes', async () => {
      const c = await create(m.manager, { name: 'Secret ALPHA', phone: '0554000001', email: 'alpha@a.sa' });
      const id = c.id as string;
      await ctx.consents(tenantA).grant(id, 'email', 'marketing', { actor: 't', source: 'web_form', evidence: EVIDENCE });
      const routes = contactRoutes(ctx).filter((r) => r.path.includes(':id'));
      const answers: string[] = [];
      for (const minimal of [true, false]) {
        for (const r of routes) {
          let req = (api() as unknown as Record<string, (u: string) => request.Test>)[r.method]!(`/api/v1${r.path.replace(':id', id)}`).set(m.ownerB.headers);
          // The smallest body the schema accepts (as the API contract suite sends), then realistic ones.
          if (r.body && minimal) req = req.send(minimalSample(JSON.parse(JSON.stringify(r.body))) as object);
          else if (r.path.endsWith('/grant')) req = req.send({ channel: 'email', purpose: 'marketing', source: 'api', evidence: EVIDENCE });
          else if (r.body) req = req.send(r.method === 'patch' ? { name: 'hijack' } : { channel: 'email', purpose: 'marketing' });
          const res = await req;
          if (res.status !== 404 || JSON.stringify(res.body).includes('ALPHA')) answers.push(`${r.method} ${r.path}: ${res.status}`);
        }
      }
      expect(answers).to.deep.equal([]);
      const listed = await api().get('/api/v1/contacts?q=alpha').set(m.ownerB.headers).expect(200);
      expect(listed.body.items).to.deep.equal([]);
      const still = await api().get(`/api/v1/contacts/${id}`).set(m.owner.headers).expect(200);
      expect(still.body).to.deep.include({ name: 'Secret ALPHA', erasedAt: null });
      expect(still.body.consents[0]).to.deep.include({ status: 'granted', valid: true });
      // B may hold the same phone in its own tenant.
      await create(m.ownerB, { name: 'B’s own', phone: '0554000001' });
    });

    it('imports a CSV: Arabic names, BOM, consent columns; bad rows skipped and reported with row and column', async () => {
      const existing = await create(m.manager, { name: 'Existing', phone: '0555000009', tags: ['old'] });
      await create(m.manager, { name: 'Holds a phone', phone: '0555000005' });
      await create(m.manager, { name: 'Holds an email', email: 'other@example.sa' });
      const csv =
        '\ufeffname,phone,email,company,tags,consent_whatsapp_marketing,consent_email_service\n' +
        'منى العتيبي,0555000001,Mona@Example.SA,شركة الرياض,vip;عقار,yes,\n' + // 2: created, consent granted
        'Bad Phone,12345,,,,,\n' + // 3: invalid phone
        'تكرار,0555000001,,,,,\n' + // 4: duplicate in file
        'Existing updated,+966555000009,ex@example.sa,,new,,2026-01-01\n' + // 5: updates the existing contact
        'Clash,0555000005,other@example.sa,,,,\n' + // 6: phone of one contact, email of another
        ',0555000007,,,,,\n' + // 7: no name
        'Bad Consent,0555000008,,,,sometimes,\n' + // 8: invalid consent
        'ليلى,0555000006,,,,no,\n'; // 9: created, objection recorded
      const res = await api().post('/api/v1/contacts/import').set(m.manager.headers).send({ csv, defaultConsent: { channel: 'sms', purpose: 'service', evidence: { documentUrl: 'https://acme.sa/consents.pdf' } } }).expect(200);
      expect(res.body).to.deep.include({ created: 2, updated: 1, failed: 5 });
      expect((res.body.errors as Body[]).map((e) => [e.row, e.column, e.code])).to.deep.equal([
        [3, 'phone', 'invalid_phone'],
        [4, 'phone', 'duplicate_in_file'],
        [6, 'email', 'conflict'],
        [7, 'name', 'required'],
        [8, 'consent_whatsapp_marketing', 'invalid_consent'],
      ]);
      const find = async (q: string) => ((await api().get(`/api/v1/contacts?q=${encodeURIComponent(q)}`).set(m.manager.headers).expect(200)).body.items as Body[])[0]!;
      const mona = await find('منى');
      expect(mona).to.deep.include({ phone: '+966555000001', email: 'mona@example.sa', company: 'شركة الرياض', tags: ['vip', 'عقار'] });
      const monaDetail = await api().get(`/api/v1/contacts/${mona.id as string}`).set(m.manager.headers).expect(200);
      expect(monaDetail.body.consents.map((c: Body) => [c.channel, c.purpose, c.status, c.valid, c.source])).to.deep.equal([
        ['sms', 'service', 'granted', true, 'import'],
        ['whatsapp', 'marketing', 'granted', true, 'import'],
      ]);
      const monaEvents = await api().get(`/api/v1/contacts/${mona.id as string}/consent-events`).set(m.manager.headers).expect(200);
      expect((monaEvents.body.items as Body[]).every((e) => e.type === 'grant' && e.actor === `user:${m.manager.userId}`)).to.equal(true);
      expect(monaEvents.body.items.find((e: Body) => e.channel === 'sms').evidence).to.deep.include({ documentUrl: 'https://acme.sa/consents.pdf', row: 2 });
      const updated = await api().get(`/api/v1/contacts/${existing.id as string}`).set(m.manager.headers).expect(200);
      expect(updated.body).to.deep.include({ name: 'Existing updated', email: 'ex@example.sa', tags: ['old', 'new'] });
      expect(updated.body.consents.find((c: Body) => c.channel === 'email')).to.deep.include({ status: 'granted', grantedAt: '2025-12-31T21:00:00.000Z' });
      const laila = await find('ليلى');
      const lailaConsents = await api().get(`/api/v1/contacts/${laila.id as string}/consents`).set(m.manager.headers).expect(200);
      expect(lailaConsents.body.items.map((c: Body) => [c.channel, c.status])).to.deep.equal([
        ['sms', 'granted'],
        ['whatsapp', 'withdrawn'],
      ]);
      expect(await find('Bad Phone')).to.equal(undefined);
      const audit = await ctx.audit(tenantA).list({ limit: 5, action: 'contacts.import' });
      expect(audit[0]!.details).to.deep.include({ rows: 8, created: 2, updated: 1, failed: 5 });
    });

    it('announces lead.created for the contacts an import creates only when asked (announce: true), not for updated rows', async () => {
      const leadEvents = async (ids: string[]) => (await ctx.db.sql.query("SELECT subject FROM domain_events WHERE tenant_id = $1 AND type = 'lead.created'", [tenantA])).map((r) => String(r.subject)).filter((id) => ids.includes(id));
      const quiet = await api().post('/api/v1/contacts/import').set(m.manager.headers).send({ csv: 'name,phone\nسلمان,0555100001\n' }).expect(200);
      expect(quiet.body).to.deep.include({ created: 1 });
      const find = async (q: string) => ((await api().get(`/api/v1/contacts?q=${encodeURIComponent(q)}`).set(m.manager.headers).expect(200)).body.items as Body[])[0]!;
      const salman = (await find('سلمان')).id as string;
      expect(await leadEvents([salman])).to.deep.equal([]);
      // Salman again (updated) and two new leads, announced.
      const loud = await api().post('/api/v1/contacts/import').set(m.manager.headers).send({ csv: 'name,phone\nسلمان,0555100001\nريما,0555100002\nTariq,0555100003\n', announce: true }).expect(200);
      expect(loud.body).to.deep.include({ created: 2, updated: 1 });
      const rima = (await find('ريما')).id as string;
      const tariq = (await find('Tariq')).id as string;
      expect((await leadEvents([salman, rima, tariq])).sort()).to.deep.equal([rima, tariq].sort());
      const audit = await ctx.audit(tenantA).list({ limit: 1, action: 'contacts.import' });
      expect(audit[0]!.details).to.deep.include({ created: 2, announced: 2 });
    });

    it('refuses an unusable CSV (400 listing the header problems) and one over 10,000 rows (413)', async () => {
      const header = await api().post('/api/v1/contacts/import').set(m.admin.headers).send({ csv: 'fullname,mobile\nx,1' }).expect(400);
      expect(header.body.error.code).to.equal('invalid_csv');
      expect(header.body.error.details.map((d: Body) => d.path)).to.deep.equal(['/body/csv', '/body/csv', '/body/csv', '/body/csv']);
      const rows = ['name,phone', ...Array.from({ length: 10_001 }, (_, i) => `n${i},${i}`)].join('\n');
      const big = await api().post('/api/v1/contacts/import').set(m.admin.headers).send({ csv: rows }).expect(413);
      expect(big.body.error.code).to.equal('too_many_rows');
      const before = await api().get('/api/v1/contacts?q=n9999').set(m.admin.headers).expect(200);
      expect(before.body.items).to.deep.equal([]);
    });

    describe('data subject rights: export and erasure', () => {
      let contactId: string;
      const phone = '+966556000001';
      const name = 'هند الشمري';
      const executions: Record<'done' | 'failed' | 'waiting', string> = { done: '', failed: '', waiting: '' };

      before(async () => {
        const c = await create(m.manager, { name, phone: '0556000001', email: 'hind@example.sa', tags: ['vip'], attributes: { nationalId: '1234567890' } });
        contactId = c.id as string;
        await api().post(`/api/v1/contacts/${contactId}/consents/grant`).set(m.manager.headers).send({ channel: 'whatsapp', purpose: 'marketing', source: 'web_form', evidence: EVIDENCE }).expect(200);
        await api().post(`/api/v1/contacts/${contactId}/consents/grant`).set(m.manager.headers).send({ channel: 'email', purpose: 'service', source: 'web_form', evidence: EVIDENCE }).expect(200);
        await ctx.consents(tenantA).recordBlockedSend({ contactId, channel: 'sms', purpose: 'marketing', reason: 'missing', actor: 'execution:e', details: { node: 'send' } });
        const flows = ctx.flows(tenantA);
        const start = { id: 'start', type: 'trigger.manual' };
        const greet = await flows.publish(flow([start, { id: 'greet', type: 'data.set', params: { fields: { greeting: '="مرحبا " & name' } } }], [['start', 'out', 'greet']]), { flowId: 'contact-greet' });
        const fail = await flows.publish(flow([start, { id: 'boom', type: 'data.set', params: { fields: { x: "=$error('cannot reach ' & phone)" } } }], [['start', 'out', 'boom']]), { flowId: 'contact-fail' });
        const wait = await flows.publish(flow([start, { id: 'later', type: 'time.delay', params: { seconds: 3600 } }], [['start', 'out', 'later']]), { flowId: 'contact-wait' });
        const run = async (p: typeof greet, subject: string, payload: Body = { name, phone }) =>
          (await ctx.runtime.startExecution({ tenantId: tenantA, flowId: p.flowId, flowVersion: p.version, flow: p.flow, trigger: 'start', payload, mode: 'manual', subject })).executionId;
        executions.done = await run(greet, contactId);
        executions.failed = await run(fail, contactId);
        executions.waiting = await run(wait, contactId);
        await ctx.runtime.result(executions.done, true, 20_000);
        await ctx.runtime.result(executions.failed, true, 20_000);
        await waitFor(async () => (await ctx.executions(tenantA).summary(executions.waiting))?.status === 'waiting', 20_000);
        // Someone else's execution, which erasure must not touch, and one about someone else that quotes her number.
        await ctx.runtime.result(await run(greet, 'another-contact', { name: 'Other Person', phone: '+966556999999' }), true, 20_000);
        await ctx.runtime.result(await run(greet, 'third-contact', { name: 'Third Person', note: 'her sister is on 055 600 0001' }), true, 20_000);
      });

      it('exports everything held about the contact (access request)', async () => {
        const res = await api().get(`/api/v1/contacts/${contactId}/export`).set(m.admin.headers).expect(200);
        expect(res.body.contact).to.deep.include({ id: contactId, name, phone, email: 'hind@example.sa', tags: ['vip'] });
        expect(res.body.contact.attributes).to.deep.equal({ nationalId: '1234567890' });
        expect(res.body.consents.map((c: Body) => [c.channel, c.purpose, c.valid])).to.deep.equal([
          ['email', 'service', true],
          ['whatsapp', 'marketing', true],
        ]);
        expect(res.body.consentEvents.map((e: Body) => e.type)).to.deep.equal(['grant', 'grant', 'blocked_send']);
        expect(res.body.consentEvents[0].evidence).to.deep.equal(EVIDENCE);
        const exported = res.body.executions as { id: string; subject: string; steps: { output: unknown }[] }[];
        expect(exported.map((e) => e.id).sort()).to.deep.equal(Object.values(executions).sort());
        expect(exported.every((e) => e.subject === contactId)).to.equal(true);
        const done = exported.find((e) => e.id === executions.done)!;
        expect(JSON.stringify(done.steps)).to.include('مرحبا ' + name);
        const audit = await ctx.audit(tenantA).list({ limit: 5, action: 'contact.export' });
        expect(audit[0]).to.deep.include({ target: contactId, actor: `user:${m.admin.userId}` });
      });

      it('erases: anonymises the contact and its executions’ stored data, withdraws consents, keeps the consent trail and the audit entry', async () => {
        const failedBefore = await ctx.executions(tenantA).get(executions.failed);
        expect(JSON.stringify(failedBefore)).to.include(phone);
        const res = await api().post(`/api/v1/contacts/${contactId}/erase`).set(m.owner.headers).expect(200);
        expect(res.body).to.deep.include({ alreadyErased: false, consentsWithdrawn: 2 });
        expect(res.body.executions).to.deep.include({ cancelled: 1, redacted: 3, pending: 0 });
        expect(res.body.executions.steps).to.be.at.least(5);
        expect(res.body.contact).to.deep.include({ id: contactId, name: 'erased', phone: null, email: null, tags: [], attributes: {}, company: null });
        expect(res.body.contact.erasedAt).to.be.a('string');

        // Nothing about her is left in the executions, through the API or in the tables.
        for (const id of Object.values(executions)) {
          const view = await api().get(`/api/v1/executions/${id}`).set(m.owner.headers).expect(200);
          const text = JSON.stringify(view.body);
          expect(text, id).to.not.include(phone).and.not.include(name).and.not.include('0556000001');
          expect(view.body.status).to.be.oneOf(['succeeded', 'failed', 'cancelled']);
          for (const step of view.body.steps as { input: unknown; output: unknown }[]) {
            if (step.input !== null) expect(step.input).to.deep.equal(ERASED);
            if (step.output !== null) expect(step.output).to.deep.equal(ERASED);
          }
        }
        const raw = await ctx.db.sql.query('SELECT e.state, e.output, e.error, s.input, s.output AS step_output, s.error AS step_error, s.logs FROM executions e JOIN execution_steps s ON s.execution_id = e.id WHERE e.tenant_id = $1 AND e.subject = $2', [tenantA, contactId]);
        expect(raw.length).to.be.greaterThan(3);
        expect(JSON.stringify(raw)).to.not.include(phone).and.not.include(name).and.not.include('hind@');
        expect((await ctx.db.sql.query('SELECT * FROM contacts WHERE id = $1', [contactId])).map((r) => JSON.stringify(r)).join()).to.not.include(name).and.not.include('1234567890');
        // Another subject's execution keeps its data.
        const others = await ctx.db.sql.query("SELECT s.output FROM execution_steps s JOIN executions e ON e.id = s.execution_id WHERE e.subject = 'another-contact'");
        expect(JSON.stringify(others)).to.include('مرحبا Other Person').and.include('+966556999999');
        // …but her number quoted in another execution is replaced by a keyed hash, the rest kept.
        const third = JSON.stringify(await ctx.db.sql.query("SELECT s.input, s.output FROM execution_steps s JOIN executions e ON e.id = s.execution_id WHERE e.subject = 'third-contact'"));
        expect(third).to.include('مرحبا Third Person').and.match(/erased:[0-9a-f]{16}/).and.not.include('600 0001');

        // The consent trail is kept: grants, the blocked send, the withdrawals and the erasure.
        const events = await api().get(`/api/v1/contacts/${contactId}/consent-events`).set(m.owner.headers).expect(200);
        expect((events.body.items as Body[]).map((e) => e.type)).to.deep.equal(['erasure', 'withdraw', 'withdraw', 'blocked_send', 'grant', 'grant']);
        expect(events.body.items[0]).to.deep.include({ actor: `user:${m.owner.userId}`, channel: null, purpose: null });
        expect(await ctx.consents(tenantA).check(contactId, 'whatsapp', 'marketing')).to.deep.equal({ ok: false, reason: 'withdrawn' });
        const audit = await ctx.audit(tenantA).list({ limit: 5, action: 'contact.erase' });
        expect(audit[0]).to.deep.include({ target: contactId, actor: `user:${m.owner.userId}` });
        expect(audit[0]!.details).to.deep.include({ consentsWithdrawn: 2, executionsCancelled: 1 });

        // An erased contact is no longer listed, cannot be changed or given consent again.
        const listed = await api().get('/api/v1/contacts?limit=200').set(m.owner.headers).expect(200);
        expect((listed.body.items as Body[]).map((c) => c.id)).to.not.include(contactId);
        const withErased = await api().get('/api/v1/contacts?limit=200&includeErased=true').set(m.owner.headers).expect(200);
        expect((withErased.body.items as Body[]).map((c) => c.id)).to.include(contactId);
        expect((await api().patch(`/api/v1/contacts/${contactId}`).set(m.owner.headers).send({ name: 'back' }).expect(409)).body.error.code).to.equal('contact_erased');
        expect((await api().post(`/api/v1/contacts/${contactId}/consents/grant`).set(m.owner.headers).send({ channel: 'sms', purpose: 'service', source: 'api', evidence: EVIDENCE }).expect(409)).body.error.code).to.equal('contact_erased');
        // The phone is free again (a new person may own the number).
        await create(m.manager, { name: 'New owner of the number', phone });
        // Erasing again is harmless: no new erasure event.
        const again = await api().post(`/api/v1/contacts/${contactId}/erase`).set(m.admin.headers).expect(200);
        expect(again.body).to.deep.include({ alreadyErased: true, consentsWithdrawn: 0 });
        const after = await api().get(`/api/v1/contacts/${contactId}/consent-events`).set(m.owner.headers).expect(200);
        expect(after.body.items.filter((e: Body) => e.type === 'erasure')).to.have.length(1);
      });
    });
  });
}

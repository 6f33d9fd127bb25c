// The send-policy API: read the policy and holidays (every role), replace the policy and edit
// holidays (owner/admin), validation, audit entries, tenant isolation (another tenant's holiday
// is 404), and the stored holidays feeding the window function the outbox will call.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RequestListener } from 'node:http';
import { createContext, type AppContext } from '../../server/app-context.js';
import { assertContract, checkedApp } from '../helpers/contract.js';
import { loadConfig } from '../../server/config.js';
import fc from 'fast-check';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { DEFAULT_SEND_POLICY, nextSendOpening } from '../../engine/index.js';
import { SendPolicyRepository } from '../../db/send-policy-repository.js';
import { sendPolicyRoutes } from '../../server/routes/send-policy.js';
import { ROLES, can } from '../../server/auth/permissions.js';
import type { RouteSpec } from '../../server/http/route.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { minimalSample } from '../helpers/schema-sample.js';

const Ajv2020 = (Ajv2020Module as unknown as { default: typeof Ajv2020Module }).default ?? Ajv2020Module;
type Ajv = InstanceType<typeof Ajv2020Module.default>;
const strictAjv: Ajv = new (Ajv2020 as unknown as new (o: object) => Ajv)({ allErrors: true, strict: false });
((addFormats as unknown as { default?: (a: Ajv) => void }).default ?? (addFormats as unknown as (a: Ajv) => void))(strictAjv);
const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x ?? {})) as unknown;

interface HolidayBody {
  id: string;
  from: string;
  to: string;
  days: number;
  name: { ar: string; en: string };
  approximate: boolean;
  hijri: { from: { ar: string; en: string }; to: { ar: string; en: string } };
  createdBy: string;
}

describe('API: send policy and holidays', function () {
  this.timeout(30_000);
  let dataDir: string;
  let ctx: AppContext;
  let app: RequestListener;
  let tenantId: string;
  let owner: TestMember;
  let admin: TestMember;
  let manager: TestMember;
  let viewer: TestMember;
  let other: TestMember;
  let otherTenantId: string;

  const api = () => request(app);
  const eid = { from: '2026-03-19', to: '2026-03-23', name: { ar: 'عيد الفطر', en: 'Eid al-Fitr' }, approximate: true };

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-send-policy-'));
    ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: '' }), pino({ level: 'silent' }));
    app = checkedApp(ctx);
    const tenant = await ctx.tenants.ensure('sp-alpha', 'Alpha', { allowPrivateNetwork: true, locale: 'ar' });
    tenantId = tenant.id;
    ctx.tenantSettings.set(tenant.id, tenant.settings);
    [owner, admin, manager, viewer] = await Promise.all([addMember(ctx, tenantId, 'owner'), addMember(ctx, tenantId, 'admin'), addMember(ctx, tenantId, 'manager'), addMember(ctx, tenantId, 'viewer')]);
    const b = await ctx.tenants.ensure('sp-bravo', 'Bravo');
    otherTenantId = b.id;
    other = await addMember(ctx, b.id, 'owner');
  });

  after(async () => {
    await ctx?.close();
    await rm(dataDir, { recursive: true, force: true });
    assertContract(app);
  });

  async function auditActions(id = tenantId): Promise<string[]> {
    return (await ctx.audit(id).list({ limit: 100 })).map((e) => e.action);
  }

  describe('the policy', () => {
    it('every role reads the Saudi default before anything is set', async () => {
      for (const m of [owner, admin, manager, viewer]) {
        const res = await api().get('/api/v1/send-policy').set(m.headers).expect(200);
        expect(res.body.policy, m.role).to.deep.equal(DEFAULT_SEND_POLICY);
        expect(res.body.holidays).to.deep.equal([]);
      }
    });

    it('a viewer or a manager may not change it (403), and nothing changes', async () => {
      for (const m of [viewer, manager]) {
        const res = await api().put('/api/v1/send-policy').set(m.headers).send({ businessDays: [0, 1, 2, 3, 4, 5] }).expect(403);
        expect(res.body.error.code).to.equal('forbidden');
      }
      const res = await api().get('/api/v1/send-policy').set(viewer.headers).expect(200);
      expect(res.body.policy.businessDays).to.deep.equal([0, 1, 2, 3, 4]);
      expect(await auditActions()).to.not.include('sendpolicy.update');
    });

    it('an admin replaces it: omitted parts take defaults, other settings are kept, the change is audited', async () => {
      const body = { businessDays: [0, 1, 2, 3, 4, 6], businessHours: { start: '08:30', end: '17:00' }, channels: { sms: { respectBusinessHours: false } }, caps: { perContactPerDay: { whatsapp: 1, email: null } } };
      const res = await api().put('/api/v1/send-policy').set(admin.headers).send(body).expect(200);
      const expected = {
        ...DEFAULT_SEND_POLICY,
        businessDays: [0, 1, 2, 3, 4, 6],
        businessHours: { start: '08:30', end: '17:00' },
        channels: { ...DEFAULT_SEND_POLICY.channels, sms: { respectBusinessHours: false, allowedHours: { start: '09:00', end: '21:00' } } },
        caps: { ...DEFAULT_SEND_POLICY.caps, perContactPerDay: { whatsapp: 1, sms: 2, email: null, call: null } },
      };
      expect(res.body.policy).to.deep.equal(expected);
      const read = await api().get('/api/v1/send-policy').set(viewer.headers).expect(200);
      expect(read.body.policy).to.deep.equal(expected);

      const stored = await ctx.tenants.byId(tenantId);
      expect(stored?.settings).to.deep.include({ allowPrivateNetwork: true, locale: 'ar' });
      expect((stored?.settings as Record<string, unknown>).sendPolicy).to.deep.equal(expected);
      expect((ctx.tenantSettings.get(tenantId) as Record<string, unknown>).sendPolicy, 'the in-memory settings map').to.deep.equal(expected);
      expect(ctx.tenantSettings.get(tenantId)).to.deep.include({ allowPrivateNetwork: true });

      const entry = (await ctx.audit(tenantId).list({ limit: 10, action: 'sendpolicy.update' }))[0];
      expect(entry?.actor).to.equal(`user:${admin.userId}`);
      expect((entry?.details as { before: unknown; after: unknown }).before).to.deep.equal(DEFAULT_SEND_POLICY);
      expect((entry?.details as { before: unknown; after: unknown }).after).to.deep.equal(expected);
    });

    it('another tenant’s policy is its own', async () => {
      const res = await api().get('/api/v1/send-policy').set(other.headers).expect(200);
      expect(res.body.policy).to.deep.equal(DEFAULT_SEND_POLICY);
    });

    it('rejects unknown zones, empty ranges, channels that could never send, and unknown properties (400, nothing stored)', async () => {
      const bad: [unknown, string, string][] = [
        [{ timezone: 'Mars/Olympus' }, '/body/timezone', 'unknown_timezone'],
        [{ businessHours: { start: '18:00', end: '09:00' } }, '/body/businessHours', 'empty_range'],
        [{ businessHours: { start: '06:00', end: '08:00' } }, '/body/channels/sms', 'never_opens'],
        [{ businessDays: [] }, '/body/businessDays', ''],
        [{ businessDays: [7] }, '/body/businessDays/0', ''],
        [{ businessHours: { start: '9:00', end: '18:00' } }, '/body/businessHours/start', ''],
        [{ caps: { perContactPerDay: { whatsapp: -1 } } }, '/body/caps/perContactPerDay/whatsapp', ''],
        [{ weekend: [5, 6] }, '/body/weekend', ''],
        [{ senderLimits: { whatsapp: { dailyCap: 0 } } }, '/body/senderLimits/whatsapp/dailyCap', ''],
        [{ senderLimits: { sms: { rampUp: { startPerDay: 10 } } } }, '/body/senderLimits/sms/rampUp', ''],
        [{ senderLimits: { call: {} } }, '/body/senderLimits/call', ''],
        [{ senders: { 'wa-main': { dailyCap: 5, perHour: 3 } } }, '/body/senders', ''],
      ];
      const before = (await api().get('/api/v1/send-policy').set(owner.headers).expect(200)).body.policy;
      for (const [body, pathPrefix, code] of bad) {
        const res = await api().put('/api/v1/send-policy').set(owner.headers).send(body as object).expect(400);
        expect(res.body.error.code, JSON.stringify(body)).to.equal('invalid_request');
        const details = res.body.error.details as { path: string; code: string }[];
        expect(details.some((d) => d.path.startsWith(pathPrefix) && (code === '' || d.code === code)), `${JSON.stringify(body)}: ${JSON.stringify(details)}`).to.equal(true);
      }
      expect((await api().get('/api/v1/send-policy').set(owner.headers).expect(200)).body.policy).to.deep.equal(before);
    });
  });

  describe('the routes against the API contract', () => {
    let routes: RouteSpec[];
    const urlOf = (r: RouteSpec, id: string) => '/api/v1' + r.path.replace(':id', id);
    const call = (r: RouteSpec, url: string, headers: Record<string, string>, body?: unknown) => {
      const req = (api() as unknown as Record<string, (u: string) => request.Test>)[r.method]!(url).set(headers);
      return body === undefined ? req : req.send(body as object);
    };
    const sample = (r: RouteSpec) => (r.body ? minimalSample(plain(r.body)) : undefined);
    async function snapshot(): Promise<string> {
      const holidays = await ctx.db.sql.query('SELECT * FROM send_holidays ORDER BY id');
      const tenants = await ctx.db.sql.query('SELECT id, settings FROM tenants ORDER BY id');
      return JSON.stringify([holidays, tenants]);
    }

    before(() => {
      routes = sendPolicyRoutes(ctx);
    });

    it('six routes, each with a permission and a response schema; sample bodies pass their own schema', () => {
      expect(routes.map((r) => `${r.method} ${r.path}`)).to.deep.equal([
        'get /send-policy',
        'put /send-policy',
        'post /send-policy/holidays',
        'post /send-policy/holidays/defaults',
        'put /send-policy/holidays/:id',
        'delete /send-policy/holidays/:id',
      ]);
      for (const r of routes) {
        expect(r.response, `${r.method} ${r.path}`).to.not.equal(undefined);
        if (r.body) expect(strictAjv.validate(plain(r.body) as object, sample(r)), `${r.method} ${r.path} sample`).to.equal(true);
      }
    });

    it('the OpenAPI document lists them', async () => {
      const doc = (await api().get('/api/v1/openapi.json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
      for (const r of routes) expect(doc.paths[`/api/v1${r.path.replace(':id', '{id}')}`]?.[r.method], `${r.method} ${r.path}`).to.be.an('object');
    });

    it('every role is refused (403) exactly where the permission table says, and never gets a 5xx', async () => {
      const t = await ctx.tenants.ensure('sp-roles', 'Roles');
      const mismatches: string[] = [];
      for (const role of ROLES) {
        const m = await addMember(ctx, t.id, role);
        for (const r of routes) {
          const res = await call(r, urlOf(r, 'no-such-id'), m.headers, sample(r));
          const allowed = can(role, r.access as Parameters<typeof can>[1]);
          const refused = res.status === 403 && res.body?.error?.code === 'forbidden';
          if (allowed === refused || res.status >= 500 || res.status === 401) mismatches.push(`${role} ${r.method} ${r.path}: ${res.status}`);
        }
      }
      expect(mismatches).to.deep.equal([]);
    });

    it('another tenant’s owner gets 404 on every :id route with a valid body, and nothing changes', async () => {
      const h = await api().post('/api/v1/send-policy/holidays').set(owner.headers).send({ from: '2026-09-23', name: { ar: 'اليوم الوطني', en: 'National Day' } }).expect(201);
      const before = await snapshot();
      for (const r of routes.filter((x) => x.path.includes(':id'))) {
        const res = await call(r, urlOf(r, h.body.id as string), other.headers, sample(r));
        expect(res.status, `${r.method} ${r.path}`).to.equal(404);
        expect(JSON.stringify(res.body)).to.not.include(h.body.id as string);
      }
      expect(await snapshot()).to.equal(before);
      await api().delete(`/api/v1/send-policy/holidays/${h.body.id as string}`).set(owner.headers).expect(204);
    });

    it('bodies that break the schema answer 400 with an error body and write nothing', async () => {
      const before = await snapshot();
      const failures: string[] = [];
      for (const r of routes.filter((x) => x.body)) {
        const validate = strictAjv.compile(plain(r.body) as object);
        const valid = sample(r) as Record<string, unknown>;
        const mutations = fc.oneof(
          fc.jsonValue(),
          fc.record({ key: fc.constantFrom(...Object.keys(valid), 'unexpected'), value: fc.jsonValue() }).map(({ key, value }) => ({ ...valid, [key]: value })),
          fc.constantFrom(...Object.keys(valid), '').map((key) => Object.fromEntries(Object.entries(valid).filter(([k]) => k !== key))),
        );
        await fc.assert(
          fc.asyncProperty(mutations.filter((b) => !validate(structuredClone(b))), async (body) => {
            const res = await call(r, urlOf(r, 'no-such-id'), { ...owner.headers, 'Content-Type': 'application/json' }).send(JSON.stringify(body));
            if (res.status !== 400 || !res.body?.error?.code) failures.push(`${r.method} ${r.path} ${JSON.stringify(body).slice(0, 100)} → ${res.status}`);
          }),
          { numRuns: 25 },
        );
      }
      expect(failures.slice(0, 10)).to.deep.equal([]);
      expect(await snapshot()).to.equal(before);
    });
  });

  describe('holidays', () => {
    let eidId: string;

    it('an admin adds a range; the answer carries its days and Hijri dates; it is audited', async () => {
      const res = await api().post('/api/v1/send-policy/holidays').set(admin.headers).send(eid).expect(201);
      const h = res.body as HolidayBody;
      eidId = h.id;
      expect(h).to.deep.include({ from: '2026-03-19', to: '2026-03-23', days: 5, approximate: true, name: eid.name, createdBy: `user:${admin.userId}` });
      expect(h.hijri.from.en).to.match(/Ramadan 30, 1447/);
      expect(h.hijri.to.en).to.match(/Shawwal 4, 1447/);
      expect(h.hijri.from.ar).to.include('رمضان');
      expect(h.hijri.to.ar).to.include('شوال');
      expect(await auditActions()).to.include('sendpolicy.holiday.create');
    });

    it('a single day: `to` defaults to `from`; approximate to false', async () => {
      const res = await api().post('/api/v1/send-policy/holidays').set(owner.headers).send({ from: '2026-03-08', name: { ar: 'إجازة الشركة', en: 'Company day off' } }).expect(201);
      expect(res.body).to.deep.include({ from: '2026-03-08', to: '2026-03-08', days: 1, approximate: false });
    });

    it('every role lists them, by first day', async () => {
      const res = await api().get('/api/v1/send-policy').set(viewer.headers).expect(200);
      expect((res.body.holidays as HolidayBody[]).map((h) => [h.from, h.to])).to.deep.equal([
        ['2026-03-08', '2026-03-08'],
        ['2026-03-19', '2026-03-23'],
      ]);
    });

    it('the stored holidays and policy drive nextSendOpening', async () => {
      const { policy, holidays } = await new SendPolicyRepository(ctx.db, tenantId).load();
      expect(holidays).to.have.length(2);
      // The policy above opens 08:30 and counts Saturday as a business day: Thursday 17:00 →
      // Saturday 08:30; with the Sunday holiday on the 8th, Saturday the 7th is still open.
      expect(nextSendOpening(policy, holidays, 'whatsapp', new Date('2026-03-05T17:00:00+03:00')).toISOString()).to.equal('2026-03-07T05:30:00.000Z');
      // Wed 18 March 18:00 → the Eid closes Thu 19–Mon 23 (Fri is a weekend day) → Tue 24 08:30.
      expect(nextSendOpening(policy, holidays, 'whatsapp', new Date('2026-03-18T18:00:00+03:00')).toISOString()).to.equal('2026-03-24T05:30:00.000Z');
      const later = await new SendPolicyRepository(ctx.db, tenantId).load('2026-03-09');
      expect(later.holidays.map((h) => ('from' in h ? h.from : h.date))).to.deep.equal(['2026-03-19']);
    });

    it('the moon is sighted a day late: an admin moves the Eid and confirms it', async () => {
      const res = await api()
        .put(`/api/v1/send-policy/holidays/${eidId}`)
        .set(admin.headers)
        .send({ ...eid, from: '2026-03-20', to: '2026-03-24', approximate: false })
        .expect(200);
      expect(res.body).to.deep.include({ id: eidId, from: '2026-03-20', to: '2026-03-24', approximate: false });
      const list = (await api().get('/api/v1/send-policy').set(viewer.headers).expect(200)).body.holidays as HolidayBody[];
      expect(list.find((h) => h.id === eidId)).to.deep.include({ from: '2026-03-20', to: '2026-03-24', approximate: false });
      const entry = (await ctx.audit(tenantId).list({ limit: 5, action: 'sendpolicy.holiday.update' }))[0];
      expect(entry?.target).to.equal(`holiday:${eidId}`);
      expect((entry?.details as { before: { from: string } }).before.from).to.equal('2026-03-19');
    });

    it('rejects impossible dates, reversed and over-long ranges, blank names', async () => {
      const bad: [object, string][] = [
        [{ from: '2026-02-30', name: eid.name }, '/body/from'],
        [{ from: '2026-03-10', to: '2026-03-09', name: eid.name }, '/body/to'],
        [{ from: '2026-01-01', to: '2026-06-01', name: eid.name }, '/body/to'],
        [{ from: '2026-03-10', name: { ar: ' ', en: 'x' } }, '/body/name/ar'],
        [{ from: '10/03/2026', name: eid.name }, '/body/from'],
        [{ from: '2026-03-10', name: eid.name, extra: 1 }, '/body/extra'],
      ];
      for (const [body, p] of bad) {
        const res = await api().post('/api/v1/send-policy/holidays').set(owner.headers).send(body).expect(400);
        expect((res.body.error.details as { path: string }[]).map((d) => d.path), JSON.stringify(body)).to.include(p);
      }
      const put = await api().put(`/api/v1/send-policy/holidays/${eidId}`).set(owner.headers).send({ from: '2026-03-10', to: '2026-03-01', name: eid.name }).expect(400);
      expect(put.body.error.code).to.equal('invalid_request');
      const list = (await api().get('/api/v1/send-policy').set(viewer.headers).expect(200)).body.holidays as HolidayBody[];
      expect(list).to.have.length(2);
      expect(list.find((h) => h.id === eidId)?.from).to.equal('2026-03-20');
    });

    it('a viewer or a manager may not add, change or delete holidays (403)', async () => {
      for (const m of [viewer, manager]) {
        expect((await api().post('/api/v1/send-policy/holidays').set(m.headers).send(eid).expect(403)).body.error.code).to.equal('forbidden');
        await api().put(`/api/v1/send-policy/holidays/${eidId}`).set(m.headers).send(eid).expect(403);
        await api().delete(`/api/v1/send-policy/holidays/${eidId}`).set(m.headers).expect(403);
        await api().post('/api/v1/send-policy/holidays/defaults').set(m.headers).send({ year: 2026 }).expect(403);
      }
    });

    it('another tenant: 404 on change and delete, never sees them, and they stay untouched', async () => {
      const put = await api().put(`/api/v1/send-policy/holidays/${eidId}`).set(other.headers).send(eid).expect(404);
      expect(put.body.error.code).to.equal('not_found');
      await api().delete(`/api/v1/send-policy/holidays/${eidId}`).set(other.headers).expect(404);
      const theirs = await api().get('/api/v1/send-policy').set(other.headers).expect(200);
      expect(theirs.body.holidays).to.deep.equal([]);
      expect(JSON.stringify(theirs.body)).to.not.include(eidId);
      const ours = (await api().get('/api/v1/send-policy').set(owner.headers).expect(200)).body.holidays as HolidayBody[];
      expect(ours.find((h) => h.id === eidId)).to.deep.include({ from: '2026-03-20', to: '2026-03-24' });
      expect(await auditActions(otherTenantId)).to.deep.equal([]);
    });

    it('an unknown id is 404', async () => {
      await api().put('/api/v1/send-policy/holidays/nope').set(owner.headers).send(eid).expect(404);
      await api().delete('/api/v1/send-policy/holidays/nope').set(owner.headers).expect(404);
    });

    it('an admin deletes one (204, audited); a second delete is 404', async () => {
      await api().delete(`/api/v1/send-policy/holidays/${eidId}`).set(admin.headers).expect(204);
      await api().delete(`/api/v1/send-policy/holidays/${eidId}`).set(admin.headers).expect(404);
      const list = (await api().get('/api/v1/send-policy').set(viewer.headers).expect(200)).body.holidays as HolidayBody[];
      expect(list.map((h) => h.id)).to.not.include(eidId);
      const entry = (await ctx.audit(tenantId).list({ limit: 5, action: 'sendpolicy.holiday.delete' }))[0];
      expect(entry?.target).to.equal(`holiday:${eidId}`);
    });

    it('Saudi defaults for a year: Founding Day, both Eids (approximate), National Day; adding them again skips them', async () => {
      const first = await api().post('/api/v1/send-policy/holidays/defaults').set(other.headers).send({ year: 2026 }).expect(201);
      expect((first.body.created as HolidayBody[]).map((h) => [h.name.en, h.from, h.to, h.approximate])).to.deep.equal([
        ['Founding Day', '2026-02-22', '2026-02-22', false],
        ['Eid al-Fitr', '2026-03-20', '2026-03-22', true],
        ['Eid al-Adha', '2026-05-27', '2026-05-29', true],
        ['National Day', '2026-09-23', '2026-09-23', false],
      ]);
      expect(first.body.skipped).to.equal(0);
      // An admin moves Eid al-Fitr by a day; re-seeding does not add it back.
      const fitr = (first.body.created as HolidayBody[])[1]!;
      await api().put(`/api/v1/send-policy/holidays/${fitr.id}`).set(other.headers).send({ from: '2026-03-21', to: '2026-03-23', name: fitr.name, approximate: false }).expect(200);
      const again = await api().post('/api/v1/send-policy/holidays/defaults').set(other.headers).send({ year: 2026 }).expect(201);
      expect(again.body).to.deep.equal({ created: [], skipped: 4 });
      const list = (await api().get('/api/v1/send-policy').set(other.headers).expect(200)).body.holidays as HolidayBody[];
      expect(list).to.have.length(4);
      // Only tenant B got them.
      const ours = (await api().get('/api/v1/send-policy').set(owner.headers).expect(200)).body.holidays as HolidayBody[];
      expect(ours.map((h) => h.name.en)).to.deep.equal(['Company day off']);
      expect(await auditActions(otherTenantId)).to.include('sendpolicy.holiday.defaults');
    });
  });
});

// The send-policy repository on SQLite and PostgreSQL: holidays scoped by tenant, the boolean
// `approximate` column, the policy stored in tenant settings beside the other keys.
import { expect } from 'chai';
import { DEFAULT_SEND_POLICY, resolveSendPolicy } from '../../engine/index.js';
import { SendPolicyRepository, policyFromSettings } from '../../db/send-policy-repository.js';
import { TenantRepository } from '../../db/index.js';
import { DIALECTS, createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';

for (const dialect of DIALECTS) {
  describe(`send-policy repository (${dialect})`, function () {
    this.timeout(60_000);
    let t: TestDatabase;
    let a: SendPolicyRepository;
    let b: SendPolicyRepository;
    let tenantA: string;

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      t = await createTestDatabase(dialect);
      const tenants = new TenantRepository(t.db);
      tenantA = (await tenants.ensure('repo-a', 'A', { allowPrivateNetwork: true, timezone: 'Asia/Dubai' })).id;
      const tenantB = (await tenants.ensure('repo-b', 'B')).id;
      a = new SendPolicyRepository(t.db, tenantA);
      b = new SendPolicyRepository(t.db, tenantB);
    });

    after(async () => {
      await t?.db.close();
      await t?.drop();
    });

    it('with nothing stored: the default policy in the tenant’s time zone', async () => {
      expect(await a.policy()).to.deep.equal({ ...DEFAULT_SEND_POLICY, timezone: 'Asia/Dubai' });
      expect(await b.policy()).to.deep.equal(DEFAULT_SEND_POLICY);
    });

    it('saves the policy beside the other settings, in a transaction', async () => {
      const policy = resolveSendPolicy({ businessDays: [0, 1, 2, 3], caps: { perTenantPerDay: { sms: 10 } } });
      let settings: unknown;
      await t.db.sql.transaction(async (q) => {
        settings = await a.savePolicy(policy, q);
      });
      expect(settings).to.deep.include({ allowPrivateNetwork: true, timezone: 'Asia/Dubai' });
      expect(await a.policy()).to.deep.equal(policy);
      expect(policyFromSettings(settings as Record<string, unknown>)).to.deep.equal(policy);
      const stored = await new TenantRepository(t.db).byId(tenantA);
      expect(stored?.settings).to.deep.include({ allowPrivateNetwork: true, timezone: 'Asia/Dubai' });
      // A rolled-back transaction stores nothing.
      await t.db.sql
        .transaction(async (q) => {
          await a.savePolicy(DEFAULT_SEND_POLICY, q);
          throw new Error('abort');
        })
        .catch(() => undefined);
      expect(await a.policy()).to.deep.equal(policy);
    });

    it('holidays: create, read, update, delete — scoped by tenant, approximate round-trips', async () => {
      let id = '';
      await t.db.sql.transaction(async (q) => {
        id = (await a.createHoliday({ from: '2026-03-20', to: '2026-03-22', name: { ar: 'عيد الفطر', en: 'Eid al-Fitr' }, approximate: true }, 'user:1', q)).id;
        await a.createHoliday({ from: '2026-02-22', to: '2026-02-22', name: { ar: 'يوم التأسيس', en: 'Founding Day' }, approximate: false }, 'user:1', q);
      });
      const list = await a.holidays();
      expect(list.map((h) => [h.from, h.to, h.approximate, h.name.en])).to.deep.equal([
        ['2026-02-22', '2026-02-22', false, 'Founding Day'],
        ['2026-03-20', '2026-03-22', true, 'Eid al-Fitr'],
      ]);
      expect(await b.holidays()).to.deep.equal([]);
      expect(await b.holiday(id)).to.equal(null);

      let foreign: unknown = 'not run';
      await t.db.sql.transaction(async (q) => {
        foreign = await b.updateHoliday(id, { from: '2027-01-01', to: '2027-01-01', name: { ar: 'x', en: 'x' }, approximate: false }, q);
      });
      expect(foreign).to.equal(null);
      await t.db.sql.transaction(async (q) => {
        foreign = await b.deleteHoliday(id, q);
      });
      expect(foreign).to.equal(null);
      expect((await a.holiday(id))?.from).to.equal('2026-03-20');

      await t.db.sql.transaction(async (q) => {
        const changed = await a.updateHoliday(id, { from: '2026-03-21', to: '2026-03-23', name: { ar: 'عيد الفطر', en: 'Eid al-Fitr' }, approximate: false }, q);
        expect(changed?.before.approximate).to.equal(true);
        expect(changed?.after).to.deep.include({ from: '2026-03-21', approximate: false });
      });
      expect(await a.holiday(id)).to.deep.include({ from: '2026-03-21', to: '2026-03-23', approximate: false });

      const loaded = await a.load('2026-03-01');
      expect(loaded.holidays).to.deep.equal([{ from: '2026-03-21', to: '2026-03-23', name: { ar: 'عيد الفطر', en: 'Eid al-Fitr' }, approximate: false }]);

      await t.db.sql.transaction(async (q) => {
        expect((await a.deleteHoliday(id, q))?.id).to.equal(id);
      });
      expect(await a.holiday(id)).to.equal(null);
      expect(await a.holidays()).to.have.length(1);
    });
  });
}

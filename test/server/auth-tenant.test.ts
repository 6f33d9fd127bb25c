// The tenant and its settings: anyone reads, only the owner changes, values validated, the
// runtime's settings map kept in step — on SQLite and PostgreSQL.
import { expect } from 'chai';
import request from 'supertest';
import type { RequestListener } from 'node:http';
import { DIALECTS, requirePostgres } from '../helpers/databases.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { auditActions, bearer, freshApp, openAuthEnv, signup, type AuthEnv, type Session } from '../helpers/auth-env.js';

for (const dialect of DIALECTS) {
  describe(`auth: tenant settings (${dialect})`, function () {
    this.timeout(120_000);
    let env: AuthEnv;
    let app: RequestListener;
    let owner: Session;
    let other: Session;
    let admin: TestMember;
    let viewer: TestMember;

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      env = await openAuthEnv(dialect);
      app = freshApp(env.ctx);
      owner = await signup(app, { tenantName: 'Omicron', email: 'owner@omicron.test', locale: 'ar' });
      other = await signup(app, { tenantName: 'Pi', email: 'owner@pi.test' });
      admin = await addMember(env.ctx, owner.tenant.id, 'admin');
      viewer = await addMember(env.ctx, owner.tenant.id, 'viewer');
    });
    after(async () => env?.close());

    const patch = (as: Record<string, string>, body: unknown) => request(app).patch('/api/v1/tenant').set(as).send(body as object);

    it('shows the caller’s own tenant to every role', async () => {
      const res = await request(app).get('/api/v1/tenant').set(viewer.headers).expect(200);
      expect(res.body).to.deep.equal({ id: owner.tenant.id, slug: 'omicron', name: 'Omicron', settings: { locale: 'ar' } });
      expect((await request(app).get('/api/v1/tenant').set(bearer(other.accessToken)).expect(200)).body.id).to.equal(other.tenant.id);
    });

    it('lets only the owner change settings, and keeps the runtime’s map in step', async () => {
      expect((await patch(admin.headers, { settings: { retentionDays: 30 } }).expect(403)).body.error.code).to.equal('forbidden');
      await patch(viewer.headers, { name: 'x' }).expect(403);

      const res = await patch(bearer(owner.accessToken), {
        name: 'Omicron KSA',
        settings: { retentionDays: 30, bulkSendThreshold: 500, timezone: 'Asia/Riyadh', allowPrivateNetwork: true, locale: 'en' },
      }).expect(200);
      const settings = { locale: 'en', retentionDays: 30, bulkSendThreshold: 500, timezone: 'Asia/Riyadh', allowPrivateNetwork: true };
      expect(res.body).to.deep.equal({ id: owner.tenant.id, slug: 'omicron', name: 'Omicron KSA', settings });
      expect(env.ctx.tenantSettings.get(owner.tenant.id)).to.deep.equal(settings);
      expect((await request(app).get('/api/v1/tenant').set(viewer.headers).expect(200)).body.settings).to.deep.equal(settings);
      expect((await env.ctx.tenants.byId(owner.tenant.id))?.settings).to.deep.equal(settings);

      // Merge: untouched settings stay; null resets one to its default.
      const reset = await patch(bearer(owner.accessToken), { settings: { allowPrivateNetwork: null, retentionDays: 90 } }).expect(200);
      expect(reset.body.settings).to.deep.equal({ locale: 'en', retentionDays: 90, bulkSendThreshold: 500, timezone: 'Asia/Riyadh' });
      expect(env.ctx.tenantSettings.get(owner.tenant.id)).to.not.have.property('allowPrivateNetwork');
      // Another tenant is untouched.
      expect((await env.ctx.tenants.byId(other.tenant.id))?.settings).to.deep.equal({ locale: 'ar' });

      const audit = (await auditActions(env.ctx, owner.tenant.id)).filter((a) => a.action === 'tenant.updated');
      expect(audit).to.have.length(2);
      expect(audit[0]?.details).to.deep.equal({ changes: { allowPrivateNetwork: { from: true, to: null }, retentionDays: { from: 30, to: 90 } } });
      expect((audit[1]?.details as { changes: Record<string, unknown> }).changes).to.include.keys('name', 'retentionDays', 'bulkSendThreshold', 'timezone', 'allowPrivateNetwork', 'locale');
    });

    it('validates every setting and reports each problem with its path', async () => {
      const bad = await patch(bearer(owner.accessToken), { settings: { retentionDays: 0, bulkSendThreshold: 1.5, locale: 'fr', colour: 'red' } }).expect(400);
      const paths = (bad.body.error.details as { path: string }[]).map((d) => d.path);
      expect(paths).to.include.members(['/body/settings/retentionDays', '/body/settings/bulkSendThreshold', '/body/settings/locale', '/body/settings/colour']);
      expect((await patch(bearer(owner.accessToken), { settings: { retentionDays: 3651 } }).expect(400)).body.error.details[0].path).to.equal('/body/settings/retentionDays');
      const tz = await patch(bearer(owner.accessToken), { settings: { timezone: 'Mars/Olympus_Mons' } }).expect(400);
      expect(tz.body.error.details).to.deep.equal([{ path: '/body/settings/timezone', code: 'invalid_value', message: 'not an IANA time zone (e.g. Asia/Riyadh)' }]);
      await patch(bearer(owner.accessToken), {}).expect(400);
      await patch(bearer(owner.accessToken), { slug: 'new-slug' }).expect(400);
      expect((await patch(bearer(owner.accessToken), { settings: { retentionDays: 3650 } }).expect(200)).body.settings.retentionDays).to.equal(3650);
    });
  });
}

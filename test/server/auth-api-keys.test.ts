// API keys: created once-shown, used by header, refused outside their scopes (403), revoked
// at once (401) — on SQLite and PostgreSQL.
import { expect } from 'chai';
import request from 'supertest';
import type { RequestListener } from 'node:http';
import { DIALECTS, requirePostgres } from '../helpers/databases.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { waitFor } from '../helpers/wait-for.js';
import { auditActions, bearer, freshApp, openAuthEnv, signup, type AuthEnv, type Session } from '../helpers/auth-env.js';

for (const dialect of DIALECTS) {
  describe(`auth: API keys (${dialect})`, function () {
    this.timeout(120_000);
    let env: AuthEnv;
    let app: RequestListener;
    let owner: Session;
    let other: Session;
    let admin: TestMember;
    let manager: TestMember;

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      env = await openAuthEnv(dialect);
      app = freshApp(env.ctx);
      owner = await signup(app, { tenantName: 'Nu', email: 'owner@nu.test' });
      other = await signup(app, { tenantName: 'Xi', email: 'owner@xi.test' });
      admin = await addMember(env.ctx, owner.tenant.id, 'admin');
      manager = await addMember(env.ctx, owner.tenant.id, 'manager');
    });
    after(async () => env?.close());

    const create = (as: Record<string, string>, body: Record<string, unknown>) => request(app).post('/api/v1/api-keys').set(as).send(body);

    it('creates a key shown once, which then authenticates with its role and scopes', async () => {
      const res = await create(admin.headers, { name: 'CRM sync', role: 'viewer', scopes: ['tenant.read', 'flows.read'] }).expect(201);
      const key = res.body.key as string;
      expect(key).to.match(/^tdf_key_[\w-]{43}$/);
      expect(res.body).to.include({ name: 'CRM sync', role: 'viewer', prefix: key.slice(0, 14), createdBy: `user:${admin.userId}`, lastUsedAt: null, revokedAt: null });
      expect(res.body.scopes).to.deep.equal(['tenant.read', 'flows.read']);

      const viaHeader = await request(app).get('/api/v1/tenant').set('X-API-Key', key).expect(200);
      expect(viaHeader.body.id).to.equal(owner.tenant.id);
      await request(app).get('/api/v1/tenant').set(bearer(key)).expect(200);

      const listed = await request(app).get('/api/v1/api-keys').set(admin.headers).expect(200);
      const item = listed.body.items.find((k: { id: string }) => k.id === res.body.id);
      expect(item).to.include({ prefix: key.slice(0, 14) }).and.not.have.property('key');
      expect(JSON.stringify(listed.body)).not.to.include(key);
      await waitFor(async () => {
        const again = await request(app).get('/api/v1/api-keys').set(admin.headers).expect(200);
        return again.body.items.find((k: { id: string }) => k.id === res.body.id)?.lastUsedAt !== null;
      });

      const audit = await auditActions(env.ctx, owner.tenant.id);
      expect(audit.find((a) => a.action === 'apikey.created' && a.target === `apikey:${res.body.id}`)).to.not.equal(undefined);
      expect(JSON.stringify(audit)).not.to.include(key);
    });

    it('refuses what a key’s scopes leave out (403), even when its role allows it', async () => {
      const res = await create(admin.headers, { name: 'narrow admin', role: 'admin', scopes: ['tenant.read'] }).expect(201);
      await request(app).get('/api/v1/tenant').set('X-API-Key', res.body.key).expect(200);
      const refused = await request(app).get('/api/v1/users').set('X-API-Key', res.body.key).expect(403);
      expect(refused.body.error.code).to.equal('forbidden');
      await request(app).get('/api/v1/api-keys').set('X-API-Key', res.body.key).expect(403);
      // Person-only routes refuse keys.
      expect((await request(app).get('/api/v1/auth/me').set('X-API-Key', res.body.key).expect(403)).body.error.code).to.equal('users_only');
    });

    it('limits a key to its role’s permissions and its creator’s', async () => {
      const owners = await create(admin.headers, { name: 'x', role: 'owner', scopes: ['tenant.read'] }).expect(400);
      expect(owners.body.error.details.map((d: { path: string }) => d.path)).to.deep.equal(['/body/role']);
      const beyondRole = await create(admin.headers, { name: 'x', role: 'viewer', scopes: ['flows.read', 'flows.write'] }).expect(400);
      expect(beyondRole.body.error.details).to.deep.equal([{ path: '/body/scopes/1', code: 'not_in_role', message: 'the role viewer does not have flows.write' }]);
      const unknown = await create(admin.headers, { name: 'x', role: 'viewer', scopes: ['root.everything'] }).expect(400);
      expect(unknown.body.error.details[0].path).to.equal('/body/scopes/0');
      await create(admin.headers, { name: 'x', role: 'viewer', scopes: [] }).expect(400);
      await create(manager.headers, { name: 'x', role: 'viewer', scopes: ['flows.read'] }).expect(403);

      // A key that manages keys hands on only what it holds.
      const keyMaker = await create(admin.headers, { name: 'key maker', role: 'admin', scopes: ['apikeys.manage', 'tenant.read'] }).expect(201);
      const keyHeaders = { 'X-API-Key': keyMaker.body.key as string };
      const lacking = await create(keyHeaders, { name: 'y', role: 'viewer', scopes: ['flows.read'] }).expect(403);
      expect(lacking.body.error.code).to.equal('role_too_high');
      const made = await create(keyHeaders, { name: 'y', role: 'viewer', scopes: ['tenant.read'] }).expect(201);
      expect(made.body.createdBy).to.equal(`apikey:${keyMaker.body.id}`);
    });

    it('revokes a key: refused with 401 from the next request, hidden unless asked, other tenants get 404', async () => {
      const res = await create(bearer(owner.accessToken), { name: 'to revoke', role: 'manager', scopes: ['flows.read'] }).expect(201);
      await request(app).get('/api/v1/api-keys').set(bearer(owner.accessToken)).expect(200);
      await request(app).delete(`/api/v1/api-keys/${res.body.id}`).set(bearer(other.accessToken)).expect(404);
      await request(app).get('/api/v1/tenant').set('X-API-Key', res.body.key).expect(403); // scope lacks tenant.read: still a live key
      await request(app).delete(`/api/v1/api-keys/${res.body.id}`).set(admin.headers).expect(204);
      const refused = await request(app).get('/api/v1/tenant').set('X-API-Key', res.body.key).expect(401);
      expect(refused.body.error.code).to.equal('invalid_api_key');
      await request(app).delete(`/api/v1/api-keys/${res.body.id}`).set(admin.headers).expect(204);

      const active = await request(app).get('/api/v1/api-keys').set(admin.headers).expect(200);
      expect(active.body.items.map((k: { id: string }) => k.id)).not.to.include(res.body.id);
      const all = await request(app).get('/api/v1/api-keys?includeRevoked=true').set(admin.headers).expect(200);
      expect(all.body.items.find((k: { id: string }) => k.id === res.body.id)?.revokedAt).to.be.a('string');
      const theirs = await request(app).get('/api/v1/api-keys?includeRevoked=true').set(bearer(other.accessToken)).expect(200);
      expect(theirs.body.items).to.deep.equal([]);
      expect((await auditActions(env.ctx, owner.tenant.id)).filter((a) => a.action === 'apikey.revoked' && a.target === `apikey:${res.body.id}`)).to.have.length(1);
    });
  });
}

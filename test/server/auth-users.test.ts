// Members, roles and invitations of a tenant — on SQLite and PostgreSQL.
import { expect } from 'chai';
import request from 'supertest';
import type { RequestListener } from 'node:http';
import { DIALECTS, requirePostgres } from '../helpers/databases.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { PASSWORD, auditActions, bearer, freshApp, login, openAuthEnv, signup, type AuthEnv, type Session } from '../helpers/auth-env.js';

for (const dialect of DIALECTS) {
  describe(`auth: users, roles and invitations (${dialect})`, function () {
    this.timeout(120_000);
    let env: AuthEnv;
    let app: RequestListener;
    let owner: Session;
    let admin: TestMember;
    let manager: TestMember;
    let viewer: TestMember;
    let outsider: Session; // owner of another tenant

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      env = await openAuthEnv(dialect);
      app = freshApp(env.ctx);
      owner = await signup(app, { tenantName: 'Kappa Sales', email: 'owner@kappa.test' });
      outsider = await signup(app, { tenantName: 'Lambda', email: 'owner@lambda.test' });
      admin = await addMember(env.ctx, owner.tenant.id, 'admin');
      manager = await addMember(env.ctx, owner.tenant.id, 'manager');
      viewer = await addMember(env.ctx, owner.tenant.id, 'viewer');
    });
    after(async () => env?.close());
    beforeEach(() => {
      app = freshApp(env.ctx);
    });

    const invite = (as: Record<string, string>, email: string, role: string) => request(app).post('/api/v1/users/invitations').set(as).send({ email, role });
    const accept = (body: Record<string, unknown>) => request(app).post('/api/v1/auth/invitations/accept').send(body);
    const ownerH = () => bearer(owner.accessToken);

    it('lists members with their roles (admins only)', async () => {
      const res = await request(app).get('/api/v1/users').set(admin.headers).expect(200);
      const byEmail = Object.fromEntries((res.body.items as { email: string; role: string }[]).map((m) => [m.email, m.role]));
      expect(byEmail).to.deep.equal({ 'owner@kappa.test': 'owner', [admin.email]: 'admin', [manager.email]: 'manager', [viewer.email]: 'viewer' });
      expect(JSON.stringify(res.body)).not.to.match(/password|hash/i);
      await request(app).get('/api/v1/users').set(viewer.headers).expect(403);
      await request(app).get('/api/v1/users').set(manager.headers).expect(403);
    });

    it('invites a new person, who accepts once with a name and password', async () => {
      const created = await invite(admin.headers, 'New.Person@Example.test', 'manager').expect(201);
      expect(created.body).to.include({ email: 'new.person@example.test', role: 'manager', status: 'pending', invitedBy: `user:${admin.userId}` });
      expect(created.body.token).to.match(/^tdf_inv_/);
      const days = (Date.parse(created.body.expiresAt) - Date.now()) / 86_400_000;
      expect(days).to.be.within(6.99, 7.01);

      const listed = await request(app).get('/api/v1/users/invitations').set(admin.headers).expect(200);
      const item = listed.body.items.find((i: { id: string }) => i.id === created.body.id);
      expect(item).to.include({ status: 'pending' }).and.not.have.property('token');
      expect(JSON.stringify(listed.body)).not.to.include(created.body.token);

      const noName = await accept({ token: created.body.token, password: PASSWORD }).expect(400);
      expect(noName.body.error.details.map((d: { path: string }) => d.path)).to.deep.equal(['/body/name']);
      const short = await accept({ token: created.body.token, name: 'N', password: 'short' }).expect(400);
      expect(short.body.error.details.map((d: { path: string }) => d.path)).to.deep.equal(['/body/password']);

      const session = await accept({ token: created.body.token, name: 'New Person', password: PASSWORD }).expect(201);
      expect(session.body).to.deep.include({ role: 'manager', tenant: owner.tenant });
      expect(session.body.user).to.include({ email: 'new.person@example.test', name: 'New Person' });
      await request(app).get('/api/v1/auth/me').set(bearer(session.body.accessToken)).expect(200);
      expect((await login(app, 'new.person@example.test')).role).to.equal('manager');

      const again = await accept({ token: created.body.token, name: 'Someone Else', password: PASSWORD }).expect(410);
      expect(again.body.error.code).to.equal('invitation_used');
      const after = await request(app).get('/api/v1/users/invitations?status=accepted').set(admin.headers).expect(200);
      expect(after.body.items.map((i: { id: string }) => i.id)).to.include(created.body.id);
      const actions = (await auditActions(env.ctx, owner.tenant.id)).map((a) => a.action);
      expect(actions).to.include.members(['invitation.created', 'invitation.accepted']);
    });

    it('lets an existing account accept with its own password, and adds the membership', async () => {
      const created = await invite(ownerH(), 'OWNER@lambda.test', 'viewer').expect(201);
      const wrong = await accept({ token: created.body.token, password: 'not the password' }).expect(401);
      expect(wrong.body.error.code).to.equal('invalid_credentials');
      const ok = await accept({ token: created.body.token, password: PASSWORD, name: 'ignored' }).expect(201);
      expect(ok.body.user.id).to.equal(outsider.user.id);
      expect(ok.body.user.name).to.equal('Test Owner');
      expect(ok.body.role).to.equal('viewer');
      expect(ok.body.tenants.map((t: { slug: string }) => t.slug).sort()).to.deep.equal(['kappa-sales', 'lambda']);
      // Now a member: inviting again is a conflict.
      expect((await invite(admin.headers, 'owner@lambda.test', 'manager').expect(409)).body.error.code).to.equal('already_member');
      await request(app).delete(`/api/v1/users/${outsider.user.id}`).set(ownerH()).expect(204);
    });

    it('refuses expired and revoked invitations; a new invitation replaces an open one', async () => {
      const expiring = await invite(admin.headers, 'late@example.test', 'viewer').expect(201);
      await env.ctx.db.sql.transaction(async (q) => void (await q('UPDATE invitations SET expires_at = $1 WHERE id = $2', [Date.now() - 1, expiring.body.id])));
      expect((await accept({ token: expiring.body.token, name: 'Late', password: PASSWORD }).expect(410)).body.error.code).to.equal('invitation_expired');

      const first = await invite(admin.headers, 'twice@example.test', 'viewer').expect(201);
      const second = await invite(admin.headers, 'twice@example.test', 'manager').expect(201);
      expect((await accept({ token: first.body.token, name: 'T', password: PASSWORD }).expect(410)).body.error.code).to.equal('invitation_revoked');

      await request(app).delete(`/api/v1/users/invitations/${second.body.id}`).set(admin.headers).expect(204);
      await request(app).delete(`/api/v1/users/invitations/${second.body.id}`).set(admin.headers).expect(204);
      expect((await accept({ token: second.body.token, name: 'T', password: PASSWORD }).expect(410)).body.error.code).to.equal('invitation_revoked');
      const revoked = await request(app).get('/api/v1/users/invitations?status=revoked').set(admin.headers).expect(200);
      expect(revoked.body.items.map((i: { id: string }) => i.id)).to.include.members([first.body.id, second.body.id]);
      expect((await auditActions(env.ctx, owner.tenant.id)).filter((a) => a.action === 'invitation.revoked')).to.have.length(1);

      await accept({ token: 'tdf_inv_unknown', name: 'T', password: PASSWORD }).expect(404);
      expect(await env.ctx.users.byEmail('twice@example.test')).to.equal(null);
    });

    it('keeps invitations inside the tenant and the owner role with owners', async () => {
      const mine = await invite(admin.headers, 'scoped@example.test', 'viewer').expect(201);
      await request(app).delete(`/api/v1/users/invitations/${mine.body.id}`).set(bearer(outsider.accessToken)).expect(404);
      const theirs = await request(app).get('/api/v1/users/invitations').set(bearer(outsider.accessToken)).expect(200);
      expect(theirs.body.items.map((i: { id: string }) => i.id)).not.to.include(mine.body.id);

      expect((await invite(admin.headers, 'boss@example.test', 'owner').expect(403)).body.error.code).to.equal('owner_required');
      await invite(manager.headers, 'x@example.test', 'viewer').expect(403);
      await invite(viewer.headers, 'x@example.test', 'viewer').expect(403);
      const bad = await invite(admin.headers, 'not-an-email', 'emperor').expect(400);
      expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).to.deep.equal(['/body/email', '/body/role']);
    });

    it('changes roles: only an owner grants or takes away owner, admins never touch owners, the last owner stays', async () => {
      const m = await addMember(env.ctx, owner.tenant.id, 'manager');
      const patch = (as: Record<string, string>, id: string, role: string) => request(app).patch(`/api/v1/users/${id}`).set(as).send({ role });

      const promoted = await patch(admin.headers, m.userId, 'admin').expect(200);
      expect(promoted.body).to.include({ id: m.userId, role: 'admin', email: m.email });
      expect((await patch(admin.headers, m.userId, 'owner').expect(403)).body.error.code).to.equal('owner_required');
      expect((await patch(admin.headers, owner.user.id, 'viewer').expect(403)).body.error.code).to.equal('owner_required');
      await patch(manager.headers, m.userId, 'viewer').expect(403);

      // A demotion takes effect on the very next request.
      await patch(admin.headers, m.userId, 'viewer').expect(200);
      await request(app).get('/api/v1/users').set(m.headers).expect(403);

      // The last owner can be neither demoted nor removed, by anyone.
      expect((await patch(ownerH(), owner.user.id, 'admin').expect(409)).body.error.code).to.equal('last_owner');
      expect((await request(app).delete(`/api/v1/users/${owner.user.id}`).set(ownerH()).expect(409)).body.error.code).to.equal('last_owner');
      // With a second owner, the first may step down.
      await patch(ownerH(), m.userId, 'owner').expect(200);
      await patch(m.headers, owner.user.id, 'admin').expect(200);
      expect((await patch(m.headers, m.userId, 'admin').expect(409)).body.error.code).to.equal('last_owner');
      await patch(m.headers, owner.user.id, 'owner').expect(200);

      // Another tenant's user, or nobody: 404.
      await patch(ownerH(), outsider.user.id, 'viewer').expect(404);
      await patch(ownerH(), 'no-such-user', 'viewer').expect(404);
      await request(app).delete(`/api/v1/users/${outsider.user.id}`).set(ownerH()).expect(404);

      const changes = (await auditActions(env.ctx, owner.tenant.id)).filter((a) => a.action === 'user.role_changed' && a.target === `user:${m.userId}`);
      expect(changes.map((c) => c.details)).to.deep.include({ from: 'manager', to: 'admin' });
      // Put things back for the other tests: m leaves.
      await request(app).delete(`/api/v1/users/${m.userId}`).set(ownerH()).expect(204);
    });

    it('never leaves a tenant without an owner when two owners demote each other at once', async () => {
      const t = await signup(app, { tenantName: 'Mu', email: 'a@mu.test' });
      const second = await addMember(env.ctx, t.tenant.id, 'owner');
      const [x, y] = await Promise.all([
        request(app).patch(`/api/v1/users/${second.userId}`).set(bearer(t.accessToken)).send({ role: 'admin' }),
        request(app).patch(`/api/v1/users/${t.user.id}`).set(second.headers).send({ role: 'admin' }),
      ]);
      // Exactly one wins; the other finds either one owner left (409) or itself demoted (403).
      const statuses = [x?.status, y?.status].sort();
      expect(statuses[0]).to.equal(200);
      expect([403, 409]).to.include(statuses[1]);
      const owners = (await env.ctx.users.members(t.tenant.id)).filter((mm) => mm.role === 'owner');
      expect(owners).to.have.length(1);
    });

    it('removes a member: their access and refresh tokens stop working at once', async () => {
      const leaving = await addMember(env.ctx, owner.tenant.id, 'manager');
      const session = await login(app, leaving.email, leaving.password);
      expect((await request(app).delete(`/api/v1/users/${leaving.userId}`).set(manager.headers).expect(403)).body.error.code).to.equal('forbidden');
      await request(app).delete(`/api/v1/users/${leaving.userId}`).set(admin.headers).expect(204);
      await request(app).get('/api/v1/auth/me').set(bearer(session.accessToken)).expect(401);
      await request(app).post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken }).expect(401);
      await request(app).delete(`/api/v1/users/${leaving.userId}`).set(admin.headers).expect(404);
      const users = await request(app).get('/api/v1/users').set(admin.headers).expect(200);
      expect(users.body.items.map((u: { id: string }) => u.id)).not.to.include(leaving.userId);
      // The person still exists, and signing in says they belong nowhere.
      expect((await request(app).post('/api/v1/auth/login').send({ email: leaving.email, password: leaving.password }).expect(403)).body.error.code).to.equal('no_membership');
      const removed = (await auditActions(env.ctx, owner.tenant.id)).find((a) => a.action === 'user.removed' && a.target === `user:${leaving.userId}`);
      expect(removed?.actor).to.equal(`user:${admin.userId}`);
      expect((await request(app).delete(`/api/v1/users/${owner.user.id}`).set(admin.headers).expect(403)).body.error.code).to.equal('owner_required');
    });
  });
}

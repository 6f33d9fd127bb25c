// Sign-up, login, me, refresh rotation and reuse detection, logout, lockout, tenant switch,
// expired tokens and the profile — on SQLite and PostgreSQL. The per-IP rate limit (memory
// only) runs once, below.
import { expect } from 'chai';
import request from 'supertest';
import type { RequestListener } from 'node:http';
import { DIALECTS, requirePostgres } from '../helpers/databases.js';
import { PASSWORD, auditActions, bearer, freshApp, login, openAuthEnv, signup, type AuthEnv, type Session } from '../helpers/auth-env.js';
import { LOGIN_RATE } from '../../server/routes/auth.js';
import { LOCKOUT_MS, MAX_FAILED_LOGINS } from '../../server/auth/login-guard.js';
import { PERMISSIONS } from '../../server/auth/permissions.js';

for (const dialect of DIALECTS) {
  describe(`auth: sessions, lockout, tenant switch (${dialect})`, function () {
    this.timeout(120_000);
    let env: AuthEnv;
    let app: RequestListener;

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      env = await openAuthEnv(dialect);
    });
    after(async () => env?.close());
    // Each test gets its own app: the in-memory per-IP sign-in limit starts afresh.
    beforeEach(() => {
      app = freshApp(env.ctx);
    });

    const refresh = (token: string) => request(app).post('/api/v1/auth/refresh').send({ refreshToken: token });
    const attempt = (email: string, password: string) => request(app).post('/api/v1/auth/login').send({ email, password });

    it('signs up, logs in, reads me, rotates refresh tokens, detects reuse and logs out', async () => {
      const s = await signup(app, { tenantName: 'Acme Trading', name: 'Sara', email: 'Sara@Example.test', locale: 'en' });
      expect(s.tenant.slug).to.equal('acme-trading');
      expect(s.role).to.equal('owner');
      expect(s.user).to.include({ email: 'sara@example.test', name: 'Sara', locale: 'en' });
      expect(s.tenants).to.deep.equal([{ id: s.tenant.id, slug: 'acme-trading', name: 'Acme Trading', role: 'owner' }]);
      expect(s.refreshToken).to.match(/^tdf_rt_/);
      expect(s.expiresIn).to.equal(900);
      expect(env.ctx.tenantSettings.get(s.tenant.id)).to.deep.equal({ locale: 'en' });

      const l = await login(app, 'SARA@example.test');
      expect(l.tenant.id).to.equal(s.tenant.id);
      expect(l.role).to.equal('owner');
      expect(l.user.id).to.equal(s.user.id);

      const me = await request(app).get('/api/v1/auth/me').set(bearer(l.accessToken)).expect(200);
      expect(me.body.user).to.deep.equal(l.user);
      expect(me.body.role).to.equal('owner');
      expect(me.body.tenant).to.deep.equal({ id: s.tenant.id, slug: 'acme-trading', name: 'Acme Trading' });
      expect(me.body.permissions).to.have.members(Object.keys(PERMISSIONS));

      // Rotation: each refresh answers a new pair; the new access token works.
      const r1 = (await refresh(l.refreshToken).expect(200)).body as Session;
      expect(r1.refreshToken).to.match(/^tdf_rt_/).and.not.equal(l.refreshToken);
      await request(app).get('/api/v1/auth/me').set(bearer(r1.accessToken)).expect(200);
      const r2 = (await refresh(r1.refreshToken).expect(200)).body as Session;

      // Reuse of a rotated token: 401, and the whole family (including the live r2) dies.
      const reused = await refresh(l.refreshToken).expect(401);
      expect(reused.body.error.code).to.equal('refresh_token_reused');
      expect((await refresh(r2.refreshToken).expect(401)).body.error.code).to.equal('invalid_refresh_token');
      expect((await refresh('tdf_rt_nonsense').expect(401)).body.error.code).to.equal('invalid_refresh_token');

      // Another sign-in (the sign-up's family) is untouched; logout ends it.
      const s2 = (await refresh(s.refreshToken).expect(200)).body as Session;
      await request(app).post('/api/v1/auth/logout').send({ refreshToken: s2.refreshToken }).expect(204);
      expect((await refresh(s2.refreshToken).expect(401)).body.error.code).to.equal('invalid_refresh_token');
      await request(app).post('/api/v1/auth/logout').send({ refreshToken: s2.refreshToken }).expect(204);

      const audit = await auditActions(env.ctx, s.tenant.id);
      expect(audit.map((a) => a.action)).to.include.members(['auth.signup', 'auth.refresh_token_reused']);
      const logged = JSON.stringify(audit);
      for (const secret of [PASSWORD, s.refreshToken, l.refreshToken, r1.refreshToken, l.accessToken]) expect(logged).not.to.include(secret);
    });

    it('refuses sign-up with a taken email or slug, a short password or a reserved slug', async () => {
      await signup(app, { tenantName: 'Beta LLC', email: 'beta@example.test' });
      const taken = await request(app).post('/api/v1/auth/signup').send({ tenantName: 'Other', name: 'X', email: 'BETA@example.test', password: PASSWORD }).expect(409);
      expect(taken.body.error.code).to.equal('email_taken');
      const slug = await request(app).post('/api/v1/auth/signup').send({ tenantName: 'Other', tenantSlug: 'beta-llc', name: 'X', email: 'x1@example.test', password: PASSWORD }).expect(409);
      expect(slug.body.error.code).to.equal('slug_taken');
      expect(slug.body.error.details).to.deep.equal([{ path: '/body/tenantSlug', code: 'taken', message: 'this slug is taken' }]);
      const reserved = await request(app).post('/api/v1/auth/signup').send({ tenantName: 'Other', tenantSlug: 'admin', name: 'X', email: 'x2@example.test', password: PASSWORD }).expect(409);
      expect(reserved.body.error.code).to.equal('slug_taken');
      const short = await request(app).post('/api/v1/auth/signup').send({ tenantName: 'Other', name: 'X', email: 'x3@example.test', password: 'short' }).expect(400);
      expect(short.body.error.details.map((d: { path: string }) => d.path)).to.deep.equal(['/body/password']);
      // The same name again gets a derived, free slug; an Arabic name gets a generic one.
      const again = await signup(app, { tenantName: 'Beta LLC', email: 'beta2@example.test' });
      expect(again.tenant.slug).to.match(/^beta-llc-[0-9a-f]{6}$/);
      const arabic = await signup(app, { tenantName: 'شركة النخيل', email: 'nakheel@example.test' });
      expect(arabic.tenant.slug).to.match(/^tenant(-[0-9a-f]{6})?$/);
      expect(await env.ctx.users.byEmail('x1@example.test')).to.equal(null);
    });

    it('leaves nothing behind when a sign-up loses a race for its email', async () => {
      const body = (i: number) => ({ tenantName: `Race ${i}`, tenantSlug: `race-${i}`, name: 'R', email: 'race@example.test', password: PASSWORD });
      const answers = await Promise.all([0, 1, 2].map((i) => request(app).post('/api/v1/auth/signup').send(body(i))));
      expect(answers.map((a) => a.status).sort()).to.deep.equal([201, 409, 409]);
      for (const a of answers.filter((x) => x.status === 409)) expect(a.body.error.code).to.equal('email_taken');
      const tenants = (await env.ctx.tenants.list()).filter((t) => t.slug.startsWith('race-'));
      expect(tenants).to.have.length(1);
      const memberships = await env.ctx.db.sql.query("SELECT COUNT(*) AS n FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'race@example.test'");
      expect(Number(memberships[0]?.n)).to.equal(1);
    });

    it('answers the same 401 for a wrong password and an unknown email', async () => {
      await signup(app, { tenantName: 'Gamma', email: 'gamma@example.test' });
      const wrong = await attempt('gamma@example.test', 'not the password').expect(401);
      const unknown = await attempt('nobody@example.test', 'not the password').expect(401);
      expect(wrong.body).to.deep.equal(unknown.body);
      expect(wrong.body.error.code).to.equal('invalid_credentials');
    });

    it(`locks an account after ${MAX_FAILED_LOGINS} consecutive failures (423 + Retry-After), resets on success and on expiry`, async () => {
      const s = await signup(app, { tenantName: 'Delta', email: 'delta@example.test' });
      for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) await attempt('delta@example.test', `wrong ${i}`).expect(401);
      await login(app, 'delta@example.test'); // success resets the count
      for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) await attempt('delta@example.test', `wrong ${i}`).expect(401);
      const locked = await attempt('delta@example.test', 'wrong again').expect(423);
      expect(locked.body.error.code).to.equal('account_locked');
      const retryAfter = Number(locked.headers['retry-after']);
      expect(retryAfter).to.be.greaterThan(LOCKOUT_MS / 1000 - 60).and.at.most(LOCKOUT_MS / 1000);
      // Even the right password is refused while locked.
      expect((await attempt('delta@example.test', PASSWORD).expect(423)).body.error.code).to.equal('account_locked');
      const lockEntry = (await auditActions(env.ctx, s.tenant.id)).find((a) => a.action === 'auth.account_locked');
      expect(lockEntry?.target).to.equal(`user:${s.user.id}`);
      expect(JSON.stringify(lockEntry)).not.to.include('wrong');

      // The lock runs out: the right password works again and the count starts from zero.
      await env.ctx.db.sql.transaction(async (q) => void (await q('UPDATE users SET locked_until = $1 WHERE id = $2', [Date.now() - 1000, s.user.id])));
      await login(app, 'delta@example.test');
      const user = await env.ctx.users.byId(s.user.id);
      expect(user).to.include({ failedLogins: 0, lockedUntil: null });
    });

    it('locks unknown emails the same way, so a lock reveals nothing', async () => {
      for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) await attempt('ghost@example.test', `wrong ${i}`).expect(401);
      const locked = await attempt('ghost@example.test', 'wrong').expect(423);
      expect(locked.body.error.code).to.equal('account_locked');
      expect(Number(locked.headers['retry-after'])).to.be.greaterThan(0);
    });

    it('switches between the tenants a user belongs to', async () => {
      const s = await signup(app, { tenantName: 'Zeta Co', email: 'zeta@example.test' });
      const alpha = await env.ctx.tenants.ensure('alpha-co', 'Alpha Co');
      const other = await env.ctx.tenants.ensure('omega-co', 'Omega Co');
      await env.ctx.db.sql.transaction(async (q) => env.ctx.users.addMembership(alpha.id, s.user.id, 'viewer', q));

      const first = await login(app, 'zeta@example.test');
      expect(first.tenants.map((t) => [t.slug, t.role])).to.deep.equal([
        ['alpha-co', 'viewer'],
        ['zeta-co', 'owner'],
      ]);
      expect(first.tenant.slug).to.equal('alpha-co'); // the first of `tenants`
      const zeta = await login(app, 'zeta@example.test', PASSWORD, 'zeta-co');
      expect(zeta.role).to.equal('owner');
      const notMember = await request(app).post('/api/v1/auth/login').send({ email: 'zeta@example.test', password: PASSWORD, tenant: 'omega-co' }).expect(404);
      expect(notMember.body.error.code).to.equal('not_found');

      const switched = await request(app).post('/api/v1/auth/switch-tenant').set(bearer(zeta.accessToken)).send({ tenant: 'alpha-co' }).expect(200);
      expect(switched.body.tenant.id).to.equal(alpha.id);
      expect(switched.body.role).to.equal('viewer');
      const me = await request(app).get('/api/v1/auth/me').set(bearer(switched.body.accessToken)).expect(200);
      expect(me.body.tenant.slug).to.equal('alpha-co');
      expect(me.body.permissions).to.include('flows.read').and.not.include('tenant.update');
      // The switched session refreshes within its tenant.
      const r = await refresh(switched.body.refreshToken).expect(200);
      expect((await request(app).get('/api/v1/auth/me').set(bearer(r.body.accessToken)).expect(200)).body.tenant.id).to.equal(alpha.id);

      await request(app).post('/api/v1/auth/switch-tenant').set(bearer(zeta.accessToken)).send({ tenant: other.slug }).expect(404);
      await request(app).post('/api/v1/auth/switch-tenant').set(bearer(zeta.accessToken)).send({ tenant: 'no-such-tenant' }).expect(404);
      await request(app).post('/api/v1/auth/switch-tenant').send({ tenant: 'alpha-co' }).expect(401);
    });

    it('answers 401 token_expired for an expired access token and invalid_token for a forged one', async () => {
      const s = await signup(app, { tenantName: 'Eta', email: 'eta@example.test' });
      const expired = env.ctx.tokens.issueAccess(s.user.id, s.tenant.id, -60);
      const res = await request(app).get('/api/v1/auth/me').set(bearer(expired)).expect(401);
      expect(res.body.error.code).to.equal('token_expired');
      const forged = s.accessToken.slice(0, -4) + (s.accessToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      expect((await request(app).get('/api/v1/auth/me').set(bearer(forged)).expect(401)).body.error.code).to.equal('invalid_token');
      expect((await request(app).get('/api/v1/auth/me').expect(401)).body.error.code).to.equal('unauthenticated');
    });

    it('changes name and language, and the password (with the current one; every other session ends)', async () => {
      const s = await signup(app, { tenantName: 'Theta', email: 'theta@example.test' });
      const other = await login(app, 'theta@example.test');
      const renamed = await request(app).patch('/api/v1/auth/me').set(bearer(s.accessToken)).send({ name: 'ثيتا', locale: 'en' }).expect(200);
      expect(renamed.body.user).to.include({ name: 'ثيتا', locale: 'en' });
      expect(renamed.body).not.to.have.property('session');

      const noCurrent = await request(app).patch('/api/v1/auth/me').set(bearer(s.accessToken)).send({ newPassword: 'another long passphrase' }).expect(400);
      expect(noCurrent.body.error.details[0].path).to.equal('/body/currentPassword');
      const wrong = await request(app).patch('/api/v1/auth/me').set(bearer(s.accessToken)).send({ currentPassword: 'not it at all', newPassword: 'another long passphrase' }).expect(400);
      expect(wrong.body.error.details).to.deep.equal([{ path: '/body/currentPassword', code: 'incorrect', message: 'the current password is not correct' }]);
      const tooShort = await request(app).patch('/api/v1/auth/me').set(bearer(s.accessToken)).send({ currentPassword: PASSWORD, newPassword: 'short' }).expect(400);
      expect(tooShort.body.error.details[0].path).to.equal('/body/newPassword');

      const changed = await request(app).patch('/api/v1/auth/me').set(bearer(s.accessToken)).send({ currentPassword: PASSWORD, newPassword: 'another long passphrase' }).expect(200);
      expect(changed.body.session.refreshToken).to.match(/^tdf_rt_/);
      await refresh(other.refreshToken).expect(401);
      await refresh(s.refreshToken).expect(401);
      await refresh(changed.body.session.refreshToken).expect(200);
      await attempt('theta@example.test', PASSWORD).expect(401);
      await login(app, 'theta@example.test', 'another long passphrase');
      const audit = await auditActions(env.ctx, s.tenant.id);
      expect(audit.map((a) => a.action)).to.include('auth.password_changed');
      expect(JSON.stringify(audit)).not.to.include('another long passphrase');
    });
  });
}

describe('auth: per-IP sign-in rate limit', function () {
  this.timeout(120_000);
  let env: AuthEnv;
  before(async () => {
    env = await openAuthEnv('sqlite');
  });
  after(async () => env?.close());

  it(`answers 429 with Retry-After after ${LOGIN_RATE.limit} sign-in attempts a minute from one address`, async () => {
    const app = freshApp(env.ctx);
    await signup(app, { tenantName: 'Iota', email: 'iota@example.test' });
    // One unknown email: after the lock (423, no password hashing) the attempts are cheap but still count.
    const statuses: number[] = [];
    for (let i = 0; i < LOGIN_RATE.limit; i++) {
      statuses.push((await request(app).post('/api/v1/auth/login').send({ email: 'nobody@example.test', password: 'whatever it is' })).status);
    }
    expect(new Set(statuses)).to.deep.equal(new Set([401, 423]));
    const limited = await request(app).post('/api/v1/auth/login').send({ email: 'iota@example.test', password: PASSWORD }).expect(429);
    expect(limited.body.error.code).to.equal('rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).to.be.greaterThan(0).and.at.most(LOGIN_RATE.windowMs / 1000);
    // Invitation acceptance checks passwords too: the same limit applies.
    await request(app).post('/api/v1/auth/invitations/accept').send({ token: 'tdf_inv_x', password: 'whatever it is' }).expect(429);
    // The account itself was not touched by the limit.
    expect((await env.ctx.users.byEmail('iota@example.test'))?.failedLogins).to.equal(0);
  });

  it('documents every auth route in the OpenAPI document, sign-in routes as public', async () => {
    const app = freshApp(env.ctx);
    const doc = (await request(app).get('/api/v1/openapi.json').expect(200)).body as { paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>> };
    for (const p of ['/api/v1/auth/signup', '/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/logout', '/api/v1/auth/invitations/accept']) {
      expect(doc.paths[p]?.post?.security, p).to.deep.equal([]);
    }
    expect(doc.paths['/api/v1/auth/login']?.post?.responses).to.include.keys('200', '401', '423', '429');
    expect(doc.paths['/api/v1/auth/me']).to.include.keys('get', 'patch');
    expect(doc.paths['/api/v1/users/{id}']).to.include.keys('patch', 'delete');
    expect(doc.paths['/api/v1/api-keys/{id}']).to.include.keys('delete');
    expect(doc.paths['/api/v1/tenant']).to.include.keys('get', 'patch');
  });
});

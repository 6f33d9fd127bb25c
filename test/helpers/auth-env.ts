// A fresh server context per auth suite, on SQLite (a temp data dir) or on a fresh PostgreSQL
// database, plus the sign-up / login calls the suites share.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RequestListener } from 'node:http';
import request from 'supertest';
import { expect } from 'chai';
import { pino } from 'pino';
import { createContext, type AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { createTestDatabase, type Dialect } from './databases.js';

export interface AuthEnv {
  ctx: AppContext;
  close(): Promise<void>;
}

export async function openAuthEnv(dialect: Dialect): Promise<AuthEnv> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-auth-'));
  const pgDb = dialect === 'postgres' ? await createTestDatabase('postgres') : undefined;
  await pgDb?.db.close(); // the context opens its own handle on the same database
  const ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: pgDb?.url ?? '' }), pino({ level: 'silent' }));
  return {
    ctx,
    async close() {
      await ctx.close();
      await pgDb?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const PASSWORD = 'a long enough passphrase';

export interface Session {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
  user: { id: string; email: string; name: string; locale: string };
  tenant: { id: string; slug: string; name: string };
  role: string;
  tenants: { id: string; slug: string; name: string; role: string }[];
}

export const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });

export async function signup(app: RequestListener, body: { tenantName: string; email: string; tenantSlug?: string; name?: string; password?: string; locale?: string }): Promise<Session> {
  const res = await request(app)
    .post('/api/v1/auth/signup')
    .send({ name: 'Test Owner', password: PASSWORD, ...body });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body as Session;
}

export async function login(app: RequestListener, email: string, password = PASSWORD, tenant?: string): Promise<Session> {
  const res = await request(app)
    .post('/api/v1/auth/login')
    .send({ email, password, ...(tenant ? { tenant } : {}) });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body as Session;
}

/** A new app on the same context: its in-memory sign-in rate limits start from zero. */
export const freshApp = (ctx: AppContext): RequestListener => createApp(ctx);

export async function auditActions(ctx: AppContext, tenantId: string): Promise<{ action: string; actor: string; target: string | null; details: unknown }[]> {
  return ctx.audit(tenantId).list({ limit: 500 });
}

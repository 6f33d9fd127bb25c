// Backpressure in queue mode, end to end: an API context on PostgreSQL + Redis with no worker
// piles up runnable jobs; past TADFUQ_MAX_BACKLOG webhooks and POST /events answer 503
// overloaded with Retry-After, and accept work again once a worker has drained the backlog.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { createContext, type AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import type { QueueRuntime } from '../../engine/index.js';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { REDIS_URL, flushPrefix, requireRedis } from '../helpers/redis.js';
import { flow } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';

describe('queue backpressure (503 overloaded)', function () {
  this.timeout(60_000);
  const prefix = `tq-bp-${randomBytes(4).toString('hex')}`;
  const MAX = 3;
  let dataDir: string;
  let pgDb: TestDatabase;
  let api: AppContext;
  let worker: AppContext | null = null;
  let app: RequestListener;
  let admin: TestMember;
  let slug: string;

  const env = () => ({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: pgDb.url, REDIS_URL, TADFUQ_QUEUE_PREFIX: prefix, TADFUQ_MAX_BACKLOG: String(MAX) });

  before(async function () {
    await requirePostgres(this);
    await requireRedis(this);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-bp-'));
    pgDb = await createTestDatabase('postgres');
    await pgDb.db.close();
    api = await createContext(loadConfig(env()), pino({ level: 'silent' }));
    await api.runtime.start();
    app = createApp(api);
    const tenant = await api.tenants.ensure('bp', 'Backpressure tenant');
    slug = 'bp';
    admin = await addMember(api, tenant.id, 'admin');
    await api.flows(tenant.id).publish(
      flow([{ id: 'hook', type: 'trigger.webhook', params: { path: 'in', method: 'POST', respond: 'immediately' } }, { id: 'set', type: 'data.set', params: { fields: { ok: true } } }], [['hook', 'out', 'set']]),
      { flowId: 'bp-hook' },
    );
  });

  after(async () => {
    await worker?.close().catch(() => undefined);
    await api?.close().catch(() => undefined);
    await flushPrefix(prefix).catch(() => undefined);
    await pgDb?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const hook = () => request(app).post(`/hooks/${slug}/in`).send({ n: 1 });
  const backlog = () => (api.runtime as QueueRuntime).backlog();

  it('answers 503 overloaded with Retry-After past the bound, then accepts again once the backlog drains', async () => {
    // No worker: every accepted webhook leaves one runnable job behind.
    for (let i = 0; i <= MAX; i++) await hook().expect(202);
    // The job is added just after the 202 (the answer waits only for the commit).
    await waitFor(async () => (await backlog()) === MAX + 1);
    // The sample is refreshed every 250 ms: the next requests see the backlog and are refused.
    const refused = await waitFor(async () => {
      const res = await hook();
      return res.status === 503 ? res : null;
    }, 10_000, 50);
    expect(refused.body.error.code).to.equal('overloaded');
    expect(refused.body.error.message).to.match(/retry after/).and.match(/أعد المحاولة/);
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
    // Refused work is not accepted: nothing more is added. (Requests that came within one
    // sampling interval of the bound were accepted: the bound is approximate by that much.)
    await new Promise((r) => setTimeout(r, 100));
    const reached = await backlog();
    for (let i = 0; i < 3; i++) expect((await hook()).status).to.equal(503);
    expect(await backlog()).to.equal(reached);

    const event = await request(app).post('/api/v1/events').set(admin.headers).send({ id: `ev-${randomBytes(3).toString('hex')}`, type: 'lead.created' });
    expect(event.status).to.equal(503);
    expect(event.headers['retry-after']).to.match(/^\d+$/);
    expect(event.body.error.code).to.equal('overloaded');

    worker = await createContext(loadConfig(env()), pino({ level: 'silent' }), 'worker');
    await worker.runtime.start();
    await waitFor(async () => (await backlog()) === 0, 30_000, 100);
    await waitFor(async () => (await hook()).status === 202, 10_000, 50);
    const accepted = await request(app).post('/api/v1/events').set(admin.headers).send({ id: `ev-${randomBytes(3).toString('hex')}`, type: 'lead.created' });
    expect(accepted.status).to.equal(202);
  });
});

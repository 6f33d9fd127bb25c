// Backpressure on the embedded runtime: everything it accepts is driven at once and held in
// memory, so past TADFUQ_MAX_BACKLOG executions in flight webhooks answer 503 overloaded with
// Retry-After (instead of the heap growing with the burst), and accept again once they finish.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RequestListener } from 'node:http';
import { createContext, type AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { flow } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';

describe('embedded backpressure (503 overloaded)', function () {
  this.timeout(60_000);
  const MAX = 2;
  let dataDir: string;
  let ctx: AppContext;
  let app: RequestListener;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-ebp-'));
    ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: '', TADFUQ_MAX_BACKLOG: String(MAX) }), pino({ level: 'silent' }));
    await ctx.runtime.start();
    app = createApp(ctx);
    const tenant = await ctx.tenants.ensure('ebp', 'Embedded backpressure');
    // Each execution stays in flight for about 1.5 s: its code step keeps the sandbox busy.
    const busy = 'const end = Date.now() + 1500; while (Date.now() < end) {} return { ok: true };';
    await ctx.flows(tenant.id).publish(
      flow(
        [
          { id: 'hook', type: 'trigger.webhook', params: { path: 'in', method: 'POST', respond: 'immediately' } },
          { id: 'busy', type: 'code', params: { source: busy, timeoutMs: 10_000 } },
        ],
        [['hook', 'out', 'busy']],
      ),
      { flowId: 'ebp-hook' },
    );
  });

  after(async () => {
    await ctx?.close().catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const hook = () => request(app).post('/hooks/ebp/in').send({ n: 1 });

  it('TADFUQ_MAX_BACKLOG sets the bound; TADFUQ_QUEUE_MAX_BACKLOG, its former name, still works', () => {
    expect(loadConfig({}).maxBacklog).to.equal(5000);
    expect(loadConfig({ TADFUQ_MAX_BACKLOG: '7' }).maxBacklog).to.equal(7);
    expect(loadConfig({ TADFUQ_QUEUE_MAX_BACKLOG: '9' }).maxBacklog).to.equal(9);
    expect(loadConfig({ TADFUQ_MAX_BACKLOG: '7', TADFUQ_QUEUE_MAX_BACKLOG: '9' }).maxBacklog).to.equal(7);
  });

  it('refuses past the bound of executions in flight, and accepts again once they have finished', async () => {
    for (let i = 0; i <= MAX; i++) await hook().expect(202);
    expect(await ctx.runtime.backlog?.()).to.equal(MAX + 1);
    // The backlog is sampled every 250 ms: a request after the next sample is refused.
    const refused = await waitFor(async () => {
      const res = await hook();
      return res.status === 503 ? res : null;
    }, 10_000, 50);
    expect(refused.body.error.code).to.equal('overloaded');
    expect(refused.body.error.message).to.match(/retry after \d+ s/).and.match(/أعد المحاولة/);
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
    // Once the busy executions have finished, work is accepted again.
    await waitFor(async () => (await ctx.runtime.backlog?.()) === 0, 30_000, 50);
    await waitFor(async () => ((await hook()).status === 202 ? true : null), 10_000, 100);
  });
});

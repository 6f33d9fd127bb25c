// The operator endpoints are private and honest (issue 14 items 3 and 6): /metrics needs the
// bearer token (or, without one configured, a loopback client) on the API and on a worker's
// metrics port; /readyz answers 503 while the event loop lags; the data directory is 0700 and
// its files 0600, also when an older start left them wider.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import http, { type IncomingMessage, type RequestListener } from 'node:http';
import type { Socket } from 'node:net';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createContext, type AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { createLoopMonitor, metricsListener, metricsRefusal } from '../../server/metrics.js';

const TOKEN = 'metrics-token-for-tests-0123456789';

function fakeRequest(remoteAddress: string, authorization?: string): Pick<IncomingMessage, 'headers' | 'socket'> {
  return { headers: authorization ? { authorization } : {}, socket: { remoteAddress } as Socket };
}

/** Burn the CPU for `ms` without yielding: the event loop is blocked meanwhile. */
function blockLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

describe('operator endpoints: private metrics, readiness on event-loop lag, private data directory', function () {
  this.timeout(30_000);
  const opened: { ctx: AppContext; dir: string }[] = [];

  async function open(env: Record<string, string> = {}, dataDir?: string): Promise<{ ctx: AppContext; app: RequestListener; dir: string }> {
    const dir = dataDir ?? path.join(await mkdtemp(path.join(os.tmpdir(), 'tadfuq-ops-')), 'data');
    const ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dir, DATABASE_URL: '', ...env }), pino({ level: 'silent' }));
    opened.push({ ctx, dir });
    return { ctx, app: createApp(ctx), dir };
  }

  after(async () => {
    for (const { ctx, dir } of opened) {
      await ctx.close();
      await rm(path.dirname(dir), { recursive: true, force: true });
    }
  });

  describe('/metrics', () => {
    it('without TADFUQ_METRICS_TOKEN: loopback clients only (127.0.0.0/8, ::1, ::ffff:127.x); others 403', () => {
      for (const address of ['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1']) expect(metricsRefusal(fakeRequest(address), undefined), address).to.equal(null);
      for (const address of ['10.0.0.5', '192.168.1.2', '::ffff:10.0.0.5', 'fe80::1', '2001:db8::1', '128.0.0.1']) {
        const refusal = metricsRefusal(fakeRequest(address), undefined);
        expect(refusal?.status, address).to.equal(403);
        expect(refusal?.code).to.equal('forbidden');
      }
    });

    it('with TADFUQ_METRICS_TOKEN: the bearer token from anywhere, nothing without it (not even loopback)', () => {
      expect(metricsRefusal(fakeRequest('10.0.0.5', `Bearer ${TOKEN}`), TOKEN)).to.equal(null);
      for (const auth of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN, 'Bearer ']) {
        const refusal = metricsRefusal(fakeRequest('127.0.0.1', auth), TOKEN);
        expect(refusal?.status, String(auth)).to.equal(401);
        expect(refusal?.headers['WWW-Authenticate']).to.match(/^Bearer/);
      }
    });

    it('the API: 200 to a loopback client without a token; with a token, 401 with the error envelope unless it is sent', async () => {
      const open1 = await open();
      const plain = await request(open1.app).get('/metrics').expect(200);
      expect(plain.text).to.include('tadfuq_executions');

      const { app } = await open({ TADFUQ_METRICS_TOKEN: TOKEN });
      const refused = await request(app).get('/metrics').expect(401);
      expect(refused.body.error.code).to.equal('unauthorized');
      expect(refused.text).to.not.include('tadfuq_');
      const wrong = await request(app).get('/metrics').set('Authorization', 'Bearer not-it').expect(401);
      expect(wrong.body.error).to.have.keys('code', 'message', 'details');
      const ok = await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
      expect(ok.text).to.include('tadfuq_executions');
    });

    it('a worker’s metrics port: the same rule (token, else loopback), 404 elsewhere', async () => {
      const registry = new Registry();
      registry.setDefaultLabels({});
      const servers = [http.createServer(metricsListener(registry, TOKEN)), http.createServer(metricsListener(registry, undefined))];
      try {
        const [withToken, without] = await Promise.all(
          servers.map((s) => new Promise<string>((resolve) => s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as { port: number }).port}`)))),
        );
        const refused = await fetch(`${withToken}/metrics`);
        expect(refused.status).to.equal(401);
        expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal('unauthorized');
        expect((await fetch(`${withToken}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).to.equal(200);
        expect((await fetch(`${without}/metrics`)).status, 'loopback without a token').to.equal(200);
        expect((await fetch(`${without}/other`)).status).to.equal(404);
      } finally {
        for (const s of servers) s.close();
      }
    });

    it('exports the event-loop delay (prom-client’s collectors and the lag /readyz uses)', async () => {
      const { app } = await open();
      const text = (await request(app).get('/metrics').expect(200)).text;
      expect(text).to.match(/^tadfuq_process_nodejs_eventloop_lag_p99_seconds \S+/m);
      expect(text).to.match(/^tadfuq_event_loop_lag_seconds \S+/m);
    });
  });

  describe('loop monitor', () => {
    it('sees a stall the moment the loop is free again, before any of its own ticks ran', () => {
      const loop = createLoopMonitor(5_000, 1_000, 50);
      try {
        blockLoop(400);
        expect(loop.lagMs()).to.be.at.least(300);
      } finally {
        loop.stop();
      }
    });

    it('keeps a stall for the window, in the bucket it ended in, and forgets it after', async () => {
      const loop = createLoopMonitor(300, 100, 10);
      try {
        blockLoop(250);
        await new Promise((r) => setTimeout(r, 30));
        expect(loop.lagMs()).to.be.at.least(200);
        const until = Date.now() + 10_000;
        while (loop.lagMs() >= 200 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
        expect(loop.lagMs()).to.be.below(200);
      } finally {
        loop.stop();
      }
    });
  });

  describe('/readyz', () => {
    it('answers 503 event_loop_lag right after the loop was blocked for a second; /healthz stays 200', async () => {
      const { app } = await open({ TADFUQ_READY_MAX_LAG_MS: '500' });
      // A fresh process may have lagged while starting: wait until the window is clean.
      const deadline = Date.now() + 15_000;
      let ready = await request(app).get('/readyz');
      while (ready.status !== 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        ready = await request(app).get('/readyz');
      }
      expect(ready.status, JSON.stringify(ready.body)).to.equal(200);
      expect(ready.body.status).to.equal('ready');

      blockLoop(1_000);
      // The delay monitor records the stall on its own timer ticks, after the loop is free
      // again: ask until it has (a fixed 50 ms wait raced it under load), for up to 2 s, well
      // inside the 5-s window the stall is kept for.
      let stuck = await request(app).get('/readyz');
      for (const until = Date.now() + 2_000; stuck.status !== 503 && Date.now() < until; ) {
        await new Promise((r) => setTimeout(r, 20));
        stuck = await request(app).get('/readyz');
      }
      expect(stuck.status, JSON.stringify(stuck.body)).to.equal(503);
      expect(stuck.body).to.include({ status: 'not_ready', reason: 'event_loop_lag', maxLagMs: 500 });
      expect(stuck.body.lagMs).to.be.greaterThan(500);
      await request(app).get('/healthz').expect(200, { status: 'ok' });
    });

    it('TADFUQ_READY_MAX_LAG_MS=0 turns the lag check off', async () => {
      const { app } = await open({ TADFUQ_READY_MAX_LAG_MS: '0' });
      blockLoop(700);
      await request(app).get('/readyz').expect(200);
    });
  });

  describe('data directory', () => {
    it('is created 0700 with the SQLite store, its journals and secret.key 0600', async () => {
      const prev = process.umask(0o022);
      try {
        const { ctx, dir } = await open();
        await ctx.db.sql.query('CREATE TABLE IF NOT EXISTS mode_probe (x INTEGER)'); // a write: -wal and -shm exist
        expect(await mode(dir)).to.equal(0o700);
        const files = await readdir(dir);
        expect(files).to.include.members(['tadfuq.sqlite', 'tadfuq.sqlite-wal', 'tadfuq.sqlite-shm', 'secret.key']);
        for (const f of files) expect(await mode(path.join(dir, f)), f).to.equal(0o600);
      } finally {
        process.umask(prev);
      }
    });

    it('narrows modes an older start left wider (0755 directory, 0644 files)', async () => {
      const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'tadfuq-ops-')), 'data');
      await mkdir(dir, { mode: 0o755 });
      await chmod(dir, 0o755);
      await writeFile(path.join(dir, 'tadfuq.sqlite'), '', { mode: 0o644 });
      await writeFile(path.join(dir, 'secret.key'), 'ab'.repeat(32) + '\n', { mode: 0o644 });
      await writeFile(path.join(dir, 'notes.txt'), 'anything else written here', { mode: 0o666 });
      await chmod(path.join(dir, 'notes.txt'), 0o666);
      await open({}, dir);
      expect(await mode(dir)).to.equal(0o700);
      for (const f of await readdir(dir)) expect(await mode(path.join(dir, f)), f).to.equal(0o600);
    });
  });
});

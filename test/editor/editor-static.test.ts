// server/http/editor-static.ts: the built editor at `/`, index.html for client routes, long
// cache for hashed assets, and never an answer for the API, webhooks, health or metrics paths.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { expect } from 'chai';
import { editorBuildDir, editorStatic } from '../../server/http/editor-static.js';

function appWith(dir: string | null) {
  const app = express();
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/api/v1/flows', (_req, res) => {
    res.json({ items: [] });
  });
  app.use(editorStatic(dir));
  app.use((req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: `no route for ${req.method} ${req.path}`, details: [] } });
  });
  return app;
}

describe('editor static files', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tadfuq-editor-build-'));
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><html lang="ar" dir="rtl"><div id="root"></div></html>');
    fs.writeFileSync(path.join(dir, 'assets/index-abc123.js'), 'console.log(1)');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('serves index.html at / and for client routes, without caching it', async () => {
    for (const url of ['/', '/flows', '/flows/abc-123', '/executions/x?status=failed', '/login']) {
      const res = await request(appWith(dir)).get(url).set('accept', 'text/html');
      expect(res.status, url).to.equal(200);
      expect(res.type).to.equal('text/html');
      expect(res.text).to.include('dir="rtl"');
      expect(res.headers['cache-control']).to.equal('no-cache');
    }
  });

  it('serves hashed assets with a year-long immutable cache, and 404s a missing asset', async () => {
    const res = await request(appWith(dir)).get('/assets/index-abc123.js');
    expect(res.status).to.equal(200);
    expect(res.headers['cache-control']).to.match(/max-age=31536000.*immutable/);
    const missing = await request(appWith(dir)).get('/assets/nope.js').set('accept', 'text/html');
    expect(missing.status).to.equal(404);
  });

  it('never shadows /api, /hooks, /healthz, /readyz or /metrics', async () => {
    const app = appWith(dir);
    expect((await request(app).get('/api/v1/flows')).body).to.deep.equal({ items: [] });
    expect((await request(app).get('/healthz')).body).to.deep.equal({ status: 'ok' });
    for (const url of ['/api/v1/nope', '/api', '/hooks/demo/x', '/readyz', '/metrics', '/healthz/x']) {
      const res = await request(app).get(url).set('accept', 'text/html');
      expect(res.status, url).to.equal(404);
      expect(res.body.error.code, url).to.equal('not_found');
    }
  });

  it('answers JSON clients and other methods as before (404 JSON, not the page)', async () => {
    const app = appWith(dir);
    expect((await request(app).get('/flows').set('accept', 'application/json')).status).to.equal(404);
    expect((await request(app).post('/flows').set('accept', 'text/html')).status).to.equal(404);
  });

  it('says how to build when there is no build', async () => {
    const res = await request(appWith(null)).get('/').set('accept', 'text/html');
    expect(res.status).to.equal(503);
    expect(res.text).to.include('npm run build:editor');
    expect((await request(appWith(null)).get('/api/v1/flows')).status).to.equal(200);
  });

  it('finds a build through TADFUQ_EDITOR_DIR, and never takes the editor sources for one', () => {
    expect(editorBuildDir({ TADFUQ_EDITOR_DIR: dir })).to.equal(dir);
    const found = editorBuildDir({});
    if (found) expect(fs.existsSync(path.join(found, 'assets'))).to.equal(true);
    expect(found).to.not.equal(path.resolve('editor'));
  });
});

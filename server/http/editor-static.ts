// Serves the built editor (`npm run build:editor` → dist/editor) at `/`: hashed assets with a
// long cache, and index.html for every other GET that wants HTML (client routes such as
// /flows/abc), so a reload or a shared link opens the right page. Never answers for the API,
// webhooks, health, readiness or metrics paths: those fall through to their 404 as before.
import fs from 'node:fs';
import path from 'node:path';
import { moduleLocation } from '../../engine/module-dir.js';
import express, { Router, type RequestHandler } from 'express';

const RESERVED = ['/api', '/hooks', '/healthz', '/readyz', '/metrics'];
const here = moduleLocation(import.meta.url, 'server/http').dir;

/** Where a build lives: TADFUQ_EDITOR_DIR, else dist/editor (from sources or from dist/), else editor/dist. */
export function editorBuildDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = [
    env.TADFUQ_EDITOR_DIR,
    path.resolve(here, '../../dist/editor'), // running from sources (server/http)
    path.resolve(here, '../../editor'), // running compiled (dist/server/http → dist/editor)
    path.resolve(here, '../../editor/dist'),
  ];
  for (const dir of candidates) {
    // A build has its assets folder; the editor's source folder (also holding an index.html) has not.
    if (dir && fs.existsSync(path.join(dir, 'index.html')) && fs.existsSync(path.join(dir, 'assets'))) return dir;
  }
  return null;
}

const isReserved = (p: string): boolean => RESERVED.some((r) => p === r || p.startsWith(`${r}/`));

export function editorStatic(dir: string | null = editorBuildDir()): Router {
  const router = Router();
  if (!dir) {
    const notBuilt: RequestHandler = (req, res, next) => {
      if ((req.method !== 'GET' && req.method !== 'HEAD') || isReserved(req.path) || !req.accepts('html')) return next();
      res.status(503).type('text/plain').send('The editor is not built: run `npm run build:editor` (npm start does it).\n');
    };
    router.use(notBuilt);
    return router;
  }
  const indexFile = path.join(dir, 'index.html');
  // Reserved paths skip this router entirely.
  router.use((req, _res, next) => (isReserved(req.path) ? next('router') : next()));
  router.use(
    '/assets',
    express.static(path.join(dir, 'assets'), {
      index: false,
      fallthrough: true,
      immutable: true,
      maxAge: '365d',
    }),
  );
  router.use(
    express.static(dir, {
      index: false,
      fallthrough: true,
      maxAge: 0,
      setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache'),
    }),
  );
  const spa: RequestHandler = (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path.startsWith('/assets/') || !req.accepts('html')) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexFile);
  };
  router.use(spa);
  return router;
}

// /api/v1/openapi.json and a docs page (Swagger UI, served from the npm package: no CDN, no
// network). The page's initializer is a file of ours, not inline script, so helmet's default
// Content-Security-Policy stays strict.
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router } from 'express';
import type { RouteSpec } from './route.js';
import { openApiDocument } from './openapi.js';

// The package's folder, found without importing its entry point: that would evaluate the ~1.5 MB
// browser bundle in the server at every start.
const SWAGGER_UI_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Tadfuq API — واجهة تدفق البرمجية</title>
<link rel="stylesheet" href="./docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="./docs/swagger-ui-bundle.js"></script>
<script src="./docs/init.js"></script></body></html>`;

const INIT = `window.ui = SwaggerUIBundle({ url: './openapi.json', dom_id: '#swagger-ui', deepLinking: true });`;

export function apiDocsRouter(routes: readonly RouteSpec[], version: string): Router {
  const document = openApiDocument(routes, { version });
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/docs', (req, res, next) => {
    // Relative asset URLs need the trailing-slash-free form /api/v1/docs.
    if (req.path !== '/docs') return next();
    res.type('html').send(PAGE);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  router.use('/docs', express.static(SWAGGER_UI_DIR, { index: false, fallthrough: false }));
  return router;
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createGuardedFetch, isPublicAddress } from '../engine/index.js';
import { httpRequestNode, MAX_RESPONSE_BYTES } from './http-request.node.js';
import { checkParams, failureOf, portOutput, runNode, validateParams } from './testing/run-node.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('http.request', () => {
  let server: http.Server;
  let base: string;
  let port: number;
  const seen: Seen[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const json = (status: number, value: unknown, headers: http.OutgoingHttpHeaders = {}): void => {
          res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
          res.end(JSON.stringify(value));
        };
        switch (req.url) {
          case '/json':
            return json(200, { ok: true, name: 'تدفق' }, { 'x-request-id': 'r1', 'set-cookie': ['a=1', 'b=2'] });
          case '/echo':
            return json(200, { method: req.method, contentType: req.headers['content-type'] ?? null, auth: req.headers.authorization ?? null, body });
          case '/text':
            res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
            return res.end('مرحبا');
          case '/problem-json':
            res.writeHead(200, { 'content-type': 'application/problem+json' });
            return res.end('{"title":"x"}');
          case '/bad-json':
            res.writeHead(200, { 'content-type': 'application/json' });
            return res.end('{not json');
          case '/empty':
            res.writeHead(204);
            return res.end();
          case '/404':
            return json(404, { error: 'not found' });
          case '/500':
            return json(500, { error: 'boom' });
          case '/503':
            res.writeHead(503, { 'content-type': 'text/plain' });
            return res.end('down');
          case '/429':
            return json(429, { error: 'slow down' }, { 'retry-after': '1' });
          case '/slow': {
            const timer = setTimeout(() => json(200, { late: true }), 2_000);
            res.on('close', () => clearTimeout(timer));
            return;
          }
          case '/slow-body': {
            res.writeHead(200, { 'content-type': 'text/plain' });
            res.write('partial');
            const timer = setTimeout(() => res.end('rest'), 2_000);
            res.on('close', () => clearTimeout(timer));
            return;
          }
          case '/big':
            res.writeHead(200, { 'content-type': 'text/plain' });
            return res.end('x'.repeat(MAX_RESPONSE_BYTES + 1));
          case '/big-chunked': {
            res.writeHead(200, { 'content-type': 'text/plain' });
            const chunk = 'y'.repeat(64 * 1024);
            for (let i = 0; i < 17; i++) res.write(chunk);
            return res.end();
          }
          case '/redirect':
            res.writeHead(302, { location: '/json' });
            return res.end();
          case '/redirect-file':
            res.writeHead(302, { location: 'file:///etc/passwd' });
            return res.end();
          default:
            res.writeHead(404);
            return res.end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    seen.length = 0;
  });

  describe('definition and params', () => {
    it('is an integration node of policy class B with side effects and out/error ports', () => {
      expect(httpRequestNode).to.include({ category: 'integration', policyClass: 'B', sideEffects: true, trigger: false });
      expect((httpRequestNode.outputs as { port: string }[]).map((p) => p.port)).to.deep.equal(['out', 'error']);
    });

    it('fills defaults', () => {
      expect(validateParams(httpRequestNode, { url: 'https://api.example.com/x' })).to.deep.equal({
        ok: true,
        params: { url: 'https://api.example.com/x', method: 'GET', headers: {}, timeoutMs: 10_000, failOnStatus: true },
      });
    });

    it('reports bad params', () => {
      expect(checkParams(httpRequestNode, {})[0]).to.include({ path: '/url', code: 'required' });
      expect(checkParams(httpRequestNode, { url: 'ftp://x' })[0]?.path).to.equal('/url');
      expect(checkParams(httpRequestNode, { url: '=$vars.base & "/x"' })).to.deep.equal([]);
      expect(checkParams(httpRequestNode, { url: 'https://x', method: 'TRACE' })[0]?.path).to.equal('/method');
      expect(checkParams(httpRequestNode, { url: 'https://x', timeoutMs: 0 })[0]?.path).to.equal('/timeoutMs');
      expect(checkParams(httpRequestNode, { url: 'https://x', body: { a: 1 } })).to.deep.equal([
        { path: '/body', code: 'invalid_value', message: 'a GET request cannot have a body' },
      ]);
      expect(checkParams(httpRequestNode, { url: 'https://x', headers: { 'bad header': 'x', ok: 'a\r\nb' } }).map((e) => [e.path, e.code])).to.deep.equal([
        ['/headers/bad header', 'invalid_header'],
        ['/headers/ok', 'invalid_header'],
      ]);
    });
  });

  describe('requests', () => {
    it('GETs JSON: output {status, headers, body} with parsed body and no request headers', async () => {
      const { result } = await runNode(httpRequestNode, { params: { url: `${base}/json`, headers: { authorization: 'Bearer s3cret' } } });
      const { port: out, output } = portOutput(result);
      expect(out).to.equal('out');
      const o = output as { status: number; headers: Record<string, unknown>; body: unknown };
      expect(o.status).to.equal(200);
      expect(o.body).to.deep.equal({ ok: true, name: 'تدفق' });
      expect(o.headers['x-request-id']).to.equal('r1');
      expect(o.headers['set-cookie']).to.deep.equal(['a=1', 'b=2']);
      expect(Object.keys(o).sort()).to.deep.equal(['body', 'headers', 'status']);
      expect(JSON.stringify(output)).to.not.include('s3cret');
      expect(seen[0]?.headers.authorization).to.equal('Bearer s3cret');
    });

    it('returns text bodies as text', async () => {
      const { result } = await runNode(httpRequestNode, { params: { url: `${base}/text` } });
      expect((portOutput(result).output as { body: unknown }).body).to.equal('مرحبا');
    });

    it('parses +json media types, returns invalid JSON as text with a log line, and an empty body as null', async () => {
      let r = await runNode(httpRequestNode, { params: { url: `${base}/problem-json` } });
      expect((portOutput(r.result).output as { body: unknown }).body).to.deep.equal({ title: 'x' });
      r = await runNode(httpRequestNode, { params: { url: `${base}/bad-json` } });
      expect((portOutput(r.result).output as { body: unknown }).body).to.equal('{not json');
      expect(r.logs[0]).to.match(/not JSON/);
      r = await runNode(httpRequestNode, { params: { url: `${base}/empty` } });
      expect(portOutput(r.result).output).to.deep.include({ status: 204, body: '' });
    });

    it('sends an object body as JSON with content-type application/json', async () => {
      const { result } = await runNode(httpRequestNode, {
        params: { method: 'POST', url: `${base}/echo`, body: { name: '=name', tier: 'A' } },
        input: { name: 'Ahmed' },
      });
      expect((portOutput(result).output as { body: unknown }).body).to.deep.equal({
        method: 'POST',
        contentType: 'application/json',
        auth: null,
        body: '{"name":"Ahmed","tier":"A"}',
      });
    });

    it('sends a string body as is and keeps a given content-type', async () => {
      const { result } = await runNode(httpRequestNode, {
        params: { method: 'PUT', url: `${base}/echo`, body: 'a=1&b=2', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
      });
      expect((portOutput(result).output as { body: unknown }).body).to.deep.include({
        method: 'PUT',
        contentType: 'application/x-www-form-urlencoded',
        body: 'a=1&b=2',
      });
      const json = await runNode(httpRequestNode, {
        params: { method: 'POST', url: `${base}/echo`, body: { a: 1 }, headers: { 'content-type': 'application/vnd.api+json' } },
      });
      expect((portOutput(json.result).output as { body: { contentType: string } }).body.contentType).to.equal('application/vnd.api+json');
    });

    it('follows redirects', async () => {
      const { result } = await runNode(httpRequestNode, { params: { url: `${base}/redirect` } });
      expect(portOutput(result).output).to.deep.include({ status: 200, body: { ok: true, name: 'تدفق' } });
    });

    it('checks every redirect hop (a redirect to file: is refused)', async () => {
      const failure = await failureOf(runNode(httpRequestNode, { params: { url: `${base}/redirect-file` } }));
      expect(failure).to.include({ code: 'invalid_url', retryable: false });
    });
  });

  describe('failures', () => {
    it('404 fails with http_404, not retryable', async () => {
      const failure = await failureOf(runNode(httpRequestNode, { params: { url: `${base}/404` } }));
      expect(failure).to.include({ code: 'http_404', retryable: false });
      expect(failure.message).to.include('404');
    });

    it('500, 503 and 429 fail retryable', async () => {
      for (const status of [500, 503, 429]) {
        const failure = await failureOf(runNode(httpRequestNode, { params: { url: `${base}/${status}` } }));
        expect(failure).to.include({ code: `http_${status}`, retryable: true });
      }
    });

    it('with failOnStatus false, a 404 is an ordinary output', async () => {
      const { result } = await runNode(httpRequestNode, { params: { url: `${base}/404`, failOnStatus: false } });
      expect(portOutput(result)).to.deep.include({ port: 'out' });
      expect(portOutput(result).output).to.deep.include({ status: 404, body: { error: 'not found' } });
    });

    it('times out waiting for headers: timeout, retryable', async () => {
      const started = Date.now();
      const failure = await failureOf(runNode(httpRequestNode, { params: { url: `${base}/slow`, timeoutMs: 100 } }));
      expect(failure).to.include({ code: 'timeout', retryable: true });
      expect(Date.now() - started).to.be.lessThan(1_500);
    });

    it('times out while reading the body too', async () => {
      const failure = await failureOf(runNode(httpRequestNode, { params: { url: `${base}/slow-body`, timeoutMs: 150 } }));
      expect(failure).to.include({ code: 'timeout', retryable: true });
    });

    it('a cancellation by the runtime is not reported as a timeout', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('execution cancelled')), 50);
      let error: unknown;
      try {
        await runNode(httpRequestNode, { params: { url: `${base}/slow` }, signal: controller.signal });
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(Error);
      expect((error as { code?: string }).code).to.not.equal('timeout');
    });

    it('refuses bodies over 1 MiB (declared or streamed): response_too_large, not retryable', async () => {
      for (const path of ['/big', '/big-chunked']) {
        const failure = await failureOf(runNode(httpRequestNode, { params: { url: base + path } }));
        expect(failure, path).to.include({ code: 'response_too_large', retryable: false });
      }
    });

    it('a refused connection is a retryable network_error', async () => {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const closedPort = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const failure = await failureOf(runNode(httpRequestNode, { params: { url: `http://127.0.0.1:${closedPort}/` } }));
      expect(failure).to.include({ code: 'network_error', retryable: true });
    });

    it('refuses a GET with a body at run time', async () => {
      const failure = await failureOf(runNode(httpRequestNode, { params: { url: `${base}/json`, body: 'x' } }));
      expect(failure).to.include({ code: 'invalid_params', retryable: false });
      expect(seen).to.have.length(0);
    });
  });

  describe('SSRF guard (ctx.http)', () => {
    const guarded = createGuardedFetch({ allowPrivateNetwork: false });

    it('refuses loopback targets when private networks are not allowed', async () => {
      const urls = [
        `http://127.0.0.1:${port}/json`,
        `http://localhost:${port}/json`,
        `http://[::1]:${port}/json`,
        `http://2130706433:${port}/json`,
        `http://0x7f.1:${port}/json`,
        `http://0.0.0.0:${port}/json`,
      ];
      for (const url of urls) {
        const failure = await failureOf(runNode(httpRequestNode, { params: { url }, http: guarded }));
        expect(failure, url).to.include({ code: 'address_not_allowed', retryable: false });
      }
      expect(seen).to.have.length(0);
    });

    it('isPublicAddress blocks private, loopback, link-local, CGNAT and unspecified addresses', () => {
      const blocked = ['127.0.0.1', '10.0.0.1', '172.16.0.1', '192.168.1.1', '169.254.169.254', '::1', 'fe80::1', 'fc00::1', '::ffff:127.0.0.1', '100.64.0.1', '0.0.0.0', '::', 'localhost', 'not-an-ip'];
      for (const address of blocked) expect(isPublicAddress(address), address).to.equal(false);
      for (const address of ['8.8.8.8', '2606:4700::1111', '1.1.1.1']) expect(isPublicAddress(address), address).to.equal(true);
    });
  });
});

// A local HTTP server that counts hits per URL and can fail or stall on demand: the
// "outside world" of http.request steps in runtime tests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CounterServer {
  url: string;
  hits: Map<string, number>;
  /** Per path: statuses to answer before answering 200 (e.g. [500, 500]). */
  failures: Map<string, number[]>;
  close(): Promise<void>;
}

export async function startCounterServer(): Promise<CounterServer> {
  const hits = new Map<string, number>();
  const failures = new Map<string, number[]>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = url.pathname + url.search;
    hits.set(key, (hits.get(key) ?? 0) + 1);
    const delay = Number(url.searchParams.get('delayMs') ?? 0);
    const answer = (): void => {
      const queued = failures.get(url.pathname);
      const status = queued && queued.length ? queued.shift()! : 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: url.pathname, query: Object.fromEntries(url.searchParams), hit: hits.get(key) }));
    };
    if (delay) setTimeout(answer, delay);
    else answer();
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    failures,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

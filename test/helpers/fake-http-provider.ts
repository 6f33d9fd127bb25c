// A local HTTP server for provider tests (nothing leaves the machine): it records every request
// (method, path, query, headers, raw and parsed body) and answers with the `answer` function
// the provider's fake gives — a recorded answer of the real API — unless `next(behaviour)`
// scripted something else for the following request: an HTTP status and body, a connection
// reset after the request was read, or no answer at all.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  raw: string;
  /** The body's bytes as received (a multipart upload's file intact). */
  bytes: Buffer;
  /** JSON bodies parsed, form bodies as an object of strings, else null. */
  body: Record<string, unknown> | null;
}

export interface HttpAnswer {
  status: number;
  body: unknown;
}

export type ScriptedBehaviour = { kind: 'answer'; status: number; body: unknown } | { kind: 'raw'; status: number; text: string } | { kind: 'reset' } | { kind: 'hang' };

export interface FakeHttpProvider {
  url: string;
  requests: RecordedRequest[];
  next(...behaviours: ScriptedBehaviour[]): void;
  close(): Promise<void>;
}

function parse(raw: string, type: string | undefined): Record<string, unknown> | null {
  if (raw === '') return null;
  if ((type ?? '').startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  try {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export async function startFakeHttpProvider(answer: (req: RecordedRequest) => HttpAnswer): Promise<FakeHttpProvider> {
  const requests: RecordedRequest[] = [];
  const queue: ScriptedBehaviour[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const bytes = Buffer.concat(chunks);
      const raw = bytes.toString('utf8');
      const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, raw, bytes, body: parse(raw, req.headers['content-type']) };
      requests.push(recorded);
      const scripted = queue.shift();
      if (scripted?.kind === 'reset') return void req.socket.destroy();
      if (scripted?.kind === 'hang') return;
      if (scripted?.kind === 'raw') {
        res.writeHead(scripted.status, { 'content-type': 'text/html' });
        return void res.end(scripted.text);
      }
      const a = scripted?.kind === 'answer' ? { status: scripted.status, body: scripted.body } : answer(recorded);
      const text = JSON.stringify(a.body);
      res.writeHead(a.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    next: (...b) => void queue.push(...b),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// A local HTTP server speaking UltraMsg's send API, for tests (nothing leaves the machine):
//   POST /:instanceId/messages/chat  (form: token, to, body, referenceId)
// answering HTTP 200 `{"sent":"true","message":"ok","id":<n>}`, or `{"error": …}` like the real
// service (also HTTP 200) for a wrong token or instance. `next(behaviour)` scripts the answer to
// the following request(s): an error body, an HTTP status, a reset connection, no answer.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UltraMsgRequest {
  instanceId: string;
  token: string;
  to: string;
  body: string;
  referenceId: string;
  contentType: string;
}

export type UltraMsgBehaviour =
  | { kind: 'ok' }
  | { kind: 'error'; error: unknown }
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'raw'; body: string }
  /** Take the request, then close the connection without answering (the message "may" have gone). */
  | { kind: 'reset' }
  /** Take the request and never answer. */
  | { kind: 'hang' };

export interface FakeUltraMsg {
  /** Base URL to put in the credential's `baseUrl`. */
  url: string;
  instanceId: string;
  token: string;
  requests: UltraMsgRequest[];
  /** Script the next answers, in order; afterwards the fake answers `ok` again. */
  next(...behaviours: UltraMsgBehaviour[]): void;
  close(): Promise<void>;
}

export async function startFakeUltraMsg(options: { instanceId?: string; token?: string } = {}): Promise<FakeUltraMsg> {
  const instanceId = options.instanceId ?? 'instance1150';
  const token = options.token ?? 'ultramsg-test-token';
  const requests: UltraMsgRequest[] = [];
  const queue: UltraMsgBehaviour[] = [];
  let nextId = 1000;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/([^/]+)\/messages\/chat$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
      const json = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (req.method !== 'POST' || !match) return json(404, { error: 'not found' });
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const request: UltraMsgRequest = {
        instanceId: decodeURIComponent(match[1]!),
        token: form.get('token') ?? '',
        to: form.get('to') ?? '',
        body: form.get('body') ?? '',
        referenceId: form.get('referenceId') ?? '',
        contentType: req.headers['content-type'] ?? '',
      };
      requests.push(request);
      const behaviour = queue.shift() ?? { kind: 'ok' };
      switch (behaviour.kind) {
        case 'reset':
          return void req.socket.destroy();
        case 'hang':
          return;
        case 'status':
          res.writeHead(behaviour.status, { 'content-type': 'text/plain' });
          return void res.end(behaviour.body ?? '');
        case 'raw':
          res.writeHead(200, { 'content-type': 'text/html' });
          return void res.end(behaviour.body);
        case 'error':
          return json(200, { error: behaviour.error });
        case 'ok':
          if (request.instanceId !== instanceId) return json(200, { error: `instance ${request.instanceId} not found` });
          if (request.token !== token) return json(200, { error: 'Wrong token. Please provide token as a GET parameter.' });
          if (!request.to) return json(200, { error: [{ to: 'is required' }] });
          if (!request.body) return json(200, { error: [{ body: 'is required' }] });
          return json(200, { sent: 'true', message: 'ok', id: nextId++ });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    instanceId,
    token,
    requests,
    next: (...b) => void queue.push(...b),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An UltraMsg webhook event body, as UltraMsg posts it (JSON). */
export function ultramsgEvent(eventType: string, instanceId: string, fields: { id?: string | number; referenceId?: string; data: Record<string, unknown> }): Record<string, unknown> {
  return {
    event_type: eventType,
    instanceId: instanceId.replace(/^instance/, ''),
    id: fields.id === undefined ? '' : String(fields.id),
    referenceId: fields.referenceId ?? '',
    data: {
      id: '',
      from: '',
      to: '',
      author: '',
      pushname: '',
      ack: '',
      type: 'chat',
      body: '',
      media: '',
      fromMe: false,
      isForwarded: false,
      isMentioned: false,
      quotedMsg: {},
      mentionedIds: [],
      time: Math.floor(Date.now() / 1000),
      ...fields.data,
    },
  };
}

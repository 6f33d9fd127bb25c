// A local HTTP server speaking the Twilio Messages API, for tests (nothing leaves the machine):
//   POST /2010-04-01/Accounts/:AccountSid/Messages.json   (Basic auth sid:token, form fields)
// answering 201 with Twilio's message JSON (sid SM…, status queued), and Twilio's error shape
// `{code, message, more_info, status}` for a wrong sign-in (401, 20003), a missing or invalid
// To (400, 21604 / 21211), or whatever `next()` scripts.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface TwilioRequest {
  accountSid: string;
  authorization: string;
  form: Record<string, string>;
}

export type TwilioBehaviour =
  | { kind: 'ok'; status?: string }
  | { kind: 'error'; status: number; code: number; message: string }
  | { kind: 'reset' }
  | { kind: 'hang' };

export interface FakeTwilio {
  url: string;
  accountSid: string;
  authToken: string;
  requests: TwilioRequest[];
  next(...behaviours: TwilioBehaviour[]): void;
  close(): Promise<void>;
}

const API_VERSION = '2010-04-01';

export async function startFakeTwilio(options: { accountSid?: string; authToken?: string } = {}): Promise<FakeTwilio> {
  const accountSid = options.accountSid ?? `AC${'1'.repeat(32)}`;
  const authToken = options.authToken ?? 'twilio-test-auth-token';
  const requests: TwilioRequest[] = [];
  const queue: TwilioBehaviour[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      const error = (status: number, code: number, message: string) => json(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
      const match = new RegExp(`^/${API_VERSION}/Accounts/([^/]+)/Messages\\.json$`).exec(new URL(req.url ?? '/', 'http://x').pathname);
      if (!match || req.method !== 'POST') return error(404, 20404, 'The requested resource was not found');
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const request: TwilioRequest = { accountSid: decodeURIComponent(match[1]!), authorization: req.headers.authorization ?? '', form };
      requests.push(request);
      const behaviour = queue.shift() ?? { kind: 'ok' };
      if (behaviour.kind === 'reset') return void req.socket.destroy();
      if (behaviour.kind === 'hang') return;
      if (behaviour.kind === 'error') return error(behaviour.status, behaviour.code, behaviour.message);
      const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
      if (request.accountSid !== accountSid || request.authorization !== expected) return error(401, 20003, 'Authenticate');
      if (!form.To) return error(400, 21604, "A 'To' phone number is required.");
      if (!/^(whatsapp:)?\+[1-9]\d{7,14}$/.test(form.To)) return error(400, 21211, `The 'To' number ${form.To} is not a valid phone number.`);
      if (!form.From && !form.MessagingServiceSid) return error(400, 21603, "A 'From' phone number is required.");
      if (!form.Body && !form.ContentSid) return error(400, 21602, 'Message body is required.');
      const sid = `SM${randomBytes(16).toString('hex')}`;
      const now = new Date().toUTCString();
      json(201, {
        account_sid: accountSid,
        api_version: API_VERSION,
        body: form.Body ?? '',
        date_created: now,
        date_sent: null,
        date_updated: now,
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        from: form.From ?? null,
        messaging_service_sid: form.MessagingServiceSid ?? null,
        num_media: '0',
        num_segments: '1',
        price: null,
        price_unit: 'USD',
        sid,
        status: behaviour.status ?? 'queued',
        subresource_uris: { media: `/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}/Media.json` },
        to: form.To,
        uri: `/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}.json`,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    requests,
    next: (...b) => void queue.push(...b),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

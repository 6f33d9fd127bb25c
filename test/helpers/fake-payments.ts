// Local HTTP servers speaking the payment gateways' protocols, for tests (nothing leaves the
// machine):
// - Moyasar (base URL `${url}/v1`): HTTP Basic with the secret key as user and an empty password;
//   POST /v1/invoices (JSON) → 201 {id, status: initiated, amount, currency, description, url,
//   metadata}; GET /v1/invoices/:id; GET /v1/payments/:id. `pay(invoiceId, status)` plays the
//   payer: it creates a payment on the invoice (paid or failed) and returns the webhook body
//   Moyasar would POST ({id, type, created_at, secret_token, live, data: payment}).
// - Stripe (credential baseUrl = `url`): Bearer secret key; POST /v1/checkout/sessions (form
//   encoded, Stripe's bracket syntax) → a checkout.session object. `complete(sessionId)` marks it
//   paid and returns a checkout.session.completed event (sign it with the endpoint secret).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

type Obj = Record<string, unknown>;

export interface FakePayments {
  url: string;
  moyasarKey: string;
  stripeKey: string;
  /** Every request: method, path, auth header, body as parsed. */
  requests: { method: string; path: string; authorization: string; body: Obj; idempotencyKey?: string }[];
  invoices: Map<string, Obj>;
  payments: Map<string, Obj>;
  sessions: Map<string, Obj>;
  pay(invoiceId: string, status: 'paid' | 'failed', webhookSecret: string): Obj;
  complete(sessionId: string): Obj;
  close(): Promise<void>;
}

/** `a[b][0][c]=v` form fields as nested objects (arrays as objects with numeric keys, then arrays). */
function parseForm(text: string): Obj {
  const root: Obj = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const parts = key.replace(/\]/g, '').split('[');
    let node: Obj = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = value;
      else node = (node[part] ??= {}) as Obj;
    });
  }
  const arrays = (v: unknown): unknown => {
    if (!v || typeof v !== 'object') return v;
    const o = v as Obj;
    const keys = Object.keys(o);
    if (keys.length && keys.every((k) => /^\d+$/.test(k))) return keys.map((k) => arrays(o[k]));
    return Object.fromEntries(keys.map((k) => [k, arrays(o[k])]));
  };
  return arrays(root) as Obj;
}

export async function startFakePayments(): Promise<FakePayments> {
  const moyasarKey = 'sk_test_moyasar_0123456789';
  const stripeKey = 'sk_test_stripe_0123456789';
  const requests: FakePayments['requests'] = [];
  const invoices = new Map<string, Obj>();
  const payments = new Map<string, Obj>();
  const sessions = new Map<string, Obj>();
  let base = '';

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const authorization = req.headers.authorization ?? '';
      const json = (status: number, body: unknown) => {
        const out = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
        res.end(out);
      };
      let body: Obj = {};
      try {
        body = text === '' ? {} : (req.headers['content-type'] ?? '').includes('json') ? (JSON.parse(text) as Obj) : parseForm(text);
      } catch {
        return json(400, { type: 'invalid_request_error', message: 'bad body' });
      }
      const idem = req.headers['idempotency-key'];
      requests.push({ method: req.method ?? '', path, authorization, body, ...(typeof idem === 'string' ? { idempotencyKey: idem } : {}) });

      if (path.startsWith('/v1/checkout/')) {
        if (authorization !== `Bearer ${stripeKey}`) return json(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
        if (req.method === 'POST' && path === '/v1/checkout/sessions') {
          // Stripe answers the same object to a repeated Idempotency-Key.
          const again = [...sessions.values()].find((s) => s._idem === idem && idem !== undefined);
          if (again) return json(200, again);
          const items = body.line_items as { price_data: { currency: string; unit_amount: string } }[];
          const id = `cs_test_${randomUUID().replace(/-/g, '')}`;
          const session: Obj = {
            id,
            object: 'checkout.session',
            mode: body.mode,
            status: 'open',
            payment_status: 'unpaid',
            currency: items[0]!.price_data.currency,
            amount_total: Number(items[0]!.price_data.unit_amount),
            metadata: body.metadata ?? {},
            url: `${base}/pay/${id}`,
            _idem: idem,
          };
          sessions.set(id, session);
          return json(200, session);
        }
        return json(404, { error: { type: 'invalid_request_error', message: 'Unrecognized request URL' } });
      }

      if (authorization !== `Basic ${Buffer.from(`${moyasarKey}:`).toString('base64')}`) return json(401, { type: 'authentication_error', message: 'Invalid authorization credentials' });
      if (req.method === 'POST' && path === '/v1/invoices') {
        if (!Number.isInteger(body.amount) || (body.amount as number) < 100) return json(400, { type: 'invalid_request_error', message: 'Validation Failed', errors: { amount: ['must be an integer >= 100'] } });
        const id = randomUUID();
        const invoice = { id, status: 'initiated', amount: body.amount, currency: body.currency ?? 'SAR', description: body.description, metadata: body.metadata ?? {}, callback_url: body.callback_url ?? null, url: `${base}/invoices/${id}` };
        invoices.set(id, invoice);
        return json(201, invoice);
      }
      const m = /^\/v1\/(invoices|payments)\/([^/]+)$/.exec(path);
      if (req.method === 'GET' && m) {
        const found = (m[1] === 'invoices' ? invoices : payments).get(decodeURIComponent(m[2]!));
        return found ? json(200, found) : json(404, { type: 'api_error', message: 'Object not found' });
      }
      return json(404, { type: 'api_error', message: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    moyasarKey,
    stripeKey,
    requests,
    invoices,
    payments,
    sessions,
    pay(invoiceId, status, webhookSecret) {
      const invoice = invoices.get(invoiceId);
      if (!invoice) throw new Error(`no invoice ${invoiceId}`);
      const payment = { id: randomUUID(), status, amount: invoice.amount, currency: invoice.currency, description: invoice.description, invoice_id: invoiceId, metadata: null, source: { type: 'creditcard', company: 'mada' } };
      payments.set(payment.id, payment);
      if (status === 'paid') invoice.status = 'paid';
      return { id: randomUUID(), type: status === 'paid' ? 'payment_paid' : 'payment_failed', created_at: new Date().toISOString(), secret_token: webhookSecret, account_name: 'Test', live: false, data: payment };
    },
    complete(sessionId) {
      const session = sessions.get(sessionId);
      if (!session) throw new Error(`no session ${sessionId}`);
      session.status = 'complete';
      session.payment_status = 'paid';
      const { _idem: _ignored, ...object } = session;
      return { id: `evt_${randomUUID().replace(/-/g, '')}`, object: 'event', type: 'checkout.session.completed', created: Math.floor(Date.now() / 1000), data: { object } };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

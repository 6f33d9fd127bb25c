// The channel providers against local servers speaking their APIs (nothing leaves the machine):
// UltraMsg over its HTTP API, Twilio through the official SDK (host rewritten to the fake by the
// credential's baseUrl), email through nodemailer to a local smtp-server. Each: what the server
// received, what the provider answers, and how failures map to ProviderError — definite (the
// provider certainly did not take it) or not (it may have gone out: the outbox never resends).
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderError, type OutboundMessage } from '../../server/channels/provider.js';
import { UltraMsgProvider, sameInstance } from '../../server/channels/ultramsg.js';
import { TwilioProvider } from '../../server/channels/twilio.js';
import { SmtpProvider, messageIdFor } from '../../server/channels/smtp.js';
import { renderTemplate } from '../../server/channels/message-text.js';
import { startFakeUltraMsg, type FakeUltraMsg } from '../helpers/fake-ultramsg.js';
import { startFakeTwilio, type FakeTwilio } from '../helpers/fake-twilio.js';
import { startFakeSmtp, type FakeSmtp } from '../helpers/fake-smtp.js';

const TO = '+966551234567';
const signal = () => new AbortController().signal;
/** The fakes listen on loopback: these tenants allow private networks (test/egress/ covers the refusals). */
const OPEN = { allowPrivateNetwork: true };

async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(ProviderError);
    return err as ProviderError;
  }
  expect.fail('expected a ProviderError');
}

/** A port nothing listens on (opened, then closed). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('channel providers', function () {
  this.timeout(20_000);

  describe('templates', () => {
    it('substitutes numbered and named placeholders and refuses a missing one', () => {
      expect(renderTemplate('مرحبا {{1}}، موعدك {{ date }}', { '1': 'سارة', date: 'الأحد' }, 'x')).to.equal('مرحبا سارة، موعدك الأحد');
      expect(() => renderTemplate('Hi {{first_name}}', {}, 'ultramsg')).to.throw(ProviderError).with.property('code', 'template_variable_missing');
    });
  });

  describe('UltraMsg', () => {
    let fake: FakeUltraMsg;
    let credential: Record<string, string>;
    const ultramsg = new UltraMsgProvider({ timeoutMs: 1500 });
    const message = (over: Partial<OutboundMessage> = {}): OutboundMessage => ({ channel: 'whatsapp', to: TO, text: 'مرحبا سارة 👋', referenceId: 'msg-0001', ...over });

    before(async () => {
      fake = await startFakeUltraMsg();
      credential = { instanceId: fake.instanceId, token: fake.token, baseUrl: fake.url };
    });
    after(() => fake.close());
    beforeEach(() => void (fake.requests.length = 0));

    it('posts token, to, body and referenceId form-encoded to /{instance}/messages/chat; the id is the provider id', async () => {
      const result = await ultramsg.send(message(), credential, signal(), OPEN);
      expect(result.status).to.equal('queued');
      expect(result.providerMessageId).to.match(/^\d+$/);
      expect(fake.requests).to.have.length(1);
      expect(fake.requests[0]).to.deep.include({ instanceId: fake.instanceId, token: fake.token, to: TO, body: 'مرحبا سارة 👋', referenceId: 'msg-0001' });
      expect(fake.requests[0]!.contentType).to.match(/^application\/x-www-form-urlencoded/);
    });

    it('sends a template as chat text rendered from its variables (UltraMsg has no template API)', async () => {
      await ultramsg.send(message({ text: 'أهلاً {{1}}، عرضنا ينتهي {{2}}', template: { name: 'offer_v1', language: 'ar', variables: { '1': 'سارة', '2': 'غدًا' } } }), credential, signal(), OPEN);
      expect(fake.requests[0]!.body).to.equal('أهلاً سارة، عرضنا ينتهي غدًا');
      const err = await providerError(ultramsg.send(message({ text: undefined, template: { name: 'offer_v1' } }), credential, signal(), OPEN));
      expect(err).to.include({ code: 'template_text_required', definite: true, retryable: false });
      expect(fake.requests).to.have.length(1);
    });

    it('an `error` answer (HTTP 200) is a definite, non-retryable failure: a wrong token', async () => {
      const err = await providerError(ultramsg.send(message(), { ...credential, token: 'wrong' }, signal(), OPEN));
      expect(err).to.include({ code: 'rejected', definite: true, retryable: false });
      expect(err.message).to.match(/Wrong token/);
    });

    it('only sent == "true" counts: `sent: "false"` fails definitely, an unknown 200 answer is uncertain', async () => {
      fake.next({ kind: 'raw', body: JSON.stringify({ sent: 'false', message: 'instance not ready' }) });
      expect(await providerError(ultramsg.send(message(), credential, signal(), OPEN))).to.include({ code: 'rejected', definite: true });
      fake.next({ kind: 'raw', body: JSON.stringify({ sent: true, id: 5 }) });
      expect(await providerError(ultramsg.send(message(), credential, signal(), OPEN))).to.include({ code: 'unexpected_answer', definite: false });
      fake.next({ kind: 'raw', body: '<html>gateway</html>' });
      expect(await providerError(ultramsg.send(message(), credential, signal(), OPEN))).to.include({ code: 'unexpected_answer', definite: false });
    });

    it('rate limits are definite and retryable (an `error` about limits, or HTTP 429)', async () => {
      fake.next({ kind: 'error', error: 'Rate limit exceeded, too many requests' });
      expect(await providerError(ultramsg.send(message(), credential, signal(), OPEN))).to.include({ code: 'rate_limited', definite: true, retryable: true });
      fake.next({ kind: 'status', status: 429 });
      expect(await providerError(ultramsg.send(message(), credential, signal(), OPEN))).to.include({ code: 'rate_limited', definite: true, retryable: true });
    });

    it('HTTP 4xx is definite; 500 may have been sent', async () => {
      fake.next({ kind: 'status', status: 400, body: 'bad' });
      expect(await providerError(ultramsg.send(message(), credential, signal(), OPEN))).to.include({ definite: true, retryable: false });
      fake.next({ kind: 'status', status: 500 });
      expect(await providerError(ultramsg.send(message(), credential, signal(), OPEN))).to.include({ code: 'provider_error', definite: false });
    });

    it('connection refused before sending: definite and retryable', async () => {
      const port = await closedPort();
      const err = await providerError(ultramsg.send(message(), { ...credential, baseUrl: `http://127.0.0.1:${port}` }, signal(), OPEN));
      expect(err).to.include({ code: 'unreachable', definite: true, retryable: true });
    });

    it('a reset mid-request and a timeout after sending are NOT definite', async () => {
      fake.next({ kind: 'reset' });
      expect(await providerError(ultramsg.send(message(), credential, signal(), OPEN))).to.include({ code: 'connection_lost', definite: false });
      fake.next({ kind: 'hang' });
      expect(await providerError(ultramsg.send(message(), credential, signal(), OPEN))).to.include({ code: 'timeout', definite: false });
      expect(fake.requests).to.have.length(2);
    });

    it('an abort while waiting is not definite; an abort before starting is', async () => {
      fake.next({ kind: 'hang' });
      const ac = new AbortController();
      const pending = ultramsg.send(message(), credential, ac.signal, OPEN);
      while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
      ac.abort(new Error('cancelled'));
      expect(await providerError(pending)).to.include({ code: 'aborted', definite: false });
      expect(await providerError(ultramsg.send(message(), credential, ac.signal, OPEN))).to.include({ code: 'aborted', definite: true });
      expect(fake.requests).to.have.length(1);
    });

    it('refuses plain http to a non-loopback base URL and other channels, without a request', async () => {
      expect(await providerError(ultramsg.send(message(), { ...credential, baseUrl: 'http://example.com' }, signal(), OPEN))).to.include({ code: 'invalid_credential', definite: true });
      expect(await providerError(ultramsg.send(message({ channel: 'sms' }), credential, signal(), OPEN))).to.include({ code: 'unsupported_channel' });
      expect(fake.requests).to.have.length(0);
    });

    it('instance ids match with or without the `instance` prefix', () => {
      expect(sameInstance('1150', 'instance1150')).to.equal(true);
      expect(sameInstance(1150, 'instance1150')).to.equal(true);
      expect(sameInstance('1151', 'instance1150')).to.equal(false);
      expect(sameInstance('', '')).to.equal(false);
    });
  });

  describe('Twilio (official SDK)', () => {
    let fake: FakeTwilio;
    let credential: Record<string, string>;
    const twilio = new TwilioProvider({ timeoutMs: 1500 });

    before(async () => {
      fake = await startFakeTwilio();
      credential = { accountSid: fake.accountSid, authToken: fake.authToken, from: '+14155550100', whatsappFrom: '+14155238886', baseUrl: fake.url };
    });
    after(() => fake.close());
    beforeEach(() => void (fake.requests.length = 0));

    it('sends an SMS through client.messages.create with Basic auth, To, From, Body and StatusCallback', async () => {
      const result = await twilio.send({ channel: 'sms', to: TO, text: 'رمز التحقق 1234', referenceId: 'm1', statusCallbackUrl: 'https://tadfuq.example/hooks/providers/twilio/acme/status' }, credential, signal(), OPEN);
      expect(result.providerMessageId).to.match(/^SM[0-9a-f]{32}$/);
      expect(result.status).to.equal('queued');
      expect(fake.requests).to.have.length(1);
      expect(fake.requests[0]!.accountSid).to.equal(fake.accountSid);
      expect(fake.requests[0]!.form).to.deep.equal({ To: TO, From: '+14155550100', Body: 'رمز التحقق 1234', StatusCallback: 'https://tadfuq.example/hooks/providers/twilio/acme/status' });
    });

    it('sends WhatsApp as whatsapp:+… from the WhatsApp sender', async () => {
      await twilio.send({ channel: 'whatsapp', to: TO, text: 'hello', referenceId: 'm2' }, credential, signal(), OPEN);
      expect(fake.requests[0]!.form).to.include({ To: `whatsapp:${TO}`, From: 'whatsapp:+14155238886', Body: 'hello' });
    });

    it('a Content SID template goes as ContentSid + ContentVariables; others are rendered', async () => {
      const sid = `HX${'a'.repeat(32)}`;
      await twilio.send({ channel: 'whatsapp', to: TO, referenceId: 'm3', template: { name: sid, variables: { '1': 'سارة' } } }, credential, signal(), OPEN);
      expect(fake.requests[0]!.form).to.include({ ContentSid: sid, ContentVariables: '{"1":"سارة"}' });
      expect(fake.requests[0]!.form).to.not.have.property('Body');
      await twilio.send({ channel: 'sms', to: TO, referenceId: 'm4', text: 'Hi {{name}}', template: { name: 'hello', variables: { name: 'Sara' } } }, credential, signal(), OPEN);
      expect(fake.requests[1]!.form.Body).to.equal('Hi Sara');
    });

    it('maps RestException codes: invalid To (21211) and wrong sign-in (20003) are definite, not retryable', async () => {
      const bad = await providerError(twilio.send({ channel: 'sms', to: '+9665', text: 'x', referenceId: 'm5' }, credential, signal(), OPEN));
      expect(bad).to.include({ code: 'invalid_recipient', definite: true, retryable: false });
      expect(bad.message).to.match(/21211/);
      const auth = await providerError(twilio.send({ channel: 'sms', to: TO, text: 'x', referenceId: 'm6' }, { ...credential, authToken: 'wrong' }, signal(), OPEN));
      expect(auth).to.include({ code: 'auth_failed', definite: true, retryable: false });
    });

    it('429 is retryable, 21610 (the recipient replied STOP) is not, 500 may have been sent', async () => {
      fake.next({ kind: 'error', status: 429, code: 20429, message: 'Too Many Requests' });
      expect(await providerError(twilio.send({ channel: 'sms', to: TO, text: 'x', referenceId: 'm7' }, credential, signal(), OPEN))).to.include({ code: 'rate_limited', definite: true, retryable: true });
      fake.next({ kind: 'error', status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
      expect(await providerError(twilio.send({ channel: 'sms', to: TO, text: 'x', referenceId: 'm8' }, credential, signal(), OPEN))).to.include({ code: 'recipient_opted_out', definite: true, retryable: false });
      fake.next({ kind: 'error', status: 500, code: 20500, message: 'Internal Server Error' });
      expect(await providerError(twilio.send({ channel: 'sms', to: TO, text: 'x', referenceId: 'm9' }, credential, signal(), OPEN))).to.include({ definite: false });
    });

    it('transport: refused is definite; reset and timeout are not', async () => {
      const port = await closedPort();
      expect(await providerError(twilio.send({ channel: 'sms', to: TO, text: 'x', referenceId: 'm10' }, { ...credential, baseUrl: `http://127.0.0.1:${port}` }, signal(), OPEN))).to.include({ code: 'unreachable', definite: true, retryable: true });
      fake.next({ kind: 'reset' });
      expect(await providerError(twilio.send({ channel: 'sms', to: TO, text: 'x', referenceId: 'm11' }, credential, signal(), OPEN))).to.include({ definite: false });
      fake.next({ kind: 'hang' });
      expect(await providerError(twilio.send({ channel: 'sms', to: TO, text: 'x', referenceId: 'm12' }, credential, signal(), OPEN))).to.include({ code: 'timeout', definite: false });
    });

    it('refuses a credential without a sender or with a malformed account SID, before any request', async () => {
      expect(await providerError(twilio.send({ channel: 'sms', to: TO, text: 'x', referenceId: 'm13' }, { accountSid: fake.accountSid, authToken: fake.authToken, baseUrl: fake.url }, signal(), OPEN))).to.include({ code: 'missing_sender', definite: true });
      expect(await providerError(twilio.send({ channel: 'sms', to: TO, text: 'x', referenceId: 'm14' }, { ...credential, accountSid: 'XX123' }, signal(), OPEN))).to.include({ code: 'invalid_credential', definite: true });
      expect(fake.requests).to.have.length(0);
    });
  });

  describe('email (nodemailer SMTP)', () => {
    let fake: FakeSmtp;
    let credential: Record<string, string>;
    const smtp = new SmtpProvider({ connectionTimeoutMs: 2000, socketTimeoutMs: 2000 });

    before(async () => {
      fake = await startFakeSmtp();
      credential = { host: fake.host, port: String(fake.port), secure: 'false', user: fake.user, pass: fake.pass, from: 'Acme Sales <sales@acme.example>' } as Record<string, string>;
    });
    after(() => fake.close());
    beforeEach(() => {
      fake.messages.length = 0;
      fake.refuseRecipients.clear();
    });

    it('sends text and html with a Message-ID derived from the outbox id', async () => {
      const result = await smtp.send({ channel: 'email', to: 'sara@example.sa', subject: 'عرض خاص', text: 'مرحبا سارة', html: '<p>مرحبا سارة</p>', referenceId: '0190abcd-0001' }, credential, signal(), OPEN);
      expect(result).to.deep.equal({ providerMessageId: '<0190abcd-0001@acme.example>', status: 'sent' });
      expect(fake.messages).to.have.length(1);
      const m = fake.messages[0]!;
      expect(m.to).to.deep.equal(['sara@example.sa']);
      expect(m.from).to.equal('sales@acme.example');
      expect(m.headers['message-id']).to.equal('<0190abcd-0001@acme.example>');
      expect(m.raw).to.include('multipart/alternative');
      expect(m.headers.subject).to.match(/=\?UTF-8\?/i);
    });

    it('renders a template into subject, text and html (HTML-escaped)', async () => {
      await smtp.send(
        { channel: 'email', to: 'sara@example.sa', subject: 'Hi {{name}}', text: 'Dear {{name}}', html: '<b>{{name}}</b>', referenceId: 'm2', template: { name: 'welcome', variables: { name: 'Sara <3' } } },
        credential,
        signal(),
        OPEN,
      );
      const raw = fake.messages[0]!.raw;
      expect(fake.messages[0]!.headers.subject).to.equal('Hi Sara <3');
      expect(raw).to.include('Dear Sara <3');
      expect(raw).to.include('<b>Sara &#60;3</b>');
    });

    it('a refused recipient (550) is definite and not retryable; a 451 on the data is retryable', async () => {
      fake.refuseRecipients.add('nobody@example.sa');
      expect(await providerError(smtp.send({ channel: 'email', to: 'nobody@example.sa', subject: 's', text: 't', referenceId: 'm3' }, credential, signal(), OPEN))).to.include({ code: 'invalid_recipient', definite: true, retryable: false });
      fake.refuseNextData(451);
      expect(await providerError(smtp.send({ channel: 'email', to: 'sara@example.sa', subject: 's', text: 't', referenceId: 'm4' }, credential, signal(), OPEN))).to.include({ code: 'deferred', definite: true, retryable: true });
      fake.refuseNextData(554);
      expect(await providerError(smtp.send({ channel: 'email', to: 'sara@example.sa', subject: 's', text: 't', referenceId: 'm5' }, credential, signal(), OPEN))).to.include({ code: 'rejected', definite: true, retryable: false });
      expect(fake.messages).to.have.length(0);
    });

    it('a wrong password is auth_failed; no server is unreachable (both definite)', async () => {
      expect(await providerError(smtp.send({ channel: 'email', to: 'sara@example.sa', subject: 's', text: 't', referenceId: 'm6' }, { ...credential, pass: 'wrong' }, signal(), OPEN))).to.include({ code: 'auth_failed', definite: true, retryable: false });
      const port = await closedPort();
      expect(await providerError(smtp.send({ channel: 'email', to: 'sara@example.sa', subject: 's', text: 't', referenceId: 'm7' }, { ...credential, port: String(port) }, signal(), OPEN))).to.include({ code: 'unreachable', definite: true, retryable: true });
    });

    it('derives Message-IDs safely', () => {
      expect(messageIdFor('a b<c>', 'x@Example.COM')).to.equal('<a_b_c_@example.com>');
      expect(messageIdFor('id', 'no address')).to.equal('<id@tadfuq.invalid>');
    });
  });
});

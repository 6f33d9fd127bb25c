// The egress guard (engine/runtime/egress-guard.ts) for every kind of outbound connection a
// tenant can aim: the http.request node, the CRM webhook (crm.update), LLM base URLs (groq-sdk /
// openai through ctx.http), and each messaging provider's base URL or host through the outbox
// send path (UltraMsg, Twilio, SMTP). Each spelling of a private target is refused with
// `address_not_allowed` naming the host and the address, while a local listener on the port
// the target names (127.0.0.1 and ::1) counts ZERO connections; with allowPrivateNetwork on,
// the same kinds of connection do reach it.
import { expect } from 'chai';
import net from 'node:net';
import type dns from 'node:dns';
import { fetch as undiciFetch } from 'undici';
import {
  DENY_PRIVATE,
  EgressRefused,
  checkedLookup,
  egressDispatcher,
  guardedConnect,
  hostRefusal,
  isPublicAddress,
  literalAddress,
  type CrmAccess,
  type CrmUpdateResult,
  type LlmFailure,
  type Resolver,
} from '../../engine/index.js';
import { httpRequestNode } from '../../nodes/http-request.node.js';
import { crmUpdateNode } from '../../nodes/crm-update.node.js';
import { failureOf, runNode } from '../../nodes/testing/run-node.js';
import { TenantRepository, type Database } from '../../db/index.js';
import { UltraMsgProvider } from '../../server/channels/ultramsg.js';
import { TwilioProvider } from '../../server/channels/twilio.js';
import { SmtpProvider } from '../../server/channels/smtp.js';
import { egressProblems } from '../../server/security/credential-types.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { fakeLlm } from '../helpers/fake-openai.js';
import { ALWAYS_OPEN, contact, grant, origin, outboxRig, type OutboxRig } from '../outbox-service/outbox-fixtures.js';

/** Hosts as written in a URL (the listener's port is appended). */
const URL_HOSTS = [
  '127.0.0.1',
  '127.0.0.2',
  '[::1]',
  '[0:0:0:0:0:0:0:1]',
  '[::127.0.0.1]',
  '[::7f00:1]',
  '[::ffff:7f00:1]',
  '[::ffff:127.0.0.1]',
  '[::ffff:0:7f00:1]',
  '[64:ff9b::7f00:1]',
  '[64:ff9b:1::7f00:1]',
  '[2002:7f00:1::]',
  '2130706433',
  '0x7f.1',
  '0x7f000001',
  '0177.0.0.1',
  '127.1',
  '127.0.0.1.',
  'localhost',
  'localhost.',
  'LocalHost',
  'api.localhost',
  'api.localhost.',
  '0.0.0.0',
  '0',
  '[::]',
  '169.254.169.254',
  '[fd00:ec2::254]',
  '[fe80::1]',
  '10.0.0.1',
  '172.16.0.1',
  '192.168.1.1',
  '100.64.0.1',
  '[fc00::1]',
  '[2001::7f00:1]',
];
/** The same targets as an SMTP host is typed (no brackets). */
const SMTP_HOSTS = URL_HOSTS.map((h) => h.replace(/^\[(.*)\]$/, '$1'));

/** Listens on 127.0.0.1 and (when the machine has it) ::1 on one port; counts connections and drops them. */
async function countingListener(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let count = 0;
  const onConnection = (socket: net.Socket): void => {
    count++;
    socket.destroy();
  };
  const v4 = net.createServer(onConnection);
  await new Promise<void>((resolve) => v4.listen(0, '127.0.0.1', resolve));
  const port = (v4.address() as net.AddressInfo).port;
  const v6 = net.createServer(onConnection);
  const v6Up = await new Promise<boolean>((resolve) => {
    v6.once('error', () => resolve(false));
    v6.listen(port, '::1', () => resolve(true));
  });
  return {
    port,
    connections: () => count,
    async close() {
      await new Promise<void>((resolve) => v4.close(() => resolve()));
      if (v6Up) await new Promise<void>((resolve) => v6.close(() => resolve()));
    },
  };
}

/** A refusal names the host as given and the address it stands for. */
function expectRefusal(message: string, host: string): void {
  expect(message, host).to.include(`refusing to connect to ${host}`);
}

function fakeCrm(url: string): CrmAccess {
  return {
    async update(request): Promise<CrmUpdateResult> {
      return { target: request.target, id: request.id, changeId: 'exec:1', changes: { score: { from: 1, to: 2 } }, record: { id: request.id }, events: [], externalWebhook: { url } };
    },
  };
}

const staticResolver =
  (answers: string[]): Resolver =>
  (_host, _options, callback) =>
    process.nextTick(() => callback(null, answers.map((address) => ({ address, family: net.isIPv6(address) ? 6 : 4 }) as dns.LookupAddress)));

describe('egress guard', function () {
  this.timeout(30_000);
  let listener: Awaited<ReturnType<typeof countingListener>>;

  before(async () => {
    listener = await countingListener();
  });
  after(() => listener?.close());

  describe('the address check', () => {
    it('refuses every spelling of loopback, private, link-local, unique-local, CGNAT, metadata, unspecified and embedded addresses', () => {
      for (const host of [...URL_HOSTS, ...SMTP_HOSTS]) {
        const refusal = hostRefusal(host, DENY_PRIVATE);
        expect(refusal, host).to.be.instanceOf(EgressRefused);
        expect(refusal).to.include({ code: 'address_not_allowed', retryable: false });
      }
      for (const host of [...URL_HOSTS, ...SMTP_HOSTS]) expect(hostRefusal(host, { allowPrivateNetwork: true }), host).to.equal(null);
    });

    it('reads odd IPv4 spellings as the address they are (WHATWG URL / inet_aton) and judges IPv6 embeddings by their IPv4', () => {
      for (const s of ['2130706433', '0x7f.1', '0177.0.0.1', '127.1', '127.0.0.1.', '[127.0.0.1]']) expect(literalAddress(s), s).to.equal('127.0.0.1');
      expect(literalAddress('api.example.com')).to.equal(null);
      for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1']) expect(isPublicAddress(a), a).to.equal(true);
      // ::1.2.3.4 is IPv4-compatible (deprecated), not mapped: refused whatever it embeds.
      for (const a of ['::1.2.3.4', '::', '::1', 'fe80::1%eth0', '2001:db8::1', '224.0.0.1', '255.255.255.255', '198.18.0.1', 'example.com', '']) expect(isPublicAddress(a), a).to.equal(false);
      expect(hostRefusal('api.example.com', DENY_PRIVATE)).to.equal(null); // names: checked when resolved
    });

    it('the DNS hook checks every address of the answer, at connection time (a name resolving to loopback is refused)', async () => {
      const lookup = checkedLookup(DENY_PRIVATE, staticResolver(['93.184.215.14', '127.0.0.1']));
      const err = await new Promise<unknown>((resolve) => lookup('rebind.example', { all: true }, (e) => resolve(e)));
      expect(err).to.be.instanceOf(EgressRefused).with.property('address', '127.0.0.1');
      // Through a dispatcher (as undici and the SDKs use it): nothing reaches the listener.
      const dispatcher = egressDispatcher(DENY_PRIVATE, { resolve: staticResolver(['127.0.0.1']) });
      const failed = await undiciFetch(`http://rebind.example:${listener.port}/`, { dispatcher }).catch((e: unknown) => e);
      expect((failed as { cause?: unknown }).cause).to.be.instanceOf(EgressRefused);
      expect(listener.connections()).to.equal(0);
    });

    it('credential and webhook targets on literal private addresses are refused when saved, at the field’s path', () => {
      expect(egressProblems('ultramsg', { instanceId: 'i', token: 't', baseUrl: 'http://[::127.0.0.1]:8080/x' }, '/body/data', DENY_PRIVATE)).to.deep.equal([
        { path: '/body/data/baseUrl', code: 'address_not_allowed', message: egressProblems('groq', { baseUrl: 'https://0x7f.1' }, '/body/data', DENY_PRIVATE)[0]!.message },
      ]);
      expect(egressProblems('smtp', { host: '0177.0.0.1' }, '/body/data', DENY_PRIVATE).map((p) => p.path)).to.deep.equal(['/body/data/host']);
      expect(egressProblems('twilio', { baseUrl: 'https://api.twilio.com' }, '/body/data', DENY_PRIVATE)).to.deep.equal([]);
      expect(egressProblems('smtp', { host: '127.0.0.1' }, '/body/data', { allowPrivateNetwork: true })).to.deep.equal([]);
    });
  });

  describe('refused for each kind of connection (the listener receives nothing)', () => {
    afterEach(() => expect(listener.connections(), 'connections that reached the listener').to.equal(0));

    it('http.request', async () => {
      for (const host of URL_HOSTS) {
        const url = `http://${host}:${listener.port}/secret`;
        const failure = await failureOf(runNode(httpRequestNode, { params: { method: 'GET', url }, allowPrivateNetwork: false }));
        expect(failure, url).to.include({ code: 'address_not_allowed', retryable: false });
        expectRefusal(failure.message, new URL(url).hostname);
      }
    });

    it('crm.update (the external CRM webhook)', async () => {
      for (const host of URL_HOSTS) {
        const url = `http://${host}:${listener.port}/crm/hook`;
        const failure = await failureOf(runNode(crmUpdateNode, { params: { target: 'contact', id: 'c1', set: { score: 2 } }, crm: fakeCrm(url), allowPrivateNetwork: false }));
        expect(failure, url).to.include({ code: 'address_not_allowed', retryable: false });
      }
    });

    it('LLM base URLs (groq-sdk and openai)', async () => {
      for (const host of URL_HOSTS) {
        const baseUrl = `https://${host}:${listener.port}`;
        for (const provider of ['groq', 'openai'] as const) {
          const { service } = fakeLlm({ groq: provider === 'groq' ? baseUrl : null, openai: provider === 'openai' ? baseUrl : null, allowPrivateNetwork: false, settings: { external: 'allowed' } });
          const err = (await service.complete({ task: 'score', system: 's', prompt: 'u' }).catch((e: unknown) => e)) as LlmFailure;
          expect(err, `${provider} ${baseUrl}`).to.have.property('code', 'llm_address_not_allowed');
        }
      }
    });

    describe('provider base URLs and SMTP hosts through the outbox', () => {
      let tdb: TestDatabase;
      let db: Database;
      let rig: OutboxRig;
      let tenantId: string;
      let contactId: string;

      before(async () => {
        tdb = await createTestDatabase('sqlite');
        db = tdb.db;
        tenantId = (await new TenantRepository(db).ensure('egress', 'Egress', { sendPolicy: ALWAYS_OPEN } as never)).id;
        const c = await contact(db, tenantId);
        contactId = c.id;
        for (const channel of ['whatsapp', 'sms', 'email'] as const) await grant(db, tenantId, c.id, channel, 'service', Date.now() - 86_400_000);
      });
      beforeEach(() => {
        rig = outboxRig(db, () => new Date());
        rig.providers.register(new UltraMsgProvider({ timeoutMs: 2000 }), { account: (c) => c.instanceId ?? 'x' });
        rig.providers.register(new TwilioProvider({ timeoutMs: 2000 }), { account: (c) => c.accountSid ?? 'x' });
        rig.providers.register(new SmtpProvider({ connectionTimeoutMs: 2000, socketTimeoutMs: 2000 }), { account: (c) => `${c.host}:${c.user}` });
      });
      after(async () => {
        await tdb?.db.close();
        await tdb?.drop();
      });

      const cases = [
        { type: 'ultramsg', channel: 'whatsapp', targets: URL_HOSTS, data: (host: string, port: number) => ({ instanceId: 'instance1', token: 'TOKEN-SECRET', baseUrl: `https://${host}:${port}` }) },
        { type: 'twilio', channel: 'sms', targets: URL_HOSTS, data: (host: string, port: number) => ({ accountSid: `AC${'0'.repeat(32)}`, authToken: 'AUTH-SECRET', from: '+14155550100', baseUrl: `https://${host}:${port}` }) },
        { type: 'smtp', channel: 'email', targets: SMTP_HOSTS, data: (host: string, port: number) => ({ host, port, secure: false, user: 'u', pass: 'PASS-SECRET', from: 'Acme <sales@acme.example>' }) },
      ] as const;

      for (const c of cases) {
        it(`${c.type} (${c.channel})`, async () => {
          for (const [i, host] of c.targets.entries()) {
            const name = `${c.type}-${i}`;
            await rig.credentials(tenantId).create({ name, type: c.type, data: c.data(host, listener.port), createdBy: 'test' });
            const text = c.channel === 'email' ? { subject: 's', text: 'hello' } : c.channel === 'whatsapp' ? { text: 'hello', template: { name: 'hello' } } : { text: 'hello' };
            const result = await rig.service.send(origin(tenantId), { channel: c.channel, contactId, purpose: 'service', credential: name, ...text }, new AbortController().signal, {});
            expect(result, `${c.type} ${host}`).to.deep.include({ status: 'failed', code: 'address_not_allowed' });
            expect((result as { message: string }).message).to.include('refusing to connect to').and.not.match(/SECRET/);
          }
        });
      }
    });
  });

  describe('allowed when the tenant allows private networks (the listener is reached)', () => {
    let before0: number;
    beforeEach(() => {
      before0 = listener.connections();
    });
    const reached = () => expect(listener.connections()).to.be.greaterThan(before0);

    it('http.request and crm.update', async () => {
      await runNode(httpRequestNode, { params: { method: 'GET', url: `http://127.0.0.1:${listener.port}/` }, allowPrivateNetwork: true }).catch(() => undefined);
      reached();
      before0 = listener.connections();
      await runNode(crmUpdateNode, { params: { target: 'contact', id: 'c1', set: { score: 2 } }, crm: fakeCrm(`http://localhost:${listener.port}/`), allowPrivateNetwork: true }).catch(() => undefined);
      reached();
    });

    it('LLM base URL', async () => {
      const { service } = fakeLlm({ groq: `http://127.0.0.1:${listener.port}`, openai: null, allowPrivateNetwork: true, settings: { external: 'allowed' } });
      await service.complete({ task: 'score', system: 's', prompt: 'u' }).catch(() => undefined);
      reached();
    });

    it('provider base URLs and SMTP (guardedConnect)', async () => {
      const signal = new AbortController().signal;
      const open = { allowPrivateNetwork: true };
      await new UltraMsgProvider({ timeoutMs: 2000 }).send({ channel: 'whatsapp', to: '+966551234567', text: 'x', referenceId: 'r1' }, { instanceId: 'i', token: 't', baseUrl: `http://127.0.0.1:${listener.port}` }, signal, open).catch(() => undefined);
      reached();
      before0 = listener.connections();
      await new SmtpProvider({ connectionTimeoutMs: 2000, socketTimeoutMs: 2000 })
        .send({ channel: 'email', to: 'a@b.example', subject: 's', text: 't', referenceId: 'r2' }, { host: '127.0.0.1', port: String(listener.port), from: 'a@acme.example' }, signal, open)
        .catch(() => undefined);
      reached();
      before0 = listener.connections();
      const socket = await guardedConnect({ host: '0x7f.1', port: listener.port, policy: open, timeoutMs: 2000 });
      socket.destroy();
      reached();
    });
  });
});

// At-most-once sending across real crashes, for every real messaging provider (UltraMsg, the
// WhatsApp Cloud API, Unifonic, Taqnyat): the server (server/main.ts) runs a flow whose send
// step goes to a local HTTP server speaking that provider's API (through the tenant's
// credential, baseUrl pointed at it), and kills itself with SIGKILL at a chosen point
// of the send (the outbox's test hook TADFUQ_TEST_CRASH_AT). Then it is restarted on the same
// data and the provider's request count tells what happened:
// - killed after the outbox row was committed `pending`, before the provider call: the
//   restarted server sends it, exactly once;
// - killed after the provider call, before its answer was recorded: the row is left `uncertain`,
//   the step fails with send_uncertain, and the provider never sees a second request.
// On SQLite and PostgreSQL.
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DIALECTS, createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { flow } from '../helpers/runtime-harness.js';
import { FlowRepository, TenantRepository, type Database } from '../../db/index.js';
import { CredentialRepository } from '../../db/credential-repository.js';
import { OutboxRepository } from '../../db/outbox-repository.js';
import { createRegistry } from '../../nodes/registry.js';
import { SecretBox } from '../../server/security/secret-box.js';
import { parseSecretKey } from '../../server/security/secret-key.js';
import { ALWAYS_OPEN, contact, grant } from './outbox-fixtures.js';

const SECRET_KEY = 'cd'.repeat(32);

/** Which message a request is for: our outbox id where the API carries one, else the recipient. */
type KeyOf = (form: URLSearchParams | null, json: Record<string, unknown> | null) => string | null;

interface CrashProvider {
  name: 'ultramsg' | 'whatsapp-cloud' | 'unifonic' | 'taqnyat';
  channel: 'whatsapp' | 'sms';
  /** The request's key: the outbox message id, or (Taqnyat sends none) the recipient's number. */
  keyOf: KeyOf;
  byRecipient: boolean;
  /** The recorded success answer of the provider's API. */
  answer(n: number): { status: number; body: unknown };
  credential(url: string): Record<string, string>;
  node: Record<string, unknown>;
}

const PROVIDERS: CrashProvider[] = [
  {
    name: 'ultramsg',
    channel: 'whatsapp',
    keyOf: (form) => (form?.get('token') === 'crash-token' ? form.get('referenceId') : null),
    byRecipient: false,
    answer: (n) => ({ status: 200, body: { sent: 'true', message: 'ok', id: n } }),
    credential: (url) => ({ instanceId: 'instance77', token: 'crash-token', baseUrl: url }),
    node: { type: 'send.whatsapp', params: { purpose: 'service', template: { name: 'appointment', variables: { day: 'الأحد' } }, text: 'موعدك يوم {{day}}' } },
  },
  {
    name: 'whatsapp-cloud',
    channel: 'whatsapp',
    keyOf: (_f, json) => (typeof json?.biz_opaque_callback_data === 'string' ? json.biz_opaque_callback_data : null),
    byRecipient: false,
    answer: (n) => ({ status: 200, body: { messaging_product: 'whatsapp', contacts: [{ input: 'x', wa_id: 'x' }], messages: [{ id: `wamid.CRASH${n}` }] } }),
    credential: (url) => ({ accessToken: 'crash-token', phoneNumberId: '155500000001', baseUrl: url }),
    node: { type: 'send.whatsapp', params: { purpose: 'service', template: { name: 'appointment', language: 'ar', variables: { day: 'الأحد' } } } },
  },
  {
    name: 'unifonic',
    channel: 'sms',
    keyOf: (form) => form?.get('CorrelationID') ?? null,
    byRecipient: false,
    answer: (n) => ({ status: 200, body: { success: true, message: '', errorCode: 'ER-00', data: { MessageID: n, Status: 'Sent' } } }),
    credential: (url) => ({ appSid: 'crash-app-sid', senderId: 'Acme', baseUrl: url }),
    node: { type: 'send.sms', params: { purpose: 'service', text: 'موعدك يوم الأحد' } },
  },
  {
    name: 'taqnyat',
    channel: 'sms',
    keyOf: (_f, json) => (Array.isArray(json?.recipients) ? `+${String(json.recipients[0])}` : null),
    byRecipient: true,
    answer: (n) => ({ status: 201, body: { statusCode: 201, messageId: n, cost: '0.0500', currency: 'SAR' } }),
    credential: (url) => ({ token: 'crash-token', sender: 'Acme', baseUrl: url }),
    node: { type: 'send.sms', params: { purpose: 'service', text: 'موعدك يوم الأحد' } },
  },
];

/** A local server speaking one provider's send API: counts requests per message key and answers like the provider. */
async function startFakeProvider(p: CrashProvider): Promise<{ url: string; hits: Map<string, number>; close(): Promise<void> }> {
  const hits = new Map<string, number>();
  let n = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      let json: Record<string, unknown> | null = null;
      try {
        json = isForm ? null : (JSON.parse(body) as Record<string, unknown>);
      } catch {
        json = null;
      }
      const key = p.keyOf(isForm ? new URLSearchParams(body) : null, json);
      if (!key) {
        res.writeHead(400, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: 'unexpected request' }));
      }
      hits.set(key, (hits.get(key) ?? 0) + 1);
      const a = p.answer(++n);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

for (const dialect of DIALECTS) {
  for (const provider of PROVIDERS) {
    describe(`outbox across SIGKILL: ${provider.name} (${dialect})`, function () {
      this.timeout(120_000);
      let tdb: TestDatabase;
      let fake: Awaited<ReturnType<typeof startFakeProvider>>;
      let server: ServerProcess | undefined;
      let tenantId: string;
      let env: Record<string, string>;

      before(async function () {
        if (dialect === 'postgres') await requirePostgres(this);
        tdb = await createTestDatabase(dialect);
        fake = await startFakeProvider(provider);
        const db = tdb.db;
        tenantId = (await new TenantRepository(db).ensure('crash', 'Crash tenant', { sendPolicy: ALWAYS_OPEN, allowPrivateNetwork: true } as never)).id;
        await new CredentialRepository(db, SecretBox.forCredentials(parseSecretKey(SECRET_KEY)), tenantId).create({
          name: 'Sender',
          type: provider.name,
          data: provider.credential(fake.url),
          createdBy: 'test',
        });
        await new FlowRepository(db, createRegistry(), tenantId).publish(
          flow(
            [
              { id: 'hook', type: 'trigger.webhook', params: { path: 'send', respond: 'immediately' } },
              { id: 'wa', type: provider.node.type as string, params: { ...(provider.node.params as object), credential: 'Sender', contactId: '=$trigger.body.contactId' } },
            ],
            [['hook', 'out', 'wa']],
          ),
          { flowId: 'crash-send' },
        );
        await db.close();
        env = { TADFUQ_DATA_DIR: tdb.dataDir, DATABASE_URL: tdb.url ?? '', TADFUQ_SECRET_KEY: SECRET_KEY };
      });

      after(async () => {
        await server?.kill('SIGKILL');
        await fake?.close();
        await tdb?.drop();
      });

      /** A contact with consent, and an execution of the flow for it started on a server that kills itself at `point`. */
      async function crashAt(point: 'after_pending' | 'after_provider_call'): Promise<{ db: Database; executionId: string; messageId: string; key: string }> {
        let db = await tdb.reopen();
        const lead = await contact(db, tenantId);
        await grant(db, tenantId, lead.id, provider.channel, 'service', Date.now() - 86_400_000);
        await db.close();
        server = await startServerProcess({ ...env, TADFUQ_TEST_CRASH_AT: point });
        const child = server.child;
        const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
        // The answer may or may not make it out before the process kills itself.
        await fetch(`${server.origin}/hooks/crash/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ contactId: lead.id }) }).catch(() => undefined);
        const signal = await Promise.race([exited, new Promise<'alive'>((resolve) => setTimeout(() => resolve('alive'), 30_000))]);
        if (signal === 'alive') {
          const stderr = server.stderr();
          await server.kill('SIGKILL');
          throw new Error(`the server did not reach ${point} within 30 s; stderr: ${stderr}`);
        }
        expect(signal, `the server killed itself at ${point}`).to.equal('SIGKILL');
        server = undefined;
        db = await tdb.reopen();
        const [execution] = await db.sql.query('SELECT id FROM executions WHERE tenant_id = $1 AND flow_id = $2 ORDER BY started_at DESC LIMIT 1', [tenantId, 'crash-send']);
        const [message] = await new OutboxRepository(db, tenantId).list({ executionId: String(execution!.id), limit: 5 });
        expect(message, 'the outbox row was committed before the crash').to.not.equal(undefined);
        expect(message!.to).to.equal(lead.phone);
        return { db, executionId: String(execution!.id), messageId: message!.id, key: provider.byRecipient ? lead.phone! : message!.id };
      }

      async function statusOf(db: Database, executionId: string): Promise<{ status: string; error: unknown }> {
        const [row] = await db.sql.query('SELECT status, error FROM executions WHERE id = $1', [executionId]);
        return { status: String(row!.status), error: row!.error ? JSON.parse(String(row!.error)) : null };
      }

      it('killed after `pending`, before the provider call: the restarted server sends exactly once', async () => {
        const { db, executionId, messageId, key } = await crashAt('after_pending');
        try {
          expect((await new OutboxRepository(db, tenantId).get(messageId))!.status).to.equal('pending');
          expect(fake.hits.get(key) ?? 0, 'no provider call before the crash').to.equal(0);
          server = await startServerProcess(env);
          await waitFor(async () => (await statusOf(db, executionId)).status === 'succeeded', 30_000, 100).catch(async (err: Error) => {
            const rows = await db.sql.query('SELECT status, error, state FROM executions WHERE id = $1', [executionId]);
            const out = await db.sql.query('SELECT * FROM outbound_messages WHERE id = $1', [messageId]);
            throw new Error(`${err.message}; ${JSON.stringify(rows)}; ${JSON.stringify(out)}; stderr: ${server?.stderr()}`);
          });
          expect(fake.hits.get(key)).to.equal(1);
          expect(await new OutboxRepository(db, tenantId).get(messageId)).to.deep.include({ status: 'sent', attempts: 1, provider: provider.name, credentialName: 'Sender' });
        } finally {
          await server?.kill('SIGKILL');
          server = undefined;
          await db.close();
        }
      });

      it('killed after the provider call, before its answer was recorded: uncertain, step failed with send_uncertain, never sent again', async () => {
        const { db, executionId, messageId, key } = await crashAt('after_provider_call');
        try {
          expect((await new OutboxRepository(db, tenantId).get(messageId))!.status).to.equal('sending');
          expect(fake.hits.get(key), 'the provider got it before the crash').to.equal(1);
          server = await startServerProcess(env);
          await waitFor(async () => (await statusOf(db, executionId)).status === 'failed', 30_000, 100);
          expect((await statusOf(db, executionId)).error).to.deep.include({ code: 'send_uncertain', node: 'wa' });
          expect(await new OutboxRepository(db, tenantId).get(messageId)).to.deep.include({ status: 'uncertain', attempts: 1 });
          // Give a second request every chance to happen: it must not.
          await new Promise((r) => setTimeout(r, 500));
          expect(fake.hits.get(key)).to.equal(1);
          for (const [ref, count] of fake.hits) expect(count, ref).to.be.at.most(1);
        } finally {
          await server?.kill('SIGKILL');
          server = undefined;
          await db.close();
        }
      });
    });
  }
}

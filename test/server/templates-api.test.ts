// The templates API in-process: the gallery, the round trip of every built-in template (import
// into a fresh tenant, export, compare, re-import published into another, run it against a
// local HTTP server), every import problem reported at once with nothing written, the
// literal-secret refusal, permissions and tenant scoping.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http, { type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createContext, type AppContext } from '../../server/app-context.js';
import { assertContract, checkedApp } from '../helpers/contract.js';
import { loadConfig } from '../../server/config.js';
import type { Flow, FlowError } from '../../engine/index.js';
import type { Tenant } from '../../db/index.js';
import { builtinTemplatesDir, placeholderSites, planImport, type TemplateDoc } from '../../server/templates/index.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { waitFor } from '../helpers/wait-for.js';

interface Received {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

/** The outside world of the templates' http.request steps: records requests; GET answers a deals report. */
async function startRemote(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        /* kept as text */
      }
      received.push({ method: req.method ?? '', path: new URL(req.url ?? '/', 'http://x').pathname, authorization: req.headers.authorization, body });
      res.writeHead(200, { 'content-type': 'application/json' });
      const report = { deals: [{ stage: 'won', amountHalalas: 12_345_600 }, { stage: 'won', amountHalalas: 50 }, { stage: 'lost', amountHalalas: 900 }, { stage: 'open', amountHalalas: 1 }] };
      res.end(JSON.stringify(req.method === 'GET' ? report : { ok: true }));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sample data per credential type (what an admin would type in). */
function credentialData(type: string, secret: string): Record<string, unknown> {
  switch (type) {
    case 'http-bearer':
      return { token: secret };
    case 'http-header':
      return { name: 'X-Api-Key', value: secret };
    case 'webhook-hmac':
      return { secret: `${secret}-0123456789abcdef` };
    default:
      throw new Error(`the round-trip test has no sample data for credential type ${type}: add it`);
  }
}

const TEMPLATE_FILES = readdirSync(builtinTemplatesDir())
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('server: templates API', function () {
  this.timeout(60_000);
  let dataDir: string;
  let ctx: AppContext;
  let app: RequestListener;
  let remote: Awaited<ReturnType<typeof startRemote>>;

  interface TestTenant {
    tenant: Tenant;
    admin: TestMember;
  }

  async function freshTenant(): Promise<TestTenant> {
    const tenant = await ctx.tenants.ensure(`tpl-${randomUUID().slice(0, 8)}`, 'شركة القوالب — Templates Co', { allowPrivateNetwork: true });
    ctx.tenantSettings.set(tenant.id, tenant.settings);
    return { tenant, admin: await addMember(ctx, tenant.id, 'admin') };
  }

  /** Flows of a tenant, straight from the database (drafts included). */
  async function flowCount(tenantId: string): Promise<number> {
    const [row] = await ctx.db.sql.query('SELECT COUNT(*) AS n FROM flows WHERE tenant_id = $1', [tenantId]);
    return Number(row!.n);
  }

  const details = (res: request.Response): FlowError[] => res.body.error.details as FlowError[];
  const pathsCodes = (errors: FlowError[]): string[] => errors.map((e) => `${e.path} ${e.code}`);

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-templates-'));
    ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: '' }), pino({ level: 'silent' }));
    await ctx.runtime.start();
    app = checkedApp(ctx);
    remote = await startRemote();
  });

  after(async () => {
    await remote?.close();
    await ctx?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    assertContract(app);
  });

  describe('gallery', () => {
    it('lists every built-in template with its credentials, variables and node types', async () => {
      const { tenant } = await freshTenant();
      const viewer = await addMember(ctx, tenant.id, 'viewer');
      const res = await request(app).get('/api/v1/templates').set(viewer.headers).expect(200);
      const templates = res.body.items as { id: string; name: { en: string; ar: string }; nodeTypes: string[]; credentials: { type: string }[]; version: string }[];
      expect(templates).to.have.length(TEMPLATE_FILES.length);
      expect(TEMPLATE_FILES.length).to.be.at.least(2);
      for (const t of templates) {
        expect(t.name.en, t.id).to.be.a('string').and.not.equal('');
        expect(t.name.ar, t.id).to.match(/[\u0600-\u06FF]/);
        expect(t.version).to.match(/^\d+\.\d+\.\d+/);
        for (const type of t.nodeTypes) expect(ctx.registry.get(type), `${t.id} uses ${type}`).to.not.equal(undefined);
      }
      const lead = templates.find((t) => t.id === 'lead-routing')!;
      expect(lead.nodeTypes).to.deep.equal(['data.set', 'http.request', 'logic.if', 'trigger.webhook']);
      expect(lead.credentials.map((c) => c.type)).to.deep.equal(['http-bearer']);
    });

    it('answers one template with the file, and 404 for an unknown id', async () => {
      const { admin } = await freshTenant();
      const res = await request(app).get('/api/v1/templates/daily-sales-report').set(admin.headers).expect(200);
      expect(res.body.id).to.equal('daily-sales-report');
      expect(res.body.template.manifest.id).to.equal('daily-sales-report');
      expect(res.body.nodeTypes).to.include.members(['trigger.schedule', 'code']);
      const missing = await request(app).get('/api/v1/templates/no-such-template').set(admin.headers).expect(404);
      expect(missing.body.error.code).to.equal('not_found');
    });
  });

  it('the OpenAPI document lists the template routes with their permissions and answers', async () => {
    const doc = (await request(app).get('/api/v1/openapi.json').expect(200)).body as { paths: Record<string, Record<string, { 'x-permission'?: string; responses: Record<string, unknown> }>> };
    expect(doc.paths['/api/v1/templates/export']!.post!['x-permission']).to.equal('templates.export');
    expect(doc.paths['/api/v1/templates/import']!.post!['x-permission']).to.equal('templates.import');
    expect(doc.paths['/api/v1/templates/import']!.post!.responses).to.have.keys('201', '400', '401', '403', '413', '415');
    expect(doc.paths['/api/v1/templates']!.get!['x-permission']).to.equal('flows.read');
    expect(doc.paths['/api/v1/templates/{id}']!.get!['x-permission']).to.equal('flows.read');
    expect(doc.paths['/api/v1/templates/{id}/import']!.post!['x-permission']).to.equal('templates.import');
    expect(doc.paths['/api/v1/templates/export']!.post!.responses).to.include.keys('200', '404', '409', '422');
  });

  describe('round trip of every built-in template', () => {
    for (const file of TEMPLATE_FILES) {
      it(`${file}: import, export, compare, re-import published, run`, async () => {
        const original = JSON.parse(readFileSync(path.join(builtinTemplatesDir(), file), 'utf8')) as TemplateDoc;
        const id = original.manifest.id;
        // Required variables get a URL of the local server; the rest keep their defaults.
        const variables: Record<string, string> = {};
        for (const v of original.manifest.variables) if (v.required) variables[v.name] = `${remote.url}/${id}/${v.name}`;

        /** Fresh credentials of the right types, named unlike the refs (so the mapping shows). */
        async function credentialsFor(t: TestTenant): Promise<{ mapping: Record<string, string>; secrets: string[] }> {
          const mapping: Record<string, string> = {};
          const secrets: string[] = [];
          for (const c of original.manifest.credentials) {
            const secret = `s3cret-${randomUUID()}`;
            const name = `مفتاح ${c.ref} ${randomUUID().slice(0, 4)}`;
            await ctx.credentials(t.tenant.id).create({ name, type: c.type, data: credentialData(c.type, secret), createdBy: 'test' });
            mapping[c.ref] = name;
            secrets.push(secret);
          }
          return { mapping, secrets };
        }

        // 1. Import into a fresh tenant (as drafts).
        const a = await freshTenant();
        const credsA = await credentialsFor(a);
        const imported = await request(app).post('/api/v1/templates/import').set(a.admin.headers).send({ template: original, credentials: credsA.mapping, variables }).expect(201);
        expect(imported.body.template).to.deep.equal({ id, version: original.manifest.version });
        expect(imported.body.flows.map((f: { key: string }) => f.key)).to.deep.equal(original.flows.map((f) => f.key));
        for (const f of imported.body.flows) expect(f.status).to.equal('draft');
        expect(await flowCount(a.tenant.id)).to.equal(original.flows.length);

        // 2. Export it back.
        const exported = await request(app)
          .post('/api/v1/templates/export')
          .set(a.admin.headers)
          .send({ flowIds: imported.body.flows.map((f: { flowId: string }) => f.flowId), manifest: { name: original.manifest.name, description: original.manifest.description }, source: 'draft' })
          .expect(200);
        expect(exported.headers['content-disposition']).to.equal(`attachment; filename="${id}-${original.manifest.version}.tadfuq.json"`);
        const back = exported.body as TemplateDoc;
        const text = JSON.stringify(back);
        for (const name of Object.values(credsA.mapping)) expect(text, 'tenant credential names stay home').to.not.contain(name);
        for (const secret of credsA.secrets) expect(text).to.not.contain(secret);
        for (const value of Object.values(variables)) expect(text, 'variable values stay home').to.not.contain(value);

        // 3. Compare: the manifest (refs, variables), the placeholders, and the definitions once instantiated.
        const { exportedAt, ...manifest } = back.manifest;
        expect(Number.isNaN(Date.parse(exportedAt!)), 'exportedAt is a date').to.equal(false);
        expect(manifest).to.deep.equal(original.manifest);
        expect(back.flows.map((f) => f.key)).to.deep.equal(original.flows.map((f) => f.key));
        back.flows.forEach((f, i) => {
          const def = f.definition as Flow;
          const orig = original.flows[i]!.definition as Flow;
          expect(def.nodes.map((n) => placeholderSites(n.params))).to.deep.equal(orig.nodes.map((n) => placeholderSites(n.params)));
          expect(def.meta, 'no import bookkeeping in a template').to.equal(undefined);
        });
        const choices = { credentials: { ...credsA.mapping }, variables, registry: ctx.registry, tenantCredentials: await ctx.credentials(a.tenant.id).list() };
        const fromOriginal = planImport({ template: original, ...choices });
        const fromExport = planImport({ template: back, ...choices });
        expect(fromOriginal.errors).to.deep.equal([]);
        expect(fromExport.errors).to.deep.equal([]);
        expect(fromExport.flows).to.deep.equal(fromOriginal.flows);

        // 4. Re-import the export into another fresh tenant, published, and run it. Before the
        // import (so lead.created starts nothing yet): sends never deferred, and a contact with
        // valid consents for the event-triggered templates to run for.
        const b = await freshTenant();
        const credsB = await credentialsFor(b);
        const contactId = await sendableContact(b);
        const published = await request(app).post('/api/v1/templates/import').set(b.admin.headers).send({ template: back, credentials: credsB.mapping, variables, publish: true }).expect(201);
        remote.received.length = 0;
        for (const f of published.body.flows as { flowId: string; status: string; version: number }[]) {
          expect(f.status).to.equal('published');
          expect(f.version).to.equal(1);
          const flow = (await ctx.flows(b.tenant.id).version(f.flowId, 1))!;
          const trigger = flow.nodes.find((n) => n.type.startsWith('trigger.'))!;
          let executionId: string;
          if (trigger.type === 'trigger.event') {
            const p = trigger.params as { event: string };
            const res = await request(app)
              .post('/api/v1/events')
              .set(b.admin.headers)
              .send({ id: `rt-${id}-${randomUUID()}`, type: p.event, subject: contactId, data: eventData(p.event, contactId) });
            expect(res.status, JSON.stringify(res.body)).to.equal(202);
            const started = (res.body.started as { flowId: string; executionId: string }[]).filter((s) => s.flowId === f.flowId);
            expect(started, `${p.event} starts the template's flow`).to.have.length(1);
            executionId = started[0]!.executionId;
            // Event-driven templates wait (for a reply, a decision, progress) or finish; they never fail.
            const status = await waitFor(async () => {
              const e = await ctx.executions(b.tenant.id).get(executionId);
              return e && ['waiting', 'succeeded', 'failed', 'cancelled'].includes(e.status) ? e.status : undefined;
            }, 20_000);
            const view = (await ctx.executions(b.tenant.id).get(executionId))!;
            expect(status, JSON.stringify(view)).to.be.oneOf(['waiting', 'succeeded']);
            expect(view.steps.filter((s) => s.status === 'failed'), JSON.stringify(view.steps)).to.deep.equal([]);
            // Where it stands: the status and the node of its latest step (a wait, a decision, or the end).
            const last = [...view.steps].sort((x, y) => x.seq - y.seq).at(-1)!;
            expect(`${status}:${last.node}`, JSON.stringify(view.steps)).to.be.oneOf(EVENT_RUNS[id] ?? []);
            // A flow whose first step after the trigger (delays that are already due aside) sends:
            // the message is in the outbox, sent through the sandbox (the tenant has no provider).
            const first = firstSend(flow);
            if (first) {
              const outbox = await request(app).get('/api/v1/outbox').query({ contactId, executionId }).set(b.admin.headers).expect(200);
              const items = outbox.body.items as { channel: string; status: string; provider: string | null; contactId: string }[];
              expect(items, JSON.stringify(outbox.body)).to.have.length.at.least(1);
              expect(items[items.length - 1]).to.deep.include({ channel: first, status: 'sent', provider: 'sandbox', contactId });
            }
            continue;
          }
          if (trigger.type === 'trigger.webhook') {
            const p = trigger.params as { path: string; method: string };
            expect(p.method, 'the round trip posts to webhooks').to.equal('POST');
            const res = await request(app)
              .post(`/hooks/${b.tenant.slug}/${p.path}`)
              .send({ name: ' سارة ', company: 'Acme', phone: '+966500000001', email: 'sara@example.sa', budget_sar: '75000' });
            expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 202]);
            executionId = res.headers['x-execution-id'] as string;
          } else {
            expect(trigger.type).to.equal('trigger.schedule');
            const p = trigger.params as { cron: string; timezone: string };
            ({ executionId } = await ctx.runtime.startExecution({
              tenantId: b.tenant.id,
              flowId: f.flowId,
              flowVersion: 1,
              flow,
              trigger: trigger.id,
              payload: { scheduledAt: '2026-03-01T06:00:00.000Z', timezone: p.timezone, cron: p.cron },
              mode: 'schedule',
              durable: true,
            }));
          }
          const result = await ctx.runtime.result(executionId, true);
          expect(result.status, JSON.stringify(result.error)).to.equal('succeeded');
        }
        // Every call reached the local server with tenant B's secret, none with tenant A's; a
        // template without http.request calls nothing outside.
        const callsOut = original.flows.some((f) => (f.definition as Flow).nodes.some((n) => n.type === 'http.request'));
        if (callsOut) expect(remote.received.length).to.be.greaterThan(0);
        else expect(remote.received).to.deep.equal([]);
        for (const r of remote.received) expect(r.path.startsWith(`/${id}/`), r.path).to.equal(true);
        const auth = remote.received.map((r) => r.authorization);
        for (const secret of credsB.secrets) expect(auth).to.include(`Bearer ${secret}`);
        for (const secret of credsA.secrets) expect(auth).to.not.include(`Bearer ${secret}`);
        const check = EXPECTED[id];
        if (check) check(remote.received);
      });
    }
  });

  /** Tenant B's contact for event-triggered templates: every send allowed now, consents granted with evidence. */
  async function sendableContact(t: TestTenant): Promise<string> {
    const open = { respectBusinessHours: false, allowedHours: null };
    const uncapped = { whatsapp: null, sms: null, email: null, call: null };
    await request(app)
      .put('/api/v1/send-policy')
      .set(t.admin.headers)
      .send({ channels: { whatsapp: open, email: open, sms: open, call: open }, caps: { perContactPerDay: uncapped, perTenantPerDay: uncapped } })
      .expect(200);
    const made = await request(app)
      .post('/api/v1/contacts')
      .set(t.admin.headers)
      .send({ name: 'سارة العتيبي', phone: '+966501234567', email: 'sara@example.sa', company: 'شركة الرياض للتقنية' })
      .expect(201);
    const id = made.body.id as string;
    const evidence = { formUrl: 'https://acme.sa/ar/contact', text: 'أوافق على تلقي الرسائل عبر واتساب والبريد — I agree to WhatsApp and email messages' };
    for (const channel of ['whatsapp', 'email'])
      for (const purpose of ['marketing', 'service']) await request(app).post(`/api/v1/contacts/${id}/consents/grant`).set(t.admin.headers).send({ channel, purpose, source: 'web_form', evidence }).expect(200);
    return id;
  }

  /** The event data each trigger.event template expects (meetings: one hour ahead, so a 24 h reminder is already due). */
  function eventData(type: string, contactId: string): unknown {
    switch (type) {
      case 'lead.created':
        return { contact: { id: contactId, name: 'سارة العتيبي', company: 'شركة الرياض للتقنية', source: 'web_form' } };
      case 'meeting.scheduled':
        return { meeting: { id: randomUUID(), contactId, title: 'عرض توضيحي — Demo', startsAt: new Date(Date.now() + 3_600_000).toISOString(), durationMinutes: 30 } };
      case 'deal.stage_changed':
        return { deal: { id: randomUUID(), contactId, title: 'توريد أجهزة — Hardware supply', stage: 'proposal', valueSar: '125000.00', currency: 'SAR', ownerId: null }, from: 'qualified', to: 'proposal' };
      case 'consent.expiring':
        return { channel: 'whatsapp', purpose: 'marketing', expiresAt: new Date(Date.now() + 20 * 86_400_000).toISOString() };
      default:
        throw new Error(`the round-trip test has no sample data for event ${type}: add it`);
    }
  }

  /** The channel of the send that runs first (through already-due delays), if the flow starts by sending. */
  function firstSend(flow: Flow): string | undefined {
    let node = flow.nodes.find((n) => n.type.startsWith('trigger.'));
    for (let hops = 0; node && hops < flow.nodes.length; hops++) {
      if (node.type.startsWith('send.')) return node.type.slice('send.'.length);
      if (hops > 0 && node.type !== 'time.delay') return undefined;
      const from: string = node.id;
      const next = flow.edges.filter((e) => e.from.node === from);
      if (next.length !== 1) return undefined;
      node = flow.nodes.find((n) => n.id === next[0]!.to.node);
    }
    return undefined;
  }

  /** How each event-triggered template's run stands once it settles. */
  const EVENT_RUNS: Record<string, string[]> = {
    'new-lead-sequence': ['waiting:waitReply'], // the welcome is sent; it waits for a reply
    'ai-lead-qualification': ['waiting:escalateHot', 'succeeded:nurture', 'succeeded:markCold'], // hot: a manager decides; warm: consented, nurtured; cold: tagged
    // The reminder time has passed: sent at once (the due delay does not suspend the run; it
    // used to, and this check caught the run waiting an instant on its already-due timer).
    'meeting-reminder': ['succeeded:reminded'],
    'consent-repermission': ['waiting:waitReply'], // the renewal request is sent; it waits for a reply
    'stalled-deal-escalation': ['waiting:waitProgress'], // waits for the next stage change
  };

  /** What each built-in template does, seen from the outside. */
  const EXPECTED: Record<string, (received: Received[]) => void> = {
    'lead-routing': (received) => {
      expect(received.map((r) => `${r.method} ${r.path}`)).to.deep.equal(['POST /lead-routing/notifyUrl']);
      const body = received[0]!.body as { text: string; lead: { name: string; budgetHalalas: number } };
      expect(body.lead).to.include({ name: 'سارة', budgetHalalas: 7_500_000 });
      expect(body.text).to.contain('75,000');
    },
    'daily-sales-report': (received) => {
      expect(received.map((r) => `${r.method} ${r.path}`)).to.deep.equal(['GET /daily-sales-report/reportUrl', 'POST /daily-sales-report/postUrl']);
      const body = received[1]!.body as { text: string; report: Record<string, unknown> };
      expect(body.report).to.include({ date: '2026-03-01', deals: 4, won: 2, lost: 1, open: 1, wonHalalas: 12_345_650 });
      expect(body.text).to.contain('SAR 123,456.50').and.contain('ر.س');
    },
  };

  describe('import', () => {
    it('reports every problem at once with its path, and writes nothing', async () => {
      const { tenant, admin } = await freshTenant();
      await ctx.credentials(tenant.id).create({ name: 'SMTP main', type: 'smtp', data: { host: 'mail.example', port: 587, secure: false, user: 'u', pass: 'p', from: 'a@example.sa' }, createdBy: 'test' });
      // A flow already answers POST /taken.
      await ctx.flows(tenant.id).publish({ schemaVersion: 1, name: 'existing', nodes: [{ id: 'h', type: 'trigger.webhook', params: { path: 'taken' } }], edges: [] });
      const before = await flowCount(tenant.id);
      const label = { en: 'L', ar: 'ل' };
      const template = {
        tadfuqTemplate: 1,
        manifest: {
          id: 'broken',
          name: { en: 'Broken', ar: 'معطوب' },
          description: { en: 'd', ar: 'و' },
          version: '1.0.0',
          credentials: [
            { ref: 'crm', type: 'http-bearer', label },
            { ref: 'mail', type: 'http-bearer', label },
          ],
          variables: [{ name: 'url', label, required: true }],
          extra: 'nope',
        },
        flows: [
          {
            key: 'ok',
            definition: {
              schemaVersion: 1,
              name: 'fine but its path is taken',
              nodes: [
                { id: 'h', type: 'trigger.webhook', params: { path: 'taken' } },
                { id: 'call', type: 'http.request', params: { method: 'POST', url: '{{url}}', credential: 'crm' } },
              ],
              edges: [{ id: 'e1', from: { node: 'h', port: 'out' }, to: { node: 'call', port: 'in' } }],
            },
          },
          {
            key: 'bad',
            definition: {
              schemaVersion: 1,
              name: 'bad',
              nodes: [
                { id: 'h', type: 'trigger.webhook', params: { path: 'fresh' } },
                { id: 'x', type: 'ai.magic', params: {} },
                { id: 'y', type: 'data.set', params: { fields: { a: '=(' } } },
              ],
              edges: [
                { id: 'e1', from: { node: 'h', port: 'out' }, to: { node: 'x', port: 'in' } },
                { id: 'e2', from: { node: 'h', port: 'out' }, to: { node: 'y', port: 'in' } },
              ],
            },
          },
        ],
      };
      const res = await request(app)
        .post('/api/v1/templates/import')
        .set(admin.headers)
        .send({ template, credentials: { mail: 'SMTP main', ghost: 'x' }, variables: { nope: 1 }, publish: true })
        .expect(400);
      expect(res.body.error.code).to.equal('invalid_template');
      const got = pathsCodes(details(res));
      expect(got).to.include.members([
        '/body/template/manifest/extra unknown_property',
        '/body/template/flows/0/definition/nodes/0/params/path webhook_path_taken',
        '/body/template/flows/1/definition/nodes/1/type unknown_node_type',
        '/body/template/flows/1/definition/nodes/2/params/fields/a expression_syntax',
        '/body/credentials/crm required',
        '/body/credentials/mail credential_type_mismatch',
        '/body/credentials/ghost unknown_credential_ref',
        '/body/variables/url required',
        '/body/variables/nope unknown_variable',
      ]);
      expect(await flowCount(tenant.id)).to.equal(before);
      const audit = await ctx.audit(tenant.id).list({ limit: 10, action: 'template.import' });
      expect(audit).to.deep.equal([]);
    });

    it('a problem in one flow keeps the valid ones out too (all or nothing)', async () => {
      const { tenant, admin } = await freshTenant();
      const good = { schemaVersion: 1, name: 'good', nodes: [{ id: 'h', type: 'trigger.manual' }], edges: [] };
      const template = { tadfuqTemplate: 1, manifest: { id: 'half', name: { en: 'H', ar: 'ح' }, description: { en: 'd', ar: 'و' }, version: '1.0.0', credentials: [], variables: [] }, flows: [{ key: 'good', definition: good }, { key: 'bad', definition: { ...good, nodes: [] } }] };
      const res = await request(app).post('/api/v1/templates/import').set(admin.headers).send({ template }).expect(400);
      expect(pathsCodes(details(res))).to.deep.equal(['/body/template/flows/1/definition/nodes no_trigger']);
      expect(await flowCount(tenant.id)).to.equal(0);
    });

    it('imports a gallery template by id, as drafts, and audits who imported what', async () => {
      const { tenant, admin } = await freshTenant();
      await ctx.credentials(tenant.id).create({ name: 'CRM token', type: 'http-bearer', data: { token: 't' }, createdBy: 'test' });
      const missing = await request(app).post('/api/v1/templates/lead-routing/import').set(admin.headers).send({ variables: { minBudgetSar: '100' } }).expect(400);
      expect(pathsCodes(details(missing))).to.have.members(['/body/credentials/crm required', '/body/variables/notifyUrl required', '/body/variables/minBudgetSar invalid_type']);

      const res = await request(app)
        .post('/api/v1/templates/lead-routing/import')
        .set(admin.headers)
        .send({ credentials: { crm: 'CRM token' }, variables: { notifyUrl: 'https://crm.example/hooks/leads', webhookPath: 'forms/contact' } })
        .expect(201);
      const [flow] = res.body.flows as { flowId: string; status: string; key: string }[];
      expect(flow).to.include({ key: 'route-leads', status: 'draft' });
      const record = (await ctx.flows(tenant.id).get(flow!.flowId))!;
      const draft = record.draft as Flow;
      expect(draft.nodes.find((n) => n.id === 'webhook')!.params).to.include({ path: 'forms/contact' });
      expect(draft.nodes.find((n) => n.id === 'notify')!.params).to.include({ url: 'https://crm.example/hooks/leads', credential: 'CRM token' });

      const [entry] = await ctx.audit(tenant.id).list({ limit: 5, action: 'template.import' });
      expect(entry).to.include({ actor: `user:${admin.userId}`, target: 'template:lead-routing' });
      expect(entry!.details).to.deep.include({ templateId: 'lead-routing', version: '1.0.0', publish: false, flows: [{ key: 'route-leads', flowId: flow!.flowId }] });

      // The same path again in this tenant, now published: taken, reported on the variable it came from.
      await request(app).post(`/api/v1/templates/lead-routing/import`).set(admin.headers).send({ credentials: { crm: 'CRM token' }, variables: { notifyUrl: 'https://crm.example/x', webhookPath: 'w1' }, publish: true }).expect(201);
      const again = await request(app).post('/api/v1/templates/lead-routing/import').set(admin.headers).send({ credentials: { crm: 'CRM token' }, variables: { notifyUrl: 'https://crm.example/x', webhookPath: 'w1' } }).expect(400);
      expect(pathsCodes(details(again))).to.deep.equal(['/body/variables/webhookPath webhook_path_taken']);
    });

    it('an API key also needs the permission to save (drafts) or publish what it imports', async () => {
      const { tenant } = await freshTenant();
      const owner = await addMember(ctx, tenant.id, 'owner');
      await ctx.credentials(tenant.id).create({ name: 'CRM token', type: 'http-bearer', data: { token: 't' }, createdBy: 'test' });
      const keyWith = async (scopes: string[]): Promise<Record<string, string>> => {
        const res = await request(app).post('/api/v1/api-keys').set(owner.headers).send({ name: `k-${randomUUID().slice(0, 6)}`, role: 'admin', scopes }).expect(201);
        return { 'X-API-Key': res.body.key as string };
      };
      const body = (webhookPath: string, publish: boolean) => ({ credentials: { crm: 'CRM token' }, variables: { notifyUrl: 'https://crm.example/x', webhookPath }, publish });
      const importOnly = await keyWith(['templates.import']);
      const refused = await request(app).post('/api/v1/templates/lead-routing/import').set(importOnly).send(body('k1', false)).expect(403);
      expect(refused.body.error.message).to.contain('flows.write');
      const drafts = await keyWith(['templates.import', 'flows.write']);
      await request(app).post('/api/v1/templates/lead-routing/import').set(drafts).send(body('k2', false)).expect(201);
      // lead-routing calls external HTTP (Class B): publishing it takes flows.publish.classB.
      const noClassB = await request(app).post('/api/v1/templates/lead-routing/import').set(drafts).send(body('k3', true)).expect(403);
      expect(noClassB.body.error.message).to.contain('flows.publish.classB');
      expect(await flowCount(tenant.id)).to.equal(1);
    });

    it('viewers and managers may not import; 403 before anything is looked at', async () => {
      const { tenant } = await freshTenant();
      for (const role of ['viewer', 'manager', 'sales_rep'] as const) {
        const member = await addMember(ctx, tenant.id, role);
        const res = await request(app).post('/api/v1/templates/import').set(member.headers).send({ template: {} }).expect(403);
        expect(res.body.error.code).to.equal('forbidden');
        await request(app).post('/api/v1/templates/lead-routing/import').set(member.headers).send({}).expect(403);
      }
      expect(await flowCount(tenant.id)).to.equal(0);
    });
  });

  describe('export', () => {
    const hook = (path: string) => ({ id: 'hook', type: 'trigger.webhook', params: { path } });
    const edge = (from: string, to: string, i: number) => ({ id: `e${i}`, from: { node: from, port: 'out' }, to: { node: to, port: 'in' } });

    it('refuses literal secrets with 422 and the exact paths, telling to use a credential', async () => {
      const { tenant, admin } = await freshTenant();
      const repo = ctx.flows(tenant.id);
      const clean = await repo.publish({ schemaVersion: 1, name: 'clean', nodes: [hook('clean')], edges: [] });
      const leaky = await repo.publish({
        schemaVersion: 1,
        name: 'leaky',
        nodes: [
          hook('leaky'),
          { id: 'set', type: 'data.set', params: { fields: { x: 1 } } },
          { id: 'call', type: 'http.request', params: { method: 'POST', url: 'https://api.example/x', headers: { Authorization: 'Bearer sk_live_123', 'X-API-Key': '="abc"', Accept: 'application/json' }, body: { password: 'hunter2', q: '=$trigger.body.q' } } },
        ],
        edges: [edge('hook', 'set', 1), edge('set', 'call', 2)],
      });
      const res = await request(app)
        .post('/api/v1/templates/export')
        .set(admin.headers)
        .send({ flowIds: [clean.flowId, leaky.flowId], manifest: { name: { en: 'x', ar: 'س' }, description: { en: 'x', ar: 'س' } } })
        .expect(422);
      expect(res.body.error.code).to.equal('export_refused');
      expect(pathsCodes(details(res))).to.deep.equal([
        '/flows/1/definition/nodes/2/params/headers/Authorization literal_secret',
        '/flows/1/definition/nodes/2/params/headers/X-API-Key literal_secret',
        '/flows/1/definition/nodes/2/params/body/password literal_secret',
      ]);
      expect(details(res)[0]!.message).to.contain('credential');
      expect(JSON.stringify(res.body)).to.not.contain('sk_live_123');
      expect(await ctx.audit(tenant.id).list({ limit: 5, action: 'template.export' })).to.deep.equal([]);
    });

    it('managers may export (published by default, credential names as refs, audited); viewers may not', async () => {
      const { tenant } = await freshTenant();
      await ctx.credentials(tenant.id).create({ name: 'Sales API', type: 'http-bearer', data: { token: 'tok-xyz' }, createdBy: 'test' });
      const published = await ctx.flows(tenant.id).publish({
        schemaVersion: 1,
        name: 'calls',
        nodes: [hook('calls'), { id: 'call', type: 'http.request', params: { url: 'https://api.example/x', credential: 'Sales API' } }],
        edges: [edge('hook', 'call', 1)],
      });
      const manager = await addMember(ctx, tenant.id, 'manager');
      const res = await request(app)
        .post('/api/v1/templates/export')
        .set(manager.headers)
        .send({ flowIds: [published.flowId], manifest: { id: 'sales-calls', name: { en: 'Sales calls', ar: 'اتصالات المبيعات' }, description: { en: 'd', ar: 'و' }, version: '2.1.0' } })
        .expect(200);
      const t = res.body as TemplateDoc;
      expect(t.tadfuqTemplate).to.equal(1);
      expect(t.manifest).to.include({ id: 'sales-calls', version: '2.1.0' });
      expect(t.manifest.credentials).to.deep.equal([{ ref: 'sales-api', type: 'http-bearer', label: { en: 'Sales API', ar: 'Sales API' } }]);
      expect((t.flows[0]!.definition as Flow).nodes[1]!.params).to.include({ credential: 'sales-api' });
      expect(JSON.stringify(t)).to.not.contain('tok-xyz');
      const [entry] = await ctx.audit(tenant.id).list({ limit: 5, action: 'template.export' });
      expect(entry).to.include({ actor: `user:${manager.userId}`, target: 'template:sales-calls' });
      expect(entry!.details).to.deep.include({ source: 'published', flowIds: [published.flowId] });

      const viewer = await addMember(ctx, tenant.id, 'viewer');
      await request(app).post('/api/v1/templates/export').set(viewer.headers).send({ flowIds: [published.flowId], manifest: { name: { en: 'x', ar: 'س' }, description: { en: 'x', ar: 'س' } } }).expect(403);
    });

    it("another tenant's flow id answers 404; a draft-only flow answers 409 unless the draft is asked for", async () => {
      const mine = await freshTenant();
      const theirs = await freshTenant();
      const foreign = await ctx.flows(theirs.tenant.id).publish({ schemaVersion: 1, name: 'theirs', nodes: [hook('theirs')], edges: [] });
      const body = (flowIds: string[], source?: string) => ({ flowIds, manifest: { name: { en: 'x', ar: 'س' }, description: { en: 'x', ar: 'س' } }, ...(source ? { source } : {}) });
      const res = await request(app).post('/api/v1/templates/export').set(mine.admin.headers).send(body([foreign.flowId])).expect(404);
      expect(res.body.error.code).to.equal('not_found');
      expect(JSON.stringify(res.body)).to.not.contain('theirs');

      const draft = await ctx.flows(mine.tenant.id).create({ schemaVersion: 1, name: 'draft only', nodes: [hook('d')], edges: [] });
      const conflict = await request(app).post('/api/v1/templates/export').set(mine.admin.headers).send(body([draft.id])).expect(409);
      expect(conflict.body.error.code).to.equal('not_published');
      const ok = await request(app).post('/api/v1/templates/export').set(mine.admin.headers).send(body([draft.id], 'draft')).expect(200);
      expect((ok.body as TemplateDoc).flows[0]!.definition).to.include({ name: 'draft only' });
    });
  });
});

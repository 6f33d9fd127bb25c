// Stored documents (issue 20 item 2), on SQLite and PostgreSQL: the repository (bytes round-trip,
// one document per step, tenant scope), GET /api/v1/documents/{id} (Content-Type, RFC 6266
// filename* for Arabic names, 404 across tenants, sales reps' scope), a flow that renders a
// proposal with proposal.pdf and sends it through the outbox — as an email attachment to a local
// SMTP server (the received bytes hash to the stored document's SHA-256) and as a WhatsApp
// document to a local Graph API (media upload, then a document message naming the media id) —
// and erasure of the contact, which drops the bytes of its documents.
import { expect } from 'chai';
import request from 'supertest';
import { pino } from 'pino';
import { createHash } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { createContext, type AppContext } from '../../server/app-context.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import type { TenantSettings } from '../../db/tenant-repository.js';
import { DocumentRepository } from '../../db/document-repository.js';
import { DocumentService, safeFilename } from '../../server/documents/document-service.js';
import { contentDisposition } from '../../server/routes/documents.js';
import { addMembers, type TestMember } from '../helpers/api-auth.js';
import { DIALECTS, createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { startFakeSmtp, type FakeSmtp } from '../helpers/fake-smtp.js';
import { GRAPH_TOKEN, startFakeWhatsAppCloud, type FakeWhatsAppCloud } from '../helpers/fake-whatsapp-cloud.js';
import { flow } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';

const OPEN_POLICY = {
  timezone: 'Asia/Riyadh',
  businessDays: [0, 1, 2, 3, 4, 5, 6],
  businessHours: { start: '00:00', end: '24:00' },
  channels: Object.fromEntries(['whatsapp', 'sms', 'email', 'call'].map((c) => [c, { respectBusinessHours: false, allowedHours: null }])),
  caps: { perContactPerDay: { whatsapp: null, sms: null, email: null, call: null }, perTenantPerDay: { whatsapp: null, sms: null, email: null, call: null } },
};
const NUMBER = '106540352242922';
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const PDF = (text: string): Buffer => Buffer.from(`%PDF-1.7\n${text}\n%%EOF\n`, 'utf8');

/** The parts of a raw MIME message with a given Content-Type, decoded from base64. */
function mimeAttachments(raw: string, type: string): { headers: string; data: Buffer }[] {
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(raw)?.[1];
  if (!boundary) return [];
  return raw
    .split(`--${boundary}`)
    .map((part) => {
      const [head, ...body] = part.split(/\r?\n\r?\n/);
      return { head: head ?? '', body: body.join('\n\n') };
    })
    .filter((p) => new RegExp(`content-type:\\s*${type}`, 'i').test(p.head))
    .map((p) => ({ headers: p.head, data: Buffer.from(p.body.replace(/\s+/g, ''), 'base64') }));
}

/** The file part of a multipart/form-data body (bytes intact) and the other fields. */
function formData(bytes: Buffer, contentType: string): { fields: Record<string, string>; file: { filename: string; type: string; data: Buffer } | null } {
  const boundary = /boundary=([^;]+)/.exec(contentType)![1]!;
  const fields: Record<string, string> = {};
  let file: { filename: string; type: string; data: Buffer } | null = null;
  const sep = Buffer.from(`--${boundary}`);
  let at = bytes.indexOf(sep);
  while (at >= 0) {
    const next = bytes.indexOf(sep, at + sep.length);
    if (next < 0) break;
    const part = bytes.subarray(at + sep.length + 2, next - 2); // after CRLF, before CRLF
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const data = part.subarray(split + 4);
    const name = /name="([^"]+)"/.exec(head)?.[1] ?? '';
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    if (filename !== undefined) file = { filename, type: /Content-Type: (\S+)/i.exec(head)?.[1] ?? '', data: Buffer.from(data) };
    else fields[name] = data.toString('utf8');
    at = next;
  }
  return { fields, file };
}

describe('Content-Disposition (RFC 6266) and file names', () => {
  it('keeps an ASCII fallback and the exact UTF-8 name in filename*', () => {
    expect(contentDisposition('proposal-Q-7.pdf')).to.equal(`inline; filename="proposal-Q-7.pdf"; filename*=UTF-8''proposal-Q-7.pdf`);
    expect(contentDisposition('عرض سعر (1).pdf', 'attachment')).to.equal(`attachment; filename="___ ___ (1).pdf"; filename*=UTF-8''%D8%B9%D8%B1%D8%B6%20%D8%B3%D8%B9%D8%B1%20%281%29.pdf`);
    expect(contentDisposition('a"b\\c.pdf')).to.match(/^inline; filename="abc\.pdf"; filename\*=UTF-8''a%22b%5Cc\.pdf$/);
  });

  it('stores names of any script without paths or control characters', () => {
    expect(safeFilename('عرض سعر.pdf')).to.equal('عرض سعر.pdf');
    expect(safeFilename('../../etc/passwd')).to.equal('_.._etc_passwd');
    expect(safeFilename('a\r\nb.pdf')).to.equal('a__b.pdf');
    expect(safeFilename('///')).to.equal(null);
  });
});

for (const dialect of DIALECTS) {
  describe(`documents (${dialect})`, function () {
    this.timeout(120_000);
    let tdb: TestDatabase | undefined;
    let ctx: AppContext;
    let app: RequestListener;
    let smtp: FakeSmtp;
    let graph: FakeWhatsAppCloud;
    let tenantA: string;
    let tenantB: string;
    const a = {} as Record<'owner' | 'viewer' | 'rep', TestMember>;
    let bOwner: TestMember;
    const api = () => request(app);
    let stepSeq = 0;

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      tdb = await createTestDatabase(dialect);
      await tdb.db.close();
      ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: tdb.dataDir, DATABASE_URL: tdb.url ?? '' }), pino({ level: 'silent' }));
      await ctx.runtime.start();
      app = createApp(ctx);
      smtp = await startFakeSmtp();
      graph = await startFakeWhatsAppCloud([NUMBER]);
      for (const slug of ['docs-a', 'docs-b']) {
        const t = await ctx.tenants.ensure(slug, slug, { sendPolicy: OPEN_POLICY, allowPrivateNetwork: true } as TenantSettings);
        ctx.tenantSettings.set(t.id, t.settings);
        if (slug === 'docs-a') tenantA = t.id;
        else tenantB = t.id;
      }
      Object.assign(a, await addMembers(ctx, tenantA, { owner: 'owner', viewer: 'viewer', rep: 'sales_rep' }));
      bOwner = (await addMembers(ctx, tenantB, { owner: 'owner' })).owner;
      await ctx.credentials(tenantA).create({ name: 'mail', type: 'smtp', data: { host: '127.0.0.1', port: String(smtp.port), secure: 'false', user: smtp.user, pass: smtp.pass, from: 'تدفق <sales@acme.sa>' }, createdBy: 'test' });
      await ctx.credentials(tenantA).create({ name: 'wa', type: 'whatsapp-cloud', data: { accessToken: GRAPH_TOKEN, phoneNumberId: NUMBER, baseUrl: graph.url }, createdBy: 'test' });
    });

    after(async () => {
      await ctx?.close();
      await smtp?.close();
      await graph?.close();
      await tdb?.drop();
    });

    async function newContact(name: string, phone: string, email: string, ownerId: string | null = null): Promise<string> {
      const contact = await ctx.contacts(tenantA).create({ name, phone, email, ...(ownerId ? { ownerId } : {}) });
      // Wrote within the last day: WhatsApp's customer-service window is open.
      await ctx.db.sql.query('UPDATE contacts SET last_inbound_at = $1 WHERE tenant_id = $2 AND id = $3', [Date.now() - 3_600_000, tenantA, contact.id]);
      for (const channel of ['email', 'whatsapp'] as const) {
        await ctx.consents(tenantA).grant(contact.id, channel, 'transactional', { actor: 'test', source: 'web_form', evidence: { formUrl: 'https://acme.sa/form' } });
      }
      return contact.id;
    }

    const store = (tenantId: string, filename: string, data: Buffer, subject: string | null = null, stepId = `x-${++stepSeq}:1`) =>
      new DocumentService(ctx.db).storeForStep({ tenantId, executionId: stepId.split(':')[0]!, flowId: 'f', stepId, nodeId: 'proposal', subject }, { filename, contentType: 'application/pdf', data });

    it('the repository round-trips the bytes and stores once per step (a re-run gets the first document)', async () => {
      const first = await store(tenantA, 'عرض سعر.pdf', PDF('first'), null, 'exec-r:3');
      expect(first).to.include({ filename: 'عرض سعر.pdf', contentType: 'application/pdf', bytes: PDF('first').length, sha256: sha(PDF('first')), created: true });
      // The step runs again (its clock moved on: other bytes): nothing new is stored.
      const again = await store(tenantA, 'عرض سعر.pdf', PDF('second run'), null, 'exec-r:3');
      expect(again).to.deep.equal({ ...first, created: false });
      const repo = new DocumentRepository(ctx.db, tenantA);
      const content = await repo.content(first.id);
      expect(Buffer.isBuffer(content!.data)).to.equal(true);
      expect(content!.data!.equals(PDF('first'))).to.equal(true);
      expect((await ctx.db.sql.query('SELECT COUNT(*) AS n FROM documents WHERE tenant_id = $1 AND step_id = $2', [tenantA, 'exec-r:3']))[0]!.n).to.satisfy((n: unknown) => Number(n) === 1);
      // Binary bytes of every value survive (not text).
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const binary = await store(tenantA, 'bytes.pdf', all);
      expect((await repo.content(binary.id))!.data!.equals(all)).to.equal(true);
      // Another tenant's repository does not see it.
      expect(await new DocumentRepository(ctx.db, tenantB).get(first.id)).to.equal(null);
      expect(await new DocumentRepository(ctx.db, tenantB).content(first.id)).to.equal(null);
    });

    it('GET /documents/{id}: the bytes with Content-Type and an RFC 6266 Arabic file name; 404 for another tenant and unknown ids', async () => {
      const doc = await store(tenantA, 'عرض سعر Q-7.pdf', PDF('arabic name'));
      const res = await api().get(`/api/v1/documents/${doc.id}`).set(a.viewer.headers).buffer(true).parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      });
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('application/pdf');
      expect(res.headers['content-disposition']).to.equal(contentDisposition('عرض سعر Q-7.pdf'));
      expect(decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(res.headers['content-disposition'] as string)![1]!)).to.equal('عرض سعر Q-7.pdf');
      expect(sha(res.body as Buffer)).to.equal(doc.sha256);
      const meta = await api().get(`/api/v1/documents/${doc.id}/meta`).set(a.viewer.headers).expect(200);
      expect(meta.body).to.include({ id: doc.id, filename: 'عرض سعر Q-7.pdf', bytes: doc.bytes, sha256: doc.sha256, erasedAt: null });
      // Tenant B, with A's id: not found, and nothing of A's in the answer.
      for (const path of [`/api/v1/documents/${doc.id}`, `/api/v1/documents/${doc.id}/meta`]) {
        const other = await api().get(path).set(bOwner.headers).expect(404);
        expect(other.body.error.code).to.equal('not_found');
        expect(JSON.stringify(other.body)).to.not.include(doc.sha256);
      }
      expect((await api().get('/api/v1/documents').set(bOwner.headers).expect(200)).body.items).to.deep.equal([]);
      await api().get('/api/v1/documents/00000000-0000-7000-8000-000000000000').set(a.owner.headers).expect(404);
    });

    it('lists a contact’s documents in {items, nextCursor} pages; a sales rep sees only their own contacts’', async () => {
      const mine = await newContact('ريم', '+966551110001', 'reem@example.sa', a.rep.userId);
      const theirs = await newContact('نورة', '+966551110002', 'noura@example.sa');
      const d1 = await store(tenantA, 'one.pdf', PDF('1'), mine);
      const d2 = await store(tenantA, 'two.pdf', PDF('2'), mine);
      const d3 = await store(tenantA, 'three.pdf', PDF('3'), theirs);
      const page1 = await api().get(`/api/v1/documents?contactId=${mine}&limit=1`).set(a.owner.headers).expect(200);
      expect(page1.body.items.map((d: { id: string }) => d.id)).to.deep.equal([d2.id]);
      expect(page1.body.nextCursor).to.equal(d2.id);
      const page2 = await api().get(`/api/v1/documents?contactId=${mine}&limit=1&cursor=${page1.body.nextCursor as string}`).set(a.owner.headers).expect(200);
      expect(page2.body.items.map((d: { id: string }) => d.id)).to.deep.equal([d1.id]);
      expect(page2.body.items[0]).to.include({ contactId: mine, filename: 'one.pdf', contentType: 'application/pdf' });
      // The sales rep: their contact's documents, not another's.
      const repList = await api().get('/api/v1/documents').set(a.rep.headers).expect(200);
      expect(repList.body.items.map((d: { id: string }) => d.id)).to.have.members([d1.id, d2.id]);
      await api().get(`/api/v1/documents/${d1.id}`).set(a.rep.headers).expect(200);
      await api().get(`/api/v1/documents/${d3.id}`).set(a.rep.headers).expect(404);
    });

    it('proposal.pdf → send.email: the SMTP server receives the PDF as an attachment whose bytes hash to the stored document', async () => {
      const contactId = await newContact('سارة القحطاني', '+966552220001', 'sara@example.sa');
      const published = await ctx.flows(tenantA).publish(
        flow(
          [
            { id: 'start', type: 'trigger.manual' },
            {
              id: 'proposal',
              type: 'proposal.pdf',
              params: { number: 'Q-2026-0042', seller: { name: 'شركة تدفق', vatNumber: '310122393500003' }, buyer: { name: '=$contact.name' }, lines: [{ description: 'اشتراك سنوي', quantity: 2, unitPriceHalalas: 150050 }] },
            },
            { id: 'mail', type: 'send.email', params: { purpose: 'transactional', subject: 'عرض السعر', text: 'مرفق عرض السعر', credential: 'mail', attachments: ['=$nodes.proposal.output.documentId'] } },
          ],
          [
            ['start', 'out', 'proposal'],
            ['proposal', 'out', 'mail'],
          ],
        ),
      );
      const before = smtp.messages.length;
      await api().post('/api/v1/enrollments').set(a.owner.headers).send({ flowId: published.flowId, contactIds: [contactId] }).expect(200);
      await waitFor(async () => smtp.messages.length > before, 30_000, 50);
      const docs = (await api().get(`/api/v1/documents?contactId=${contactId}`).set(a.owner.headers).expect(200)).body.items as { id: string; sha256: string; filename: string; executionId: string }[];
      expect(docs).to.have.length(1);
      expect(docs[0]!.filename).to.equal('proposal-Q-2026-0042.pdf');
      const message = smtp.messages.at(-1)!;
      expect(message.to).to.deep.equal(['sara@example.sa']);
      const pdfs = mimeAttachments(message.raw, 'application/pdf');
      expect(pdfs).to.have.length(1);
      expect(pdfs[0]!.headers).to.match(/filename="?proposal-Q-2026-0042\.pdf/);
      expect(sha(pdfs[0]!.data)).to.equal(docs[0]!.sha256);
      // The step output names the document instead of carrying the PDF.
      const execution = await waitFor(async () => {
        const e = await api().get(`/api/v1/executions/${docs[0]!.executionId}`).set(a.owner.headers).expect(200);
        return e.body.status === 'succeeded' ? e.body : null;
      }, 20_000, 50);
      const step = (execution.steps as { node: string; output: Record<string, unknown> }[]).find((s) => s.node === 'proposal')!;
      expect(step.output).to.include({ documentId: docs[0]!.id, sha256: docs[0]!.sha256 });
      expect(step.output).to.not.have.property('base64');
      // The outbox row keeps the attachment; sending the same step again sends nothing more.
      const row = (await ctx.db.sql.query("SELECT id, step_id, attachments FROM outbound_messages WHERE tenant_id = $1 AND contact_id = $2 AND channel = 'email'", [tenantA, contactId]))[0]!;
      expect(JSON.parse(String(row.attachments))).to.deep.equal([docs[0]!.id]);
      const listed = (await api().get(`/api/v1/outbox?contactId=${contactId}`).set(a.owner.headers).expect(200)).body.items as { attachments: string[] | null }[];
      expect(listed.map((m) => m.attachments)).to.deep.equal([[docs[0]!.id]]);
      const count = smtp.messages.length;
      const again = await ctx.outbox.send(
        { tenantId: tenantA, executionId: docs[0]!.executionId, flowId: published.flowId, nodeId: 'mail', stepId: String(row.step_id) },
        { channel: 'email', contactId, purpose: 'transactional', subject: 'عرض السعر', text: 'x', attachments: [docs[0]!.id], credential: 'mail' },
        new AbortController().signal,
      );
      expect(again).to.include({ status: 'sent', messageId: String(row.id) });
      expect(smtp.messages.length).to.equal(count);
    });

    it('send.whatsapp document: the Graph API receives the media upload, then a document message naming the media id', async () => {
      const contactId = await newContact('خالد', '+966553330001', 'khalid@example.sa');
      const published = await ctx.flows(tenantA).publish(
        flow(
          [
            { id: 'start', type: 'trigger.manual' },
            { id: 'proposal', type: 'proposal.pdf', params: { number: 'Q-9', seller: { name: 'شركة تدفق', vatNumber: '310122393500003' }, buyer: { name: '=$contact.name' }, lines: [{ description: 'خدمة', quantity: 1, unitPriceHalalas: 10000 }] } },
            { id: 'wa', type: 'send.whatsapp', params: { purpose: 'transactional', credential: 'wa', document: { documentId: '=$nodes.proposal.output.documentId', caption: 'عرض السعر المطلوب' } } },
          ],
          [
            ['start', 'out', 'proposal'],
            ['proposal', 'out', 'wa'],
          ],
        ),
      );
      const before = graph.requests.length;
      await api().post('/api/v1/enrollments').set(a.owner.headers).send({ flowId: published.flowId, contactIds: [contactId] }).expect(200);
      await waitFor(async () => graph.requests.slice(before).some((r) => r.path.endsWith('/messages')), 30_000, 50);
      const doc = ((await api().get(`/api/v1/documents?contactId=${contactId}`).set(a.owner.headers).expect(200)).body.items as { id: string; sha256: string }[])[0]!;
      const [upload, send] = graph.requests.slice(before);
      expect(upload!.method).to.equal('POST');
      expect(upload!.path).to.equal(`/v21.0/${NUMBER}/media`);
      expect(upload!.headers.authorization).to.equal(`Bearer ${GRAPH_TOKEN}`);
      const form = formData(upload!.bytes, String(upload!.headers['content-type']));
      expect(form.fields).to.deep.equal({ messaging_product: 'whatsapp', type: 'application/pdf' });
      expect(form.file!.filename).to.equal('proposal-Q-9.pdf');
      expect(form.file!.type).to.equal('application/pdf');
      expect(sha(form.file!.data)).to.equal(doc.sha256);
      expect(send!.path).to.equal(`/v21.0/${NUMBER}/messages`);
      expect(send!.body).to.deep.include({ messaging_product: 'whatsapp', to: '966553330001', type: 'document' });
      expect(send!.body!.document).to.deep.equal({ id: String(send!.body!.document && (send!.body!.document as { id: string }).id), filename: 'proposal-Q-9.pdf', caption: 'عرض السعر المطلوب' });
      expect(/^\d+$/.test((send!.body!.document as { id: string }).id)).to.equal(true);
    });

    it('outside the WhatsApp window the fallback template carries the document as its DOCUMENT header', async () => {
      const contactId = await newContact('فهد', '+966556660001', 'fahad@example.sa');
      await ctx.db.sql.query('UPDATE contacts SET last_inbound_at = NULL WHERE tenant_id = $1 AND id = $2', [tenantA, contactId]);
      const doc = await store(tenantA, 'عرض.pdf', PDF('template'), contactId);
      const before = graph.requests.length;
      const result = await ctx.outbox.send(
        { tenantId: tenantA, executionId: `t-${++stepSeq}`, flowId: 'f', nodeId: 'wa', stepId: `t-${stepSeq}:1` },
        { channel: 'whatsapp', contactId, purpose: 'transactional', text: 'مرفق العرض', attachments: [doc.id], fallbackTemplate: { name: 'proposal_ready', language: 'ar', variables: { '1': 'فهد' } }, credential: 'wa' },
        new AbortController().signal,
      );
      expect(result.status, JSON.stringify(result)).to.equal('sent');
      const [upload, send] = graph.requests.slice(before);
      expect(upload!.path).to.equal(`/v21.0/${NUMBER}/media`);
      expect(sha(formData(upload!.bytes, String(upload!.headers['content-type'])).file!.data)).to.equal(doc.sha256);
      const template = send!.body!.template as { name: string; components: { type: string; parameters: Record<string, unknown>[] }[] };
      expect(send!.body!.type).to.equal('template');
      expect(template.name).to.equal('proposal_ready');
      expect(template.components[0]!.type).to.equal('header');
      expect(template.components[0]!.parameters[0]).to.deep.include({ type: 'document' });
      expect((template.components[0]!.parameters[0]!.document as { filename: string }).filename).to.equal('عرض.pdf');
      expect(template.components[1]).to.deep.equal({ type: 'body', parameters: [{ type: 'text', text: 'فهد' }] });
    });

    it('a failed media upload is definite (no message went out): the row fails retryable, the message endpoint is never called', async () => {
      const contactId = await newContact('سلمى', '+966557770001', 'salma@example.sa');
      const doc = await store(tenantA, 'u.pdf', PDF('upload'), contactId);
      for (const behaviour of [{ kind: 'answer' as const, status: 500, body: { error: { message: 'An unknown error occurred', type: 'OAuthException', code: 1 } } }, { kind: 'reset' as const }]) {
        const before = graph.requests.length;
        graph.next(behaviour);
        const result = await ctx.outbox.send(
          { tenantId: tenantA, executionId: `m-${++stepSeq}`, flowId: 'f', nodeId: 'wa', stepId: `m-${stepSeq}:1` },
          { channel: 'whatsapp', contactId, purpose: 'transactional', text: 'x', attachments: [doc.id], credential: 'wa' },
          new AbortController().signal,
        );
        expect(result, behaviour.kind).to.include({ status: 'failed', code: 'media_upload_failed', retryable: true });
        expect(graph.requests.slice(before).map((r) => r.path)).to.deep.equal([`/v21.0/${NUMBER}/media`]);
      }
    });

    it('SMS and a provider without documents fail with attachments_unsupported; an unknown or foreign document with attachment_not_found, another contact’s with attachment_of_another_contact', async () => {
      const contactId = await newContact('منى', '+966554440001', 'mona@example.sa');
      const doc = await store(tenantA, 'p.pdf', PDF('p'), contactId);
      const send = (req: Record<string, unknown>) =>
        ctx.outbox.send({ tenantId: tenantA, executionId: `u-${++stepSeq}`, flowId: 'f', nodeId: 'n', stepId: `u-${stepSeq}:1` }, { contactId, purpose: 'transactional', ...req } as never, new AbortController().signal);
      expect(await send({ channel: 'sms', text: 'x', attachments: [doc.id] })).to.include({ status: 'failed', code: 'attachments_unsupported' });
      await ctx.credentials(tenantA).create({ name: 'ultra', type: 'ultramsg', data: { instanceId: 'instance1', token: 't', baseUrl: 'http://127.0.0.1:9' }, createdBy: 'test' });
      expect(await send({ channel: 'whatsapp', text: 'x', attachments: [doc.id], credential: 'ultra' })).to.include({ status: 'failed', code: 'attachments_unsupported' });
      expect(await send({ channel: 'email', subject: 's', text: 'x', attachments: ['no-such-document'], credential: 'mail' })).to.include({ status: 'failed', code: 'attachment_not_found' });
      // Another tenant's document is not found either.
      const bDoc = await store(tenantB, 'b.pdf', PDF('b'));
      expect(await send({ channel: 'email', subject: 's', text: 'x', attachments: [bDoc.id], credential: 'mail' })).to.include({ status: 'failed', code: 'attachment_not_found' });
      expect(await send({ channel: 'whatsapp', text: 'x', attachments: [doc.id, bDoc.id], credential: 'wa' })).to.include({ status: 'failed', code: 'invalid_attachments' });
      // Another contact's document (their proposal names them) is not sent to this contact.
      const theirs = await store(tenantA, 'theirs.pdf', PDF('theirs'), await newContact('جود', '+966554440002', 'jood@example.sa'));
      expect(await send({ channel: 'email', subject: 's', text: 'x', attachments: [theirs.id], credential: 'mail' })).to.include({ status: 'failed', code: 'attachment_of_another_contact' });
    });

    it('erasing the contact drops the bytes of its documents (its own and its executions’): 410, metadata stays', async () => {
      const contactId = await newContact('هند', '+966555550001', 'hind@example.sa');
      const own = await store(tenantA, 'hind.pdf', PDF('هند'), contactId);
      // A proposal rendered by an execution she is the subject of; its contact column cleared, so
      // only the execution ties it to her.
      const published = await ctx.flows(tenantA).publish(
        flow(
          [
            { id: 'start', type: 'trigger.manual' },
            { id: 'proposal', type: 'proposal.pdf', params: { number: 'Q-11', seller: { name: 'شركة تدفق', vatNumber: '310122393500003' }, buyer: { name: '=$contact.name' }, lines: [{ description: 'خدمة', quantity: 1, unitPriceHalalas: 100 }] } },
          ],
          [['start', 'out', 'proposal']],
        ),
      );
      await api().post('/api/v1/enrollments').set(a.owner.headers).send({ flowId: published.flowId, contactIds: [contactId] }).expect(200);
      const viaExecution = await waitFor(async () => (await ctx.db.sql.query("SELECT id FROM documents WHERE tenant_id = $1 AND contact_id = $2 AND filename = 'proposal-Q-11.pdf'", [tenantA, contactId]))[0], 30_000, 50);
      await ctx.db.sql.query('UPDATE documents SET contact_id = NULL WHERE tenant_id = $1 AND id = $2', [tenantA, viaExecution.id]);
      const otherContact = await newContact('أمل', '+966555550002', 'amal@example.sa');
      const other = await store(tenantA, 'other.pdf', PDF('other'), otherContact);

      await api().post(`/api/v1/contacts/${contactId}/erase`).set(a.owner.headers).send({}).expect((r) => expect(r.status, JSON.stringify(r.body)).to.be.oneOf([200, 202]));
      const gone = await api().get(`/api/v1/documents/${own.id}`).set(a.owner.headers).expect(410);
      expect(gone.body.error.code).to.equal('document_erased');
      const meta = await api().get(`/api/v1/documents/${own.id}/meta`).set(a.owner.headers).expect(200);
      expect(meta.body.erasedAt).to.be.a('string');
      expect(meta.body.sha256).to.equal(own.sha256);
      const rows = await ctx.db.sql.query('SELECT id, data, erased_at FROM documents WHERE tenant_id = $1 AND id IN ($2, $3, $4)', [tenantA, own.id, String(viaExecution.id), other.id]);
      const byId = Object.fromEntries(rows.map((r) => [String(r.id), r]));
      expect(byId[own.id]!.data).to.equal(null);
      expect(byId[String(viaExecution.id)]!.data).to.equal(null);
      expect(byId[String(viaExecution.id)]!.erased_at).to.not.equal(null);
      expect(byId[other.id]!.data).to.not.equal(null);
      // An erased document is never sent (even to someone else), and nothing is stored for her any more.
      const send = await ctx.outbox.send(
        { tenantId: tenantA, executionId: 'e-x', flowId: 'f', nodeId: 'n', stepId: 'e-x:1' },
        { channel: 'email', contactId: otherContact, purpose: 'transactional', subject: 's', text: 't', attachments: [own.id], credential: 'mail' },
        new AbortController().signal,
      );
      expect(send).to.include({ status: 'failed', code: 'attachment_not_found' });
      let refused: unknown = null;
      await store(tenantA, 'late.pdf', PDF('late'), contactId).catch((err: unknown) => (refused = err));
      expect(refused).to.have.property('code', 'contact_erased');
    });
  });
}

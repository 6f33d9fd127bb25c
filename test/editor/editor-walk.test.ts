// The editor in a real browser (Debian's chromium via playwright-core) against the real
// server, as a sales-ops admin would use it: build the outreach flow "new lead (webhook) → AI
// score → consent check → WhatsApp → wait for the reply → escalate" from the palette by drag
// and drop, set params through the forms (expressions too), see a validation badge and fix it,
// test-run it and read the nodes' outputs, publish it, trigger it by webhook, find the
// execution, let the lead reply, approve the escalation in the inbox, then export and
// re-import the flow — in Arabic (rtl) and in English (ltr). Then: what a viewer and a manager
// may do, and a 200-node flow's timings.
//
// No provider credential: the WhatsApp message goes to the sandbox provider (recorded, not
// sent); no LLM key: ai.score uses its documented rules scorer, so the lead's tier is known.
import fs from 'node:fs';
import { expect } from 'chai';
import type { Locator } from 'playwright-core';
import type { CounterServer } from '../helpers/counter-server.js';
import { screenshot, type Browser } from './helpers/browser.js';
import type { EditorServer } from './helpers/editor-server.js';
import { editorEnv } from './helpers/shared-env.js';
import { LABELS, connect, dragFromPalette, htmlDir, node, selectNode, settled, signIn, useLanguage, type Lang } from './helpers/editor-page.js';
import { createBigFlow, measureOpen, measurePanZoom } from './helpers/big-flow.js';

/** The flow the walk builds: node ids as the editor names them, where they are dropped, and wiring. */
const WALK = {
  nodes: [
    { id: 'webhook1', type: 'trigger.webhook', at: { fx: 0.15, fy: 0.22 } },
    { id: 'score1', type: 'ai.score', at: { fx: 0.45, fy: 0.22 } },
    { id: 'check1', type: 'consent.check', at: { fx: 0.75, fy: 0.22 } },
    { id: 'whatsapp1', type: 'send.whatsapp', at: { fx: 0.15, fy: 0.68 } },
    { id: 'event1', type: 'wait.event', at: { fx: 0.45, fy: 0.68 } },
    { id: 'escalate1', type: 'escalate', at: { fx: 0.75, fy: 0.68 } },
  ],
  edges: [
    ['webhook1', 'out', 'score1'],
    ['score1', 'hot', 'check1'],
    ['score1', 'warm', 'check1'],
    ['check1', 'granted', 'whatsapp1'],
    ['whatsapp1', 'sent', 'event1'],
    ['event1', 'received', 'escalate1'],
  ],
} as const;

/** The walk's own strings, written out on purpose: the test checks the Arabic UI shows Arabic. */
const SALES = {
  ar: {
    nodes: {
      'trigger.webhook': 'خطاف ويب (Webhook)',
      'ai.score': 'تقييم العميل بالذكاء الاصطناعي',
      'consent.check': 'التحقق من الموافقة',
      'send.whatsapp': 'إرسال واتساب',
      'wait.event': 'انتظار حدث',
      escalate: 'تصعيد إلى موظف',
    },
    escalations: 'التصعيدات',
    whatsappText: 'أهلًا بك! يسعدنا تواصلك معنا، هل يناسبك عرض تجريبي هذا الأسبوع؟',
    escalationReason: 'عميل ساخن ردّ على رسالة الواتساب',
    decisionNote: 'اتصل به اليوم',
    required: 'هذا الحقل مطلوب.',
  },
  en: {
    nodes: {
      'trigger.webhook': 'Webhook',
      'ai.score': 'AI lead score',
      'consent.check': 'Consent check',
      'send.whatsapp': 'Send WhatsApp',
      'wait.event': 'Wait for event',
      escalate: 'Escalate to a person',
    },
    escalations: 'Escalations',
    whatsappText: 'Welcome! Would a demo this week suit you?',
    escalationReason: 'Hot lead replied on WhatsApp',
    decisionNote: 'Call them today',
    required: 'Required.',
  },
} as const;

/** Drop points are given left-to-right; in Arabic the canvas reads right-to-left. */
const mirrored = (at: { fx: number; fy: number }, lang: Lang) => (lang === 'ar' ? { fx: 1 - at.fx, fy: at.fy } : at);

/** A param's input in the inspector by its form id (p-<node>_<name>, nested: p-<node>_<a>_<b>), whatever its label says. */
const fieldId = async (inspector: Locator, name: string) => `p-${await inspector.getAttribute('data-node-id')}_${name}`;
const param = async (inspector: Locator, name: string): Promise<Locator> => inspector.locator(`[id="${await fieldId(inspector, name)}"]`);

/** Switches a param to an expression (the fx toggle) and types it (without the leading "="). */
async function expression(inspector: Locator, name: string, source: string): Promise<void> {
  const box = inspector.locator('.expr-field').filter({ has: inspector.page().locator(`label[for="${await fieldId(inspector, name)}"]`) }).first();
  const toggle = box.locator('.fx-toggle').first();
  if ((await toggle.getAttribute('aria-pressed')) !== 'true') await toggle.click();
  await (await param(inspector, name)).fill(source);
}

/** The escalate node's assignee (a union of objects: rjsf's variant picker): everyone holding a role. */
async function setAssignee(inspector: Locator, role: string): Promise<void> {
  await inspector.locator(`select[id="${await fieldId(inspector, 'assignee')}__anyof_select"]`).selectOption({ index: 0 });
  await (await param(inspector, 'assignee_role')).selectOption(role);
}

interface Api {
  id: string;
}
interface Execution {
  id: string;
  status: string;
  steps: { node: string; status: string; port: string | null; output: unknown }[];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('editor in a browser (issue 9)', function () {
  this.timeout(240_000);
  let server: EditorServer;
  let browser: Browser;
  let crm: CounterServer;

  before(async function () {
    ({ server, crm, browser } = await editorEnv(this));
  });

  /** A lead with a valid WhatsApp marketing consent (one per run: the walk's messages are its own). */
  async function leadWithConsent(name: string): Promise<string> {
    const token = await server.token('admin');
    const phone = `+9665${String(Date.now() + Math.floor(Math.random() * 1e6)).slice(-8)}`;
    const contact = await server.api<Api>(token, 'POST', '/contacts', { name, phone, company: 'مؤسسة الريادة', source: 'referral' });
    await server.api(token, 'POST', `/contacts/${contact.id}/consents/grant`, { channel: 'whatsapp', purpose: 'marketing', source: 'web_form', evidence: { formUrl: 'https://example.sa/lead-form' } });
    return contact.id;
  }

  /** What a hot lead sends the webhook: the rules scorer gives a 1 M SAR referral from a 1,200-person company 70+. */
  const leadBody = (contactId: string, name: string) => ({ contactId, name, budget: 1_200_000, employees: 1200, source: 'referral' });

  async function walk(lang: Lang, role: 'admin' | 'owner'): Promise<void> {
    const L = { ...LABELS[lang], ...SALES[lang] };
    const page = await browser.newPage();
    await signIn(page, server.origin, role);
    await useLanguage(page, lang);
    expect(await htmlDir(page)).to.deep.equal({ dir: lang === 'ar' ? 'rtl' : 'ltr', lang });
    await page.getByRole('heading', { name: L.flowsTitle, exact: true }).waitFor();
    await screenshot(page, `${lang}-1-flows`);

    // A new flow opens in the editor.
    const flowName = lang === 'ar' ? `متابعة العملاء الجدد ${Date.now() % 100000}` : `New lead follow-up ${Date.now() % 100000}`;
    await page.getByRole('button', { name: L.newFlow }).click();
    await page.getByLabel(L.newFlowName).fill(flowName);
    await page.getByRole('button', { name: L.create, exact: true }).click();
    await page.getByTestId('editor').waitFor();
    const flowId = (await page.getByTestId('editor').getAttribute('data-flow-id'))!;
    await page.getByRole('heading', { name: L.paletteTitle, exact: true }).waitFor();
    for (const [type, label] of Object.entries(L.nodes)) expect(await page.locator(`.palette-item[data-node-type="${type}"]`).textContent()).to.include(label);

    // Build the flow by drag and drop from the palette, then wire the ports.
    for (const n of WALK.nodes) {
      await dragFromPalette(page, n.type, mirrored(n.at, lang));
      await node(page, n.id).waitFor();
    }
    for (const [from, port, to] of WALK.edges) await connect(page, from, port, to);
    expect(await page.locator('.react-flow__edge').count()).to.equal(WALK.edges.length);

    // Params through the forms; expressions read the webhook's body.
    const hookPath = `leads-${lang}-${Date.now() % 100000}`;
    let inspector = await selectNode(page, 'webhook1');
    await (await param(inspector, 'path')).fill(hookPath);

    inspector = await selectNode(page, 'score1');
    await expression(inspector, 'lead', 'body');

    inspector = await selectNode(page, 'check1');
    await (await param(inspector, 'purpose')).selectOption('marketing');
    await expression(inspector, 'contactId', '$trigger.body.contactId');

    inspector = await selectNode(page, 'whatsapp1');
    await (await param(inspector, 'purpose')).selectOption('marketing');
    await (await param(inspector, 'text')).fill(L.whatsappText);
    await (await param(inspector, 'template_name')).fill('lead_welcome');
    await expression(inspector, 'contactId', '$trigger.body.contactId');

    inspector = await selectNode(page, 'event1');
    await expression(inspector, 'correlation', '$trigger.body.contactId');

    inspector = await selectNode(page, 'escalate1');
    await setAssignee(inspector, 'manager');
    await (await param(inspector, 'reason')).fill(L.escalationReason);
    await (await param(inspector, 'priority')).selectOption('high');

    // consent.check without a channel: a validation badge on the node, from the saved draft's problems.
    await settled(page);
    await node(page, 'check1').getByTestId('problem-badge').waitFor();
    const flagged: string[] = [];
    for (const n of await page.locator('.react-flow__node:has([data-testid=problem-badge])').all()) flagged.push(`${await n.getAttribute('data-id')}: ${await n.getByTestId('problem-badge').getAttribute('title')}`);
    expect(flagged, flagged.join(' | ')).to.have.length(1);
    await screenshot(page, `${lang}-2-editor-problem`);
    inspector = await selectNode(page, 'check1');
    // The problem shown on the field too, in the user's language (the API's own message is English).
    expect(await inspector.locator('.error-detail').first().textContent()).to.include(L.required);
    await (await param(inspector, 'channel')).selectOption('whatsapp');
    expect(await settled(page)).to.equal(L.readyToPublish);
    expect(await node(page, 'check1').getByTestId('problem-badge').count()).to.equal(0);

    // Test run with sample input: the lead is scored hot, has consent, the WhatsApp message goes
    // to the sandbox, and the run waits for the reply — each node shows its status on the canvas.
    const testLead = await leadWithConsent(lang === 'ar' ? 'ريم القحطاني' : 'Reem Alqahtani');
    await page.getByRole('tab', { name: L.tabRun }).click();
    await page.getByTestId('sample-input').fill(JSON.stringify({ body: leadBody(testLead, 'ريم') }, null, 2));
    await page.getByTestId('run-test').click();
    await page.locator('[data-testid=run-result][data-status=waiting]').waitFor({ timeout: 30_000 });
    for (const id of ['webhook1', 'score1', 'check1', 'whatsapp1']) expect(await node(page, id).locator('.node-card').getAttribute('data-status'), id).to.equal('succeeded');
    expect(await node(page, 'event1').locator('.node-card').getAttribute('data-status')).to.equal('waiting');
    expect(await node(page, 'score1').getByTestId('node-output').textContent()).to.include('"tier":"hot"');
    expect(await node(page, 'check1').getByTestId('node-output').textContent()).to.include('"granted":true');
    // A node's step: input, output and logs in the side panel; expressions preview on its input.
    inspector = await selectNode(page, 'score1');
    expect(await inspector.getByTestId('step-details').textContent()).to.include('"provider": "rules"');
    inspector = await selectNode(page, 'check1');
    expect(await inspector.getByTestId('expression-preview').textContent()).to.include(testLead);
    await screenshot(page, `${lang}-3-test-run`);

    // Publish (an admin may publish a flow that sends), and the version history shows it.
    await page.getByTestId('publish').click();
    await page.getByText(L.published(1)).waitFor();
    await page.getByRole('tab', { name: L.tabVersions }).click();
    await page.locator('[data-testid=versions-panel] li[data-version="1"]').waitFor();

    // An outside system (a web form, a CRM) posts the new lead to the webhook.
    const admin = await server.token('admin');
    const lead = await leadWithConsent(lang === 'ar' ? 'عمر الشهري' : 'Omar Alshehri');
    const res = await fetch(`${server.origin}/hooks/demo/${hookPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(leadBody(lead, 'عمر')) });
    expect(res.status).to.be.oneOf([200, 202]);
    const executionId = res.headers.get('x-execution-id')!;
    const waiting = await until('the execution to wait for the reply', async () => {
      const x = await server.api<Execution>(admin, 'GET', `/executions/${executionId}`);
      return x.status === 'waiting' && x.steps.some((s) => s.node === 'event1') ? x : undefined;
    });
    expect(waiting.steps.find((s) => s.node === 'whatsapp1')?.port).to.equal('sent');
    // The message went through the outbox once, to the sandbox (no provider credential).
    const outbox = await server.api<{ items: { contactId: string; channel: string; status: string; executionId: string | null }[] }>(admin, 'GET', `/outbox?contactId=${lead}`);
    expect(outbox.items.filter((m) => m.executionId === executionId).map((m) => [m.channel, m.status])).to.deep.equal([['whatsapp', 'sent']]);

    // The executions page lists it, waiting; its detail shows the steps on a read-only canvas.
    await page.getByRole('link', { name: L.executions, exact: true }).click();
    await page.getByTestId('filter-flow').selectOption(flowId);
    const row = page.locator(`tr[data-execution-id="${executionId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-mode')).to.equal('webhook');
    await screenshot(page, `${lang}-4-executions`);
    await row.getByRole('link').click();
    await page.locator('[data-testid=execution-view][data-status=waiting]').waitFor();
    await node(page, 'event1').locator('.node-card[data-status=waiting]').waitFor();
    expect(await page.locator('.react-flow__node.draggable').count()).to.equal(0); // read-only

    // The lead replies on WhatsApp (the provider callback announces message.received for the
    // contact): the wait resumes and the flow escalates to the managers.
    await server.api(admin, 'POST', '/events', { id: `reply-${executionId}`, type: 'message.received', subject: lead, data: { channel: 'whatsapp', text: 'نعم، يناسبني عرض تجريبي يوم الأحد' } });
    const escalation = await until('the escalation', async () => {
      const list = await server.api<{ items: { id: string; executionId: string | null }[] }>(admin, 'GET', '/escalations?status=open');
      return list.items.find((e) => e.executionId === executionId);
    });

    // The inbox: open it and approve it.
    await page.getByRole('link', { name: L.escalations, exact: true }).click();
    const pending = page.locator(`tr[data-escalation-id="${escalation.id}"]`);
    await pending.waitFor();
    await pending.getByRole('button').first().click();
    const detail = page.locator(`[data-testid=escalation-detail][data-escalation-id="${escalation.id}"]`);
    await detail.waitFor();
    expect(await detail.textContent()).to.include(L.escalationReason);
    await detail.getByTestId('decision-note').fill(L.decisionNote);
    await screenshot(page, `${lang}-5-escalation`);
    await detail.getByTestId('approve').click();
    await pending.waitFor({ state: 'detached' });

    // The execution finished on "approved"; its page shows every step.
    await page.goto(`${server.origin}/executions/${executionId}`);
    await page.locator('[data-testid=execution-view][data-status=succeeded]').waitFor({ timeout: 20_000 });
    for (const n of WALK.nodes) await node(page, n.id).locator('.node-card[data-status=succeeded]').waitFor();
    const done = await server.api<Execution>(admin, 'GET', `/executions/${executionId}`);
    expect(done.steps.filter((s) => s.node === 'escalate1').at(-1)?.port).to.equal('approved');
    await screenshot(page, `${lang}-6-execution`);

    // Export (a download), delete the flow (its webhook path frees up), import the file back.
    await page.getByRole('link', { name: L.flowsTitle, exact: true }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: L.exportFlow(flowName) }).click()]);
    const file = await download.path();
    const template = JSON.parse(fs.readFileSync(file, 'utf8')) as { tadfuqTemplate: number; flows: { definition: { nodes: { type: string }[] } }[] };
    expect(template.tadfuqTemplate).to.equal(1);
    expect(template.flows[0]!.definition.nodes.map((n) => n.type)).to.deep.equal(WALK.nodes.map((n) => n.type));
    await page.getByRole('button', { name: L.deleteFlow(flowName) }).click();
    await page.locator('dialog .button.danger').click();
    await page.locator(`tr[data-flow-id="${flowId}"]`).waitFor({ state: 'detached' });
    await page.getByTestId('import-file').setInputFiles(file);
    await page.getByText(L.imported).waitFor();
    await page.getByRole('link', { name: flowName, exact: true }).waitFor();
    await screenshot(page, `${lang}-7-imported`);
    await page.close();
  }

  it('walks the whole editor in Arabic (rtl): build, validate, test-run, publish, webhook, executions, export/import', async () => {
    await walk('ar', 'admin');
  });

  it('walks the whole editor in English (ltr) after the user switches language', async () => {
    await walk('en', 'owner');
  });

  it('shows a viewer no edit controls, and sends a manager’s Class B publish for approval', async () => {
    const viewer = await browser.newPage();
    await signIn(viewer, server.origin, 'viewer');
    expect(await viewer.getByTestId('new-flow').count()).to.equal(0);
    expect(await viewer.getByTestId('import-file').count()).to.equal(0);
    await viewer.locator('a.flow-link', { hasText: /Lead intake/ }).click(); // not the row's analytics link
    await viewer.getByTestId('editor').waitFor();
    await node(viewer, 'normalise').waitFor();
    expect(await viewer.getByTestId('palette').count()).to.equal(0);
    expect(await viewer.getByTestId('publish').count()).to.equal(0);
    const inspector = await selectNode(viewer, 'normalise');
    expect(await inspector.locator('input.kv-key').first().getAttribute('readonly')).to.not.equal(null);
    await screenshot(viewer, '7-viewer'); // the seeded viewer reads English
    await viewer.close();

    const token = await server.token('manager');
    const flow = await server.api<{ id: string }>(token, 'POST', '/flows', {
      name: 'Manager HTTP',
      definition: {
        nodes: [
          { id: 'start', type: 'trigger.manual', params: {}, position: { x: 0, y: 0 } },
          { id: 'call', type: 'http.request', params: { url: `${crm.url}/x` }, position: { x: 320, y: 0 } },
        ],
        edges: [{ id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'call', port: 'in' } }],
      },
    });
    const manager = await browser.newPage();
    await signIn(manager, server.origin, 'manager');
    await manager.goto(`${server.origin}/flows/${flow.id}`);
    await manager.getByTestId('publish').click();
    await manager.getByTestId('notice').filter({ hasText: new RegExp(`${LABELS.ar.publishRequested}|${LABELS.en.publishRequested}`) }).waitFor();
    await manager.close();
  });

  it('opens a 200-node flow, pans and zooms it (times and frame intervals are printed, not asserted)', async () => {
    const token = await server.token('admin');
    const id = await createBigFlow(server, token, 200);
    const page = await browser.newPage();
    await signIn(page, server.origin, 'admin');
    const t = await measureOpen(page, `${server.origin}/flows/${id}`);
    expect(t.nodes).to.equal(200);
    console.log(`      200 nodes: first node rendered ${t.firstRenderMs.toFixed(0)} ms, fit view ${t.fitViewMs.toFixed(0)} ms after navigation`);
    const g = await measurePanZoom(page);
    expect(g.frames).to.be.greaterThan(0);
    console.log(`      pan and zoom: ${g.frames} frames, interval p50 ${g.p50Ms.toFixed(1)} ms, p95 ${g.p95Ms.toFixed(1)} ms, longest ${g.maxMs.toFixed(0)} ms, ${g.longFrames} over 50 ms`);
    await screenshot(page, '8-big-flow');
    await page.close();
  });
});


// The editor in a real browser (Debian's chromium via playwright-core) against the real
// server: a person builds webhook → set → if → http.request by drag and drop, fills the forms
// (with an expression), sees and fixes a validation badge, test-runs it, publishes it,
// triggers it by webhook, finds the execution, exports and re-imports it — in Arabic (rtl) and
// in English (ltr). Then: what a viewer and a manager may do, and a 200-node flow's timings.
//
// The walk uses today's nodes; when the sales nodes land (ai.score, consent.check,
// send.whatsapp…) `WALK` below is the one place to swap them in.
import fs from 'node:fs';
import { expect } from 'chai';
import type { CounterServer } from '../helpers/counter-server.js';
import { screenshot, type Browser } from './helpers/browser.js';
import type { EditorServer } from './helpers/editor-server.js';
import { editorEnv } from './helpers/shared-env.js';
import { LABELS, connect, field, dragFromPalette, htmlDir, node, selectNode, settled, signIn, useLanguage, type Lang } from './helpers/editor-page.js';
import { createBigFlow, measureOpen } from './helpers/big-flow.js';

/** The flow the walk builds: node ids as the editor names them, where they are dropped, and wiring. */
const WALK = {
  nodes: [
    { id: 'webhook1', type: 'trigger.webhook', at: { fx: 0.2, fy: 0.25 } },
    { id: 'set1', type: 'data.set', at: { fx: 0.6, fy: 0.25 } },
    { id: 'if1', type: 'logic.if', at: { fx: 0.2, fy: 0.7 } },
    { id: 'request1', type: 'http.request', at: { fx: 0.6, fy: 0.7 } },
  ],
  edges: [
    ['webhook1', 'out', 'set1'],
    ['set1', 'out', 'if1'],
    ['if1', 'true', 'request1'],
  ],
} as const;

/** Drop points are given left-to-right; in Arabic the canvas reads right-to-left. */
const mirrored = (at: { fx: number; fy: number }, lang: Lang) => (lang === 'ar' ? { fx: 1 - at.fx, fy: at.fy } : at);

describe('editor in a browser (issue 9)', function () {
  this.timeout(180_000);
  let server: EditorServer;
  let browser: Browser;
  let crm: CounterServer;

  before(async function () {
    ({ server, crm, browser } = await editorEnv(this));
  });

  async function walk(lang: Lang, role: 'admin' | 'owner'): Promise<void> {
    const L = LABELS[lang];
    const page = await browser.newPage();
    await signIn(page, server.origin, role);
    await useLanguage(page, lang);
    expect(await htmlDir(page)).to.deep.equal({ dir: lang === 'ar' ? 'rtl' : 'ltr', lang });
    await page.getByRole('heading', { name: L.flowsTitle, exact: true }).waitFor();
    await screenshot(page, `${lang}-1-flows`);

    // A new flow opens in the editor.
    const flowName = lang === 'ar' ? `تدفق العملاء ${Date.now() % 100000}` : `Lead flow ${Date.now() % 100000}`;
    await page.getByRole('button', { name: L.newFlow }).click();
    await page.getByLabel(L.newFlowName).fill(flowName);
    await page.getByRole('button', { name: L.create, exact: true }).click();
    await page.getByTestId('editor').waitFor();
    const flowId = (await page.getByTestId('editor').getAttribute('data-flow-id'))!;
    await page.getByRole('heading', { name: L.paletteTitle, exact: true }).waitFor();
    expect(await page.locator('.palette-item[data-node-type="trigger.webhook"]').textContent()).to.include(L.webhookLabel);

    // Build the flow by drag and drop from the palette, then wire the ports.
    for (const n of WALK.nodes) {
      await dragFromPalette(page, n.type, mirrored(n.at, lang));
      await node(page, n.id).waitFor();
    }
    for (const [from, port, to] of WALK.edges) await connect(page, from, port, to);
    expect(await page.locator('.react-flow__edge').count()).to.equal(WALK.edges.length);

    // Params through the forms.
    const hookPath = `walk-${lang}-${Date.now() % 100000}`;
    let inspector = await selectNode(page, 'webhook1');
    await field(inspector, 'path').fill(hookPath);
    await field(inspector, 'respond').selectOption('onFinish');

    inspector = await selectNode(page, 'set1');
    await inspector.getByRole('button', { name: L.kvAdd, exact: true }).click();
    await inspector.getByLabel(L.kvKey(1), { exact: true }).fill('budget');
    await inspector.getByLabel(L.kvValue('budget'), { exact: true }).fill('=$number(body.budget)');
    await inspector.getByRole('button', { name: L.kvAdd, exact: true }).click();
    await inspector.getByLabel(L.kvKey(2), { exact: true }).fill('tier');
    await inspector.getByLabel(L.kvValue('tier'), { exact: true }).fill('=$number(body.budget) >= 50000 ? "hot" : "cold"');

    // An untyped param starts as an expression: the condition.
    inspector = await selectNode(page, 'if1');
    expect(await inspector.getByRole('button', { name: L.expressionToggle('condition') }).getAttribute('aria-pressed')).to.equal('true');
    await field(inspector, 'condition').fill('tier = "hot"');

    // http.request without a url: a validation badge on the node, from the saved draft's problems.
    await settled(page);
    await node(page, 'request1').getByTestId('problem-badge').waitFor();
    await screenshot(page, `${lang}-2-editor-problem`);
    inspector = await selectNode(page, 'request1');
    await inspector.locator('.error-detail').first().waitFor(); // the problem shown on the field too
    await field(inspector, 'url').fill(`${crm.url}/crm/leads`);
    expect(await settled(page)).to.equal(L.readyToPublish);
    expect(await node(page, 'request1').getByTestId('problem-badge').count()).to.equal(0);

    // Test run with sample input: each node shows its status and output on the canvas.
    await page.getByRole('tab', { name: L.tabRun }).click();
    await page.getByTestId('sample-input').fill(JSON.stringify({ body: { name: 'سارة', budget: '75000' } }, null, 2));
    await page.getByTestId('run-test').click();
    await page.locator('[data-testid=run-result][data-status=succeeded]').waitFor({ timeout: 20_000 });
    for (const n of WALK.nodes) expect(await node(page, n.id).locator('.node-card').getAttribute('data-status')).to.equal('succeeded');
    expect(await node(page, 'set1').getByTestId('node-output').textContent()).to.include('"tier":"hot"');
    expect(await node(page, 'request1').getByTestId('node-output').textContent()).to.include('"status":200');
    // A node's step: input, output and logs in the side panel; expressions preview on its input.
    inspector = await selectNode(page, 'set1');
    expect(await inspector.getByTestId('step-details').textContent()).to.include('"tier": "hot"');
    inspector = await selectNode(page, 'if1');
    expect(await inspector.getByTestId('expression-preview').textContent()).to.include('true');
    await screenshot(page, `${lang}-3-test-run`);

    // Publish, and the version history shows it.
    await page.getByTestId('publish').click();
    await page.getByText(L.published(1)).waitFor();
    await page.getByRole('tab', { name: L.tabVersions }).click();
    await page.locator('[data-testid=versions-panel] li[data-version="1"]').waitFor();

    // An outside system calls the webhook; the flow answers when it finishes.
    const hits = crm.hits.get('/crm/leads') ?? 0;
    const res = await fetch(`${server.origin}/hooks/demo/${hookPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Omar', budget: 90000 }) });
    expect(res.status).to.equal(200);
    const executionId = res.headers.get('x-execution-id')!;
    expect(crm.hits.get('/crm/leads')).to.equal(hits + 1);

    // The executions page lists it; its detail shows the steps on a read-only canvas.
    await page.getByRole('link', { name: L.executions, exact: true }).click();
    await page.getByTestId('filter-flow').selectOption(flowId);
    const row = page.locator(`tr[data-execution-id="${executionId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-mode')).to.equal('webhook');
    await screenshot(page, `${lang}-4-executions`);
    await row.getByRole('link').click();
    await page.locator('[data-testid=execution-view][data-status=succeeded]').waitFor();
    expect(await page.getByTestId('timeline').locator('li').count()).to.equal(WALK.nodes.length);
    await node(page, 'request1').locator('.node-card[data-status=succeeded]').waitFor();
    expect(await page.locator('.react-flow__node.draggable').count()).to.equal(0); // read-only
    await screenshot(page, `${lang}-5-execution`);

    // Export (a download), delete the flow (its webhook path frees up), import the file back.
    await page.getByRole('link', { name: L.flowsTitle, exact: true }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: L.exportFlow(flowName) }).click()]);
    const file = await download.path();
    const template = JSON.parse(fs.readFileSync(file, 'utf8')) as { tadfuqTemplate: number; flows: { definition: { nodes: unknown[] } }[] };
    expect(template.tadfuqTemplate).to.equal(1);
    expect(template.flows[0]!.definition.nodes).to.have.length(WALK.nodes.length);
    await page.getByRole('button', { name: L.deleteFlow(flowName) }).click();
    await page.locator('dialog .button.danger').click();
    await page.locator(`tr[data-flow-id="${flowId}"]`).waitFor({ state: 'detached' });
    await page.getByTestId('import-file').setInputFiles(file);
    await page.getByText(L.imported).waitFor();
    await page.getByRole('link', { name: flowName, exact: true }).waitFor();
    await screenshot(page, `${lang}-6-imported`);
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
    await viewer.getByRole('link', { name: /Lead intake/ }).click();
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

  it('opens a 200-node flow (time to first render and to fit view are printed, not asserted)', async () => {
    const token = await server.token('admin');
    const id = await createBigFlow(server, token, 200);
    const page = await browser.newPage();
    await signIn(page, server.origin, 'admin');
    const t = await measureOpen(page, `${server.origin}/flows/${id}`);
    expect(t.nodes).to.equal(200);
    console.log(`      200 nodes: first node rendered ${t.firstRenderMs.toFixed(0)} ms, fit view ${t.fitViewMs.toFixed(0)} ms after navigation`);
    await screenshot(page, '8-big-flow');
    await page.close();
  });
});


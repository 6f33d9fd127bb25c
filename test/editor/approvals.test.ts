// Publish requests and version diffs in a real browser, in Arabic (rtl). A manager's publish of
// a flow with a Class B node (http.request) becomes a request: the manager's editor says it
// waits for approval; the admin's approvals page lists it, reviews its changes (the nodes it
// adds: first version), approves it (the flow is published, the row leaves); a second request
// is reviewed (the changed url) and rejected with a note (stored). Then the versions tab
// compares v2 with v1 (the param path and its old and new values). English labels once.
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { screenshot, type Browser } from './helpers/browser.js';
import type { EditorServer } from './helpers/editor-server.js';
import { editorEnv } from './helpers/shared-env.js';
import { htmlDir, signIn, useLanguage } from './helpers/editor-page.js';

// Written out on purpose: the test checks that the Arabic UI really shows Arabic.
const AR = {
  nav: 'طلبات الاعتماد',
  title: 'طلبات اعتماد النشر',
  httpLabel: 'طلب HTTP',
  nodeAdded: 'عقدة مضافة',
  nodeChanged: 'عقدة معدّلة',
  firstVersion: 'لا يوجد إصدار منشور لهذا التدفق، وسيكون هذا إصداره الأول.',
  againstV1: 'مقارنةً بالإصدار المنشور 1.',
  approved: (name: string) => `اعتُمد الطلب: نُشر «${name}» بوصفه الإصدار 1.`,
  rejected: (name: string) => `رُفض طلب نشر «${name}».`,
  reasonMissing: 'اكتب سبب رفض الطلب.',
  waiting: 'بانتظار الاعتماد',
  tabVersions: 'الإصدارات',
  v2vsV1: 'الإصدار 2 مقارنةً بالإصدار 1',
  noChanges: 'لا توجد تغييرات.',
};
const EN = { title: 'Publish requests', review: 'Review changes', rejected: 'Rejected', status: 'Status' };

interface Request { id: string; flowId: string; status: string; reason: string | null; version: number | null }
interface Flow { id: string; revision: number; status: string; publishedVersion: number | null; draft: { nodes: { id: string; params?: Record<string, unknown> }[] } }

const flowBody = (name: string, url: string) => ({
  name,
  definition: {
    nodes: [
      { id: 'start', type: 'trigger.manual', params: {}, position: { x: 0, y: 0 } },
      { id: 'call', type: 'http.request', params: { url }, position: { x: 320, y: 0 } },
    ],
    edges: [{ id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'call', port: 'in' } }],
  },
});

describe('publish requests and version diffs in a browser', function () {
  this.timeout(180_000);
  let server: EditorServer;
  let browser: Browser;

  before(async function () {
    ({ server, browser } = await editorEnv(this));
  });

  /** POST /flows/:id/publish answering the status too (202: a request, 201: a version). */
  async function publish(token: string, flowId: string): Promise<{ status: number; body: { request?: Request; version?: { version: number } } }> {
    const res = await fetch(`${server.origin}/api/v1/flows/${flowId}/publish`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as { request?: Request; version?: { version: number } } };
  }

  /** Sets the draft's http.request url through the API. */
  async function setUrl(token: string, flowId: string, url: string): Promise<void> {
    const flow = await server.api<Flow>(token, 'GET', `/flows/${flowId}`);
    const draft = structuredClone(flow.draft);
    draft.nodes.find((n) => n.id === 'call')!.params = { url };
    await server.api(token, 'PUT', `/flows/${flowId}/draft`, { revision: flow.revision, draft });
  }

  async function openApprovals(page: Page): Promise<void> {
    await page.getByRole('link', { name: AR.nav, exact: true }).click();
    await page.getByRole('heading', { name: AR.title, exact: true }).waitFor();
  }

  it('lets an admin, in Arabic, review and approve a manager’s request, and reject another with a note', async () => {
    const manager = await server.token('manager');
    const admin = await server.token('admin');
    const name = `Approvals HTTP ${Date.now() % 1_000_000}`;
    const flow = await server.api<Flow>(manager, 'POST', '/flows', flowBody(name, 'http://127.0.0.1:9/x'));
    const first = await publish(manager, flow.id);
    expect(first.status, JSON.stringify(first.body)).to.equal(202);
    const request = first.body.request!;
    expect(request).to.include({ flowId: flow.id, status: 'pending' });

    // The manager's editor: "waiting for approval" while the request is pending.
    const mgr = await browser.newPage();
    await signIn(mgr, server.origin, 'manager');
    await useLanguage(mgr, 'ar');
    await mgr.goto(`${server.origin}/flows/${flow.id}`);
    const banner = mgr.getByTestId('publish-request-banner');
    await banner.waitFor();
    expect(await banner.getAttribute('data-request-id')).to.equal(request.id);
    expect(await banner.getAttribute('data-mine')).to.equal('true');
    expect(await banner.textContent()).to.include(AR.waiting);
    expect(await banner.getByTestId('banner-review').count()).to.equal(0);

    // The admin's approvals page, in Arabic (rtl): the request with its Class B node.
    const page = await browser.newPage();
    await signIn(page, server.origin, 'admin');
    await useLanguage(page, 'ar');
    expect(await htmlDir(page)).to.deep.equal({ dir: 'rtl', lang: 'ar' });
    await openApprovals(page);
    const row = page.locator(`tr[data-request-id="${request.id}"]`);
    await row.waitFor();
    const rowText = (await row.textContent()) ?? '';
    expect(rowText).to.include(name).and.to.include(AR.httpLabel).and.to.include('call');
    expect(await row.getByRole('link', { name }).getAttribute('href')).to.equal(`/flows/${flow.id}`);

    // Review: no published version yet, so both nodes are added.
    await row.getByTestId('review').click();
    const review = page.locator(`[data-testid=request-review][data-request-id="${request.id}"]`);
    await review.getByTestId('request-diff').waitFor();
    expect(await review.textContent()).to.include(AR.firstVersion);
    for (const id of ['start', 'call']) {
      const item = review.locator(`li.diff-node[data-node-id="${id}"]`);
      expect(await item.getAttribute('data-change')).to.equal('added');
      expect(await item.textContent()).to.include(AR.nodeAdded);
    }
    expect(await review.locator('li.diff-node[data-node-id="call"]').textContent()).to.include(AR.httpLabel);
    await screenshot(page, 'approvals-ar');

    // Approve: published (v1), the row leaves the list.
    await row.getByTestId('approve').click();
    await page.getByTestId('notice').filter({ hasText: AR.approved(name) }).waitFor();
    await row.waitFor({ state: 'detached' });
    const published = await server.api<Flow>(admin, 'GET', `/flows/${flow.id}`);
    expect(published).to.include({ status: 'published', publishedVersion: 1 });
    expect(await server.api<Request>(admin, 'GET', `/publish-requests/${request.id}`)).to.include({ status: 'approved', version: 1 });

    // A second request (another url): reviewed against v1, rejected with a note.
    await setUrl(manager, flow.id, 'http://127.0.0.1:9/other');
    const second = await publish(manager, flow.id);
    expect(second.status, JSON.stringify(second.body)).to.equal(202);
    const request2 = second.body.request!;
    // The admin's editor: the banner links to the request's review.
    await page.goto(`${server.origin}/flows/${flow.id}`);
    const adminBanner = page.getByTestId('publish-request-banner');
    await adminBanner.waitFor();
    expect(await adminBanner.getAttribute('data-request-id')).to.equal(request2.id);
    expect(await adminBanner.textContent()).to.include(AR.waiting);
    await screenshot(page, 'approvals-banner-ar');
    await adminBanner.getByTestId('banner-review').click();
    await page.waitForURL(/\/approvals\?request=/);
    const row2 = page.locator(`tr[data-request-id="${request2.id}"]`);
    await row2.waitFor();
    const review2 = page.locator(`[data-testid=request-review][data-request-id="${request2.id}"]`);
    await review2.getByTestId('request-diff').waitFor();
    expect(await review2.textContent()).to.include(AR.againstV1);
    const changed = review2.locator('li.diff-node[data-node-id="call"]');
    expect(await changed.getAttribute('data-change')).to.equal('changed');
    const url = changed.locator('li.diff-value[data-path="params.url"]');
    expect(await url.locator('[data-side=old]').textContent()).to.include('http://127.0.0.1:9/x');
    expect(await url.locator('[data-side=new]').textContent()).to.include('http://127.0.0.1:9/other');

    await row2.getByTestId('reject').click();
    const dialog = page.getByTestId('reject-dialog');
    await dialog.waitFor();
    await dialog.getByTestId('reject-submit').click();
    await dialog.getByRole('alert').filter({ hasText: AR.reasonMissing }).waitFor();
    const note = 'الرابط خارجي وغير معتمد؛ استخدم تكامل CRM الرسمي.';
    await dialog.getByRole('textbox').fill(note);
    await dialog.getByTestId('reject-submit').click();
    await page.getByTestId('notice').filter({ hasText: AR.rejected(name) }).waitFor();
    await row2.waitFor({ state: 'detached' });
    expect(await server.api<Request>(admin, 'GET', `/publish-requests/${request2.id}`)).to.include({ status: 'rejected', reason: note });

    // Decided requests under the status filter, with the note.
    await page.getByTestId('approvals-status').selectOption('rejected');
    const rejectedRow = page.locator(`tr[data-request-id="${request2.id}"][data-status=rejected]`);
    await rejectedRow.waitFor();
    expect(await rejectedRow.getByTestId('request-reason').textContent()).to.equal(note);

    // The manager's banner is gone once nothing is pending.
    await mgr.reload();
    await mgr.getByTestId('editor').waitFor();
    await mgr.waitForTimeout(500);
    expect(await mgr.getByTestId('publish-request-banner').count()).to.equal(0);
    await mgr.close();

    // English labels once, then back to Arabic.
    await useLanguage(page, 'en');
    expect(await htmlDir(page)).to.deep.equal({ dir: 'ltr', lang: 'en' });
    await page.getByRole('heading', { name: EN.title, exact: true }).waitFor();
    expect(await page.getByRole('combobox', { name: new RegExp(`^${EN.status}`) }).inputValue()).to.equal('rejected');
    const englishRow = page.locator(`tr[data-request-id="${request2.id}"]`);
    expect(await englishRow.getByTestId('review').textContent()).to.equal(EN.review);
    expect(await englishRow.locator('.status-chip').textContent()).to.equal(EN.rejected);
    await useLanguage(page, 'ar');
    await page.getByRole('heading', { name: AR.title, exact: true }).waitFor();
    await page.close();
  });

  it('compares a version with the previous one in the versions tab (param path, old and new values)', async () => {
    const admin = await server.token('admin');
    const name = `Version diff ${Date.now() % 1_000_000}`;
    const flow = await server.api<Flow>(admin, 'POST', '/flows', flowBody(name, 'http://127.0.0.1:9/v1'));
    expect((await publish(admin, flow.id)).body.version?.version).to.equal(1);
    await setUrl(admin, flow.id, 'http://127.0.0.1:9/v2');
    expect((await publish(admin, flow.id)).body.version?.version).to.equal(2);

    const page = await browser.newPage();
    await signIn(page, server.origin, 'admin');
    await useLanguage(page, 'ar');
    await page.goto(`${server.origin}/flows/${flow.id}`);
    await page.getByTestId('editor').waitFor();
    await page.getByRole('tab', { name: AR.tabVersions }).click();
    const v2 = page.locator('[data-testid=versions-panel] li[data-version="2"]');
    await v2.getByTestId('compare-previous').click();
    const view = page.locator('[data-testid=compare-view][data-from="1"][data-to="2"]');
    await view.getByTestId('version-diff').waitFor();
    expect(await view.getByRole('heading').first().textContent()).to.include(AR.v2vsV1);
    const call = view.locator('li.diff-node[data-node-id="call"]');
    expect(await call.getAttribute('data-change')).to.equal('changed');
    expect(await call.textContent()).to.include(AR.nodeChanged).and.to.include(AR.httpLabel);
    const url = call.locator('li.diff-value[data-path="params.url"]');
    expect(await url.locator('.diff-path').textContent()).to.equal('params.url');
    expect(await url.locator('.diff-path').getAttribute('dir')).to.equal('ltr');
    expect(await url.locator('[data-side=old]').textContent()).to.include('"http://127.0.0.1:9/v1"');
    expect(await url.locator('[data-side=new]').textContent()).to.include('"http://127.0.0.1:9/v2"');
    expect(await view.locator('li.diff-node').count()).to.equal(1);
    await screenshot(page, 'version-diff-ar');

    // The raw toggle shows the JSON Patch.
    await view.getByTestId('diff-raw-toggle').click();
    expect(await view.locator('.json-view').textContent()).to.include('/nodes/1/params/url');

    // v2 against the draft (the same document): no changes.
    await v2.getByTestId('compare-draft').click();
    const draftView = page.locator('[data-testid=compare-view][data-from="2"][data-to=draft]');
    await draftView.getByTestId('version-diff').waitFor();
    expect(await draftView.textContent()).to.include(AR.noChanges);
    await page.close();
  });
});

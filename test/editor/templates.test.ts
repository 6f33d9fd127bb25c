// The template gallery and the import dialog in a real browser. As the demo admin in Arabic
// (rtl): the gallery's Arabic cards and a preview; "Use template" on lead-routing (a bearer
// credential and three variables, one required): a first import with the required URL empty is
// refused with the error next to that field and nothing typed lost; filled in, the import lands
// on the new flow's editor, and the flow read back through the API holds the values. A template
// file with variables uploaded on the flows page opens the same dialog. English labels once;
// and a viewer sees no Templates link.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { screenshot, type Browser } from './helpers/browser.js';
import type { EditorServer } from './helpers/editor-server.js';
import { editorEnv } from './helpers/shared-env.js';
import { htmlDir, signIn, useLanguage } from './helpers/editor-page.js';

// Written out on purpose: the test checks that the Arabic UI really shows Arabic.
const AR = {
  nav: 'القوالب',
  title: 'القوالب',
  leadRouting: 'توجيه العملاء المحتملين الواردين',
  dailyReport: 'تقرير المبيعات اليومي',
  steps: 'عدد الخطوات: 6',
  webhookStep: 'خطاف ويب (Webhook)',
  use: (name: string) => `استخدام القالب ${name}`,
  preview: (name: string) => `معاينة القالب ${name}`,
  dialogTitle: `استخدام القالب «توجيه العملاء المحتملين الواردين»`,
  crmCredential: 'رمز الوصول لواجهة نظام إدارة العملاء أو قناة الفريق',
  notifyUrl: 'رابط خطاف نظام إدارة العملاء أو قناة الفريق للعملاء الساخنين',
  minBudget: 'حدّ العميل الساخن: أدنى ميزانية (ريال سعودي)',
  required: 'أدخل قيمة: هذا الحقل مطلوب.',
  fixFields: 'تعذّر استيراد القالب: صحّح الحقول المشار إليها.',
  imported: 'تم استيراد القالب «توجيه العملاء المحتملين الواردين»',
  search: 'ابحث في القوالب',
};
const EN = {
  nav: 'Templates',
  leadRouting: 'Inbound lead routing',
  use: 'Use template Inbound lead routing',
  notifyUrl: 'URL of your CRM or chat webhook for hot leads',
  webhookPath: 'Webhook path (after /hooks/<workspace>/)',
  importButton: 'Import',
  publish: 'Publish after import',
};

interface FlowDetail {
  id: string;
  status: string;
  draft: { nodes: { id: string; type: string; params?: Record<string, unknown> }[]; meta?: Record<string, unknown> };
}

/** Waits until the gallery shows `n` cards. */
async function cardCount(page: Page, n: number): Promise<void> {
  const cards = page.locator('[data-testid=templates-gallery] > li');
  const end = Date.now() + 10_000;
  while ((await cards.count()) !== n) {
    if (Date.now() > end) throw new Error(`expected ${n} template cards, see ${await cards.count()}`);
    await page.waitForTimeout(100);
  }
}

const card = (page: Page, id: string) => page.locator(`[data-testid=templates-gallery] li[data-template-id="${id}"]`);

describe('template gallery and import dialog in a browser', function () {
  this.timeout(180_000);
  let server: EditorServer;
  let browser: Browser;
  const suffix = `${Date.now() % 1_000_000}`;
  const credentialName = `crm-bearer-${suffix}`;

  before(async function () {
    ({ server, browser } = await editorEnv(this));
    // A bearer token to map the template's "crm" ref to (not a sending or LLM provider).
    await server.api(await server.token('admin'), 'POST', '/credentials', { name: credentialName, type: 'http-bearer', data: { token: `token-${suffix}` } });
  });

  it('shows the admin the gallery in Arabic and imports lead-routing through the dialog', async () => {
    const page = await browser.newPage();
    await signIn(page, server.origin, 'admin');
    await useLanguage(page, 'ar');
    expect(await htmlDir(page)).to.deep.equal({ dir: 'rtl', lang: 'ar' });

    // The gallery: Arabic cards, step counts, requirements, a preview of the steps.
    await page.getByRole('link', { name: AR.nav, exact: true }).click();
    await page.getByRole('heading', { name: AR.title, exact: true, level: 1 }).waitFor();
    const lead = card(page, 'lead-routing');
    await lead.getByRole('heading', { name: AR.leadRouting, exact: true }).waitFor();
    await card(page, 'daily-sales-report').getByRole('heading', { name: AR.dailyReport, exact: true }).waitFor();
    await lead.getByText(AR.steps).waitFor();
    expect(await lead.locator('[data-credential-ref=crm]').textContent()).to.include(AR.crmCredential);
    expect(await lead.locator('[data-variable=notifyUrl]').textContent()).to.include(AR.notifyUrl);
    await lead.getByRole('button', { name: AR.preview(AR.leadRouting) }).click();
    const preview = page.getByTestId('template-preview');
    await preview.getByRole('heading', { name: AR.leadRouting }).waitFor();
    expect(await preview.locator('li[data-node-type="trigger.webhook"]').textContent()).to.include(AR.webhookStep);
    expect(await preview.locator('.template-steps li').count()).to.equal(6);
    await page.evaluate('window.scrollTo(0, 0)');
    await screenshot(page, 'templates-gallery-ar');

    // Search (Arabic words): only the daily report is left; cleared, all come back.
    const all = await page.locator('[data-testid=templates-gallery] > li').count();
    expect(all).to.be.greaterThanOrEqual(7);
    await page.getByRole('searchbox', { name: AR.search }).fill('تقرير المبيعات');
    await cardCount(page, 1);
    expect(await page.locator('[data-testid=templates-gallery] > li').getAttribute('data-template-id')).to.equal('daily-sales-report');
    await page.getByRole('searchbox', { name: AR.search }).fill('');
    await cardCount(page, all);

    // "Use template": the dialog, its fields labelled from the manifest in Arabic.
    await lead.getByRole('button', { name: AR.use(AR.leadRouting) }).click();
    const dialog = page.getByRole('dialog', { name: AR.dialogTitle });
    await dialog.waitFor();
    const credential = dialog.getByLabel(AR.crmCredential);
    // The tenant's bearer credentials load with the dialog.
    await credential.locator(`option[value="${credentialName}"]`).waitFor({ state: 'attached' });
    await credential.selectOption(credentialName);
    const hookPath = `leads/ui-${suffix}`;
    await dialog.getByTestId('variable-webhookPath').fill(hookPath);
    const budget = dialog.getByLabel(AR.minBudget);
    expect(await budget.inputValue()).to.equal('50000');
    await budget.fill('75000');
    const notifyUrl = dialog.getByLabel(AR.notifyUrl);
    expect(await notifyUrl.inputValue()).to.equal('');

    // Import with the required URL empty: refused, the error next to that field, nothing lost.
    await dialog.getByTestId('template-import').click();
    const notifyField = dialog.locator('[data-variable=notifyUrl]');
    await notifyField.getByTestId('field-error').waitFor();
    expect(await notifyField.getByTestId('field-error').textContent()).to.include(AR.required);
    expect(await notifyUrl.getAttribute('aria-invalid')).to.equal('true');
    expect(await dialog.getByText(AR.fixFields).count()).to.equal(1);
    expect(await dialog.locator('[data-variable=webhookPath] [data-testid=field-error]').count()).to.equal(0);
    expect(await dialog.getByTestId('variable-webhookPath').inputValue()).to.equal(hookPath);
    expect(await budget.inputValue()).to.equal('75000');
    expect(await credential.inputValue()).to.equal(credentialName);
    expect(await dialog.locator('[data-testid=variable-notifyUrl]:focus').count(), 'the first field with a problem has the focus').to.equal(1);
    await screenshot(page, 'templates-dialog-ar');

    // Fill it in and import: the new flow's editor opens, with a notice.
    const url = `https://crm.example.sa/hooks/hot-${suffix}`;
    await notifyUrl.fill(url);
    await dialog.getByTestId('template-import').click();
    await page.waitForURL(/\/flows\/[^/]+$/);
    await page.getByTestId('canvas').waitFor();
    expect(await page.getByTestId('notice').filter({ hasText: AR.imported }).count()).to.equal(1);
    const flowId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);

    // The flow (read through the API) holds the values: variables substituted, ref → credential.
    const flow = await server.api<FlowDetail>(await server.token('admin'), 'GET', `/flows/${encodeURIComponent(flowId)}`);
    expect(flow.status).to.equal('draft');
    const byId = Object.fromEntries(flow.draft.nodes.map((n) => [n.id, n]));
    expect(byId.notify!.params!.url).to.equal(url);
    expect(byId.notify!.params!.credential).to.equal(credentialName);
    expect(byId.webhook!.params!.path).to.equal(hookPath);
    expect(byId.isHot!.params!.condition).to.equal('=budgetHalalas >= 75000 * 100');

    // A template file with variables uploaded on the flows page opens the same dialog.
    const admin = await server.token('admin');
    const file = await server.api<{ template: unknown }>(admin, 'GET', '/templates/daily-sales-report');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tadfuq-template-'));
    const filePath = path.join(dir, 'daily-sales-report.tadfuq.json');
    fs.writeFileSync(filePath, JSON.stringify(file.template));
    await page.goto(`${server.origin}/flows`);
    await page.getByTestId('import-file').setInputFiles(filePath);
    const fileDialog = page.locator('dialog[data-template-id="daily-sales-report"]');
    await fileDialog.waitFor();
    expect(await fileDialog.getByTestId('template-variables').isVisible()).to.equal(true);
    await page.keyboard.press('Escape');
    await fileDialog.waitFor({ state: 'detached' });
    fs.rmSync(dir, { recursive: true, force: true });
    await page.close();
  });

  it('shows English labels after switching, then switches back to Arabic', async () => {
    const page = await browser.newPage();
    await signIn(page, server.origin, 'admin');
    await useLanguage(page, 'en');
    try {
      await page.getByRole('link', { name: EN.nav, exact: true }).click();
      expect(await htmlDir(page)).to.deep.equal({ dir: 'ltr', lang: 'en' });
      const lead = card(page, 'lead-routing');
      await lead.getByRole('heading', { name: EN.leadRouting, exact: true }).waitFor();
      await lead.getByRole('button', { name: EN.use }).click();
      const dialog = page.getByTestId('template-dialog');
      await dialog.waitFor();
      await dialog.getByLabel(EN.notifyUrl).waitFor();
      await dialog.getByLabel(EN.webhookPath).waitFor();
      expect(await dialog.getByTestId('template-import').textContent()).to.equal(EN.importButton);
      // The admin may publish Class B flows (http.request): the checkbox is there.
      await dialog.getByLabel(EN.publish).waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
    } finally {
      await useLanguage(page, 'ar');
      await page.close();
    }
  });

  it('shows a viewer no Templates link', async () => {
    const page = await browser.newPage();
    await signIn(page, server.origin, 'viewer');
    const nav = page.getByRole('navigation').first();
    await nav.getByRole('link').first().waitFor();
    expect(await nav.getByRole('link', { name: AR.nav, exact: true }).count()).to.equal(0);
    expect(await nav.getByRole('link', { name: EN.nav, exact: true }).count()).to.equal(0);
    expect(await page.locator('a[href="/templates"]').count()).to.equal(0);
    await page.close();
  });
});

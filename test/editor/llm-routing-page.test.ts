// The AI routing page in a real browser, on a FRESH tenant signed up through the API: in Arabic,
// the owner changes the sales-copy list (Gemini first), a duplicate route is refused with the
// Arabic message beside its row and nothing is saved, then the table is saved; only the changed
// class is stored (the others follow the defaults); a task is mapped to a class.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { screenshot, type Browser } from './helpers/browser.js';
import type { EditorServer } from './helpers/editor-server.js';
import { editorEnv } from './helpers/shared-env.js';
import { htmlDir, useLanguage } from './helpers/editor-page.js';

const AR = {
  nav: 'توجيه الذكاء الاصطناعي',
  title: 'توجيه الذكاء الاصطناعي حسب المهمة',
  duplicate: 'هذا المزوّد وهذا النموذج موجودان في القائمة نفسها.',
  saved: 'حُفظ توجيه الذكاء الاصطناعي.',
};
const PASSWORD = 'llm-routing-2026!';

interface Session { accessToken: string }
interface RoutingView { settings: { routes?: Record<string, { provider: string; model: string }[]>; taskClasses?: Record<string, string> } }

async function signIn(page: Page, origin: string, email: string): Promise<void> {
  await page.goto(`${origin}/flows`);
  await page.waitForURL(/\/login/);
  await page.locator('input[type=email]').fill(email);
  await page.locator('input[type=password]').fill(PASSWORD);
  await page.locator('button[type=submit]').click();
  await page.waitForURL(/\/flows$/);
}

describe('AI routing page in a browser', function () {
  this.timeout(180_000);
  let server: EditorServer;
  let browser: Browser;
  let owner: Session;
  let email: string;

  before(async function () {
    ({ server, browser } = await editorEnv(this));
    const s = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
    email = `owner-${s}@llm-routing.tadfuq.test`;
    const res = await fetch(`${server.origin}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenantName: `توجيه ${s}`, name: 'ريم العتيبي', email, password: PASSWORD, locale: 'ar' }),
    });
    expect(res.status).to.equal(201);
    owner = (await res.json()) as Session;
  });

  it('edits the sales-copy routes in Arabic: a duplicate is refused beside its row, then saved; only the changed class is stored', async () => {
    const page = await browser.newPage();
    try {
      await signIn(page, server.origin, email);
      await useLanguage(page, 'ar');
      expect(await htmlDir(page)).to.deep.equal({ dir: 'rtl', lang: 'ar' });
      await page.getByRole('link', { name: AR.nav, exact: true }).click();
      await page.getByRole('heading', { name: AR.title, exact: true }).waitFor();
      const sales = page.getByTestId('routing-sales_copy');
      await sales.getByTestId('routing-row').first().waitFor();
      expect(await sales.getByTestId('routing-provider').first().inputValue()).to.equal('anthropic');

      // Gemini first, then the same route again: refused.
      await sales.getByTestId('routing-provider').first().selectOption('gemini');
      await sales.getByTestId('routing-model').first().fill('gemini-2.5-pro');
      await sales.getByTestId('routing-add').click();
      const rows = sales.getByTestId('routing-row');
      expect(await rows.count()).to.equal(3);
      await rows.nth(2).getByTestId('routing-provider').selectOption('gemini');
      await rows.nth(2).getByTestId('routing-model').fill('gemini-2.5-pro');
      await page.getByTestId('routing-save').click();
      const error = rows.nth(2).locator('.form-error');
      await error.waitFor();
      expect(await error.textContent()).to.equal(AR.duplicate);
      expect((await server.api<RoutingView>(owner.accessToken, 'GET', '/llm-routing')).settings).to.deep.equal({});

      await rows.nth(2).getByTestId('routing-remove').click();
      await page.getByTestId('routing-add-task').click();
      const taskRow = page.getByTestId('routing-task-row').first();
      await taskRow.locator('input').fill('agent:deal_advisor');
      await taskRow.locator('select').selectOption('research');
      await page.getByTestId('routing-save').click();
      await page.getByText(AR.saved).waitFor();
      await screenshot(page, 'llm-routing-ar');
      const stored = (await server.api<RoutingView>(owner.accessToken, 'GET', '/llm-routing')).settings;
      expect(stored).to.deep.equal({
        routes: { sales_copy: [{ provider: 'gemini', model: 'gemini-2.5-pro' }, { provider: 'openai', model: 'gpt-4o-mini' }] },
        taskClasses: { 'agent:deal_advisor': 'research' },
      });
    } finally {
      await page.close();
    }
  });
});

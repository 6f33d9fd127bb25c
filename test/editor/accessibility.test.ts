// Accessibility of every main page, checked by axe-core (the engine behind Lighthouse's and
// Deque's audits) in Debian's chromium, in Arabic (rtl) and English: no WCAG 2.x A/AA
// violation of serious or critical impact. axe runs through the DevTools protocol (page
// evaluate), which the page's strict CSP does not apply to; nothing is added to the editor.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import type { Browser } from './helpers/browser.js';
import type { EditorServer } from './helpers/editor-server.js';
import { editorEnv } from './helpers/shared-env.js';
import { signIn, useLanguage, type Lang } from './helpers/editor-page.js';

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe on the page as it is now; answers the serious and critical violations. */
async function audit(page: Page): Promise<Violation[]> {
  const result = (await page.evaluate(
    `(async () => { ${AXE_SOURCE}
      const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })); })()`,
  )) as Violation[];
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

const describeViolations = (vs: Violation[]) => vs.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', ')}`).join('\n');

describe('editor accessibility (axe-core, WCAG 2.1 A/AA) in a browser (issue 9)', function () {
  this.timeout(180_000);
  let server: EditorServer;
  let browser: Browser;

  before(async function () {
    ({ server, browser } = await editorEnv(this));
  });

  /** The main pages, each with what shows it is loaded. */
  async function pages(): Promise<{ name: string; path: string; ready: string; select?: boolean }[]> {
    const token = await server.token('admin');
    const flows = await server.api<{ items: { id: string; name: string }[] }>(token, 'GET', '/flows?limit=50');
    const flow = flows.items.find((f) => /Lead intake/.test(f.name)) ?? flows.items[0]!;
    const contacts = await server.api<{ items: { id: string }[] }>(token, 'GET', '/contacts?limit=5');
    return [
      { name: 'flows', path: '/flows', ready: '[data-testid=flows-table]' },
      { name: 'flow editor', path: `/flows/${flow.id}`, ready: '.react-flow__node' },
      { name: 'flow editor, a node’s form open', path: `/flows/${flow.id}`, ready: '.react-flow__node', select: true },
      { name: 'flow analytics', path: `/flows/${flow.id}/analytics`, ready: '[data-testid=analytics-page]' },
      { name: 'executions', path: '/executions', ready: 'main h1' },
      { name: 'escalations', path: '/escalations', ready: 'main h1' },
      { name: 'contacts', path: '/contacts', ready: 'main h1' },
      { name: 'contact', path: `/contacts/${contacts.items[0]!.id}`, ready: '[data-testid=consents]' },
      { name: 'templates', path: '/templates', ready: 'main h1' },
      { name: 'approvals', path: '/approvals', ready: 'main h1' },
      { name: 'credentials', path: '/settings/credentials', ready: 'main h1' },
      { name: 'users', path: '/settings/users', ready: 'main h1' },
      { name: 'AI routing', path: '/settings/ai-routing', ready: '[data-testid=routing-row]' },
    ];
  }

  async function auditAll(lang: Lang): Promise<void> {
    const page = await browser.newPage();
    const problems: string[] = [];
    // The sign-in page first (signed out).
    await page.goto(`${server.origin}/login`);
    await page.locator('input[type=email]').waitFor();
    const login = await audit(page);
    if (login.length) problems.push(`login:\n${describeViolations(login)}`);
    await signIn(page, server.origin, 'admin');
    await useLanguage(page, lang);
    for (const p of await pages()) {
      await page.goto(`${server.origin}${p.path}`);
      await page.locator(p.ready).first().waitFor();
      if (p.select) {
        await page.locator('.react-flow__node .node-head').nth(1).click();
        await page.getByTestId('inspector').waitFor();
      }
      await page.waitForTimeout(300); // lists finish loading
      const found = await audit(page);
      if (found.length) problems.push(`${p.name} (${p.path}):\n${describeViolations(found)}`);
    }
    if (lang !== 'ar') await useLanguage(page, 'ar');
    await page.close();
    expect(problems, `\n${problems.join('\n\n')}`).to.deep.equal([]);
  }

  it('finds no serious or critical violation on any main page in Arabic (rtl)', async () => {
    await auditAll('ar');
  });

  it('finds none in English (ltr) either', async () => {
    await auditAll('en');
  });
});

// Debian's chromium driven by playwright-core (never a downloaded browser), one fresh profile
// per run. Screenshots of the main pages go to test-results/screenshots/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const SCREENSHOTS = path.join(root, 'test-results/screenshots');

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'];

export function chromiumAvailable(): boolean {
  return fs.existsSync(CHROMIUM);
}

export interface Browser {
  context: BrowserContext;
  /** A new tab: sessionStorage (so the sign-in) is per tab. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(opts: { width?: number; height?: number } = {}): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tadfuq-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: opts.width ?? 1600, height: opts.height ?? 900 },
    acceptDownloads: true,
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(10_000);
  return {
    context,
    newPage: async () => {
      const page = await context.newPage();
      page.on('pageerror', (err) => process.stderr.write(`[browser] ${err.message}\n`));
      page.on('console', (m) => {
        // Failed requests (a 409 the test provokes) show as console errors: not worth printing.
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) process.stderr.write(`[browser console] ${m.text()}\n`);
      });
      return page;
    },
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

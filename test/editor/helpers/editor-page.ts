// What a person does in the editor, as steps the browser tests (and the benchmark) reuse.
// Nodes are found by their id (React Flow's data-id), palette items by their node type.
import type { Locator, Page } from 'playwright-core';
import { DEMO_PASSWORD, demoUser } from './editor-server.js';
import { LABELS, type Lang } from './labels.js';

export async function signIn(page: Page, origin: string, role: Parameters<typeof demoUser>[0]): Promise<void> {
  await page.goto(`${origin}/flows`);
  await page.waitForURL(/\/login/);
  // The login page is in the browser's last language (Arabic first); fill by field type.
  await page.locator('input[type=email]').fill(demoUser(role));
  await page.locator('input[type=password]').fill(DEMO_PASSWORD);
  await page.locator('button[type=submit]').click();
  await page.waitForURL(/\/flows$/);
  await page.locator('[data-testid=flows-table], .empty').first().waitFor();
}

export async function htmlDir(page: Page): Promise<{ dir: string; lang: string }> {
  return { dir: (await page.locator('html').getAttribute('dir')) ?? '', lang: (await page.locator('html').getAttribute('lang')) ?? '' };
}

/** Switches the signed-in user's language with the top bar button (PATCH /auth/me). */
export async function useLanguage(page: Page, lang: Lang): Promise<void> {
  if ((await htmlDir(page)).lang === lang) return;
  await page.getByTestId('locale-switch').click();
  await page.locator(`html[lang="${lang}"]`).waitFor({ state: 'attached' });
}

export const node = (page: Page, id: string): Locator => page.locator(`.react-flow__node[data-id="${id}"]`);

/** Drags a palette item onto the canvas at a point given as fractions of the canvas size. */
export async function dragFromPalette(page: Page, type: string, at: { fx: number; fy: number }): Promise<void> {
  const canvas = page.getByTestId('canvas');
  const box = (await canvas.boundingBox())!;
  await page.locator(`.palette-item[data-node-type="${type}"]`).dragTo(canvas, { targetPosition: { x: box.width * at.fx, y: box.height * at.fy } });
}

/** Connects an output port of one node to the input of another by dragging between handles. */
export async function connect(page: Page, from: string, port: string, to: string): Promise<void> {
  const source = node(page, from).locator(`.react-flow__handle.source[data-handleid="${port}"]`);
  const target = node(page, to).locator('.react-flow__handle.target');
  const a = (await source.boundingBox())!;
  const b = (await target.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 4 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 4 });
  await page.mouse.up();
  await page.locator(`.react-flow__edge[data-id="${from}.${port}-${to}"]`).waitFor({ state: 'attached' });
}

export async function selectNode(page: Page, id: string): Promise<Locator> {
  await node(page, id).locator('.node-head').click();
  const inspector = page.locator(`[data-testid=inspector][data-node-id="${id}"]`);
  await inspector.waitFor();
  return inspector;
}

/** Waits until the draft is saved (autosave settled) and answers the problem counter's text. */
export async function settled(page: Page): Promise<string> {
  await page.waitForTimeout(800); // the autosave debounce
  await page.locator('[data-testid=save-state][data-status=saved]').waitFor();
  return (await page.getByTestId('problem-count').textContent()) ?? '';
}

export { LABELS };
export type { Lang };

/**
 * A form field in the inspector by its param name, whatever its label says (labels are
 * localized): the input, select or textarea rjsf gives the id `p-<node id>_<name>` (nested
 * params: "template.name" → `p-<node>_template_name`); for a union of objects, its variant
 * picker (`…__anyof_select`). Works for text inputs, selects, checkboxes and expression fields.
 */
export function field(inspector: Locator, name: string): Locator {
  const path = name.split('.').join('_');
  const ids = [path, `${path}__anyof_select`, `${path}__oneof_select`]
    .map((suffix) => `@id = concat('p-', ancestor::*[@data-testid='inspector'][1]/@data-node-id, '_${suffix}')`)
    .join(' or ');
  return inspector.locator(`xpath=.//*[(self::input or self::select or self::textarea) and (${ids})]`);
}

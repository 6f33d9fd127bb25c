// A large flow (a manual trigger and a chain of data.set nodes on a grid) and the time the
// editor takes to show it: used by the editor test and `npm run bench -- editor`.
import type { Page } from 'playwright-core';
import type { EditorServer } from './editor-server.js';

export async function createBigFlow(server: Pick<EditorServer, 'api'>, token: string, n: number): Promise<string> {
  const cols = 20;
  const nodes = Array.from({ length: n }, (_, i) => ({
    id: i === 0 ? 'start' : `set${i}`,
    type: i === 0 ? 'trigger.manual' : 'data.set',
    params: i === 0 ? {} : { fields: { [`f${i}`]: `=$number(f${i - 1} ? f${i - 1} : 0) + 1` } },
    position: { x: (i % cols) * 320, y: Math.floor(i / cols) * 160 },
  }));
  const edges = nodes.slice(1).map((node, i) => ({ id: `e${i}`, from: { node: nodes[i]!.id, port: 'out' }, to: { node: node.id, port: 'in' } }));
  const flow = await server.api<{ id: string }>(token, 'POST', '/flows', { name: `Big flow ${n}`, definition: { nodes, edges } });
  return flow.id;
}

export interface OpenTimings {
  nodes: number;
  /** Navigation start → every node measured and shown. */
  firstRenderMs: number;
  /** Navigation start → fit view done. */
  fitViewMs: number;
  /** Flow request sent → fit view done (without page load and sign-in refresh). */
  loadToFitMs: number;
  /** Flow and node types answered → every node rendered (the canvas's own work). */
  renderMs: number;
}

/** Opens a flow in a fresh page load and reads the editor's performance marks. */
export async function measureOpen(page: Page, url: string): Promise<OpenTimings> {
  await page.goto(url);
  await page.waitForFunction(() => performance.getEntriesByName('tadfuq:fit-view').length > 0, null, { timeout: 60_000 });
  // A string, not a function: tsx's name helpers do not exist in the page.
  const marks = (await page.evaluate(
    `(() => { const at = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
       return { load: at('tadfuq:flow-load-start'), loaded: at('tadfuq:flow-loaded'), measured: at('tadfuq:canvas-measured'), fit: at('tadfuq:fit-view') }; })()`,
  )) as { load: number; loaded: number; measured: number; fit: number };
  const nodes = await page.locator('.react-flow__node').count();
  return { nodes, firstRenderMs: marks.measured, fitViewMs: marks.fit, loadToFitMs: marks.fit - marks.load, renderMs: marks.measured - marks.loaded };
}

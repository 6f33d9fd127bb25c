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

export interface FrameTimings {
  /** Animation frames seen during the gesture. */
  frames: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Frames longer than 50 ms (a visible stutter). */
  longFrames: number;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

/**
 * Pans the open canvas by dragging its background, then zooms in and out with the wheel, while
 * the page records the interval between animation frames: what "pans and zooms without visible
 * stutter" means in numbers.
 */
export async function measurePanZoom(page: Page): Promise<FrameTimings> {
  const canvas = page.getByTestId('canvas');
  const box = (await canvas.boundingBox())!;
  // A point of the empty background (not a node, edge or control) to start the drag from.
  const start = (await page.evaluate(
    `(() => { const r = ${JSON.stringify(box)};
       for (let fy = 0.1; fy < 0.9; fy += 0.05) for (let fx = 0.1; fx < 0.9; fx += 0.05) {
         const x = r.x + r.width * fx, y = r.y + r.height * fy;
         if (document.elementFromPoint(x, y)?.classList.contains('react-flow__pane')) return { x, y };
       }
       return null; })()`,
  )) as { x: number; y: number } | null;
  if (!start) throw new Error('no empty canvas background to drag');
  await page.evaluate(`(() => { window.__frames = []; window.__stop = false; let last = performance.now();
    const tick = (t) => { window.__frames.push(t - last); last = t; if (!window.__stop) requestAnimationFrame(tick); };
    requestAnimationFrame(tick); })()`);
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  for (let i = 1; i <= 40; i++) await page.mouse.move(start.x - i * 8, start.y - i * 4);
  await page.mouse.up();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let i = 0; i < 15; i++) await page.mouse.wheel(0, -120);
  for (let i = 0; i < 15; i++) await page.mouse.wheel(0, 120);
  await page.waitForTimeout(300);
  const frames = ((await page.evaluate('(() => { window.__stop = true; return window.__frames.slice(1); })()')) as number[]).filter((f) => f > 0);
  return { frames: frames.length, p50Ms: percentile(frames, 0.5), p95Ms: percentile(frames, 0.95), maxMs: Math.max(...frames), longFrames: frames.filter((f) => f > 50).length };
}

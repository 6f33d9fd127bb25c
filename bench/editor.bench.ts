// The editor benchmark: opens a large flow (a manual trigger and a chain of data.set nodes) in
// headless chromium (Debian's, via playwright-core) against the real server, several times, and
// prints the time from navigation to every node rendered and to the fit view, and from the
// flow request to the fit view (without page load and sign-in refresh), and from the flow's
// answer to every node rendered (the canvas's own work).
//
//   npm run bench -- editor [--nodes 200] [--runs 5]
import { parseArgs } from 'node:util';
import { chromiumAvailable, launchBrowser } from '../test/editor/helpers/browser.js';
import { startEditorServer } from '../test/editor/helpers/editor-server.js';
import { signIn } from '../test/editor/helpers/editor-page.js';
import { createBigFlow, measureOpen, measurePanZoom, type FrameTimings, type OpenTimings } from '../test/editor/helpers/big-flow.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { nodes: { type: 'string', default: '200' }, runs: { type: 'string', default: '5' } } });
  const n = Number(values.nodes);
  const runs = Number(values.runs);
  if (!chromiumAvailable()) throw new Error('needs /usr/bin/chromium (apt-get install -y chromium)');
  const server = await startEditorServer();
  const browser = await launchBrowser();
  try {
    const token = await server.token('admin');
    const id = await createBigFlow(server, token, n);
    const page = await browser.newPage();
    await signIn(page, server.origin, 'admin');
    await measureOpen(page, `${server.origin}/flows/${id}`); // warm-up: caches, JIT
    const samples: OpenTimings[] = [];
    const gestures: FrameTimings[] = [];
    for (let i = 0; i < runs; i++) {
      samples.push(await measureOpen(page, `${server.origin}/flows/${id}`));
      gestures.push(await measurePanZoom(page));
    }
    if (samples.some((s) => s.nodes !== n)) throw new Error(`expected ${n} nodes on the canvas`);
    const line = (label: string, pick: (s: OpenTimings) => number) => {
      const xs = samples.map(pick);
      console.log(`${label.padEnd(38)} median ${median(xs).toFixed(0).padStart(5)} ms   min ${Math.min(...xs).toFixed(0).padStart(5)} ms   max ${Math.max(...xs).toFixed(0).padStart(5)} ms`);
    };
    console.log(`editor: ${n}-node flow, ${runs} page loads (after one warm-up), chromium headless, 1600x900`);
    line('navigation → all nodes rendered', (s) => s.firstRenderMs);
    line('navigation → fit view done', (s) => s.fitViewMs);
    line('flow request → fit view done', (s) => s.loadToFitMs);
    line('flow answered → all nodes rendered', (s) => s.renderMs);
    const frames = (label: string, pick: (g: FrameTimings) => number, unit = 'ms') => {
      const xs = gestures.map(pick);
      console.log(`${label.padEnd(38)} median ${median(xs).toFixed(unit === 'ms' ? 1 : 0).padStart(5)} ${unit.padEnd(2)}   min ${Math.min(...xs).toFixed(unit === 'ms' ? 1 : 0).padStart(5)} ${unit.padEnd(2)}   max ${Math.max(...xs).toFixed(unit === 'ms' ? 1 : 0).padStart(5)} ${unit}`);
    };
    console.log(`pan (40 drag steps) and zoom (30 wheel steps) over the whole flow, frame intervals per run:`);
    frames('frame interval p50', (g) => g.p50Ms);
    frames('frame interval p95', (g) => g.p95Ms);
    frames('longest frame', (g) => g.maxMs);
    frames('frames over 50 ms', (g) => g.longFrames, '');
  } finally {
    await browser.close();
    await server.stop();
  }
}

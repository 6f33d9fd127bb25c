// The embedded default does not load what only queue mode or a pending migration needs:
// BullMQ and ioredis (queue mode), Sequelize and umzug (migrations) cost about 24 MB of RSS
// and hundreds of modules at every start (issue 15: idle memory and cold start).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function loadedPackages(dataDir: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, ['--no-node-snapshot', '--import', 'tsx', 'test/helpers/loaded-packages-main.ts', dataDir], { timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
}

describe('embedded start loads only what it needs', function () {
  this.timeout(120_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tadfuq-lean-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('migrates a fresh store with Sequelize and umzug, and opens a current one without them; never loads BullMQ or ioredis', async () => {
    const first = await loadedPackages(dataDir);
    expect(first).to.include('umzug');
    expect(first).to.include('sequelize');
    const second = await loadedPackages(dataDir);
    for (const pkg of ['sequelize', 'umzug', 'bullmq', 'ioredis']) expect(second, pkg).to.not.include(pkg);
    expect(first).to.not.include('bullmq');
  });

  it('the bundle is ASCII only (V8 keeps module sources, two bytes per character once one is not ASCII)', function () {
    const dir = path.resolve('dist/bundle');
    if (!existsSync(dir)) return this.skip(); // built by `npm install` (prepare); absent without esbuild
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.mjs'))) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      let at = -1;
      for (let i = 0; i < text.length && at < 0; i++) if (text.charCodeAt(i) > 0x7f) at = i;
      expect(at, `${file}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}`).to.equal(-1);
    }
  });
});

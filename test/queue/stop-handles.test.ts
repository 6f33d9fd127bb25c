// stop() must leave nothing open: a worker or API process (and every bench) exits once its
// work is done. BullMQ does not close Redis connections it is given, so the runtime must.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { REDIS_URL, flushPrefix, requireRedis } from '../helpers/redis.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('queue runtime stop()', function () {
  this.timeout(60_000);
  const prefix = `tq-stop-${randomBytes(4).toString('hex')}`;

  before(async function () {
    await requireRedis(this);
  });
  after(() => flushPrefix(prefix).catch(() => undefined));

  it('leaves no open handle: the process exits on its own after stopping', async () => {
    const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', path.join(root, 'test/helpers/queue-stop-main.ts'), REDIS_URL, prefix], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // A bound, not a timing: once "stopped" is printed the process has nothing left to do.
    // Generous for a loaded machine; a leaked connection keeps it alive forever.
    const exited = await new Promise<number | null | 'hung'>((resolve) => {
      let hang: NodeJS.Timeout | undefined;
      child.stdout.on('data', () => {
        if (!hang && out.includes('stopped')) hang = setTimeout(() => resolve('hung'), 10_000);
      });
      child.once('exit', (code) => {
        clearTimeout(hang);
        resolve(code);
      });
    });
    if (exited === 'hung') {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    expect(out, err).to.include('stopped');
    expect(exited, 'still running 10 s after stop() returned').to.equal(0);
  });
});

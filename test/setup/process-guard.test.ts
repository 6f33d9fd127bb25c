// The process guard (process-guard.ts) fails a mocha run that leaves a process behind, names it
// and kills it.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MARKER } from './process-guard.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('process guard', function () {
  this.timeout(30_000);

  it('marks this run in the environment its children inherit', () => {
    expect(process.env[MARKER]).to.match(/^[0-9a-f-]{36}$/);
  });

  it('fails a run that leaves a child process running, listing and killing it', async () => {
    const mocha = path.join(root, 'node_modules/mocha/bin/mocha.js');
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile(process.execPath, [mocha, 'test/fixtures/leaky-suite.ts'], { cwd: root, env: { ...process.env }, timeout: 25_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      );
    });
    const pid = Number(/leaked pid (\d+)/.exec(out)?.[1]);
    expect(pid, out).to.be.greaterThan(0);
    expect(code, out).to.not.equal(0);
    expect(out, out).to.match(/1 process\(es\) started by the tests outlived them/);
    expect(out).to.include(`pid ${pid} `);
    expect(out).to.match(/sleep 37/);
    // Killed by the guard: gone, or a zombie of init for a moment.
    const state = existsSync(`/proc/${pid}/stat`) ? /\) (\S)/.exec(await import('node:fs').then((fs) => fs.readFileSync(`/proc/${pid}/stat`, 'utf8')))?.[1] : 'gone';
    expect(['gone', 'Z']).to.include(state);
  });
});

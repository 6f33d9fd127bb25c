// `npm start` as a newcomer runs it, then stopped as a terminal or a supervisor stops it:
// SIGTERM (and SIGINT, Ctrl-C) sent to npm must stop the launcher, the server and its code
// sandbox processes, leaving no process behind and the port free. The issue this guards: a
// start script `a && b && node …` left `node dist/server/main.js` running, reparented to PID 1.
// Also: .env is read at start, and the environment wins over it.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, rm, writeFile, utimes, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/wait-for.js';
import { ensureServerBuild } from '../../bin/build-state.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every descendant of `pid` (from /proc), children before grandchildren. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of parents.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    // A zombie still answers kill 0; it holds nothing.
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

interface Started {
  npm: ChildProcess;
  origin: string;
  output: () => string;
}

describe('npm start: stop without orphans, .env at start', function () {
  this.timeout(120_000);
  let dir: string;
  let editorOut: string;
  const started: ChildProcess[] = [];
  /** Every process seen under npm: whatever a failed test leaves is killed in after(). */
  const seen = new Set<number>();

  before(async function () {
    // dist/ current (CI's npm ci built it; a checkout being edited compiles once here).
    ensureServerBuild();
    dir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-start-'));
    // The editor build is not under test: a fresh stand-in keeps the launcher from running vite.
    editorOut = path.join(dir, 'editor');
    await mkdir(editorOut);
    await writeFile(path.join(editorOut, 'index.html'), '<!doctype html><title>stand-in</title>');
    const future = new Date(Date.now() + 3600_000);
    await utimes(path.join(editorOut, 'index.html'), future, future);
  });

  after(async () => {
    for (const child of started) if (child.pid && alive(child.pid)) seen.add(child.pid);
    for (const pid of seen) if (alive(pid)) process.kill(pid, 'SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function npmStart(name: string, env: Record<string, string> = {}, envFile?: string): Promise<Started> {
    const own = path.join(dir, name);
    await mkdir(own);
    // The checkout's own .env is the developer's: this test names its file with TADFUQ_ENV_FILE.
    const envFileVar: Record<string, string> = {};
    if (envFile !== undefined) {
      await writeFile(path.join(own, '.env'), envFile);
      envFileVar.TADFUQ_ENV_FILE = path.join(own, '.env');
    }
    const npm = spawn('npm', ['start'], {
      cwd: root,
      env: { ...process.env, PORT: '0', DATABASE_URL: '', TADFUQ_DATA_DIR: path.join(own, 'data'), TADFUQ_EDITOR_OUT: editorOut, TADFUQ_EDITOR_DIR: editorOut, LOG_LEVEL: 'info', ...envFileVar, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(npm);
    let out = '';
    npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const port = await waitFor(() => {
      if (npm.exitCode !== null) throw new Error(`npm start exited (${npm.exitCode}): ${out}`);
      const up = out.split('\n').find((line) => line.includes('tadfuq is up'));
      return up ? Number((JSON.parse(up) as { port: number }).port) : null;
    }, 60_000, 50);
    return { npm, origin: `http://127.0.0.1:${port}`, output: () => out };
  }

  async function stopAndCheck(s: Started, signal: NodeJS.Signals): Promise<void> {
    const tree = descendants(s.npm.pid!);
    tree.forEach((pid) => seen.add(pid));
    expect(tree.length, 'the launcher and the server run under npm').to.be.at.least(2);
    const exited = new Promise<number | null>((resolve) => s.npm.once('exit', (code) => resolve(code)));
    s.npm.kill(signal);
    const code = await exited;
    expect(code, s.output()).to.equal(0);
    // Everything that ran under npm is gone (not merely reparented to PID 1).
    await waitFor(() => tree.every((pid) => !alive(pid)), 10_000, 50).catch(() => undefined);
    expect(tree.filter(alive), 'processes left after npm exited').to.deep.equal([]);
    const refused = await fetch(`${s.origin}/healthz`).then(
      () => false,
      () => true,
    );
    expect(refused, 'nothing listens on the port any more').to.equal(true);
  }

  it('SIGTERM to npm stops the server and its code sandbox processes', async () => {
    const s = await npmStart('term');
    // Sign in as the seeded demo admin and run a code step: the server forks a sandbox process.
    const login = await fetch(`${s.origin}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@demo.tadfuq.test', password: 'tadfuq-demo-2026' }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const run = await fetch(`${s.origin}/api/v1/code/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ source: 'return input.n + 1', input: { n: 1 } }),
    });
    expect(run.status).to.equal(200);
    expect(descendants(s.npm.pid!).length, 'npm → launcher → server → sandbox').to.be.at.least(3);
    await stopAndCheck(s, 'SIGTERM');
  });

  it('reads the .env file at start (the environment wins over it); SIGINT (Ctrl-C) stops everything too', async () => {
    // Two starts in this file, not three: each costs a server start (about two seconds).
    const s = await npmStart('env', { LOG_LEVEL: 'info' }, 'LOG_LEVEL=silent\nTADFUQ_WEBHOOK_WAIT_MS=1234\n# a comment\nTADFUQ_BODY_LIMIT_BYTES="2048"\n');
    // LOG_LEVEL from the environment (info) beat the file's "silent": the up line was logged.
    // TADFUQ_BODY_LIMIT_BYTES=2048 came from the file: a 3 KB webhook body is refused.
    const res = await fetch(`${s.origin}/hooks/demo/leads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(3000) }) });
    expect(res.status).to.equal(413);
    await stopAndCheck(s, 'SIGINT');
  });
});

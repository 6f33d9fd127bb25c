// The `tadfuq` command as users run it: `node bin/tadfuq.js validate|run …` in a child process.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = (name: string): string => path.join('test', 'fixtures', name);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs the CLI and resolves with its exit code and output (a non-zero exit is not an error).
 * bin/tadfuq.js starts Node again (--no-node-snapshot) and waits for it: the CLI runs in its own
 * process group, and a run past the time limit is killed with the whole group, so the inner
 * process cannot outlive the test.
 */
async function tadfuq(...args: string[]): Promise<CliResult> {
  const started = Date.now();
  const child = spawn(process.execPath, ['bin/tadfuq.js', ...args], { cwd: root, env: { ...process.env, NODE_OPTIONS: '' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    process.kill(-child.pid!, 'SIGKILL');
  }, 15_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, sig) => resolve([c, sig]));
  }).finally(() => clearTimeout(timer));
  if (timedOut || code === null) throw new Error(`tadfuq ${args.join(' ')}: ${timedOut ? 'timed out' : `killed by ${signal}`}; stderr: ${stderr}`);
  return { code, stdout, stderr, ms: Date.now() - started };
}

interface StepOut {
  node: string;
  port: string | null;
  status: string;
  output: unknown;
  durationMs: number | null;
}
interface RunOut {
  status: string;
  mode: string;
  durationMs: number;
  output: unknown;
  error: { node?: string; code: string; path?: string } | null;
  steps: StepOut[];
}

describe('tadfuq CLI', function () {
  this.timeout(20_000);

  describe('validate', () => {
    it('exits 0 and says "valid" for a valid flow', async () => {
      const r = await tadfuq('validate', fixture('valid.flow.json'));
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal(`${fixture('valid.flow.json')}: valid (5 nodes, 4 edges)\n`);
    });

    it('exits 1 and prints every error with its path', async () => {
      const file = fixture('invalid.flow.json');
      const r = await tadfuq('validate', file);
      expect(r.code).to.equal(1);
      const lines = r.stdout.trim().split('\n');
      const errorLines = lines.filter((l) => l.startsWith(`${file}: /`));
      const paths = new Set(errorLines.map((l) => l.split(': ')[1]));
      expect(paths.size).to.be.at.least(3);
      expect([...paths]).to.include.members(['/nodes/1/params/seconds', '/nodes/2/params/condition', '/nodes/3/type', '/edges/2/from/port', '/edges/2/to/node']);
      expect(r.stdout).to.include('unknown_node_type');
      expect(r.stdout).to.include('unknown_port');
      expect(lines.at(-1)).to.equal(`${errorLines.length} error(s)`);
    });

    it('exits 1 with invalid_json when the file is not JSON', async () => {
      const r = await tadfuq('validate', fixture('not-json.flow.json'));
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/^test\/fixtures\/not-json\.flow\.json: \/: invalid_json: /);
      expect(r.stdout).to.not.include('valid (');
    });

    it('exits 2 when the file does not exist', async () => {
      const r = await tadfuq('validate', fixture('no-such.flow.json'));
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('cannot read');
      expect(r.stdout).to.equal('');
    });
  });

  describe('run', () => {
    it('runs a flow with --input and prints the execution', async () => {
      const r = await tadfuq('run', fixture('valid.flow.json'), '--input', '{"n":3}');
      expect(r.code, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout) as RunOut;
      expect(out.status).to.equal('succeeded');
      expect(out.mode).to.equal('cli');
      expect(out.error).to.equal(null);
      expect(out.output).to.deep.equal({ n: 3, doubled: 6, size: 'big' });
      expect(out.steps.map((s) => ({ node: s.node, port: s.port, status: s.status, output: s.output }))).to.deep.equal([
        { node: 'start', port: 'out', status: 'succeeded', output: { n: 3 } },
        { node: 'double', port: 'out', status: 'succeeded', output: { n: 3, doubled: 6 } },
        { node: 'big', port: 'true', status: 'succeeded', output: { n: 3, doubled: 6 } },
        { node: 'yes', port: 'out', status: 'succeeded', output: { n: 3, doubled: 6, size: 'big' } },
      ]);
    });

    it('waits out a 1-second delay in real time, then succeeds', async () => {
      const r = await tadfuq('run', fixture('delay.flow.json'), '--input', '{"n":1}');
      expect(r.code, r.stderr).to.equal(0);
      expect(r.ms).to.be.at.least(1000);
      const out = JSON.parse(r.stdout) as RunOut;
      expect(out.status).to.equal('succeeded');
      expect(out.output).to.deep.equal({ n: 1, resumed: true });
      expect(out.durationMs).to.be.at.least(1000);
      const pause = out.steps.find((s) => s.node === 'pause')!;
      expect(pause).to.include({ status: 'succeeded', port: 'out' });
      expect(pause.durationMs).to.be.at.least(1000);
      expect(out.steps.map((s) => s.node)).to.deep.equal(['start', 'pause', 'after']);
    });

    it('exits 1 and reports the failing node', async () => {
      const r = await tadfuq('run', fixture('failing.flow.json'));
      expect(r.code).to.equal(1);
      const out = JSON.parse(r.stdout) as RunOut;
      expect(out.status).to.equal('failed');
      expect(out.error).to.include({ node: 'parse', code: 'expression_error', path: '/params/fields/amount' });
      expect(out.steps.find((s) => s.node === 'parse')).to.include({ status: 'failed' });
    });

    it('exits 1 without running an invalid flow, printing its errors', async () => {
      const file = fixture('invalid.flow.json');
      const r = await tadfuq('run', file, '--input', '{}');
      expect(r.code).to.equal(1);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.include(`${file}: /nodes/3/type: unknown_node_type`);
      expect(r.stderr).to.include(`${file}: /nodes/1/params/seconds: `);
    });

    it('exits 1 when --input is not JSON', async () => {
      const r = await tadfuq('run', fixture('valid.flow.json'), '--input', '{n:3}');
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('--input is not valid JSON');
      expect(r.stdout).to.equal('');
    });
  });
});

describe('npx tadfuq finds the command without installing the checkout', () => {
  it('npm install linked node_modules/.bin/tadfuq, and package.json has no "bin" (with one, npx copies the checkout into its cache first: 15–20 s)', async () => {
    const { readFile, readlink } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { bin?: unknown; scripts: Record<string, string> };
    expect(pkg.bin).to.equal(undefined);
    expect(pkg.scripts.prepare).to.contain('bin/link-bin.mjs');
    expect(path.resolve(path.join(root, 'node_modules/.bin'), await readlink(path.join(root, 'node_modules/.bin/tadfuq')))).to.equal(path.join(root, 'bin/tadfuq.js'));
  });
});

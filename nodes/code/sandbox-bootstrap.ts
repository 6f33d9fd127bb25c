// The script an isolate runs before any user code (compiled once per isolate). It is plain
// JavaScript in a string because it runs inside the isolate, never in Node. Two modes:
//
// - 'context': run in every FRESH V8 CONTEXT before the user's code. It removes what a
//   snippet must not have (WebAssembly: its memory is not counted by the isolate's limit;
//   SharedArrayBuffer/Atomics: blocking waits; WeakRef/FinalizationRegistry: callbacks after
//   the run), installs a `console` that collects lines, and returns
//     run(userFunction, argsJson, maxChars) -> Promise<[kind, payloadJson, logsJson]>
// - 'compartment': run ONCE per isolate, in a realm SES's lockdown() has frozen (every
//   intrinsic reachable from the global object is immutable, so no run can leave state for the
//   next). It returns
//     runSource(wrappedSource, argsJson, maxChars) -> Promise<[kind, payloadJson, logsJson]>
//   which evaluates the user's function in a NEW Compartment per run: its own global object,
//   its own evaluator and console, the shared frozen intrinsics, and none of the excluded
//   globals above. kind 'rejected' means SES refused the source (it rejects text that looks
//   like an HTML comment, import() or direct eval, and sloppy-only syntax such as `with`); the
//   sandbox then runs it in a fresh context.
//
// `kind` is 'ok' (payload: the output as JSON text) or 'error' (payload: {code, message,
// name?, line?, column?}). Every string that leaves is built here from primitives with
// intrinsics captured before user code ran, so a snippet that tampers with its globals
// (Object.prototype.toJSON, Array.prototype setters, …) only garbles its own result; the
// sandbox process and the host check types and sizes again and parse it as JSON.
import { CODE_FILENAME, MAX_LOG_LINE, MAX_LOG_LINES } from './limits.js';

export const BOOTSTRAP_FILENAME = 'tadfuq-sandbox-bootstrap.js';

const filenamePattern = CODE_FILENAME.replace(/[.]/g, '[.]');

export type SandboxIsolation = 'compartment' | 'context';

export function bootstrapSource(mode: SandboxIsolation): string {
  return String.raw`(function (mode) {
  'use strict';
  const G = globalThis;
  const apply = Reflect.apply;
  const objectKeys = Object.keys;
  const isArray = Array.isArray;
  const isView = ArrayBuffer.isView;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const StringCtor = String;
  const isFiniteNumber = Number.isFinite;
  const regexpExec = RegExp.prototype.exec;
  const stringSlice = String.prototype.slice;
  const bigintToString = BigInt.prototype.toString;
  const symbolToString = Symbol.prototype.toString;
  const PromiseCtor = Promise, MapCtor = Map, SetCtor = Set, WeakMapCtor = WeakMap, WeakSetCtor = WeakSet;
  const ErrorCtor = Error, RegExpCtor = RegExp, ArrayBufferCtor = ArrayBuffer;
  const POSITION = /(?:^|[\s(@])${filenamePattern}:(\d+):(\d+)/;
  const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
  const MAX_LINES = ${MAX_LOG_LINES};
  const MAX_LINE = ${MAX_LOG_LINE};
  const MAX_DEPTH = 512;

  function clip(s, n) {
    return s.length > n ? apply(stringSlice, s, [0, n]) + '…' : s;
  }

  function describe(value, depth, seen, budget) {
    switch (typeof value) {
      case 'string': return depth === 0 ? value : stringify(value);
      case 'number': case 'boolean': case 'undefined': return StringCtor(value);
      case 'bigint': return apply(bigintToString, value, []) + 'n';
      case 'symbol': return apply(symbolToString, value, []);
      case 'function': {
        const name = value.name;
        return typeof name === 'string' && name !== '' ? '[Function ' + name + ']' : '[Function]';
      }
    }
    if (value === null) return 'null';
    if (value instanceof ErrorCtor) {
      const name = value.name, message = value.message;
      return StringCtor(typeof name === 'string' ? name : 'Error') + ': ' + StringCtor(typeof message === 'string' ? message : '');
    }
    for (let i = 0; i < depth; i++) if (seen[i] === value) return '[Circular]';
    if (depth >= 4) return isArray(value) ? '[Array]' : '[Object]';
    seen[depth] = value;
    let out;
    if (isArray(value)) {
      out = '[';
      const n = value.length;
      for (let i = 0; i < n; i++) {
        if (out.length > budget) { out += ', …'; break; }
        out += (i ? ', ' : '') + describe(value[i], depth + 1, seen, budget - out.length);
      }
      out += ']';
    } else {
      const keys = objectKeys(value);
      out = '{';
      for (let i = 0; i < keys.length; i++) {
        if (out.length > budget) { out += ', …'; break; }
        const k = keys[i];
        out += (i ? ', ' : '') + (apply(regexpExec, IDENTIFIER, [k]) ? k : stringify(k)) + ': ' + describe(value[k], depth + 1, seen, budget - out.length);
      }
      out += '}';
    }
    return out;
  }

  // console: lines are kept per run and returned with the result; nothing leaves during the run.
  function session() {
    const lines = [];
    let lineCount = 0;
    let dropped = 0;

    function logger(prefix) {
      return function () {
        if (lineCount >= MAX_LINES - 1) { dropped++; return; }
        let line = prefix;
        for (let i = 0; i < arguments.length; i++) {
          let text;
          try {
            text = describe(arguments[i], 0, [], MAX_LINE);
          } catch (e) {
            text = '[value that cannot be printed]';
          }
          line += (i ? ' ' : '') + text;
          if (line.length > MAX_LINE) break;
        }
        lines[lineCount++] = clip(line, MAX_LINE);
      };
    }

    const console = {
      log: logger(''),
      info: logger('[info] '),
      debug: logger('[debug] '),
      warn: logger('[warn] '),
      error: logger('[error] '),
    };
    console.dir = console.log;
    console.trace = console.debug;

    function logsJson() {
      let out = '[';
      for (let i = 0; i < lineCount; i++) {
        const line = lines[i];
        out += (i ? ',' : '') + stringify(typeof line === 'string' ? line : '');
      }
      if (dropped > 0) out += (lineCount ? ',' : '') + stringify('… ' + dropped + ' more console lines dropped');
      return out + ']';
    }
    return { console, logsJson };
  }

  // The output, as strict JSON: functions, symbols, BigInt, non-finite numbers, cycles, Map,
  // Set, Promise, typed arrays and Errors are refused with the path where they were found.
  function Refusal(code, message) {
    this.code = code;
    this.message = message;
  }

  function childPath(path, key) {
    return apply(regexpExec, IDENTIFIER, [key]) ? path + '.' + key : path + '[' + stringify(key) + ']';
  }

  function kindOf(value) {
    if (value instanceof PromiseCtor || typeof value.then === 'function') return 'a Promise (did you forget await?)';
    if (value instanceof MapCtor) return 'a Map (convert it with Object.fromEntries(map))';
    if (value instanceof SetCtor) return 'a Set (convert it with [...set])';
    if (value instanceof WeakMapCtor || value instanceof WeakSetCtor) return 'a WeakMap or WeakSet';
    if (isView(value) || value instanceof ArrayBufferCtor) return 'binary data (convert it with Array.from())';
    if (value instanceof RegExpCtor) return 'a RegExp (convert it with String(regexp))';
    if (value instanceof ErrorCtor) return 'an Error (return { message: error.message } instead)';
    return undefined;
  }

  function serialize(root, maxChars) {
    let size = 0;
    const ancestors = [];
    function grow(n) {
      size += n;
      if (size > maxChars) throw new Refusal('code_output_too_large', 'the output is larger than ' + maxChars + ' bytes of JSON');
    }
    function notJson(path, what) {
      return new Refusal('code_output_not_json', path + ' ' + what + ': only JSON values (objects, arrays, strings, finite numbers, booleans, null) can be returned');
    }
    function visit(value, path, depth) {
      if (value !== null && typeof value === 'object' && typeof value.toJSON === 'function') value = value.toJSON();
      switch (typeof value) {
        case 'string': {
          if (value.length > maxChars - size) grow(value.length);
          const s = stringify(value);
          grow(s.length);
          return s;
        }
        case 'number': {
          if (!isFiniteNumber(value)) throw notJson(path, 'is ' + StringCtor(value));
          const s = stringify(value);
          grow(s.length);
          return s;
        }
        case 'boolean': grow(5); return value ? 'true' : 'false';
        case 'undefined': return undefined;
        case 'function': throw notJson(path, 'is a function');
        case 'symbol': throw notJson(path, 'is a symbol');
        case 'bigint': throw notJson(path, 'is a BigInt (convert it with String() or Number())');
      }
      if (value === null) { grow(4); return 'null'; }
      if (depth >= MAX_DEPTH) throw notJson(path, 'is nested more than ' + MAX_DEPTH + ' levels deep');
      for (let i = 0; i < depth; i++) {
        if (ancestors[i] === value) throw notJson(path, 'refers back to an object that contains it (a cycle)');
      }
      const kind = kindOf(value);
      if (kind !== undefined) throw notJson(path, 'is ' + kind);
      ancestors[depth] = value;
      if (isArray(value)) {
        const n = value.length;
        let out = '[';
        grow(2);
        for (let i = 0; i < n; i++) {
          if (i) { out += ','; grow(1); }
          const item = visit(value[i], path + '[' + i + ']', depth + 1);
          if (item === undefined) { out += 'null'; grow(4); } else out += item;
        }
        return out + ']';
      }
      const keys = objectKeys(value);
      let out = '{';
      let first = true;
      grow(2);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        const item = visit(value[key], childPath(path, key), depth + 1);
        if (item === undefined) continue;
        const k = stringify(key);
        grow(k.length + 2);
        out += (first ? '' : ',') + k + ':' + item;
        first = false;
      }
      return out + '}';
    }
    const json = visit(root, 'output', 0);
    return json === undefined ? 'null' : json;
  }

  function field(name, value) {
    return ',' + stringify(name) + ':' + stringify(value);
  }

  function failure(e) {
    if (e instanceof Refusal) {
      return '{"code":' + stringify(StringCtor(e.code)) + field('message', StringCtor(e.message)) + '}';
    }
    let name = 'Error';
    let message = '';
    let stack = '';
    try {
      if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
        const n = e.name;
        if (typeof n === 'string' && n !== '') name = n;
        const m = e.message;
        message = typeof m === 'string' ? m : m === undefined ? describe(e, 0, [], MAX_LINE) : describe(m, 0, [], MAX_LINE);
      } else {
        name = 'Uncaught';
        message = describe(e, 0, [], MAX_LINE);
      }
    } catch (inner) {
      message = 'a value that cannot be described';
    }
    try {
      // Reading .stack may run a user's Error.prepareStackTrace; its failure only costs the line.
      const s = e !== null && (typeof e === 'object' || typeof e === 'function') ? e.stack : undefined;
      if (typeof s === 'string') stack = s;
    } catch (inner) {
      stack = '';
    }
    let out = '{"code":"code_error"' + field('name', clip(name, 200)) + field('message', clip(message, MAX_LINE));
    const at = apply(regexpExec, POSITION, [stack]);
    if (at) out += ',"line":' + stringify(+at[1]) + ',"column":' + stringify(+at[2]);
    return out + '}';
  }

  async function runWith(fn, argsJson, maxChars, logsJson) {
    let kind;
    let payload;
    try {
      const args = parse(argsJson);
      const result = await fn(args.input, args.trigger, args.nodes, args.vars);
      payload = serialize(result, maxChars);
      kind = 'ok';
    } catch (e) {
      kind = 'error';
      try {
        payload = failure(e);
      } catch (inner) {
        payload = '{"code":"code_error","name":"Error","message":"the code threw a value that cannot be described"}';
      }
    }
    return [kind, payload, logsJson()];
  }

  if (mode === 'context') {
    for (const name of ['WebAssembly', 'SharedArrayBuffer', 'Atomics', 'FinalizationRegistry', 'WeakRef']) {
      delete G[name];
    }
    const own = session();
    Object.defineProperty(G, 'console', { value: own.console, writable: true, configurable: true, enumerable: false });
    return function run(fn, argsJson, maxChars) {
      return runWith(fn, argsJson, maxChars, own.logsJson);
    };
  }

  // Compartment mode: lockdown() ran before this script. Compartments get SES's tamed Date and
  // Math (whose now()/random() throw) and no Intl or float arrays: give them the realm's, which
  // are frozen like every other intrinsic.
  const CompartmentCtor = Compartment;
  const endowments = { Date: G.Date, Math: G.Math, Intl: G.Intl, Float32Array: G.Float32Array, Float64Array: G.Float64Array };
  const REJECTED = /SES_(HTML_COMMENT|IMPORT|EVAL)_REJECTED/;
  return function runSource(source, argsJson, maxChars) {
    const own = session();
    let fn;
    try {
      const compartment = new CompartmentCtor({ __options__: true, globals: { ...endowments, console: own.console } });
      fn = compartment.evaluate(source);
    } catch (e) {
      const message = e !== null && typeof e === 'object' && typeof e.message === 'string' ? e.message : '';
      // The sandbox compiled this source as a sloppy script already: a SyntaxError here is
      // sloppy-only syntax (with, legacy octal…), which a compartment (always strict) cannot run.
      if (apply(regexpExec, REJECTED, [message]) || e instanceof SyntaxError) return PromiseCtor.resolve(['rejected', stringify(message), '[]']);
      return PromiseCtor.resolve(['error', failure(e), '[]']);
    }
    return runWith(fn, argsJson, maxChars, own.logsJson);
  };
})(${JSON.stringify(mode)})`;
}

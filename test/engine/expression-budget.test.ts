// Every expression evaluation runs under a budget: hostile expressions fail with a precise code
// (timeout, too deep, too large) and never hold the event loop for long.
import { expect } from 'chai';
import {
  DEFAULT_EXPRESSION_LIMITS,
  ExpressionError,
  evaluateExpression,
  expressionLimits,
  validateFlow,
  valueSize,
  type ExpressionScope,
} from '../../engine/index.js';
import { createRegistry } from '../../nodes/registry.js';
import { HOSTILE_CASES } from './hostile-expressions.js';
import { flowOf } from '../helpers/flow-builder.js';

const scope = (limits = DEFAULT_EXPRESSION_LIMITS): ExpressionScope => ({ input: { name: 'سارة' }, trigger: {}, nodes: {}, vars: {}, contact: null, now: '2026-12-07T10:00:00.000+03:00', limits });

async function outcome(source: string, limits = DEFAULT_EXPRESSION_LIMITS): Promise<{ code: string; message: string; path?: string }> {
  try {
    await evaluateExpression(`=${source}`, scope(limits), '/params/fields/x');
    return { code: 'ok', message: '' };
  } catch (err) {
    expect(err).to.be.instanceOf(ExpressionError);
    const e = err as ExpressionError;
    return { code: e.code, message: e.message, path: e.path };
  }
}

/** Longest stretch without a turn of the event loop while `work` runs. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  try {
    await work();
  } catch {
    // the outcome is checked elsewhere
  }
  await new Promise((r) => setTimeout(r, 5));
  clearInterval(timer);
  return longest;
}

describe('expression budget', function () {
  this.timeout(60_000);

  describe('each hostile expression fails with its code', () => {
    for (const c of HOSTILE_CASES) {
      it(`${c.name} → ${c.code}`, async () => {
        // Size and depth limits are checked with time to spare, so the code does not depend on
        // the machine's speed; timeouts run on the default budget.
        const limits = c.code === 'expression_timeout' ? DEFAULT_EXPRESSION_LIMITS : { ...DEFAULT_EXPRESSION_LIMITS, timeoutMs: 20_000 };
        const got = await outcome(c.source, limits);
        expect(got.code, got.message).to.equal(c.code);
        if (c.code !== 'ok') expect(got.path).to.equal('/params/fields/x');
      });
    }
  });

  it('stops within a small multiple of its wall-time budget', async () => {
    const limits = expressionLimits(50);
    const started = performance.now();
    const got = await outcome('($f := function($n){ $f($n+1) }; $f(0))', limits);
    expect(got.code).to.equal('expression_timeout');
    expect(got.message).to.contain('50 ms');
    // Generous: the machine may be busy; without the budget this never ends.
    expect(performance.now() - started).to.be.below(5_000);
  });

  it('lets the event loop turn while an expression runs (no long stall)', async () => {
    const stall = await longestStall(() => evaluateExpression('=($f := function($n){ $f($n+1) }; $f(0))', scope(expressionLimits(400))));
    // Slices are 5 ms; a loaded machine and garbage collection add to that, never 400 ms.
    expect(stall).to.be.below(200);
  });

  it('clamps a tenant timeout to the server ceiling', () => {
    expect(expressionLimits(50_000, 1_000).timeoutMs).to.equal(1_000);
    expect(expressionLimits(undefined).timeoutMs).to.equal(DEFAULT_EXPRESSION_LIMITS.timeoutMs);
    expect(expressionLimits(0).timeoutMs).to.equal(1);
  });

  it('keeps ordinary expressions working (regex, Arabic, $pad, $replace, $distinct)', async () => {
    const run = async (src: string): Promise<unknown> => evaluateExpression(`=${src}`, scope({ ...DEFAULT_EXPRESSION_LIMITS, timeoutMs: 10_000 }));
    expect(await run('$match("x1y22z333", /[0-9]+/).match')).to.deep.equal(['1', '22', '333']);
    expect(await run('$replace("أحمد محمد", /محمد/, "علي")')).to.equal('أحمد علي');
    expect(await run('$contains("Sara", /AR/i)')).to.equal(true);
    expect(await run('$split("a, b,c", /,\\s*/)')).to.deep.equal(['a', 'b', 'c']);
    expect(await run('$replace("2026-12-07", /(\\d+)-(\\d+)-(\\d+)/, "$3/$2/$1")')).to.equal('07/12/2026');
    expect(await run('$match("a😀b", /😀/).index')).to.equal(1);
    expect(await run('$match("\\u0041B", /\\u0041/).match')).to.equal('A');
    expect(await run('$pad("7", 3, "0")')).to.equal('700');
    expect(await run('$pad("7", -3, "0")')).to.equal('007');
    expect(await run('$pad("ab", 7, "xy")')).to.equal('abxyxyx');
    expect(await run('$pad("😀", 3, "-")')).to.equal('😀--');
    expect(await run('$replace("a.b.c", ".", "/")')).to.equal('a/b/c');
    expect(await run('$distinct([1, 2, 2, 3, 1])')).to.deep.equal([1, 2, 3]);
    expect(await run('$count($distinct([1..5000].($ % 7)))')).to.equal(7);
    expect(await run('$distinct([{"a": 1}, {"a": 1}])')).to.deep.equal([{ a: 1 }]);
    expect(await run('$eval("1 + 2")')).to.equal(3);
    expect(await run('$string({"name": name})')).to.equal('{"name":"سارة"}');
    expect(await run('$join(["a", "b"], "-")')).to.equal('a-b');
    expect(await run('$count([1..9999])')).to.equal(9999);
    // Group-by evaluates its groups in parallel, and JSONata counts them as depth.
    expect(await run('$count($keys([1..1500]{$string($): $}))')).to.equal(1500);
  });

  it('measures shared parts once (a value built from one list twice is twice its size)', () => {
    const list = Array.from({ length: 5000 }, (_, i) => i);
    const size = valueSize([list, list], 1e9);
    expect(size).to.equal(1 + 2 * (1 + 5000));
    expect(() => valueSize([list, list], 6000)).to.throw(/limit 6000/);
  });

  it('refuses at save time regexes the linear engine cannot run, and overlong expressions', () => {
    const flow = (value: string) => flowOf({ start: { type: 'trigger.manual' }, set: { type: 'data.set', params: { fields: { x: value } } } }, ['start -> set']);
    const registry = createRegistry();
    const backref = validateFlow(flow('=$match(name, /(a)\\1/)'), registry);
    expect(backref.errors.map((e) => [e.path, e.code])).to.deep.include(['/nodes/1/params/fields/x', 'expression_regex']);
    const lookahead = validateFlow(flow('=$contains(name, /a(?=b)/)'), registry);
    expect(lookahead.errors.map((e) => e.code)).to.include('expression_regex');
    const long = validateFlow(flow(`="${'x'.repeat(30_000)}"`), registry);
    expect(long.errors.map((e) => e.code)).to.include('expression_too_long');
    expect(validateFlow(flow('=$match(name, /[0-9]+/)'), registry).errors).to.deep.equal([]);
  });
});

import { expect } from 'chai';
import type { ExpressionScope } from '../../engine/index.js';
import { ExpressionError, evaluateExpression, isExpression, resolveParams } from '../../engine/index.js';

function scope(patch: Partial<ExpressionScope> = {}): ExpressionScope {
  return {
    input: { name: 'Sara', score: 72, tags: ['vip', 'riyadh'], items: [{ sku: 'a', qty: 2 }, { sku: 'b', qty: 3 }] },
    trigger: { phone: '+966500000000', source: 'webhook', lead: { city: 'Jeddah' } },
    nodes: { n2: { output: { score: 88, grade: 'A' }, port: 'out' }, 'score-1': { output: 5, port: 'high' } },
    vars: { threshold: 50, company: 'تدفق' },
    contact: { firstName: 'محمد', consent: true },
    now: '2025-03-02T09:30:00.000+03:00',
    ...patch,
  };
}

/** True when `v` is JSON built only from plain arrays and plain objects (no JSONata sequence flags). */
function assertPlainJson(v: unknown, at = '$'): void {
  if (Array.isArray(v)) {
    expect(Object.getPrototypeOf(v), `${at} prototype`).to.equal(Array.prototype);
    expect(Object.getOwnPropertyNames(v), `${at} own properties`).to.deep.equal([...v.keys()].map(String).concat('length'));
    v.forEach((x, i) => assertPlainJson(x, `${at}[${i}]`));
  } else if (v !== null && typeof v === 'object') {
    expect(Object.getPrototypeOf(v), `${at} prototype`).to.equal(Object.prototype);
    for (const [k, x] of Object.entries(v)) assertPlainJson(x, `${at}.${k}`);
  } else {
    expect(v, at).to.not.equal(undefined);
  }
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('expressions', () => {
  describe('isExpression', () => {
    it('is true only for strings starting with "="', () => {
      expect(isExpression('=name')).to.equal(true);
      expect(isExpression('=')).to.equal(true);
      expect(isExpression('= 1 + 1')).to.equal(true);
      for (const v of ['name', ' =name', 'a=b', '', '==', 1, null, undefined, ['=x'], { e: '=x' }]) {
        expect(isExpression(v), JSON.stringify(v)).to.equal(v === '==');
      }
    });
  });

  describe('evaluateExpression', () => {
    it('evaluates over the input item', async () => {
      expect(await evaluateExpression('=name', scope())).to.equal('Sara');
      expect(await evaluateExpression('=$.score > 50', scope())).to.equal(true);
      expect(await evaluateExpression('=score > 80', scope())).to.equal(false);
      expect(await evaluateExpression('=$sum(items.qty)', scope())).to.equal(5);
    });

    it('binds $trigger, $nodes, $vars, $contact and $now', async () => {
      expect(await evaluateExpression('=$trigger.phone', scope())).to.equal('+966500000000');
      expect(await evaluateExpression('=$trigger.lead.city', scope())).to.equal('Jeddah');
      expect(await evaluateExpression('=$nodes.n2.output.score', scope())).to.equal(88);
      expect(await evaluateExpression('=$nodes.n2.port', scope())).to.equal('out');
      expect(await evaluateExpression('=$lookup($nodes, "score-1").port', scope())).to.equal('high');
      expect(await evaluateExpression('=$vars.threshold', scope())).to.equal(50);
      expect(await evaluateExpression('=$contact.consent', scope())).to.equal(true);
      expect(await evaluateExpression('=$now', scope())).to.equal('2025-03-02T09:30:00.000+03:00');
      expect(await evaluateExpression('=$nodes.n2.output.score > $vars.threshold and $contact.consent', scope())).to.equal(true);
    });

    it('does not expose the scope as the input document', async () => {
      expect(await evaluateExpression('=trigger', scope())).to.equal(null);
      expect(await evaluateExpression('=vars', scope())).to.equal(null);
    });

    it('works with a non-object input', async () => {
      expect(await evaluateExpression('=$ * 2', scope({ input: 21 }))).to.equal(42);
      expect(await evaluateExpression('=$', scope({ input: null }))).to.equal(null);
      expect(await evaluateExpression('=$count($)', scope({ input: [1, 2, 3] }))).to.equal(3);
    });

    it('turns undefined (no match) into null', async () => {
      expect(await evaluateExpression('=missing', scope())).to.equal(null);
      expect(await evaluateExpression('=$trigger.nothing.here', scope())).to.equal(null);
      expect(await evaluateExpression('=$nodes.nope.output', scope())).to.equal(null);
      expect(await evaluateExpression('=$contact.x', scope({ contact: null }))).to.equal(null);
    });

    it('turns sequences into plain arrays', async () => {
      const skus = await evaluateExpression('=items.sku', scope());
      expect(skus).to.deep.equal(['a', 'b']);
      assertPlainJson(skus);
      const tags = await evaluateExpression('=tags', scope());
      expect(tags).to.deep.equal(['vip', 'riyadh']);
      assertPlainJson(tags);
      // A one-item sequence is the item itself (JSONata's singleton rule).
      expect(await evaluateExpression('=items[sku = "a"].qty', scope())).to.equal(2);
    });

    it('keeps results plain JSON when sequences are nested in constructed objects and arrays', async () => {
      // Found by these tests: normalize() only unwrapped sequences at the top level and inside
      // arrays, so objects built by JSONata (null prototype) kept their `sequence`-flagged arrays.
      const built = await evaluateExpression('={"skus": items.sku, "first": {"qty": items[0].qty, "tags": tags}, "rows": [items.{"s": sku}]}', scope());
      expect(built).to.deep.equal({ skus: ['a', 'b'], first: { qty: 2, tags: ['vip', 'riyadh'] }, rows: [{ s: 'a' }, { s: 'b' }] });
      assertPlainJson(built);
      assertPlainJson(await evaluateExpression('=[items.sku, [tags]]', scope()));
      assertPlainJson(await evaluateExpression('=items{sku: qty}', scope()));
    });

    it('keeps a "__proto__" key of a constructed object as data', async () => {
      const built = (await evaluateExpression('={"__proto__": {"polluted": true}, "a": 1}', scope())) as Record<string, unknown>;
      expect(Object.getPrototypeOf(built)).to.equal(Object.prototype);
      expect(Object.keys(built)).to.deep.equal(['__proto__', 'a']);
      expect((built as { polluted?: unknown }).polluted).to.equal(undefined);
      expect(({} as { polluted?: unknown }).polluted).to.equal(undefined);
    });

    it('handles Arabic strings in data and in the expression', async () => {
      expect(await evaluateExpression('=$contact.firstName', scope())).to.equal('محمد');
      expect(await evaluateExpression('="مرحبا " & $contact.firstName & " من " & $vars.company', scope())).to.equal('مرحبا محمد من تدفق');
      expect(await evaluateExpression('=$length($contact.firstName)', scope())).to.equal(4);
      expect(await evaluateExpression('=`الاسم`', scope({ input: { 'الاسم': 'ليلى' } }))).to.equal('ليلى');
      expect(await evaluateExpression('=$uppercase("ok") & "،" & "نعم"', scope())).to.equal('OK،نعم');
    });

    it('throws ExpressionError with the path for a syntax error', async () => {
      const err = await rejection(evaluateExpression('=1 +', scope(), '/params/x'));
      expect(err).to.be.instanceOf(ExpressionError);
      const e = err as ExpressionError;
      expect(e.path).to.equal('/params/x');
      expect(e.expression).to.equal('=1 +');
      expect(e.message).to.match(/^invalid expression: /);
    });

    it('throws ExpressionError with the path for a run-time error', async () => {
      const err = await rejection(evaluateExpression('=name + 1', scope(), '/params/total'));
      expect(err).to.be.instanceOf(ExpressionError);
      const e = err as ExpressionError;
      expect(e.name).to.equal('ExpressionError');
      expect(e.path).to.equal('/params/total');
      expect(e.message).to.match(/^expression failed: /);
      expect(e.position).to.be.a('number');
    });

    it('throws for an unknown function at run time', async () => {
      const err = await rejection(evaluateExpression('=$nope(1)', scope(), '/p'));
      expect(err).to.be.instanceOf(ExpressionError);
      expect((err as ExpressionError).path).to.equal('/p');
    });

    it('gives the same answer when evaluated again (compiled-expression cache)', async () => {
      for (let i = 0; i < 3; i++) {
        expect(await evaluateExpression('=score * 2', scope({ input: { score: i } }))).to.equal(i * 2);
      }
    });
  });

  describe('resolveParams', () => {
    it('returns the very same object when there is no expression', async () => {
      const params = { a: 1, b: 'text = not an expression', c: [{ d: null }], e: { f: true } };
      expect(await resolveParams(params, scope())).to.equal(params);
      const arr = ['x', 1];
      expect(await resolveParams(arr, scope())).to.equal(arr);
      expect(await resolveParams('plain', scope())).to.equal('plain');
      expect(await resolveParams(undefined, scope())).to.equal(undefined);
    });

    it('resolves expressions deep in objects and arrays and keeps literals', async () => {
      const params = {
        to: '=$trigger.phone',
        body: { text: '="أهلاً " & $contact.firstName', lang: 'ar' },
        list: ['=$vars.threshold', 7, ['=score', { deep: '=name' }]],
        flag: false,
        none: null,
      };
      const before = structuredClone(params);
      const resolved = await resolveParams(params, scope());
      expect(resolved).to.deep.equal({
        to: '+966500000000',
        body: { text: 'أهلاً محمد', lang: 'ar' },
        list: [50, 7, [72, { deep: 'Sara' }]],
        flag: false,
        none: null,
      });
      expect(params, 'params must not be mutated').to.deep.equal(before);
      expect(resolved).to.not.equal(params);
    });

    it('resolves a top-level expression', async () => {
      expect(await resolveParams('=score', scope())).to.equal(72);
    });

    it('reports the JSON pointer of a failing expression, under basePath', async () => {
      const err = await rejection(resolveParams({ a: { 'b/c': ['ok', '=name - 1'] } }, scope()));
      expect(err).to.be.instanceOf(ExpressionError);
      expect((err as ExpressionError).path).to.equal('/params/a/b~1c/1');
      const err2 = await rejection(resolveParams({ x: '=1 +' }, scope(), '/nodes/3/params'));
      expect((err2 as ExpressionError).path).to.equal('/nodes/3/params/x');
    });

    it('yields null for expressions that match nothing', async () => {
      expect(await resolveParams({ a: '=missing', b: ['=nope'] }, scope())).to.deep.equal({ a: null, b: [null] });
    });
  });
});

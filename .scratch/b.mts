import { expect } from 'chai';
import jsonata from 'jsonata';
const r = await jsonata('{"xs": items.n, "o": {"k": 1}}').evaluate({items:[{n:1},{n:2}]});
console.log(Object.getPrototypeOf(r), Object.getPrototypeOf(r.o), r.xs.sequence, r.xs.keepSingleton);
try { expect(r).to.deep.equal({xs:[1,2], o:{k:1}}); console.log('chai equal ok'); } catch (e) { console.log('chai FAIL', (e as Error).message); }
const r2 = await jsonata('$.{"a": n}').evaluate({n:1});
console.log(r2, Object.getPrototypeOf(r2));
const r3 = await jsonata('[items.n]').evaluate({items:[{n:1}]});
console.log(r3, Object.getOwnPropertyNames(r3));
const r4 = await jsonata('items.n').evaluate({items:[{n:1}]});
console.log(r4);
const r5 = await jsonata('($f := function($x){$x}; {"f": $f})').evaluate({});
console.log(Object.keys(r5.f));

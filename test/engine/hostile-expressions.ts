// Expressions a hostile tenant may write, each with the code its evaluation must fail with.
// Shared by the engine's unit test and the live-server suite (test/security/).
import type { ExpressionLimitCode } from '../../engine/index.js';

export interface HostileCase {
  name: string;
  /** JSONata source, without the leading "=". */
  source: string;
  /** The code its evaluation fails with, or 'ok': it finishes (quickly: a linear-time regex). */
  code: ExpressionLimitCode | 'ok';
}

const dag = (levels: number): string => {
  const names = Array.from({ length: levels }, (_, i) => `$v${i}`);
  const binds = names.slice(1).map((n, i) => `${n} := [${names[i]}, ${names[i]}]`);
  return `(${names[0]} := [1, 2]; ${binds.join('; ')}; ${names[levels - 1]})`;
};

export const HOSTILE_CASES: HostileCase[] = [
  { name: 'unbounded tail recursion', source: '($f := function($n){ $f($n+1) }; $f(0))', code: 'expression_timeout' },
  { name: 'unbounded recursion', source: '($f := function($n){ 1 + $f($n+1) }; $f(0))', code: 'expression_too_deep' },
  { name: '100,000-deep recursion', source: '($f := function($n){ $n = 0 ? 0 : 1 + $f($n-1) }; $f(100000))', code: 'expression_too_deep' },
  { name: 'mutual recursion', source: '($a := function($n){ 1 + $b($n) }; $b := function($n){ 1 + $a($n) }; $a(1))', code: 'expression_too_deep' },
  { name: 'recursion through $map', source: '($f := function($n){ $map([1], function($x){ $f($n) }) }; $f(0))', code: 'expression_timeout' },
  { name: 'huge range', source: '[1..10000000]', code: 'expression_too_large' },
  { name: 'range over the limit', source: '$count([0..100000])', code: 'expression_too_large' },
  { name: 'join of 3 million strings', source: '$length($join([1..3000000].$string($), ","))', code: 'expression_too_large' },
  { name: 'range of ranges', source: '$count([1..9999].($count([1..9999])))', code: 'expression_timeout' },
  { name: 'nested $map blow-up', source: '$map([1..9999], function($v){ $count($map([1..9999], function($w){ $w })) })', code: 'expression_timeout' },
  { name: 'huge $pad', source: '$pad("", 100000000)', code: 'expression_too_large' },
  { name: 'huge multi-character $pad', source: '$length($pad("", 900000, "ab"))', code: 'expression_too_large' },
  { name: 'string doubling', source: '($s := "xxxxxxxxxx"; $f := function($s, $n){ $n = 0 ? $s : $f($s & $s, $n - 1) }; $length($f($s, 40)))', code: 'expression_too_large' },
  { name: 'many large strings', source: '($s := $pad("", 150000, "x"); $count([1..1000].($s & "y")))', code: 'expression_too_large' },
  { name: 'join of repeated large strings', source: '($s := $pad("", 150000, "x"); $length($join([1..1000].($s), "")))', code: 'expression_too_large' },
  { name: '$reduce concatenation', source: '$length($reduce([1..9999], function($acc, $v){ $acc & "xxxxxxxxxxxxxxxxxxxx" }, ""))', code: 'expression_too_large' },
  { name: 'shared-reference blow-up', source: `$count(${dag(40)})`, code: 'expression_too_large' },
  { name: '$string of a shared-reference blow-up', source: `$string(${dag(40)})`, code: 'expression_too_large' },
  { name: 'descendants of a shared-reference blow-up', source: `$count(${dag(40)}.**)`, code: 'expression_too_large' },
  { name: 'object spreading', source: '$sum([1..9999].($count($spread([1..200].{"k" & $string($): $}))))', code: 'expression_timeout' },
  { name: 'object merge blow-up', source: '$sum([1..9999].($count($keys($merge([1..200].{"k" & $string($): [$, $]})))))', code: 'expression_timeout' },
  { name: 'objects of a shared list', source: '($l := [1..9999]; $o := {"a": $l, "b": $l, "c": $l, "d": $l}; $p := {"a": $o, "b": $o, "c": $o, "d": $o}; $q := {"a": $p, "b": $p, "c": $p, "d": $p}; $r := {"a": $q, "b": $q, "c": $q, "d": $q}; $count($keys($r)))', code: 'expression_too_large' },
  { name: 'catastrophic regex in $match', source: '$match($pad("", 20000, "a") & "!", /(a+)+$/)', code: 'ok' },
  { name: 'catastrophic regex in $contains', source: '$contains($pad("", 20000, "a") & "!", /^(a|aa)+$/)', code: 'ok' },
  { name: 'regex over a huge string', source: '$contains($pad("", 150000, "a") & "!", /^(a|aa)+$/)', code: 'expression_too_large' },
  { name: 'regex with too many matches', source: '$count($match($pad("", 150000, "ab"), /./))', code: 'expression_too_large' },
  { name: '$replace blow-up', source: '$replace($pad("", 100000, "a"), "a", $pad("", 1000, "b"))', code: 'expression_too_large' },
  { name: '$replace with group expansion', source: '$replace($pad("", 100000, "ab"), /(a)/, "$1$1$1$1$1$1$1$1$1$1")', code: 'expression_too_large' },
  { name: '$distinct over objects', source: '$count($distinct([1..3000].{"a": $}))', code: 'expression_too_large' },
  { name: '$split into characters', source: '$count($split($pad("", 150000, "a"), ""))', code: 'expression_too_large' },
  { name: 'sorts with a comparator', source: '$sum([1..9999].($count($sort([1..100], function($a, $b){ $a < $b }))))', code: 'expression_timeout' },
  { name: '$eval of a long expression', source: '$eval($pad("", 20000, "1+") & "1")', code: 'expression_too_large' },
  { name: '$eval of a recursion', source: '$eval("($f := function($n){ 1 + $f($n) }; $f(1))")', code: 'expression_too_deep' },
  { name: 'filter predicate loop', source: '($x := [1..9999]; $count($x.($x[$ > 5000][0])))', code: 'expression_timeout' },
];

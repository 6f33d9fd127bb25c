// code: runs a JavaScript snippet in the sandbox (nodes/code/): an isolated-vm isolate in a
// supervised child process, a new SES Compartment (or fresh context) per run, with time and memory limits. The
// snippet is the body of an async function of (input, trigger, nodes, vars); what it returns
// is the output on `out`. Only JSON crosses the boundary, copied both ways.
import { Type } from '@sinclair/typebox';
import { defineNode, ERROR_PORT, label, NodeFailure, type FlowError } from '../engine/index.js';
import { OUT_PORT } from './shared/ports.js';
import { findSyntaxError } from './code/check-syntax.js';
import { MAX_SOURCE_LENGTH, MEMORY_MB, TIMEOUT_MS } from './code/limits.js';
import { runCode } from './code/run-code.js';

const params = Type.Object(
  {
    source: Type.String({
      maxLength: MAX_SOURCE_LENGTH,
      'x-editor': 'code',
      'x-language': 'javascript',
      ...label(
        'Code',
        'الشيفرة',
        'JavaScript (strict mode; built-in prototypes are read-only): the body of an async function receiving input (the item), trigger, nodes and vars; what it returns is the output. console.log lines go to the step logs.',
        'JavaScript (الوضع الصارم؛ والنماذج الأولية المدمجة للقراءة فقط): جسم دالة غير متزامنة تتلقى input (العنصر) وtrigger وnodes وvars؛ وما تُرجعه هو المخرج. وتذهب أسطر console.log إلى سجلات الخطوة.',
      ),
      examples: ['return { ...input, total: input.items.reduce((sum, i) => sum + i.price, 0) };'],
    }),
    timeoutMs: Type.Optional(
      Type.Integer({
        minimum: TIMEOUT_MS.min,
        maximum: TIMEOUT_MS.max,
        default: TIMEOUT_MS.default,
        ...label('Timeout (ms)', 'المهلة (بالمللي ثانية)', 'Stop the code after this many milliseconds', 'إيقاف الشيفرة بعد هذا العدد من المللي ثانية'),
      }),
    ),
    memoryMb: Type.Optional(
      Type.Integer({
        minimum: MEMORY_MB.min,
        maximum: MEMORY_MB.max,
        default: MEMORY_MB.default,
        ...label('Memory (MB)', 'الذاكرة (ميغابايت)', 'Memory the code may use, in MB', 'الذاكرة المسموح للشيفرة باستخدامها، بالميغابايت'),
      }),
    ),
  },
  { additionalProperties: false },
);

export const codeNode = defineNode({
  type: 'code',
  category: 'integration',
  policyClass: 'A',
  sideEffects: false,
  label: { en: 'Code', ar: 'شيفرة برمجية' },
  description: {
    en: 'Runs a JavaScript snippet in an isolated sandbox. It receives the item as input (and trigger, nodes, vars) and returns the output. No network, files, timers or secrets; time and memory are limited.',
    ar: 'يشغّل مقطع JavaScript في بيئة معزولة. يستقبل العنصر باسم input (ومعه trigger و nodes و vars) ويُرجع المخرج. لا وصول إلى الشبكة أو الملفات أو المؤقتات أو الأسرار، والوقت والذاكرة محدودان.',
  },
  icon: 'code',
  params,
  outputs: [OUT_PORT, ERROR_PORT],
  check(p): FlowError[] {
    const problem = findSyntaxError(p.source);
    return problem ? [{ path: '/source', code: 'code_syntax', message: problem.message }] : [];
  },
  async execute(ctx) {
    const result = await runCode({
      source: ctx.params.source,
      input: ctx.input,
      trigger: ctx.scope.trigger,
      nodes: ctx.scope.nodes,
      vars: ctx.scope.vars,
      timeoutMs: ctx.params.timeoutMs ?? TIMEOUT_MS.default,
      memoryMb: ctx.params.memoryMb ?? MEMORY_MB.default,
      signal: ctx.signal,
    });
    for (const line of result.logs) ctx.log(line);
    if (result.ok) return { port: 'out', output: result.output };
    const { error } = result;
    // Cancelled by the runtime: not this node's failure (as http.request does).
    if (error.code === 'code_cancelled' && ctx.signal.aborted) throw ctx.signal.reason ?? new DOMException('The run was cancelled', 'AbortError');
    const atSource = error.code === 'code_syntax' || error.code === 'code_error';
    throw new NodeFailure(error.code, error.message, { retryable: error.retryable, ...(atSource ? { path: '/params/source' } : {}) });
  },
});

// tadfuq code-test FILE.js [--input JSON] [--trigger JSON] [--vars JSON] [--timeout-ms N] [--memory-mb N]
// Runs a snippet with the code step's sandbox and limits; prints {output, logs, durationMs}
// (exit 0) or {error, logs, durationMs} (exit 1). Exit 2 for usage errors.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { MEMORY_MB, TIMEOUT_MS } from './limits.js';
import { runCode, type RunCodeOptions } from './run-code.js';

export const CODE_TEST_USAGE = `usage: tadfuq code-test FILE.js [--input JSON] [--trigger JSON] [--vars JSON] [--timeout-ms N] [--memory-mb N]
  FILE.js is the body of an async function receiving input, trigger, nodes and vars.
  --timeout-ms ${TIMEOUT_MS.min}..${TIMEOUT_MS.max} (default ${TIMEOUT_MS.default}), --memory-mb ${MEMORY_MB.min}..${MEMORY_MB.max} (default ${MEMORY_MB.default})`;

function json(name: string, text: string | undefined, fallback: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  if (text === undefined) return { ok: true, value: fallback };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: `--${name} is not valid JSON: ${(e as Error).message}` };
  }
}

function integer(name: string, text: string | undefined): { ok: true; value: number | undefined } | { ok: false; message: string } {
  if (text === undefined) return { ok: true, value: undefined };
  const n = Number(text);
  return Number.isInteger(n) ? { ok: true, value: n } : { ok: false, message: `--${name} must be an integer` };
}

/** `argv` is what follows "code-test". Returns the exit code. */
export async function codeTestCommand(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream, options: RunCodeOptions = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        input: { type: 'string' },
        trigger: { type: 'string' },
        vars: { type: 'string' },
        'timeout-ms': { type: 'string' },
        'memory-mb': { type: 'string' },
      },
    });
  } catch (e) {
    err.write(`${(e as Error).message}\n${CODE_TEST_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    err.write(CODE_TEST_USAGE + '\n');
    return 2;
  }
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (e) {
    err.write(`cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  const input = json('input', values.input, {});
  const trigger = json('trigger', values.trigger, undefined);
  const vars = json('vars', values.vars, {});
  const timeoutMs = integer('timeout-ms', values['timeout-ms']);
  const memoryMb = integer('memory-mb', values['memory-mb']);
  for (const v of [input, trigger, vars, timeoutMs, memoryMb]) {
    if (!v.ok) {
      err.write(`${v.message}\n`);
      return 2;
    }
  }
  const result = await runCode(
    {
      source,
      input: input.ok ? input.value : {},
      trigger: trigger.ok && trigger.value !== undefined ? trigger.value : input.ok ? input.value : {},
      vars: (vars.ok ? vars.value : {}) as Record<string, unknown>,
      ...(timeoutMs.ok && timeoutMs.value !== undefined ? { timeoutMs: timeoutMs.value } : {}),
      ...(memoryMb.ok && memoryMb.value !== undefined ? { memoryMb: memoryMb.value } : {}),
    },
    options,
  );
  if (result.ok) {
    out.write(JSON.stringify({ output: result.output, logs: result.logs, durationMs: result.durationMs }, null, 2) + '\n');
    return 0;
  }
  out.write(JSON.stringify({ error: result.error, logs: result.logs, durationMs: result.durationMs }, null, 2) + '\n');
  return 1;
}

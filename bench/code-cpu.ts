// CPU per code-step run, host and sandbox process separately (utime+stime from /proc), for
// before/after comparisons that do not depend on wall time on a shared machine.
//   node --no-node-snapshot --import tsx bench/code-cpu.ts [runs] [concurrency]
import { readFileSync } from 'node:fs';
import { runCode } from '../nodes/code/run-code.js';
import { SandboxPool } from '../nodes/code/sandbox-pool.js';

const SOURCE = "const tld = input.email.endsWith('.sa') ? 15 : 0; return { ...input, score: tld + Math.round(Math.log10(input.budget) * 10) };";
const TICK_MS = 10;

function procCpuMs(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

const runs = Number(process.argv[2] ?? 5000);
const concurrency = Number(process.argv[3] ?? 1);
const pool = new SandboxPool({ processes: 1 });
await pool.start();
const pid = pool.pids()[0] as number;
const input = { email: 'lead.1@example.sa', budget: 25000, source: 'ads' };
const trigger = { body: { email: 'Lead.1@Example.SA', budget: '25000', source: 'ads' }, query: {}, headers: { 'content-type': 'application/json', 'user-agent': 'undici' } };
const nodes = { hook: { output: trigger, port: 'out' }, normalise: { output: input, port: 'out' }, big: { output: input, port: 'true' } };
const one = async (i: number) => {
  const r = await runCode({ source: SOURCE, input: { ...input, budget: 10000 + i }, trigger, nodes, vars: {} }, { pool });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
};
for (let i = 0; i < 1000; i++) await one(i);
await new Promise((r) => setTimeout(r, 300));
const h0 = process.cpuUsage();
const s0 = procCpuMs(pid);
const t0 = performance.now();
let next = 0;
await Promise.all(Array.from({ length: concurrency }, async () => { while (next < runs) await one(next++); }));
const wall = performance.now() - t0;
await new Promise((r) => setTimeout(r, 300)); // let the sandbox finish preparing contexts
const h1 = process.cpuUsage(h0);
const s1 = procCpuMs(pid);
const hostUs = ((h1.user + h1.system) / runs);
const sandboxUs = ((s1 - s0) * 1000) / runs;
process.stdout.write(JSON.stringify({ runs, concurrency, wallUsPerRun: +((wall * 1000) / runs).toFixed(1), hostCpuUs: +hostUs.toFixed(1), sandboxCpuUs: +sandboxUs.toFixed(1), totalCpuUs: +(hostUs + sandboxUs).toFixed(1) }) + '\n');
await pool.close();
process.exit(0);

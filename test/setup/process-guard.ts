// Mocha root hook plugin (.mocharc.json `require`): no process a test starts may outlive the run.
//
// At load, before any spec file, it puts a marker unique to this run in process.env
// (TADFUQ_TEST_RUN=<uuid>); every descendant inherits it (spawn helpers pass ...process.env).
// After the last root `after` hook (the editor suites close their shared server and browser in
// one), it scans /proc/*/environ for the marker: any process still carrying it, other than
// mocha itself, is killed with SIGKILL and the run fails, listing their command lines.
// Processes given an empty environment on purpose (the code-step sandboxes) do not carry the
// marker; they exit when their parent's IPC channel closes (nodes/code/sandbox-child.ts). Nor
// does tsx's esbuild service of mocha itself count: it ends with mocha.
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export const MARKER = 'TADFUQ_TEST_RUN';
const runId = randomUUID();
process.env[MARKER] = runId;

interface Survivor {
  pid: number;
  ppid: number;
  command: string;
}

function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null; // gone, or not ours to read
  }
}

/** Live processes (not zombies) whose environment carries this run's marker, except this one. */
export function survivors(): Survivor[] {
  if (!existsSync('/proc/self/environ')) return [];
  const needle = `${MARKER}=${runId}`;
  const found: Survivor[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const environ = read(`/proc/${pid}/environ`);
    if (!environ || !environ.split('\0').includes(needle)) continue;
    const stat = read(`/proc/${pid}/stat`) ?? '';
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' || state === 'X') continue;
    const command = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean).join(' ');
    // tsx's esbuild service, a child of mocha itself: it exits when mocha does (its stdin closes).
    if (Number(ppid) === process.pid && /esbuild\S* --service/.test(command)) continue;
    found.push({ pid, ppid: Number(ppid), command });
  }
  return found;
}

/** Wait up to `graceMs` for stragglers that are already exiting; SIGKILL the rest and describe them. */
export async function reapSurvivors(graceMs = 3_000): Promise<Survivor[]> {
  const until = Date.now() + graceMs;
  let left = survivors();
  while (left.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    left = survivors();
  }
  for (const s of left) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  return left;
}

async function checkNoSurvivors(): Promise<void> {
  const left = await reapSurvivors();
  if (left.length === 0) return;
  const list = left.map((s) => `  pid ${s.pid} (parent ${s.ppid}): ${s.command}`).join('\n');
  throw new Error(`${left.length} process(es) started by the tests outlived them (killed now):\n${list}`);
}

export const mochaHooks = {
  beforeAll(this: Mocha.Context): void {
    // Registered now, once every spec file has added its own root hooks, so that it runs last.
    const root = this.test?.parent;
    if (root && !root.root) throw new Error('process-guard: expected the root suite');
    root?.afterAll('no process started by the tests outlives them', checkNoSurvivors);
  },
};

// The real server (`server/main.ts`) as a child process, so tests can SIGKILL it.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServerProcess {
  origin: string;
  child: ChildProcess;
  stderr(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function startServerProcess(env: Record<string, string>, port: number): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', path.join(root, 'server/main.ts')], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: String(port), DATABASE_URL: '', ...env },
    stdio: ['ignore', process.env.TEST_SERVER_STDOUT ? 'inherit' : 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${err}`);
    try {
      return (await fetch(`${origin}/healthz`)).ok;
    } catch {
      return false;
    }
  }, 30_000, 100);
  return {
    origin,
    child,
    stderr: () => err,
    kill: (signal) => killAndWait(child, signal),
  };
}

/** A queue-mode worker (`server/worker.ts`); ready once it logs that it is up. */
export async function startWorkerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', path.join(root, 'server/worker.ts')], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`worker exited (${child.exitCode}): ${err}`);
    return out.includes('worker is up');
  }, 30_000, 100);
  return {
    origin: '',
    child,
    stderr: () => err,
    kill: (signal) => killAndWait(child, signal),
  };
}

async function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

let nextPort = 34_100 + (process.pid % 500) * 4;
export const freePort = (): number => nextPort++;

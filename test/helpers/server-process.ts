// The real server (`server/main.ts`) as a child process, so tests can SIGKILL it.
import { spawn, type ChildProcess } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Children spawned here and not yet exited. A child must never outlive the test run
 * (test/setup/process-guard.ts fails the run if one does): one that does not come up is killed
 * before the error is thrown, and whatever is left when mocha exits is SIGKILLed.
 */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Wait for a freshly spawned child to be ready; if it never is, kill it before failing. */
async function readyOrKilled<T>(child: ChildProcess, ready: () => Promise<T>): Promise<T> {
  try {
    return await ready();
  } catch (err) {
    await killAndWait(child, 'SIGKILL');
    throw err;
  }
}

export interface ServerProcess {
  origin: string;
  child: ChildProcess;
  stderr(): string;
  /** What the process logged (pino JSON lines) so far. */
  stdout(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Starts the server on a port the kernel picks (PORT=0) and reads it from the "up" log line:
 * fixed ports collide with the ephemeral ports of outgoing connections.
 */
export async function startServerProcess(env: Record<string, string>, entry = 'server/main.ts'): Promise<ServerProcess> {
  const child = track(
    spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', path.join(root, entry)], {
      cwd: root,
      env: { ...process.env, TADFUQ_DEMO_ACTIVITY: '0', PORT: '0', DATABASE_URL: '', ...env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (process.env.TEST_SERVER_STDOUT) process.stdout.write(d);
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const origin = await readyOrKilled(child, async () => {
    const port = await waitFor(() => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited (${child.exitCode ?? child.signalCode}): ${err}`);
      const up = out.split('\n').find((line) => line.includes('tadfuq is up'));
      return up ? Number((JSON.parse(up) as { port: number }).port) : null;
    }, 30_000, 50);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited (${child.exitCode ?? child.signalCode}): ${err}`);
      try {
        return (await fetch(`${base}/healthz`)).ok;
      } catch {
        return false;
      }
    }, 10_000, 50);
    return base;
  });
  return {
    origin,
    child,
    stderr: () => err,
    stdout: () => out,
    kill: (signal) => killAndWait(child, signal),
  };
}

/** A queue-mode worker (`server/worker.ts`); ready once it logs that it is up. */
export async function startWorkerProcess(env: Record<string, string>, entry = 'server/worker.ts'): Promise<ServerProcess> {
  const child = track(
    spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', path.join(root, entry)], {
      cwd: root,
      env: { ...process.env, TADFUQ_DEMO_ACTIVITY: '0', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await readyOrKilled(child, () =>
    waitFor(() => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited (${child.exitCode ?? child.signalCode}): ${err}`);
      return out.includes('worker is up');
    }, 30_000, 100),
  );
  return {
    origin: '',
    child,
    stderr: () => err,
    stdout: () => out,
    kill: (signal) => killAndWait(child, signal),
  };
}

/** Signal the child and wait for it to exit; one that ignores a gentler signal for 10 s gets SIGKILL. */
async function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const escalate = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(escalate);
}

/** A port free right now (bound by the kernel, then released), for a worker's metrics. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

#!/usr/bin/env node
// The `tadfuq` command. Runs the compiled dist/server/cli/main.js (a validate takes tens of
// milliseconds). When dist/ is missing or older than the TypeScript sources (a checkout being
// edited) it runs the sources through tsx instead, so it is never stale; `npm run build`
// (or `npm start`) brings dist/ up to date again.
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { serverStaleReason } from './build-state.mjs';

// isolated-vm (the code step's sandbox) needs Node started with --no-node-snapshot, which
// cannot be turned on from inside a running process: start again with it when a command may
// run code steps. `validate` never does, and skips the second start.
const command = process.argv[2];
const snapshotOff = process.execArgv.includes('--no-node-snapshot') || (process.env.NODE_OPTIONS ?? '').includes('--no-node-snapshot');
if (!snapshotOff && command !== 'validate') {
  const result = spawnSync(process.execPath, ['--no-node-snapshot', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (result.error) throw result.error;
  process.exit(result.signal ? 128 + (constants.signals[result.signal] ?? 0) : (result.status ?? 1));
}

const stale = serverStaleReason();
let tsx = null;
if (stale) {
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    tsx = null; // an install without dev dependencies: dist/ is what there is
  }
}
if (tsx) {
  tsx.register();
  await import(new URL('../server/cli/main.ts', import.meta.url).href);
} else {
  await import(new URL('../dist/server/cli/main.js', import.meta.url).href);
}

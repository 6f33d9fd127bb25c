#!/usr/bin/env node
// The `tadfuq` command. From a checkout it runs the TypeScript source through tsx, so it is
// never stale; an install without dev dependencies runs the compiled dist/ instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

// isolated-vm (the code step's sandbox) needs Node started with --no-node-snapshot, which
// cannot be turned on from inside a running process: start again with it when it is missing.
const snapshotOff = process.execArgv.includes('--no-node-snapshot') || (process.env.NODE_OPTIONS ?? '').includes('--no-node-snapshot');
if (!snapshotOff) {
  const result = spawnSync(process.execPath, ['--no-node-snapshot', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (result.error) throw result.error;
  process.exit(result.signal ? 128 + (constants.signals[result.signal] ?? 0) : (result.status ?? 1));
}

const source = new URL('../server/cli/main.ts', import.meta.url);
let tsx = null;
if (existsSync(source)) {
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    tsx = null;
  }
}
if (tsx) {
  tsx.register();
  await import(source.href);
} else {
  await import(new URL('../dist/server/cli/main.js', import.meta.url).href);
}

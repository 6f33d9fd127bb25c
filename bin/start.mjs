#!/usr/bin/env node
/* global process, console */
// `npm start` (and `npm run worker` with the argument `worker`): compile the server only when
// its sources are newer than dist/, build the editor only when it is missing or stale, then
// run `node --no-node-snapshot dist/bundle/main.mjs` (or worker.mjs; dist/server/*.js when
// there is no bundle) as a child that receives
// every SIGINT/SIGTERM/SIGHUP sent to this process and whose exit this process waits for and
// mirrors. npm's own signal forwarding reaches this process (the script is a single command,
// so sh execs it), so stopping `npm start` stops the server, its code sandboxes and workers
// (they exit when their parent does) and leaves nothing holding the port.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { SERVER_NODE_FLAGS, ensureServerBuild, root, serverEntry } from './build-state.mjs';
import { ensureEditorBuild } from './ensure-editor-build.mjs';

const worker = process.argv[2] === 'worker';
try {
  ensureServerBuild();
  if (!worker) ensureEditorBuild();
} catch (err) {
  console.error(err.message);
  process.exit(1);
}

const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, serverEntry(root, worker)], {
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
child.on('error', (err) => {
  console.error(err.message);
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0)));

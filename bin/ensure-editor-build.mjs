#!/usr/bin/env node
/* global process, console */
// Builds the editor (vite → dist/editor) when the build is missing or older than the editor's
// sources or the lock file; otherwise does nothing. `npm start` and the editor tests run it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SKIP = new Set(['node_modules', 'dist']);

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Where the build goes: dist/editor, or TADFUQ_EDITOR_OUT (parallel test runs each build their own; the server then needs TADFUQ_EDITOR_DIR). */
export function outDir(base = root) {
  return process.env.TADFUQ_EDITOR_OUT ? path.resolve(process.env.TADFUQ_EDITOR_OUT) : path.join(base, 'dist/editor');
}

/** Why the build must be (re)made, or null when it is up to date. */
export function staleReason(base = root) {
  const index = path.join(outDir(base), 'index.html');
  if (!fs.existsSync(index)) return 'no build yet';
  const built = fs.statSync(index).mtimeMs;
  const sources = Math.max(newestMtime(path.join(base, 'editor')), fs.statSync(path.join(base, 'package-lock.json')).mtimeMs);
  return sources > built ? 'sources changed since the last build' : null;
}

/** Builds when stale; returns true when a build is in place afterwards. */
export function ensureEditorBuild({ base = root, quiet = false } = {}) {
  const reason = staleReason(base);
  if (!reason) return true;
  const vite = path.join(base, 'node_modules/vite/bin/vite.js');
  if (!fs.existsSync(vite)) {
    console.warn(`editor: ${reason}, and vite is not installed (npm install): the server will answer 503 at /`);
    return fs.existsSync(path.join(outDir(base), 'index.html'));
  }
  if (!quiet) console.log(`editor: ${reason}; building…`);
  const run = spawnSync(process.execPath, [vite, 'build', '--config', 'editor/vite.config.ts', '--outDir', outDir(base), '--emptyOutDir', '--logLevel', quiet ? 'error' : 'warn'], { cwd: base, stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`editor build failed (exit ${run.status})`);
  return true;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    ensureEditorBuild();
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}

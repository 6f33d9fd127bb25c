/* global process, console */
// Is dist/ (the compiled server, engine, nodes, db and seeds) current? Compares the newest
// mtime of the TypeScript sources (tests excluded), the tsconfig files and the lock file with a
// stamp written after the last successful `tsc`. Reading a few hundred mtimes takes a few ms:
// `npm start`, `npm run worker` and the `tadfuq` command check it on every run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Node flags of the server and worker processes (`npm start`, `npm run worker`, the benches).
 * isolated-vm needs --no-node-snapshot. (A smaller young generation, --max-semi-space-size=8,
 * idles ~17 MB smaller but costs ~10% of throughput at c=50: not set, see bench/README.md.)
 */
export const SERVER_NODE_FLAGS = ['--no-node-snapshot'];

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIRS = ['engine', 'nodes', 'server', 'db', 'seeds'];
const SOURCE_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
export const STAMP = 'dist/.build-stamp';

function newestSource(dir) {
  let newest = 0;
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    // What tsc reads: TypeScript and imported JSON (READMEs and tests do not make dist/ stale).
    else if (/\.(ts|json)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Why dist/ must be rebuilt, or null when it is current. */
export function serverStaleReason(base = root) {
  let built;
  try {
    built = fs.statSync(path.join(base, STAMP)).mtimeMs;
  } catch {
    return 'no build yet';
  }
  let newest = Math.max(...SOURCE_DIRS.map((d) => newestSource(path.join(base, d))));
  for (const f of SOURCE_FILES) {
    try {
      newest = Math.max(newest, fs.statSync(path.join(base, f)).mtimeMs);
    } catch {
      // absent (an install without a lock file): nothing to compare
    }
  }
  return newest > built ? 'sources changed since the last build' : null;
}

/** Compile with tsc when stale (silent when current; `force`: always); throws when tsc fails. */
export function ensureServerBuild(base = root, { force = false } = {}) {
  const reason = force ? 'build requested' : serverStaleReason(base);
  if (!reason) return;
  const tsc = path.join(base, 'node_modules/typescript/bin/tsc');
  if (!fs.existsSync(tsc)) {
    if (fs.existsSync(path.join(base, 'dist/server/main.js'))) return; // a production install: dist/ ships as is
    throw new Error(`server: ${reason}, and typescript is not installed (npm install)`);
  }
  if (!force) console.log(`server: ${reason}; compiling (tsc)…`);
  const run = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: base, stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`server build failed (tsc exit ${run.status})`);
  // The bundle (bin/bundle-server.mjs), in its own process: esbuild is asynchronous.
  const bundle = spawnSync(process.execPath, ['--input-type=module', '-e', `import { bundleServer } from ${JSON.stringify(pathToFileURL(path.join(root, 'bin/bundle-server.mjs')).href)}; await bundleServer(${JSON.stringify(base)});`], { cwd: base, stdio: 'inherit' });
  if (bundle.status !== 0) throw new Error(`server bundle failed (esbuild exit ${bundle.status})`);
  writeStamp(base);
}

/** The server entry to run: the bundle when the last build made one (bundleServer), else tsc's output. */
export function serverEntry(base = root, worker = false) {
  const bundled = path.join(base, 'dist/bundle', worker ? 'worker.mjs' : 'main.mjs');
  return fs.existsSync(bundled) ? bundled : path.join(base, worker ? 'dist/server/worker.js' : 'dist/server/main.js');
}

export function writeStamp(base = root) {
  fs.mkdirSync(path.join(base, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(base, STAMP), `${new Date().toISOString()}\n`);
}

// `npm run build` (and `prepare`, after npm install): compile now and stamp.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    ensureServerBuild(root, { force: true });
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}

// Bundles the compiled server (dist/server/main.js, worker.js) into dist/bundle/ with esbuild:
// one file to load instead of ~300 of our modules and ~800 of the packages', which takes a
// third off the CPU of a cold start (bench/README.md). Code split at dynamic imports, so what
// loads lazily (queue mode, Twilio, SMTP, the LLM SDKs) still loads lazily. Packages with
// native addons or files of their own found at run time stay outside, in node_modules.
// Run by build-state.mjs after tsc; without esbuild (a production install) there is no
// bundle and `npm start` runs dist/server/main.js as before.
import fs from 'node:fs';
import path from 'node:path';

const EXTERNAL = [
  // native addons
  'sqlite3', '@node-rs/argon2', 'isolated-vm', 'msgpackr-extract', 'pg-native',
  // worker threads and files resolved at run time
  'pino', 'thread-stream', 'swagger-ui-dist', 'pdfkit', 'fontkit', '@fontsource/ibm-plex-sans-arabic',
  // loaded only in some deployments or on first use: keep them lazy and out of the bundle
  'bullmq', 'ioredis', 'umzug', 'twilio', 'nodemailer', 'openai', 'groq-sdk', '@anthropic-ai/sdk', '@google/genai', 'stripe',
  // Sequelize's optional dialects
  'tedious', 'mysql2', 'mariadb', 'oracledb', 'ibm_db', 'snowflake-sdk', 'pg-hstore',
];

// Each output file knows where dist/ is (engine/module-dir.ts) and gets CommonJS's require,
// __filename and __dirname, which bundled CommonJS packages expect.
const BANNER = `import { createRequire as __tqRequire } from 'node:module';
import { fileURLToPath as __tqPath } from 'node:url';
import { dirname as __tqDir } from 'node:path';
const require = __tqRequire(import.meta.url);
const __filename = __tqPath(import.meta.url);
const __dirname = __tqDir(__filename);
globalThis.__tadfuqBundleDist ??= __tqDir(__dirname);`;

/** Bundle dist/server into dist/bundle; false when esbuild is not installed. */
export async function bundleServer(base) {
  // An older bundle never outlives a new tsc build, even when this one cannot be made.
  const outdir = path.join(base, 'dist/bundle');
  fs.rmSync(outdir, { recursive: true, force: true });
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return false;
  }
  await esbuild.build({
    absWorkingDir: base,
    entryPoints: { main: 'dist/server/main.js', worker: 'dist/server/worker.js' },
    outdir,
    outExtension: { '.js': '.mjs' },
    // Chunks beside the entries: every file's dist/ is the folder above.
    chunkNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    banner: { js: BANNER },
    logLevel: 'error',
    legalComments: 'none',
  });
  return true;
}

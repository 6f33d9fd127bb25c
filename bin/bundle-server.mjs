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
    // Without whitespace and comments (identifiers kept, so stacks still name functions): V8
    // keeps every module's source text in the heap, and parses less at start.
    minifyWhitespace: true,
    minifySyntax: true,
  });
  for (const file of fs.readdirSync(outdir)) {
    if (file.endsWith('.mjs')) asciiOnly(path.join(outdir, file));
  }
  return true;
}

/**
 * Rewrites every non-ASCII character of an output file as a \uXXXX escape. V8 keeps each
 * module's source text in memory (lazy compilation, Function#toString) and stores it as
 * two-byte UTF-16 as soon as it holds a single non-ASCII character; esbuild leaves them in
 * comments and regular-expression literals (validator.js's alphabets), which doubled ~8 MB of
 * source in the heap. The escape means the same in strings, templates (cooked), regular
 * expressions and identifiers, and is inert in comments; no bundled code reads a template's
 * .raw with such characters. After an odd run of backslashes the existing one is reused.
 */
function asciiOnly(file) {
  const text = fs.readFileSync(file, 'utf8');
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    let slashes = 0;
    for (let j = i - 1; j >= 0 && text.charCodeAt(j) === 0x5c; j--) slashes++;
    out += text.slice(last, i) + (slashes % 2 === 1 ? 'u' : '\\u') + unit.toString(16).padStart(4, '0');
    last = i + 1;
  }
  if (last > 0) fs.writeFileSync(file, out + text.slice(last));
}

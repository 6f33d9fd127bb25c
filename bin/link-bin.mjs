/* global console */
// `npx tadfuq …` in this checkout. With a "bin" entry in package.json, npm 11's npx installs
// the checkout into its cache as a file: dependency before running it (15–20 s of CPU reading
// the whole tree, on every machine's first run). package.json has no "bin"; instead `npm
// install` (prepare) links the command here, where npx finds it and starts it at once.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binDir = path.join(root, 'node_modules/.bin');
const link = path.join(binDir, 'tadfuq');
try {
  fs.mkdirSync(binDir, { recursive: true });
  fs.rmSync(link, { force: true });
  fs.symlinkSync(path.relative(binDir, path.join(root, 'bin/tadfuq.js')), link);
} catch (err) {
  console.warn(`could not link node_modules/.bin/tadfuq (run node bin/tadfuq.js instead): ${err.message}`);
}

// Child process of test/server/lean-start.test.ts: opens an embedded app context on the data
// dir in argv[2] (migrating it), starts and stops its runtime, then prints the npm packages
// that were loaded, as JSON on the last line.
import { createRequire } from 'node:module';
import pino from 'pino';
import { createContext } from '../../server/app-context.js';
import { loadConfig } from '../../server/config.js';

const require = createRequire(import.meta.url);
const ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: process.argv[2]!, DATABASE_URL: '', TADFUQ_DEMO_ACTIVITY: '0' }), pino({ level: 'silent' }));
await ctx.runtime.start();
await ctx.close();
const packages = new Set<string>();
for (const file of Object.keys(require.cache)) {
  const m = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) packages.add(m[1]!);
}
console.log(JSON.stringify([...packages].sort()));

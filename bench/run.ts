// `npm run bench -- <name>`: runs one benchmark and prints comparable figures.
const benches: Record<string, () => Promise<unknown>> = {
  reference: () => import('./reference.bench.js').then((m) => m.main(process.argv.slice(3))),
  engine: () => import('./engine.bench.js').then((m) => m.main(process.argv.slice(3))),
  code: () => import('./code.bench.js').then((m) => m.main(process.argv.slice(3))),
  queue: () => import('./queue.bench.js').then((m) => m.main(process.argv.slice(3))),
  ai: () => import('./ai.js').then((m) => m.main(process.argv.slice(3))),
  editor: () => import('./editor.bench.js').then((m) => m.main(process.argv.slice(3))),
  analytics: () => import('./analytics.bench.js').then((m) => m.main(process.argv.slice(3))),
};

const name = process.argv[2] ?? 'engine';
const bench = benches[name];
if (!bench) {
  process.stderr.write(`unknown benchmark "${name}"; available: ${Object.keys(benches).join(', ')}\n`);
  process.exit(2);
}
await bench();
// Every bench exits when its work is done, even if a client library left a handle open.
process.exit(0);

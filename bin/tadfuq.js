#!/usr/bin/env node
// The `tadfuq` command. From a checkout it runs the TypeScript source through tsx, so it is
// never stale; an install without dev dependencies runs the compiled dist/ instead.
import { existsSync } from 'node:fs';

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

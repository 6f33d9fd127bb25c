// Where a module's own files are (the code sandbox's child entry, the editor build, the
// templates): next to the module, or, inside the bundled server (dist/bundle/, see
// bin/bundle-server.mjs), at the place tsc put that module in dist/. The bundle's banner sets
// the dist directory; every other run leaves it unset and the module's own URL decides.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BUNDLE_DIST_KEY = '__tadfuqBundleDist';

/** The bundle's dist directory, when this code runs from the bundle. */
export function bundleDistDir(): string | undefined {
  const dir = (globalThis as Record<string, unknown>)[BUNDLE_DIST_KEY];
  return typeof dir === 'string' ? dir : undefined;
}

/**
 * The directory and file extension of a module: `relativeDir` is its folder from the project
 * root ('nodes/code'), used only inside the bundle.
 */
export function moduleLocation(metaUrl: string, relativeDir: string): { dir: string; ext: string } {
  const dist = bundleDistDir();
  if (dist) return { dir: path.join(dist, relativeDir), ext: '.js' };
  const file = fileURLToPath(metaUrl);
  return { dir: path.dirname(file), ext: path.extname(file) };
}

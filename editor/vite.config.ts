// Builds the editor into dist/editor (served by server/http/editor-static.ts).
// `npx vite --config editor/vite.config.ts` serves it with hot reload and proxies the API to
// TADFUQ_API (default http://127.0.0.1:3000), so the editor and the API share an origin.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const api = process.env.TADFUQ_API ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/editor', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
    // Rolldown prints a [PLUGIN_TIMINGS] table when a plugin is slow (the React transform on
    // 2 cores always is): it reads like a warning and is not one.
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  server: {
    proxy: {
      '/api': api,
      '/hooks': api,
      '/healthz': api,
    },
  },
});

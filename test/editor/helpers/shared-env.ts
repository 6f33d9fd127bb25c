// One server, one "CRM" and one browser for every editor browser suite in a mocha run (each
// costs seconds to start). Started by the first suite that asks; stopped by a root after hook.
import { startCounterServer, type CounterServer } from '../../helpers/counter-server.js';
import { chromiumAvailable, launchBrowser, type Browser } from './browser.js';
import { startEditorServer, type EditorServer } from './editor-server.js';

export interface EditorEnv {
  server: EditorServer;
  crm: CounterServer;
  browser: Browser;
}

let env: Promise<EditorEnv> | null = null;

async function start(): Promise<EditorEnv> {
  const [server, crm] = await Promise.all([startEditorServer(), startCounterServer()]);
  // The walks' http.request steps call the local "CRM": let the demo tenant reach loopback.
  const owner = await server.token('owner');
  await server.api(owner, 'PATCH', '/tenant', { settings: { allowPrivateNetwork: true } });
  // The walks send WhatsApp messages (to the sandbox) whatever the day and hour of the run, and
  // several to one contact a day: no business hours, no per-contact cap for WhatsApp.
  await server.api(owner, 'PUT', '/send-policy', { channels: { whatsapp: { respectBusinessHours: false, allowedHours: null } }, caps: { perContactPerDay: { whatsapp: null } } });
  const browser = await launchBrowser();
  return { server, crm, browser };
}

/** The shared environment; skips the calling suite when chromium is missing (fails under CI). */
export async function editorEnv(ctx: Mocha.Context): Promise<EditorEnv> {
  if (!chromiumAvailable()) {
    if (process.env.CI) throw new Error('chromium is missing: apt-get install -y chromium (.ci/run does)');
    console.warn('    (skipped: no /usr/bin/chromium; apt-get install -y chromium)');
    ctx.skip();
  }
  env ??= start();
  return env;
}

// A root-level hook (registered while mocha loads the spec files that import this module).
after(async () => {
  if (!env) return;
  const { server, crm, browser } = await env.catch(() => ({}) as Partial<EditorEnv>);
  await browser?.close();
  await server?.stop();
  await crm?.close();
  env = null;
});

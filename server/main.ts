// `npm start`: the API, webhooks and the embedded runtime in one process.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from './config.js';
import { loadEnvFile } from './env-file.js';
import { createLogger } from './logger.js';
import { createContext } from './app-context.js';
import { createApp } from './app.js';
import { seedDemoTenant } from '../seeds/demo-tenant.js';
import { seedDemoActivity } from '../seeds/demo-activity.js';
import { demoCredentialsBanner } from '../seeds/demo-users.js';

loadEnvFile(); // .env: the environment wins over it
const config = loadConfig();
const log = createLogger(config.logLevel);
const ctx = await createContext(config, log);
const seeded = await seedDemoTenant(ctx);
if (seeded.published.length) log.info({ published: seeded.published }, 'seeded demo flows');
// Printed once, when the demo users are first created (README lists them too).
if (seeded.users.length) process.stdout.write(demoCredentialsBanner() + '\n');
await ctx.runtime.start();
await ctx.scheduler.start();

const server = http.createServer(createApp(ctx)).listen(config.port, config.host, () => {
  // PORT=0 picks a free port; log the real one (tests and supervisors read it).
  const port = (server.address() as AddressInfo).port;
  log.info({ url: `http://${config.host}:${port}`, port, database: ctx.db.dialect, dataDir: config.dataDir }, 'tadfuq is up — تدفق يعمل');
});
server.keepAliveTimeout = 65_000;

// A fresh store (its demo contacts were just created): run a few demo executions through the
// engine so executions, the escalation inbox and conversations have something to show. In the
// background: the server answers meanwhile (they take a few seconds).
// TADFUQ_DEMO_ACTIVITY=0 skips them (tests and benchmarks that count executions).
if (seeded.contacts > 0 && process.env.TADFUQ_DEMO_ACTIVITY !== '0') {
  seedDemoActivity(ctx, seeded.tenantId).then(
    (activity) => log.info({ executions: activity.executions.length }, 'seeded demo executions'),
    (err: unknown) => {
      if (!stopping) log.warn({ err }, 'demo executions could not be seeded');
    },
  );
}

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  server.close();
  await ctx.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

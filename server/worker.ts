// `npm run worker`: a queue-mode worker (needs DATABASE_URL=postgres://… and REDIS_URL).
// Start as many as you like, on any machine. SIGTERM: stop taking jobs, finish in-flight
// segments, exit.
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { createContext } from './app-context.js';

const config = loadConfig();
const log = createLogger(config.logLevel);
const ctx = await createContext(config, log, 'worker');
await ctx.runtime.start();
log.info({ database: ctx.db.dialect, concurrency: config.workerConcurrency }, 'tadfuq worker is up — عامل تدفق يعمل');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'worker shutting down');
  await ctx.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
